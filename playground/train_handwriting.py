"""Train the handwriting synthesis network on pen-stroke lines.

Example (the shipped model):

    python -m playground.handwriting.synthetic --out ~/.cache/rnn-playground/handwriting/lines.npz
    python -m playground.train_handwriting \\
        --data ~/.cache/rnn-playground/handwriting/lines.npz --out checkpoints/handwriting

``--data`` is a line set written by ``playground.handwriting.synthetic``;
``--iam-root`` reads the IAM On-Line Handwriting Database instead, when you
have it. Batches group lines of similar length, so little work goes into
padding. The loss is the negative log-likelihood of each next point in nats,
computed in fp32. A resumable training state is written to ``--work-dir``
every ``--save-every`` minutes and running the same command again continues
from it, so a long run can span several sittings (``--max-minutes`` ends
one sitting cleanly).
"""

import argparse
import logging
import math
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from playground.checkpoint import load_checkpoint, save_checkpoint
from playground.data.packages import cache_dir
from playground.evaluate_char_lm import autocast
from playground.handwriting.lines import (
    LineSet,
    encode_text,
    handwriting_alphabet,
    load_line_set,
)
from playground.models.handwriting import (
    HandwritingConfig,
    HandwritingSynthesis,
    mixture_nll,
)
from playground.train_char_lm import (
    HelpFormatter,
    hardware_description,
    history_entry,
    save_training_state,
)

logger = logging.getLogger(__name__)

TRAIN_COMMAND = "python -m playground.train_handwriting"


@dataclass
class Batch:
    inputs: torch.Tensor  # (B, T, 3): the previous point, a zero point first
    targets: torch.Tensor  # (B, T, 3)
    point_mask: torch.Tensor  # (B, T)
    chars: torch.Tensor  # (B, U)
    char_mask: torch.Tensor  # (B, U)
    hands: torch.Tensor  # (B,)


def make_batch(lines: LineSet, indices: list[int], stoi: dict[str, int]) -> Batch:
    """Pad the chosen lines into one batch."""
    lengths = [lines.num_points(i) for i in indices]
    texts = [encode_text(lines.texts[i], stoi) for i in indices]
    B, T, U = len(indices), max(lengths), max(len(t) for t in texts)
    targets = np.zeros((B, T, 3), dtype=np.float32)
    point_mask = np.zeros((B, T), dtype=np.float32)
    chars = np.zeros((B, U), dtype=np.int64)
    char_mask = np.zeros((B, U), dtype=np.float32)
    for row, (index, length, ids) in enumerate(zip(indices, lengths, texts)):
        targets[row, :length] = lines.points(index)
        point_mask[row, :length] = 1.0
        chars[row, : len(ids)] = ids
        char_mask[row, : len(ids)] = 1.0
    inputs = np.zeros_like(targets)
    inputs[:, 1:] = targets[:, :-1]
    return Batch(
        torch.from_numpy(inputs),
        torch.from_numpy(targets),
        torch.from_numpy(point_mask),
        torch.from_numpy(chars),
        torch.from_numpy(char_mask),
        torch.tensor([lines.hands[i] for i in indices], dtype=torch.long),
    )


def length_buckets(
    lines: LineSet, indices: list[int], batch_size: int, rng: np.random.Generator
) -> list[list[int]]:
    """Group lines of similar length into batches, in a random order of batches.

    Lines are sorted by length with a little random jitter, so that batches
    differ from one epoch to the next but padding stays small.
    """
    lengths = np.array([lines.num_points(i) for i in indices], dtype=np.float64)
    jitter = rng.uniform(0.9, 1.1, size=len(indices))
    order = [indices[i] for i in np.argsort(lengths * jitter)]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def batch_loss(
    model: HandwritingSynthesis, batch: Batch, use_bf16: bool = False
) -> tuple[torch.Tensor, float]:
    """Return the mean loss per real point (a tensor) and the number of real points.

    With ``use_bf16`` the layers run under bf16 autocast; the window's kappa and
    the mixture-density loss stay in fp32 either way.
    """
    with autocast(batch.inputs.device, use_bf16):
        params, _, _ = model(batch.inputs, batch.chars, batch.char_mask, batch.hands)
    nll = mixture_nll(params, batch.targets)  # (B, T)
    points = batch.point_mask.sum()
    return (nll * batch.point_mask).sum() / points, float(points)


@torch.no_grad()
def evaluate(
    model: HandwritingSynthesis,
    lines: LineSet,
    indices: list[int],
    stoi: dict[str, int],
    batch_size: int,
) -> float:
    """Return the mean loss per point (nats) over the validation lines."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0.0
    ordered = sorted(indices, key=lines.num_points)
    for start in range(0, len(ordered), batch_size):
        loss, points = batch_loss(
            model, make_batch(lines, ordered[start : start + batch_size], stoi)
        )
        total += float(loss) * points
        count += points
    model.train(was_training)
    return total / max(count, 1.0)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train the handwriting synthesis network on pen-stroke lines.",
        formatter_class=HelpFormatter,
    )
    data = parser.add_argument_group("data")
    source = data.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--data", type=Path, help="line set (.npz) from python -m playground.handwriting.synthetic"
    )
    source.add_argument(
        "--iam-root",
        type=Path,
        help="folder of the IAM On-Line Handwriting Database (lineStrokes/ and ascii/)",
    )
    data.add_argument(
        "--val-fraction", type=float, default=0.02, help="share of lines held out for validation"
    )
    model = parser.add_argument_group("model")
    defaults = HandwritingConfig(vocab_size=1, num_hands=1)
    model.add_argument(
        "--hidden-size", type=int, default=defaults.hidden_size, help="units of the first layer"
    )
    model.add_argument(
        "--upper-hidden-size",
        type=int,
        default=defaults.upper_hidden_size,
        help="units of the second and third layers",
    )
    model.add_argument(
        "--window-components",
        type=int,
        default=defaults.window_components,
        help="Gaussians in the attention window (K)",
    )
    model.add_argument(
        "--mixture-components",
        type=int,
        default=defaults.mixture_components,
        help="bivariate Gaussians in the output mixture (M)",
    )
    model.add_argument(
        "--hand-dim", type=int, default=defaults.hand_dim, help="size of the hand embedding"
    )
    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--batch-size", type=int, default=32, help="lines per batch")
    optim.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    optim.add_argument(
        "--grad-clip", type=float, default=5.0, help="gradient norm clipping threshold"
    )
    optim.add_argument("--max-steps", type=int, default=20000, help="total optimisation steps")
    optim.add_argument("--seed", type=int, default=1337, help="random seed")
    run = parser.add_argument_group("run")
    run.add_argument(
        "--out", type=Path, required=True, help="checkpoint stem, e.g. checkpoints/handwriting"
    )
    run.add_argument(
        "--work-dir",
        type=Path,
        help="folder for the resumable training state (default: <data cache>/runs/<name of --out>)",
    )
    run.add_argument(
        "--max-minutes",
        type=float,
        help="stop this sitting after so many minutes of training; run again to continue",
    )
    run.add_argument("--eval-every", type=int, default=200, help="steps between validation runs")
    run.add_argument(
        "--save-every", type=float, default=3.0, help="minutes between training-state saves"
    )
    run.add_argument("--threads", type=int, help="CPU threads for PyTorch (default: its own)")
    run.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="train under bf16 autocast (about 1.6x faster on CPUs with AMX); "
        "validation stays in fp32",
    )
    run.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue from the training state in --work-dir; --no-resume starts over",
    )
    run.add_argument(
        "--init-from",
        type=Path,
        help="start from this checkpoint's weights when there is no training state to resume",
    )
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show a progress bar",
    )
    return parser.parse_args(argv)


def wait_while_paused(pause_file: Path) -> None:
    if pause_file.exists():
        logger.info("paused: waiting until %s is removed", pause_file)
        while pause_file.exists():
            time.sleep(2.0)
        logger.info("resumed")


def split_lines(lines: LineSet, val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Hold out a fixed random share of the lines (at least one) for validation."""
    order = np.random.default_rng(seed).permutation(len(lines))
    held_out = max(1, int(round(len(lines) * val_fraction)))
    return sorted(order[held_out:].tolist()), sorted(order[:held_out].tolist())


def choose_primers(lines: LineSet, indices: list[int], num_hands: int) -> list[dict]:
    """Pick one held-out line per hand, about 20 characters long, to prime sampling with."""
    primers = []
    for hand in range(num_hands):
        candidates = [i for i in indices if lines.hands[i] == hand] or [
            i for i in range(len(lines)) if lines.hands[i] == hand
        ]
        if not candidates:
            primers.append(None)
            continue
        best = min(candidates, key=lambda i: abs(len(lines.texts[i]) - 20))
        primers.append(
            {
                "text": lines.texts[best],
                "points": np.round(lines.points(best), 4).tolist(),
            }
        )
    return primers


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    lines = load_line_set(args.data) if args.data else load_line_set(iam_root=args.iam_root)
    itos = handwriting_alphabet()
    stoi = {ch: i for i, ch in enumerate(itos)}
    train_indices, val_indices = split_lines(lines, args.val_fraction, args.seed)
    logger.info(
        "%d training lines, %d validation lines, %d hands, %.1f points per character",
        len(train_indices),
        len(val_indices),
        len(lines.hand_names),
        lines.points_per_char(),
    )

    config = HandwritingConfig(
        vocab_size=len(itos),
        num_hands=len(lines.hand_names),
        hand_dim=args.hand_dim,
        hidden_size=args.hidden_size,
        upper_hidden_size=args.upper_hidden_size,
        window_components=args.window_components,
        mixture_components=args.mixture_components,
    )
    model = HandwritingSynthesis(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    parameters = sum(p.numel() for p in model.parameters())
    logger.info("model: %s, %.2fM parameters", config, parameters / 1e6)

    work_dir = args.work_dir or cache_dir() / "runs" / args.out.name
    state_path = work_dir / "training_state.pt"
    step, elapsed, best_val, history = 0, 0.0, float("inf"), []
    if args.resume and state_path.exists():
        # weights_only=True loads tensors and plain containers, never arbitrary objects.
        state = torch.load(state_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, elapsed = state["step"], state["elapsed_seconds"]
        best_val, history = state["best_val"], state["history"]
        # The optimiser's state carries the learning rate it was saved with; --lr
        # overrides it, so that a later sitting can continue at a lower rate.
        resumed_lr = optimizer.param_groups[0]["lr"]
        for entry in history:
            entry.setdefault("lr", resumed_lr)
        if resumed_lr != args.lr:
            for group in optimizer.param_groups:
                group["lr"] = args.lr
            logger.info("learning rate changed from %g to %g at step %d", resumed_lr, args.lr, step)
        rng = np.random.default_rng([args.seed, step])
        logger.info("resumed from %s at step %d (%.1f min trained)", state_path, step, elapsed / 60)
    elif args.init_from:
        weights, metadata = load_checkpoint(args.init_from)
        if metadata.get("config") != config.to_dict():
            raise SystemExit(f"{args.init_from} has a different model configuration")
        model.load_state_dict(weights)
        # The optimiser starts afresh, but the step count and time carry over.
        step = metadata["training"]["steps"]
        elapsed = metadata["training"]["time_seconds"]
        best_val = metadata["metrics"]["val_loss_nats_per_point"]
        logger.info("starting from the weights of %s (step %d)", args.init_from, step)

    command = shlex.join([*TRAIN_COMMAND.split(), *(argv if argv is not None else sys.argv[1:])])
    primers = choose_primers(lines, val_indices, config.num_hands)

    def write_checkpoint(val_loss: float, train_loss: float) -> None:
        metadata = {
            "name": args.out.name,
            "task": "handwriting",
            "architecture": "HandwritingSynthesis",
            "config": config.to_dict(),
            "vocab": {"itos": itos},
            "hands": lines.hand_names,
            "offset_scale": lines.offset_scale,
            "points_per_char": round(lines.points_per_char(), 3),
            "char_width": round(lines.mean_char_width(), 4),
            "primers": primers,
            "data": {
                "lines": len(lines),
                "train_lines": len(train_indices),
                "val_lines": len(val_indices),
                "source": lines.metadata,
            },
            "training": {
                "command": command,
                "steps": step,
                "batch_size": args.batch_size,
                "lr": args.lr,
                "lr_by_step": learning_rates_by_step(history, step, args.lr),
                "grad_clip": args.grad_clip,
                "time_seconds": round(elapsed, 1),
                "hardware": hardware_description(torch.device("cpu"), torch.get_num_threads()),
                "precision": "bf16 autocast" if args.bf16 else "fp32",
                "val_loss_measured_with": "fp32",
                "torch_version": torch.__version__,
                "python_version": platform.python_version(),
            },
            "metrics": {
                "val_loss_nats_per_point": round(val_loss, 4),
                "train_loss_nats_per_point": round(train_loss, 4),
            },
            "parameters": parameters,
        }
        # Kept in fp32: the window's kappa and mixture parameters need the precision.
        save_checkpoint(args.out, model.state_dict(), metadata, dtype=None)

    model.train()
    batches: list[list[int]] = []
    running_loss = None
    sitting_started = time.monotonic()
    last_save = time.monotonic()
    progress = tqdm(
        total=args.max_steps, initial=step, disable=not args.progress, dynamic_ncols=True
    )
    while step < args.max_steps:
        if args.max_minutes and time.monotonic() - sitting_started > args.max_minutes * 60:
            logger.info("stopping this sitting after %.1f minutes", args.max_minutes)
            break
        wait_while_paused(work_dir / "PAUSE")
        if not batches:
            batches = length_buckets(lines, train_indices, args.batch_size, rng)
        started = time.perf_counter()
        batch = make_batch(lines, batches.pop(), stoi)

        # Forward, loss in fp32, backward, clip, update.
        loss, points = batch_loss(model, batch, args.bf16)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        optimizer.step()
        step += 1
        step_time = time.perf_counter() - started
        elapsed += step_time
        loss_value = loss.item()
        running_loss = (
            loss_value if running_loss is None else 0.95 * running_loss + 0.05 * loss_value
        )
        progress.update(1)
        progress.set_postfix(
            loss=f"{running_loss:.3f}",
            grad=f"{float(grad_norm):.1f}",
            points_s=f"{points / step_time:,.0f}",
        )

        if step % args.eval_every == 0 or step == args.max_steps:
            val_loss = evaluate(model, lines, val_indices, stoi, args.batch_size)
            history.append({**history_entry(step, running_loss, val_loss, elapsed), "lr": args.lr})
            improved = val_loss < best_val
            if improved:
                best_val = val_loss
                write_checkpoint(val_loss, running_loss)
            logger.info(
                "step %d: train %.4f, validation %.4f nats per point%s, %.1f min",
                step,
                running_loss,
                val_loss,
                " (best, saved)" if improved else "",
                elapsed / 60,
            )
        if time.monotonic() - last_save > args.save_every * 60:
            save_training_state(state_path, model, optimizer, step, elapsed, best_val, history)
            last_save = time.monotonic()
    save_training_state(state_path, model, optimizer, step, elapsed, best_val, history)
    progress.close()
    if math.isinf(best_val):
        # No validation run happened in this sitting; save what there is.
        best_val = evaluate(model, lines, val_indices, stoi, args.batch_size)
        write_checkpoint(best_val, running_loss if running_loss is not None else best_val)
    logger.info("best validation loss %.4f nats per point after %d steps", best_val, step)
    return {"best_val_loss": best_val, "steps": step, "history": history}


def learning_rates_by_step(history: list[dict], step: int, lr: float) -> list[dict]:
    """Summarise the learning rates of the history's rows as {"until_step", "lr"} spans."""
    spans: list[dict] = []
    for entry in [*history, {"step": step, "lr": lr}]:
        if spans and spans[-1]["lr"] == entry["lr"]:
            spans[-1]["until_step"] = entry["step"]
        else:
            spans.append({"until_step": entry["step"], "lr": entry["lr"]})
    return spans


if __name__ == "__main__":
    main()
