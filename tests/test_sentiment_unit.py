"""Fine-tuning a character model so that one unit carries sentiment, on a toy corpus."""

import numpy as np
import torch

from playground.sampling import SamplingOptions, generate
from playground.sentiment.classifier import load_sentiment_classifier
from playground.sentiment.trace import load_sentiment_trace_model
from playground.train_sentiment_unit import encode_batch, trace_targets


def test_batch_puts_each_review_between_newlines(tiny_model):
    inputs, targets, mask = encode_batch(tiny_model, ["love", "night and day"])
    newline = tiny_model.vocab.stoi["\n"]
    assert inputs[0, 0] == newline
    assert targets[0, 3] == tiny_model.vocab.stoi["e"]
    assert targets[0, 4] == newline
    assert mask[0].sum() == len("love") + 1
    assert mask[1].sum() == len("night and day") + 1


def test_trace_targets_follow_input_positions():
    targets = trace_targets([np.array([0.2, 0.9]), np.array([0.1])], 3)
    # Position 0 has read only the newline; position t has read t characters.
    np.testing.assert_allclose(targets.numpy(), [[0.5, 0.2, 0.9], [0.5, 0.1, 0.5]], rtol=1e-6)


def test_teacher_prefix_scores_cover_every_character(tiny_sentiment_dir):
    teacher = load_sentiment_classifier(
        tiny_sentiment_dir / "tiny-sentiment", "", torch.device("cpu")
    )
    text = "sweet love, night thou"
    (targets,) = teacher.prefix_probabilities([text], ["movie"], max_points=4)
    assert targets.shape == (len(text),)
    assert targets[0] == 0.5  # before the first word ends
    full = teacher.probabilities([text])[0]
    assert abs(targets[-1] - full) < 1e-6


def test_tuned_unit_separates_the_toy_reviews(tiny_sentiment_dir):
    model = load_sentiment_trace_model(
        tiny_sentiment_dir / "tiny-sentiment-lm", "", torch.device("cpu")
    )
    assert model.unit == 3
    unit = model.metadata["sentiment_unit"]
    assert unit["test_accuracy"]["movie"] >= 0.9
    positive = model.trace("sweet love fair light")
    negative = model.trace("night thou art the")
    assert positive.values.shape == (len("sweet love fair light"),)
    assert positive.probabilities[-1] > 0.5 > negative.probabilities[-1]


def test_clamping_a_unit_changes_what_is_written(tiny_model):
    options = SamplingOptions(length=60, temperature=0.8, top_k=None, seed=3)
    prime = tiny_model.vocab.encode("ROMEO:\n")

    def sample(clamp):
        return "".join(generate(tiny_model.model, tiny_model.vocab, prime, options, clamp=clamp))

    free = sample(None)
    assert sample((3, 1.0)) != sample((3, -1.0))
    assert sample(None) == free  # the clamp leaves no trace on later samples


def test_writing_a_review_streams_the_requested_length(tiny_sentiment_dir):
    model = load_sentiment_trace_model(
        tiny_sentiment_dir / "tiny-sentiment-lm", "", torch.device("cpu")
    )
    options = SamplingOptions(length=40, temperature=0.8, top_k=None, seed=3)
    assert len("".join(model.write("the ", 1.0, options))) == 40
