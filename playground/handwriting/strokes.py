"""Pen strokes as numpy arrays: offsets, spline resampling, smoothing and bounds.

A line of handwriting is a list of strokes, each a float32 (N, 2) array of pen
positions with y pointing up, in x-height units (the x-height of the writing
is 1.0 and the baseline is near y = 0). The model reads a line as offsets:
one row per point, ``[dx, dy, end_of_stroke]``.
"""

from dataclasses import dataclass

import numpy as np

# The model reads offsets divided by this constant. With the synthetic
# lines of playground.handwriting.synthetic (x-height 1.0, about 16 points per
# character) it gives the dx and dy columns a standard deviation of about 1.
OFFSET_SCALE = 0.27

# Points evaluated along the spline per input segment before resampling by arc length.
SPLINE_SAMPLES = 6
# Centripetal Catmull-Rom (alpha 0.5) makes no cusps or loops at sharp glyph corners.
SPLINE_ALPHA = 0.5


@dataclass
class HandwritingLine:
    """One line of handwriting: y-up strokes in x-height units, its text and who wrote it.

    ``hand_id`` is the writer's index: a position in
    playground.handwriting.fonts.HANDS for synthetic lines, or the loader's
    writer numbering for recorded data. ``writer`` is the matching name.
    """

    strokes: list[np.ndarray]
    text: str
    hand_id: int
    writer: str


def strokes_to_offsets(strokes: list[np.ndarray], origin=(0.0, 0.0)) -> np.ndarray:
    """Convert strokes to a float32 (T, 3) array of ``[dx, dy, end_of_stroke]`` rows.

    Row 0 contains the first point minus ``origin``, and every later row the step
    from the previous point, across pen lifts too. ``end_of_stroke`` is 1 on
    the last point of each stroke, so the pen is lifted after that point.
    Empty strokes are skipped.
    """
    kept = [np.asarray(stroke, dtype=np.float64) for stroke in strokes if len(stroke)]
    if not kept:
        return np.zeros((0, 3), dtype=np.float32)
    points = np.concatenate(kept)
    offsets = np.zeros((len(points), 3), dtype=np.float64)
    offsets[0, :2] = points[0] - np.asarray(origin, dtype=np.float64)
    offsets[1:, :2] = np.diff(points, axis=0)
    offsets[np.cumsum([len(stroke) for stroke in kept]) - 1, 2] = 1.0
    return offsets.astype(np.float32)


def offsets_to_strokes(offsets: np.ndarray, origin=(0.0, 0.0)) -> list[np.ndarray]:
    """Invert strokes_to_offsets: sum the steps and split after each end-of-stroke row.

    ``end_of_stroke`` counts as set when it is above 0.5, so sampled
    probabilities work after rounding. Points after the last set flag form a
    final stroke.
    """
    offsets = np.asarray(offsets, dtype=np.float64)
    if len(offsets) == 0:
        return []
    points = np.cumsum(offsets[:, :2], axis=0) + np.asarray(origin, dtype=np.float64)
    ends = np.flatnonzero(offsets[:, 2] > 0.5) + 1
    pieces = np.split(points.astype(np.float32), ends)
    return [piece for piece in pieces if len(piece)]


def flatten_strokes(strokes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate strokes into float64 (P, 2) points and an int array of stroke lengths."""
    kept = [stroke for stroke in strokes if len(stroke)]
    if not kept:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    lengths = np.array([len(stroke) for stroke in kept], dtype=np.int64)
    return np.concatenate(kept).astype(np.float64), lengths


def split_points(points: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """Invert flatten_strokes: split (P, 2) points into float32 strokes of the given lengths."""
    return np.split(points.astype(np.float32), np.cumsum(lengths)[:-1])


def _drop_repeated_points(points: np.ndarray, lengths: np.ndarray):
    """Remove points equal to the previous point of the same stroke."""
    starts = np.cumsum(lengths) - lengths
    repeated = np.zeros(len(points), dtype=bool)
    repeated[1:] = np.all(points[1:] == points[:-1], axis=1)
    repeated[starts] = False
    stroke_of_point = np.repeat(np.arange(len(lengths)), lengths)
    kept_lengths = np.bincount(stroke_of_point[~repeated], minlength=len(lengths))
    return points[~repeated], kept_lengths


def catmull_rom(points: np.ndarray, lengths: np.ndarray, samples_per_segment: int):
    """Evaluate a centripetal Catmull-Rom spline through each stroke's points.

    ``points`` (P, 2) contains the strokes one after another, with ``lengths``
    points each (all at least 2, with no repeated neighbours). Each segment
    between two input points becomes ``samples_per_segment`` points, and each
    stroke's last point is kept, so the curve passes through every input
    point. The ends are extended by reflecting the neighbouring point.
    Returns the dense points and the dense length of each stroke.
    """
    num_strokes = len(lengths)
    starts = np.cumsum(lengths) - lengths
    ends = starts + lengths - 1

    # Pad every stroke with a reflected point at each end: [p-1, p0 .. pn-1, pn].
    padded_lengths = lengths + 2
    padded_starts = np.cumsum(padded_lengths) - padded_lengths
    padded = np.empty((len(points) + 2 * num_strokes, 2))
    inner = np.ones(len(padded), dtype=bool)
    inner[padded_starts] = False
    inner[padded_starts + padded_lengths - 1] = False
    padded[inner] = points
    padded[padded_starts] = 2 * points[starts] - points[starts + 1]
    padded[padded_starts + padded_lengths - 1] = 2 * points[ends] - points[ends - 1]

    # One window of four control points per segment; a stroke of n points has n - 1.
    window_ok = np.ones(len(padded), dtype=bool)
    for back in (1, 2, 3):
        window_ok[padded_starts + padded_lengths - back] = False
    first = np.flatnonzero(window_ok)
    p0, p1, p2, p3 = (padded[first + k][:, None, :] for k in range(4))

    # Barry and Goldman's pyramid form, with knots spaced by distance ** alpha.
    def knot_step(a, b):
        return np.maximum(np.linalg.norm(b - a, axis=-1, keepdims=True) ** SPLINE_ALPHA, 1e-6)

    t0 = np.zeros_like(p0[..., :1])
    t1 = t0 + knot_step(p0, p1)
    t2 = t1 + knot_step(p1, p2)
    t3 = t2 + knot_step(p2, p3)
    u = np.arange(samples_per_segment)[None, :, None] / samples_per_segment
    t = t1 + u * (t2 - t1)
    a1 = ((t1 - t) * p0 + (t - t0) * p1) / (t1 - t0)
    a2 = ((t2 - t) * p1 + (t - t1) * p2) / (t2 - t1)
    a3 = ((t3 - t) * p2 + (t - t2) * p3) / (t3 - t2)
    b1 = ((t2 - t) * a1 + (t - t0) * a2) / (t2 - t0)
    b2 = ((t3 - t) * a2 + (t - t1) * a3) / (t3 - t1)
    curve = ((t2 - t) * b1 + (t - t1) * b2) / (t2 - t1)  # (segments, samples, 2)

    # Put each stroke's last input point after its segments' samples.
    dense_lengths = (lengths - 1) * samples_per_segment + 1
    dense = np.empty((int(dense_lengths.sum()), 2))
    dense_ends = np.cumsum(dense_lengths) - 1
    is_end = np.zeros(len(dense), dtype=bool)
    is_end[dense_ends] = True
    dense[~is_end] = curve.reshape(-1, 2)
    dense[is_end] = points[ends]
    return dense, dense_lengths


def resample_points(
    points: np.ndarray,
    lengths: np.ndarray,
    spacing: float | np.ndarray,
    samples_per_segment: int = SPLINE_SAMPLES,
) -> tuple[np.ndarray, np.ndarray]:
    """Resample many strokes along a spline to points ``spacing`` apart in arc length.

    ``points`` and ``lengths`` are strokes as flatten_strokes returns them;
    ``spacing`` is one number or one per stroke. A stroke of arc length L gets
    ``round(L / spacing) + 1`` evenly spaced points from its first to its last
    point, so a stroke shorter than half the spacing (a dot) becomes one point.
    Works on all strokes at once, which keeps the per-stroke Python cost out of
    the dataset builder's loop.
    """
    points = np.asarray(points, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(lengths) == 0:
        return np.zeros((0, 2)), lengths
    points, lengths = _drop_repeated_points(points, lengths)

    # A single point gets a tiny second point, so the spline code needs no special case.
    single = lengths == 1
    if single.any():
        single_points = (np.cumsum(lengths) - lengths)[single]
        points = np.insert(points, single_points + 1, points[single_points] + [1e-6, 0.0], axis=0)
        lengths = lengths + single

    dense, dense_lengths = catmull_rom(points, lengths, samples_per_segment)

    # Arc length along each stroke, and each stroke's total length.
    step_lengths = np.zeros(len(dense))
    step_lengths[1:] = np.linalg.norm(np.diff(dense, axis=0), axis=1)
    dense_starts = np.cumsum(dense_lengths) - dense_lengths
    step_lengths[dense_starts] = 0.0
    cumulative = np.cumsum(step_lengths)
    stroke_lengths = cumulative[dense_starts + dense_lengths - 1] - cumulative[dense_starts]

    # Separate the strokes on one increasing axis so a single np.interp serves them all.
    stroke_of_dense = np.repeat(np.arange(len(dense_lengths)), dense_lengths)
    gap = stroke_lengths.max() + 1.0
    position = cumulative + stroke_of_dense * gap

    spacing = np.broadcast_to(np.asarray(spacing, dtype=np.float64), stroke_lengths.shape)
    steps = np.rint(stroke_lengths / spacing).astype(np.int64)
    new_lengths = steps + 1
    step_size = np.where(steps > 0, stroke_lengths / np.maximum(steps, 1), 0.0)
    # A dot that becomes one point sits at the middle of its arc.
    first_target = position[dense_starts] + np.where(steps > 0, 0.0, stroke_lengths / 2)
    new_starts = np.cumsum(new_lengths) - new_lengths
    index_in_stroke = np.arange(int(new_lengths.sum())) - np.repeat(new_starts, new_lengths)
    targets = np.repeat(first_target, new_lengths) + index_in_stroke * np.repeat(
        step_size, new_lengths
    )
    resampled = np.stack(
        [np.interp(targets, position, dense[:, 0]), np.interp(targets, position, dense[:, 1])],
        axis=1,
    )
    return resampled, new_lengths


def resample_stroke(points: np.ndarray, spacing: float) -> np.ndarray:
    """Resample one (N, 2) stroke along a Catmull-Rom spline to points ``spacing`` apart."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(points) == 0:
        return np.zeros((0, 2), dtype=np.float32)
    resampled, _ = resample_points(points, np.array([len(points)]), spacing)
    return resampled.astype(np.float32)


def resample_strokes(strokes: list[np.ndarray], spacing: float) -> list[np.ndarray]:
    """Resample every stroke along a spline to points ``spacing`` apart (see resample_points)."""
    points, lengths = flatten_strokes(strokes)
    if len(lengths) == 0:
        return []
    resampled, new_lengths = resample_points(points, lengths, spacing)
    return split_points(resampled, new_lengths)


def smooth(points: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Smooth a stroke with a Gaussian of ``sigma`` points, keeping both end points.

    Near the ends the stroke is extended with its end values, so the
    smoothed stroke does not shrink towards its middle.
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) < 3 or sigma <= 0:
        return points.astype(np.float32)
    radius = max(1, int(round(3 * sigma)))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(points, ((radius, radius), (0, 0)), mode="edge")
    smoothed = np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(2)], axis=1)
    smoothed[0], smoothed[-1] = points[0], points[-1]
    return smoothed.astype(np.float32)


def strokes_bounds(strokes: list[np.ndarray]) -> tuple[float, float, float, float]:
    """Return ``(min_x, min_y, max_x, max_y)`` over all points; raise ValueError if none."""
    points, _ = flatten_strokes(strokes)
    if len(points) == 0:
        raise ValueError("strokes_bounds needs at least one point")
    min_x, min_y = points.min(axis=0)
    max_x, max_y = points.max(axis=0)
    return float(min_x), float(min_y), float(max_x), float(max_y)


def translate_strokes(strokes: list[np.ndarray], dx: float, dy: float) -> list[np.ndarray]:
    """Return the strokes moved by ``(dx, dy)``."""
    shift = np.array([dx, dy], dtype=np.float32)
    return [np.asarray(stroke, dtype=np.float32) + shift for stroke in strokes]


def count_points(strokes: list[np.ndarray]) -> int:
    """Return the number of points in all strokes: the line's length T in offsets."""
    return sum(len(stroke) for stroke in strokes)
