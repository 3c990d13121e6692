"""The synthesis network, its loss, sampling and the SVG page, on tiny models."""

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from playground.errors import InvalidInputError
from playground.handwriting.lines import LineSet, handwriting_vocab
from playground.handwriting.render import (
    CHAR_WIDTH_PX,
    PageOptions,
    catmull_rom_path,
    render_page,
    wrap_text,
)
from playground.handwriting.sampler import (
    MAX_POINTS_PER_CHAR,
    HandwritingModel,
    drop_strokes_past_the_end,
    write_lines,
)
from playground.handwriting.stepper import HandwritingStepper
from playground.handwriting.writer import ink_to_hex
from playground.models.handwriting import (
    HandwritingConfig,
    HandwritingSynthesis,
    MixtureParams,
    mixture_nll,
)
from playground.train_handwriting import batch_loss, learning_rates_by_step, make_batch
from tests.conftest import loop_strokes

SVG = "{http://www.w3.org/2000/svg}"


def tiny_config(**overrides) -> HandwritingConfig:
    values = dict(
        vocab_size=95,
        num_hands=2,
        hand_dim=4,
        hidden_size=32,
        upper_hidden_size=32,
        window_components=3,
        mixture_components=4,
    )
    values.update(overrides)
    return HandwritingConfig(**values)


def test_mixture_loss_matches_direct_density():
    torch.manual_seed(0)
    M = 3
    params = MixtureParams(
        eos_logit=torch.randn(2),
        pi_logits=torch.randn(2, M),
        mu1=torch.randn(2, M),
        mu2=torch.randn(2, M),
        log_sigma1=torch.randn(2, M) * 0.3,
        log_sigma2=torch.randn(2, M) * 0.3,
        rho=torch.tanh(torch.randn(2, M)),
    )
    targets = torch.tensor([[0.3, -0.2, 1.0], [-1.0, 0.5, 0.0]])
    loss = mixture_nll(params, targets)
    for row in range(2):
        x = targets[row, :2].double().numpy()
        weights = torch.softmax(params.pi_logits[row].double(), 0).numpy()
        density = 0.0
        for k in range(M):
            s1 = math.exp(float(params.log_sigma1[row, k]))
            s2 = math.exp(float(params.log_sigma2[row, k]))
            r = float(params.rho[row, k])
            cov = np.array([[s1 * s1, r * s1 * s2], [r * s1 * s2, s2 * s2]])
            mean = np.array([float(params.mu1[row, k]), float(params.mu2[row, k])])
            diff = x - mean
            density += (
                weights[k]
                * math.exp(-0.5 * diff @ np.linalg.inv(cov) @ diff)
                / (2 * math.pi * math.sqrt(np.linalg.det(cov)))
            )
        p_eos = 1 / (1 + math.exp(-float(params.eos_logit[row])))
        eos_likelihood = p_eos if targets[row, 2] == 1 else 1 - p_eos
        expected = -(math.log(density) + math.log(eos_likelihood))
        assert float(loss[row]) == pytest.approx(expected, rel=1e-4)


@pytest.fixture(scope="module")
def one_line_set() -> LineSet:
    return LineSet.from_lines([loop_strokes(3)], ["abc"], [0], ["loops", "other"], offset_scale=1.0)


def test_forward_shapes(one_line_set):
    model = HandwritingSynthesis(tiny_config())
    stoi = handwriting_vocab().stoi
    batch = make_batch(one_line_set, [0], stoi)
    params, phi, state = model(batch.inputs, batch.chars, batch.char_mask, batch.hands)
    assert params.pi_logits.shape == (1, 24, 4)
    assert params.eos_logit.shape == (1, 24)
    assert phi.shape == (1, 24, 3)
    assert state["kappa"].shape == (1, 3)


def test_tiny_model_overfits_one_line(one_line_set):
    torch.manual_seed(0)
    model = HandwritingSynthesis(tiny_config())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    batch = make_batch(one_line_set, [0], handwriting_vocab().stoi)
    first = None
    for _ in range(150):
        loss, _ = batch_loss(model, batch)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
    assert loss.item() < first - 2.0


def test_bf16_loss_close_to_fp32(one_line_set):
    torch.manual_seed(0)
    model = HandwritingSynthesis(tiny_config())
    batch = make_batch(one_line_set, [0], handwriting_vocab().stoi)
    with torch.no_grad():
        fp32, points = batch_loss(model, batch)
        bf16, bf16_points = batch_loss(model, batch, use_bf16=True)
    assert bf16.dtype == torch.float32
    assert bf16_points == points
    assert abs(bf16.item() - fp32.item()) < 0.05 * abs(fp32.item()) + 0.05


def tiny_handwriting_model(primers=None) -> HandwritingModel:
    torch.manual_seed(1)
    model = HandwritingSynthesis(tiny_config()).eval()
    return HandwritingModel(
        name="tiny",
        model=model,
        vocab=handwriting_vocab(),
        hand_names=["loops", "other"],
        offset_scale=2.0,
        primers=primers or [None, None],
        metadata={"char_width": 0.4},
    )


def test_sampling_stops_within_the_cap():
    hw = tiny_handwriting_model()
    lines = write_lines(hw, ["hi", "a longer line"], hand=1, sampling_bias=0.5, seed=3)
    assert len(lines) == 2
    for line, text in zip(lines, ["hi", "a longer line"]):
        assert 1 <= len(line) <= len(text) * MAX_POINTS_PER_CHAR
        assert line[-1, 2] == 1.0
        assert np.isfinite(line).all()


def test_sampling_is_reproducible_with_a_seed():
    hw = tiny_handwriting_model()
    first = write_lines(hw, ["abc"], hand=0, sampling_bias=1.0, seed=7)[0]
    second = write_lines(hw, ["abc"], hand=0, sampling_bias=1.0, seed=7)[0]
    np.testing.assert_array_equal(first, second)


def test_higher_bias_gives_less_varied_samples():
    hw = tiny_handwriting_model()

    def spread(bias: float) -> float:
        samples = [write_lines(hw, ["ab"], 0, bias, seed=s)[0][:10, :2] for s in range(8)]
        length = min(len(sample) for sample in samples)
        stacked = np.stack([sample[:length] for sample in samples])
        return float(stacked.std(axis=0).mean())

    assert spread(3.0) < spread(0.0) * 0.5


def test_priming_runs_the_stored_line_first(one_line_set):
    primer = {"text": "abc", "points": one_line_set.points(0).tolist()}
    hw = tiny_handwriting_model(primers=[primer, None])
    lines = write_lines(hw, ["xy"], hand=0, sampling_bias=1.0, seed=1)
    assert len(lines[0]) >= 1


def test_wrap_text_keeps_paragraphs_and_breaks_long_words():
    assert wrap_text("one two three four", 9) == ["one two", "three", "four"]
    assert wrap_text("a\n\nb", 10) == ["a", "", "b"]
    assert wrap_text("x" * 12, 5) == ["xxxxx", "xxxxx", "xx"]


def test_catmull_rom_path_is_smooth_curves():
    data = catmull_rom_path(np.array([[0, 0], [10, 5], [20, 0], [30, 5]], dtype=float))
    assert data.startswith("M0.0,0.0")
    assert data.count("C") == 3
    assert catmull_rom_path(np.array([[1.0, 2.0]])).startswith("M1.0,2.0")


def test_page_is_valid_svg_with_escaped_title():
    lines = [loop_strokes(2), None, loop_strokes(4)]
    title = '<script>alert("x")</script> & </svg>'
    svg = render_page(lines, title, char_width=0.4, options=PageOptions(animate=True))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == title
    assert "<script" not in svg
    assert not list(root.iter(f"{SVG}script"))
    paths = list(root.iter(f"{SVG}path"))
    assert len(paths) == 6  # one per stroke: 2 + 4 loops
    assert all("animation-delay" in path.get("style") for path in paths)


@torch.inference_mode()
def test_numpy_stepper_matches_torch_step():
    torch.manual_seed(0)
    model = HandwritingSynthesis(tiny_config()).eval()
    chars = torch.tensor([[33, 34, 35], [40, 41, 0]])
    char_mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    hands = torch.tensor([0, 1])
    one_hot = torch.nn.functional.one_hot(chars, 95).float() * char_mask.unsqueeze(-1)
    style = model.hand_embedding(hands)
    # Read a few points first, so that the state is not all zeros.
    _, _, state = model(torch.randn(2, 5, 3), chars, char_mask, hands)
    stepper = HandwritingStepper(model, one_hot, style, state)
    for _ in range(4):
        point = torch.randn(2, 3)
        params, phi, state = model.step(point, one_hot, style, state)
        output = stepper.step(point.numpy())
        for name in ("eos_logit", "pi_logits", "mu1", "mu2", "log_sigma1", "log_sigma2", "rho"):
            np.testing.assert_allclose(
                getattr(output, name), getattr(params, name).numpy(), atol=1e-4, err_msg=name
            )
        np.testing.assert_allclose(output.phi, phi.numpy(), atol=1e-4)


def test_page_scales_lines_by_character_width():
    points = loop_strokes(10)
    char_width = float(points[:, 0].sum()) / 10
    svg = render_page([points], "ten chars!", char_width=char_width, options=PageOptions())
    xs = [
        float(x)
        for path in ET.fromstring(svg).iter(f"{SVG}path")
        for x in re.findall(r"[MC ]([-\d.]+),", path.get("d"))
    ]
    assert max(xs) - min(xs) == pytest.approx(10 * CHAR_WIDTH_PX, rel=0.15)


def test_model_char_width_is_in_written_units():
    hw = tiny_handwriting_model()
    assert hw.char_width == pytest.approx(0.4 * hw.offset_scale)


def test_page_grows_to_fit_drifting_lines():
    points = loop_strokes(4)
    points[:, 1] = -1.0  # every point one unit lower: the line sinks steeply
    points[-1, 2] = 1.0
    svg = render_page([points], "sinking", char_width=0.4, options=PageOptions())
    root = ET.fromstring(svg)
    height = float(root.get("height").removesuffix("px"))
    ys = [
        float(y)
        for path in root.iter(f"{SVG}path")
        for y in re.findall(r",([-\d.]+)", path.get("d"))
    ]
    assert min(ys) >= 0
    assert max(ys) <= height


def test_strokes_after_a_word_gap_are_dropped():
    # Two strokes of a letter, then two one-point strokes after word-gap jumps.
    points = np.array(
        [
            [0.0, 0.0, 0.0],
            [0.3, 0.2, 1.0],
            [0.2, -0.1, 0.0],
            [0.2, 0.1, 1.0],
            [1.8, 0.3, 1.0],
            [1.5, 0.0, 1.0],
        ],
        dtype=np.float32,
    )
    kept = drop_strokes_past_the_end(points, max_advance=1.0)
    assert kept.shape == (4, 3)
    assert np.array_equal(kept, points[:4])


def test_letter_after_a_wide_gap_is_kept():
    # A whole letter (five points) after a wide word gap is text, not a stray stroke.
    points = np.array(
        [
            [0.0, 0.0, 0.0],
            [0.3, 0.2, 1.0],
            [1.8, 0.3, 0.0],
            [0.1, 0.2, 0.0],
            [0.1, -0.2, 0.0],
            [0.1, 0.2, 0.0],
            [0.1, -0.2, 1.0],
        ],
        dtype=np.float32,
    )
    assert np.array_equal(drop_strokes_past_the_end(points, max_advance=1.0), points)


def test_short_last_stroke_is_kept():
    # A full stop after a small jump is part of the text.
    points = np.array([[0.0, 0.0, 0.0], [0.3, 0.2, 1.0], [0.4, -0.3, 1.0]], dtype=np.float32)
    assert np.array_equal(drop_strokes_past_the_end(points, max_advance=1.0), points)


def test_learning_rates_are_summarised_as_spans():
    history = [
        {"step": 250, "lr": 1e-3},
        {"step": 500, "lr": 1e-3},
        {"step": 750, "lr": 3e-4},
    ]
    spans = learning_rates_by_step(history, step=800, lr=3e-4)
    assert spans == [{"until_step": 500, "lr": 1e-3}, {"until_step": 800, "lr": 3e-4}]


@pytest.mark.parametrize(
    "ink, expected",
    [
        ("#1A2a6c", "#1a2a6c"),
        ("#abc", "#aabbcc"),
        ("rgb(26, 42, 108)", "#1a2a6c"),
        ("rgb(1.4, 2, 3)", "#010203"),
        ("rgba(26, 42, 108, 0.5)", "#1a2a6c"),
    ],
)
def test_ink_colours_become_svg_hex(ink, expected):
    assert ink_to_hex(ink) == expected


def test_long_invalid_ink_is_quoted_short():
    with pytest.raises(InvalidInputError, match="Ink must be a colour") as error:
        ink_to_hex("x" * 100_000)
    assert len(str(error.value)) < 200
