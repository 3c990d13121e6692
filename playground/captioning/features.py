"""Encoder features of a set of images, computed once and cached on disk.

The encoder is frozen, so training reads each image's 7x7 feature grid and
top ImageNet classes from this cache instead of running the CNN every epoch.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from playground.captioning.encoder import encoder_provenance, load_encoder, preprocess_batch
from playground.captioning.images import load_image

logger = logging.getLogger(__name__)


@dataclass
class EncodedImages:
    """Features (n, N, F) in fp16, and the top classes (n, K) with their log-probabilities."""

    features: torch.Tensor
    top_classes: torch.Tensor
    top_log_probs: torch.Tensor


def top_classes_of(log_probs: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the indices (..., k) and log-probabilities (..., k) of the k most likely classes."""
    top_log_probs, top_classes = log_probs.float().topk(k, dim=-1)
    return top_classes, top_log_probs


@torch.no_grad()
def encode_images(
    paths: list[Path], num_classes: int, batch_size: int = 16, progress: bool = True
) -> EncodedImages:
    """Run the encoder over the images at ``paths``, in order."""
    encoder = load_encoder()
    features, classes, log_probs = [], [], []
    batches = range(0, len(paths), batch_size)
    for start in tqdm(batches, desc="encoding images", unit="batch", disable=not progress):
        images = [load_image(path) for path in paths[start : start + batch_size]]
        output = encoder(preprocess_batch(images))
        class_log_probs = torch.stack(
            [encoder.class_log_probs(image, logits) for image, logits in zip(images, output.logits)]
        )
        top_classes, top_log_probs = top_classes_of(class_log_probs, num_classes)
        features.append(output.features.half())
        classes.append(top_classes)
        log_probs.append(top_log_probs)
    return EncodedImages(torch.cat(features), torch.cat(classes), torch.cat(log_probs))


def cache_key(paths: list[Path], num_classes: int) -> str:
    """Hash the image paths, their sizes and times, the encoder and ``num_classes``."""
    digest = hashlib.sha256()
    digest.update(json.dumps(encoder_provenance(), sort_keys=True).encode())
    digest.update(str(num_classes).encode())
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def cached_encode(
    paths: list[Path], cache_dir: Path, num_classes: int, progress: bool = True
) -> EncodedImages:
    """Return the encoded images, reading them from ``cache_dir`` when they were encoded before."""
    cache_path = cache_dir / f"features-{cache_key(paths, num_classes)}.safetensors"
    if cache_path.exists():
        logger.info("reading cached features of %d images from %s", len(paths), cache_path)
        tensors = load_file(str(cache_path))
        return EncodedImages(tensors["features"], tensors["top_classes"], tensors["top_log_probs"])
    logger.info("encoding %d images (cached in %s afterwards)", len(paths), cache_path)
    encoded = encode_images(paths, num_classes, progress=progress)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp_path = cache_path.with_name(cache_path.name + ".tmp")
    save_file(
        {
            "features": encoded.features.contiguous(),
            "top_classes": encoded.top_classes.contiguous(),
            "top_log_probs": encoded.top_log_probs.contiguous(),
        },
        str(tmp_path),
    )
    tmp_path.replace(cache_path)
    return encoded
