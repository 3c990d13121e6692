"""Checks on the shipped handwriting synthesis network."""

import string
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from playground.catalog import HANDWRITING, build_registry
from playground.handwriting.render import PageOptions
from playground.handwriting.sampler import DEFAULT_SAMPLING_BIAS, write_lines
from playground.handwriting.writer import write_page

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def hand_model():
    registry = build_registry()
    return registry.get(registry.names(HANDWRITING)[0])


def test_metadata_names_six_hands_and_their_fonts(hand_model):
    metadata = hand_model.metadata
    assert len(hand_model.hand_names) == 6
    source = metadata["data"]["source"]
    packages = {hand["source"]["package"] for hand in source["hands"]}
    assert packages <= {"hersheytext", "hershey-fonts-data"}
    for hand in source["hands"]:
        assert hand["source"]["version"]
    assert metadata["metrics"]["val_loss_nats_per_point"] < -2.5
    assert metadata["training"]["command"].startswith("python -m playground.train_handwriting")
    assert len(metadata["vocab"]["itos"]) == 95


@pytest.mark.parametrize("hand", range(6))
def test_every_hand_writes_a_line(hand_model, hand):
    svg, prepared = write_page(
        hand_model, "Hello, world!", hand, DEFAULT_SAMPLING_BIAS, PageOptions(), seed=0
    )
    assert prepared.dropped == []
    assert list(ET.fromstring(svg).iter(f"{SVG}path"))


def test_line_width_matches_its_text(hand_model):
    # A line that stopped early, or ran on with scribbles, would be far off the
    # width that the training lines give its characters.
    text = "Please send the report by Friday."
    (points,) = write_lines(hand_model, [text], 0, DEFAULT_SAMPLING_BIAS, seed=0)
    x = np.cumsum(points[:, 0])
    width = x.max() - x.min()
    expected = len(text) * hand_model.char_width
    assert 0.6 * expected < width < 1.4 * expected


def test_every_printable_character_renders(hand_model):
    text = string.printable[:95]
    svg, prepared = write_page(hand_model, text, 0, DEFAULT_SAMPLING_BIAS, PageOptions(), seed=0)
    assert prepared.dropped == []
    assert list(ET.fromstring(svg).iter(f"{SVG}path"))
