"""Probing a character language model's state for sentiment.

Radford, Jozefowicz and Sutskever ("Learning to Generate Reviews and
Discovering Sentiment", 2017) trained a character LSTM on 82 million Amazon
reviews and found that a logistic regression on its state classifies
sentiment well, and that one unit alone nearly does. This module measures the
same two things for a model trained here: an L1-regularised logistic probe
on the hidden state averaged over a review's characters, and the single unit
whose average, thresholded, classifies best.

Example:

    python -m playground.sentiment.probe --checkpoint checkpoints/reviews-lm
"""

import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from playground.data.reviews import GROUPS, Review, default_corpus_dir, load_split
from playground.textgen import load_char_language_model

logger = logging.getLogger(__name__)

PROBE_C_VALUES = (0.01, 0.03, 0.1, 0.3, 1.0)


@torch.inference_mode()
def mean_hidden_states(lm, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Return each text's top-layer hidden state averaged over its characters, (N, H)."""
    encoded = [lm.vocab.encode_lenient(text).ids or [0] for text in texts]
    order = np.argsort([len(ids) for ids in encoded])
    hidden = lm.model.config.hidden_size
    means = np.zeros((len(texts), hidden), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        length = max(len(encoded[i]) for i in rows)
        # Padding goes after each text, so it cannot change the states that are averaged.
        batch = torch.zeros(len(rows), length, dtype=torch.long)
        mask = torch.zeros(len(rows), length, 1)
        for r, i in enumerate(rows):
            batch[r, : len(encoded[i])] = torch.tensor(encoded[i])
            mask[r, : len(encoded[i])] = 1.0
        _, _, states = lm.model(batch, return_states=True)  # (B, T, H)
        means[rows] = ((states * mask).sum(1) / mask.sum(1)).numpy()
    return means


def labels_and_groups(reviews: list[Review]) -> tuple[np.ndarray, np.ndarray]:
    labels = np.array([r.label for r in reviews], dtype=np.int64)
    groups = np.array([GROUPS.index(r.group) for r in reviews], dtype=np.int64)
    return labels, groups


def accuracy_by_group(correct: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    return {
        name: round(float(correct[groups == index].mean()), 4)
        for index, name in enumerate(GROUPS)
        if (groups == index).any()
    }


@dataclass
class UnitProbe:
    """One unit's average, compared with a threshold, as a sentiment classifier."""

    unit: int
    threshold: float
    sign: float  # +1 when a higher value means positive

    def predict(self, features: np.ndarray) -> np.ndarray:
        return (self.sign * (features[:, self.unit] - self.threshold) > 0).astype(np.int64)


def best_unit(features: np.ndarray, labels: np.ndarray) -> UnitProbe:
    """Find the unit and threshold that classify ``labels`` best on their own."""
    best = None
    for unit in range(features.shape[1]):
        values = features[:, unit]
        order = np.argsort(values)
        sorted_labels = labels[order]
        # Accuracy of "positive above threshold" for a threshold after each position.
        positives_above = sorted_labels[::-1].cumsum()[::-1]
        negatives_below = np.concatenate([[0], (1 - sorted_labels).cumsum()[:-1]])
        above = (positives_above + negatives_below) / len(labels)
        for sign, accuracy in ((1.0, above), (-1.0, 1 - above)):
            position = int(accuracy.argmax())
            if best is None or accuracy[position] > best[0]:
                threshold = values[order[position]] - 1e-6
                best = (float(accuracy[position]), UnitProbe(unit, float(threshold), sign))
    return best[1]


def l1_probe(train_x, train_y, val_x, val_y):
    """Fit L1-regularised logistic regression, choosing C on validation accuracy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_x)
    best = None
    for c in PROBE_C_VALUES:
        # l1_ratio=1 is the L1 penalty (scikit-learn 1.8 deprecates penalty="l1").
        model = LogisticRegression(C=c, l1_ratio=1.0, solver="saga", max_iter=2000)
        model.fit(scaler.transform(train_x), train_y)
        accuracy = float((model.predict(scaler.transform(val_x)) == val_y).mean())
        logger.info("L1 probe C=%g: validation accuracy %.4f", c, accuracy)
        if best is None or accuracy > best[0]:
            best = (accuracy, c, model)
    return scaler, best[2], best[1]


def majority_accuracy(train_labels, train_groups, labels, groups) -> dict[str, float]:
    """Return the accuracy of predicting each group's most common training label."""
    predictions = np.zeros_like(labels)
    for index in np.unique(groups):
        predictions[groups == index] = int(train_labels[train_groups == index].mean() >= 0.5)
    return accuracy_by_group(predictions == labels, groups)


def probe_language_model(lm, train: list[Review], val: list[Review], test: list[Review]) -> dict:
    """Measure how well the model's averaged state classifies sentiment, untrained for it.

    Returns test accuracy per group for the L1 probe, for the best single
    unit (chosen on the training reviews) and for the majority class.
    """
    (train_y, train_g), (val_y, _), (test_y, test_g) = (
        labels_and_groups(split) for split in (train, val, test)
    )
    train_x, val_x, test_x = (
        mean_hidden_states(lm, [r.text for r in split]) for split in (train, val, test)
    )
    scaler, model, c = l1_probe(train_x, train_y, val_x, val_y)
    unit = best_unit(train_x, train_y)
    return {
        "features": "top-layer hidden state averaged over the review's characters",
        "l1_probe": {
            "C": c,
            "units_kept": int(np.count_nonzero(model.coef_[0])),
            "test_accuracy": accuracy_by_group(
                model.predict(scaler.transform(test_x)) == test_y, test_g
            ),
        },
        "best_unit": {
            "unit": unit.unit,
            "test_accuracy": accuracy_by_group(unit.predict(test_x) == test_y, test_g),
        },
        "majority_class": {"test_accuracy": majority_accuracy(train_y, train_g, test_y, test_g)},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description="Probe a character language model's state for sentiment."
    )
    parser.add_argument("--checkpoint", type=Path, required=True, help="language model to probe")
    parser.add_argument("--corpus", type=Path, help="review corpus folder (default: data cache)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    lm = load_char_language_model(args.checkpoint, "", torch.device("cpu"))
    corpus = args.corpus or default_corpus_dir()
    result = probe_language_model(lm, *(load_split(s, corpus) for s in ("train", "val", "test")))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
