"""The sentiment unit: one unit of a character LSTM, read after every character.

``python -m playground.train_sentiment_unit`` fine-tunes the review language
model so that one designated unit of its hidden state carries sentiment. This
module loads that model and uses the unit in two ways:

- ``trace``: run a review through the model and read the unit after each
  character. A learned scale and bias per review group turn the value into a
  probability of "positive".
- ``write``: sample a review from the language model while the unit is held
  at a chosen value, so that the model writes as if the review so far were
  that positive or negative.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from playground.checkpoint import CheckpointError, checkpoint_paths
from playground.errors import InvalidInputError, describe_json_value
from playground.sampling import SamplingOptions, generate
from playground.textgen import CharLanguageModel, load_char_language_model

MAX_REVIEW_LENGTH = 5000
DEFAULT_GROUP = "movie"


@dataclass
class SentimentTrace:
    """The text the model read, and the unit's value and probability after each character."""

    text: str
    values: np.ndarray  # (T,) the unit's hidden value, in [-1, 1]
    probabilities: np.ndarray  # (T,) the probability of "positive" that it stands for
    dropped: list[str]


@dataclass
class SentimentTraceModel:
    lm: CharLanguageModel
    unit: int
    scale: float
    group_bias: dict[str, float]

    @property
    def metadata(self) -> dict:
        return self.lm.metadata

    def probability(self, values: np.ndarray, group: str = DEFAULT_GROUP) -> np.ndarray:
        logits = self.scale * np.asarray(values, dtype=np.float64) + self.group_bias[group]
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def trace(self, review: str, group: str = DEFAULT_GROUP) -> SentimentTrace:
        """Read ``review`` and return the unit after each of its characters."""
        text = check_review(review)
        encoded = self.lm.vocab.encode_lenient(text)
        if not encoded.ids:
            raise InvalidInputError("None of the review's characters are in the model's alphabet.")
        # A newline first, as in training, where every review followed one.
        ids = [self.lm.vocab.stoi["\n"], *encoded.ids]
        with torch.inference_mode():
            inputs = torch.tensor([ids], dtype=torch.long, device=self.lm.model.head.weight.device)
            _, _, states = self.lm.model(inputs, return_states=True)
        values = states[0, 1:, self.unit].float().cpu().numpy()
        return SentimentTrace(
            text=encoded.text,
            values=values,
            probabilities=self.probability(values, group),
            dropped=encoded.dropped,
        )

    def write(self, prime: str, unit_value: float, options: SamplingOptions) -> Iterator[str]:
        """Yield a sampled review, character by character, with the unit held at ``unit_value``."""
        if not isinstance(prime, str):
            raise InvalidInputError(
                f"The opening must be a string, not {describe_json_value(prime)}."
            )
        if len(prime) > MAX_REVIEW_LENGTH:
            raise InvalidInputError(
                f"The opening has {len(prime)} characters; the maximum is {MAX_REVIEW_LENGTH}."
            )
        vocab = self.lm.vocab
        ids = [vocab.stoi["\n"], *vocab.encode_lenient(prime).ids]
        return generate(
            self.lm.model,
            vocab,
            ids,
            options,
            weights=self.lm.stepper_weights,
            clamp=(self.unit, float(np.clip(unit_value, -1.0, 1.0))),
        )


def check_review(review) -> str:
    if review is None:
        raise InvalidInputError("Enter a review to score.")
    if not isinstance(review, str):
        raise InvalidInputError(f"The review must be a string, not {describe_json_value(review)}.")
    if not review.strip():
        raise InvalidInputError("Enter a review to score.")
    if len(review) > MAX_REVIEW_LENGTH:
        raise InvalidInputError(
            f"The review has {len(review)} characters; the maximum is {MAX_REVIEW_LENGTH}."
        )
    return review


def load_sentiment_trace_model(
    stem: Path, recreate_command: str, device: torch.device
) -> SentimentTraceModel:
    """Load the tuned review language model and its sentiment unit's readout."""
    lm = load_char_language_model(stem, recreate_command, device)
    _, meta_path = checkpoint_paths(stem)
    try:
        unit = lm.metadata["sentiment_unit"]
        index, scale = int(unit["index"]), float(unit["scale"])
        group_bias = {group: float(b) for group, b in zip(unit["groups"], unit["group_bias"])}
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"Checkpoint metadata {meta_path} has no valid sentiment unit ({exc}). "
            f"Recreate it with: {recreate_command}"
        ) from exc
    if not 0 <= index < lm.model.config.hidden_size or DEFAULT_GROUP not in group_bias:
        raise CheckpointError(f"Checkpoint metadata {meta_path} has an invalid sentiment unit.")
    return SentimentTraceModel(lm=lm, unit=index, scale=scale, group_bias=group_bias)
