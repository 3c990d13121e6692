"""Train on your own text: upload a file, watch a small LSTM learn it, then sample from it."""

import math

import gradio as gr
import pandas as pd

from playground.errors import InvalidInputError
from playground.own_text import (
    DEFAULT_TRAINING_SECONDS,
    MAX_TRAINING_SECONDS,
    MAX_UPLOAD_BYTES,
    MIN_TRAINING_SECONDS,
    TrainingUpdate,
    read_text_upload,
    train_on_text,
)
from playground.sampling import MAX_SAMPLE_LENGTH
from playground.textgen import (
    DEFAULT_LENGTH,
    DEFAULT_TEMPERATURE,
    MAX_PRIME_LENGTH,
    MAX_TEMPERATURE,
    describe_prime_changes,
    make_sampling_options,
    stream_text,
)
from tabs.errors import as_html_paragraph, escape_text, user_errors
from tabs.streaming import growing_text

# One training run at a time: it keeps the CPU busy, and a second one would
# only halve the speed of both. Later requests wait in the queue and see their place.
TRAINING_CONCURRENCY = 1
# Gradio drops a trained model this long after it was stored, or earlier when the
# visitor's session ends; sampling does not extend it.
MODEL_LIFETIME_SECONDS = 3600
LOSS_COLUMNS = ["seconds", "training loss (nats/char)"]


def loss_table(update: TrainingUpdate) -> pd.DataFrame:
    return pd.DataFrame(update.loss_history, columns=LOSS_COLUMNS)


def describe_update(update: TrainingUpdate) -> str:
    """Return one escaped line on the state of a run, for the status panel and API users."""
    loss = "" if update.train_loss is None else f", training loss {update.train_loss:.3f} nats/char"
    if update.model is None:
        return escape_text(
            f"Training: {update.seconds:.0f} of {update.budget_seconds:.0f} s, "
            f"step {update.step}{loss}"
        )
    data = update.model.metadata["data"]
    line = (
        f"Trained for {update.seconds:.0f} s ({update.step} steps) on "
        f"{data['train_chars']:,} characters{loss}"
    )
    if update.val_loss is not None:
        line += (
            f", validation loss {update.val_loss:.3f} nats/char "
            f"({update.val_loss / math.log(2):.2f} bits/char) on {data['held_out']}"
        )
    if update.step == 0:
        # Other requests held the CPU for the whole time budget.
        line += (
            ". The server was too busy to take a single training step, so the model "
            "writes random characters: train again, or for longer"
        )
    line += ". Sample from it below."
    dropped = data["dropped_characters"]
    if dropped:
        shown = " ".join(dropped[:20]) + (" …" if len(dropped) > 20 else "")
        line += (
            f" The file has more distinct characters than the model keeps, so the "
            f"{len(dropped):,} rarest ({data['dropped_chars_count']:,} characters of text) "
            f"were left out: {shown}"
        )
    return escape_text(line)


def describe_upload(text_file: str | None) -> str:
    """Check an upload as soon as it arrives; return a note on whether it can be trained on."""
    if not text_file:
        return ""
    try:
        text = read_text_upload(text_file)
    except InvalidInputError as exc:
        return as_html_paragraph(str(exc))
    return as_html_paragraph(f"Ready to train on {len(text):,} characters.")


def build() -> None:
    """Add the own-text training section to the current layout."""

    def train_own_model(
        text_file: str | None,
        seconds: float = DEFAULT_TRAINING_SECONDS,
        progress=gr.Progress(),
    ):
        """Train a small character LSTM on the uploaded UTF-8 file; stream status and loss."""
        with user_errors():
            text = read_text_upload(text_file)
            progress(0, desc="Starting")
            # Forget the previous model first, so a stopped run never leaves a stale one.
            yield escape_text("Training: starting"), None, None
            for update in train_on_text(text, seconds):
                progress(update.fraction, desc="Training")
                model = update.model if update.model is not None else gr.skip()
                yield describe_update(update), loss_table(update), model

    def sample_own_model(
        prime: str,
        temperature: float = DEFAULT_TEMPERATURE,
        length: float = DEFAULT_LENGTH,
        own_model=None,
    ):
        """Stream text sampled from the model this session trained."""
        with user_errors():
            if own_model is None:
                raise InvalidInputError("Train a model on your text first, then sample from it.")
            options = make_sampling_options(length, temperature)
            encoded, characters = stream_text(
                own_model, prime if prime is not None else "", options
            )
            notes = as_html_paragraph(describe_prime_changes(encoded))
            for text in growing_text(characters):
                yield text, notes

    with gr.Accordion("Train on your own text", open=False):
        gr.Markdown(
            f"Upload a UTF-8 text file (up to {MAX_UPLOAD_BYTES / 1e6:g} MB): a poem "
            "collection, your code, a diary. A one-layer LSTM with 256 units learns it for up to "
            f"{MAX_TRAINING_SECONDS} seconds while the loss falls, and then writes in its style. "
            "The model stays in this browser session only and is discarded afterwards; "
            "one model trains at a time, so you may wait for your turn."
        )
        own_model = gr.State(None, time_to_live=MODEL_LIFETIME_SECONDS)
        with gr.Row():
            with gr.Column(scale=1):
                text_file = gr.File(label="Text file (UTF-8)", type="filepath")
                seconds = gr.Slider(
                    MIN_TRAINING_SECONDS,
                    MAX_TRAINING_SECONDS,
                    value=DEFAULT_TRAINING_SECONDS,
                    step=1,
                    label="Training time (seconds)",
                )
                with gr.Row():
                    train_button = gr.Button("Train", variant="primary")
                    stop_button = gr.Button("Stop", variant="stop")
            with gr.Column(scale=2):
                status = gr.Markdown(label="Training status")
                loss_plot = gr.LinePlot(
                    x=LOSS_COLUMNS[0],
                    y=LOSS_COLUMNS[1],
                    label="Training loss",
                )
        with gr.Row():
            with gr.Column(scale=1):
                own_prime = gr.Textbox(label="Priming text", lines=2, max_length=MAX_PRIME_LENGTH)
                own_temperature = gr.Slider(
                    0, MAX_TEMPERATURE, value=DEFAULT_TEMPERATURE, step=0.05, label="Temperature"
                )
                own_length = gr.Slider(
                    1, MAX_SAMPLE_LENGTH, value=DEFAULT_LENGTH, step=1, label="Length (characters)"
                )
                sample_button = gr.Button("Sample from your model")
            with gr.Column(scale=2):
                own_output = gr.Textbox(
                    label="Text from your model",
                    lines=12,
                    interactive=False,
                    elem_classes="generated-text",
                )
                own_notes = gr.Markdown()
    training = train_button.click(
        train_own_model,
        [text_file, seconds],
        [status, loss_plot, own_model],
        api_name="train_own_model",
        concurrency_limit=TRAINING_CONCURRENCY,
        concurrency_id="own_text_training",
        # The progress bar covers the status line only, so the loss plot stays visible.
        show_progress_on=[status],
    )
    stop_button.click(
        lambda: as_html_paragraph("Training stopped. Train again to get a model to sample from."),
        None,
        status,
        cancels=[training],
        api_visibility="private",
    )
    text_file.upload(describe_upload, text_file, status, api_visibility="private")
    sample_button.click(
        sample_own_model,
        [own_prime, own_temperature, own_length, own_model],
        [own_output, own_notes],
        api_name="sample_own_model",
        concurrency_id="text_generation",
    )
