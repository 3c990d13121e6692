"""The word tokenizer, vocabulary and BiLSTM classifier, on tiny data."""

import numpy as np
import torch

from playground.models.word_classifier import WordBiLSTMClassifier, WordClassifierConfig
from playground.sentiment.classifier import make_batches, pad
from playground.sentiment.words import PAD, UNK, build_vocab, embedding_matrix, tokenize


def test_tokenize_splits_like_glove():
    assert tokenize("Don't you LOVE it? The film's end...") == [
        "do",
        "n't",
        "you",
        "love",
        "it",
        "?",
        "the",
        "film",
        "'s",
        "end",
        ".",
        ".",
        ".",
    ]
    assert tokenize("A 9.5/10 e-mail") == ["a", "9.5", "/", "10", "e-mail"]


def test_vocab_encodes_unknown_words_and_empty_text():
    vocab = build_vocab(["good film", "bad film"], ["the", "good", "movie"], glove_top=3)
    assert vocab.itos[:2] == [PAD, UNK]
    assert vocab.itos[2] == "film"  # the most frequent training word comes first
    assert "movie" in vocab.stoi
    assert vocab.encode("good zzzz") == [vocab.stoi["good"], 1]
    assert vocab.encode("") == [1]


def test_embedding_matrix_copies_glove_rows():
    vocab = build_vocab(["good unknownword"], [], glove_top=0)
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
    matrix, coverage = embedding_matrix(vocab, ["good", "other"], vectors)
    np.testing.assert_array_equal(matrix[vocab.stoi["good"]], vectors[0])
    assert not matrix[0].any()
    assert coverage == 0.5


def test_tiny_classifier_lowers_its_loss():
    torch.manual_seed(0)
    texts = ["great good fine"] * 8 + ["awful bad poor"] * 8
    labels = torch.tensor([1.0] * 8 + [0.0] * 8)
    vocab = build_vocab(texts, [], glove_top=0)
    ids = [vocab.encode(t) for t in texts]
    model = WordBiLSTMClassifier(WordClassifierConfig(len(vocab), 8, 8, dropout=0.0))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    batch, lengths = pad(ids, np.arange(len(ids)))
    losses = []
    for _ in range(30):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(batch, lengths), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.2


def test_padding_does_not_change_a_prediction():
    torch.manual_seed(1)
    model = WordBiLSTMClassifier(WordClassifierConfig(20, 4, 4, dropout=0.0)).eval()
    alone, alone_length = pad([[3, 4, 5]], np.array([0]))
    padded, lengths = pad([[3, 4, 5], [6, 7, 8, 9, 10, 11]], np.array([0, 1]))
    assert torch.allclose(model(alone, alone_length)[0], model(padded, lengths)[0], atol=1e-6)


def test_batches_cover_every_index_once():
    batches = make_batches([5, 1, 3, 8, 2, 9, 4], 3, np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(7))


def test_group_heads_differ_by_group():
    from playground.models.word_classifier import GroupBiasedClassifier

    torch.manual_seed(2)
    config = WordClassifierConfig(20, 4, 4, dropout=0.0, group_heads=True)
    model = GroupBiasedClassifier(config, num_groups=3).eval()
    with torch.no_grad():
        model.group_weight[1] = 1.0
    batch, lengths = pad([[3, 4, 5], [3, 4, 5]], np.array([0, 1]))
    logits = model(batch, lengths, torch.tensor([0, 1]))
    assert logits.shape == (2,)
    assert not torch.isclose(logits[0], logits[1])
    without = GroupBiasedClassifier(WordClassifierConfig(20, 4, 4, dropout=0.0), num_groups=3)
    assert "group_weight" not in without.state_dict()
