"""RNN Playground: one Gradio app with a tab per classic recurrent-network task.

Run ``python app.py``; Gradio's GRADIO_SERVER_NAME and GRADIO_SERVER_PORT
environment variables choose the address.
"""

import logging
import os

import gradio as gr

from playground.catalog import build_registry
from playground.registry import ModelRegistry
from tabs import text_generation

# Requests waiting beyond this many get an immediate "queue is full" answer.
QUEUE_MAX_SIZE = 64
# Each run of an event keeps one CPU core busy, so more parallel runs than
# cores only add latency.
CONCURRENCY_PER_EVENT = max(1, os.cpu_count() or 1)

THEME = gr.themes.Soft()
# Generated text keeps its line breaks and columns in a monospace font, as in a script.
CSS = ".generated-text textarea { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; }"


def build_app(registry: ModelRegistry | None = None) -> gr.Blocks:
    """Build the app around ``registry`` (the shipped models by default) without loading any."""
    if registry is None:
        registry = build_registry()
    with gr.Blocks(title="RNN Playground") as demo:
        gr.Markdown(
            "# RNN Playground\n"
            "Classic recurrent neural networks, trained on a laptop-sized CPU, running live."
        )
        with gr.Tab("Text generation"):
            text_generation.build(demo, registry)
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=CONCURRENCY_PER_EVENT)
    return demo


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    build_app().launch(theme=THEME, css=CSS)


if __name__ == "__main__":
    main()
