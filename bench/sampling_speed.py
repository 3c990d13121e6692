"""Benchmark batch-1 sampling speed: the fast stepper against the naive nn.LSTM loop.

Usage: python -m bench.sampling_speed [--model shakespeare] [--chars 3000] [--repeats 3]

Both samplers run in the same process on the same model, so the printed ratio
does not depend on how fast this machine is. Run it on an otherwise idle
machine: another busy process skews both numbers.
"""

import argparse
import json
import statistics
import time

import torch

from playground.catalog import build_registry
from playground.sampling import SamplingOptions, generate, sample_naive


def chars_per_second(sample, length: int) -> float:
    started = time.perf_counter()
    text = sample(length)
    elapsed = time.perf_counter() - started
    assert len(text) == length
    return length / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="shakespeare", help="registered model name")
    parser.add_argument("--chars", type=int, default=3000, help="characters per fast-sampler run")
    parser.add_argument(
        "--naive-chars",
        type=int,
        default=300,
        help="characters per naive run (it is about 10x slower)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per sampler; the median counts"
    )
    parser.add_argument("--threads", type=int, help="PyTorch CPU threads (default: its own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    lm = build_registry(device=torch.device("cpu")).get(args.model)
    prime = lm.vocab.encode_lenient("ROMEO:\n").ids

    def fast(length):
        options = SamplingOptions(length=length, temperature=1.0, seed=0)
        return "".join(generate(lm.model, lm.vocab, prime, options, weights=lm.stepper_weights))

    def naive(length):
        return sample_naive(lm.model, lm.vocab, prime, SamplingOptions(length, 1.0, seed=0))

    fast(200)  # warm-up: first calls allocate and pick kernels
    naive(50)
    fast_rates = [chars_per_second(fast, args.chars) for _ in range(args.repeats)]
    naive_rates = [chars_per_second(naive, args.naive_chars) for _ in range(args.repeats)]
    result = {
        "model": args.model,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "naive_chars_per_second": round(statistics.median(naive_rates), 1),
        "fast_chars_per_second": round(statistics.median(fast_rates), 1),
    }
    result["speedup"] = round(result["fast_chars_per_second"] / result["naive_chars_per_second"], 2)
    print(f"naive loop (nn.LSTM per character): {result['naive_chars_per_second']:8.0f} chars/s")
    print(f"fast stepper:                       {result['fast_chars_per_second']:8.0f} chars/s")
    print(f"speed-up: {result['speedup']:.1f}x")
    print(f"({result['threads']} PyTorch threads, torch {torch.__version__})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
