"""Tests of the handwriting data pipeline: font parsing, strokes, synthetic lines, IAM-OnDB."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from playground.data.iam_ondb import (
    SYNTHETIC_Y_IQR,
    load_iam_line_set,
    load_iam_ondb,
    read_transcriptions,
)
from playground.data.packages import cache_dir
from playground.handwriting import synthetic
from playground.handwriting.fonts import (
    HANDS,
    HERSHEY_DEB_PACKAGE,
    PRINTABLE_ASCII,
    Font,
    fetch_font_package,
    hand_id,
    join_touching_strokes,
    load_hands,
    measure_x_height,
    missing_characters,
    normalise_font,
    orient_stroke,
    parse_jhf,
    parse_svg_font,
    parse_svg_path,
    read_jhf_records,
)
from playground.handwriting.lines import load_line_set
from playground.handwriting.strokes import (
    OFFSET_SCALE,
    offsets_to_strokes,
    resample_stroke,
    resample_strokes,
    smooth,
    strokes_bounds,
    strokes_to_offsets,
)
from playground.handwriting.synthetic import (
    build_dataset,
    held_out_sentences,
    line_to_example,
    render_line,
    training_sentences,
)

FIXTURES = Path(__file__).parent / "fixtures"
TINY_SVG = FIXTURES / "handwriting" / "tiny_font.svg"
TINY_JHF = FIXTURES / "handwriting" / "tiny_font.jhf"
IAM_ROOT = FIXTURES / "iam_ondb"
SHAKESPEARE_TRAIN = cache_dir() / "corpora" / "shakespeare" / "train.txt"


@pytest.fixture(scope="session")
def hands():
    """All hands of HANDS, fetched with npm and apt-get into the data cache on first use."""
    try:
        return load_hands()
    except (RuntimeError, FileNotFoundError) as error:
        # CI fetches them (it runs apt-get update first); elsewhere npm or apt may be missing.
        if os.environ.get("CI"):
            raise
        pytest.skip(f"font packages could not be fetched: {error}")


@pytest.fixture(scope="session")
def sample_text(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("text") / "sample.txt"
    words = "the cat sat on a mat while rain fell over the quiet town and all slept"
    path.write_text("\n".join([words] * 20) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# SVG paths and fonts


def test_svg_path_absolute_and_relative():
    strokes = parse_svg_path("M 10 20 L 30 20 m 5 5 l 10 0 l 0 10")
    assert len(strokes) == 2
    np.testing.assert_allclose(strokes[0], [[10, 20], [30, 20]])
    np.testing.assert_allclose(strokes[1], [[35, 25], [45, 25], [45, 35]])


def test_svg_path_implicit_lineto_and_compact_numbers():
    strokes = parse_svg_path("M0,0 10,10 20-5.5e1")
    np.testing.assert_allclose(strokes[0], [[0, 0], [10, 10], [20, -55]])


def test_svg_path_horizontal_vertical_and_close():
    strokes = parse_svg_path("M 0 0 H 10 V 10 h -10 Z")
    np.testing.assert_allclose(strokes[0], [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]])


def test_svg_path_cubic_is_flattened():
    strokes = parse_svg_path("M 0 0 C 0 10 10 10 10 0", curve_segments=8)
    points = strokes[0]
    assert len(points) == 9
    np.testing.assert_allclose(points[-1], [10, 0])
    # The curve's midpoint (t = 0.5) lies at (5, 7.5).
    np.testing.assert_allclose(points[4], [5, 7.5])


def test_svg_path_smooth_and_quadratic_curves():
    strokes = parse_svg_path("M 0 0 C 0 10 10 10 10 0 S 20 -10 20 0 Q 25 5 30 0")
    np.testing.assert_allclose(strokes[0][-1], [30, 0], atol=1e-5)
    # The S curve mirrors the control point (10, 10) to (10, -10), so it dips below 0.
    assert strokes[0][:, 1].min() < -1


def test_svg_path_rejects_arcs():
    with pytest.raises(ValueError, match="unsupported SVG path command 'A'"):
        parse_svg_path("M 0 0 A 5 5 0 0 1 10 0")


def test_svg_path_rejects_missing_moveto():
    with pytest.raises(ValueError, match="must start with M"):
        parse_svg_path("L 10 10")
    with pytest.raises(ValueError, match="must start with a command"):
        parse_svg_path("10 10")
    with pytest.raises(ValueError, match="needs 6 numbers"):
        parse_svg_path("M 0 0 C 1 2 3")


def test_parse_svg_font_fixture():
    font = parse_svg_font(TINY_SVG)
    assert font.name == "Tiny Test"
    assert "fi" not in font.glyphs
    assert set(font.glyphs) == set(' xvln-oz";d')
    assert font.glyphs[" "].strokes == []
    assert font.glyphs[" "].advance == 300
    # A glyph without horiz-adv-x takes the font's default.
    assert font.glyphs["v"].advance == 400
    np.testing.assert_allclose(font.glyphs["l"].strokes[0], [[100, 750], [100, 0]])
    assert len(font.glyphs['"'].strokes) == 2
    assert font.source["units_per_em"] == 1000


def test_normalise_svg_fixture():
    font = parse_svg_font(TINY_SVG)
    assert measure_x_height(font) == 500
    glyphs = normalise_font(font)
    # x-height 500 units becomes 1.0.
    assert glyphs["x"].strokes[0][:, 1].max() == pytest.approx(1.0)
    assert glyphs["x"].advance == pytest.approx(1.0)
    # The hyphen is drawn right to left in the font and reversed.
    hyphen = glyphs["-"].strokes[0]
    assert hyphen[0, 0] < hyphen[-1, 0]
    # Both arms of the v end at its bottom, so the second is reversed and joined.
    assert len(glyphs["v"].strokes) == 1
    np.testing.assert_allclose(glyphs["v"].strokes[0][-1], [0.7, 1.0])
    # The n's arch starts on its stem 0.6 above the stem's end: the pen runs back up.
    assert len(glyphs["n"].strokes) == 1
    # The stray dot far to the right of the semicolon is dropped.
    assert len(glyphs[";"].strokes) == 2
    assert max(float(s[:, 0].max()) for s in glyphs[";"].strokes) < 1.0


# ---------------------------------------------------------------------------
# JHF fonts


def test_jhf_records_join_wrapped_lines():
    records = read_jhf_records(TINY_JHF.read_text())
    assert len(records) == 3
    assert records[1] == "    2  6MWRFRW RR[S["


def test_jhf_truncated_record_raises():
    with pytest.raises(ValueError, match="truncated JHF record"):
        read_jhf_records("    1  4JZRF")


def test_parse_jhf_fixture():
    font = parse_jhf(TINY_JHF)
    assert list(font.glyphs) == [" ", "!", '"']
    assert font.glyphs[" "].advance == 16
    bang = font.glyphs["!"]
    assert bang.advance == 10
    assert len(bang.strokes) == 2
    # y is flipped to point up with the baseline (y = 9 downwards) at 0, and x
    # is measured from the left bound.
    np.testing.assert_allclose(bang.strokes[0], [[5, 21], [5, 4]])
    np.testing.assert_allclose(bang.strokes[1], [[5, 0], [6, 0]])


# ---------------------------------------------------------------------------
# Stroke direction and joins


def test_orient_stroke_reverses_right_to_left():
    stroke = np.array([[1.0, 0.0], [0.0, 0.05]], dtype=np.float32)
    np.testing.assert_allclose(orient_stroke(stroke, 0.1), stroke[::-1])


def test_orient_stroke_reverses_upstroke():
    stroke = np.array([[0.0, 0.0], [0.1, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(orient_stroke(stroke, 0.1), stroke[::-1])


def test_orient_stroke_keeps_natural_and_loopy_strokes():
    down = np.array([[0.0, 1.0], [0.0, 0.0]], dtype=np.float32)
    assert orient_stroke(down, 0.1) is down
    # A loop that ends just left of where it starts: its chord is too short to judge.
    angles = np.linspace(0, 1.9 * np.pi, 20)
    loop = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    assert orient_stroke(loop, 0.1) is loop


def test_join_touching_strokes_keeps_separate_strokes():
    first = np.array([[0, 1], [0, 0]], dtype=np.float32)
    crossbar = np.array([[-0.3, 0.7], [0.3, 0.7]], dtype=np.float32)
    assert len(join_touching_strokes([first, crossbar], 0.03, 0.75)) == 2


# ---------------------------------------------------------------------------
# Real fonts


def test_hands_cover_printable_ascii(hands):
    assert len(hands) == len(HANDS) >= 6
    for hand in hands:
        assert missing_characters(hand.glyphs) == "", hand.name
        assert set(PRINTABLE_ASCII) <= set(hand.glyphs), hand.name


def test_hands_share_x_height(hands):
    for hand in hands:
        font = Font(hand.name, hand.glyphs)
        assert measure_x_height(font) == pytest.approx(1.0), hand.name
        # Lowercase letters sit on the baseline.
        bottom = min(float(stroke[:, 1].min()) for stroke in hand.glyphs["u"].strokes)
        assert bottom == pytest.approx(0.0, abs=0.1), hand.name


def test_hands_order_and_sources(hands):
    assert [hand.name for hand in hands] == [spec.name for spec in HANDS]
    assert hand_id("EMS Allure") == 4
    for hand in hands:
        assert hand.source["version"], hand.name
        assert len(hand.source["sha256"]) == 64, hand.name
    cursive = hands[hand_id("Hershey Cursive")]
    assert sorted(cursive.borrowed) == sorted("[]{}~")


def test_real_jhf_fonts_parse(hands):
    package = fetch_font_package(HERSHEY_DEB_PACKAGE)
    folder = package.unpacked / "usr" / "share" / "hershey-fonts"
    for name in ("scripts.jhf", "cursive.jhf", "futural.jhf"):
        font = parse_jhf(folder / name)
        assert missing_characters(font.glyphs) == "", name
        # Hershey's baseline is 9 units below the glyph centre: 'x' and 'H' stand on y = 0.
        for char in "xH":
            bottom = min(float(stroke[:, 1].min()) for stroke in font.glyphs[char].strokes)
            assert bottom == 0, (name, char)


# ---------------------------------------------------------------------------
# Offsets, resampling and smoothing


def test_offsets_round_trip():
    rng = np.random.default_rng(0)
    strokes = [rng.normal(size=(n, 2)).astype(np.float32) for n in (5, 1, 12)]
    offsets = strokes_to_offsets(strokes)
    assert offsets.shape == (18, 3)
    assert offsets.dtype == np.float32
    np.testing.assert_allclose(offsets[0, :2], strokes[0][0])
    assert list(np.flatnonzero(offsets[:, 2])) == [4, 5, 17]
    back = offsets_to_strokes(offsets)
    assert len(back) == 3
    for original, restored in zip(strokes, back):
        np.testing.assert_allclose(restored, original, atol=1e-5)


def test_offsets_origin_and_open_last_stroke():
    stroke = np.array([[2.0, 3.0], [4.0, 3.0]], dtype=np.float32)
    offsets = strokes_to_offsets([stroke], origin=(1.0, 1.0))
    np.testing.assert_allclose(offsets[0], [1.0, 2.0, 0.0])
    offsets[-1, 2] = 0.0
    back = offsets_to_strokes(offsets, origin=(1.0, 1.0))
    assert len(back) == 1
    np.testing.assert_allclose(back[0], stroke)


def test_offsets_of_no_strokes():
    assert strokes_to_offsets([]).shape == (0, 3)
    assert offsets_to_strokes(np.zeros((0, 3))) == []


def test_resample_straight_line_spacing():
    line = np.array([[0, 0], [1, 0], [3, 0]], dtype=np.float32)
    points = resample_stroke(line, 0.5)
    assert len(points) == 7
    np.testing.assert_allclose(points[:, 0], np.arange(7) * 0.5, atol=1e-6)
    np.testing.assert_allclose(points[:, 1], 0, atol=1e-6)


def test_resample_curve_is_even_and_smooth():
    angles = np.linspace(0, 2 * np.pi, 13)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    points = resample_stroke(circle, 0.1)
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    assert steps.min() > 0.095
    assert steps.max() < 0.105
    np.testing.assert_allclose(points[0], circle[0], atol=1e-6)
    np.testing.assert_allclose(points[-1], circle[-1], atol=1e-6)
    # The spline follows the circle more closely than the 12-sided polygon does.
    polygon_error = 1 - np.cos(np.pi / 12)
    assert np.abs(np.linalg.norm(points, axis=1) - 1).max() < 0.7 * polygon_error


def test_resample_short_strokes_and_batches():
    dot = np.array([[1.0, 1.0], [1.02, 1.0]], dtype=np.float32)
    assert len(resample_stroke(dot, 0.2)) == 1
    assert len(resample_stroke(np.array([[0.0, 0.0]]), 0.2)) == 1
    assert len(resample_stroke(np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]), 0.25)) == 5
    rng = np.random.default_rng(1)
    strokes = [np.cumsum(rng.normal(size=(n, 2)), axis=0) for n in (2, 7, 30)]
    batched = resample_strokes(strokes, 0.3)
    for stroke, together in zip(strokes, batched):
        np.testing.assert_allclose(together, resample_stroke(stroke, 0.3), atol=1e-5)


def test_smooth_keeps_ends_and_reduces_noise():
    rng = np.random.default_rng(2)
    x = np.linspace(0, 5, 200)
    clean = np.stack([x, np.zeros_like(x)], axis=1)
    noisy = clean + rng.normal(0, 0.05, clean.shape)
    smoothed = smooth(noisy, sigma=2.0)
    np.testing.assert_allclose(smoothed[[0, -1]], noisy[[0, -1]], atol=1e-6)
    assert np.abs(smoothed - clean)[5:-5].std() < 0.5 * np.abs(noisy - clean).std()


def test_strokes_bounds():
    strokes = [np.array([[0, 1], [2, -1]]), np.array([[5, 0.5]])]
    assert strokes_bounds(strokes) == (0.0, -1.0, 5.0, 1.0)
    with pytest.raises(ValueError):
        strokes_bounds([])


# ---------------------------------------------------------------------------
# Synthetic lines


def test_render_line_bounds_and_density(hands):
    texts = ["Quick zephyrs blow, vexing daft Jim.", "[x] {y} ~z_ @#$% ^&*", "1234567890"]
    for index, hand in enumerate(hands):
        for text in texts:
            strokes = render_line(hand, text, np.random.default_rng(index))
            points = np.concatenate(strokes)
            assert np.isfinite(points).all(), (hand.name, text)
            min_x, min_y, max_x, max_y = strokes_bounds(strokes)
            assert min_x == pytest.approx(0.0, abs=1e-5)
            assert max_x < 2.5 * len(text), (hand.name, text)
            assert max_x > 0.25 * len(text), (hand.name, text)
            # Capitals reach about 2.3 x-heights and descenders 1.3 below the
            # baseline, and the baseline may drift by a few percent of the line's width.
            drift = 0.06 * max_x
            assert min_y > -2.5 - drift, (hand.name, text)
            assert max_y < 4.0 + drift, (hand.name, text)
            # Digits and symbols have more ink than letters and no spaces between them.
            points_per_char = len(points) / len(text)
            assert 8 < points_per_char < 32, (hand.name, text, points_per_char)


def test_render_line_resampling_spacing(hands):
    prepared = synthetic.prepare_hand(hands[0])
    strokes = render_line(hands[0], "minimum", augment=False)
    steps = np.concatenate([np.linalg.norm(np.diff(s, axis=0), axis=1) for s in strokes])
    assert np.median(steps) == pytest.approx(prepared.spacing, rel=0.1)


def test_render_line_is_deterministic_for_a_seed(hands):
    hand = hands[hand_id("EMS Allure")]
    first = render_line(hand, "Same seed, same line", np.random.default_rng(7))
    second = render_line(hand, "Same seed, same line", np.random.default_rng(7))
    other = render_line(hand, "Same seed, same line", np.random.default_rng(8))
    assert len(first) == len(second)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(np.concatenate(first)[:50], np.concatenate(other)[:50])


def test_render_line_without_augmentation_needs_no_rng(hands):
    plain = render_line(hands[1], "plain text", augment=False)
    again = render_line(hands[1], "plain text", np.random.default_rng(3), augment=False)
    for a, b in zip(plain, again):
        np.testing.assert_array_equal(a, b)


def test_render_line_rejects_unknown_characters(hands):
    with pytest.raises(ValueError, match="no glyph for"):
        render_line(hands[0], "caf\u00e9\n", np.random.default_rng(0))
    with pytest.raises(ValueError, match="empty"):
        render_line(hands[0], "", np.random.default_rng(0))


def test_line_to_example_scales_offsets(hands):
    strokes = render_line(hands[2], "scaled", np.random.default_rng(0))
    example = line_to_example(strokes, "scaled", 2)
    raw = strokes_to_offsets(strokes)
    np.testing.assert_allclose(example["offsets"][:, :2] * OFFSET_SCALE, raw[:, :2], rtol=1e-5)
    np.testing.assert_array_equal(example["offsets"][:, 2], raw[:, 2])
    assert example["hand_id"] == 2


# ---------------------------------------------------------------------------
# Text


def test_training_sentences_from_text_file(sample_text):
    lines = training_sentences(200, seed=3, text_paths=[sample_text], coverage_fraction=0.0)
    assert len(lines) == 200
    assert all(10 <= len(line) <= 40 for line in lines)
    words = set(sample_text.read_text().split())
    assert all(set(line.split()) <= words for line in lines)
    assert lines == training_sentences(200, seed=3, text_paths=[sample_text], coverage_fraction=0)
    assert lines != training_sentences(200, seed=4, text_paths=[sample_text], coverage_fraction=0)


def test_training_sentences_cover_printable_ascii(sample_text):
    lines = training_sentences(3000, seed=0, text_paths=[sample_text])
    assert set("".join(lines)) == set(PRINTABLE_ASCII)
    assert all(10 <= len(line) <= 40 for line in lines)
    assert set("".join(lines)) <= set(PRINTABLE_ASCII)


def test_training_sentences_without_text():
    lines = training_sentences(50, seed=1, text_paths=[])
    assert len(lines) == 50
    assert all(10 <= len(line) <= 40 for line in lines)


def test_held_out_sentences():
    sentences = held_out_sentences()
    assert len(sentences) >= 60
    assert len(set(sentences)) == len(sentences)
    for sentence in sentences:
        assert 10 <= len(sentence) <= 40, sentence
        assert set(sentence) <= set(PRINTABLE_ASCII), sentence


@pytest.mark.skipif(not SHAKESPEARE_TRAIN.exists(), reason="Shakespeare corpus not built")
def test_held_out_sentences_not_in_shakespeare():
    corpus = " ".join(SHAKESPEARE_TRAIN.read_text(encoding="utf-8").split()).lower()
    for sentence in held_out_sentences():
        assert sentence.lower() not in corpus, sentence


# ---------------------------------------------------------------------------
# Datasets


def test_build_dataset_writes_line_set(tmp_path, hands):
    sentences = training_sentences(30, seed=5, text_paths=[])
    out = tmp_path / "lines.npz"
    metadata = build_dataset(out, 30, seed=5, hands=hands, sentences=sentences)
    lines = load_line_set(out)
    assert len(lines) == 30
    assert lines.texts == sentences
    assert list(lines.hands) == [i % len(hands) for i in range(30)]
    assert lines.hand_names == [hand.name for hand in hands]
    assert lines.offset_scale == OFFSET_SCALE
    assert lines.points_array.shape == (int(lines.lengths.sum()), 3)
    np.testing.assert_array_equal(lines.starts[1:], np.cumsum(lines.lengths)[:-1])
    assert metadata["points"] == len(lines.points_array)
    assert lines.metadata["seed"] == 5
    assert {"registry", "package", "version", "sha256"} <= set(lines.metadata["hands"][0]["source"])
    json.dumps(lines.metadata)
    # Every line ends with a pen lift, and the offsets are about unit scale.
    ends = lines.starts + lines.lengths - 1
    assert (lines.points_array[ends, 2] == 1).all()
    assert 0.6 < lines.points_array[:, :2].std() < 1.6
    assert 12 < metadata["points_per_char"] < 22


def test_build_dataset_is_deterministic(tmp_path, hands):
    sentences = ["A line of text.", "Another line, 42."]
    first = build_dataset(tmp_path / "a.npz", 4, seed=9, hands=hands[:2], sentences=sentences)
    second = build_dataset(tmp_path / "b.npz", 4, seed=9, hands=hands[:2], sentences=sentences)
    assert first["points"] == second["points"]
    a, b = load_line_set(tmp_path / "a.npz"), load_line_set(tmp_path / "b.npz")
    np.testing.assert_array_equal(a.points_array, b.points_array)
    assert a.texts == ["A line of text.", "Another line, 42."] * 2
    # The second round of the sentences goes to the other hand.
    assert list(a.hands) == [0, 1, 1, 0]


def test_build_dataset_rejects_blank_sentence(tmp_path, hands):
    with pytest.raises(ValueError, match="nothing to write"):
        build_dataset(tmp_path / "blank.npz", 2, hands=hands[:1], sentences=["ok text", "   "])


def test_synthetic_command(tmp_path, sample_text, hands):
    out = tmp_path / "cli.npz"
    metadata = synthetic.main(
        ["--out", str(out), "--lines", "12", "--seed", "1", "--hands", "EMS Tech, EMS Felix"]
        + ["--text", str(sample_text)]
    )
    lines = load_line_set(out)
    assert len(lines) == 12
    assert lines.hand_names == ["EMS Tech", "EMS Felix"]
    assert metadata["lines"] == 12


@pytest.mark.parametrize(
    "arguments",
    [["--lines", "0"], ["--min-chars", "30", "--max-chars", "20"], ["--hands", "Comic Sans"]],
)
def test_synthetic_command_rejects_bad_options(tmp_path, arguments):
    with pytest.raises(SystemExit):
        synthetic.main(["--out", str(tmp_path / "x.npz"), *arguments])


# ---------------------------------------------------------------------------
# IAM-OnDB


def test_iam_transcriptions_follow_csr():
    texts = read_transcriptions(IAM_ROOT / "ascii" / "a01" / "a01-000" / "a01-000u.txt")
    assert texts == ["Kites over the harbour", "on a windy day."]


def test_iam_fixture_loads():
    lines = load_iam_ondb(IAM_ROOT)
    assert [line.text for line in lines] == [
        "Kites over the harbour",
        "on a windy day.",
        "Tea at 4 sharp!",
    ]
    # The first form names its writer; the second falls back to its form id.
    assert [line.writer for line in lines] == ["10001", "10001", "b02-011"]
    assert [line.hand_id for line in lines] == [0, 0, 1]
    for line in lines:
        points = np.concatenate(line.strokes)
        assert np.isfinite(points).all()
        assert points[:, 0].min() == pytest.approx(0.0, abs=1e-5)
        # The fixture was drawn at x-height 1 before scaling to tablet units,
        # so the normalised line is about one x-height tall in its body.
        spread = np.subtract(*np.percentile(points[:, 1], [75, 25]))
        assert spread == pytest.approx(SYNTHETIC_Y_IQR, rel=0.35), line.text
        assert 10 < len(points) / len(line.text) < 25, line.text


def test_iam_fixture_is_y_up():
    # 'K' rises above the x-height: a y-up frame puts the line's top above its median.
    strokes = load_iam_ondb(IAM_ROOT, spacing=None)[0].strokes
    points = np.concatenate(strokes)
    assert points[:, 1].max() - np.median(points[:, 1]) > 0.8


def test_iam_line_set():
    lines = load_iam_line_set(IAM_ROOT)
    assert len(lines) == 3
    assert lines.hand_names == ["10001", "b02-011"]
    assert lines.offset_scale == OFFSET_SCALE
    assert lines.points(2)[-1, 2] == 1


def test_iam_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="lineStrokes"):
        load_iam_ondb(tmp_path)
