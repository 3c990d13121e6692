"""Character-level LSTM language model.

The model follows Karpathy's char-rnn ("The Unreasonable Effectiveness of
Recurrent Neural Networks", 2015): an embedding of each character, a stack of
LSTM layers and a linear read-out to next-character logits.
"""

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn


@dataclass
class CharLSTMConfig:
    vocab_size: int
    embedding_dim: int = 128
    hidden_size: int = 512
    num_layers: int = 2
    dropout: float = 0.2

    def to_dict(self) -> dict:
        return asdict(self)


class CharLSTM(nn.Module):
    def __init__(self, config: CharLSTMConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim)
        self.lstm = nn.LSTM(
            config.embedding_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def init_hidden(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Return zero (h, c), each (num_layers, B, hidden_size), on the weights' device."""
        weight = self.head.weight
        shape = (self.config.num_layers, batch_size, self.config.hidden_size)
        return weight.new_zeros(shape), weight.new_zeros(shape)

    def forward(
        self,
        idx: torch.Tensor,
        hidden: tuple[torch.Tensor, torch.Tensor] | None = None,
        return_states: bool = False,
    ):
        """Map character ids (B, T) to logits (B, T, vocab_size) and the final (h, c).

        With ``return_states`` the top layer's hidden state at every step,
        (B, T, hidden_size), is returned as a third value for neuron views.
        """
        x = self.embedding(idx)  # (B, T, E)
        out, hidden = self.lstm(x, hidden)  # (B, T, H)
        logits = self.head(self.dropout(out))  # (B, T, V)
        if return_states:
            return logits, hidden, out
        return logits, hidden

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
