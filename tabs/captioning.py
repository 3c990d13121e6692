"""Image captioning tab: upload a photo, get a caption and see where each word looked."""

from importlib import resources
from pathlib import Path

import gradio as gr
import pandas as pd
from gradio.media import get_image

from playground.captioning.captioner import (
    MAX_BEAM_SIZE,
    SHOWN_LABELS,
    CaptionResult,
    check_beam_size,
)
from playground.captioning.encoder import encoder_view
from playground.captioning.overlay import attention_overlay
from playground.catalog import CAPTIONING
from playground.checkpoint import CheckpointError
from playground.errors import InvalidInputError
from playground.registry import ModelRegistry, UnknownModelError
from tabs.errors import as_html_paragraph, user_errors
from tabs.input_checks import is_inside
from tabs.output_files import save_image_output

DEFAULT_BEAM_SIZE = 3
# Photos bundled with Gradio and scikit-learn, which none of the training scenes contain.
GRADIO_EXAMPLES = ("cheetah.jpg", "lion.jpg", "tower.jpg")
SKLEARN_EXAMPLES = ("china.jpg", "flower.jpg")


def example_images() -> list[str]:
    """Return the paths of the example photos."""
    sklearn_images = resources.files("sklearn") / "datasets" / "images"
    return [get_image(name) for name in GRADIO_EXAMPLES] + [
        str(sklearn_images / name) for name in SKLEARN_EXAMPLES
    ]


ALTERNATIVE_COLUMNS = ["caption", "log-probability", "per word"]


def image_source(payload, upload_folder: str) -> bytes:
    """Return the bytes of the uploaded file that Gradio's raw image value names.

    The event skips Gradio's own image decoding, so that a broken or hostile
    file reaches ``load_image`` and gets its clear message. The bytes are
    read here so that messages never show the server's upload folder. Only a
    file inside ``upload_folder`` is read, because a raw request can name any
    path on the server.
    """
    if payload is None:
        raise InvalidInputError("Upload an image first.")
    path = payload.get("path") if isinstance(payload, dict) else None
    if not isinstance(path, str) or not path:
        raise InvalidInputError("Send the image as a file (gradio_client.handle_file(path)).")
    if not is_inside(path, upload_folder):
        raise InvalidInputError(
            "The image was not uploaded to this app. Send it with gradio_client.handle_file(path)."
        )
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInputError("The uploaded image could not be read; upload it again.") from exc


def alternatives_frame(result: CaptionResult) -> pd.DataFrame:
    """Return the beam's captions, best first, with their total and per-word log-probability.

    A caption that the length cap cut off ends in an ellipsis.
    """
    rows = []
    for caption in result.captions:
        words = max(1, len(caption.words) + caption.finished)
        text = caption.text if caption.finished else caption.text + " …"
        rows.append([text, round(caption.log_prob, 3), round(caption.log_prob / words, 3)])
    return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)


def attention_gallery(result: CaptionResult) -> list[tuple[str, str]]:
    """Return one (image file, word) pair per word of the best caption."""
    view = encoder_view(result.image)
    best = result.captions[0]
    return [
        (save_image_output(attention_overlay(view, attention), prefix="attention-"), word)
        for word, attention in zip(best.words, best.attention)
    ]


def training_line(metadata: dict) -> str:
    """Return one plain sentence about the data the captioner was trained on."""
    images = metadata.get("data", {}).get("images", {})
    source = metadata.get("data", {}).get("source", {})
    count = images.get("train")
    if source.get("generator") == "playground.captioning.scenes":
        return (
            f"Trained on {count:,} generated scenes: photographed objects cut out of Tux Paint's "
            "stamps, pasted on nature photographs and described by template captions. Names it "
            "never saw in training come from the encoder's ImageNet labels."
        )
    dataset = metadata.get("data", {}).get("dataset", "a caption set")
    return f"Trained on the {count:,} training images of {dataset}."


def describe_model(registry: ModelRegistry, name: str) -> str:
    try:
        return as_html_paragraph(training_line(registry.metadata(name)))
    except (CheckpointError, UnknownModelError) as exc:
        return as_html_paragraph(f"Model facts unavailable: {exc}")
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return as_html_paragraph(f"The captioner's metadata is malformed: {exc!r}")


def build(registry: ModelRegistry) -> None:
    """Add the tab's components and events to the current tab."""
    name = registry.names(CAPTIONING)[0]

    def caption_image(image=None, beam_size: float = DEFAULT_BEAM_SIZE):
        """Caption the image; return the caption, alternatives, attention maps and labels."""
        with user_errors():
            source = image_source(image, upload_folder)
            size = check_beam_size(beam_size)
            result = registry.get(name).caption(source, size)
            return (
                result.caption,
                alternatives_frame(result),
                attention_gallery(result),
                dict(result.top_labels),
            )

    gr.Markdown(
        "A frozen EfficientNet-Lite0 turns the photo into a 7x7 grid of features. An LSTM "
        "writes the caption word by word, and before each word it chooses where in the grid "
        'to look (Xu et al., "Show, Attend and Tell", 2015). Beam search keeps the best '
        "few captions at each step."
    )
    gr.Markdown(describe_model(registry, name))
    with gr.Row():
        with gr.Column(scale=1):
            image = gr.Image(type="filepath", label="Photo", height=320)
            # Gradio keeps every upload in this folder (its GRADIO_TEMP_DIR).
            upload_folder = image.GRADIO_CACHE
            beam_size = gr.Slider(
                1,
                MAX_BEAM_SIZE,
                value=DEFAULT_BEAM_SIZE,
                step=1,
                label="Beam size",
                info="1 = greedy: always the likeliest next word",
            )
            button = gr.Button("Caption", variant="primary")
        with gr.Column(scale=1):
            caption = gr.Textbox(label="Caption", interactive=False, buttons=["copy"])
            alternatives = gr.Dataframe(
                headers=ALTERNATIVE_COLUMNS,
                label="Beam search alternatives",
                interactive=False,
                wrap=True,
            )
            labels = gr.Label(
                num_top_classes=SHOWN_LABELS, label="What the encoder sees (ImageNet classes)"
            )
    attention = gr.Gallery(
        label="Where each word looked", columns=6, height="auto", object_fit="contain"
    )
    # preprocess=False hands the raw upload to image_source, which checks it itself.
    button.click(
        caption_image,
        [image, beam_size],
        [caption, alternatives, attention, labels],
        api_name="caption_image",
        preprocess=False,
    )
    gr.Examples(
        [[path] for path in example_images()],
        inputs=[image],
        cache_examples=False,
    )
