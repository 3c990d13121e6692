"""Sampling from a character LSTM, one character at a time.

Calling ``nn.LSTM`` once per character spends most of its time on per-call
overhead, not arithmetic. ``LSTMStepper`` runs each step in NumPy on
preallocated fp32 buffers instead, where a small operation carries much less
Python overhead than a PyTorch call:

- the first layer's input projection of every character is precomputed into a
  table (vocab_size, 4H), so that layer only multiplies its recurrent weights;
- each upper layer multiplies one concatenated matrix [W_ih | W_hh] with
  [h_below; h_own] in a single matrix-vector product;
- all buffers and their slices are allocated once per sample, so a step
  allocates no memory;
- the gate rows are reordered to (cell, input, forget, output) and the
  sigmoid gates' rows are halved, so that one ``tanh`` over all 4H gates
  gives every gate: sigmoid(x) = (tanh(x / 2) + 1) / 2.

The stepper always runs on the CPU: a batch-1 step is a chain of tiny kernels,
which a GPU would spend launching rather than computing.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from playground.models.char_lstm import CharLSTM
from playground.vocab import CharVocab

MAX_SAMPLE_LENGTH = 5000
# Temperatures below this sample as greedy decoding: dividing logits by a
# tinier number overflows to infinity, and the result is argmax anyway.
GREEDY_TEMPERATURE = 1e-4


@dataclass
class SamplingOptions:
    length: int = 500
    temperature: float = 0.8
    top_k: int | None = None
    seed: int | None = None


def make_rng(seed: int | None) -> np.random.Generator:
    """Return a NumPy generator: seeded for reproducible samples, or fresh entropy."""
    return np.random.default_rng(seed)


def pick_next(
    logits: np.ndarray, temperature: float, top_k: int | None, rng: np.random.Generator
) -> int:
    """Choose the next id from logits (V,): argmax at temperature 0, otherwise a sample."""
    if temperature < GREEDY_TEMPERATURE:
        return int(np.argmax(logits))
    scaled = logits / np.float32(temperature)
    if top_k is not None and 0 < top_k < scaled.size:
        kth_largest = np.partition(scaled, -top_k)[-top_k]
        scaled[scaled < kth_largest] = -np.inf
    np.subtract(scaled, scaled.max(), out=scaled)
    np.exp(scaled, out=scaled)
    cumulative = np.cumsum(scaled)
    # Inverse-CDF sampling: one uniform draw per character keeps seeded runs reproducible.
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(index, scaled.size - 1)


def _reorder_gates(matrix: torch.Tensor, hidden_size: int) -> np.ndarray:
    """Reorder PyTorch's (input, forget, cell, output) gate rows to (cell, input, forget, output)
    and halve the sigmoid gates' rows (see the module docstring)."""
    H = hidden_size
    i, f, g, o = matrix[:H], matrix[H : 2 * H], matrix[2 * H : 3 * H], matrix[3 * H :]
    reordered = torch.cat([g, 0.5 * i, 0.5 * f, 0.5 * o], dim=0)
    return np.ascontiguousarray(reordered.detach().float().cpu().numpy())


class StepperWeights:
    """A CharLSTM's weights rearranged for batch-1 stepping; built once per loaded model."""

    def __init__(self, model: CharLSTM):
        lstm = model.lstm
        H = self.hidden_size = model.config.hidden_size
        self.num_layers = model.config.num_layers
        with torch.no_grad():
            w_ih0 = lstm.weight_ih_l0.float()
            bias0 = (lstm.bias_ih_l0 + lstm.bias_hh_l0).float()
            table = model.embedding.weight.float() @ w_ih0.T + bias0  # (V, 4H)
            self.input_table = _reorder_gates(table.T, H).T.copy()  # (V, 4H)
            self.w_hh0 = _reorder_gates(lstm.weight_hh_l0, H)  # (4H, H)
            self.upper_weights, self.upper_biases = [], []
            for layer in range(1, self.num_layers):
                w_ih = getattr(lstm, f"weight_ih_l{layer}").float()
                w_hh = getattr(lstm, f"weight_hh_l{layer}").float()
                bias = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
                self.upper_weights.append(_reorder_gates(torch.cat([w_ih, w_hh], dim=1), H))
                self.upper_biases.append(_reorder_gates(bias.float(), H))  # (4H,)
            self.head_weight = np.ascontiguousarray(model.head.weight.float().cpu().numpy())
            self.head_bias = model.head.bias.float().cpu().numpy().copy()


class LSTMStepper:
    """Batch-1 recurrent state over shared StepperWeights, one character per step."""

    def __init__(self, weights: StepperWeights):
        self.weights = weights
        H = self.hidden_size = weights.hidden_size
        L = self.num_layers = weights.num_layers
        # Every layer's h is stored side by side in one buffer. An upper layer's
        # input [h_below; h_own] is then a slice of it, so no copy is needed.
        self.hidden = np.zeros(L * H, dtype=np.float32)
        self.cells = np.zeros((L, H), dtype=np.float32)
        self.gates = np.zeros(4 * H, dtype=np.float32)
        self.scratch = np.zeros(H, dtype=np.float32)
        self.logits = np.zeros(weights.head_weight.shape[0], dtype=np.float32)
        # Views are made once here: slicing inside the per-character loop costs
        # more than the arithmetic on a 512-element vector.
        self.layer_h = [self.hidden[layer * H : (layer + 1) * H] for layer in range(L)]
        self.layer_inputs = [self.layer_h[0]] + [
            self.hidden[(layer - 1) * H : (layer + 1) * H] for layer in range(1, L)
        ]
        gates = self.gates
        self.candidate, self.input_gate = gates[:H], gates[H : 2 * H]
        self.forget_gate, self.output_gate = gates[2 * H : 3 * H], gates[3 * H :]
        self.sigmoid_gates = gates[H:]
        # (unit, value): the top layer's unit is overwritten with value after every step.
        self.clamp: tuple[int, float] | None = None

    def load_hidden(self, hidden: tuple[torch.Tensor, torch.Tensor]) -> None:
        """Copy an nn.LSTM (h, c) pair, each (num_layers, 1, H), into the stepper."""
        h, c = (t[:, 0].detach().float().cpu().numpy() for t in hidden)
        for layer in range(self.num_layers):
            self.layer_h[layer][:] = h[layer]
            self.cells[layer] = c[layer]

    def _cell(self, layer: int) -> None:
        """Apply the LSTM cell update to ``self.gates`` for one layer, in place."""
        c, h = self.cells[layer], self.layer_h[layer]
        np.tanh(self.gates, out=self.gates)
        np.multiply(self.sigmoid_gates, 0.5, out=self.sigmoid_gates)
        np.add(self.sigmoid_gates, 0.5, out=self.sigmoid_gates)
        np.multiply(c, self.forget_gate, out=c)
        np.multiply(self.input_gate, self.candidate, out=self.scratch)
        np.add(c, self.scratch, out=c)
        np.tanh(c, out=h)
        np.multiply(h, self.output_gate, out=h)

    def step(self, char_id: int) -> np.ndarray:
        """Feed one character id; return the next-character logits (V,)."""
        w, gates = self.weights, self.gates
        np.dot(w.w_hh0, self.layer_inputs[0], out=gates)
        np.add(gates, w.input_table[char_id], out=gates)
        self._cell(0)
        for layer in range(1, self.num_layers):
            np.dot(w.upper_weights[layer - 1], self.layer_inputs[layer], out=gates)
            np.add(gates, w.upper_biases[layer - 1], out=gates)
            self._cell(layer)
        if self.clamp is not None:
            unit, value = self.clamp
            self.layer_h[-1][unit] = value
        np.dot(w.head_weight, self.layer_h[-1], out=self.logits)
        np.add(self.logits, w.head_bias, out=self.logits)
        return self.logits


def prime_ids(vocab: CharVocab, ids: list[int]) -> list[int]:
    """Return the ids to warm the model up with; an empty prime starts a new speech."""
    if ids:
        return ids
    return [vocab.stoi["\n"]] if "\n" in vocab else [0]


def _run_prime(model: CharLSTM, ids: list[int]):
    """Run all but the last prime id through nn.LSTM in one call; return (h, c) or None."""
    if len(ids) < 2:
        return None
    with torch.inference_mode():
        context = torch.tensor([ids[:-1]], dtype=torch.long, device=model.head.weight.device)
        _, hidden = model(context)
    return hidden


def generate(
    model: CharLSTM,
    vocab: CharVocab,
    prime: list[int],
    options: SamplingOptions,
    weights: StepperWeights | None = None,
    clamp: tuple[int, float] | None = None,
) -> Iterator[str]:
    """Yield sampled characters one at a time after warming up on the ``prime`` ids.

    Pass the model's cached ``weights`` to skip rebuilding them for every call.
    ``clamp=(unit, value)`` holds one unit of the top layer's hidden state at
    ``value`` from the last prime character on, as the output layer and the
    next step see it.
    """
    length = max(0, min(int(options.length), MAX_SAMPLE_LENGTH))
    rng = make_rng(options.seed)
    stepper = LSTMStepper(weights if weights is not None else StepperWeights(model))
    ids = prime_ids(vocab, prime)
    hidden = _run_prime(model, ids)
    if hidden is not None:
        stepper.load_hidden(hidden)
    stepper.clamp = clamp
    current = ids[-1]
    for _ in range(length):
        logits = stepper.step(current)
        current = pick_next(logits, options.temperature, options.top_k, rng)
        yield vocab.itos[current]


def sample_naive(
    model: CharLSTM, vocab: CharVocab, prime: list[int], options: SamplingOptions
) -> str:
    """Sample by calling the full model once per character: the slow reference loop."""
    rng = make_rng(options.seed)
    ids = prime_ids(vocab, prime)
    device = model.head.weight.device
    hidden = _run_prime(model, ids)
    current = ids[-1]
    out = []
    with torch.inference_mode():
        for _ in range(min(int(options.length), MAX_SAMPLE_LENGTH)):
            logits, hidden = model(torch.tensor([[current]], device=device), hidden)
            current = pick_next(
                logits[0, -1].float().cpu().numpy(), options.temperature, options.top_k, rng
            )
            out.append(vocab.itos[current])
    return "".join(out)
