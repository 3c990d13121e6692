"""Measure a character LSTM checkpoint's loss on a validation text.

Usage: python -m playground.evaluate_char_lm --checkpoint checkpoints/shakespeare --val FILE
       [--update-metadata]

Training measures the validation loss with its fp32 weights under bf16
autocast. A shipped checkpoint stores bf16 weights and the app computes in
fp32, so this command measures exactly what the app runs; with
``--update-metadata`` it records the result as the checkpoint's
``metrics.val_loss_nats``.
"""

import argparse
import json
import logging
import math
from pathlib import Path

import torch
import torch.nn.functional as F

from playground.checkpoint import checkpoint_paths
from playground.models.char_lstm import CharLSTM

logger = logging.getLogger(__name__)


def make_streams(ids: torch.Tensor, batch_size: int, offset: int = 0) -> torch.Tensor:
    """Cut a 1-D id tensor into ``batch_size`` contiguous streams, (B, L)."""
    ids = torch.roll(ids, -offset) if offset else ids
    length = ids.numel() // batch_size
    if length < 2:
        raise ValueError(f"text of {ids.numel()} characters is too short for {batch_size} streams")
    return ids[: length * batch_size].view(batch_size, length)


def autocast(device: torch.device, enabled: bool):
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled)


@torch.no_grad()
def evaluate(
    model: CharLSTM,
    val_ids: torch.Tensor,
    device: torch.device,
    use_bf16: bool,
    streams: int = 8,
    seq_len: int = 512,
) -> float:
    """Return the mean next-character loss (nats) over the whole validation text."""
    was_training = model.training
    model.eval()
    streams = max(1, min(streams, val_ids.numel() // (seq_len + 1)))
    data = make_streams(val_ids, streams).to(device)
    hidden = None
    total, count = 0.0, 0
    for start in range(0, data.shape[1] - 1, seq_len):
        x = data[:, start : start + seq_len]
        y = data[:, start + 1 : start + seq_len + 1]
        x = x[:, : y.shape[1]]
        with autocast(device, use_bf16):
            logits, hidden = model(x, hidden)
        loss = F.cross_entropy(
            logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"
        )
        total += float(loss)
        count += y.numel()
    model.train(was_training)
    return total / count


def evaluate_checkpoint(stem: Path, text: str) -> float:
    """Return the loss (nats/char) of the checkpoint's weights on ``text``, computed in fp32."""
    from playground.textgen import load_char_language_model

    lm = load_char_language_model(Path(stem), "", torch.device("cpu"))
    encoded = lm.vocab.encode_lenient(text)
    if encoded.dropped or encoded.replaced:
        logger.warning(
            "validation text has characters outside the vocabulary: %s",
            encoded.dropped + list(encoded.replaced),
        )
    ids = torch.tensor(encoded.ids, dtype=torch.long)
    return evaluate(lm.model, ids, torch.device("cpu"), use_bf16=False)


def record_validation_loss(stem: Path, val_loss: float) -> None:
    """Store ``val_loss`` as the checkpoint's headline metric, keeping the training-time value."""
    _, meta_path = checkpoint_paths(stem)
    metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    metrics = metadata.setdefault("metrics", {})
    if "val_loss_nats_during_training" not in metrics and "val_loss_nats" in metrics:
        metrics["val_loss_nats_during_training"] = metrics["val_loss_nats"]
    metrics["val_loss_nats"] = round(val_loss, 4)
    metrics["val_bits_per_char"] = round(val_loss / math.log(2), 4)
    metrics["val_loss_measured_with"] = "shipped bf16 weights, fp32 compute, whole validation text"
    meta_path.write_text(
        json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkpoint",
        type=Path,
        required=True,
        help="checkpoint stem, e.g. checkpoints/shakespeare",
    )
    parser.add_argument("--val", type=Path, required=True, help="UTF-8 validation text file")
    parser.add_argument(
        "--update-metadata",
        action="store_true",
        help="write the result into the checkpoint's JSON metadata",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    val_loss = evaluate_checkpoint(args.checkpoint, args.val.read_text(encoding="utf-8"))
    print(f"validation loss: {val_loss:.4f} nats/char ({val_loss / math.log(2):.4f} bits/char)")
    if args.update_metadata:
        record_validation_loss(args.checkpoint, val_loss)
    return val_loss


if __name__ == "__main__":
    main()
