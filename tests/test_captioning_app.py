"""The captioning tab in a launched app, driven through gradio_client with real image files."""

import io
import zlib

import numpy as np
import pytest
from gradio.media import get_image
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from playground.registry import ModelRegistry
from tests.conftest import launch_app, tiny_captioner_spec, tiny_spec


@pytest.fixture(scope="module")
def captioning_app(tiny_checkpoint_dir, tiny_captioner_dir):
    for path in tiny_checkpoint_dir.iterdir():
        target = tiny_captioner_dir / path.name
        if path.is_file() and not target.exists():
            target.symlink_to(path)
    registry = ModelRegistry([tiny_spec(), tiny_captioner_spec()], tiny_captioner_dir)
    demo, client = launch_app(registry)
    yield client
    client.close()
    demo.close()


def gradient_image(width: int, height: int, mode: str = "RGB") -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    rgb = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], -1).astype(np.uint8)
    return Image.fromarray(rgb, "RGB").convert(mode)


def write(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


def exif_rotated_jpeg(path):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    return write(gradient_image(64, 32), path, format="JPEG", exif=exif)


def animated_gif(path):
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("red", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path


IMAGE_KINDS = {
    "png": lambda p: write(gradient_image(80, 60), p / "a.png"),
    "jpeg": lambda p: write(gradient_image(80, 60), p / "a.jpg", quality=90),
    "webp": lambda p: write(gradient_image(80, 60), p / "a.webp"),
    "gif": lambda p: animated_gif(p / "a.gif"),
    "grayscale": lambda p: write(gradient_image(80, 60, "L"), p / "gray.png"),
    "cmyk": lambda p: write(gradient_image(80, 60, "CMYK"), p / "cmyk.jpg"),
    "alpha": lambda p: write(gradient_image(80, 60, "RGBA"), p / "alpha.png"),
    "exif": lambda p: exif_rotated_jpeg(p / "rotated.jpg"),
    "tiny": lambda p: write(gradient_image(16, 16), p / "tiny.png"),
    "huge": lambda p: write(gradient_image(8000, 8000), p / "huge.jpg", quality=80),
}


def test_caption_image_answers_with_all_outputs(captioning_app):
    caption, alternatives, gallery, labels = captioning_app.predict(
        handle_file(get_image("cheetah.jpg")), 3, api_name="/caption_image"
    )
    assert isinstance(caption, str)
    assert caption.strip()
    assert alternatives["headers"] == ["caption", "log-probability", "per word"]
    assert 1 <= len(alternatives["data"]) <= 3
    assert alternatives["data"][0][0].removesuffix(" …") == caption
    assert gallery
    for item in gallery:
        assert item["caption"] in caption
    assert labels["label"] == "cheetah"
    assert len(labels["confidences"]) == 5


def test_caption_image_first_input_alone(captioning_app):
    result = captioning_app.predict(handle_file(get_image("lion.jpg")), api_name="/caption_image")
    assert isinstance(result[0], str)
    assert result[0].strip()


@pytest.mark.parametrize("beam_size", [1, 5])
def test_caption_image_beam_sizes(captioning_app, beam_size):
    _, alternatives, _, _ = captioning_app.predict(
        handle_file(get_image("bus.png")), beam_size, api_name="/caption_image"
    )
    assert 1 <= len(alternatives["data"]) <= beam_size


@pytest.mark.parametrize("kind", sorted(IMAGE_KINDS))
def test_caption_image_every_image_kind(captioning_app, tmp_path, kind):
    path = IMAGE_KINDS[kind](tmp_path)
    caption, _, gallery, labels = captioning_app.predict(
        handle_file(str(path)), 2, api_name="/caption_image"
    )
    assert caption.strip()
    assert gallery
    assert len(labels["confidences"]) == 5


def broken_files(folder):
    jpeg = io.BytesIO()
    gradient_image(200, 200).save(jpeg, format="JPEG")
    png = io.BytesIO()
    gradient_image(200, 200).save(png, format="PNG")
    bomb = io.BytesIO()
    Image.new("1", (1, 1)).save(bomb, format="PNG")
    header = bytearray(bomb.getvalue())
    # Claim 100000 x 100000 pixels in the IHDR chunk, with its checksum to match.
    header[16:24] = (100_000).to_bytes(4, "big") * 2
    header[29:33] = zlib.crc32(bytes(header[12:29])).to_bytes(4, "big")
    files = {
        "truncated.jpg": jpeg.getvalue()[: len(jpeg.getvalue()) // 2],
        "truncated.png": png.getvalue()[: len(png.getvalue()) // 2],
        "notes.txt": b"this is not an image\n" * 10,
        "random.png": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
        "empty.jpg": b"",
        "bomb.png": bytes(header),
        "small.png": b"",
    }
    small = io.BytesIO()
    gradient_image(8, 8).save(small, format="PNG")
    files["small.png"] = small.getvalue()
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


@pytest.mark.parametrize(
    "name, message",
    [
        ("truncated.jpg", "the uploaded image file is truncated; upload the whole file again"),
        ("truncated.png", "the uploaded image file is truncated; upload the whole file again"),
        ("notes.txt", "not an image"),
        ("random.png", "not an image"),
        ("empty.jpg", "empty"),
        ("bomb.png", "too large"),
        ("small.png", "16"),
    ],
)
def test_caption_image_broken_files_get_clear_errors(captioning_app, tmp_path, name, message):
    path = broken_files(tmp_path)[name]
    with pytest.raises(AppError) as error:
        captioning_app.predict(handle_file(str(path)), 3, api_name="/caption_image")
    text = str(error.value)
    assert message in text.lower()
    assert "Traceback" not in text
    # The app keeps serving afterwards.
    after = captioning_app.predict(
        handle_file(get_image("cheetah.jpg")), 1, api_name="/caption_image"
    )
    assert after[0].strip()


@pytest.mark.parametrize("beam_size", [0, 6, 2.5, -1])
def test_caption_image_rejects_bad_beam_sizes(captioning_app, beam_size):
    with pytest.raises(AppError) as error:
        captioning_app.predict(
            handle_file(get_image("cheetah.jpg")), beam_size, api_name="/caption_image"
        )
    assert "beam size" in str(error.value).lower()


def test_caption_image_without_image(captioning_app):
    with pytest.raises(AppError) as error:
        captioning_app.predict(None, 3, api_name="/caption_image")
    assert "upload an image" in str(error.value).lower()
