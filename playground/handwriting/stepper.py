"""A NumPy version of one sampling step of the synthesis network.

Sampling advances every layer by one point per step at a small batch, where
PyTorch spends more time dispatching its many small operators than
computing. This stepper does the same arithmetic as
``HandwritingSynthesis.step`` with fewer, larger NumPy calls:

- the parts of each layer's input that stay fixed for a line (the hand
  embedding, the biases) are projected once per request;
- the window enters every layer through ``phi @ (one_hot @ W_window.T)``,
  so the characters are projected once and each step needs one batched
  product with the attention weights instead of three with the window.

Tests check that it gives the same mixture parameters as the PyTorch step.
"""

from dataclasses import dataclass

import numpy as np
import torch

from playground.models.handwriting import HandwritingSynthesis


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().float().cpu().numpy()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


@dataclass
class StepOutput:
    """The next point's distribution, each (B, M) except ``eos_logit`` (B,), and phi (B, U+1)."""

    eos_logit: np.ndarray
    pi_logits: np.ndarray
    mu1: np.ndarray
    mu2: np.ndarray
    log_sigma1: np.ndarray
    log_sigma2: np.ndarray
    rho: np.ndarray
    phi: np.ndarray


class HandwritingStepper:
    """Steps a batch of lines one point at a time; state lives in NumPy arrays."""

    def __init__(
        self,
        model: HandwritingSynthesis,
        one_hot: torch.Tensor,
        style: torch.Tensor,
        state: dict[str, torch.Tensor],
    ):
        config = model.config
        V, S = config.vocab_size, config.hand_dim
        self.kappa_scale = config.kappa_scale
        self.num_chars = one_hot.shape[1]
        style_np = _numpy(style)  # (B, S)
        one_hot_np = _numpy(one_hot)  # (B, U, V)

        # First layer: input = [point (3), hand (S)], plus window and h1.
        w_in = _numpy(model.first_input.weight)  # (4H, 3 + S)
        self.first_point = w_in[:, :3].T.copy()
        self.first_fixed = style_np @ w_in[:, 3:].T + _numpy(model.first_input.bias)
        self.first_hidden = _numpy(model.first_hidden.weight).T.copy()
        window_weights = [_numpy(model.first_window.weight)]  # (4H, V)

        # Upper layers: input = [point (3), window (V), hand (S), layer below].
        self.upper = []
        for lstm in (model.second, model.third):
            w_ih, w_hh = _numpy(lstm.weight_ih_l0), _numpy(lstm.weight_hh_l0)
            bias = _numpy(lstm.bias_ih_l0) + _numpy(lstm.bias_hh_l0)
            window_weights.append(w_ih[:, 3 : 3 + V])
            self.upper.append(
                {
                    "point": w_ih[:, :3].T.copy(),
                    "fixed": style_np @ w_ih[:, 3 + V : 3 + V + S].T + bias,
                    "below": w_ih[:, 3 + V + S :].T.copy(),
                    "hidden": w_hh.T.copy(),
                }
            )
        # The characters projected by every layer's window weights: (B, U, sum of 4H).
        self.sizes = [w.shape[0] for w in window_weights]
        self.char_projection = one_hot_np @ np.concatenate(window_weights).T
        self.window_layer = (_numpy(model.window.weight).T.copy(), _numpy(model.window.bias))
        self.head = (_numpy(model.head.weight).T.copy(), _numpy(model.head.bias))
        self.positions = np.arange(self.num_chars + 1, dtype=np.float32)

        # State from PyTorch (after priming, or zeros).
        self.h1, self.c1 = _numpy(state["h1"]), _numpy(state["c1"])
        self.kappa = _numpy(state["kappa"])
        self.h = [_numpy(state["h2"])[0], _numpy(state["h3"])[0]]
        self.c = [_numpy(state["c2"])[0], _numpy(state["c3"])[0]]
        window = _numpy(state["window"])  # (B, V)
        self.first_window_input = window @ window_weights[0].T

    @staticmethod
    def _lstm(gates: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i, f, g, o = np.split(gates, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c

    def step(self, point: np.ndarray) -> StepOutput:
        """Advance by one point (B, 3); return the next point's distribution."""
        # First layer and the window.
        gates = point @ self.first_point + self.first_fixed + self.first_window_input
        self.h1, self.c1 = self._lstm(gates + self.h1 @ self.first_hidden, self.c1)
        alpha, beta, kappa_step = np.split(
            np.exp(self.h1 @ self.window_layer[0] + self.window_layer[1]), 3, axis=1
        )
        self.kappa = self.kappa + kappa_step / self.kappa_scale
        distance = self.kappa[:, :, None] - self.positions  # (B, K, U+1)
        phi = (alpha[:, :, None] * np.exp(-beta[:, :, None] * distance**2)).sum(1)
        window_inputs = np.matmul(phi[:, None, : self.num_chars], self.char_projection)[:, 0]
        window_inputs = np.split(window_inputs, np.cumsum(self.sizes)[:-1], axis=1)
        self.first_window_input = window_inputs[0]

        # Upper layers.
        below = self.h1
        outputs = [self.h1]
        for index, layer in enumerate(self.upper):
            gates = (
                point @ layer["point"]
                + layer["fixed"]
                + window_inputs[index + 1]
                + below @ layer["below"]
                + self.h[index] @ layer["hidden"]
            )
            self.h[index], self.c[index] = self._lstm(gates, self.c[index])
            below = self.h[index]
            outputs.append(below)

        # Mixture density head.
        raw = np.concatenate(outputs, axis=1) @ self.head[0] + self.head[1]
        parts = np.split(raw[:, 1:], 6, axis=1)
        return StepOutput(
            eos_logit=raw[:, 0],
            pi_logits=parts[0],
            mu1=parts[1],
            mu2=parts[2],
            log_sigma1=parts[3],
            log_sigma2=parts[4],
            rho=np.tanh(parts[5]) * 0.999,
            phi=phi,
        )


def sample_from(output: StepOutput, sampling_bias: float, rng: np.random.Generator) -> np.ndarray:
    """Draw one point (B, 3) from the mixture, sharpened by ``sampling_bias``.

    The component weights are a softmax of the logits times (1 + bias) and the
    standard deviations are divided by exp(bias), as in Graves (2013), section 5.4.
    """
    B = output.pi_logits.shape[0]
    logits = output.pi_logits * (1 + sampling_bias)
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    # Inverse-CDF draw of one component per row.
    component = (weights.cumsum(axis=1) < rng.random((B, 1))).sum(axis=1)
    component = np.minimum(component, weights.shape[1] - 1)
    rows = np.arange(B)
    mu1, mu2 = output.mu1[rows, component], output.mu2[rows, component]
    rho = output.rho[rows, component]
    sigma1 = np.exp(output.log_sigma1[rows, component] - sampling_bias)
    sigma2 = np.exp(output.log_sigma2[rows, component] - sampling_bias)
    normal = rng.standard_normal((2, B))
    dx = mu1 + sigma1 * normal[0]
    dy = mu2 + sigma2 * (rho * normal[0] + np.sqrt(1 - rho**2) * normal[1])
    pen_up = (rng.random(B) < _sigmoid(output.eos_logit)).astype(np.float32)
    return np.stack([dx, dy, pen_up], axis=1).astype(np.float32)
