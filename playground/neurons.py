"""Single-cell analysis of character LSTMs: activations, text features, cell search, colouring.

Karpathy, Johnson and Fei-Fei ("Visualizing and Understanding Recurrent
Networks", 2015) found cells of character LSTMs that switch on inside quotes,
count bracket depth or track the position in a line. This module runs a model
over a text, computes such features of the text character by character, and
ranks cells by how strongly their activation correlates with each feature.
"""

import html
import re
from collections.abc import Callable

import numpy as np

from playground.errors import InvalidInputError
from playground.sampling import LSTMStepper, StepperWeights

MAX_EXPLORER_LENGTH = 5000


def cell_activations(weights: StepperWeights, ids: list[int]) -> np.ndarray:
    """Return tanh(c) of every cell after each character, (T, num_layers * H), in [-1, 1].

    Column ``layer * H + unit`` is unit ``unit`` of layer ``layer``.
    """
    stepper = LSTMStepper(weights)
    activations = np.empty((len(ids), weights.num_layers * weights.hidden_size), dtype=np.float32)
    for t, char_id in enumerate(ids):
        stepper.step(char_id)
        np.tanh(stepper.cells.reshape(-1), out=activations[t])
    return activations


def describe_cell(index: int, hidden_size: int) -> str:
    return f"layer {index // hidden_size + 1}, cell {index % hidden_size}"


# Feature extractors: each maps a text to one float per character, describing
# the state after that character has been read.


def inside_double_quotes(text: str) -> np.ndarray:
    """1 inside a double-quoted string (quote marks included), else 0; backslash escapes skip."""
    values = np.zeros(len(text), dtype=np.float32)
    inside = escaped = False
    for i, ch in enumerate(text):
        if inside and escaped:
            escaped = False
        elif inside and ch == "\\":
            escaped = True
        elif ch == '"':
            inside = not inside
            values[i] = 1.0
            continue
        values[i] = float(inside)
    return values


def bracket_depth(text: str) -> np.ndarray:
    """Nesting depth of (), [] and {} after each character (never below 0)."""
    values = np.zeros(len(text), dtype=np.float32)
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        values[i] = depth
    return values


URL_PATTERN = re.compile(r"(?:https?|ftp)://[^\s<>\"')\]]+|www\.[^\s<>\"')\]]+")


def inside_url(text: str) -> np.ndarray:
    """1 on the characters of a URL (http://, https://, ftp:// or www.), else 0."""
    values = np.zeros(len(text), dtype=np.float32)
    for match in URL_PATTERN.finditer(text):
        values[match.start() : match.end()] = 1.0
    return values


def position_in_line(text: str) -> np.ndarray:
    """Column of each character within its line, counting from 0 (the newline resets it)."""
    values = np.zeros(len(text), dtype=np.float32)
    column = 0
    for i, ch in enumerate(text):
        values[i] = column
        column = 0 if ch == "\n" else column + 1
    return values


def inside_c_comment(text: str) -> np.ndarray:
    """1 inside a C comment (/* ... */ or // to the end of the line), else 0."""
    values = np.zeros(len(text), dtype=np.float32)
    for match in re.finditer(r"/\*.*?(?:\*/|\Z)|//[^\n]*", text, flags=re.DOTALL):
        values[match.start() : match.end()] = 1.0
    return values


MATH_PATTERN = re.compile(
    r"\$\$.*?\$\$|\$[^$]+\$|\\\[.*?\\\]|\\\(.*?\\\)"
    r"|\\begin\{(equation|align|gather|multline|displaymath)\*?\}.*?\\end\{\1\*?\}",
    flags=re.DOTALL,
)


def inside_latex_math(text: str) -> np.ndarray:
    """1 inside LaTeX math ($...$, $$...$$, \\[...\\], \\(...\\), equation-like environments)."""
    values = np.zeros(len(text), dtype=np.float32)
    for match in MATH_PATTERN.finditer(text):
        values[match.start() : match.end()] = 1.0
    return values


FEATURES: dict[str, Callable[[str], np.ndarray]] = {
    "inside quotes": inside_double_quotes,
    "bracket depth": bracket_depth,
    "inside a URL": inside_url,
    "position in line": position_in_line,
    "inside a C comment": inside_c_comment,
    "inside LaTeX math": inside_latex_math,
}


def correlations(activations: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson correlation of each cell's activation (T, N) with a feature (T,), as (N,).

    A constant cell or a constant feature correlates 0.
    """
    if activations.shape[0] != feature.shape[0]:
        raise ValueError("activations and feature must cover the same characters")
    centred = activations - activations.mean(axis=0)
    target = feature - feature.mean()
    denominator = np.sqrt((centred**2).sum(axis=0) * (target**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        result = (centred * target[:, None]).sum(axis=0) / denominator
    return np.nan_to_num(result, nan=0.0, posinf=0.0, neginf=0.0)


def best_cells(
    activations: np.ndarray, feature: np.ndarray, top: int = 5
) -> list[tuple[int, float]]:
    """Return the ``top`` cells by absolute correlation with the feature, as (index, r)."""
    r = correlations(activations, feature)
    order = np.argsort(-np.abs(r))[:top]
    return [(int(i), float(r[i])) for i in order]


# The strongest colour keeps this much white, so black text on it stays readable.
MIN_COLOUR_LEVEL = 90


def activation_colour(value: float) -> str:
    """Map an activation in [-1, 1] to a CSS colour: blue for negative, red for positive."""
    value = float(np.clip(value, -1.0, 1.0))
    strength = int(round(255 - (255 - MIN_COLOUR_LEVEL) * abs(value)))
    if value >= 0:
        return f"rgb(255,{strength},{strength})"
    return f"rgb({strength},{strength},255)"


def _visible_character(ch: str) -> str:
    """Return escaped HTML for one character; newlines show as a return arrow and a break."""
    if ch == "\n":
        return "\u21b5<br>"
    if ch == " ":
        return "&nbsp;"
    if ch == "\t":
        # One span per character, so a tab is shown as four spaces to keep indentation.
        return "&nbsp;" * 4
    return html.escape(ch)


def format_activation(value: float) -> str:
    return f"{value:+.2f}"


def activation_html(
    text: str,
    values: np.ndarray,
    colour: Callable[[float], str] = activation_colour,
    tooltip: Callable[[float], str] = format_activation,
) -> str:
    """Render text with each character's background set by its value, and escape all text.

    ``colour`` maps a value to a CSS colour, and ``tooltip`` maps it to the
    text shown on hover. The defaults show a cell activation in [-1, 1].
    """
    if len(text) != len(values):
        raise ValueError("text and values must have the same length")
    spans = []
    for ch, value in zip(text, values):
        title = html.escape(tooltip(value))
        spans.append(
            f'<span style="background:{html.escape(colour(value))}" title="{title}">'
            f"{_visible_character(ch)}</span>"
        )
    return (
        '<div class="neuron-text" style="font-family:monospace;line-height:1.6;'
        'word-break:break-all">' + "".join(spans) + "</div>"
    )


def encode_for_explorer(lm, text: str) -> tuple[str, list[int], list[str]]:
    """Check and encode an explorer text.

    Returns the text the model reads (look-alikes replaced, unknown characters
    dropped), its ids, and the dropped characters.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("Enter some text for the model to read.")
    if len(text) > MAX_EXPLORER_LENGTH:
        raise InvalidInputError(
            f"The text has {len(text)} characters; the explorer reads at most "
            f"{MAX_EXPLORER_LENGTH}."
        )
    encoded = lm.vocab.encode_lenient(text)
    if not encoded.ids:
        raise InvalidInputError("None of the text's characters are in the model's vocabulary.")
    return encoded.text, encoded.ids, encoded.dropped


def find_feature_cells(lm, text: str, feature_name: str, top: int = 8):
    """Run the model over ``text``; return (text read, activations, best cells, dropped chars).

    Raises InvalidInputError when the feature is constant over the text read,
    because every cell then correlates 0 and the ranking would mean nothing.
    """
    if feature_name not in FEATURES:
        raise InvalidInputError(
            f"Unknown feature {feature_name!r}. Choose one of: {', '.join(FEATURES)}."
        )
    read_text, ids, dropped = encode_for_explorer(lm, text)
    feature = FEATURES[feature_name](read_text)
    if np.ptp(feature) == 0:
        message = f"The feature '{feature_name}' does not change anywhere in the text"
        if dropped:
            shown = " ".join(dropped[:20])
            message += f" that the model reads: it dropped {shown}, which are not in its vocabulary"
        raise InvalidInputError(message + ". Try a text where the feature varies.")
    activations = cell_activations(lm.stepper_weights, ids)
    return read_text, activations, best_cells(activations, feature, top), dropped


# The survey: the best cells of a model for every feature, on its held-out text.

SURVEY_WINDOW_CHARS = 2000
SURVEY_MAX_CHARS = 20_000
SURVEY_TOP_CELLS = 3


def text_windows(text: str, window: int = SURVEY_WINDOW_CHARS) -> list[str]:
    """Cut a text into pieces of about ``window`` characters, each starting at a line start."""
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + window)
        if end < len(text):
            newline = text.rfind("\n", start + window // 2, end)
            end = newline + 1 if newline != -1 else end
        pieces.append(text[start:end])
        start = end
    return pieces


def survey_cells(
    lm,
    text: str,
    top: int = SURVEY_TOP_CELLS,
    window: int = SURVEY_WINDOW_CHARS,
    max_chars: int = SURVEY_MAX_CHARS,
) -> dict[str, dict]:
    """Rank every cell of ``lm`` against every feature on windows of ``text``.

    For each feature, the survey takes the windows of the text in which the
    feature varies, spread evenly over the text, up to ``max_chars``
    characters. The model reads each window from a fresh state. Returns ``{feature: {"cells":
    [[cell, r], ...], "chars": characters read}}``; a feature that never varies
    in the text is left out, because no correlation can be measured for it.
    """
    pieces = []
    for piece in text_windows(text, window):
        encoded = lm.vocab.encode_lenient(piece)
        if len(encoded.ids) > 1:
            pieces.append((encoded.text, encoded.ids))
    activations_of: dict[int, np.ndarray] = {}
    survey = {}
    for name, extract in FEATURES.items():
        varying = [i for i, (read, _) in enumerate(pieces) if np.ptp(extract(read)) > 0]
        if not varying:
            continue
        count = max(1, min(len(varying), max_chars // window))
        chosen = [varying[int(k * len(varying) / count)] for k in range(count)]
        for index in chosen:
            if index not in activations_of:
                activations_of[index] = cell_activations(lm.stepper_weights, pieces[index][1])
        activations = np.concatenate([activations_of[i] for i in chosen])
        feature = np.concatenate([extract(pieces[i][0]) for i in chosen])
        survey[name] = {
            "cells": [[cell, round(r, 3)] for cell, r in best_cells(activations, feature, top)],
            "chars": int(len(feature)),
        }
    return survey
