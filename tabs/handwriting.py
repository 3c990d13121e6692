"""Text to handwriting tab: a Graves synthesis network writes typed text as an SVG page."""

import gradio as gr

from playground.catalog import HANDWRITING
from playground.checkpoint import CheckpointError
from playground.handwriting.render import DEFAULT_INK, DEFAULT_LINE_SPACING, PageOptions
from playground.handwriting.sampler import DEFAULT_SAMPLING_BIAS, MAX_SAMPLING_BIAS
from playground.handwriting.writer import (
    MAX_LINE_SPACING,
    MAX_PAGE_WIDTH,
    MAX_STROKE_WIDTH,
    MAX_TEXT_LENGTH,
    MIN_LINE_SPACING,
    MIN_PAGE_WIDTH,
    MIN_STROKE_WIDTH,
    write_page,
)
from playground.registry import ModelRegistry, UnknownModelError
from playground.textgen import MAX_SEED, RANDOM_SEED
from tabs.errors import as_html_paragraph, user_errors
from tabs.output_files import save_text_output

DEFAULT_LEGIBILITY = DEFAULT_SAMPLING_BIAS
DEFAULT_TEXT = "The quick brown fox jumps over the lazy dog.\nPack my box with five dozen jugs!"
EXAMPLES = [
    "Hello, world!",
    "Recurrent networks can write, too.",
    "QUIZ: 6 x 7 = 42? {yes} [no] (maybe) ~ 100% sure & 0 doubts; #1 @ $5.",
    "Dear students,\nthe exam is on Friday at 9:30 in room B-204.",
]


def hand_choices(registry: ModelRegistry, model_name: str) -> list[tuple[str, str]]:
    """Return (hand name, hand number) pairs from the model's metadata, or [] if unavailable.

    The numbers are strings ("0", "1", ...) because Gradio's API description
    lists every dropdown value as a string, and API clients send what it lists.
    """
    try:
        names = registry.metadata(model_name)["hands"]
    except (CheckpointError, UnknownModelError, KeyError, TypeError):
        return []
    return [(str(name), str(number)) for number, name in enumerate(names)]


def build(registry: ModelRegistry) -> None:
    """Add the tab's components and events to the current tab."""
    model_names = registry.names(HANDWRITING)
    model_name = model_names[0] if model_names else None
    hands = hand_choices(registry, model_name) if model_name else []

    def write_handwriting(
        text: str,
        hand: str = "0",
        legibility: float = DEFAULT_LEGIBILITY,
        stroke_width: float = 2.0,
        ink: str = DEFAULT_INK,
        line_spacing: float = DEFAULT_LINE_SPACING,
        page_width: float = 800,
        animate: bool = False,
        seed: float | None = RANDOM_SEED,
    ):
        """Write the text by hand; return the SVG document, a download and notes."""
        with user_errors():
            hw = registry.get(model_name)
            options = PageOptions(
                page_width=page_width,
                line_spacing=line_spacing,
                stroke_width=stroke_width,
                ink=ink,
                animate=bool(animate),
            )
            chosen_seed = None if seed in (None, RANDOM_SEED) else int(seed)
            # The Hand dropdown lets only its own choices through, each a whole number as text.
            svg, prepared = write_page(hw, text, int(hand), legibility, options, chosen_seed)
            download = save_text_output(svg, prefix="handwriting-", suffix=".svg")
            return svg, download, as_html_paragraph(prepared.describe())

    gr.Markdown(
        "A handwriting synthesis network (Graves 2013) writes your text point by point. A soft "
        "attention window slides along the characters while a mixture density network draws "
        "the pen's next move. Higher legibility makes the writing neater and less varied."
    )
    with gr.Row():
        with gr.Column(scale=2):
            text = gr.Textbox(
                DEFAULT_TEXT, label="Text", lines=4, max_length=MAX_TEXT_LENGTH, show_label=True
            )
            write_button = gr.Button("Write", variant="primary")
        with gr.Column(scale=1):
            hand = gr.Dropdown(
                hands, value=hands[0][1] if hands else None, label="Hand", type="value"
            )
            legibility = gr.Slider(
                0, MAX_SAMPLING_BIAS, value=DEFAULT_LEGIBILITY, step=0.1, label="Legibility"
            )
            with gr.Accordion("Page", open=False):
                stroke_width = gr.Slider(
                    MIN_STROKE_WIDTH, MAX_STROKE_WIDTH, value=2.0, step=0.1, label="Stroke width"
                )
                ink = gr.ColorPicker(DEFAULT_INK, label="Ink")
                line_spacing = gr.Slider(
                    MIN_LINE_SPACING,
                    MAX_LINE_SPACING,
                    value=DEFAULT_LINE_SPACING,
                    step=0.1,
                    label="Line spacing",
                )
                page_width = gr.Slider(
                    MIN_PAGE_WIDTH, MAX_PAGE_WIDTH, value=800, step=10, label="Page width (px)"
                )
                animate = gr.Checkbox(False, label="Animate the pen")
                seed = gr.Number(
                    RANDOM_SEED, precision=0, minimum=RANDOM_SEED, maximum=MAX_SEED, label="Seed"
                )
    page = gr.HTML(label="Handwriting", elem_classes=["handwriting-page"])
    download = gr.File(label="Download SVG")
    notes = gr.Markdown()
    write_button.click(
        write_handwriting,
        [text, hand, legibility, stroke_width, ink, line_spacing, page_width, animate, seed],
        [page, download, notes],
        api_name="write_handwriting",
    )
    gr.Examples([[example] for example in EXAMPLES], inputs=[text], cache_examples=False)
