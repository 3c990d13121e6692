"""Handwriting synthesis network of Graves, "Generating Sequences With Recurrent Neural
Networks" (2013), section 5.

A pen trajectory is a sequence of points (dx, dy, end_of_stroke). The first
LSTM layer reads the previous point and the current *window*: a soft
attention over the one-hot characters of the text to write, placed by a
mixture of K Gaussians whose centres (kappa) only move forward. Two more LSTM
layers read the point, the first layer's output and the window, and a
mixture-density layer predicts the next point: M bivariate Gaussians over
(dx, dy) and a Bernoulli for the pen lifting after it.

This model departs from Graves in two ways. Every layer also receives an
embedding of the hand (the font a training line was drawn in), so that one
model writes in several styles. The window's kappa steps are divided by
``kappa_scale`` and start at the data's pace, which makes the attention align
within minutes instead of hours.

Only the first layer and the window have to step one point at a time in
training, because the window depends on the first layer's output; the upper
layers run over the whole sequence in one call.
"""

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

# Parameters per mixture component: pi, mu (2), log sigma (2), rho.
PARAMS_PER_COMPONENT = 6


@dataclass
class HandwritingConfig:
    vocab_size: int
    num_hands: int
    hand_dim: int = 16
    hidden_size: int = 256
    upper_hidden_size: int = 256
    window_components: int = 10
    mixture_components: int = 20
    # kappa grows by exp(raw) / kappa_scale per point.
    kappa_scale: float = 25.0
    # Characters per point at the start of training (about 16 points per character).
    initial_kappa_rate: float = 1 / 16

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class MixtureParams:
    """The output distribution of the next point, each tensor (..., M) except ``eos_logit``."""

    eos_logit: torch.Tensor  # (...,)
    pi_logits: torch.Tensor
    mu1: torch.Tensor
    mu2: torch.Tensor
    log_sigma1: torch.Tensor
    log_sigma2: torch.Tensor
    rho: torch.Tensor


class HandwritingSynthesis(nn.Module):
    def __init__(self, config: HandwritingConfig):
        super().__init__()
        self.config = config
        H, V, K, S = (
            config.hidden_size,
            config.vocab_size,
            config.window_components,
            config.hand_dim,
        )
        self.hand_embedding = nn.Embedding(config.num_hands, S)

        # First layer, written out as a cell so the window can be computed between steps.
        self.first_input = nn.Linear(3 + S, 4 * H)
        self.first_window = nn.Linear(V, 4 * H, bias=False)
        self.first_hidden = nn.Linear(H, 4 * H, bias=False)
        self.window = nn.Linear(H, 3 * K)

        # Upper layers see the point, the layer below, the window and the hand.
        upper_input = 3 + V + S
        self.second = nn.LSTM(upper_input + H, config.upper_hidden_size, batch_first=True)
        self.third = nn.LSTM(
            upper_input + config.upper_hidden_size, config.upper_hidden_size, batch_first=True
        )
        self.head = nn.Linear(
            H + 2 * config.upper_hidden_size,
            1 + PARAMS_PER_COMPONENT * config.mixture_components,
        )
        self._init_weights()

    def _init_weights(self) -> None:
        H = self.config.hidden_size
        with torch.no_grad():
            # Forget-gate bias 1 (PyTorch's gate order is input, forget, cell, output).
            self.first_input.bias[H : 2 * H].fill_(1.0)
            for lstm in (self.second, self.third):
                hidden = lstm.hidden_size
                lstm.bias_ih_l0[hidden : 2 * hidden].fill_(1.0)
            # Start kappa at the data's pace: exp(bias) / kappa_scale = initial_kappa_rate.
            K = self.config.window_components
            self.window.bias[2 * K :].fill_(
                math.log(self.config.initial_kappa_rate * self.config.kappa_scale)
            )

    def init_state(self, batch_size: int) -> dict[str, torch.Tensor]:
        """Return the zero state of the first layer, the window and the upper layers."""
        weight = self.head.weight
        H, U = self.config.hidden_size, self.config.upper_hidden_size
        zeros = weight.new_zeros
        return {
            "h1": zeros(batch_size, H),
            "c1": zeros(batch_size, H),
            "kappa": zeros(batch_size, self.config.window_components),
            "window": zeros(batch_size, self.config.vocab_size),
            "h2": zeros(1, batch_size, U),
            "c2": zeros(1, batch_size, U),
            "h3": zeros(1, batch_size, U),
            "c3": zeros(1, batch_size, U),
        }

    def attention(
        self, h1: torch.Tensor, kappa: torch.Tensor, positions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Move the window; return the new kappa (B, K) and the weights phi (B, len(positions))."""
        alpha, beta, kappa_step = self.window(h1).float().exp().chunk(3, dim=-1)  # (B, K) each
        kappa = kappa + kappa_step / self.config.kappa_scale
        distance = kappa.unsqueeze(-1) - positions  # (B, K, U)
        phi = (alpha.unsqueeze(-1) * torch.exp(-beta.unsqueeze(-1) * distance**2)).sum(1)
        return kappa, phi

    def first_cell(
        self, projected_input: torch.Tensor, window: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Advance the first layer by one step; ``projected_input`` is first_input(point, hand)."""
        gates = projected_input + self.first_window(window) + self.first_hidden(h)
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c

    def first_layer(
        self,
        points: torch.Tensor,
        one_hot: torch.Tensor,
        style: torch.Tensor,
        state: dict[str, torch.Tensor],
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Step the first layer and the window over all points.

        Returns h1 (B, T, H), the windows (B, T, V), phi (B, T, U) and the state.
        """
        B, T, _ = points.shape
        positions = torch.arange(one_hot.shape[1], device=points.device, dtype=torch.float32)
        # Project the inputs of all steps at once; iterate over unbind() slices because
        # indexing a slice inside the loop makes backward allocate a full-length gradient.
        projected = self.first_input(torch.cat([points, style.expand(B, T, -1)], -1))  # (B,T,4H)
        h, c = state["h1"], state["c1"]
        kappa, window = state["kappa"], state["window"]
        hs, windows, phis = [], [], []
        for step_input in projected.unbind(1):
            h, c = self.first_cell(step_input, window, h, c)
            kappa, phi = self.attention(h, kappa, positions)
            window = torch.bmm(phi.unsqueeze(1), one_hot).squeeze(1)  # (B, V)
            hs.append(h)
            windows.append(window)
            phis.append(phi)
        state = {**state, "h1": h, "c1": c, "kappa": kappa, "window": window}
        return torch.stack(hs, 1), torch.stack(windows, 1), torch.stack(phis, 1), state

    def forward(
        self,
        points: torch.Tensor,
        chars: torch.Tensor,
        char_mask: torch.Tensor,
        hands: torch.Tensor,
        state: dict[str, torch.Tensor] | None = None,
    ) -> tuple[MixtureParams, torch.Tensor, dict[str, torch.Tensor]]:
        """Predict the next point after each of ``points`` (B, T, 3).

        ``chars`` (B, U) are character ids and ``char_mask`` (B, U) is 1 on real
        characters and 0 on padding. Returns the mixture parameters (B, T, ...),
        the window weights phi (B, T, U) and the state after the last point.
        """
        B, T, _ = points.shape
        if state is None:
            state = self.init_state(B)
        one_hot = F.one_hot(chars, self.config.vocab_size).float() * char_mask.unsqueeze(-1)
        style = self.hand_embedding(hands).unsqueeze(1)  # (B, 1, S)

        # The first layer and the window, one point at a time.
        h1, windows, phi, state = self.first_layer(points, one_hot, style, state)

        # The upper layers over the whole sequence.
        shared = torch.cat([points, windows, style.expand(B, T, -1)], -1)
        h2, (state["h2"], state["c2"]) = self.second(
            torch.cat([shared, h1], -1), (state["h2"], state["c2"])
        )
        h3, (state["h3"], state["c3"]) = self.third(
            torch.cat([shared, h2], -1), (state["h3"], state["c3"])
        )
        raw = self.head(torch.cat([h1, h2, h3], -1)).float()
        return split_mixture(raw, self.config.mixture_components), phi, state

    def step(
        self,
        point: torch.Tensor,
        one_hot: torch.Tensor,
        style: torch.Tensor,
        state: dict[str, torch.Tensor],
    ) -> tuple[MixtureParams, torch.Tensor, dict[str, torch.Tensor]]:
        """Advance every layer by one point, for sampling.

        ``point`` is (B, 3), ``one_hot`` (B, U, V) and ``style`` (B, S). The
        returned phi has U + 1 columns: the last one is the weight on the
        position just past the text, which shows when the writing is done.
        """
        U = one_hot.shape[1]
        positions = torch.arange(U + 1, device=point.device, dtype=torch.float32)
        h1, c1 = self.first_cell(
            self.first_input(torch.cat([point, style], -1)),
            state["window"],
            state["h1"],
            state["c1"],
        )
        kappa, phi = self.attention(h1, state["kappa"], positions)
        window = torch.bmm(phi[:, :U].unsqueeze(1), one_hot).squeeze(1)  # (B, V)
        shared = torch.cat([point, window, style], -1).unsqueeze(1)  # (B, 1, ...)
        h2, (h2_state, c2_state) = self.second(
            torch.cat([shared, h1.unsqueeze(1)], -1), (state["h2"], state["c2"])
        )
        h3, (h3_state, c3_state) = self.third(
            torch.cat([shared, h2], -1), (state["h3"], state["c3"])
        )
        raw = self.head(torch.cat([h1, h2.squeeze(1), h3.squeeze(1)], -1)).float()
        state = {
            "h1": h1,
            "c1": c1,
            "kappa": kappa,
            "window": window,
            "h2": h2_state,
            "c2": c2_state,
            "h3": h3_state,
            "c3": c3_state,
        }
        return split_mixture(raw, self.config.mixture_components), phi, state


def split_mixture(raw: torch.Tensor, components: int) -> MixtureParams:
    """Cut the head's output (..., 1 + 6M) into mixture parameters."""
    eos_logit = raw[..., 0]
    pi_logits, mu1, mu2, log_sigma1, log_sigma2, rho = raw[..., 1:].split(components, dim=-1)
    return MixtureParams(
        eos_logit, pi_logits, mu1, mu2, log_sigma1, log_sigma2, torch.tanh(rho) * 0.999
    )


def mixture_nll(params: MixtureParams, targets: torch.Tensor) -> torch.Tensor:
    """Return the negative log-likelihood (nats) of ``targets`` (..., 3) per point, in fp32."""
    x1 = targets[..., 0:1].float()
    x2 = targets[..., 1:2].float()
    eos = targets[..., 2].float()
    sigma1, sigma2 = params.log_sigma1.exp(), params.log_sigma2.exp()
    z1 = (x1 - params.mu1) / sigma1
    z2 = (x2 - params.mu2) / sigma2
    one_minus_rho2 = 1 - params.rho**2
    exponent = -(z1**2 + z2**2 - 2 * params.rho * z1 * z2) / (2 * one_minus_rho2)
    log_normal = (
        exponent
        - math.log(2 * math.pi)
        - params.log_sigma1
        - params.log_sigma2
        - 0.5 * torch.log(one_minus_rho2)
    )
    log_offsets = torch.logsumexp(F.log_softmax(params.pi_logits, -1) + log_normal, -1)
    log_eos = -F.binary_cross_entropy_with_logits(params.eos_logit, eos, reduction="none")
    return -(log_offsets + log_eos)
