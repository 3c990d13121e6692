"""Checkpoint files: safetensors weights beside a JSON metadata file.

A checkpoint named ``shakespeare`` is ``shakespeare.safetensors`` plus
``shakespeare.json``. The JSON contains everything needed to rebuild and use the
model (config, vocabulary, training data and command, metrics), so loading
never unpickles anything.
"""

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

FORMAT_VERSION = 1
# Hugging Face Spaces needs Git LFS for files of 10 MB or more.
MAX_FILE_BYTES = 10 * 1000 * 1000


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable or inconsistent with its metadata."""


def checkpoint_paths(stem: str | os.PathLike) -> tuple[Path, Path]:
    """Return the weights and metadata paths; a dotted stem such as ``model.v2`` is kept whole."""
    stem = Path(stem)
    return stem.with_name(stem.name + ".safetensors"), stem.with_name(stem.name + ".json")


def save_checkpoint(
    stem: str | os.PathLike,
    state_dict: dict[str, torch.Tensor],
    metadata: dict,
    dtype: torch.dtype | None = torch.bfloat16,
) -> tuple[Path, Path]:
    """Write weights (cast to ``dtype`` when given) and metadata; return both paths.

    Each file is written under a temporary name and then renamed, so a reader
    never sees a half-written file. The two renames are separate, so a reader
    that loads between them can pair new weights with the old metadata.
    """
    weights_path, meta_path = checkpoint_paths(stem)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for name, tensor in state_dict.items():
        tensor = tensor.detach().cpu()
        if dtype is not None and tensor.is_floating_point():
            tensor = tensor.to(dtype)
        tensors[name] = tensor.contiguous()
    metadata = {"format_version": FORMAT_VERSION, **metadata}
    metadata["weights_dtype"] = str(dtype).removeprefix("torch.") if dtype else "as trained"

    tmp_weights = weights_path.with_name(weights_path.name + ".tmp")
    tmp_meta = meta_path.with_name(meta_path.name + ".tmp")
    save_file(tensors, str(tmp_weights), metadata={"format": "pt"})
    tmp_meta.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp_weights, weights_path)
    os.replace(tmp_meta, meta_path)
    return weights_path, meta_path


def load_checkpoint(
    stem: str | os.PathLike, recreate_command: str | None = None
) -> tuple[dict[str, torch.Tensor], dict]:
    """Read a checkpoint's tensors and metadata without unpickling anything.

    Raises CheckpointError naming the file at fault and, when given, the
    command that recreates it.
    """
    weights_path, meta_path = checkpoint_paths(stem)
    hint = f" Recreate it with: {recreate_command}" if recreate_command else ""
    for path in (weights_path, meta_path):
        if not path.is_file():
            raise CheckpointError(f"Checkpoint file not found: {path}.{hint}")
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"Checkpoint metadata {meta_path} is not valid JSON ({exc}).{hint}"
        ) from exc
    if not isinstance(metadata, dict) or "config" not in metadata:
        raise CheckpointError(f"Checkpoint metadata {meta_path} has no 'config' section.{hint}")
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"Checkpoint weights {weights_path} are unreadable ({exc}).{hint}"
        ) from exc
    return tensors, metadata


def load_state_into(
    module: torch.nn.Module, tensors: dict[str, torch.Tensor], source: Path
) -> None:
    """Copy tensors into ``module`` in its own dtype, raising CheckpointError on any mismatch."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"Checkpoint weights {source} do not match the model: "
            f"missing {missing[:5]}, unexpected {unexpected[:5]}."
        )
    for name, tensor in tensors.items():
        if tensor.shape != expected[name].shape:
            raise CheckpointError(
                f"Checkpoint weights {source}: {name} has shape {tuple(tensor.shape)}, "
                f"the model expects {tuple(expected[name].shape)}."
            )
    module.load_state_dict({k: v.to(expected[k].dtype) for k, v in tensors.items()})
