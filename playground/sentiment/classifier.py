"""The sentiment gauge's classifier: loading, batching and scoring reviews.

The classifier is one word-level BiLSTM, or the average of several trained
from different seeds (see ``playground.models.word_classifier``), each with
one learned bias per review group. A review of unknown kind, such as one
typed into the app, is scored with the movie group's bias.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from playground.checkpoint import (
    CheckpointError,
    checkpoint_paths,
    load_checkpoint,
    load_state_into,
)
from playground.models.word_classifier import (
    PAD_ID,
    WordClassifierConfig,
    WordClassifierEnsemble,
)
from playground.sentiment.words import WordVocab, token_ends

DEFAULT_GROUP = "movie"


def make_batches(
    lengths: list[int], batch_size: int, rng: np.random.Generator | None
) -> list[np.ndarray]:
    """Group indices of similar length; shuffled when ``rng`` is given."""
    order = np.argsort(np.array(lengths) * (rng.uniform(0.9, 1.1, len(lengths)) if rng else 1))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def pad(ids: list[list[int]], rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the rows' word ids padded into one (B, T) tensor, and their lengths (B,)."""
    lengths = torch.tensor([len(ids[i]) for i in rows])
    batch = torch.full((len(rows), int(lengths.max())), PAD_ID, dtype=torch.long)
    for r, i in enumerate(rows):
        batch[r, : len(ids[i])] = torch.tensor(ids[i])
    return batch, lengths


@torch.inference_mode()
def predict(model, ids: list[list[int]], groups: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Return the probability of "positive" for every id list."""
    model.eval()
    device = next(model.parameters()).device
    probabilities = np.zeros(len(ids), dtype=np.float32)
    for rows in make_batches([len(x) for x in ids], batch_size, None):
        batch, lengths = pad(ids, rows)
        group_ids = torch.from_numpy(groups[rows]).to(device)
        # Packing wants the lengths on the CPU; the ids and groups go to the model's device.
        logits = model(batch.to(device), lengths, group_ids)
        probabilities[rows] = torch.sigmoid(logits).float().cpu().numpy()
    return probabilities


@dataclass
class SentimentClassifier:
    model: WordClassifierEnsemble
    vocab: WordVocab
    groups: list[str]
    metadata: dict

    def group_ids(self, count: int, group: str) -> np.ndarray:
        return np.full(count, self.groups.index(group), dtype=np.int64)

    def probabilities(self, texts: list[str], group: str = DEFAULT_GROUP) -> np.ndarray:
        """Return the probability that each text is positive."""
        ids = [self.vocab.encode(text) for text in texts]
        return predict(self.model, ids, self.group_ids(len(ids), group))

    def prefix_probabilities(
        self, texts: list[str], groups: list[str], max_points: int = 16
    ) -> list[np.ndarray]:
        """Score growing prefixes of each text; return one probability per character.

        Each text is scored after at most ``max_points`` of its words, spread
        evenly and always including the last. Every character gets the score
        of the longest scored prefix that it completes; characters before the
        first scored word get 0.5.
        """
        prefix_ids, prefix_groups, owners = [], [], []
        for index, (text, group) in enumerate(zip(texts, groups)):
            ids = self.vocab.encode(text)
            ends = token_ends(text)
            count = min(len(ends), len(ids))
            points = np.unique(np.linspace(1, count, min(max_points, count)).round().astype(int))
            for k in points if count else []:
                prefix_ids.append(ids[:k])
                prefix_groups.append(self.groups.index(group))
                owners.append((index, ends[k - 1]))
        scores = predict(self.model, prefix_ids, np.array(prefix_groups, dtype=np.int64))
        targets = [np.full(len(text), 0.5, dtype=np.float32) for text in texts]
        for (index, end), score in zip(owners, scores):
            # Owners are in increasing prefix order, so later prefixes overwrite the tail.
            targets[index][end - 1 :] = score
        return targets


def load_sentiment_classifier(
    stem: Path, recreate_command: str, device: torch.device
) -> SentimentClassifier:
    tensors, metadata = load_checkpoint(stem, recreate_command)
    weights_path, meta_path = checkpoint_paths(stem)
    try:
        config = WordClassifierConfig(**metadata["config"])
        vocab = WordVocab(metadata["vocab"]["itos"])
        groups = list(metadata["groups"])
        members = int(metadata.get("members", 1))
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(
            f"Checkpoint metadata {meta_path} is invalid ({exc}). "
            f"Recreate it with: {recreate_command}"
        ) from exc
    if config.vocab_size != len(vocab) or DEFAULT_GROUP not in groups:
        raise CheckpointError(f"Checkpoint metadata {meta_path} does not match its vocabulary.")
    model = WordClassifierEnsemble(config, len(groups), members)
    load_state_into(model, tensors, weights_path)
    model.to(device).eval()
    return SentimentClassifier(model=model, vocab=vocab, groups=groups, metadata=metadata)
