import numpy as np
import pytest
import torch

from playground.models.char_lstm import CharLSTM, CharLSTMConfig
from playground.sampling import (
    MAX_SAMPLE_LENGTH,
    LSTMStepper,
    SamplingOptions,
    StepperWeights,
    generate,
    pick_next,
    sample_naive,
)
from playground.textgen import make_sampling_options, stream_text
from playground.vocab import CharVocab


@pytest.fixture(scope="module")
def random_model():
    torch.manual_seed(0)
    vocab = CharVocab(list("abcdefgh \n"))
    model = CharLSTM(CharLSTMConfig(len(vocab), embedding_dim=8, hidden_size=24, num_layers=3))
    return model.eval(), vocab


def sample(model, vocab, prime, **options):
    return "".join(generate(model, vocab, vocab.encode(prime), SamplingOptions(**options)))


def test_stepper_matches_full_lstm(random_model):
    model, vocab = random_model
    ids = vocab.encode("abc defg\nhab")
    with torch.no_grad():
        expected, _ = model(torch.tensor([ids]))
    stepper = LSTMStepper(StepperWeights(model))
    for position, char_id in enumerate(ids):
        logits = stepper.step(char_id)
        np.testing.assert_allclose(logits, expected[0, position].numpy(), rtol=1e-4, atol=1e-5)


def test_temperature_zero_is_greedy_argmax(random_model):
    model, vocab = random_model
    text = sample(model, vocab, "abc", length=40, temperature=0.0)
    # Reference: feed the growing text through the full model and take argmax each time.
    ids = vocab.encode("abc")
    with torch.no_grad():
        for _ in range(40):
            logits, _ = model(torch.tensor([ids]))
            ids.append(int(logits[0, -1].argmax()))
    assert text == vocab.decode(ids[3:])


def test_tiny_temperature_is_greedy(random_model):
    model, vocab = random_model
    greedy = sample(model, vocab, "ab", length=60, temperature=0.0)
    assert sample(model, vocab, "ab", length=60, temperature=1e-300, seed=123) == greedy


def test_load_hidden_continues_the_lstm(random_model):
    model, vocab = random_model
    ids = vocab.encode("abc de\nfg")
    with torch.no_grad():
        _, hidden = model(torch.tensor([ids[:-1]]))
        expected, _ = model(torch.tensor([ids[-1:]]), hidden)
    stepper = LSTMStepper(StepperWeights(model))
    stepper.load_hidden(hidden)
    np.testing.assert_allclose(stepper.step(ids[-1]), expected[0, -1].numpy(), rtol=1e-4, atol=1e-5)


def test_same_seed_same_sample(random_model):
    model, vocab = random_model
    first = sample(model, vocab, "ab", length=200, temperature=1.0, seed=7)
    second = sample(model, vocab, "ab", length=200, temperature=1.0, seed=7)
    other = sample(model, vocab, "ab", length=200, temperature=1.0, seed=8)
    assert first == second
    assert first != other


def test_fast_sampler_matches_naive_loop(random_model):
    model, vocab = random_model
    options = SamplingOptions(length=100, temperature=1.0, seed=3)
    fast = "".join(generate(model, vocab, vocab.encode("hag"), options))
    assert fast == sample_naive(model, vocab, vocab.encode("hag"), options)


def test_top_k_one_equals_greedy(random_model):
    model, vocab = random_model
    greedy = sample(model, vocab, "abc", length=50, temperature=0.0)
    top1 = sample(model, vocab, "abc", length=50, temperature=1.5, top_k=1, seed=5)
    assert top1 == greedy


def test_pick_next_top_k_stays_in_top_k():
    logits = np.array([5.0, 4.0, 3.0, -1.0, -2.0], dtype=np.float32)
    rng = np.random.default_rng(0)
    picks = {pick_next(logits, 2.0, 2, rng) for _ in range(200)}
    assert picks == {0, 1}


def test_pick_next_follows_the_softmax():
    logits = np.log(np.array([0.7, 0.2, 0.1], dtype=np.float32))
    rng = np.random.default_rng(0)
    counts = np.bincount([pick_next(logits, 1.0, None, rng) for _ in range(4000)], minlength=3)
    np.testing.assert_allclose(counts / 4000, [0.7, 0.2, 0.1], atol=0.03)


def test_empty_prime_still_samples(random_model):
    model, vocab = random_model
    assert len(sample(model, vocab, "", length=25, temperature=0.5, seed=1)) == 25


def test_length_is_capped(random_model):
    model, vocab = random_model
    text = sample(model, vocab, "a", length=MAX_SAMPLE_LENGTH + 500, temperature=0.0)
    assert len(text) == MAX_SAMPLE_LENGTH
    with pytest.raises(ValueError, match="Length"):
        make_sampling_options(length=MAX_SAMPLE_LENGTH + 1)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"temperature": -0.1}, "Temperature"),
        ({"temperature": float("nan")}, "Temperature"),
        ({"temperature": "hot"}, "Temperature"),
        ({"top_k": -3}, "Top-k"),
        ({"top_k": 2.5}, "Top-k"),
        ({"seed": -2}, "Seed"),
        ({"seed": 2**40}, "Seed"),
        ({"length": 10.5}, "Length"),
        ({"length": None}, "Length"),
    ],
)
def test_invalid_options_are_rejected(options, message):
    with pytest.raises(ValueError, match=message):
        make_sampling_options(**options)


def test_unknown_prime_characters_are_dropped(tiny_model):
    encoded, characters = stream_text(
        tiny_model,
        "ROMEO\U0001f600 \u05d0\u201c:",
        make_sampling_options(length=30, temperature=0.0),
    )
    assert "\U0001f600" in encoded.dropped
    assert "\u05d0" in encoded.dropped
    assert all(ch in tiny_model.vocab for ch in encoded.text)
    assert len("".join(characters)) == 30


def test_prime_over_limit_is_rejected(tiny_model):
    with pytest.raises(ValueError, match="maximum"):
        stream_text(tiny_model, "a" * 100_000, make_sampling_options())
