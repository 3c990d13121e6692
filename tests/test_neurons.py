import json

import numpy as np
import pytest

from playground.neurons import (
    FEATURES,
    activation_html,
    best_cells,
    bracket_depth,
    cell_activations,
    correlations,
    inside_c_comment,
    inside_double_quotes,
    inside_latex_math,
    inside_url,
    position_in_line,
    survey_cells,
    text_windows,
)
from tabs.neuron_explorer import TEXT_FOR_FEATURE, survey_rows
from tests.conftest import make_play_text


def test_inside_double_quotes_handles_escapes():
    text = 'a "b\\"c" d'
    assert inside_double_quotes(text).tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 0, 0]


def test_bracket_depth_counts_nesting():
    assert bracket_depth("f(a[1]{x})").tolist() == [0, 1, 1, 2, 2, 1, 2, 2, 1, 0]
    assert bracket_depth("))(").tolist() == [0, 0, 1]


def test_inside_url():
    text = "see https://example.org/x?y=1 now"
    values = inside_url(text)
    assert "".join(ch for ch, v in zip(text, values) if v) == "https://example.org/x?y=1"


def test_position_in_line_resets_after_newline():
    assert position_in_line("ab\ncd").tolist() == [0, 1, 2, 0, 1]


def test_inside_c_comment():
    text = "x; /* a */ y; // b\nz"
    values = inside_c_comment(text)
    assert "".join(ch for ch, v in zip(text, values) if v) == "/* a */// b"


def test_inside_latex_math():
    text = r"Let $x^2$ and \[y\] but not z"
    values = inside_latex_math(text)
    assert "".join(ch for ch, v in zip(text, values) if v) == r"$x^2$\[y\]"


def test_cell_search_finds_planted_cell():
    rng = np.random.default_rng(0)
    feature = (rng.random(500) > 0.5).astype(np.float32)
    activations = rng.normal(size=(500, 64)).astype(np.float32)
    activations[:, 37] = -0.8 * feature + 0.1 * rng.normal(size=500)
    cells = best_cells(activations, feature, top=3)
    assert cells[0][0] == 37
    assert cells[0][1] < -0.9
    assert abs(cells[1][1]) < 0.3


def test_constant_cell_correlates_zero():
    activations = np.ones((10, 2), dtype=np.float32)
    activations[:, 1] = np.arange(10)
    r = correlations(activations, np.arange(10, dtype=np.float32))
    assert r[0] == 0.0
    assert r[1] == pytest.approx(1.0)


def test_activation_html_escapes_text():
    text = '<script>alert("x")</script>\n&'
    page = activation_html(text, np.zeros(len(text)))
    assert "<script>" not in page
    assert page.count("&lt;") == 2
    assert "&amp;" in page
    assert page.count("<span") == len(text)


def test_cell_activations_shape(tiny_model):
    ids = tiny_model.vocab.encode("ROMEO:\nthe night")
    activations = cell_activations(tiny_model.stepper_weights, ids)
    hidden = tiny_model.model.config.hidden_size
    assert activations.shape == (len(ids), 2 * hidden)
    assert np.all(np.abs(activations) <= 1.0)


def test_constant_feature_is_rejected_with_dropped_characters(tiny_model):
    from playground.errors import InvalidInputError
    from playground.neurons import find_feature_cells

    with pytest.raises(InvalidInputError, match="does not change") as error:
        find_feature_cells(tiny_model, "ROMEO: (the [night])", "bracket depth")
    assert "dropped ( [ ] )" in str(error.value)


def test_find_feature_cells_ranks_cells(tiny_model):
    from playground.neurons import find_feature_cells

    text = "ROMEO:\nthe night is fair\nJULIET:\nsweet love\n"
    read_text, activations, cells, dropped = find_feature_cells(
        tiny_model, text, "position in line", top=4
    )
    assert read_text == text
    assert dropped == []
    assert len(cells) == 4
    assert all(-1.0 <= r <= 1.0 for _, r in cells)
    assert abs(cells[0][1]) >= abs(cells[-1][1])


def test_text_windows_cover_the_text_and_start_lines():
    text = "".join(f"line {i} " + "x" * (i % 7) + "\n" for i in range(400))
    pieces = text_windows(text, window=200)
    assert "".join(pieces) == text
    assert all(piece.startswith("line ") for piece in pieces)
    assert max(len(piece) for piece in pieces) <= 200


def test_survey_lists_only_features_that_vary(tiny_model):
    text = make_play_text(30, seed=9)
    survey = survey_cells(tiny_model, text, top=2, window=300, max_chars=900)
    # The play has line breaks but no quotes, brackets, URLs, comments or math.
    assert list(survey) == ["position in line"]
    result = survey["position in line"]
    assert 0 < result["chars"] <= 900
    total_cells = tiny_model.stepper_weights.num_layers * tiny_model.stepper_weights.hidden_size
    assert len(result["cells"]) == 2
    for cell, r in result["cells"]:
        assert 0 <= cell < total_cells
        assert -1 <= r <= 1
    assert abs(result["cells"][0][1]) >= abs(result["cells"][1][1])


def test_training_records_a_cell_survey(tiny_checkpoint_dir):
    metadata = json.loads((tiny_checkpoint_dir / "tiny.json").read_text(encoding="utf-8"))
    survey = metadata["cell_survey"]
    assert survey["text"] == "val.txt"
    assert "position in line" in survey["features"]
    assert survey_rows(metadata)[0][0] == "position in line"


def test_every_feature_has_a_text_that_shows_it():
    assert set(TEXT_FOR_FEATURE) == set(FEATURES)
    for name, text in TEXT_FOR_FEATURE.items():
        assert np.ptp(FEATURES[name](text)) > 0, name


def test_activation_html_keeps_tabs_and_readable_colours():
    html = activation_html("\tx", np.array([1.0, -1.0], dtype=np.float32))
    assert "&nbsp;&nbsp;&nbsp;&nbsp;" in html
    assert "rgb(255,90,90)" in html
    assert "rgb(90,90,255)" in html
