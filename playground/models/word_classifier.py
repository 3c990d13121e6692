"""Word-level bidirectional LSTM sentiment classifier.

Each review is a sequence of word ids. Embeddings start from pretrained
word vectors (GloVe 6B, 50 dimensions) and are fine-tuned. A one-layer
bidirectional LSTM reads the words, and the maximum and the mean of its
outputs over the words feed one logit for "positive". Max pooling lets a
single strong phrase ("a masterpiece") decide, while the mean keeps the
overall tone.
"""

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD_ID = 0


@dataclass
class WordClassifierConfig:
    vocab_size: int
    embedding_dim: int = 50
    hidden_size: int = 128
    dropout: float = 0.4
    # A weight vector per review group, added to the shared output layer's.
    group_heads: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


class WordBiLSTMClassifier(nn.Module):
    def __init__(self, config: WordClassifierConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=PAD_ID)
        self.lstm = nn.LSTM(
            config.embedding_dim, config.hidden_size, batch_first=True, bidirectional=True
        )
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(4 * config.hidden_size, 1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Map word ids (B, T), padded with PAD_ID, and lengths (B,) to logits (B,)."""
        return self.head(self.features(ids, lengths)).squeeze(-1)

    def features(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Return the pooled features (B, 4H) that the output layer reads, after dropout."""
        x = self.dropout(self.embedding(ids))  # (B, T, E)
        # Packing keeps the backward direction from reading the padding first.
        packed = pack_padded_sequence(
            x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])  # (B,T,2H)
        mask = (
            torch.arange(ids.shape[1], device=ids.device) < lengths.to(ids.device).unsqueeze(1)
        ).unsqueeze(-1)
        max_pooled = out.masked_fill(~mask, float("-inf")).amax(dim=1)
        mean_pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1)
        features = torch.cat([max_pooled, mean_pooled], dim=-1)  # (B, 4H)
        return self.dropout(features)


class GroupBiasedClassifier(nn.Module):
    """The classifier plus one learned logit bias per review group.

    The groups label sentiment differently (a fine-food review counts as
    positive only when rated "great"), and the bias absorbs that.
    """

    def __init__(self, config: WordClassifierConfig, num_groups: int):
        super().__init__()
        self.classifier = WordBiLSTMClassifier(config)
        self.group_bias = nn.Parameter(torch.zeros(num_groups))
        if config.group_heads:
            self.group_weight = nn.Parameter(torch.zeros(num_groups, 4 * config.hidden_size))

    def forward(self, ids, lengths, groups):
        if not self.classifier.config.group_heads:
            return self.classifier(ids, lengths) + self.group_bias[groups]
        features = self.classifier.features(ids, lengths)
        shared = self.classifier.head(features).squeeze(-1)
        return shared + (features * self.group_weight[groups]).sum(-1) + self.group_bias[groups]


class WordClassifierEnsemble(nn.Module):
    """Independently trained classifiers whose logits are averaged.

    Members differ only in their random seed; averaging them removes much of
    the variance that a few thousand training reviews per group leave.
    """

    def __init__(self, config: WordClassifierConfig, num_groups: int, num_members: int):
        super().__init__()
        self.members = nn.ModuleList(
            GroupBiasedClassifier(config, num_groups) for _ in range(num_members)
        )

    def forward(self, ids, lengths, groups):
        return torch.stack([m(ids, lengths, groups) for m in self.members]).mean(0)
