"""The model registry: every shipped model by name, loaded lazily and once.

Gradio runs event handlers on several worker threads, so the first requests
for a model may arrive together. Each model has its own lock: one thread
loads it while the others wait, and loading one model holds no lock that a
request for another model needs. A failed load is not cached, so a checkpoint restored
on disk is picked up by the next request without a restart.
"""

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from playground.checkpoint import CheckpointError, checkpoint_paths

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_checkpoint_dir() -> Path:
    """Return $RNN_PLAYGROUND_CHECKPOINTS, or the repository's ``checkpoints/``."""
    return Path(
        os.environ.get("RNN_PLAYGROUND_CHECKPOINTS", REPO_ROOT / "checkpoints")
    ).expanduser()


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class UnknownModelError(KeyError):
    """A model name that is not in the registry."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ModelSpec:
    """A shipped model: its name, task, checkpoint stem and how to load and recreate it."""

    name: str
    task: str
    title: str
    checkpoint: str
    recreate_command: str
    # Called as loader(checkpoint_stem, recreate_command, device) -> loaded model object.
    loader: Callable[[Path, str, torch.device], Any]
    # Inputs that show the model at its best, offered as examples in its tab.
    examples: tuple[str, ...] = ()


class ModelRegistry:
    def __init__(
        self,
        specs: list[ModelSpec],
        checkpoint_dir: Path | None = None,
        device: torch.device | None = None,
    ):
        self._specs = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ValueError(f"duplicate model name {spec.name!r}")
            self._specs[spec.name] = spec
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else default_checkpoint_dir()
        self.device = device or default_device()
        self._loaded: dict[str, Any] = {}
        self._locks = {name: threading.Lock() for name in self._specs}

    def names(self, task: str | None = None) -> list[str]:
        return [name for name, spec in self._specs.items() if task is None or spec.task == task]

    def spec(self, name: str) -> ModelSpec:
        """Return the spec for ``name``; only registered names are accepted, never paths."""
        if not isinstance(name, str) or name not in self._specs:
            known = ", ".join(sorted(self._specs)) or "none"
            raise UnknownModelError(f"Unknown model {name!r}. Available models: {known}.")
        return self._specs[name]

    def checkpoint_stem(self, name: str) -> Path:
        return self.checkpoint_dir / self.spec(name).checkpoint

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded

    def get(self, name: str) -> Any:
        """Return the loaded model, loading it on first use (raises CheckpointError)."""
        spec = self.spec(name)
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        with self._locks[name]:
            # Another thread may have finished loading while this one waited.
            if name in self._loaded:
                return self._loaded[name]
            stem = self.checkpoint_stem(name)
            logger.info("loading model %s from %s on %s", name, stem, self.device)
            try:
                loaded = spec.loader(stem, spec.recreate_command, self.device)
            except CheckpointError as exc:
                logger.error("model %s failed to load: %s", name, exc)
                raise
            self._loaded[name] = loaded
            return loaded

    def metadata(self, name: str) -> dict:
        """Read a model's JSON metadata without loading its weights."""
        _, meta_path = checkpoint_paths(self.checkpoint_stem(name))
        spec = self.spec(name)
        hint = f"Recreate it with: {spec.recreate_command}"
        try:
            metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CheckpointError(f"Checkpoint file not found: {meta_path}. {hint}") from None
        except OSError as exc:
            raise CheckpointError(
                f"Checkpoint metadata {meta_path} is unreadable ({exc}). {hint}"
            ) from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CheckpointError(
                f"Checkpoint metadata {meta_path} is not valid JSON ({exc}). {hint}"
            ) from exc
        if not isinstance(metadata, dict):
            raise CheckpointError(f"Checkpoint metadata {meta_path} is not a JSON object. {hint}")
        return metadata
