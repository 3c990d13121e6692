"""Benchmark the captioning encoder on CPU: image loading, preprocessing, one forward pass.

Usage: python -m bench.encoder_speed [--threads 2] [--repeats 30]

Times batch-1 forward passes of EfficientNet-Lite0 in the default memory layout
and in channels_last (which ImageEncoder uses), and checks that both give the
same top-5 classes on gradio's and scikit-learn's bundled photos. Run it on an
otherwise idle machine: another busy process skews the numbers, most of all
with more than one thread.
"""

import argparse
import json
import os
from importlib import resources

import torch

from bench.timing import median_ms
from playground.captioning.encoder import build_encoder, preprocess
from playground.captioning.images import load_image

PHOTOS = [
    ("gradio", "media_assets/images/cheetah.jpg"),
    ("gradio", "media_assets/images/lion.jpg"),
    ("sklearn", "datasets/images/china.jpg"),
    ("sklearn", "datasets/images/flower.jpg"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="PyTorch CPU threads")
    parser.add_argument("--repeats", type=int, default=30, help="timed runs; the median counts")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    paths = [resources.files(package) / path for package, path in PHOTOS]
    pixels = torch.stack([preprocess(load_image(path)) for path in paths])
    encoder = build_encoder()
    contiguous = build_encoder().backbone.to(memory_format=torch.contiguous_format)

    with torch.inference_mode():
        # The same top-5 classes from both layouts, photo by photo.
        top5 = encoder(pixels).logits.topk(5).indices
        top5_contiguous = contiguous(pixels).topk(5).indices
        one = pixels[:1]
        for _ in range(3):
            encoder(one)
            contiguous.extract_features(one)
        results = {
            "threads": args.threads,
            "load_average": os.getloadavg()[0],
            "load_and_preprocess_ms": median_ms(
                lambda: preprocess(load_image(paths[0])), args.repeats
            ),
            "forward_channels_last_ms": median_ms(lambda: encoder(one), args.repeats),
            "forward_contiguous_ms": median_ms(
                lambda: contiguous.extract_features(one), args.repeats
            ),
            "same_top5": bool(torch.equal(top5, top5_contiguous)),
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
