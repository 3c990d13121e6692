"""Writing text with a trained handwriting synthesis network.

Sampling follows Graves (2013): the *sampling bias* b sharpens the output
mixture (section 5.4: the component weights are multiplied by 1 + b and
the standard deviations divided by exp(b)), which trades variety for
legibility. *Priming* (section 5.5) first runs the network over a stored
line of the chosen hand together with that line's text, and then lets it
continue with the new text, so the writing keeps the primer's style.

A line is finished once the attention window has moved past its last
character: each line is given a trailing space, and the line stops when the
weight on that space exceeds the weight on every character. A cap on points
per character stops a line whose window never gets there.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from playground.checkpoint import (
    CheckpointError,
    checkpoint_paths,
    load_checkpoint,
    load_state_into,
)
from playground.errors import InvalidInputError
from playground.handwriting.lines import encode_text
from playground.handwriting.stepper import HandwritingStepper, sample_from
from playground.models.handwriting import HandwritingConfig, HandwritingSynthesis
from playground.vocab import CharVocab

# A line whose window has not passed its text after this many points per character stops.
MAX_POINTS_PER_CHAR = 40
MAX_SAMPLING_BIAS = 10.0
# The app's default. Over 20 held-out sentences in each of the six hands, the OCR
# benchmark (bench/handwriting_legibility.py) read the shipped model's writing best
# at this bias: a mean error rate 0.071 above the fonts' at 1.5, 0.063 at 2.5 and
# 0.077 at 4.
DEFAULT_SAMPLING_BIAS = 2.5
REQUIRED_METADATA = ("config", "vocab", "hands", "offset_scale", "primers")


@dataclass
class HandwritingModel:
    """A loaded synthesis network with what sampling needs besides the weights."""

    name: str
    model: HandwritingSynthesis
    vocab: CharVocab
    hand_names: list[str]
    offset_scale: float
    primers: list[dict | None]
    metadata: dict

    @property
    def char_width(self) -> float:
        """Mean horizontal advance per character of the training lines, in x-heights.

        These are the units of ``write_lines``' output; the metadata stores the
        width in the model's offset units, before ``offset_scale`` is applied.
        """
        return float(self.metadata["char_width"]) * self.offset_scale


def load_handwriting_model(
    stem: Path, recreate_command: str, device: torch.device
) -> HandwritingModel:
    """Build the network from a checkpoint; raise CheckpointError naming the file at fault."""
    tensors, metadata = load_checkpoint(stem, recreate_command)
    _, meta_path = checkpoint_paths(stem)
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise CheckpointError(
            f"Checkpoint metadata {meta_path} lacks {missing}. Recreate it with: {recreate_command}"
        )
    try:
        config = HandwritingConfig(**metadata["config"])
        vocab = CharVocab(metadata["vocab"]["itos"])
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(
            f"Checkpoint metadata {meta_path} is invalid ({exc}). Recreate it with: "
            f"{recreate_command}"
        ) from exc
    model = HandwritingSynthesis(config)
    load_state_into(model, tensors, checkpoint_paths(stem)[0])
    # Sampling steps one point at a time at a small batch, where the CPU is faster.
    model.to("cpu").eval()
    return HandwritingModel(
        name=metadata.get("name", Path(stem).name),
        model=model,
        vocab=vocab,
        hand_names=list(metadata["hands"]),
        offset_scale=float(metadata["offset_scale"]),
        primers=list(metadata["primers"]),
        metadata=metadata,
    )


def check_options(hw: HandwritingModel, hand: int, sampling_bias: float) -> None:
    if isinstance(hand, bool) or not isinstance(hand, int) or not 0 <= hand < len(hw.hand_names):
        raise InvalidInputError(
            f"Hand must be a number from 0 to {len(hw.hand_names) - 1}, not {hand!r}."
        )
    if (
        isinstance(sampling_bias, bool)
        or not isinstance(sampling_bias, (int, float))
        or not math.isfinite(sampling_bias)
        or not 0 <= sampling_bias <= MAX_SAMPLING_BIAS
    ):
        raise InvalidInputError(
            f"Legibility must be between 0 and {MAX_SAMPLING_BIAS:g}, not {sampling_bias!r}."
        )


@torch.inference_mode()
def write_lines(
    hw: HandwritingModel,
    lines: list[str],
    hand: int = 0,
    sampling_bias: float = 1.0,
    seed: int | None = None,
    prime: bool = True,
) -> list[np.ndarray]:
    """Write each line as pen points, all lines as one batch.

    ``lines`` must contain alphabet characters only (see ``prepare_text``).
    Returns one (T, 3) array per line: (dx, dy) offsets in the training data's
    units (offset_scale applied) and the end-of-stroke flag.
    """
    check_options(hw, hand, sampling_bias)
    if not lines:
        return []
    model = hw.model
    stoi = hw.vocab.stoi
    primer = hw.primers[hand] if prime else None
    prefix = f"{primer['text']} " if primer else ""
    # Each line gets a trailing space, and it ends when the window reaches that space.
    # Training lines end at their last character, so the network never learned where
    # the window goes after the end of a text, while every word in the training text
    # shows it moving from a character to the space after it.
    encoded = [encode_text(prefix + line + " ", stoi) for line in lines]
    B, U = len(lines), max(len(ids) for ids in encoded)
    chars = torch.zeros(B, U, dtype=torch.long)
    char_mask = torch.zeros(B, U)
    for row, ids in enumerate(encoded):
        chars[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        char_mask[row, : len(ids)] = 1.0
    hands = torch.full((B,), hand, dtype=torch.long)
    one_hot = F.one_hot(chars, model.config.vocab_size).float() * char_mask.unsqueeze(-1)
    style = model.hand_embedding(hands)  # (B, S)
    rng = np.random.default_rng(seed)

    # Priming: read the stored line of this hand as if the network had written it.
    state = model.init_state(B)
    point = np.zeros((B, 3), dtype=np.float32)
    if primer:
        primer_points = torch.tensor(primer["points"], dtype=torch.float32)
        inputs = torch.cat([torch.zeros(1, 3), primer_points[:-1]]).expand(B, -1, -1)
        _, _, state = model(inputs.contiguous(), chars, char_mask, hands, state)
        point = np.repeat(primer_points[-1:].numpy(), B, axis=0)

    # Writing: one point per step for all lines until each is finished.
    stepper = HandwritingStepper(model, one_hot, style, state)
    text_ends = np.array([len(ids) - 1 for ids in encoded])  # the trailing space
    new_chars = np.array([max(1, len(ids) - len(prefix)) for ids in encoded])
    max_steps = int(new_chars.max()) * MAX_POINTS_PER_CHAR
    written = np.zeros((max_steps, B, 3), dtype=np.float32)
    done = np.zeros(B, dtype=bool)
    passed_text = np.zeros(B, dtype=bool)
    lengths = np.zeros(B, dtype=np.int64)
    rows = np.arange(B)
    on_text_mask = np.arange(U + 1) < text_ends[:, None]
    for step in range(max_steps):
        output = stepper.step(point)
        point = sample_from(output, sampling_bias, rng)
        written[step] = point
        lengths[~done] += 1
        # The window has passed a line's text when the weight on its trailing space is the
        # largest.
        after_end = output.phi[rows, text_ends]
        on_text = np.where(on_text_mask, output.phi, 0.0).max(axis=1)
        passed_text |= after_end > on_text
        # The line ends there. Waiting for the pen to lift let the network start another
        # stroke, which OCR read as an extra character after the last one.
        done |= passed_text
        done |= step + 1 >= new_chars * MAX_POINTS_PER_CHAR
        if done.all():
            break
    result = []
    for row in range(B):
        points = written[: lengths[row], row].copy()
        if len(points):
            points[-1, 2] = 1.0
        points[:, :2] *= hw.offset_scale
        result.append(drop_strokes_past_the_end(points, hw.char_width))
    return result


# A stroke that the network starts after the text has ended is one or two points long
# when the line stops. Some fonts draw a full stop as one point too, but after a small
# jump, which the width test below keeps.
MAX_STRAY_STROKE_POINTS = 2


def drop_strokes_past_the_end(points: np.ndarray, max_advance: float) -> np.ndarray:
    """Drop the last strokes of a written line while each is at most MAX_STRAY_STROKE_POINTS
    long and starts with a jump to the right longer than ``max_advance`` (x-heights).

    Such a stroke starts a next word that the text does not have. While the window
    moves onto the trailing space, the network already jumps over the word gap and
    puts the pen down, and that point renders as a stray dot after the last character.
    Longer strokes after a wide gap are real letters, and they stay.
    """
    while True:
        lifts = np.flatnonzero(points[:-1, 2] > 0.5)
        if not len(lifts):
            return points
        start = lifts[-1] + 1  # first point of the last stroke
        if len(points) - start > MAX_STRAY_STROKE_POINTS or points[start, 0] <= max_advance:
            return points
        points = points[:start]
