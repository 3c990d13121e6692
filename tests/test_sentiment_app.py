"""The sentiment tab's endpoints through gradio_client, on toy models trained in seconds.

In the toy corpus "sweet fair love light" are the positive words and
"night the thou art" the negative ones.
"""

import math
import xml.etree.ElementTree as ET

import pytest
from gradio_client.exceptions import AppError

from playground.errors import InvalidInputError
from playground.registry import ModelRegistry
from playground.sentiment.trace import MAX_REVIEW_LENGTH
from tabs import streaming
from tabs.sentiment import (
    DEFAULT_WRITE_LENGTH,
    PROBABILITY,
    check_unit_value,
    model_facts,
)
from tests.conftest import launch_app, tiny_sentiment_specs

SVG = "{http://www.w3.org/2000/svg}"
POSITIVE_REVIEW = "sweet love, fair light, sweet love"
NEGATIVE_REVIEW = "night thou art the night, thou art"
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


@pytest.fixture(scope="module")
def sentiment_app(tiny_sentiment_dir):
    registry = ModelRegistry(tiny_sentiment_specs(), tiny_sentiment_dir)
    demo, client = launch_app(registry)
    yield client
    client.close()
    demo.close()


def confidences(label: dict) -> dict[str, float]:
    return {item["label"]: item["confidence"] for item in label["confidences"]}


@pytest.mark.parametrize(
    "review, expected", [(POSITIVE_REVIEW, "positive"), (NEGATIVE_REVIEW, "negative")]
)
def test_score_with_only_the_review(sentiment_app, review, expected):
    label, *_ = sentiment_app.predict(review, api_name="/score_sentiment")
    scores = confidences(label)
    assert set(scores) == {"positive", "negative"}
    assert scores["positive"] + scores["negative"] == pytest.approx(1.0)
    assert label["label"] == expected


def test_score_returns_gauge_trace_and_plot(sentiment_app):
    _, gauge, trace, plot, notes = sentiment_app.predict(
        POSITIVE_REVIEW, api_name="/score_sentiment"
    )
    root = ET.fromstring(gauge)
    assert root.tag == f"{SVG}svg"
    assert "% positive" in root.find(f"{SVG}title").text
    # Every character of the review is in the toy vocabulary, so each gets a span.
    assert trace.count("<span") == len(POSITIVE_REVIEW)
    assert "sentiment unit reads" in trace
    column = plot["columns"].index(PROBABILITY)
    values = [row[column] for row in plot["data"]]
    assert len(values) == len(POSITIVE_REVIEW)
    assert all(0.0 <= value <= 1.0 for value in values)
    assert notes == ""


@pytest.mark.parametrize("payload", PAYLOADS)
def test_score_escapes_injected_markup(sentiment_app, payload):
    # The toy words give the unit something to read, and it drops the markup characters.
    outputs = sentiment_app.predict(f"{payload} sweet love", api_name="/score_sentiment")
    _, gauge, trace, _, notes = outputs
    for html in (gauge, trace, notes):
        assert "<script" not in html
        assert "<img" not in html
    assert "&lt;" in notes
    assert not list(ET.fromstring(gauge).iter(f"{SVG}script"))


@pytest.mark.parametrize(
    "review, message",
    [
        ("", "Enter a review to score"),
        ("  \n\t ", "Enter a review to score"),
        ("x" * (MAX_REVIEW_LENGTH + 1), "the maximum is 5000"),
        (None, "Enter a review to score"),
        ("\u2603\u2603", "None of the review's characters are in the model's alphabet"),
    ],
)
def test_score_reports_bad_input_clearly(sentiment_app, review, message):
    with pytest.raises(AppError, match=message) as error:
        sentiment_app.predict(review, api_name="/score_sentiment")
    assert "Traceback" not in str(error.value)


def test_score_keeps_serving_after_an_error(sentiment_app):
    with pytest.raises(AppError):
        sentiment_app.predict("", api_name="/score_sentiment")
    label, *_ = sentiment_app.predict(POSITIVE_REVIEW, api_name="/score_sentiment")
    assert label["label"] == "positive"


def test_write_review_with_only_the_opening(sentiment_app):
    text = sentiment_app.predict("", api_name="/write_review")
    assert isinstance(text, str)
    assert len(text) == DEFAULT_WRITE_LENGTH


def test_write_review_needs_no_input(sentiment_app):
    assert sentiment_app.predict(api_name="/write_review")


def test_write_review_streams(sentiment_app, monkeypatch):
    # Send every character as its own update, so the count does not depend on CPU speed.
    monkeypatch.setattr(streaming, "STREAM_INTERVAL_SECONDS", 0.0)
    job = sentiment_app.submit("the ", -1.0, 0.8, 120, 5, api_name="/write_review")
    final = job.result(timeout=120)
    updates = job.outputs()
    assert len(final) == 120
    assert len(updates) > 10
    assert updates[-1] == final
    assert all(final.startswith(update) for update in updates)


def test_write_review_seed_reproduces(sentiment_app):
    args = ("sweet ", 1.0, 1.0, 60, 7)
    first = sentiment_app.predict(*args, api_name="/write_review")
    second = sentiment_app.predict(*args, api_name="/write_review")
    assert first == second


@pytest.mark.parametrize(
    "args, message",
    [
        # Gradio checks slider bounds before the handler runs.
        (("the ", 1.5, 0.8, 50, -1), "greater than maximum"),
        (("the ", 1.0, 0.8, 50.5, -1), "Length must be a whole number"),
        (("x" * (MAX_REVIEW_LENGTH + 1), 1.0, 0.8, 50, -1), "the maximum is 5000"),
    ],
)
def test_write_review_reports_bad_input(sentiment_app, args, message):
    with pytest.raises(AppError, match=message):
        sentiment_app.predict(*args, api_name="/write_review")


@pytest.mark.parametrize("value", [math.nan, "high", None, True, 1.01])
def test_unit_value_must_be_in_range(value):
    with pytest.raises(InvalidInputError, match="from -1 to 1"):
        check_unit_value(value)


def test_tab_needs_both_sentiment_models(tiny_sentiment_dir):
    from app import build_app

    classifier_only = ModelRegistry(tiny_sentiment_specs()[:1], tiny_sentiment_dir)
    demo = build_app(classifier_only)
    api_names = {function.api_name for function in demo.fns.values()}
    assert "score_sentiment" not in api_names
    assert "write_review" not in api_names


def test_model_facts_list_accuracy_and_bits(tiny_sentiment_dir):
    registry = ModelRegistry(tiny_sentiment_specs(), tiny_sentiment_dir)
    facts = model_facts(registry.metadata("tiny-sentiment"), registry.metadata("tiny-sentiment-lm"))
    assert "| movie |" in facts
    assert "| food |" in facts
    assert "unit 3 of the character LSTM" in facts
    assert "bits per character" in facts


def test_model_facts_show_the_baseline():
    classifier = {
        "metrics": {
            "test_accuracy": {"movie": 0.85},
            "tfidf_baseline": {"test_accuracy": {"movie": 0.8}},
        }
    }
    unit = {"sentiment_unit": {"index": 7, "test_accuracy": {"movie": 0.75}}}
    facts = model_facts(classifier, unit)
    assert "| movie | 85.0 % | 80.0 % | 75.0 % |" in facts
    assert "bits per character" not in facts
