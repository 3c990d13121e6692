"""Handwriting as SVG: wrapping text into lines, smooth stroke paths and the page.

Each pen stroke becomes one ``<path>`` of cubic Bézier segments through its
points (a Catmull-Rom spline), so the drawing is smooth at any zoom and
suits pen plotters, which draw one path per pen-down. The optional
animation is CSS only (each path's dash offset runs from its full length to
zero in writing order), so the SVG contains no script.
"""

import textwrap
from dataclasses import dataclass

import numpy as np
import svgwrite

from playground.handwriting.strokes import offsets_to_strokes

DEFAULT_INK = "#1a2a6c"
DEFAULT_LINE_SPACING = 3.2
# The page's scale: pixels per unit of the model's mean character width.
CHAR_WIDTH_PX = 16.0
MARGIN_PX = 20.0
# Seconds the animation spends per unit of path length in pixels.
ANIMATION_SECONDS_PER_PX = 0.004


@dataclass
class PageOptions:
    page_width: float = 800.0  # pixels
    # Line height in mean character widths; ascenders and descenders need about 3.
    line_spacing: float = DEFAULT_LINE_SPACING
    stroke_width: float = 2.0  # pixels
    ink: str = DEFAULT_INK
    animate: bool = False


def wrap_text(text: str, max_chars: int) -> list[str]:
    """Wrap text into lines of at most ``max_chars`` characters; paragraphs stay apart.

    A blank line between paragraphs becomes an empty line, which the page
    leaves blank. A word longer than a line is broken.
    """
    lines = []
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            lines.append("")
            continue
        lines.extend(textwrap.wrap(paragraph, max_chars, break_on_hyphens=False))
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def max_chars_per_line(page_width: float) -> int:
    return max(1, int((page_width - 2 * MARGIN_PX) // CHAR_WIDTH_PX))


def catmull_rom_path(points: np.ndarray) -> str:
    """Return SVG path data for a smooth curve through ``points`` (N, 2), in pixels.

    Each segment between two points is the cubic Bézier of a uniform
    Catmull-Rom spline. A single point becomes a short dash, which the round
    line cap draws as a dot.
    """
    if len(points) == 1:
        x, y = points[0]
        return f"M{x:.1f},{y:.1f}l0.1,0"
    padded = np.concatenate([points[:1], points, points[-1:]])
    parts = [f"M{points[0, 0]:.1f},{points[0, 1]:.1f}"]
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        c1 = p1 + (p2 - p0) / 6
        c2 = p2 - (p3 - p1) / 6
        parts.append(f"C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} {p2[0]:.1f},{p2[1]:.1f}")
    return "".join(parts)


def path_length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum()) if len(points) > 1 else 1.0


def render_page(
    lines_points: list[np.ndarray | None],
    text: str,
    char_width: float,
    options: PageOptions,
) -> str:
    """Lay out written lines (None for a blank line) one under another; return the SVG.

    ``lines_points`` are (T, 3) offsets in model units, y up; ``char_width`` is
    the model's mean character width in the same units. ``text`` becomes the
    SVG's title (svgwrite escapes it).
    """
    scale = CHAR_WIDTH_PX / char_width
    line_height = options.line_spacing * CHAR_WIDTH_PX
    placed: list[list[np.ndarray]] = []
    widest = 0.0
    for index, points in enumerate(lines_points):
        if points is None or len(points) == 0:
            placed.append([])
            continue
        # Flip y (SVG's y points down) and put the line's left edge at the margin.
        strokes = [s * np.array([scale, -scale]) for s in offsets_to_strokes(points)]
        left = min(float(s[:, 0].min()) for s in strokes)
        baseline = MARGIN_PX + (index + 0.75) * line_height
        strokes = [s + np.array([MARGIN_PX - left, baseline]) for s in strokes]
        widest = max(widest, max(float(s[:, 0].max()) for s in strokes))
        placed.append(strokes)
    # A line whose baseline drifts may leave its slot; grow the page to keep it all.
    all_strokes = [stroke for strokes in placed for stroke in strokes]
    top = min((float(s[:, 1].min()) for s in all_strokes), default=MARGIN_PX)
    shift = max(0.0, MARGIN_PX - top)
    placed = [[stroke + np.array([0.0, shift]) for stroke in strokes] for strokes in placed]
    bottom = max((float(s[:, 1].max()) + shift for s in all_strokes), default=0.0)
    width = max(options.page_width, widest + MARGIN_PX)
    height = max(2 * MARGIN_PX + max(1, len(lines_points)) * line_height, bottom + MARGIN_PX)

    drawing = svgwrite.Drawing(size=(f"{width:.0f}px", f"{height:.0f}px"), profile="full")
    drawing.viewbox(0, 0, round(width), round(height))
    drawing.set_desc(title=text)
    if options.animate:
        drawing.defs.add(
            drawing.style(
                "@keyframes pen{to{stroke-dashoffset:0}}"
                "path{stroke-dasharray:1;stroke-dashoffset:1;"
                "animation-name:pen;animation-timing-function:linear;"
                "animation-fill-mode:forwards}"
            )
        )
    group = drawing.g(
        fill="none",
        stroke=options.ink,
        stroke_width=options.stroke_width,
        stroke_linecap="round",
        stroke_linejoin="round",
    )
    clock = 0.0
    for strokes in placed:
        for stroke in strokes:
            path = drawing.path(d=catmull_rom_path(stroke))
            if options.animate:
                duration = max(0.02, path_length(stroke) * ANIMATION_SECONDS_PER_PX)
                path["pathLength"] = 1
                path["style"] = f"animation-delay:{clock:.3f}s;animation-duration:{duration:.3f}s"
                clock += duration
            group.add(path)
    drawing.add(group)
    return drawing.tostring()
