"""Sentiment tab: a classifier scores a review, and an LSTM unit reads it character by character."""

import gradio as gr
import numpy as np
import pandas as pd

from playground.catalog import SENTIMENT, SENTIMENT_TRACE
from playground.checkpoint import CheckpointError
from playground.errors import InvalidInputError
from playground.registry import ModelRegistry, UnknownModelError
from playground.sampling import MAX_SAMPLE_LENGTH
from playground.sentiment.gauge import gauge_svg, percent_positive, sentiment_text_html
from playground.sentiment.trace import MAX_REVIEW_LENGTH, check_review
from playground.textgen import (
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    MAX_SEED,
    MAX_TEMPERATURE,
    RANDOM_SEED,
    describe_prime_changes,
    make_sampling_options,
)
from tabs.errors import as_html_paragraph, escape_text, user_errors
from tabs.neuron_explorer import describe_dropped
from tabs.streaming import growing_text

DEFAULT_UNIT_VALUE = 1.0
DEFAULT_WRITE_LENGTH = 400
# Column names of the trace plot's data.
POSITION, PROBABILITY = "character", "probability positive"

MIXED_REVIEW = (
    "The novel is a masterpiece: moving, funny and wise. The film, sadly, is a dull, lifeless mess."
)
EXAMPLES = [
    MIXED_REVIEW,
    "A warm, beautifully acted film. I laughed, I cried, and I would happily watch it again.",
    "Cold food, rude staff and a forty-minute wait for it. We will not be going back.",
]
UNIT_NOTE = (
    "This unit was trained to carry sentiment. The review text here (a few MB) is far too "
    "small for such a unit to emerge by itself, as one did in Radford, Jozefowicz and "
    "Sutskever (2017) after 82 million Amazon reviews."
)


def label_value(probability: float) -> dict[str, float]:
    """Return the gr.Label value for a probability of "positive"."""
    return {"positive": probability, "negative": 1.0 - probability}


def trace_frame(probabilities: np.ndarray) -> pd.DataFrame:
    """Return the trace plot's data: one row per character read, counted from 1."""
    return pd.DataFrame(
        {
            POSITION: np.arange(1, len(probabilities) + 1),
            PROBABILITY: np.asarray(probabilities, dtype=np.float64),
        }
    )


def trace_html(text: str, probabilities: np.ndarray) -> str:
    """Return the coloured review under a line giving the unit's final reading."""
    summary = as_html_paragraph(
        f"After the last character the sentiment unit reads {percent_positive(probabilities[-1])}."
    )
    return summary + sentiment_text_html(text, probabilities)


def check_unit_value(value) -> float:
    # Gradio's slider checks its bounds, but an API call may still send NaN or a string.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 <= value <= 1:
        raise InvalidInputError(f"The unit's value must be a number from -1 to 1, not {value!r}.")
    return float(value)


def format_accuracy(value) -> str:
    return f"{value * 100:.1f} %" if isinstance(value, (int, float)) else "–"


def model_facts(classifier_meta: dict, unit_meta: dict) -> str:
    """Return Markdown with test accuracy per review group and the LM's bits per character."""
    metrics = classifier_meta["metrics"]
    classifier_accuracy = metrics["test_accuracy"]
    baseline_accuracy = (metrics.get("tfidf_baseline") or {}).get("test_accuracy") or {}
    unit = unit_meta["sentiment_unit"]
    unit_accuracy = unit.get("test_accuracy") or {}
    groups = list(classifier_accuracy) + [g for g in unit_accuracy if g not in classifier_accuracy]
    lines = [
        "Test accuracy per review group:",
        "",
        "| group | BiLSTM classifier | TF-IDF baseline | sentiment unit |",
        "| --- | --- | --- | --- |",
    ]
    for group in groups:
        lines.append(
            f"| {escape_text(str(group))} | {format_accuracy(classifier_accuracy.get(group))} "
            f"| {format_accuracy(baseline_accuracy.get(group))} "
            f"| {format_accuracy(unit_accuracy.get(group))} |"
        )
    before, after = unit.get("bits_per_char_before"), unit.get("bits_per_char_after")
    lines.append("")
    lines.append(f"The sentiment unit is unit {int(unit['index'])} of the character LSTM.")
    if isinstance(before, (int, float)) and isinstance(after, (int, float)):
        text = escape_text(str(unit.get("bits_per_char_text", "held-out text")))
        lines.append(
            f"The language model's bits per character on {text} were {before:.3f} before the "
            f"unit was trained and {after:.3f} after."
        )
    return "\n".join(lines)


def describe_models(registry: ModelRegistry, classifier_name: str, trace_name: str) -> str:
    """Return the model facts, or a note saying why they are unavailable, so the page loads."""
    try:
        return model_facts(registry.metadata(classifier_name), registry.metadata(trace_name))
    except (CheckpointError, UnknownModelError) as exc:
        return as_html_paragraph(f"Model facts unavailable: {exc}")
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return as_html_paragraph(f"The sentiment models' metadata is malformed: {exc!r}")


def build(registry: ModelRegistry) -> None:
    """Add the tab's components and events to the current tab."""
    classifier_name = registry.names(SENTIMENT)[0]
    trace_name = registry.names(SENTIMENT_TRACE)[0]

    def score_sentiment(review: str):
        """Score the review and return the label, gauge, unit's trace (HTML and plot) and notes."""
        with user_errors():
            text = check_review(review)
            classifier = registry.get(classifier_name)
            trace_model = registry.get(trace_name)
            probability = float(classifier.probabilities([text])[0])
            trace = trace_model.trace(text)
            gauge = gauge_svg(probability, caption=registry.spec(classifier_name).title)
            return (
                label_value(probability),
                gauge,
                trace_html(trace.text, trace.probabilities),
                trace_frame(trace.probabilities),
                describe_dropped(trace.dropped),
            )

    def write_review(
        opening: str = "",
        unit_value: float = DEFAULT_UNIT_VALUE,
        temperature: float = DEFAULT_TEMPERATURE,
        length: float = DEFAULT_WRITE_LENGTH,
        seed: float | None = RANDOM_SEED,
    ):
        """Stream a review sampled after the opening, with the sentiment unit held at a value."""
        with user_errors():
            value = check_unit_value(unit_value)
            options = make_sampling_options(length, temperature, DEFAULT_TOP_K, seed)
            trace_model = registry.get(trace_name)
            characters = trace_model.write(opening if opening is not None else "", value, options)
            yield from growing_text(characters)

    def describe_opening(opening: str) -> str:
        # write_review reports bad input and broken checkpoints, so this note stays empty for them.
        if not isinstance(opening, str) or len(opening) > MAX_REVIEW_LENGTH:
            return ""
        try:
            trace_model = registry.get(trace_name)
        except (CheckpointError, UnknownModelError):
            return ""
        # The same lenient encoding that write() gives the model.
        encoded = trace_model.lm.vocab.encode_lenient(opening)
        return as_html_paragraph(describe_prime_changes(encoded))

    gr.Markdown(
        "A word-level BiLSTM classifier scores the whole review (the gauge). A character LSTM "
        "then reads it one character at a time, and one unit of its hidden state shows what it "
        "makes of the review so far: red is negative, green positive. Try a review that "
        "changes its mind halfway."
    )
    gr.Markdown(UNIT_NOTE)
    with gr.Row():
        with gr.Column(scale=3):
            review = gr.Textbox(MIXED_REVIEW, label="Review", lines=5, max_length=MAX_REVIEW_LENGTH)
            score_button = gr.Button("Score", variant="primary")
        with gr.Column(scale=2):
            gauge = gr.HTML(label="Gauge")
            label = gr.Label(num_top_classes=2, label="Classifier")
    trace_text = gr.HTML(label="Sentiment unit, character by character")
    trace_plot = gr.LinePlot(
        x=POSITION,
        y=PROBABILITY,
        y_lim=[0, 1],
        x_title="characters read",
        y_title="probability positive",
        label="Sentiment unit after each character",
    )
    notes = gr.Markdown(label="Notes")
    score_button.click(
        score_sentiment,
        [review],
        [label, gauge, trace_text, trace_plot, notes],
        api_name="score_sentiment",
    )
    gr.Examples([[example] for example in EXAMPLES], inputs=[review], cache_examples=False)

    with gr.Accordion("Write a review", open=False):
        gr.Markdown(
            "The character LSTM writes a review while its sentiment unit is held at a fixed "
            "value, so it writes as if the review so far were that positive or negative."
        )
        with gr.Row():
            with gr.Column(scale=3):
                opening = gr.Textbox(
                    "",
                    label="Opening (optional)",
                    lines=2,
                    max_length=MAX_REVIEW_LENGTH,
                    placeholder="The film",
                )
                with gr.Row():
                    write_button = gr.Button("Write", variant="primary")
                    stop_button = gr.Button("Stop", variant="stop")
                written = gr.Textbox(
                    label="Written review (continues the opening)",
                    lines=8,
                    interactive=False,
                    buttons=["copy"],
                )
                opening_notes = gr.Markdown()
            with gr.Column(scale=2):
                unit_value = gr.Slider(
                    -1,
                    1,
                    value=DEFAULT_UNIT_VALUE,
                    step=0.05,
                    label="Sentiment unit",
                    info="-1 = negative, +1 = positive",
                )
                temperature = gr.Slider(
                    0, MAX_TEMPERATURE, value=DEFAULT_TEMPERATURE, step=0.05, label="Temperature"
                )
                length = gr.Slider(
                    1,
                    MAX_SAMPLE_LENGTH,
                    value=DEFAULT_WRITE_LENGTH,
                    step=1,
                    label="Length (characters)",
                )
                seed = gr.Number(
                    RANDOM_SEED,
                    precision=0,
                    minimum=RANDOM_SEED,
                    maximum=MAX_SEED,
                    label="Seed",
                    info="-1 = a new sample each time",
                )
        writing = write_button.click(
            write_review,
            [opening, unit_value, temperature, length, seed],
            written,
            api_name="write_review",
        )
        write_button.click(describe_opening, [opening], opening_notes, api_visibility="private")
        stop_button.click(None, None, None, cancels=[writing])

    with gr.Accordion("About these models", open=False):
        gr.Markdown(describe_models(registry, classifier_name, trace_name))
