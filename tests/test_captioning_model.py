"""The caption decoder, its loss, beam search and the caption vocabulary, on random grids."""

import math

import pytest
import torch

from playground.captioning.captioner import check_beam_size
from playground.captioning.vocab import (
    CaptionVocab,
    build_vocab,
    caption_words,
    choose_articles,
    substitute_label_slots,
)
from playground.errors import InvalidInputError
from playground.models.captioner import (
    CaptionDecoder,
    CaptionerConfig,
    beam_search,
    caption_loss,
    slot_token,
)

GRID_CELLS, FEATURE_DIM, SLOTS = 49, 32, 3


def tiny_decoder(vocab_size: int, seed: int = 0) -> CaptionDecoder:
    torch.manual_seed(seed)
    config = CaptionerConfig(
        vocab_size=vocab_size,
        feature_dim=FEATURE_DIM,
        projection_dim=32,
        embed_dim=16,
        hidden_size=48,
        attention_dim=24,
        num_label_slots=SLOTS,
        dropout=0.0,
    )
    return CaptionDecoder(config).eval()


@pytest.fixture
def vocab() -> CaptionVocab:
    captions = [["a", "cat", "on", "grass"], ["a", "teddy bear", "on", "sand"]]
    return build_vocab(captions, min_count=1, num_label_slots=SLOTS)


def test_vocab_layout(vocab):
    assert vocab.itos[:4] == ["<pad>", "<start>", "<end>", "<unk>"]
    assert vocab.itos[4:7] == [slot_token(0), slot_token(1), slot_token(2)]
    assert vocab.num_label_slots == SLOTS
    assert "teddy bear" in vocab.stoi
    assert vocab.slot_rank(vocab.stoi[slot_token(2)]) == 2
    assert vocab.slot_rank(vocab.stoi["cat"]) is None


def test_vocab_encode_unknown_and_cut(vocab):
    ids = vocab.encode(["a", "zebra", "on", "grass", "a"], max_length=4)
    assert ids[0] == vocab.start_id
    assert ids[-1] == vocab.end_id
    assert ids[2] == vocab.unk_id
    assert len(ids) == 6


def test_substitute_label_slots_uses_best_free_rank():
    words = {10: frozenset({"dog", "malamute"}), 11: frozenset({"cat"}), 12: frozenset({"dog"})}
    tokens = ["a", "dog", "and", "a", "dog", "and", "a", "cat"]
    out = substitute_label_slots(tokens, [12, 11, 10], lambda index: words[index])
    assert out == ["a", "<label1>", "and", "a", "<label3>", "and", "a", "<label2>"]


def test_substitute_label_slots_matches_plurals():
    words = {7: frozenset({"cat", "tabby"}), 8: frozenset({"teddy bear"})}
    tokens = ["two", "cats", "and", "three", "teddy bears"]
    out = substitute_label_slots(tokens, [8, 7], lambda index: words[index])
    assert out == ["two", "<label2>", "and", "three", "<label1>"]


def test_caption_words_pluralise_after_count_words(vocab):
    slot = vocab.stoi[slot_token(0)]
    ids = [vocab.stoi["a"], slot]
    assert caption_words(ids, vocab, ["fox", "x", "y"]) == ["a", "fox"]
    two = build_vocab([["two", "cat"]], min_count=1, num_label_slots=SLOTS)
    ids = [two.stoi["two"], two.stoi[slot_token(0)]]
    assert caption_words(ids, two, ["fox", "x", "y"]) == ["two", "foxes"]
    assert caption_words(ids, two, ["binoculars", "x", "y"]) == ["two", "binoculars"]
    assert caption_words(ids, two, ["school bus", "x", "y"]) == ["two", "school buses"]


def test_caption_words_fill_slots_and_articles(vocab):
    ids = [vocab.stoi["a"], vocab.stoi[slot_token(1)], vocab.stoi["on"], vocab.stoi["grass"]]
    words = caption_words(ids, vocab, ["lion", "elephant", "tiger"])
    assert words == ["a", "elephant", "on", "grass"]
    assert choose_articles(words) == ["an", "elephant", "on", "grass"]
    assert choose_articles(["a", "cat"]) == ["a", "cat"]
    assert choose_articles(["an", "dog", "and", "an", "apple"]) == [
        "a",
        "dog",
        "and",
        "an",
        "apple",
    ]


def test_loss_matches_cross_entropy_without_penalty(vocab):
    decoder = tiny_decoder(len(vocab))
    features = torch.randn(2, GRID_CELLS, FEATURE_DIM)
    log_probs = torch.log_softmax(torch.randn(2, SLOTS), -1)
    tokens = torch.tensor([vocab.encode(["a", "cat"], 8), vocab.encode(["a", "cat"], 8)])
    logits, alphas = decoder(features, log_probs, tokens[:, :-1])
    assert logits.shape == (2, 3, len(vocab))
    assert alphas.shape == (2, 3, GRID_CELLS)
    assert torch.allclose(alphas.sum(-1), torch.ones(2, 3), atol=1e-5)
    total, cross_entropy = caption_loss(logits, tokens[:, 1:], alphas, vocab.pad_id, 0.0)
    direct = -torch.log_softmax(logits, -1).gather(-1, tokens[:, 1:, None]).mean()
    assert torch.allclose(total, direct, atol=1e-5)
    assert torch.allclose(cross_entropy, direct, atol=1e-5)


def test_attention_penalty_is_zero_when_each_cell_gets_one_unit():
    alphas = torch.full((1, GRID_CELLS, GRID_CELLS), 0.0)
    alphas[0, torch.arange(GRID_CELLS), torch.arange(GRID_CELLS)] = 1.0
    logits = torch.zeros(1, GRID_CELLS, 5)
    targets = torch.ones(1, GRID_CELLS, dtype=torch.long)
    total, cross_entropy = caption_loss(logits, targets, alphas, pad_id=0, attention_penalty=1.0)
    assert torch.allclose(total, cross_entropy)
    uniform = torch.full((1, 2, GRID_CELLS), 1 / GRID_CELLS)
    total, cross_entropy = caption_loss(logits[:, :2], targets[:, :2], uniform, 0, 1.0)
    assert total - cross_entropy == pytest.approx(GRID_CELLS * (1 - 2 / GRID_CELLS) ** 2)


def test_slot_logits_follow_encoder_confidence(vocab):
    decoder = tiny_decoder(len(vocab))
    features = torch.randn(1, GRID_CELLS, FEATURE_DIM)
    with torch.no_grad():
        projected, keys, state = decoder.prepare(features)
    token = torch.tensor([vocab.start_id])
    sure = torch.tensor([[0.0, -20.0, -20.0]])
    unsure = torch.tensor([[-20.0, -20.0, -20.0]])
    with torch.no_grad():
        logits_sure, _, _ = decoder.step(token, state, projected, keys, sure)
        logits_unsure, _, _ = decoder.step(token, state, projected, keys, unsure)
    first_slot = vocab.stoi[slot_token(0)]
    gap = logits_sure[0, first_slot] - logits_unsure[0, first_slot]
    assert float(gap) == pytest.approx(20.0)
    assert torch.equal(logits_sure[0, :first_slot], logits_unsure[0, :first_slot])


def test_beam_search_without_end_token_returns_capped_captions(vocab):
    decoder = tiny_decoder(len(vocab))
    with torch.no_grad():
        decoder.output.bias[vocab.end_id] = -1e4
    features = torch.randn(1, GRID_CELLS, FEATURE_DIM)
    log_probs = torch.log_softmax(torch.randn(1, SLOTS), -1)
    for beam_size in (1, 3, 5):
        hypotheses = beam_search(
            decoder, features, log_probs, vocab.start_id, vocab.end_id, beam_size, max_length=7
        )
        assert 1 <= len(hypotheses) <= beam_size
        for hypothesis in hypotheses:
            assert not hypothesis.finished
            assert len(hypothesis.token_ids) == 7
            assert len(hypothesis.alphas) == 7
            assert math.isfinite(hypothesis.log_prob)


def test_beam_search_with_end_token_stops(vocab):
    decoder = tiny_decoder(len(vocab))
    with torch.no_grad():
        decoder.output.bias[vocab.end_id] = 1e3
    features = torch.randn(1, GRID_CELLS, FEATURE_DIM)
    log_probs = torch.log_softmax(torch.randn(1, SLOTS), -1)
    hypotheses = beam_search(
        decoder, features, log_probs, vocab.start_id, vocab.end_id, beam_size=3, max_length=7
    )
    assert hypotheses
    for hypothesis in hypotheses:
        # The first word may not be <end>, so each caption has exactly one word.
        assert hypothesis.finished
        assert len(hypothesis.token_ids) == 1
        assert len(hypothesis.alphas) == 1
        assert vocab.end_id not in hypothesis.token_ids


def test_beam_search_bans_tokens(vocab):
    decoder = tiny_decoder(len(vocab))
    with torch.no_grad():
        decoder.output.bias[vocab.unk_id] = 50.0
    features = torch.randn(1, GRID_CELLS, FEATURE_DIM)
    log_probs = torch.zeros(1, SLOTS)
    banned = (vocab.pad_id, vocab.start_id, vocab.unk_id)
    hypotheses = beam_search(
        decoder, features, log_probs, vocab.start_id, vocab.end_id, 2, 5, banned_ids=banned
    )
    for hypothesis in hypotheses:
        assert not set(hypothesis.token_ids) & set(banned)


def test_beam_search_uses_single_use_tokens_once(vocab):
    decoder = tiny_decoder(len(vocab))
    slot = vocab.stoi[slot_token(0)]
    with torch.no_grad():
        decoder.output.bias[slot] = 30.0
    features = torch.randn(1, GRID_CELLS, FEATURE_DIM)
    log_probs = torch.zeros(1, SLOTS)
    free = beam_search(decoder, features, log_probs, vocab.start_id, vocab.end_id, 2, 5)
    assert free[0].token_ids.count(slot) > 1
    once = beam_search(
        decoder, features, log_probs, vocab.start_id, vocab.end_id, 2, 5, single_use_ids=(slot,)
    )
    for hypothesis in once:
        assert hypothesis.token_ids.count(slot) <= 1


def test_beam_search_logit_bias_shifts_choice(vocab):
    decoder = tiny_decoder(len(vocab))
    grass = vocab.stoi["grass"]
    features = torch.randn(1, GRID_CELLS, FEATURE_DIM)
    log_probs = torch.zeros(1, SLOTS)
    bias = torch.zeros(len(vocab))
    bias[grass] = 100.0
    best = beam_search(
        decoder, features, log_probs, vocab.start_id, vocab.end_id, 1, 3, logit_bias=bias
    )[0]
    assert best.token_ids == [grass, grass, grass]


def test_beam_search_rejects_bad_sizes(vocab):
    decoder = tiny_decoder(len(vocab))
    features = torch.randn(1, GRID_CELLS, FEATURE_DIM)
    with pytest.raises(ValueError):
        beam_search(decoder, features, torch.zeros(1, SLOTS), 1, 2, beam_size=0)
    with pytest.raises(ValueError):
        beam_search(decoder, features, torch.zeros(1, SLOTS), 1, 2, max_length=0)


def test_tiny_decoder_overfits_a_few_scenes():
    captions = [
        ["a", "red", "ball", "on", "grass"],
        ["two", "cats", "on", "a", "dune"],
        ["a", "<label1>", "in", "the", "snow"],
        ["a", "small", "dog", "left", "of", "a", "tree"],
    ]
    vocab = build_vocab(captions, min_count=1, num_label_slots=SLOTS)
    decoder = tiny_decoder(len(vocab), seed=1)
    decoder.train()
    torch.manual_seed(2)
    features = torch.randn(len(captions), GRID_CELLS, FEATURE_DIM)
    log_probs = torch.log_softmax(torch.randn(len(captions), SLOTS) * 3, -1)
    length = max(len(c) for c in captions) + 2
    tokens = torch.full((len(captions), length), vocab.pad_id)
    for row, caption in enumerate(captions):
        ids = vocab.encode(caption, 20)
        tokens[row, : len(ids)] = torch.tensor(ids)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=1e-2)
    for _ in range(150):
        logits, alphas = decoder(features, log_probs, tokens[:, :-1])
        loss, cross_entropy = caption_loss(logits, tokens[:, 1:], alphas, vocab.pad_id, 0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert cross_entropy.item() < 0.05
    decoder.eval()
    for row, caption in enumerate(captions):
        best = beam_search(
            decoder,
            features[row : row + 1],
            log_probs[row : row + 1],
            vocab.start_id,
            vocab.end_id,
            beam_size=3,
            max_length=12,
        )[0]
        assert [vocab.itos[i] for i in best.token_ids] == caption
        assert best.finished


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 0, 6, 2.5, True, "3"])
def test_check_beam_size_rejects_bad_values(value):
    with pytest.raises(InvalidInputError, match="Beam size must be a whole number from 1 to 5"):
        check_beam_size(value)


def test_check_beam_size_accepts_whole_floats():
    assert check_beam_size(3.0) == 3
    assert check_beam_size(5) == 5
