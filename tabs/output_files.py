"""Files that handlers return to Gradio, each written once under its own name.

Gradio copies a returned file path into its cache, writing the copy under a
temporary name and renaming it into place. Gradio 6.31 writes a returned PIL
image straight to a file named by a hash of its bytes instead. Two requests
that return the same image at once then write the same file, and a client
can download it half-written. Handlers therefore write
their images and documents here and return the paths.
"""

import tempfile
import time
from pathlib import Path

from PIL import Image

OUTPUT_DIR = Path(tempfile.gettempdir()) / "rnn-playground-outputs"
# Gradio has taken its copy long before this, so older files here are deleted.
OUTPUT_LIFETIME_SECONDS = 600


def new_output_path(prefix: str, suffix: str) -> Path:
    """Return a new, unique, empty file in OUTPUT_DIR, deleting expired outputs first."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in OUTPUT_DIR.iterdir():
        try:
            if now - old.stat().st_mtime > OUTPUT_LIFETIME_SECONDS:
                old.unlink()
        except OSError:
            pass  # another request removed it first
    with tempfile.NamedTemporaryFile(
        suffix=suffix, prefix=prefix, dir=OUTPUT_DIR, delete=False
    ) as file:
        return Path(file.name)


def save_text_output(text: str, prefix: str, suffix: str) -> str:
    path = new_output_path(prefix, suffix)
    path.write_text(text, encoding="utf-8")
    return str(path)


def save_image_output(image: Image.Image, prefix: str) -> str:
    path = new_output_path(prefix, ".png")
    image.save(path, format="PNG")
    return str(path)
