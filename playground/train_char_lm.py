"""Train a character-level LSTM language model on any UTF-8 text file.

Example (the shipped Shakespeare model):

    python -m playground.data.shakespeare
    python -m playground.train_char_lm \\
        --train ~/.cache/rnn-playground/corpora/shakespeare/train.txt \\
        --val ~/.cache/rnn-playground/corpora/shakespeare/val.txt \\
        --corpus-meta ~/.cache/rnn-playground/corpora/shakespeare/meta.json \\
        --out checkpoints/shakespeare

Training is truncated backpropagation through time over ``batch_size``
parallel streams of the text: each batch continues where the previous one
stopped and the hidden state is carried over, so the model learns from context far
longer than ``seq_len``. A resumable training state (fp32 weights, optimizer,
step) is written to ``--work-dir`` every ``--save-every`` minutes, and
running the same command again continues from it. The checkpoint in
``--out`` is the best one by validation loss.
"""

import argparse
import json
import logging
import math
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from playground.checkpoint import save_checkpoint
from playground.data.packages import cache_dir
from playground.evaluate_char_lm import (
    autocast,
    evaluate,
    evaluate_checkpoint,
    make_streams,
    record_validation_loss,
)
from playground.models.char_lstm import CharLSTM, CharLSTMConfig
from playground.sampling import SamplingOptions, generate
from playground.survey_cells import record_cell_survey
from playground.vocab import CharVocab

logger = logging.getLogger(__name__)

TRAIN_COMMAND = "python -m playground.train_char_lm"


@dataclass
class TrainConfig:
    batch_size: int = 64
    seq_len: int = 128
    lr: float = 3e-3
    min_lr: float = 1e-4
    warmup_steps: int = 200
    max_steps: int = 10000
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    eval_every: int = 500
    save_every_minutes: float = 3.0
    autocast_bf16: bool = True
    seed: int = 1337


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show defaults in --help, except for required options and options without one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.required or action.default is None:
            return action.help
        return super()._get_help_string(action)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train a character-level LSTM language model on a UTF-8 text file.",
        formatter_class=HelpFormatter,
    )
    data = parser.add_argument_group("data")
    data.add_argument("--train", type=Path, required=True, help="UTF-8 training text file")
    data.add_argument(
        "--val",
        type=Path,
        help="UTF-8 validation text file; "
        "without it the last --val-fraction of --train is held out",
    )
    data.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="share of --train held out when --val is not given",
    )
    data.add_argument(
        "--corpus-meta",
        type=Path,
        help="JSON file describing the corpus (source package, held-out split); "
        "copied into the checkpoint metadata",
    )
    model = parser.add_argument_group("model")
    model.add_argument("--embedding-dim", type=int, default=128, help="character embedding size")
    model.add_argument("--hidden-size", type=int, default=512, help="LSTM hidden units per layer")
    model.add_argument("--num-layers", type=int, default=2, help="number of stacked LSTM layers")
    model.add_argument("--dropout", type=float, default=0.2, help="dropout between layers")
    optim = parser.add_argument_group("optimisation")
    defaults = TrainConfig()
    optim.add_argument(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        help="parallel text streams per batch",
    )
    optim.add_argument(
        "--seq-len",
        type=int,
        default=defaults.seq_len,
        help="characters per stream per step (backpropagation length)",
    )
    optim.add_argument("--lr", type=float, default=defaults.lr, help="peak AdamW learning rate")
    optim.add_argument(
        "--min-lr",
        type=float,
        default=defaults.min_lr,
        help="learning rate at the end of the cosine decay",
    )
    optim.add_argument(
        "--warmup-steps",
        type=int,
        default=defaults.warmup_steps,
        help="steps of linear learning-rate warm-up",
    )
    optim.add_argument(
        "--max-steps", type=int, default=defaults.max_steps, help="total optimisation steps"
    )
    optim.add_argument(
        "--weight-decay",
        type=float,
        default=defaults.weight_decay,
        help="AdamW weight decay on weight matrices",
    )
    optim.add_argument(
        "--grad-clip",
        type=float,
        default=defaults.grad_clip,
        help="gradient norm clipping threshold",
    )
    optim.add_argument(
        "--bf16",
        dest="autocast_bf16",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train under bf16 autocast; --no-bf16 trains in fp32",
    )
    optim.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    run = parser.add_argument_group("run")
    run.add_argument(
        "--out",
        type=Path,
        required=True,
        help="checkpoint stem to write, e.g. checkpoints/shakespeare",
    )
    run.add_argument(
        "--work-dir",
        type=Path,
        help="folder for the resumable training state, outside the repository "
        "because it is several times the checkpoint's size "
        "(default: <data cache>/runs/<name of --out>)",
    )
    run.add_argument(
        "--eval-every", type=int, default=defaults.eval_every, help="steps between validation runs"
    )
    run.add_argument(
        "--save-every",
        type=float,
        default=defaults.save_every_minutes,
        help="minutes between resumable training-state saves",
    )
    run.add_argument("--threads", type=int, help="CPU threads for PyTorch (default: its own)")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda")
    run.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue from the training state in --work-dir if there is one; "
        "--no-resume starts from scratch",
    )
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show a progress bar",
    )
    return parser.parse_args(argv)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SystemExit(f"{path} is not valid UTF-8: {exc}") from exc


def learning_rate(step: int, config: TrainConfig) -> float:
    """Linear warm-up, then cosine decay from ``lr`` to ``min_lr`` at ``max_steps``."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = min(
        1.0, (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps)
    )
    return config.min_lr + 0.5 * (config.lr - config.min_lr) * (1 + math.cos(math.pi * progress))


def describe_held_out(args: argparse.Namespace, corpus_meta: dict | None):
    """Name what the validation text is: held-out documents, a file, or the training tail."""
    if corpus_meta:
        for key in ("validation_plays", "validation_documents"):
            if corpus_meta.get(key):
                return corpus_meta[key]
    if args.val:
        return args.val.name
    return f"last {args.val_fraction:.0%} of the training file"


def hardware_description(device: torch.device, threads: int) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {threads} PyTorch threads"


def build_optimizer(model: CharLSTM, config: TrainConfig) -> torch.optim.AdamW:
    # Decay weight matrices only; biases and the embedding table are left alone.
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or "embedding" in n]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=config.lr, betas=(0.9, 0.99))


def train_step(
    model: CharLSTM,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    hidden: tuple[torch.Tensor, torch.Tensor] | None,
    config: TrainConfig,
) -> tuple[float, tuple[torch.Tensor, torch.Tensor]]:
    """One step of truncated backpropagation through time; return the loss and the next state.

    The returned state is detached, so the next step continues the streams
    without backpropagating into this one.
    """
    # Forward in bf16 autocast; the loss itself in fp32.
    with autocast(x.device, config.autocast_bf16):
        logits, hidden = model(x, hidden)
    loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
    hidden = tuple(h.detach() for h in hidden)

    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
    optimizer.step()
    return loss.item(), hidden


def history_entry(step: int, train_loss: float, val_loss: float, elapsed: float) -> dict:
    """Return one row of the training history kept in the state and the metadata."""
    return {
        "step": step,
        "train_loss": round(train_loss, 4),
        "val_loss": round(val_loss, 4),
        "minutes": round(elapsed / 60, 2),
    }


def save_training_state(path: Path, model, optimizer, step, elapsed, best_val, history) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "step": step,
            "elapsed_seconds": elapsed,
            "best_val": best_val,
            "history": history,
        },
        tmp,
    )
    tmp.replace(path)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(
        "cuda"
        if args.device == "auto" and torch.cuda.is_available()
        else ("cpu" if args.device == "auto" else args.device)
    )
    config = TrainConfig(
        batch_size=args.batch_size,
        seq_len=args.seq_len,
        lr=args.lr,
        min_lr=args.min_lr,
        warmup_steps=args.warmup_steps,
        max_steps=args.max_steps,
        weight_decay=args.weight_decay,
        grad_clip=args.grad_clip,
        eval_every=args.eval_every,
        save_every_minutes=args.save_every,
        autocast_bf16=args.autocast_bf16,
        seed=args.seed,
    )
    torch.manual_seed(config.seed)

    # Data: the vocabulary covers both files so that validation never meets an unknown id.
    train_text = read_text(args.train)
    if args.val:
        val_text = read_text(args.val)
    else:
        split = int(len(train_text) * (1 - args.val_fraction))
        train_text, val_text = train_text[:split], train_text[split:]
    vocab = CharVocab.from_text(train_text + val_text)
    train_ids = torch.tensor(vocab.encode(train_text), dtype=torch.long)
    val_ids = torch.tensor(vocab.encode(val_text), dtype=torch.long)
    logger.info(
        "train %d chars, validation %d chars, vocabulary %d",
        len(train_ids),
        len(val_ids),
        len(vocab),
    )
    if len(val_ids) < 2:
        raise SystemExit("the validation text needs at least 2 characters")

    model_config = CharLSTMConfig(
        vocab_size=len(vocab),
        embedding_dim=args.embedding_dim,
        hidden_size=args.hidden_size,
        num_layers=args.num_layers,
        dropout=args.dropout,
    )
    model = CharLSTM(model_config).to(device)
    optimizer = build_optimizer(model, config)
    logger.info("model: %s, %.2fM parameters", model_config, model.num_parameters() / 1e6)

    work_dir = args.work_dir or cache_dir() / "runs" / args.out.name
    state_path = work_dir / "training_state.pt"
    step, elapsed, best_val, history = 0, 0.0, float("inf"), []
    if args.resume and state_path.exists():
        # weights_only=True loads tensors and plain containers, never arbitrary objects.
        state = torch.load(state_path, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, elapsed = state["step"], state["elapsed_seconds"]
        best_val, history = state["best_val"], state["history"]
        logger.info("resumed from %s at step %d (%.1f min trained)", state_path, step, elapsed / 60)

    corpus_meta = json.loads(args.corpus_meta.read_text()) if args.corpus_meta else None
    threads = torch.get_num_threads()
    command = shlex.join([*TRAIN_COMMAND.split(), *(argv if argv is not None else sys.argv[1:])])

    def write_checkpoint(val_loss: float, train_loss: float) -> None:
        metadata = {
            "name": args.out.name,
            "task": "text-generation",
            "architecture": "CharLSTM",
            "config": model_config.to_dict(),
            "vocab": {"itos": vocab.itos},
            "data": {
                "train_file": args.train.name,
                "val_file": args.val.name if args.val else None,
                "train_chars": len(train_ids),
                "val_chars": len(val_ids),
                "held_out": describe_held_out(args, corpus_meta),
                "corpus": corpus_meta,
            },
            "training": {
                "command": command,
                "train_config": config.__dict__,
                "steps": step,
                "tokens_seen": step * config.batch_size * config.seq_len,
                "time_seconds": round(elapsed, 1),
                "hardware": hardware_description(device, threads),
                "device": device.type,
                "precision": "bf16 autocast" if config.autocast_bf16 else "fp32",
                "torch_version": torch.__version__,
                "python_version": platform.python_version(),
            },
            "metrics": {
                "val_loss_nats": round(val_loss, 4),
                "val_bits_per_char": round(val_loss / math.log(2), 4),
                "train_loss_nats": round(train_loss, 4),
                "val_loss_measured_with": "weights as trained (fp32), bf16 autocast",
            },
            "parameters": model.num_parameters(),
        }
        save_checkpoint(args.out, model.state_dict(), metadata)

    # Training loop: streams of the training text, hidden state carried between steps.
    model.train()
    epoch = step * config.seq_len // max(1, len(train_ids) // config.batch_size)
    generator = torch.Generator().manual_seed(config.seed + epoch)
    data = make_streams(
        train_ids, config.batch_size, int(torch.randint(len(train_ids), (1,), generator=generator))
    ).to(device)
    position = (step * config.seq_len) % max(1, data.shape[1] - config.seq_len - 1)
    hidden = None
    running_loss = None
    last_save = time.monotonic()
    progress = tqdm(
        total=config.max_steps,
        initial=step,
        disable=not args.progress,
        dynamic_ncols=True,
        desc="train",
    )
    while step < config.max_steps:
        if position + config.seq_len + 1 > data.shape[1]:
            # New epoch: shift the stream boundaries and start with a fresh state.
            epoch += 1
            generator.manual_seed(config.seed + epoch)
            offset = int(torch.randint(len(train_ids), (1,), generator=generator))
            data = make_streams(train_ids, config.batch_size, offset).to(device)
            position, hidden = 0, None
        started = time.perf_counter()
        x = data[:, position : position + config.seq_len]  # (B, T)
        y = data[:, position + 1 : position + config.seq_len + 1]  # (B, T)
        position += config.seq_len
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, config)

        loss_value, hidden = train_step(model, optimizer, x, y, hidden, config)
        step += 1
        step_time = time.perf_counter() - started
        running_loss = (
            loss_value if running_loss is None else 0.98 * running_loss + 0.02 * loss_value
        )
        progress.update(1)
        progress.set_postfix(
            loss=f"{running_loss:.3f}",
            tok_s=f"{config.batch_size * config.seq_len / step_time:,.0f}",
        )

        if step % config.eval_every == 0 or step == config.max_steps:
            elapsed += time.perf_counter() - started
            started = time.perf_counter()
            val_loss = evaluate(model, val_ids, device, config.autocast_bf16)
            history.append(history_entry(step, running_loss, val_loss, elapsed))
            improved = val_loss < best_val
            if improved:
                best_val = val_loss
                write_checkpoint(val_loss, running_loss)
            model.eval()
            sample = "".join(
                generate(
                    model,
                    vocab,
                    vocab.encode_lenient("\n").ids,
                    SamplingOptions(length=200, temperature=0.8, seed=step),
                )
            )
            model.train()
            logger.info(
                "step %d: train %.4f, val %.4f nats (%.4f bits/char)%s, %.1f min\n%s",
                step,
                running_loss,
                val_loss,
                val_loss / math.log(2),
                " best, saved" if improved else "",
                elapsed / 60,
                sample,
            )
        # Training time counts steps and validation, not the state saves below.
        elapsed += time.perf_counter() - started
        if (
            time.monotonic() - last_save > config.save_every_minutes * 60
            or step == config.max_steps
        ):
            save_training_state(state_path, model, optimizer, step, elapsed, best_val, history)
            last_save = time.monotonic()
    progress.close()
    logger.info(
        "finished: best validation loss %.4f nats (%.4f bits/char) during training",
        best_val,
        best_val / math.log(2),
    )

    # Re-measure what ships: the checkpoint's bf16 weights, computed in fp32 as the app does.
    shipped_val = evaluate_checkpoint(args.out, val_text)
    record_validation_loss(args.out, shipped_val)
    logger.info(
        "shipped checkpoint %s: validation loss %.4f nats (%.4f bits/char)",
        args.out,
        shipped_val,
        shipped_val / math.log(2),
    )
    # Name the cells that track quotes, brackets, URLs and the like, for the neuron explorer.
    survey = record_cell_survey(args.out, val_text, describe_held_out(args, None))
    return {
        "best_val_loss": best_val,
        "shipped_val_loss": shipped_val,
        "history": history,
        "cell_survey": survey,
    }


if __name__ == "__main__":
    main()
