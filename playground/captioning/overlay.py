"""Attention maps drawn over the part of the image that the encoder saw."""

import numpy as np
from PIL import Image

# Share of brightness kept where a word pays no attention, so the photo stays readable.
UNATTENDED_BRIGHTNESS = 0.25


def attention_overlay(view: Image.Image, attention: np.ndarray) -> Image.Image:
    """Return ``view`` brightened where ``attention`` (grid x grid, summing to 1) is high.

    ``view`` is the square crop the encoder saw. The coarse map is scaled to
    its peak and resized smoothly to the crop's size, as in the figures of
    Xu et al. (2015).
    """
    if attention.ndim != 2:
        raise ValueError(f"attention must be a 2-D grid, got shape {attention.shape}")
    peak = float(attention.max())
    scaled = attention / peak if peak > 0 else np.zeros_like(attention)
    mask = Image.fromarray(scaled.astype(np.float32), mode="F").resize(
        view.size, Image.Resampling.BICUBIC
    )
    weights = np.clip(np.asarray(mask), 0.0, 1.0)[..., None]
    pixels = np.asarray(view.convert("RGB"), dtype=np.float32)
    shaded = pixels * (UNATTENDED_BRIGHTNESS + (1 - UNATTENDED_BRIGHTNESS) * weights)
    return Image.fromarray(shaded.round().astype(np.uint8), mode="RGB")
