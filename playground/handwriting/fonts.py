"""Single-stroke fonts used as handwriting "hands": fetch, parse and normalise them.

Two packages carry fonts whose glyphs are pen paths rather than outlines:

- npm ``hersheytext`` 2.0.0: ``package/svg_fonts/*.svg``, SVG fonts (EMS fonts
  under the SIL Open Font License and the Hershey fonts, MIT package). Each
  ``<glyph>`` has a ``d`` path in font units, y up, baseline at y = 0.
- Debian ``hershey-fonts-data``: ``/usr/share/hershey-fonts/*.jhf``, the
  Hershey fonts in JHF text form (y down, coordinates relative to the glyph
  centre).

Every hand is rescaled so that its x-height is 1.0 and its baseline is y = 0,
so all hands write at the same size. Strokes that touch (or that start on the
previous stroke, which the pen can run back along) are joined, and strokes
that a font draws right to left (or straight up) are reversed, so the pen moves
as a right-handed writer's would. Nothing here runs when the app starts: only
the dataset builder and the tests call it.
"""

import logging
import re
import subprocess
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from playground.data.packages import FetchedPackage, cache_dir, fetch_deb, file_sha256

logger = logging.getLogger(__name__)

PRINTABLE_ASCII = "".join(chr(code) for code in range(32, 127))

HERSHEYTEXT_PACKAGE = "hersheytext"
HERSHEYTEXT_VERSION = "2.0.0"
HERSHEY_DEB_PACKAGE = "hershey-fonts-data"

# Hershey glyphs put the baseline 9 units below the glyph centre (y down): the
# bottoms of 'x', 'n' and 'H' in futural.jhf and scripts.jhf sit at y = 9.
HERSHEY_BASELINE = 9
# Lowercase letters whose tops and bottoms mark the x-height and the baseline.
X_HEIGHT_LETTERS = "xzuvwnm"
# Segments per cubic Bézier curve when flattening SVG paths. The synthetic
# lines are resampled along a spline afterwards, so a coarse polyline is enough.
CURVE_SEGMENTS = 8

# In x-height units, after normalisation.
JOIN_TOLERANCE = 0.03
# A stroke that starts on the previous stroke, at most this far from its end,
# continues it: the pen runs back along the line (the second stem of an 'n'
# drawn from partway up the first) instead of being lifted.
MAX_RETRACE = 0.75
DIRECTION_THRESHOLD = 0.1
# A stroke that lies entirely more than this far left or right of its glyph's
# advance box is a font error, so it is dropped. EMS Elfin's ';' has a stray
# copy of its dot about 8 x-heights to the right.
STRAY_MARGIN = 2.0
# A stroke whose chord is shorter than this share of its length is mostly loops,
# so its chord does not show which way the pen moved.
MIN_CHORD_RATIO = 0.25


@dataclass
class Glyph:
    """One character: pen strokes as float32 (N, 2) arrays, y up, baseline at y = 0.

    The glyph's origin is the pen position before it is drawn, and ``advance``
    is how far the pen moves to the right afterwards.
    """

    strokes: list[np.ndarray]
    advance: float


@dataclass
class Font:
    """A parsed font in its own units, with the file it came from."""

    name: str
    glyphs: dict[str, Glyph]
    source: dict = field(default_factory=dict)


@dataclass(frozen=True)
class HandSpec:
    """The source of a hand: a font file inside one of the two font packages."""

    name: str
    package: str
    path: str
    description: str
    # Characters that the font has but draws badly, taken from FALLBACK_ORDER instead.
    replaced: str = ""


@dataclass
class Hand:
    """A normalised font ready for writing: x-height 1.0, baseline at y = 0.

    ``borrowed`` maps each character that the font lacks, or that its spec
    replaces, to the hand its glyph was copied from.
    """

    name: str
    glyphs: dict[str, Glyph]
    source: dict
    borrowed: dict[str, str] = field(default_factory=dict)


SVG_FONTS = "package/svg_fonts"
JHF_FONTS = "usr/share/hershey-fonts"

# The position of a hand in this tuple is the hand id that the synthesis model
# is conditioned on: append new hands at the end and never reorder.
HANDS: tuple[HandSpec, ...] = (
    HandSpec(
        "EMS Readability Italic",
        HERSHEYTEXT_PACKAGE,
        f"{SVG_FONTS}/EMSReadabilityItalic.svg",
        "neat italic print",
    ),
    HandSpec("EMS Tech", HERSHEYTEXT_PACKAGE, f"{SVG_FONTS}/EMSTech.svg", "technical print"),
    HandSpec("EMS Elfin", HERSHEYTEXT_PACKAGE, f"{SVG_FONTS}/EMSElfin.svg", "rounded print"),
    HandSpec("EMS Felix", HERSHEYTEXT_PACKAGE, f"{SVG_FONTS}/EMSFelix.svg", "italic print"),
    HandSpec("EMS Allure", HERSHEYTEXT_PACKAGE, f"{SVG_FONTS}/EMSAllure.svg", "joined script"),
    # The script letters of Hershey Script 1-stroke with single-line digits and
    # punctuation, which the SVG "Hershey Script 1-stroke" draws with doubled
    # lines. Its brackets, braces and tilde are still doubled, so they are replaced.
    HandSpec(
        "Hershey Cursive",
        HERSHEY_DEB_PACKAGE,
        f"{JHF_FONTS}/cursive.jhf",
        "joined script",
        replaced="[]{}~",
    ),
)

# A hand that lacks a printable ASCII character borrows it from the first hand
# here that has it. Print hands come first because their punctuation is plain.
FALLBACK_ORDER = ("EMS Readability Italic", "EMS Tech")


# ---------------------------------------------------------------------------
# Fetching


def fetch_npm_package(name: str, version: str, root: Path | None = None) -> FetchedPackage:
    """Download ``name@version`` with ``npm pack`` (once) and unpack the tarball into the cache."""
    folder_name = name.replace("/", "+")
    root = (root or cache_dir()) / "packages" / f"npm-{folder_name}-{version}"
    download_dir = root / "download"
    unpacked = root / "unpacked"
    archives = sorted(download_dir.glob("*.tgz")) if download_dir.exists() else []
    if not archives:
        download_dir.mkdir(parents=True, exist_ok=True)
        logger.info("downloading npm package %s@%s into %s", name, version, download_dir)
        command = ["npm", "pack", "--loglevel=error", "--ignore-scripts", f"{name}@{version}"]
        try:
            result = subprocess.run(command, cwd=download_dir, capture_output=True, text=True)
        except FileNotFoundError as error:
            raise RuntimeError(
                f"npm pack {name}@{version} failed because npm is not installed ({error}). "
                "Install it with 'apt-get install npm'."
            ) from error
        archives = sorted(download_dir.glob("*.tgz"))
        if result.returncode != 0 or not archives:
            raise RuntimeError(
                f"npm pack {name}@{version} failed (exit {result.returncode}): "
                f"{result.stderr.strip()[-2000:]}"
            )
    archive = archives[0]
    marker = unpacked / ".complete"
    if not marker.exists():
        logger.info("unpacking %s", archive.name)
        unpacked.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive, "r:gz") as tar:
            # The "data" filter rejects absolute paths, links out of the folder and devices.
            tar.extractall(unpacked, filter="data")
        marker.touch()
    return FetchedPackage(name, version, archive, file_sha256(archive), unpacked, registry="npm")


def fetch_font_package(package: str, root: Path | None = None) -> FetchedPackage:
    """Fetch one of the two font packages that HANDS names."""
    if package == HERSHEYTEXT_PACKAGE:
        return fetch_npm_package(HERSHEYTEXT_PACKAGE, HERSHEYTEXT_VERSION, root)
    if package == HERSHEY_DEB_PACKAGE:
        return fetch_deb(HERSHEY_DEB_PACKAGE, root)
    raise ValueError(
        f"unknown font package {package!r}: expected {HERSHEYTEXT_PACKAGE!r} "
        f"or {HERSHEY_DEB_PACKAGE!r}"
    )


# ---------------------------------------------------------------------------
# SVG fonts

# A path command letter, or a number such as "-12", "3.5", ".5" or "1e-3".
_PATH_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# How many numbers each supported path command takes.
_PATH_ARITY = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "Z": 0}


def _cubic_points(p0, p1, p2, p3, segments: int) -> list[tuple[float, float]]:
    t = np.linspace(0.0, 1.0, segments + 1)[1:, None]
    curve = (
        (1 - t) ** 3 * np.asarray(p0)
        + 3 * (1 - t) ** 2 * t * np.asarray(p1)
        + 3 * (1 - t) * t**2 * np.asarray(p2)
        + t**3 * np.asarray(p3)
    )
    return [tuple(point) for point in curve]


def parse_svg_path(d: str, curve_segments: int = CURVE_SEGMENTS) -> list[np.ndarray]:
    """Convert SVG path data into strokes: one float32 (N, 2) polyline per subpath.

    Supports M, L, H, V, C, S, Q and Z in absolute and relative (lowercase)
    form, including numbers that repeat the previous command. Curves are
    flattened into ``curve_segments`` straight pieces. Coordinates are kept as
    they are (SVG fonts are y up already).
    """
    tokens = _PATH_TOKEN.findall(d)
    strokes: list[list[tuple[float, float]]] = []
    current = (0.0, 0.0)
    subpath_start = current
    last_control = None  # second control point of the previous C or S, for S
    command = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.isalpha():
            command = token
            i += 1
            if command.upper() not in _PATH_ARITY:
                raise ValueError(f"unsupported SVG path command {command!r} in {d[:80]!r}")
            if command.upper() == "Z":
                if strokes and strokes[-1] and strokes[-1][-1] != subpath_start:
                    strokes[-1].append(subpath_start)
                current = subpath_start
                last_control = None
                continue
        elif command is None:
            raise ValueError(f"SVG path data must start with a command: {d[:80]!r}")
        upper = command.upper()
        relative = command.islower()
        arity = _PATH_ARITY[upper]
        if upper != "M" and not strokes:
            raise ValueError(f"SVG path data must start with M: {d[:80]!r}")
        if arity == 0:
            raise ValueError(f"number after Z in SVG path data {d[:80]!r}")
        numbers = tokens[i : i + arity]
        if len(numbers) < arity or any(number.isalpha() for number in numbers):
            raise ValueError(f"{command} needs {arity} numbers in SVG path data {d[:80]!r}")
        values = [float(number) for number in numbers]
        i += arity
        x0, y0 = current
        if upper in ("H", "V"):
            if upper == "H":
                current = (values[0] + (x0 if relative else 0.0), y0)
            else:
                current = (x0, values[0] + (y0 if relative else 0.0))
            strokes[-1].append(current)
            last_control = None
            continue
        # Pairs of coordinates, made absolute.
        points = [
            (values[k] + (x0 if relative else 0.0), values[k + 1] + (y0 if relative else 0.0))
            for k in range(0, arity, 2)
        ]
        if upper == "M":
            current = subpath_start = points[0]
            strokes.append([current])
            # Further pairs after an M are implicit line-tos.
            command = "l" if relative else "L"
            last_control = None
        elif upper == "L":
            current = points[0]
            strokes[-1].append(current)
            last_control = None
        elif upper == "C":
            strokes[-1].extend(_cubic_points(current, *points, curve_segments))
            last_control, current = points[1], points[2]
        elif upper == "S":
            # The first control point mirrors the previous curve's second one.
            if last_control is None:
                first = current
            else:
                first = (2 * x0 - last_control[0], 2 * y0 - last_control[1])
            strokes[-1].extend(_cubic_points(current, first, *points, curve_segments))
            last_control, current = points[0], points[1]
        elif upper == "Q":
            # A quadratic curve is the cubic with control points 2/3 of the way to its one.
            control, end = points
            first = (x0 + 2 / 3 * (control[0] - x0), y0 + 2 / 3 * (control[1] - y0))
            second = (
                end[0] + 2 / 3 * (control[0] - end[0]),
                end[1] + 2 / 3 * (control[1] - end[1]),
            )
            strokes[-1].extend(_cubic_points(current, first, second, end, curve_segments))
            current = end
            last_control = None
    return [np.asarray(stroke, dtype=np.float32) for stroke in strokes if stroke]


def parse_svg_font(path: Path) -> Font:
    """Read an SVG font file: every single-character ``<glyph>`` with its path and advance."""
    path = Path(path)
    root = ET.parse(path).getroot()
    font_element = next((el for el in root.iter() if el.tag.endswith("}font")), None)
    if font_element is None:
        raise ValueError(f"no <font> element in {path}")
    default_advance = float(font_element.get("horiz-adv-x", "0"))
    face = next((el for el in font_element if el.tag.endswith("}font-face")), None)
    name = path.stem
    units_per_em = 1000.0
    if face is not None:
        name = face.get("font-family", name)
        units_per_em = float(face.get("units-per-em", units_per_em))
    glyphs = {}
    for element in font_element:
        if not element.tag.endswith("}glyph"):
            continue
        char = element.get("unicode")
        # Ligatures ("fi") have several characters and are never looked up.
        if char is None or len(char) != 1:
            continue
        advance = float(element.get("horiz-adv-x", default_advance))
        strokes = parse_svg_path(element.get("d", ""))
        glyphs[char] = Glyph(strokes=strokes, advance=advance)
    if not glyphs:
        raise ValueError(f"no glyphs found in SVG font {path}")
    source = {"file": path.name, "format": "SVG font", "units_per_em": units_per_em}
    return Font(name=name, glyphs=glyphs, source=source)


# ---------------------------------------------------------------------------
# Hershey JHF fonts


def read_jhf_records(text: str) -> list[str]:
    """Split JHF text into glyph records, joining records that wrap across lines.

    A record is a 5-column glyph number, a 3-column vertex count and then two
    characters per vertex, so its length is known from its first 8 columns.
    """
    records = []
    pending = ""
    for line in text.splitlines():
        if not pending and not line.strip():
            continue
        pending += line
        if len(pending) < 8:
            continue
        try:
            count = int(pending[5:8])
        except ValueError as error:
            raise ValueError(f"invalid JHF vertex count in record {pending[:40]!r}") from error
        needed = 8 + 2 * count
        if len(pending) >= needed:
            records.append(pending[:needed])
            pending = ""
    if pending.strip():
        raise ValueError(f"truncated JHF record at end of file: {pending[:40]!r}")
    return records


def parse_jhf_record(record: str, baseline: float = HERSHEY_BASELINE) -> Glyph:
    """Decode one JHF record into a glyph: y flipped to point up, origin at the left bound.

    Each coordinate is a character's offset from 'R'. The first pair is the
    left and right bound of the glyph, and the pair " R" lifts the pen.
    """
    pairs = [record[k : k + 2] for k in range(8, len(record), 2)]
    if not pairs:
        raise ValueError(f"JHF record without bounds: {record[:40]!r}")
    left = ord(pairs[0][0]) - ord("R")
    right = ord(pairs[0][1]) - ord("R")
    strokes: list[list[tuple[float, float]]] = [[]]
    for pair in pairs[1:]:
        if pair == " R":
            strokes.append([])
            continue
        x = ord(pair[0]) - ord("R") - left
        y = baseline - (ord(pair[1]) - ord("R"))
        strokes[-1].append((x, y))
    arrays = [np.asarray(stroke, dtype=np.float32) for stroke in strokes if stroke]
    return Glyph(strokes=arrays, advance=float(right - left))


def parse_jhf(path: Path, first_char: str = " ") -> Font:
    """Read a Hershey JHF font, mapping the i-th record to ``chr(ord(first_char) + i)``.

    The ASCII fonts of Debian ``hershey-fonts-data`` (scripts.jhf,
    cursive.jhf, futural.jhf and others) contain 96 records in ASCII order
    from the space, so record i is ``chr(32 + i)``. Records past '~' are dropped.
    """
    path = Path(path)
    records = read_jhf_records(path.read_text(encoding="latin-1"))
    glyphs = {}
    for index, record in enumerate(records):
        char = chr(ord(first_char) + index)
        if char > "~":
            break
        glyphs[char] = parse_jhf_record(record)
    if not glyphs:
        raise ValueError(f"no glyphs found in JHF font {path}")
    source = {"file": path.name, "format": "Hershey JHF"}
    return Font(name=path.stem, glyphs=glyphs, source=source)


# ---------------------------------------------------------------------------
# Normalisation


def measure_x_height(font: Font) -> float:
    """Return the median height of the tops of x-height letters above the baseline."""
    tops = [
        max(float(stroke[:, 1].max()) for stroke in font.glyphs[char].strokes)
        for char in X_HEIGHT_LETTERS
        if char in font.glyphs and font.glyphs[char].strokes
    ]
    if not tops:
        raise ValueError(f"font {font.name!r} has none of {X_HEIGHT_LETTERS!r} to measure")
    return float(np.median(tops))


def distance_to_polyline(point: np.ndarray, polyline: np.ndarray) -> float:
    """Return the shortest distance from a point to a polyline of (N, 2) points."""
    if len(polyline) == 1:
        return float(np.linalg.norm(point - polyline[0]))
    starts, ends = polyline[:-1], polyline[1:]
    segments = ends - starts
    lengths_squared = np.maximum((segments**2).sum(axis=1), 1e-12)
    t = np.clip(((point - starts) * segments).sum(axis=1) / lengths_squared, 0.0, 1.0)
    nearest = starts + t[:, None] * segments
    return float(np.sqrt(((nearest - point) ** 2).sum(axis=1)).min())


def join_touching_strokes(
    strokes: list[np.ndarray], tolerance: float, max_retrace: float
) -> list[np.ndarray]:
    """Join consecutive strokes where a writer would not lift the pen.

    A stroke continues the previous one when it starts where that one ends,
    or when it starts on that one's line no more than ``max_retrace`` from its
    end (the pen runs back along the line). A stroke that ends where the
    previous one ends, such as the second arm of a V drawn from its top, is
    reversed and continues it.
    """
    joined: list[np.ndarray] = []
    for stroke in strokes:
        if joined:
            previous = joined[-1]
            gap = float(np.linalg.norm(stroke[0] - previous[-1]))
            if gap <= tolerance:
                joined[-1] = np.concatenate([previous, stroke[1:]])
                continue
            if gap <= max_retrace and distance_to_polyline(stroke[0], previous) <= tolerance:
                joined[-1] = np.concatenate([previous, stroke])
                continue
            if len(stroke) > 1 and np.linalg.norm(stroke[-1] - previous[-1]) <= tolerance:
                joined[-1] = np.concatenate([previous, stroke[::-1][1:]])
                continue
        joined.append(stroke)
    return joined


def orient_stroke(stroke: np.ndarray, threshold: float) -> np.ndarray:
    """Reverse a stroke drawn against a right-handed writer's direction.

    A mostly horizontal stroke whose end lies more than ``threshold`` left of
    its start is reversed, and so is a mostly vertical stroke that rises by
    more than ``threshold`` (an 'S' or 'c' drawn from its bottom end). Loopy
    strokes, whose chord is under MIN_CHORD_RATIO of their length, are kept.
    """
    if len(stroke) < 2:
        return stroke
    dx, dy = (stroke[-1] - stroke[0]).tolist()
    length = float(np.linalg.norm(np.diff(stroke, axis=0), axis=1).sum())
    if np.hypot(dx, dy) < MIN_CHORD_RATIO * length:
        return stroke
    backwards = dx < -threshold if abs(dx) >= abs(dy) else dy > threshold
    return stroke[::-1].copy() if backwards else stroke


def is_stray_stroke(stroke: np.ndarray, advance: float, margin: float) -> bool:
    """Return whether a stroke lies wholly more than ``margin`` outside ``[0, advance]`` in x."""
    return bool(stroke[:, 0].min() > advance + margin or stroke[:, 0].max() < -margin)


def normalise_font(font: Font, x_height: float = 1.0) -> dict[str, Glyph]:
    """Scale a font to the given x-height, drop stray strokes, join touching strokes and
    orient each stroke."""
    scale = x_height / measure_x_height(font)
    glyphs = {}
    for char, glyph in font.glyphs.items():
        advance = glyph.advance * scale
        strokes = [np.asarray(stroke * scale, dtype=np.float32) for stroke in glyph.strokes]
        kept = [s for s in strokes if not is_stray_stroke(s, advance, STRAY_MARGIN * x_height)]
        if len(kept) < len(strokes):
            logger.info(
                "%s: dropped %d stray stroke(s) of %r", font.name, len(strokes) - len(kept), char
            )
        strokes = join_touching_strokes(kept, JOIN_TOLERANCE * x_height, MAX_RETRACE * x_height)
        strokes = [orient_stroke(stroke, DIRECTION_THRESHOLD * x_height) for stroke in strokes]
        glyphs[char] = Glyph(strokes=strokes, advance=advance)
    return glyphs


def missing_characters(glyphs: dict[str, Glyph], characters: str = PRINTABLE_ASCII) -> str:
    """Return the characters that have no glyph; the space needs only an advance."""
    missing = []
    for char in characters:
        glyph = glyphs.get(char)
        if glyph is None or (char != " " and not glyph.strokes):
            missing.append(char)
    return "".join(missing)


# ---------------------------------------------------------------------------
# Hands


def hand_spec(name: str) -> HandSpec:
    """Return the HANDS entry with this name."""
    for spec in HANDS:
        if spec.name == name:
            return spec
    raise ValueError(f"unknown hand {name!r}; choose from {[spec.name for spec in HANDS]}")


def hand_id(name: str) -> int:
    """Return the model's id for a hand: its position in HANDS."""
    return HANDS.index(hand_spec(name))


def load_font(spec: HandSpec, package: FetchedPackage) -> Font:
    """Parse the font file of a hand spec from its unpacked package."""
    path = package.unpacked / spec.path
    if not path.exists():
        raise FileNotFoundError(f"font file {spec.path} not found in {package.unpacked}")
    font = parse_jhf(path) if path.suffix == ".jhf" else parse_svg_font(path)
    font.source.update(package.provenance())
    return font


def load_hands(names: list[str] | None = None, root: Path | None = None) -> list[Hand]:
    """Fetch, parse and normalise hands, in the order of ``names`` (default: all of HANDS).

    Every returned hand has a glyph for each printable ASCII character. A
    character that a font lacks, or that its spec lists in ``replaced``, is
    copied from the first other hand in FALLBACK_ORDER that has it, and
    recorded in ``Hand.borrowed``.
    """
    specs = [hand_spec(name) for name in names] if names is not None else list(HANDS)
    packages: dict[str, FetchedPackage] = {}
    loaded: dict[str, tuple[Font, dict[str, Glyph]]] = {}

    def load_normalised(spec: HandSpec) -> tuple[Font, dict[str, Glyph]]:
        if spec.name not in loaded:
            if spec.package not in packages:
                packages[spec.package] = fetch_font_package(spec.package, root)
            font = load_font(spec, packages[spec.package])
            loaded[spec.name] = (font, normalise_font(font))
        return loaded[spec.name]

    hands = []
    for spec in specs:
        font, glyphs = load_normalised(spec)
        glyphs = dict(glyphs)
        borrowed = {}
        for char in sorted(set(missing_characters(glyphs)) | set(spec.replaced)):
            for donor in FALLBACK_ORDER:
                if donor == spec.name:
                    continue
                donor_glyph = load_normalised(hand_spec(donor))[1].get(char)
                if donor_glyph is not None and donor_glyph.strokes:
                    glyphs[char] = donor_glyph
                    borrowed[char] = donor
                    break
        still_missing = missing_characters(glyphs)
        if still_missing:
            raise ValueError(f"hand {spec.name!r} has no glyph for {still_missing!r}")
        if borrowed:
            logger.info("hand %s borrows %r", spec.name, "".join(sorted(borrowed)))
        source = dict(font.source, font_name=font.name)
        hands.append(Hand(name=spec.name, glyphs=glyphs, source=source, borrowed=borrowed))
    return hands
