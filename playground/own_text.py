"""Train a small character LSTM on a visitor's own text, within a fixed time budget.

The text tab lets anyone upload a text file and watch a model learn it in
under a minute. The model is deliberately small (one LSTM layer) so that the
loss falls visibly in that time on a laptop CPU, and it lives only in the
visitor's session: nothing is written to disk.

``train_on_text`` is a generator: it yields a ``TrainingUpdate`` about twice a
second, so a caller can draw a progress bar and the falling loss, and the last
update carries the trained model.
"""

import logging
import math
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch

from playground.errors import InvalidInputError
from playground.evaluate_char_lm import evaluate, make_streams
from playground.models.char_lstm import CharLSTM, CharLSTMConfig
from playground.sampling import StepperWeights
from playground.textgen import CharLanguageModel
from playground.train_char_lm import TrainConfig, build_optimizer, train_step
from playground.vocab import CharVocab

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 2_000_000
MIN_TEXT_CHARS = 200
MAX_TRAINING_SECONDS = 60
MIN_TRAINING_SECONDS = 5
DEFAULT_TRAINING_SECONDS = 30
# A file in a script with thousands of characters would otherwise give an output
# layer larger than the LSTM; the rarest characters beyond this many are left out.
MAX_VOCAB_SIZE = 160
# Validation reads at most this many held-out characters, so that it fits the budget.
MAX_VALIDATION_CHARS = 20_000
UPDATE_INTERVAL_SECONDS = 0.5

OWN_MODEL_SHAPE = {"embedding_dim": 48, "hidden_size": 256, "num_layers": 1, "dropout": 0.0}
OWN_TRAINING = TrainConfig(
    batch_size=32, seq_len=64, lr=6e-3, min_lr=6e-4, warmup_steps=20, autocast_bf16=False
)


@dataclass
class TrainingUpdate:
    """Progress of a training run; only the last update carries the trained ``model``."""

    step: int
    seconds: float
    budget_seconds: float
    train_loss: float | None
    val_loss: float | None = None
    model: CharLanguageModel | None = None
    loss_history: list[tuple[float, float]] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return 1.0 if self.model is not None else min(1.0, self.seconds / self.budget_seconds)


def read_text_upload(path) -> str:
    """Return the text of an uploaded file, or raise InvalidInputError saying what is wrong."""
    if not isinstance(path, (str, Path)) or not str(path):
        raise InvalidInputError("Upload a UTF-8 text file to train on.")
    path = Path(path)
    unreadable = "The uploaded file could not be read; upload a text file."
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInputError(unreadable) from exc
    # A raw API request can name a folder, such as the upload folder itself, in place of a file.
    if not path.is_file():
        raise InvalidInputError(unreadable)
    if size > MAX_UPLOAD_BYTES:
        raise InvalidInputError(
            f"The file has {size:,} bytes; the limit is {MAX_UPLOAD_BYTES:,} bytes "
            f"({MAX_UPLOAD_BYTES / 1e6:g} MB)."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(unreadable) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"The file is not UTF-8 text (byte {exc.start} cannot be decoded). "
            "Save it as UTF-8 and upload it again."
        ) from exc
    # Windows and old Mac line endings become "\n" first; NUL and the other control
    # characters, apart from line breaks and tabs, carry no writing and are removed.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or ch >= " ")
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise InvalidInputError(
            f"The file has {len(text.strip())} characters of text; "
            f"the model needs at least {MIN_TEXT_CHARS}."
        )
    return text


def limit_vocabulary(text: str, max_size: int = MAX_VOCAB_SIZE) -> tuple[str, list[str]]:
    """Drop all but the ``max_size`` most frequent characters.

    Returns the remaining text and the dropped characters, most frequent first.
    """
    counts = Counter(text)
    if len(counts) <= max_size:
        return text, []
    kept = {ch for ch, _ in counts.most_common(max_size)}
    dropped = sorted(set(counts) - kept, key=lambda ch: -counts[ch])
    return "".join(ch for ch in text if ch in kept), dropped


def cosine_learning_rate(step: int, fraction: float, config: TrainConfig) -> float:
    """Linear warm-up over steps, then cosine decay over the elapsed share of the budget."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    fraction = min(1.0, max(0.0, fraction))
    return config.min_lr + 0.5 * (config.lr - config.min_lr) * (1 + math.cos(math.pi * fraction))


def split_for_validation(text: str) -> tuple[str, str]:
    """Hold out the end of a text for validation: a tenth, at most MAX_VALIDATION_CHARS."""
    held_out = min(MAX_VALIDATION_CHARS, len(text) // 10)
    return text[: len(text) - held_out], text[len(text) - held_out :]


def train_on_text(
    text: str,
    seconds: float = DEFAULT_TRAINING_SECONDS,
    seed: int = 0,
    name: str = "your text",
) -> Iterator[TrainingUpdate]:
    """Train a small character LSTM on ``text`` for ``seconds``; yield progress, then the model."""
    if not isinstance(seconds, (int, float)) or not (
        MIN_TRAINING_SECONDS <= seconds <= MAX_TRAINING_SECONDS
    ):
        raise InvalidInputError(
            f"Training time must be from {MIN_TRAINING_SECONDS} to {MAX_TRAINING_SECONDS} "
            f"seconds, not {seconds!r}."
        )
    started = time.monotonic()
    original_length = len(text)
    text, dropped = limit_vocabulary(text)
    train_text, val_text = split_for_validation(text)
    vocab = CharVocab.from_text(text)
    train_ids = torch.tensor(vocab.encode(train_text), dtype=torch.long)
    val_ids = torch.tensor(vocab.encode(val_text), dtype=torch.long)
    config = OWN_TRAINING
    # A short file cannot fill 32 streams of 64 characters; use fewer streams then.
    batch_size = max(1, min(config.batch_size, len(train_ids) // (config.seq_len + 1)))
    seq_len = min(config.seq_len, len(train_ids) // batch_size - 1)

    torch.manual_seed(seed)
    model_config = CharLSTMConfig(vocab_size=len(vocab), **OWN_MODEL_SHAPE)
    model = CharLSTM(model_config)
    optimizer = build_optimizer(model, config)
    generator = torch.Generator().manual_seed(seed)
    epoch, position, hidden = 0, 0, None
    data = make_streams(train_ids, batch_size)
    step, running_loss, history = 0, None, []
    last_update = started
    # Validation and building the sampler take a moment; leave them a share of the budget.
    deadline = started + seconds * 0.95
    step_seconds = 0.0
    model.train()
    # Stop when the next step would end past the deadline, not only once it has passed.
    while time.monotonic() + step_seconds < deadline:
        step_started = time.monotonic()
        if position + seq_len + 1 > data.shape[1]:
            epoch += 1
            offset = int(torch.randint(len(train_ids), (1,), generator=generator))
            data = make_streams(train_ids, batch_size, offset)
            position, hidden = 0, None
        x = data[:, position : position + seq_len]
        y = data[:, position + 1 : position + seq_len + 1]
        position += seq_len
        fraction = (time.monotonic() - started) / seconds
        for group in optimizer.param_groups:
            group["lr"] = cosine_learning_rate(step, fraction, config)
        loss, hidden = train_step(model, optimizer, x, y, hidden, config)
        step += 1
        running_loss = loss if running_loss is None else 0.9 * running_loss + 0.1 * loss
        now = time.monotonic()
        step_seconds = now - step_started
        if now - last_update >= UPDATE_INTERVAL_SECONDS:
            last_update = now
            history.append((round(now - started, 2), round(running_loss, 4)))
            yield TrainingUpdate(step, now - started, seconds, running_loss, loss_history=history)

    model.eval()
    val_loss = (
        evaluate(model, val_ids, torch.device("cpu"), use_bf16=False) if len(val_ids) > 1 else None
    )
    elapsed = time.monotonic() - started
    metadata = {
        "name": name,
        "task": "text-generation",
        "architecture": "CharLSTM",
        "config": model_config.to_dict(),
        "vocab": {"itos": vocab.itos},
        "data": {
            "train_chars": len(train_ids),
            "val_chars": len(val_ids),
            "held_out": f"the last {len(val_ids):,} characters of the file",
            "dropped_characters": dropped,
            "dropped_chars_count": original_length - len(text),
        },
        "training": {"steps": step, "epochs": epoch, "time_seconds": round(elapsed, 1)},
        "metrics": {"val_loss_nats": val_loss, "train_loss_nats": running_loss},
    }
    lm = CharLanguageModel(
        name=name,
        model=model,
        vocab=vocab,
        metadata=metadata,
        stepper_weights=StepperWeights(model),
    )
    logger.info(
        "trained on %d characters for %.1f s (%d steps): train loss %.3f, validation %s",
        len(text),
        elapsed,
        step,
        running_loss if running_loss is not None else float("nan"),
        f"{val_loss:.3f}" if val_loss is not None else "none",
    )
    yield TrainingUpdate(
        step, elapsed, seconds, running_loss, val_loss, model=lm, loss_history=history
    )
