"""The handwriting tab's endpoint through gradio_client, on a model trained in seconds."""

import string
import xml.etree.ElementTree as ET

import pytest
import torch
from gradio_client.exceptions import AppError

from playground.errors import InvalidInputError
from playground.handwriting.render import PageOptions
from playground.handwriting.sampler import load_handwriting_model
from playground.handwriting.writer import MAX_TEXT_LENGTH, write_page
from playground.registry import ModelRegistry
from tests.conftest import launch_app, tiny_handwriting_spec, tiny_spec

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def tiny_hand(tiny_handwriting_dir):
    return load_handwriting_model(tiny_handwriting_dir / "tiny-hand", "", torch.device("cpu"))


@pytest.fixture(scope="module")
def handwriting_app(tiny_checkpoint_dir, tiny_handwriting_dir):
    # One folder for both models: the registry reads every checkpoint from one place.
    for path in tiny_handwriting_dir.glob("tiny-hand.*"):
        target = tiny_checkpoint_dir / path.name
        if not target.exists():
            target.write_bytes(path.read_bytes())
    registry = ModelRegistry([tiny_spec(), tiny_handwriting_spec()], tiny_checkpoint_dir)
    demo, client = launch_app(registry)
    yield client
    client.close()
    demo.close()


def test_checkpoint_records_hands_and_primers(tiny_hand):
    assert tiny_hand.hand_names == ["Loops", "Other loops"]
    assert len(tiny_hand.primers) == 2
    assert tiny_hand.metadata["char_width"] > 0


def test_every_printable_character_renders(tiny_hand):
    text = string.printable[:95]
    svg, prepared = write_page(tiny_hand, text, 0, 1.0, PageOptions(), seed=0)
    root = ET.fromstring(svg)
    assert prepared.dropped == []
    assert list(root.iter(f"{SVG}path"))


def test_unknown_characters_are_mapped_or_skipped(tiny_hand):
    svg, prepared = write_page(tiny_hand, "caf\u00e9 \u201cok\u201d \u2603", 1, 1.0, PageOptions())
    assert prepared.replaced == {"\u00e9": "e", "\u201c": '"', "\u201d": '"'}
    assert prepared.dropped == ["\u2603"]
    assert "skipped '\u2603'" in prepared.describe()
    assert ET.fromstring(svg).find(f"{SVG}title").text == 'cafe "ok"'


@pytest.mark.parametrize(
    "text, options, message",
    [
        ("", PageOptions(), "Type some text"),
        (None, PageOptions(), "Type some text to write"),
        ("\u2603\u2603", PageOptions(), "Type some text"),
        ("x" * (MAX_TEXT_LENGTH + 1), PageOptions(), "maximum is 500"),
        (123, PageOptions(), "The text must be a string, not the number 123"),
        ("hi", PageOptions(ink="red;}</style><script>"), "Ink must be a colour"),
        ("hi", PageOptions(ink=None), r"Ink must be a colour .*, not null\."),
        ("hi", PageOptions(page_width=10), "Page width"),
        ("hi", PageOptions(stroke_width=float("nan")), "Stroke width"),
    ],
)
def test_bad_input_is_rejected(tiny_hand, text, options, message):
    with pytest.raises(InvalidInputError, match=message):
        write_page(tiny_hand, text, 0, 1.0, options)


def test_app_writes_with_only_the_text(handwriting_app):
    svg, download, notes = handwriting_app.predict("Hello!", api_name="/write_handwriting")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Hello!"
    assert download.endswith(".svg")


def test_app_escapes_injected_markup(handwriting_app):
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    svg, _, _ = handwriting_app.predict(payload, api_name="/write_handwriting")
    root = ET.fromstring(svg)
    assert "<script" not in svg
    assert "<img" not in svg
    assert not list(root.iter(f"{SVG}script"))
    assert root.find(f"{SVG}title").text == payload


def test_app_reports_bad_input_clearly(handwriting_app):
    with pytest.raises(AppError, match="Type some text"):
        handwriting_app.predict("   ", api_name="/write_handwriting")
    svg, _, _ = handwriting_app.predict("still serving", api_name="/write_handwriting")
    assert svg.startswith("<svg")
