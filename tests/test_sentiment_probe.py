"""Probes for sentiment in a language model's state, on planted synthetic features."""

import numpy as np

from playground.sentiment.probe import best_unit, l1_probe


def planted_features(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random features where unit 7 carries the label, with noise, and decreases with it."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, rows)
    features = rng.normal(size=(rows, 20)).astype(np.float32)
    features[:, 7] = -1.5 * labels + rng.normal(scale=0.5, size=rows)
    return features, labels


def test_best_unit_finds_the_planted_unit():
    features, labels = planted_features(400, seed=0)
    probe = best_unit(features, labels)
    assert probe.unit == 7
    assert probe.sign == -1.0
    test_features, test_labels = planted_features(400, seed=1)
    assert (probe.predict(test_features) == test_labels).mean() > 0.85


def test_l1_probe_keeps_few_units():
    features, labels = planted_features(400, seed=2)
    val_features, val_labels = planted_features(200, seed=3)
    scaler, model, c = l1_probe(features, labels, val_features, val_labels)
    kept = np.flatnonzero(model.coef_[0])
    assert 7 in kept
    assert len(kept) < 20
    accuracy = (model.predict(scaler.transform(val_features)) == val_labels).mean()
    assert accuracy > 0.85
