"""Benchmark captioning one photo at beam size 3, end to end, on the CPU.

Usage: python -m bench.captioning_speed [--checkpoint checkpoints/captioner] [--threads 2]

Times what the captioning tab computes for an uploaded file: reading and
downscaling the image, preprocessing, the encoder's forward pass, beam search
and slot filling. The target is 150 ms per image. The baseline, in the same
run, is the encoder's forward pass alone on the preprocessed image, which no
decoder can beat. The ratio shows what the decoder and the image handling
add. Run it on an otherwise idle machine.
"""

import argparse
import json
import statistics
from pathlib import Path

import torch
from gradio.media import get_image

from bench.timing import median_ms
from playground.captioning.captioner import ImageCaptioner, load_captioner
from playground.captioning.encoder import preprocess
from playground.captioning.images import load_image
from playground.catalog import CAPTIONING, SHIPPED_MODELS
from playground.registry import default_checkpoint_dir

TARGET_MS = 150.0
PHOTOS = ("cheetah.jpg", "lion.jpg", "bus.png", "tower.jpg")


def captioning_parser(description: str) -> argparse.ArgumentParser:
    """Return a parser with the --checkpoint and --beam-size options of the captioning benches."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=default_checkpoint_dir() / "captioner",
        help="caption decoder checkpoint stem",
    )
    parser.add_argument("--beam-size", type=int, default=3, help="beam size")
    return parser


def load_bench_captioner(checkpoint: Path) -> ImageCaptioner:
    """Load the captioner at ``checkpoint`` on the CPU, naming the shipped recreate command."""
    recreate = next((s.recreate_command for s in SHIPPED_MODELS if s.task == CAPTIONING), "")
    return load_captioner(checkpoint, recreate, torch.device("cpu"))


def main(argv: list[str] | None = None) -> dict:
    parser = captioning_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="PyTorch CPU threads")
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per photo")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    captioner = load_bench_captioner(args.checkpoint)
    rows = []
    for photo in PHOTOS:
        path = get_image(photo)
        pixels = preprocess(load_image(path)).unsqueeze(0)

        def encode_only(pixels=pixels):
            with torch.inference_mode():
                captioner.encoder(pixels)

        def caption_file(path=path):
            captioner.caption(path, args.beam_size)

        # Warm-up: the first calls load weights and allocate buffers.
        for _ in range(3):
            encode_only()
            caption_file()
        encoder_ms = median_ms(encode_only, args.repeats)
        total_ms = median_ms(caption_file, args.repeats)
        caption = captioner.caption(path, args.beam_size).caption
        rows.append(
            {
                "photo": photo,
                "encoder_ms": round(encoder_ms, 1),
                "total_ms": round(total_ms, 1),
                "caption": caption,
            }
        )
        print(f"{photo:12} encoder {encoder_ms:6.1f} ms  total {total_ms:6.1f} ms  {caption!r}")

    encoder_ms = statistics.median(row["encoder_ms"] for row in rows)
    total_ms = statistics.median(row["total_ms"] for row in rows)
    verdict = "meets" if total_ms <= TARGET_MS else "misses"
    print(
        f"median over photos: encoder alone {encoder_ms:.1f} ms, whole caption {total_ms:.1f} ms "
        f"({total_ms / encoder_ms:.2f}x the encoder); {verdict} the {TARGET_MS:.0f} ms target "
        f"at beam size {args.beam_size} with {args.threads} threads"
    )
    result = {
        "checkpoint": str(args.checkpoint),
        "beam_size": args.beam_size,
        "threads": args.threads,
        "encoder_ms": encoder_ms,
        "total_ms": total_ms,
        "ratio_to_encoder": round(total_ms / encoder_ms, 2),
        "target_ms": TARGET_MS,
        "photos": rows,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
