"""Benchmark scoring one review: the classifier's probability plus the sentiment unit's trace.

Usage: python -m bench.sentiment_speed [--checkpoint-dir checkpoints] [--chars 1000] [--repeats 20]

Times what the sentiment tab computes for a review of ``--chars`` characters
at batch 1: the word classifier's probability, and the unit's value after
every character, read from one ``nn.LSTM`` call over the whole review. The
target is 30 ms in all. The baseline, in the same run, computes the same
trace with a naive loop that calls ``nn.LSTMCell`` once per character and
layer. The ratio shows what reading the review in one call gains, whatever
the machine's speed. Run it on an otherwise idle machine.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from bench.timing import median_ms
from playground.catalog import SHIPPED_MODELS
from playground.registry import default_checkpoint_dir
from playground.sentiment.classifier import load_sentiment_classifier
from playground.sentiment.trace import load_sentiment_trace_model

TARGET_MS = 30.0
# A review that mixes praise and complaint, as many do, tiled to the requested length.
REVIEW = (
    "I went in expecting very little and came out pleasantly surprised. The first hour is "
    "slow, and a subplot about the brother goes nowhere, but the lead performance is warm and "
    "funny, the music is lovely, and the last act made me care about people I had found dull. "
)


def shipped_checkpoint(task: str) -> str | None:
    """Return the checkpoint name of the first shipped model with ``task``, if any."""
    return next((spec.checkpoint for spec in SHIPPED_MODELS if spec.task == task), None)


def make_review(chars: int) -> str:
    repeats = chars // len(REVIEW) + 1
    return (REVIEW * repeats)[:chars]


def lstm_cells(lstm: nn.LSTM) -> list[nn.LSTMCell]:
    """Copy each layer of a batch-first ``nn.LSTM`` into an ``nn.LSTMCell``."""
    cells = []
    for layer in range(lstm.num_layers):
        input_size = lstm.input_size if layer == 0 else lstm.hidden_size
        cell = nn.LSTMCell(input_size, lstm.hidden_size)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(getattr(lstm, f"{name}_l{layer}"))
        cells.append(cell.eval())
    return cells


@torch.inference_mode()
def naive_unit_values(model, cells: list[nn.LSTMCell], ids: list[int], unit: int) -> np.ndarray:
    """Step the cells one character at a time and return the unit after each id but the first."""
    embedded = model.embedding(torch.tensor(ids))  # (T, E)
    hidden = [model.head.weight.new_zeros(1, cell.hidden_size) for cell in cells]
    state = [model.head.weight.new_zeros(1, cell.hidden_size) for cell in cells]
    values = []
    for t in range(len(ids)):
        x = embedded[t : t + 1]  # (1, E)
        for layer, cell in enumerate(cells):
            hidden[layer], state[layer] = cell(x, (hidden[layer], state[layer]))
            x = hidden[layer]
        values.append(x[0, unit])
    # The first id is the newline that every review follows, as in SentimentTraceModel.trace.
    return torch.stack(values[1:]).float().cpu().numpy()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkpoint-dir",
        type=Path,
        default=default_checkpoint_dir(),
        help="folder of the checkpoints (default: $RNN_PLAYGROUND_CHECKPOINTS or checkpoints/)",
    )
    parser.add_argument(
        "--classifier",
        default=shipped_checkpoint("sentiment"),
        help="checkpoint name of the word classifier (default: the shipped one)",
    )
    parser.add_argument(
        "--trace-model",
        default=shipped_checkpoint("sentiment-trace"),
        help="checkpoint name of the tuned character LSTM (default: the shipped one)",
    )
    parser.add_argument("--chars", type=int, default=1000, help="characters in the review")
    parser.add_argument("--repeats", type=int, default=20, help="runs per case; the median counts")
    parser.add_argument(
        "--naive-repeats", type=int, default=5, help="runs of the naive baseline; the median counts"
    )
    parser.add_argument("--threads", type=int, help="PyTorch CPU threads (default: its own)")
    args = parser.parse_args(argv)
    if args.classifier is None or args.trace_model is None:
        parser.error(
            "no shipped sentiment model is registered, so pass --classifier and --trace-model"
        )
    if args.threads:
        torch.set_num_threads(args.threads)
    # Timed on the CPU, where a laptop or a CPU-only Space runs the app.
    device = torch.device("cpu")
    classifier = load_sentiment_classifier(args.checkpoint_dir / args.classifier, "", device)
    trace_model = load_sentiment_trace_model(args.checkpoint_dir / args.trace_model, "", device)
    review = make_review(args.chars)
    vocab = trace_model.lm.vocab
    ids = [vocab.stoi["\n"], *vocab.encode_lenient(review).ids]
    cells = lstm_cells(trace_model.lm.model.lstm)

    def score():
        classifier.probabilities([review])
        trace_model.trace(review)

    def classify():
        classifier.probabilities([review])

    def trace():
        trace_model.trace(review)

    def naive_trace():
        values = naive_unit_values(trace_model.lm.model, cells, ids, trace_model.unit)
        trace_model.probability(values)

    # The baseline must compute the same trace, or the comparison means nothing.
    expected = trace_model.trace(review).values
    baseline = naive_unit_values(trace_model.lm.model, cells, ids, trace_model.unit)
    if not np.allclose(baseline, expected, atol=1e-4):
        raise SystemExit(
            "Benchmark failed: the naive loop's trace differs from SentimentTraceModel.trace "
            "by more than 1e-4."
        )

    score()  # warm-up: the first calls allocate and pick kernels
    naive_trace()
    result = {
        "classifier": args.classifier,
        "trace_model": args.trace_model,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "review_chars": len(review),
        "chars_read": len(ids) - 1,
        "score_ms": round(median_ms(score, args.repeats), 2),
        "classifier_ms": round(median_ms(classify, args.repeats), 2),
        "trace_ms": round(median_ms(trace, args.repeats), 2),
        "naive_trace_ms": round(median_ms(naive_trace, args.naive_repeats), 2),
        "target_ms": TARGET_MS,
    }
    result["meets_target"] = result["score_ms"] <= TARGET_MS
    result["trace_speedup"] = round(result["naive_trace_ms"] / result["trace_ms"], 2)
    verdict = "meets" if result["meets_target"] else "misses"
    print(
        f"review of {result['review_chars']} characters ({result['chars_read']} read by the LSTM)"
    )
    print(f"score (classifier + trace):      {result['score_ms']:8.2f} ms")
    print(f"  classifier alone:              {result['classifier_ms']:8.2f} ms")
    print(f"  trace alone (one nn.LSTM call): {result['trace_ms']:7.2f} ms")
    print(f"naive trace (nn.LSTMCell loop):  {result['naive_trace_ms']:8.2f} ms")
    print(f"trace speed-up over the naive loop: {result['trace_speedup']:.1f}x")
    print(f"{verdict} the {TARGET_MS:g} ms target")
    print(f"({result['threads']} PyTorch threads, torch {torch.__version__}, CPU)")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
