"""Synthetic handwriting: lines of real text written with single-stroke font hands.

Usage: python -m playground.handwriting.synthetic --out FILE --lines N --seed S

Glyphs from playground.handwriting.fonts are laid out into lines with the
variation that makes a font look written by hand. Each line gets its own
slant, size, stretch, baseline tilt and a small baseline wave. Each glyph gets
its own scale, rotation and offset jitter. Letter and word spacing vary, a
smooth elastic warp bends the whole line, and a little noise moves each point.
Glyphs whose exit and entry nearly meet are joined into one stroke, as a
writer would. Every stroke is then resampled along a spline to a fixed
arc-length spacing, calibrated per hand so that a line has about
POINTS_PER_CHAR points per character, pen lifts included.

The output file is a line set as playground.handwriting.lines defines it:
offsets divided by strokes.OFFSET_SCALE, each line's text and its hand id
(the hand's position in fonts.HANDS when all hands are used).
"""

import argparse
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from playground.data.packages import cache_dir
from playground.handwriting.fonts import HANDS, PRINTABLE_ASCII, Hand, load_hands
from playground.handwriting.lines import LineSet
from playground.handwriting.strokes import (
    OFFSET_SCALE,
    flatten_strokes,
    resample_points,
    split_points,
    strokes_to_offsets,
)

logger = logging.getLogger(__name__)

DATASET_FORMAT_VERSION = 1

# Points per character of text, spaces and pen lifts included. The attention
# window of the synthesis model starts out moving at this rate.
POINTS_PER_CHAR = 16.0
# Glyphs of neighbouring characters whose exit and entry points are closer
# than this (in x-heights) are written without lifting the pen.
JOIN_DISTANCE = 0.2
# Centre of rotation and scaling of a glyph: half its advance, half the x-height.
GLYPH_CENTRE_HEIGHT = 0.5

MIN_LINE_CHARS = 10
MAX_LINE_CHARS = 40
# Share of training lines built to cover digits, punctuation and capitals.
COVERAGE_FRACTION = 0.2

DEFAULT_CORPUS = Path("corpora") / "shakespeare" / "train.txt"


@dataclass(frozen=True)
class Augmentation:
    """How much each line and glyph varies. Lengths are in x-heights, angles in radians.

    Each ``*_std`` is the standard deviation of a normal draw. Sizes are drawn
    on a log scale, so 0.07 means about 7 % either way.
    """

    slant_std: float = 0.1
    line_scale_std: float = 0.07
    stretch_std: float = 0.06
    tilt_std: float = 0.015
    wave_amplitude: float = 0.08  # each line draws its wave height from 0 to this
    wave_length: tuple[float, float] = (5.0, 15.0)
    glyph_scale_std: float = 0.05
    glyph_rotation_std: float = 0.04
    glyph_shift_std: tuple[float, float] = (0.03, 0.04)
    letter_spacing_std: float = 0.05  # per line, on every advance
    glyph_spacing_std: float = 0.04  # per glyph, added to its advance
    word_spacing: tuple[float, float] = (0.8, 1.4)  # per line, times the space's advance
    warp_amplitude: float = 0.05
    warp_wave_length: tuple[float, float] = (2.0, 6.0)
    warp_waves: int = 3
    speed_std: float = 0.08  # per line, on the point spacing
    noise_std: float = 0.006


AUGMENTATION = Augmentation()

# Text of my own, used only to calibrate each hand's point spacing so that lines
# like the training lines get POINTS_PER_CHAR points per character. Like those
# lines, it mixes prose, a play's all-capital speaker names, and capitals,
# digits and punctuation.
CALIBRATION_TEXT = (
    "MARTHA: When the kettle began to sing, I set down my book and walked to the "
    "window. Rain had been falling since noon; the garden path was a river of mud. "
    "THOMAS: What of the letter? Is it still unopened? "
    'On 12/05/1987 at 4:30, Dr. Quinn paid $250 (cash) for "XZ-9" radios & [3] maps!'
)


# ---------------------------------------------------------------------------
# Hands prepared for fast layout


@dataclass
class PreparedGlyph:
    points: np.ndarray  # (P, 2) float64, all strokes one after another
    stroke_lengths: np.ndarray  # points per stroke
    advance: float


@dataclass
class PreparedHand:
    """A hand's glyphs as flat arrays, and the point spacing that gives POINTS_PER_CHAR."""

    name: str
    glyphs: dict[str, PreparedGlyph]
    spacing: float


# Keyed by id(hand). Each entry also keeps a reference to the hand, so that id
# cannot be reused by another object while the entry exists.
_prepared_cache: dict[int, tuple[Hand, PreparedHand]] = {}


def prepare_hand(hand: Hand) -> PreparedHand:
    """Return the hand's glyphs as flat arrays with its calibrated spacing (cached per hand)."""
    cached = _prepared_cache.get(id(hand))
    if cached is not None and cached[0] is hand:
        return cached[1]
    glyphs = {}
    for char, glyph in hand.glyphs.items():
        points, lengths = flatten_strokes(glyph.strokes)
        glyphs[char] = PreparedGlyph(points, lengths, float(glyph.advance))
    prepared = PreparedHand(hand.name, glyphs, spacing=1.0)
    prepared.spacing = calibrate_spacing(prepared, CALIBRATION_TEXT, POINTS_PER_CHAR)
    if len(_prepared_cache) > 64:
        _prepared_cache.clear()
    _prepared_cache[id(hand)] = (hand, prepared)
    return prepared


def calibrate_spacing(prepared: PreparedHand, text: str, points_per_char: float) -> float:
    """Find the point spacing at which the unaugmented ``text`` gets ``points_per_char``.

    Bisection on the spacing, because the point count of each stroke is rounded.
    """
    points, lengths = layout_glyphs(prepared, text, None, AUGMENTATION)
    target = points_per_char * len(text)
    low, high = 1e-3, 10.0
    for _ in range(40):
        middle = (low * high) ** 0.5
        _, new_lengths = resample_points(points, lengths, middle)
        if new_lengths.sum() > target:
            low = middle
        else:
            high = middle
    return float((low * high) ** 0.5)


# ---------------------------------------------------------------------------
# Writing one line


def check_text(text: str, hand: PreparedHand | Hand) -> None:
    """Raise ValueError if the text is empty or has characters that the hand cannot write."""
    if not text:
        raise ValueError("cannot write an empty line")
    unknown = sorted(set(text) - set(hand.glyphs))
    if unknown:
        raise ValueError(
            f"hand {hand.name!r} has no glyph for {''.join(unknown)!r}: "
            "use printable ASCII characters only"
        )


def layout_glyphs(
    prepared: PreparedHand,
    text: str,
    rng: np.random.Generator | None,
    augmentation: Augmentation,
) -> tuple[np.ndarray, np.ndarray]:
    """Place each character's glyph along the line, with per-glyph jitter when ``rng`` is set.

    Returns the points (P, 2) and stroke lengths of the line before any
    line-level change, joins or resampling. Glyphs of neighbouring characters
    whose exit and entry are within JOIN_DISTANCE become one stroke.
    """
    check_text(text, prepared)
    glyphs = [prepared.glyphs[char] for char in text]
    count = len(glyphs)
    advances = np.array([glyph.advance for glyph in glyphs])
    is_space = np.array([char == " " for char in text])

    # Per-glyph and per-line draws, all at once.
    if rng is None:
        glyph_scale = np.ones(count)
        rotation = np.zeros(count)
        shift = np.zeros((count, 2))
        letter_spacing, extra_spacing, word_spacing = 1.0, np.zeros(count), 1.0
    else:
        glyph_scale = np.exp(rng.normal(0.0, augmentation.glyph_scale_std, count))
        rotation = rng.normal(0.0, augmentation.glyph_rotation_std, count)
        shift = rng.normal(0.0, 1.0, (count, 2)) * np.array(augmentation.glyph_shift_std)
        letter_spacing = float(np.exp(rng.normal(0.0, augmentation.letter_spacing_std)))
        extra_spacing = rng.normal(0.0, augmentation.glyph_spacing_std, count)
        word_spacing = float(rng.uniform(*augmentation.word_spacing))

    widths = np.where(
        is_space,
        advances * word_spacing,
        advances * glyph_scale * letter_spacing + extra_spacing,
    )
    origins = np.concatenate([[0.0], np.cumsum(widths)[:-1]])

    inked = [index for index, glyph in enumerate(glyphs) if len(glyph.points)]
    if not inked:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    points = np.concatenate([glyphs[index].points for index in inked])
    lengths = np.concatenate([glyphs[index].stroke_lengths for index in inked])
    glyph_of_point = np.repeat(inked, [len(glyphs[index].points) for index in inked])
    glyph_of_stroke = np.repeat(inked, [len(glyphs[index].stroke_lengths) for index in inked])

    # Rotate and scale each glyph about its centre, then move it to its place.
    centre = np.stack([advances / 2, np.full(count, GLYPH_CENTRE_HEIGHT)], axis=1)[glyph_of_point]
    cos, sin = np.cos(rotation)[glyph_of_point], np.sin(rotation)[glyph_of_point]
    scale = glyph_scale[glyph_of_point]
    local = points - centre
    rotated = np.stack(
        [cos * local[:, 0] - sin * local[:, 1], sin * local[:, 0] + cos * local[:, 1]], axis=1
    )
    placed = (rotated + centre) * scale[:, None]
    placed[:, 0] += origins[glyph_of_point]
    placed += shift[glyph_of_point]

    return join_adjacent_glyphs(placed, lengths, glyph_of_stroke)


def join_adjacent_glyphs(
    points: np.ndarray, lengths: np.ndarray, glyph_of_stroke: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Merge a glyph's last stroke into the next glyph's first when they nearly meet."""
    if len(lengths) < 2:
        return points, lengths
    ends = np.cumsum(lengths) - 1
    gaps = np.linalg.norm(points[ends[:-1] + 1] - points[ends[:-1]], axis=1)
    next_glyph = glyph_of_stroke[1:] == glyph_of_stroke[:-1] + 1
    merge = next_glyph & (gaps < JOIN_DISTANCE)
    group = np.concatenate([[0], np.cumsum(~merge)])
    return points, np.bincount(group, weights=lengths).astype(np.int64)


def warp_line(
    points: np.ndarray, rng: np.random.Generator, augmentation: Augmentation
) -> np.ndarray:
    """Apply the per-line changes: size, stretch, slant, baseline tilt and wave, elastic warp."""
    x, y = points[:, 0].copy(), points[:, 1].copy()
    line_scale = float(np.exp(rng.normal(0.0, augmentation.line_scale_std)))
    stretch = float(np.exp(rng.normal(0.0, augmentation.stretch_std)))
    slant = float(rng.normal(0.0, augmentation.slant_std))
    x = (x + np.tan(slant) * y) * stretch

    # The baseline tilts a little and rises and falls in a slow wave.
    tilt = float(rng.normal(0.0, augmentation.tilt_std))
    amplitude = float(rng.uniform(0.0, augmentation.wave_amplitude))
    wave_length = float(rng.uniform(*augmentation.wave_length))
    phase = float(rng.uniform(0.0, 2 * np.pi))
    y = y + np.tan(tilt) * x + amplitude * np.sin(2 * np.pi * x / wave_length + phase)

    # A smooth displacement field: a few plane waves in random directions.
    count = augmentation.warp_waves
    directions = rng.uniform(0.0, 2 * np.pi, (2, count))
    lengths = rng.uniform(*augmentation.warp_wave_length, (2, count))
    phases = rng.uniform(0.0, 2 * np.pi, (2, count))
    amplitudes = rng.uniform(0.0, augmentation.warp_amplitude, (2, count))
    warped = []
    for axis in range(2):
        kx = np.cos(directions[axis]) / lengths[axis]
        ky = np.sin(directions[axis]) / lengths[axis]
        angle = 2 * np.pi * (np.outer(x, kx) + np.outer(y, ky)) + phases[axis]
        warped.append((amplitudes[axis] * np.sin(angle)).sum(axis=1))
    return np.stack([x + warped[0], y + warped[1]], axis=1) * line_scale


def render_line(
    hand: Hand | PreparedHand,
    text: str,
    rng: np.random.Generator | None = None,
    augment: bool = True,
    augmentation: Augmentation = AUGMENTATION,
) -> list[np.ndarray]:
    """Write ``text`` in ``hand`` and return its strokes: float32 (N, 2) arrays, y up.

    Units are x-heights, the baseline starts at y = 0 and the leftmost ink is
    at x = 0. With ``augment=False`` (or no ``rng``) the glyphs are placed as
    the font has them, with no variation and no noise, but still joined where
    they meet and resampled. A text of spaces only gives no strokes. Raises
    ValueError for an empty text or characters that the hand lacks.
    """
    prepared = hand if isinstance(hand, PreparedHand) else prepare_hand(hand)
    augment = augment and rng is not None
    points, lengths = layout_glyphs(prepared, text, rng if augment else None, augmentation)
    if len(lengths) == 0:
        return []
    spacing = prepared.spacing
    if augment:
        points = warp_line(points, rng, augmentation)
        spacing *= float(np.exp(rng.normal(0.0, augmentation.speed_std)))
    points, lengths = resample_points(points, lengths, spacing)
    if augment:
        points = points + rng.normal(0.0, augmentation.noise_std, points.shape)
    points[:, 0] -= points[:, 0].min()
    return split_points(points, lengths)


def line_to_example(strokes: list[np.ndarray], text: str, hand_id: int) -> dict:
    """Package one line for training: offsets divided by OFFSET_SCALE, text and hand id.

    The offsets follow strokes_to_offsets with the origin at (0, 0): row 0 is
    the first point's position relative to the line's left end on the baseline.
    """
    offsets = strokes_to_offsets(strokes)
    offsets[:, :2] /= OFFSET_SCALE
    return {"offsets": offsets, "text": text, "hand_id": int(hand_id)}


# ---------------------------------------------------------------------------
# Text


def read_corpus_words(paths: list[Path]) -> list[str]:
    """Read text files as one list of words, keeping printable ASCII only."""
    words = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        text = "".join(char if char in PRINTABLE_ASCII else " " for char in text)
        words.extend(text.split())
    return words


def default_corpus_paths() -> list[Path]:
    """Return the Shakespeare training text, building it in the data cache first if needed.

    Building it here, rather than falling back to coverage lines alone, keeps
    the same command from making a different line set on a fresh machine.
    """
    from playground.data.shakespeare import build_corpus

    path = cache_dir() / DEFAULT_CORPUS
    if not path.exists():
        logger.info("building the Shakespeare text in %s", path.parent)
        build_corpus(path.parent)
    return [path]


# Words of my own for lines that exercise capitals, digits and punctuation.
CAPITAL_WORDS = (
    "Anna Boston Carter December Edinburgh Friday Greta Harold Iceland July Kyoto London "
    "Monday Norway Oscar Paris Quebec Rome Sunday Tuesday Utah Vienna Wednesday Xavier "
    "Yorkshire Zurich Quentin Quiet Quite Xenon Xerox Zebra Zero Jazz OK NASA USA BBC"
).split()
PLAIN_WORDS = (
    "the and of to in is was for on that with as his her it at by from they we you "
    "this have had not but are were be one all there which when your can said an each "
    "make like time him into look two more write go see number way could people than "
    "first water been call who oil now find long down day did get come made may part "
    "quick brown fox jumps over lazy dog box jug quiz exact puzzle fizz maze zone"
).split()


def coverage_token(rng: np.random.Generator) -> str:
    """Draw a short token with digits or punctuation: a price, a time, a code, a quote."""
    number = int(rng.integers(0, 10_000))
    small = int(rng.integers(0, 100))
    word = str(rng.choice(PLAIN_WORDS))
    templates = [
        f"{number}",
        f"${small}.{int(rng.integers(0, 100)):02d}",
        f"{small}%",
        f"#{small}",
        f"{int(rng.integers(0, 24))}:{int(rng.integers(0, 60)):02d}",
        f"{int(rng.integers(1, 32))}/{int(rng.integers(1, 13))}/{int(rng.integers(1900, 2100))}",
        f"({word})",
        f"[{small}]",
        f"{{{word}}}",
        f"<{word}>",
        f'"{word}"',
        f"'{word}'",
        f"`{word}`",
        f"{word}@{str(rng.choice(PLAIN_WORDS))}",
        f"{word}_{small}",
        f"a+b={small}",
        f"{small}*{int(rng.integers(0, 10))}",
        f"x^{int(rng.integers(2, 10))}",
        f"~/{word}",
        f"C:\\{word}",
        f"{word}|{str(rng.choice(PLAIN_WORDS))}",
        f"{word}-{str(rng.choice(PLAIN_WORDS))}",
        f"{word}!",
        f"{word}?",
        f"{word};",
        f"{word},",
        f"{word}.",
        f"{small}&{int(rng.integers(0, 100))}",
        f"{small} > {int(rng.integers(0, 100))}",
        f"{small} < {int(rng.integers(0, 100))}",
    ]
    return templates[int(rng.integers(len(templates)))]


def coverage_line(rng: np.random.Generator, min_chars: int, max_chars: int) -> str:
    """Build a line of capitalised words, plain words and coverage tokens."""
    target = int(rng.integers(min_chars, max_chars + 1))
    parts: list[str] = []
    length = -1
    while True:
        kind = rng.random()
        if kind < 0.35:
            part = str(rng.choice(CAPITAL_WORDS))
        elif kind < 0.6:
            part = str(rng.choice(PLAIN_WORDS))
        else:
            part = coverage_token(rng)
        if length + 1 + len(part) > max_chars:
            if length >= min_chars:
                break
            continue
        parts.append(part)
        length += 1 + len(part)
        if length >= target:
            break
    return " ".join(parts)


def corpus_line(words: list[str], rng: np.random.Generator, min_chars: int, max_chars: int):
    """Cut a line of ``min_chars`` to ``max_chars`` characters from a random place in the text.

    Returns None when the words at that place cannot make such a line (a very
    long word), so the caller draws another place.
    """
    target = int(rng.integers(min_chars, max_chars + 1))
    index = int(rng.integers(len(words)))
    line = words[index]
    index += 1
    while index < len(words) and len(line) + 1 + len(words[index]) <= target:
        line += " " + words[index]
        index += 1
    if min_chars <= len(line) <= max_chars:
        return line
    return None


def training_sentences(
    num_lines: int,
    seed: int = 0,
    text_paths: list[Path] | None = None,
    min_chars: int = MIN_LINE_CHARS,
    max_chars: int = MAX_LINE_CHARS,
    coverage_fraction: float = COVERAGE_FRACTION,
) -> list[str]:
    """Return ``num_lines`` lines of text for training, the same for the same arguments.

    Most lines are cut from ``text_paths`` (default: the Shakespeare training
    text, see ``default_corpus_paths``) at word boundaries.
    ``coverage_fraction`` of them, and all of them when there is no text, mix
    capitalised words, plain words, numbers and punctuation, so every
    printable ASCII character is written often.
    """
    if min_chars < 1 or max_chars < min_chars:
        raise ValueError(f"invalid line length range {min_chars}..{max_chars}")
    paths = default_corpus_paths() if text_paths is None else [Path(p) for p in text_paths]
    words = read_corpus_words(paths) if paths else []
    if not words:
        logger.warning("no training text found; every line is a generated coverage line")
    rng = np.random.default_rng(seed)
    lines = []
    while len(lines) < num_lines:
        line = None
        if words and rng.random() >= coverage_fraction:
            for _ in range(20):
                line = corpus_line(words, rng, min_chars, max_chars)
                if line is not None:
                    break
        if line is None:
            line = coverage_line(rng, min_chars, max_chars)
        lines.append(line)
    return lines


def held_out_sentences() -> list[str]:
    """Return fixed phrases, written for this benchmark, for judging legibility.

    None of them occurs in the Shakespeare training text. They use lowercase
    and capital letters, digits and common punctuation, in 10 to 40 characters.
    """
    return list(HELD_OUT_SENTENCES)


HELD_OUT_SENTENCES = (
    "Please send the report by Friday.",
    "My train leaves at 7:45 tomorrow.",
    "We planted tomatoes in the back yard.",
    "The printer on floor 3 is broken again.",
    "Call me when you get home safely.",
    "Buy milk, eggs, bread and coffee.",
    "The meeting moved to room 214.",
    "She parked the bicycle near the gate.",
    "Our flight was delayed by two hours.",
    "Remember to water the plants.",
    "The museum opens at nine on Sundays.",
    "Thanks for the lovely birthday card!",
    "How many cups of flour do we need?",
    "The recipe needs 250 grams of sugar.",
    "He fixed the leaking kitchen tap.",
    "Turn left after the second bridge.",
    "The library closes early in August.",
    "Do you want tea or hot chocolate?",
    "The score was 3 to 1 at half time.",
    "Jenny found her keys under the sofa.",
    "Pack a sweater, it gets cold at night.",
    "The bus to Oxford runs every hour.",
    "Weather: sunny with light winds.",
    "Invoice 5821 is due on 12 March.",
    "Her laptop battery lasts six hours.",
    "Zoe and Max went hiking in Wales.",
    "The quiz starts at 8 pm sharp.",
    "Keep the receipt for the warranty.",
    "Our neighbours adopted a small puppy.",
    "The soup tastes better the next day.",
    "Please close the window before you go.",
    "I left a note on the fridge door.",
    "The garden gate squeaks in the wind.",
    "Can you pick up the kids at four?",
    "The new phone has a cracked screen.",
    "Mix the paint with a little water.",
    "Lunch is at noon in the cafeteria.",
    "The cat sleeps on the warm radiator.",
    "Their wedding is on 6 June 2027.",
    "Return the books to the front desk.",
    "Xavier plays the violin every evening.",
    "The ferry crossing took 40 minutes.",
    "Quiet please, exams in progress.",
    "The bakery sells fresh bagels daily.",
    "My password expired again (sigh).",
    "We need a plumber for the bathroom.",
    "Check the oil before a long drive.",
    "The kids built a snowman in the park.",
    "Email: help@example.org for support.",
    "The total came to $18.75 with tax.",
    "Grandma knitted me a green scarf.",
    "The concert tickets sold out quickly.",
    "Please sign and date the form below.",
    "A heavy storm knocked down the fence.",
    "Vote for the new playground design!",
    "Try the blue door if the bell fails.",
    "The dentist appointment is Tuesday.",
    "Add 2 tsp of salt and stir well.",
    "The elevator is out of order today.",
    "Jack bought a used van last winter.",
    "The lamp in the hallway flickers.",
    "We watched the sunset from the pier.",
    "Bring your own cup to the picnic.",
    "Ivy painted the shed a pale yellow.",
)


# ---------------------------------------------------------------------------
# Dataset


def build_dataset(
    out_path: Path,
    num_lines: int,
    seed: int = 0,
    hands: list[Hand] | None = None,
    sentences: list[str] | None = None,
    augmentation: Augmentation = AUGMENTATION,
    progress: bool = False,
) -> dict:
    """Write ``num_lines`` synthetic lines to ``out_path`` as a line set; return its metadata.

    Line i is ``sentences[i % len(sentences)]`` written with a random generator
    seeded by ``(seed, i)``, so the file is the same for the same arguments and
    any one line can be recreated alone. The hands take turns, shifted by one
    each time the sentences repeat, so a repeated sentence gets another hand.
    Hand ids are positions in ``hands``, which default to all of fonts.HANDS.
    """
    if num_lines < 1:
        raise ValueError(f"num_lines must be at least 1, not {num_lines}")
    hands = load_hands() if hands is None else hands
    if not hands:
        raise ValueError("build_dataset needs at least one hand")
    sentences = training_sentences(num_lines, seed) if sentences is None else sentences
    if not sentences:
        raise ValueError("build_dataset needs at least one sentence")
    prepared = [prepare_hand(hand) for hand in hands]

    started = time.perf_counter()
    lines, texts, hand_ids = [], [], []
    for index in tqdm(range(num_lines), desc="lines", unit="line", disable=not progress):
        rng = np.random.default_rng([seed, index])
        hand_index = (index + index // len(sentences)) % len(hands)
        text = sentences[index % len(sentences)]
        strokes = render_line(prepared[hand_index], text, rng, augmentation=augmentation)
        if not strokes:
            raise ValueError(f"sentence {index % len(sentences)} ({text!r}) has nothing to write")
        lines.append(line_to_example(strokes, text, hand_index)["offsets"])
        texts.append(text)
        hand_ids.append(hand_index)
    seconds = time.perf_counter() - started

    line_set = LineSet.from_lines(
        lines, texts, hand_ids, [hand.name for hand in hands], OFFSET_SCALE
    )
    del lines  # the line set has its own concatenated copy
    all_points = line_set.points_array
    total_chars = sum(len(text) for text in texts)
    metadata = {
        "format_version": DATASET_FORMAT_VERSION,
        "generator": "playground.handwriting.synthetic",
        "seed": seed,
        "lines": num_lines,
        "points": int(len(all_points)),
        "characters": total_chars,
        "points_per_char": round(len(all_points) / total_chars, 3),
        "offset_scale": OFFSET_SCALE,
        "offset_std": [round(float(v), 4) for v in all_points[:, :2].std(axis=0)],
        "pen_lifts_per_char": round(float(all_points[:, 2].sum()) / total_chars, 3),
        "units": "offsets times offset_scale are x-heights; y points up",
        "hands": [
            {
                "id": index,
                "name": hand.name,
                "spacing": round(prepared[index].spacing, 5),
                "source": hand.source,
                "borrowed": hand.borrowed,
            }
            for index, hand in enumerate(hands)
        ],
        "packages": sorted(
            {
                f"{hand.source.get('registry')} {hand.source.get('package')} "
                f"{hand.source.get('version')}"
                for hand in hands
            }
        ),
        "augmentation": asdict(augmentation),
        "points_per_char_target": POINTS_PER_CHAR,
        "render_seconds": round(seconds, 2),
    }
    line_set.metadata = metadata
    line_set.save(out_path)
    return metadata


def log_dataset(out_path: Path, metadata: dict) -> None:
    """Log the statistics of a dataset that build_dataset has written."""
    seconds = max(metadata["render_seconds"], 1e-9)
    logger.info(
        "wrote %s: %d lines of %.1f characters on average, %d points, "
        "%.2f points per character, %.3f pen lifts per character",
        out_path,
        metadata["lines"],
        metadata["characters"] / metadata["lines"],
        metadata["points"],
        metadata["points_per_char"],
        metadata["pen_lifts_per_char"],
    )
    logger.info(
        "offset std (dx, dy) in model units: %.3f, %.3f (offset_scale %.3g x-heights); "
        "rendered in %.1f s, %.0f lines/s",
        *metadata["offset_std"],
        metadata["offset_scale"],
        metadata["render_seconds"],
        metadata["lines"] / seconds,
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=cache_dir() / "handwriting" / "lines.npz",
        help="output line set (.npz); default %(default)s",
    )
    parser.add_argument(
        "--lines", type=int, default=50_000, help="number of lines to write (default %(default)s)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed for text and variation (default %(default)s)",
    )
    parser.add_argument(
        "--hands",
        default=None,
        help="comma-separated hand names (default: all of "
        + ", ".join(spec.name for spec in HANDS)
        + "); hand ids follow this order",
    )
    parser.add_argument(
        "--text",
        type=Path,
        nargs="+",
        default=None,
        help="UTF-8 text files to cut lines from (default: the Shakespeare training text, "
        "built in the data cache when missing)",
    )
    parser.add_argument(
        "--min-chars",
        type=int,
        default=MIN_LINE_CHARS,
        help="minimum line length in characters (default %(default)s)",
    )
    parser.add_argument(
        "--max-chars",
        type=int,
        default=MAX_LINE_CHARS,
        help="maximum line length in characters (default %(default)s)",
    )
    parser.add_argument(
        "--coverage-fraction",
        type=float,
        default=COVERAGE_FRACTION,
        help="share of lines built from capitals, digits and punctuation (default %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.lines < 1:
        parser.error(f"--lines must be at least 1, not {args.lines}")
    if not 1 <= args.min_chars <= args.max_chars:
        parser.error(
            f"invalid line lengths: --min-chars {args.min_chars} --max-chars {args.max_chars}"
        )
    if not 0.0 <= args.coverage_fraction <= 1.0:
        parser.error(f"--coverage-fraction must be in [0, 1], not {args.coverage_fraction}")
    names = [name.strip() for name in args.hands.split(",")] if args.hands else None
    known = {spec.name for spec in HANDS}
    unknown = [name for name in names or [] if name not in known]
    if unknown:
        parser.error(f"unknown hands {unknown}; choose from {sorted(known)}")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    hands = load_hands(names)
    sentences = training_sentences(
        args.lines,
        args.seed,
        text_paths=args.text,
        min_chars=args.min_chars,
        max_chars=args.max_chars,
        coverage_fraction=args.coverage_fraction,
    )
    metadata = build_dataset(args.out, args.lines, args.seed, hands, sentences, progress=True)
    log_dataset(args.out, metadata)
    return metadata


if __name__ == "__main__":
    main()
