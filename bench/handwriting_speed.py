"""Benchmark handwriting sampling: one line, and a paragraph written as one batch.

Usage: python -m bench.handwriting_speed [--checkpoint checkpoints/handwriting] [--repeats 5]

Times a 40-character line and a five-line paragraph at the tab's default
legibility, primed as the tab primes them. The baseline, in the same run, is
the same paragraph written one line after another. The ratio shows what
batching the lines gains, whatever the machine's speed. Run it on an
otherwise idle machine.
"""

import argparse
import json
from pathlib import Path

import torch

from bench.timing import median_ms
from playground.handwriting.sampler import (
    DEFAULT_SAMPLING_BIAS,
    load_handwriting_model,
    write_lines,
)

LINE = "The quick brown fox jumps over a lazy dog"[:40]
PARAGRAPH = [
    "Recurrent networks read one step at a time",
    "and carry what they saw in a hidden state.",
    "An attention window lets this one choose",
    "which letter to write next, and a mixture",
    "of Gaussians decides where the pen moves.",
]
LEGIBILITY = DEFAULT_SAMPLING_BIAS


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkpoint", type=Path, default=Path("checkpoints/handwriting"), help="checkpoint stem"
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per case; the median counts")
    parser.add_argument("--hand", type=int, default=0, help="hand number")
    parser.add_argument("--threads", type=int, help="PyTorch CPU threads (default: its own)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    hw = load_handwriting_model(args.checkpoint, "", torch.device("cpu"))

    def line():
        write_lines(hw, [LINE], args.hand, LEGIBILITY, seed=1)

    def paragraph():
        write_lines(hw, PARAGRAPH, args.hand, LEGIBILITY, seed=1)

    def paragraph_line_by_line():
        for text in PARAGRAPH:
            write_lines(hw, [text], args.hand, LEGIBILITY, seed=1)

    line()  # warm-up: the first call allocates and picks kernels
    result = {
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "line_40_chars_seconds": round(median_ms(line, args.repeats) / 1000, 3),
        "paragraph_5_lines_seconds": round(median_ms(paragraph, args.repeats) / 1000, 3),
        "paragraph_line_by_line_seconds": round(
            median_ms(paragraph_line_by_line, args.repeats) / 1000, 3
        ),
    }
    result["batching_speedup"] = round(
        result["paragraph_line_by_line_seconds"] / result["paragraph_5_lines_seconds"], 2
    )
    print(f"40-character line:               {result['line_40_chars_seconds']:.3f} s")
    print(f"5-line paragraph, one batch:     {result['paragraph_5_lines_seconds']:.3f} s")
    print(f"5-line paragraph, line by line:  {result['paragraph_line_by_line_seconds']:.3f} s")
    print(f"batching speed-up: {result['batching_speedup']:.1f}x")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
