"""The sentiment gauge (SVG) and the text coloured by sentiment, without a model."""

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from playground.neurons import activation_html
from playground.sentiment.gauge import (
    gauge_svg,
    needle_angle,
    sentiment_colour,
    sentiment_text_html,
)

SVG = "{http://www.w3.org/2000/svg}"
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def element_with_class(root: ET.Element, name: str) -> ET.Element:
    matches = [element for element in root.iter() if element.get("class") == name]
    assert len(matches) == 1, f"expected one element of class {name!r}"
    return matches[0]


def drawn_needle_angle(svg: str) -> float:
    transform = element_with_class(ET.fromstring(svg), "needle").get("transform")
    match = re.fullmatch(r"rotate\(([-0-9.]+),[-0-9.]+,[-0-9.]+\)", transform)
    assert match, transform
    return float(match.group(1))


@pytest.mark.parametrize("probability", [0.0, 0.25, 0.5, 0.72, 1.0])
def test_gauge_is_valid_svg_without_script(probability):
    svg = gauge_svg(probability, caption="Word classifier")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert not list(root.iter(f"{SVG}script"))
    assert "<script" not in svg
    assert "javascript:" not in svg


def test_gauge_reads_percent_positive():
    root = ET.fromstring(gauge_svg(0.72))
    assert element_with_class(root, "reading").text == "72 % positive"
    assert root.find(f"{SVG}title").text == "Sentiment gauge: 72 % positive"


def test_needle_turns_with_the_probability():
    probabilities = [0.0, 0.1, 0.5, 0.9, 1.0]
    angles = [drawn_needle_angle(gauge_svg(p)) for p in probabilities]
    assert angles == sorted(angles)
    assert len(set(angles)) == len(angles)
    assert angles[0] == pytest.approx(-90)
    assert angles[2] == pytest.approx(0)
    assert angles[-1] == pytest.approx(90)
    assert needle_angle(0.75) == pytest.approx(45)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_gauge_caption_is_escaped(payload):
    svg = gauge_svg(0.3, caption=payload)
    root = ET.fromstring(svg)
    assert element_with_class(root, "caption").text == payload
    assert "<script" not in svg
    assert "<img" not in svg


def test_gauge_caption_drops_characters_xml_forbids():
    root = ET.fromstring(gauge_svg(0.3, caption="bad\x00\x08 byte"))
    assert element_with_class(root, "caption").text == "bad byte"


def test_gauge_without_caption_has_no_caption():
    root = ET.fromstring(gauge_svg(0.3))
    assert not [e for e in root.iter() if e.get("class") == "caption"]


@pytest.mark.parametrize("probability", [-0.01, 1.01, math.nan, math.inf, "high", None])
def test_gauge_rejects_bad_probability(probability):
    with pytest.raises(ValueError, match="probability"):
        gauge_svg(probability)


def test_gauge_rejects_a_caption_that_is_not_text():
    with pytest.raises(TypeError, match="caption"):
        gauge_svg(0.5, caption=3)


def test_sentiment_colour_runs_red_white_green():
    assert sentiment_colour(0.0) == "rgb(255,90,90)"
    assert sentiment_colour(0.5) == "rgb(255,255,255)"
    assert sentiment_colour(1.0) == "rgb(90,255,90)"
    with pytest.raises(ValueError, match="probability"):
        sentiment_colour(math.nan)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sentiment_text_is_escaped(payload):
    page = sentiment_text_html(payload, np.linspace(0, 1, len(payload)))
    assert "<script" not in page
    assert "<img" not in page
    assert page.count("<span") == len(payload)
    assert "&lt;" in page


def test_sentiment_text_shows_each_probability():
    page = sentiment_text_html("ab", np.array([0.0, 1.0], dtype=np.float32))
    assert 'background:rgb(255,90,90)" title="0 % positive">a<' in page
    assert 'background:rgb(90,255,90)" title="100 % positive">b<' in page


def test_activation_html_keeps_its_default_colours():
    page = activation_html("ab", np.array([0.5, -1.0], dtype=np.float32))
    assert 'title="+0.50"' in page
    assert "rgb(90,90,255)" in page
