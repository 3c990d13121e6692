"""Fine-tune a character language model so that one unit carries sentiment.

Example:

    python -m playground.train_sentiment_unit --checkpoint checkpoints/reviews-lm \\
        --out checkpoints/sentiment-lm

Radford, Jozefowicz and Sutskever (2017) found a unit that tracks sentiment without being
trained to, in a model trained on 82 million reviews. The few megabytes of
review text available here are far too little for that (see
``playground.sentiment.probe``). This command therefore trains the unit for
it. Besides the usual next-character loss, the designated unit's value after
every character, scaled and shifted by two learned numbers, must predict the
review's label through a logistic loss. Its value after each character is
then a sentiment trace, and its value after the last character classifies
the review.

NOTE: on the 1x320 review model, 2 epochs of this (with unit 76, weight 1 or
3) left the unit at the majority class. A richer per-character target, such
as the word classifier's score of each prefix, is the next thing to try.
"""

import argparse
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from playground.checkpoint import save_checkpoint
from playground.data.reviews import GROUPS, Review, default_corpus_dir, load_split
from playground.evaluate_char_lm import evaluate
from playground.sentiment.probe import accuracy_by_group, labels_and_groups
from playground.textgen import load_char_language_model
from playground.train_char_lm import HelpFormatter

logger = logging.getLogger(__name__)

# Longer reviews are cut: the label is known by then, and steps stay short.
MAX_REVIEW_CHARS = 400


class SentimentReadout(torch.nn.Module):
    """Maps the designated unit's value h in [-1, 1] to a logit: scale * h + bias."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(4.0))
        self.bias = torch.nn.Parameter(torch.tensor(0.0))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.scale * h + self.bias


def encode_batch(lm, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return inputs and targets (B, T), each review between newlines, and a mask (B, T)."""
    newline = lm.vocab.stoi["\n"]
    sequences = [
        [newline, *lm.vocab.encode_lenient(text[:MAX_REVIEW_CHARS]).ids, newline] for text in texts
    ]
    length = max(len(s) for s in sequences) - 1
    inputs = torch.full((len(texts), length), newline, dtype=torch.long)
    targets = torch.full((len(texts), length), newline, dtype=torch.long)
    mask = torch.zeros(len(texts), length)
    for row, sequence in enumerate(sequences):
        inputs[row, : len(sequence) - 1] = torch.tensor(sequence[:-1])
        targets[row, : len(sequence) - 1] = torch.tensor(sequence[1:])
        mask[row, : len(sequence) - 1] = 1.0
    return inputs, targets, mask


def unit_values_at_end(lm, unit: int, texts: list[str], batch_size: int = 128) -> np.ndarray:
    """Return the unit's value after each review's last character (before the newline)."""
    values = np.zeros(len(texts), dtype=np.float32)
    order = np.argsort([len(t) for t in texts])
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            inputs, _, mask = encode_batch(lm, [texts[i] for i in rows])
            _, _, states = lm.model(inputs, return_states=True)
            last = mask.sum(1).long() - 1
            values[rows] = states[torch.arange(len(rows)), last, unit].numpy()
    return values


def unit_accuracy(lm, unit, readout, reviews: list[Review]) -> dict[str, float]:
    values = unit_values_at_end(lm, unit, [r.text for r in reviews])
    with torch.no_grad():
        predictions = (readout(torch.from_numpy(values)) > 0).numpy().astype(np.int64)
    labels, groups = labels_and_groups(reviews)
    return accuracy_by_group(predictions == labels, groups)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Fine-tune a character LSTM so that one unit carries sentiment.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--checkpoint", type=Path, required=True, help="language model to tune")
    parser.add_argument("--out", type=Path, required=True, help="checkpoint stem to write")
    parser.add_argument("--corpus", type=Path, help="review corpus folder (default: data cache)")
    parser.add_argument("--lm-val", type=Path, help="text to measure bits per character on")
    parser.add_argument("--unit", type=int, default=0, help="the unit that must carry sentiment")
    parser.add_argument(
        "--sentiment-weight", type=float, default=1.0, help="weight of the unit's loss"
    )
    parser.add_argument("--epochs", type=int, default=3, help="passes over the labelled reviews")
    parser.add_argument("--batch-size", type=int, default=64, help="reviews per batch")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=True, help="progress bars"
    )
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    lm = load_char_language_model(args.checkpoint, "", torch.device("cpu"))
    corpus = args.corpus or default_corpus_dir()
    train, val, test = (load_split(name, corpus) for name in ("train", "val", "test"))
    lm_val_ids = None
    if args.lm_val:
        text = args.lm_val.read_text(encoding="utf-8")
        lm_val_ids = torch.tensor(lm.vocab.encode_lenient(text).ids, dtype=torch.long)
    before_bpc = (
        evaluate(lm.model, lm_val_ids, torch.device("cpu"), False) / math.log(2)
        if lm_val_ids is not None
        else None
    )
    readout = SentimentReadout()
    optimizer = torch.optim.Adam([*lm.model.parameters(), *readout.parameters()], lr=args.lr)
    labels = torch.tensor([r.label for r in train], dtype=torch.float32)
    started = time.perf_counter()
    history = []
    for epoch in range(1, args.epochs + 1):
        lm.model.train()
        order = np.argsort([len(r.text) * rng.uniform(0.9, 1.1) for r in train])
        batches = [order[i : i + args.batch_size] for i in range(0, len(order), args.batch_size)]
        rng.shuffle(batches)
        for rows in tqdm(batches, desc=f"epoch {epoch}", disable=not args.progress):
            inputs, targets, mask = encode_batch(lm, [train[i].text for i in rows])
            logits, _, states = lm.model(inputs, return_states=True)  # states (B, T, H)
            lm_loss = (
                F.cross_entropy(logits.transpose(1, 2), targets, reduction="none") * mask
            ).sum() / mask.sum()
            unit_logits = readout(states[:, :, args.unit])
            unit_targets = labels[rows].unsqueeze(1).expand_as(unit_logits)
            # Early characters carry little of the label, so later ones weigh more:
            # the weight grows linearly to 1 at each review's last character.
            weights = mask.cumsum(1) / mask.sum(1, keepdim=True) * mask
            sentiment_loss = (
                F.binary_cross_entropy_with_logits(unit_logits, unit_targets, reduction="none")
                * weights
            ).sum() / weights.sum()
            loss = lm_loss + args.sentiment_weight * sentiment_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(lm.model.parameters(), 1.0)
            optimizer.step()
        lm.model.eval()
        val_acc = unit_accuracy(lm, args.unit, readout, val)
        history.append({"epoch": epoch, "val_accuracy": val_acc})
        logger.info("epoch %d: unit %d validation accuracy %s", epoch, args.unit, val_acc)
    test_acc = unit_accuracy(lm, args.unit, readout, test)
    after_bpc = (
        evaluate(lm.model, lm_val_ids, torch.device("cpu"), False) / math.log(2)
        if lm_val_ids is not None
        else None
    )
    logger.info(
        "unit %d test accuracy %s; bits/char %s before, %s after",
        args.unit,
        test_acc,
        before_bpc,
        after_bpc,
    )
    metadata = dict(lm.metadata)
    metadata.update(
        {
            "name": args.out.name,
            "task": "sentiment-trace",
            "sentiment_unit": {
                "index": args.unit,
                "scale": readout.scale.item(),
                "bias": readout.bias.item(),
                "test_accuracy": test_acc,
                "history": history,
                "groups": list(GROUPS),
                "tuned_from": str(args.checkpoint),
                "bits_per_char_before": before_bpc,
                "bits_per_char_after": after_bpc,
                "minutes": round((time.perf_counter() - started) / 60, 2),
            },
        }
    )
    save_checkpoint(args.out, lm.model.state_dict(), metadata)
    return metadata["sentiment_unit"]


if __name__ == "__main__":
    main()
