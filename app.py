"""RNN Playground: one Gradio app with a tab per classic recurrent-network task.

Run ``python app.py``; Gradio's GRADIO_SERVER_NAME and GRADIO_SERVER_PORT
environment variables choose the address.
"""

import logging
import os

# The app is often run offline (laptops in lecture halls); Gradio's usage
# statistics are off unless the environment turns them on.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402 (must follow the environment default above)

from playground.catalog import build_registry  # noqa: E402
from playground.memory import start_heap_trimmer  # noqa: E402
from playground.registry import ModelRegistry  # noqa: E402
from tabs import captioning, handwriting, sentiment, text_generation  # noqa: E402
from tabs.input_checks import CheckedBlocks  # noqa: E402

# When this many requests are waiting, Gradio (6.31) rejects the next one at once with
# HTTP 503. The page shows "This application is currently busy. Please try again.", and
# gradio_client raises QueueError("Queue is full! Please try again.").
QUEUE_MAX_SIZE = 64
# Each run of an event keeps one CPU core busy, so more parallel runs than
# cores only add latency.
CONCURRENCY_PER_EVENT = max(1, os.cpu_count() or 1)

# Gradio rejects a larger upload before any handler receives it. A phone photo is
# 2-12 MB and an 8000 x 8000 JPEG about 20-40 MB. Each tab checks its own limits on
# top: 2 MB for a text to train on, and 8192 x 8192 pixels for a photo.
MAX_UPLOAD_BYTES = 50_000_000

# show_error passes the message of an exception that is not a gr.Error to the
# client, rather than a generic one. The app's own errors are all gr.Error, from
# CheckedBlocks for wrong kinds of values and from the handlers for the rest, and
# none carries a traceback.
LAUNCH_OPTIONS = {"show_error": True, "max_file_size": MAX_UPLOAD_BYTES}

THEME = gr.themes.Soft()
# Generated text keeps its line breaks and columns in a monospace font, as in a script.
# A handwritten page can be wider than the window (page width up to 2,000 px), and
# the layout hides horizontal overflow, so the page scrolls inside its own box.
CSS = (
    ".generated-text textarea { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; }\n"
    ".handwriting-page { overflow-x: auto !important; }"
)


def build_app(
    registry: ModelRegistry | None = None, queue_max_size: int = QUEUE_MAX_SIZE
) -> gr.Blocks:
    """Build the app around ``registry`` (the shipped models by default) without loading any.

    ``queue_max_size`` is the number of waiting requests beyond which Gradio rejects new ones.
    """
    if registry is None:
        registry = build_registry()
    with CheckedBlocks(title="RNN Playground") as demo:
        gr.Markdown(
            "# RNN Playground\n"
            "Classic recurrent neural networks, trained on a laptop-sized CPU, running live."
        )
        with gr.Tab("Text generation"):
            text_generation.build(demo, registry)
        # A tab appears once its model is registered (shipped, or added in tests).
        if registry.names(handwriting.HANDWRITING):
            with gr.Tab("Text to handwriting"):
                handwriting.build(registry)
        if registry.names(captioning.CAPTIONING):
            with gr.Tab("Image captioning"):
                captioning.build(registry)
        # The sentiment tab needs both its classifier and its tuned character model.
        if registry.names(sentiment.SENTIMENT) and registry.names(sentiment.SENTIMENT_TRACE):
            with gr.Tab("Sentiment"):
                sentiment.build(registry)
    demo.queue(max_size=queue_max_size, default_concurrency_limit=CONCURRENCY_PER_EVENT)
    return demo


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    start_heap_trimmer()
    build_app().launch(theme=THEME, css=CSS, **LAUNCH_OPTIONS)


if __name__ == "__main__":
    main()
