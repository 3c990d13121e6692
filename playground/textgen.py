"""Text generation with a shipped character LSTM: loading, priming, streaming, model card."""

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from playground.checkpoint import (
    CheckpointError,
    checkpoint_paths,
    load_checkpoint,
    load_state_into,
)
from playground.errors import InvalidInputError, describe_json_value
from playground.models.char_lstm import CharLSTM, CharLSTMConfig
from playground.sampling import MAX_SAMPLE_LENGTH, SamplingOptions, StepperWeights, generate
from playground.vocab import CharVocab, EncodedPrime

logger = logging.getLogger(__name__)

MAX_PRIME_LENGTH = 2000
DEFAULT_LENGTH = 500
DEFAULT_TEMPERATURE = 0.8
DEFAULT_TOP_K = 0
MAX_TEMPERATURE = 2.0
MAX_SEED = 2**32 - 1
# Gradio number boxes always contain a number, so a seed of -1 requests a new random sample.
RANDOM_SEED = -1
REQUIRED_METADATA = ("config", "vocab", "data", "training", "metrics")
# The model card lists at most this many held-out documents.
MODEL_CARD_MAX_ITEMS = 6


@dataclass
class CharLanguageModel:
    """A loaded character LSTM with its vocabulary, metadata and sampler weights."""

    name: str
    model: CharLSTM
    vocab: CharVocab
    metadata: dict
    stepper_weights: StepperWeights


def load_char_language_model(
    stem: Path, recreate_command: str, device: torch.device
) -> CharLanguageModel:
    """Build a CharLSTM from a checkpoint; raise CheckpointError naming the file at fault."""
    tensors, metadata = load_checkpoint(stem, recreate_command)
    weights_path, meta_path = checkpoint_paths(stem)
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise CheckpointError(
            f"Checkpoint metadata {meta_path} lacks {missing}. Recreate it with: {recreate_command}"
        )
    try:
        vocab = CharVocab(metadata["vocab"]["itos"])
        config = CharLSTMConfig(**metadata["config"])
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"Checkpoint metadata {meta_path} is invalid ({exc}). "
            f"Recreate it with: {recreate_command}"
        ) from exc
    if config.vocab_size != len(vocab):
        raise CheckpointError(
            f"Checkpoint metadata {meta_path}: vocab_size {config.vocab_size} "
            f"differs from the {len(vocab)}-character vocabulary."
        )
    model = CharLSTM(config)
    load_state_into(model, tensors, weights_path)
    model.to(device).eval()
    return CharLanguageModel(
        name=metadata.get("name", stem.name),
        model=model,
        vocab=vocab,
        metadata=metadata,
        stepper_weights=StepperWeights(model),
    )


def _as_number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInputError(f"{name} must be a finite number, not {value!r}.")
    return float(value)


def make_sampling_options(
    length=DEFAULT_LENGTH, temperature=DEFAULT_TEMPERATURE, top_k=DEFAULT_TOP_K, seed=None
) -> SamplingOptions:
    """Validate raw option values (from a UI or an API call) into SamplingOptions."""
    length = _as_number(length, "Length")
    if length != int(length) or not 1 <= length <= MAX_SAMPLE_LENGTH:
        raise InvalidInputError(
            f"Length must be a whole number from 1 to {MAX_SAMPLE_LENGTH}, not {length:g}."
        )
    temperature = _as_number(temperature, "Temperature")
    if not 0 <= temperature <= MAX_TEMPERATURE:
        raise InvalidInputError(
            f"Temperature must be between 0 and {MAX_TEMPERATURE:g}, not {temperature:g}."
        )
    top_k = 0 if top_k is None else _as_number(top_k, "Top-k")
    if top_k != int(top_k) or top_k < 0:
        raise InvalidInputError(f"Top-k must be a whole number, 0 to switch it off, not {top_k:g}.")
    if seed is None or seed == "" or seed == RANDOM_SEED:
        seed = None
    else:
        seed = _as_number(seed, "Seed")
        if seed != int(seed) or not 0 <= seed <= MAX_SEED:
            raise InvalidInputError(
                f"Seed must be a whole number from 0 to {MAX_SEED}, or -1 for a random sample, "
                f"not {seed:g}."
            )
        seed = int(seed)
    return SamplingOptions(
        length=int(length), temperature=temperature, top_k=int(top_k) or None, seed=seed
    )


def describe_prime_changes(encoded: EncodedPrime) -> str:
    """Return a one-line note on replaced and dropped prime characters ('' when none)."""
    parts = []
    if encoded.replaced:
        pairs = ", ".join(f"{src!r} → {dst!r}" for src, dst in encoded.replaced.items())
        parts.append(f"replaced {pairs}")
    if encoded.dropped:
        parts.append(
            "dropped "
            + ", ".join(repr(ch) for ch in encoded.dropped[:20])
            + (" …" if len(encoded.dropped) > 20 else "")
        )
    if not parts:
        return ""
    return "Characters outside the model's vocabulary: " + "; ".join(parts) + "."


def stream_text(
    lm: CharLanguageModel, prime: str, options: SamplingOptions
) -> tuple[EncodedPrime, Iterator[str]]:
    """Encode ``prime`` leniently and return it with an iterator over sampled characters."""
    if not isinstance(prime, str):
        raise InvalidInputError(
            f"The priming text must be a string, not {describe_json_value(prime)}."
        )
    if len(prime) > MAX_PRIME_LENGTH:
        raise InvalidInputError(
            f"The priming text has {len(prime)} characters; the maximum is {MAX_PRIME_LENGTH}."
        )
    encoded = lm.vocab.encode_lenient(prime)
    return encoded, generate(lm.model, lm.vocab, encoded.ids, options, weights=lm.stepper_weights)


def corpus_sources(corpus: dict | None) -> list[dict]:
    """Return the provenance of each package a corpus came from (one or several)."""
    if not corpus:
        return []
    source = corpus.get("source") or {}
    if isinstance(source, dict) and "packages" in source:
        return [package for package in source["packages"].values() if isinstance(package, dict)]
    return [source] if isinstance(source, dict) and source else []


def model_card(metadata: dict, title: str | None = None) -> str:
    """Return a short Markdown description of a checkpoint for the model-card panel."""
    config = metadata.get("config", {})
    training = metadata.get("training", {})
    metrics = metadata.get("metrics", {})
    data = metadata.get("data", {})
    sources = corpus_sources(data.get("corpus"))
    params = metadata.get("parameters")
    lines = [f"**{title or metadata.get('name', 'model')}**", ""]
    lines.append(
        f"- Architecture: {config.get('num_layers', '?')}-layer LSTM, "
        f"{config.get('hidden_size', '?')} hidden units"
        + (f", {params / 1e6:.2f}M parameters" if isinstance(params, int) else "")
    )
    if sources:
        packages = ", ".join(
            f"`{source.get('package')}` {source.get('version')} ({source.get('registry', '')})"
            for source in sources
        )
        lines.append(f"- Corpus: {packages}, {data.get('train_chars', 0):,} training characters")
    else:
        lines.append(
            f"- Corpus: `{data.get('train_file', '?')}`, "
            f"{data.get('train_chars', 0):,} training characters"
        )
    held_out = data.get("held_out")
    if isinstance(held_out, list) and held_out:
        shown = ", ".join(f"`{name}`" for name in held_out[:MODEL_CARD_MAX_ITEMS])
        if len(held_out) > MODEL_CARD_MAX_ITEMS:
            shown += f" and {len(held_out) - MODEL_CARD_MAX_ITEMS} more"
        lines.append(f"- Held out for validation: {shown}")
    elif held_out:
        lines.append(f"- Held out for validation: `{held_out}`")
    val = metrics.get("val_loss_nats")
    if isinstance(val, (int, float)):
        lines.append(f"- Validation loss: {val:.3f} nats/char ({val / math.log(2):.3f} bits/char)")
    seconds = training.get("time_seconds")
    if isinstance(seconds, (int, float)):
        lines.append(
            f"- Training: {seconds / 60:.0f} min on {training.get('hardware', '?')}, "
            f"{training.get('precision', '')}"
        )
    return "\n".join(lines)
