"""Load any image a browser can upload as a small RGB picture for the encoder.

``load_image`` accepts a path, the file's bytes, a PIL image or a numpy array,
and returns an RGB image whose longest side is at most ``MAX_WORKING_SIDE``.
Alpha is composited over white and the EXIF orientation is applied. Anything
that is not a readable image of a sensible size raises InvalidInputError with
a plain message, never a Pillow exception.
"""

import io
import logging
import struct
import threading
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from playground.errors import InvalidInputError

logger = logging.getLogger(__name__)

# The encoder's input is a 224 x 224 crop, and attention maps are drawn over the picture, so
# a longer side than this only costs decoding time and memory.
MAX_WORKING_SIDE = 1024
# Below this a photo has too few pixels to show anything, and the 7x7 feature grid would
# be made from a handful of upsampled pixels.
MIN_SIDE = 16
# Images are checked against this before their pixels are decoded. It is a little above
# 64 megapixels so that 8000 x 8000 photos pass, and an RGB image this large decodes to
# about 200 MB. Pillow's own limit (Image.MAX_IMAGE_PIXELS, about 89 megapixels in
# Pillow 12) is higher, so this one decides.
MAX_IMAGE_PIXELS = 8192 * 8192
# The maximum ratio of the longer side to the shorter side. An image within it whose sides
# are both at least MIN_SIDE still has a short side of at least MIN_SIDE after it is
# downscaled to MAX_WORKING_SIDE.
MAX_ASPECT_RATIO = MAX_WORKING_SIDE // MIN_SIDE

# The colour that transparent pixels are composited over.
BACKGROUND_COLOUR = (255, 255, 255)

# What Pillow raises on a corrupt or truncated file. Its decoders raise many kinds of
# exception, and every one of them means the uploaded file is bad, not that the code is.
# Warning is there for the warnings Pillow emits on corrupt metadata, which are raised
# as exceptions when the warnings filter is set to "error" (python -W error).
_DECODE_ERRORS = (
    Warning,
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    EOFError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
)

# The name that messages give an image that arrived as bytes (the caption tab's uploads).
UPLOADED_FILE = "the uploaded file"

# warnings.catch_warnings changes process-wide state, so calls that turn Pillow's
# DecompressionBombWarning into an exception take turns.
_open_lock = threading.Lock()


def load_image(source) -> Image.Image:
    """Decode ``source`` into an RGB image whose longest side is at most MAX_WORKING_SIDE.

    ``source`` is a path (str or Path), the bytes of an image file, a PIL image or a
    numpy array. Files may be PNG, JPEG, WebP, GIF (the first frame is used), BMP or
    TIFF, in any mode Pillow reads: grayscale, 16-bit, 1-bit, palette, CMYK, with or
    without alpha. Arrays are (H, W), (H, W, 3) or (H, W, 4): unsigned 8-bit, another
    integer type whose values lie in [0, 255], bool, or float with values in [0, 1]
    (as skimage and matplotlib store them).

    Raises InvalidInputError for a file that is not a readable image, a truncated
    file, an image smaller than MIN_SIDE on a side, larger than MAX_IMAGE_PIXELS or
    more elongated than MAX_ASPECT_RATIO, and for any other kind of ``source``.
    """
    if isinstance(source, Image.Image):
        return _normalise(source, owned=False)
    if isinstance(source, np.ndarray):
        return _normalise(image_from_array(source), owned=True)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise InvalidInputError("The image file is empty (0 bytes).")
        return _decode(io.BytesIO(data), UPLOADED_FILE)
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            with open(path, "rb") as file:
                return _decode(file, str(path))
        except OSError as error:
            reason = error.strerror or str(error)
            raise InvalidInputError(f"Cannot read the image file {path}: {reason}.") from None
    raise InvalidInputError(
        "An image must be a file path, the file's bytes, a PIL image or a numpy array, "
        f"not {type(source).__name__}."
    )


def image_from_array(array: np.ndarray) -> Image.Image:
    """Wrap an (H, W), (H, W, 3) or (H, W, 4) array as an L, RGB or RGBA image.

    Raises InvalidInputError for other shapes, for float values outside [0, 1], NaN
    included, and for integer values outside [0, 255].
    """
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise InvalidInputError(
            f"An image array must have shape (H, W), (H, W, 3) or (H, W, 4), not {array.shape}."
        )
    check_size(array.shape[1], array.shape[0])
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise InvalidInputError("A float image array must not contain NaN or infinity.")
        if array.min() < 0.0 or array.max() > 1.0:
            raise InvalidInputError(
                "A float image array must hold values in [0, 1]; this one spans "
                f"[{array.min():g}, {array.max():g}]. Pass 0-255 values as uint8."
            )
        array = np.round(array * 255.0).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.integer):
        if array.dtype != np.uint8:
            low, high = int(array.min()), int(array.max())
            if low < 0 or high > 255:
                raise InvalidInputError(
                    f"An integer image array must hold values in [0, 255]; this {array.dtype} "
                    f"array spans [{low}, {high}]."
                )
            array = array.astype(np.uint8)
    else:
        raise InvalidInputError(f"An image array must be of a numeric type, not {array.dtype}.")
    return Image.fromarray(np.ascontiguousarray(array))


def check_size(width: int, height: int) -> None:
    """Raise InvalidInputError unless a width x height image is within the size limits."""
    if width < MIN_SIDE or height < MIN_SIDE:
        raise InvalidInputError(
            f"The image is {width} x {height} pixels; it must be at least "
            f"{MIN_SIDE} x {MIN_SIDE} pixels."
        )
    if width * height > MAX_IMAGE_PIXELS:
        raise InvalidInputError(
            f"The image is {width} x {height} pixels ({width * height / 1e6:.1f} megapixels, "
            f"{width * height:,} pixels); the maximum is {MAX_IMAGE_PIXELS:,} pixels "
            f"(for example {MAX_WORKING_SIDE * 8} x {MAX_WORKING_SIDE * 8})."
        )
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise InvalidInputError(
            f"The image is {width} x {height} pixels; its longer side may be at most "
            f"{MAX_ASPECT_RATIO} times its shorter side."
        )


def _decode(file, name: str) -> Image.Image:
    """Open an image file, check its header size, then decode and normalise it."""
    image = _open(file, name)
    check_size(*image.size)
    if image.format == "JPEG" and max(image.size) > MAX_WORKING_SIDE:
        # Decode at 1/2, 1/4 or 1/8 scale when that still leaves MAX_WORKING_SIDE pixels.
        image.draft(None, _fit_within(image.size, MAX_WORKING_SIDE))
    return _normalise(image, owned=True, name=name)


def _open(file, name: str) -> ImageFile.ImageFile:
    """Read an image file's header, turning every Pillow error into InvalidInputError."""
    try:
        with _open_lock, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(file)
    except UnidentifiedImageError:
        raise InvalidInputError(
            f"The file is not an image Pillow can read ({name} is in none of the formats "
            "PNG, JPEG, WebP, GIF, BMP and TIFF)."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        logger.debug("decompression bomb check failed for %s: %s", name, error)
        raise InvalidInputError(
            "The image is too large to decode: its header declares more pixels than "
            f"the maximum of {MAX_IMAGE_PIXELS / 1e6:.1f} megapixels."
        ) from None
    except _DECODE_ERRORS as error:
        raise _unreadable(error, name) from None


def _normalise(image: Image.Image, owned: bool, name: str = "the image") -> Image.Image:
    """Load ``image``, flatten it to RGB over white, downscale it and apply its EXIF orientation.

    ``owned`` is False when ``image`` belongs to the caller, who gets it back unchanged.
    ``name`` is how error messages refer to the image. Pillow opens multi-frame files
    (GIF, WebP, TIFF) at their first frame, which is the one used.
    """
    check_size(*image.size)
    try:
        image.load()
        # A few formats (ICO, for one) may decode to another size than their header says.
        check_size(*image.size)
        orientation = image.getexif().get(EXIF_ORIENTATION_TAG, 1)
        converted = _to_rgb_or_rgba(image)
        if max(converted.size) > MAX_WORKING_SIDE:
            size = _fit_within(converted.size, MAX_WORKING_SIDE)
            converted = converted.resize(size, Image.Resampling.LANCZOS)
        elif converted is image and not owned:
            converted = converted.copy()
        if orientation in EXIF_TRANSPOSES:
            converted = converted.transpose(EXIF_TRANSPOSES[orientation])
        if converted.mode == "RGBA":
            background = Image.new("RGBA", converted.size, BACKGROUND_COLOUR + (255,))
            converted = Image.alpha_composite(background, converted).convert("RGB")
    except _DECODE_ERRORS as error:
        raise _unreadable(error, name) from None
    return converted


# The EXIF tag that holds the orientation (1 to 8) a camera recorded, and the transpose
# that turns each orientation upright, as ImageOps.exif_transpose does. Reading the tag
# before any conversion works for every format: TIFF keeps it outside ``info["exif"]``,
# so it would be lost after Image.convert.
EXIF_ORIENTATION_TAG = 0x0112
EXIF_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _to_rgb_or_rgba(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB, or to RGBA when the image has transparency."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _scale_wide_grayscale(image)
    if image.mode == ("RGBA" if has_alpha else "RGB"):
        return image
    return image.convert("RGBA" if has_alpha else "RGB")


def _scale_wide_grayscale(image: Image.Image) -> Image.Image:
    """Map 16-bit, 32-bit integer and float grayscale to 8-bit L.

    Pillow's own conversion clips these at 255 instead of scaling them. 16-bit images
    are scaled from [0, 65535]. A 32-bit integer image is read as 16-bit when any value
    exceeds 255 (PNG and TIFF store 16-bit samples that way) and as 8-bit otherwise, and
    a float image as [0, 1] when its values fit in it and as [0, 255] otherwise.
    """
    values = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16"):
        full_scale = 65535.0
    elif image.mode == "I":
        full_scale = 65535.0 if values.max(initial=0) > 255 else 255.0
    else:
        finite = values[np.isfinite(values)]
        full_scale = 1.0 if finite.size == 0 or finite.max() <= 1.0 else 255.0
        values = np.nan_to_num(values, nan=0.0, posinf=full_scale, neginf=0.0)
    scaled = np.clip(values * (255.0 / full_scale), 0, 255).round().astype(np.uint8)
    return Image.fromarray(scaled)


def _fit_within(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """Scale ``size`` down, keeping its aspect ratio, so that its longest side is ``max_side``."""
    width, height = size
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _unreadable(error: Exception, name: str) -> InvalidInputError:
    """Describe a decoding error as a truncated file or as an unreadable one."""
    detail = str(error) or type(error).__name__
    logger.debug("cannot decode %s: %r", name, error)
    if isinstance(error, EOFError) or "truncated" in detail.lower():
        subject = "uploaded image file" if name == UPLOADED_FILE else f"image file {name}"
        return InvalidInputError(f"The {subject} is truncated; upload the whole file again.")
    return InvalidInputError(f"The file is not an image Pillow can read ({name}: {detail}).")
