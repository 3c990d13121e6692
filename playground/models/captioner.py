"""Attention LSTM caption decoder of Xu et al., "Show, Attend and Tell: Neural Image
Caption Generation with Visual Attention" (2015), with label slots for copying
the names of ImageNet classes.

The decoder reads a frozen CNN's feature grid (B, N, F), here 49 cells of an
EfficientNet-Lite0, projected to a smaller size P. At each word it attends
over the cells (soft, additive attention), gates the context with a sigmoid of
the hidden state as Xu et al. do, and feeds the previous word and the gated
context to an LSTM cell.

Words the decoder never saw in training cannot come out of a closed
vocabulary, so the vocabulary also contains ``num_label_slots`` slot tokens. Slot
j is the name of the encoder's j-th most likely ImageNet class for this
image. Its logit is the output layer's logit plus the log-probability of
that class. A caption decoded as "a <label1> in the grass"
reads "a cheetah in the grass" once the slot is filled, much as in "Neural
Baby Talk" (Lu et al. 2018), where slots are filled from a detector.
"""

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, START, END, UNK = "<pad>", "<start>", "<end>", "<unk>"
SPECIAL_TOKENS = (PAD, START, END, UNK)


def slot_token(rank: int) -> str:
    """Return the token of the label slot for the encoder's ``rank``-th class (0 is the top one)."""
    return f"<label{rank + 1}>"


@dataclass
class CaptionerConfig:
    vocab_size: int
    feature_dim: int = 1280
    # The grid's features are projected to this size first, which keeps the
    # LSTM's input and the checkpoint small.
    projection_dim: int = 384
    embed_dim: int = 192
    hidden_size: int = 384
    attention_dim: int = 256
    num_label_slots: int = 5
    dropout: float = 0.5

    def to_dict(self) -> dict:
        return asdict(self)


class CaptionDecoder(nn.Module):
    """Show-attend-tell decoder; token ids follow the itos list stored with the weights.

    The special tokens take ids 0 to 3 (pad, start, end, unk) and the label
    slots ids 4 to 4 + num_label_slots - 1.
    """

    def __init__(self, config: CaptionerConfig):
        super().__init__()
        self.config = config
        P, H, A = config.projection_dim, config.hidden_size, config.attention_dim
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim)
        self.feature_projection = nn.Linear(config.feature_dim, P)

        # The initial state comes from the mean feature vector.
        self.init_h = nn.Linear(P, H)
        self.init_c = nn.Linear(P, H)

        # Additive attention over the grid cells.
        self.feature_attention = nn.Linear(P, A)
        self.hidden_attention = nn.Linear(H, A)
        self.attention_score = nn.Linear(A, 1)
        self.context_gate = nn.Linear(H, P)

        self.cell = nn.LSTMCell(config.embed_dim + P, H)
        self.dropout = nn.Dropout(config.dropout)
        self.output = nn.Linear(H + P, config.vocab_size)

        # Weight of the encoder's log-probability in each slot's logit.
        self.label_confidence_weight = nn.Parameter(torch.tensor(1.0))
        self.first_slot = len(SPECIAL_TOKENS)

    def prepare(
        self, features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Project the grid (B, N, F) once per image.

        Returns the projected features (B, N, P), their attention keys (B, N, A)
        and the initial state (h, c), each (B, H), taken from their mean.
        """
        projected = self.feature_projection(features)
        mean = projected.mean(1)
        state = (torch.tanh(self.init_h(mean)), torch.tanh(self.init_c(mean)))
        return projected, self.feature_attention(projected), state

    def attend(
        self, keys: torch.Tensor, features: torch.Tensor, h: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the gated context (B, P) and the attention weights alpha (B, N)."""
        scores = self.attention_score(
            torch.tanh(keys + self.hidden_attention(h).unsqueeze(1))
        ).squeeze(-1)  # (B, N)
        alpha = F.softmax(scores, dim=-1)
        context = torch.bmm(alpha.unsqueeze(1), features).squeeze(1)  # (B, P)
        return torch.sigmoid(self.context_gate(h)) * context, alpha

    def step(
        self,
        tokens: torch.Tensor,
        state: tuple[torch.Tensor, torch.Tensor],
        features: torch.Tensor,
        keys: torch.Tensor,
        label_log_probs: torch.Tensor,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        """Advance by one word: return logits (B, V), the new (h, c) and alpha (B, N).

        ``features`` and ``keys`` come from ``prepare``. ``label_log_probs``
        (B, num_label_slots) are the encoder's log-probabilities of its top
        classes, in rank order.
        """
        h, c = state
        context, alpha = self.attend(keys, features, h)
        h, c = self.cell(torch.cat([self.embedding(tokens), context], -1), (h, c))
        logits = self.output(self.dropout(torch.cat([h, context], -1)))

        # The slots' logits also carry how sure the encoder is of each class.
        slots = slice(self.first_slot, self.first_slot + self.config.num_label_slots)
        confidence = self.label_confidence_weight * label_log_probs.to(logits.dtype)
        logits = torch.cat(
            [logits[:, : slots.start], logits[:, slots] + confidence, logits[:, slots.stop :]],
            dim=-1,
        )
        return logits, (h, c), alpha

    def forward(
        self, features: torch.Tensor, label_log_probs: torch.Tensor, tokens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced pass over the grid (B, N, F): ``tokens`` (B, T) start with <start>.

        Returns the logits (B, T, V) of the word after each input token and the
        attention weights (B, T, N).
        """
        features, keys, state = self.prepare(features)
        all_logits, alphas = [], []
        for step_tokens in tokens.unbind(1):
            logits, state, alpha = self.step(step_tokens, state, features, keys, label_log_probs)
            all_logits.append(logits)
            alphas.append(alpha)
        return torch.stack(all_logits, 1), torch.stack(alphas, 1)


def caption_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    alphas: torch.Tensor,
    pad_id: int,
    attention_penalty: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (total loss, word cross-entropy) for a teacher-forced batch.

    The doubly stochastic penalty (Xu et al., eq. 14) pushes each cell to receive
    about one unit of attention summed over the caption's words, so that the
    decoder looks at every part of the image at some point.
    """
    cross_entropy = F.cross_entropy(
        logits.flatten(0, 1).float(), targets.flatten(), ignore_index=pad_id
    )
    word_mask = (targets != pad_id).unsqueeze(-1).to(alphas.dtype)  # (B, T, 1)
    attention_sum = (alphas * word_mask).sum(1)  # (B, N)
    penalty = ((1.0 - attention_sum) ** 2).sum(1).mean()
    return cross_entropy + attention_penalty * penalty, cross_entropy


@dataclass
class Hypothesis:
    """One caption from beam search: token ids without <start>/<end>, alphas per token."""

    token_ids: list[int]
    log_prob: float
    alphas: list[torch.Tensor]
    finished: bool


@torch.no_grad()
def beam_search(
    decoder: CaptionDecoder,
    features: torch.Tensor,
    label_log_probs: torch.Tensor,
    start_id: int,
    end_id: int,
    beam_size: int = 3,
    max_length: int = 20,
    banned_ids: tuple[int, ...] = (),
    single_use_ids: tuple[int, ...] = (),
    logit_bias: torch.Tensor | None = None,
) -> list[Hypothesis]:
    """Return the captions of one image (features (1, N, F)), best first.

    ``banned_ids`` never appear, and each of ``single_use_ids`` appears at
    most once per caption. ``logit_bias`` (V,) is added to every step's
    logits, so the log-probabilities are those of the biased distribution.
    Beams that emit <end> are set aside as finished. When the length cap is
    reached, the unfinished beams join them, so a caption always comes back
    even if no beam ever ends. The result holds up to ``beam_size``
    captions: ended ones first, each group sorted by log-probability per word.
    """
    if beam_size < 1 or max_length < 1:
        raise ValueError(
            f"beam_size and max_length must be positive, got {beam_size}, {max_length}"
        )
    features, keys, (h, c) = decoder.prepare(features)
    tokens = torch.tensor([start_id], device=features.device)
    scores = torch.zeros(1, device=features.device)
    histories: list[list[int]] = [[]]
    alpha_histories: list[list[torch.Tensor]] = [[]]
    finished: list[Hypothesis] = []

    for _ in range(max_length):
        live = tokens.shape[0]
        logits, (h, c), alpha = decoder.step(
            tokens,
            (h, c),
            features.expand(live, -1, -1),
            keys.expand(live, -1, -1),
            label_log_probs.expand(live, -1),
        )
        logits = logits.float()
        if logit_bias is not None:
            logits = logits + logit_bias
        log_probs = F.log_softmax(logits, dim=-1)  # (live, V)
        if banned_ids:
            log_probs[:, list(banned_ids)] = -math.inf
        for row, history in enumerate(histories):
            used = [token for token in single_use_ids if token in history]
            if used:
                log_probs[row, used] = -math.inf
        if not histories[0]:
            # An empty caption is no caption: the first word cannot be <end>.
            log_probs[:, end_id] = -math.inf
        candidates = (scores.unsqueeze(1) + log_probs).flatten()
        top_scores, top_indices = candidates.topk(min(beam_size, candidates.numel()))
        vocab_size = log_probs.shape[1]
        parents = torch.div(top_indices, vocab_size, rounding_mode="floor")
        words = top_indices % vocab_size

        keep, next_scores, next_histories, next_alphas = [], [], [], []
        for score, parent, word in zip(top_scores.tolist(), parents.tolist(), words.tolist()):
            alphas = alpha_histories[parent] + [alpha[parent]]
            if word == end_id:
                finished.append(Hypothesis(histories[parent], score, alphas[:-1], True))
                continue
            keep.append(parent)
            next_scores.append(score)
            next_histories.append(histories[parent] + [word])
            next_alphas.append(alphas)
        # Stop once all beams have ended or beam_size captions have.
        if not keep or len(finished) >= beam_size:
            break
        index = torch.tensor(keep, device=features.device)
        tokens = words[[i for i, w in enumerate(words.tolist()) if w != end_id]]
        h, c = h[index], c[index]
        scores = torch.tensor(next_scores, device=features.device)
        histories, alpha_histories = next_histories, next_alphas
    else:
        # The length cap ended the search: the live beams count as captions too.
        for score, history, alphas in zip(scores.tolist(), histories, alpha_histories):
            finished.append(Hypothesis(history, score, alphas, False))

    def rank(hypothesis: Hypothesis) -> tuple[bool, float]:
        # Ended captions come first; the length cap's unfinished ones only fill up.
        words = max(1, len(hypothesis.token_ids) + hypothesis.finished)
        return hypothesis.finished, hypothesis.log_prob / words

    return sorted(finished, key=rank, reverse=True)[:beam_size]
