"""Read the IAM On-Line Handwriting Database (IAM-OnDB) when a user has a copy.

No package registry carries IAM-OnDB, so this module never downloads it: point
it at the folder where the database was unpacked. It reads two parts:

- ``lineStrokes/**/<form>-<NN>.xml``: one text line each, as
  ``StrokeSet/Stroke/Point`` elements with ``x``, ``y`` and ``time``
  attributes (tablet units, y growing downwards).
- ``ascii/**/<form>.txt``: the transcription of a form. The lines after
  ``CSR:`` are the text lines, and line i of that block belongs to
  ``<form>-<NN>.xml`` with NN = i + 1, zero-padded to two digits.

Writers come from the ``writerID`` attribute of ``Form`` elements in
``original/**/*.xml`` when that part is present, and are otherwise the form id.

NOTE: only a small made-up tree in this layout (tests/fixtures/iam_ondb) has
been read; the layout of ``original/`` in particular is unchecked against a
real copy.

Lines are returned in the representation of the synthetic lines of
playground.handwriting.synthetic: y-up strokes scaled to an x-height of about
1.0 with the body of the writing centred as in the synthetic lines, resampled
to a similar point spacing.
"""

import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from playground.handwriting.lines import LineSet
from playground.handwriting.strokes import (
    OFFSET_SCALE,
    HandwritingLine,
    flatten_strokes,
    resample_points,
    split_points,
    strokes_to_offsets,
)

logger = logging.getLogger(__name__)

# The interquartile range and median of the points' y in synthetic lines,
# whose x-height is 1.0: the medians over 1,200 lines of all six hands (seed 0).
# The IQR ranges from 0.63 (EMS Felix) to 0.81 (Hershey Cursive), so the
# x-height of a recorded line is only known to about 15 %.
SYNTHETIC_Y_IQR = 0.69
SYNTHETIC_Y_MEDIAN = 0.56
# Point spacing in x-heights: about the mean of the synthetic hands' spacings.
DEFAULT_SPACING = 0.2

LINE_FILE = re.compile(r"^(?P<form>.+)-(?P<line>\d{2})\.xml$")


def read_transcriptions(path: Path) -> list[str]:
    """Return the text lines of the ``CSR:`` block of one ``ascii`` file."""
    lines = path.read_text(encoding="latin-1").splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "CSR:")
    except StopIteration:
        raise ValueError(f"no 'CSR:' block in IAM-OnDB transcription {path}") from None
    block = lines[start + 1 :]
    # Blank lines around the block are layout, not text lines.
    while block and not block[0].strip():
        block.pop(0)
    while block and not block[-1].strip():
        block.pop()
    return [line.strip() for line in block]


def read_line_strokes(path: Path) -> list[np.ndarray]:
    """Read one ``lineStrokes`` file as float32 (N, 2) strokes in tablet units, y up."""
    root = ET.parse(path).getroot()
    strokes = []
    for stroke in root.iter("Stroke"):
        points = [(float(p.get("x")), -float(p.get("y"))) for p in stroke.iter("Point")]
        if points:
            strokes.append(np.asarray(points, dtype=np.float32))
    return strokes


def read_writers(root: Path) -> dict[str, str]:
    """Map form ids to writer ids from ``original/**/*.xml``, or return {} without that part."""
    writers = {}
    for path in sorted((root / "original").rglob("*.xml")):
        try:
            tree = ET.parse(path)
        except ET.ParseError as error:
            logger.warning("skipping unreadable IAM-OnDB file %s: %s", path, error)
            continue
        for form in tree.getroot().iter("Form"):
            form_id, writer = form.get("id"), form.get("writerID")
            if form_id and writer:
                writers[form_id] = writer
    return writers


def normalise_line(
    strokes: list[np.ndarray], scale: float, spacing: float | None
) -> list[np.ndarray]:
    """Scale a line's strokes, resample them at ``spacing`` (None keeps the points) and
    move them: leftmost ink at x = 0 and the median y where synthetic lines have it."""
    points, lengths = flatten_strokes(strokes)
    points = points * scale
    if spacing is not None:
        points, lengths = resample_points(points, lengths, spacing)
    points[:, 0] -= points[:, 0].min()
    points[:, 1] += SYNTHETIC_Y_MEDIAN - np.median(points[:, 1])
    return split_points(points, lengths)


def y_interquartile_range(strokes: list[np.ndarray]) -> float:
    points, _ = flatten_strokes(strokes)
    return float(np.subtract(*np.percentile(points[:, 1], [75, 25])))


def load_iam_ondb(root: Path, spacing: float | None = DEFAULT_SPACING) -> list[HandwritingLine]:
    """Read every transcribed line under ``root`` as a HandwritingLine, sorted by file name.

    A form's lines share one scale: SYNTHETIC_Y_IQR divided by the median of
    their y interquartile ranges, so a short line without ascenders does not
    come out larger than the rest. ``spacing`` resamples every stroke along a
    spline to that point spacing in x-heights; None keeps the recorded points.
    ``hand_id`` numbers the writers in sorted order. Raises FileNotFoundError
    when ``root`` has no ``lineStrokes`` or ``ascii`` folder.
    """
    root = Path(root)
    for part in ("lineStrokes", "ascii"):
        if not (root / part).is_dir():
            raise FileNotFoundError(f"IAM-OnDB folder {root} has no {part}/ folder")
    transcriptions = {path.stem: path for path in (root / "ascii").rglob("*.txt")}
    writers = read_writers(root)

    # Group line files by form, keeping those with a transcription line.
    forms: dict[str, list[tuple[str, list[np.ndarray]]]] = {}
    missing_text = 0
    texts_cache: dict[str, list[str]] = {}
    for path in sorted((root / "lineStrokes").rglob("*.xml")):
        match = LINE_FILE.match(path.name)
        if match is None:
            continue
        form, line_number = match["form"], int(match["line"])
        if form not in transcriptions:
            missing_text += 1
            continue
        if form not in texts_cache:
            texts_cache[form] = read_transcriptions(transcriptions[form])
        texts = texts_cache[form]
        if not 1 <= line_number <= len(texts):
            missing_text += 1
            continue
        strokes = read_line_strokes(path)
        if not strokes or not texts[line_number - 1]:
            missing_text += 1
            continue
        forms.setdefault(form, []).append((texts[line_number - 1], strokes))
    if missing_text:
        logger.info("skipped %d IAM-OnDB line files without strokes or text", missing_text)

    # One scale per form, from the median spread of its lines.
    scales = {}
    for form, form_lines in forms.items():
        spread = float(np.median([y_interquartile_range(strokes) for _, strokes in form_lines]))
        if spread > 0:
            scales[form] = SYNTHETIC_Y_IQR / spread
        else:
            logger.warning("skipping IAM-OnDB form %s: its lines have no height", form)

    writer_names = sorted({writers.get(form, form) for form in scales})
    writer_ids = {name: index for index, name in enumerate(writer_names)}
    lines = []
    for form, scale in scales.items():
        writer = writers.get(form, form)
        for text, strokes in forms[form]:
            strokes = normalise_line(strokes, scale, spacing)
            lines.append(HandwritingLine(strokes, text, writer_ids[writer], writer))
    logger.info("read %d IAM-OnDB lines of %d writers from %s", len(lines), len(writer_names), root)
    return lines


def load_iam_line_set(root: Path, spacing: float | None = DEFAULT_SPACING) -> LineSet:
    """Read IAM-OnDB as a line set: offsets divided by OFFSET_SCALE, one hand per writer."""
    lines = load_iam_ondb(root, spacing)
    if not lines:
        raise ValueError(f"no transcribed lines found in IAM-OnDB folder {root}")
    offsets = []
    for line in lines:
        line_offsets = strokes_to_offsets(line.strokes)
        line_offsets[:, :2] /= OFFSET_SCALE
        offsets.append(line_offsets)
    writer_names = sorted({line.writer for line in lines})
    metadata = {
        "source": "IAM On-Line Handwriting Database",
        "root": str(root),
        "lines": len(lines),
        "writers": len(writer_names),
        "spacing": spacing,
        "units": "offsets times offset_scale are x-heights (estimated); y points up",
    }
    return LineSet.from_lines(
        offsets,
        [line.text for line in lines],
        [line.hand_id for line in lines],
        writer_names,
        OFFSET_SCALE,
        metadata,
    )
