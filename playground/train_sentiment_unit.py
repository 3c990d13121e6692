"""Fine-tune a character language model so that one unit carries sentiment.

Example:

    python -m playground.train_sentiment_unit \\
        --checkpoint ~/.cache/rnn-playground/sentiment/reviews-lm \\
        --teacher checkpoints/sentiment-classifier --out checkpoints/sentiment-lm

Radford, Jozefowicz and Sutskever (2017) found a unit that tracks sentiment
without being trained to, in a model trained on 82 million reviews. The few
megabytes of review text available here are far too little for that (see
``playground.sentiment.probe``), so this command trains one unit for it.

Besides the usual next-character loss, the designated unit's value after
every character, scaled by a learned number and shifted by a learned bias
per review group, must predict a probability of "positive" through a
logistic loss. The target after each character is the word classifier's
score of the review up to that point (the teacher, scored after up to
``--target-points`` of the words), so the unit learns to follow the review
as it turns, not only its final label. After the last character, the
review's true label is a second target. The unit's value after each
character is then a sentiment trace, and its value after the last character
classifies the review. Before tuning, the command probes the untuned
model's state (``probe_language_model``), and the checkpoint keeps that
result next to the unit's own accuracy.
"""

import argparse
import logging
import math
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from playground.checkpoint import save_checkpoint
from playground.data.reviews import (
    GROUPS,
    Review,
    corpus_provenance,
    default_corpus_dir,
    load_split,
)
from playground.evaluate_char_lm import autocast, evaluate
from playground.sentiment.classifier import load_sentiment_classifier
from playground.sentiment.probe import (
    accuracy_by_group,
    labels_and_groups,
    probe_language_model,
)
from playground.textgen import load_char_language_model
from playground.train_char_lm import HelpFormatter, hardware_description

logger = logging.getLogger(__name__)

TRAIN_COMMAND = "python -m playground.train_sentiment_unit"
# Longer reviews are cut: the label is known by then, and steps stay short.
MAX_REVIEW_CHARS = 400


class SentimentReadout(torch.nn.Module):
    """The readout of the unit: its value h in [-1, 1] times a scale, plus the group's bias."""

    def __init__(self, num_groups: int):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(4.0))
        self.group_bias = torch.nn.Parameter(torch.zeros(num_groups))

    def forward(self, h: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """h (B, ...) and groups (B,) give logits shaped like h."""
        bias = self.group_bias[groups].reshape(-1, *([1] * (h.dim() - 1)))
        return self.scale * h + bias


@torch.no_grad()
def free_unit(model, unit: int, seed: int) -> None:
    """Give the top layer's ``unit`` a fresh start as a sentiment unit.

    Whatever the unit tracked before, the language model relies on it, so
    the two losses fight over it. Tuned in place, the unit was switched off
    (output gate near 0, value near 0) and then learned nothing. So its
    outgoing weights (to the output layer and to the layer's own recurrence)
    start at zero, its incoming weights start small and random, and its
    forget and output gates start open. The language model then learns to
    read the unit only as far as sentiment helps it predict the next
    character.
    """
    lstm, hidden = model.lstm, model.config.hidden_size
    top = model.config.num_layers - 1
    w_ih, w_hh = getattr(lstm, f"weight_ih_l{top}"), getattr(lstm, f"weight_hh_l{top}")
    b_ih, b_hh = getattr(lstm, f"bias_ih_l{top}"), getattr(lstm, f"bias_hh_l{top}")
    generator = torch.Generator().manual_seed(seed)
    # PyTorch orders the gate rows input, forget, cell, output.
    rows = [gate * hidden + unit for gate in range(4)]
    for weight in (w_ih, w_hh):
        fresh = (
            torch.randn(len(rows), weight.shape[1], generator=generator) / weight.shape[1] ** 0.5
        )
        weight[rows] = fresh.to(weight.dtype)
    b_ih[rows], b_hh[rows] = 0.0, 0.0
    b_ih[hidden + unit], b_ih[3 * hidden + unit] = 1.0, 1.0
    w_hh[:, unit] = 0.0
    model.head.weight[:, unit] = 0.0


def encode_batch(lm, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return inputs and targets (B, T), each review between newlines, and a mask (B, T).

    Position t of the inputs has read the newline and the first t characters.
    """
    newline = lm.vocab.stoi["\n"]
    sequences = [[newline, *lm.vocab.encode_lenient(text).ids, newline] for text in texts]
    length = max(len(s) for s in sequences) - 1
    inputs = torch.full((len(texts), length), newline, dtype=torch.long)
    targets = torch.full((len(texts), length), newline, dtype=torch.long)
    mask = torch.zeros(len(texts), length)
    for row, sequence in enumerate(sequences):
        inputs[row, : len(sequence) - 1] = torch.tensor(sequence[:-1])
        targets[row, : len(sequence) - 1] = torch.tensor(sequence[1:])
        mask[row, : len(sequence) - 1] = 1.0
    return inputs, targets, mask


def readable(lm, text: str) -> str:
    """Return the part of ``text`` that the model reads, one character per id."""
    return lm.vocab.encode_lenient(text[:MAX_REVIEW_CHARS]).text


def trace_targets(char_targets: list[np.ndarray], length: int) -> torch.Tensor:
    """Lay per-character targets out by input position (B, length); position 0 gets 0.5."""
    out = torch.full((len(char_targets), length), 0.5)
    for row, target in enumerate(char_targets):
        out[row, 1 : len(target) + 1] = torch.from_numpy(target)
    return out


def turning_reviews(train: list[Review], count: int, rng: np.random.Generator) -> list[Review]:
    """Join ``count`` pairs of short reviews of opposite labels from the same group.

    Real reviews seldom change their mind halfway, so without these the unit
    learns to settle early and barely moves when a review turns.
    """
    pools = {}
    for review in train:
        if len(review.text) <= MAX_REVIEW_CHARS // 2:
            pools.setdefault((review.group, review.label), []).append(review)
    pairs = [g for g in {group for group, _ in pools} if (g, 0) in pools and (g, 1) in pools]
    joined = []
    for _ in range(count if pairs else 0):
        group = pairs[rng.integers(len(pairs))]
        first_label = int(rng.integers(2))
        first = pools[(group, first_label)][rng.integers(len(pools[(group, first_label)]))]
        second_pool = pools[(group, 1 - first_label)]
        second = second_pool[rng.integers(len(second_pool))]
        joined.append(Review(f"{first.text} {second.text}", second.label, "joined", group))
    return joined


def unit_values_at_end(lm, unit: int, texts: list[str], batch_size: int = 128) -> np.ndarray:
    """Return the unit's value after each text's last character."""
    values = np.zeros(len(texts), dtype=np.float32)
    order = np.argsort([len(t) for t in texts])
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            inputs, _, mask = encode_batch(lm, [texts[i] for i in rows])
            _, _, states = lm.model(inputs, return_states=True)
            last = mask.sum(1).long() - 1
            values[rows] = states[torch.arange(len(rows)), last, unit].float().numpy()
    return values


def unit_accuracy(lm, unit: int, readout: SentimentReadout, reviews: list[Review]) -> dict:
    values = unit_values_at_end(lm, unit, [readable(lm, r.text) for r in reviews])
    labels, groups = labels_and_groups(reviews)
    with torch.no_grad():
        logits = readout(torch.from_numpy(values), torch.from_numpy(groups))
    return accuracy_by_group((logits > 0).numpy().astype(np.int64) == labels, groups)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Fine-tune a character LSTM so that one unit carries sentiment.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--checkpoint", type=Path, required=True, help="language model to tune")
    parser.add_argument(
        "--teacher", type=Path, required=True, help="word classifier whose scores are the targets"
    )
    parser.add_argument("--out", type=Path, required=True, help="checkpoint stem to write")
    parser.add_argument("--corpus", type=Path, help="review corpus folder (default: data cache)")
    parser.add_argument(
        "--lm-val",
        type=Path,
        help="text to measure bits per character on (default: the validation reviews)",
    )
    parser.add_argument("--unit", type=int, default=0, help="the unit that must carry sentiment")
    parser.add_argument(
        "--free-unit",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="restart the unit's weights before tuning (see free_unit)",
    )
    parser.add_argument(
        "--sentiment-weight", type=float, default=1.0, help="weight of the unit's loss"
    )
    parser.add_argument(
        "--label-weight",
        type=float,
        default=1.0,
        help="weight of the true label after the last character, relative to one character",
    )
    parser.add_argument(
        "--turning-reviews",
        type=int,
        default=4000,
        help="extra training texts made by joining a positive and a negative review",
    )
    parser.add_argument(
        "--target-points", type=int, default=16, help="prefixes of each review the teacher scores"
    )
    parser.add_argument("--epochs", type=int, default=3, help="passes over the labelled reviews")
    parser.add_argument("--batch-size", type=int, default=64, help="reviews per batch")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--probe",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="first measure how well the untuned model's state classifies sentiment",
    )
    parser.add_argument("--threads", type=int, help="CPU threads for PyTorch (default: its own)")
    parser.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the network under bf16 autocast; the losses stay in fp32",
    )
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=True, help="progress bars"
    )
    return parser.parse_args(argv)


def bits_per_char(lm, ids: torch.Tensor) -> float:
    return round(evaluate(lm.model, ids, torch.device("cpu"), False) / math.log(2), 4)


def main(argv=None) -> dict:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    cpu = torch.device("cpu")
    lm = load_char_language_model(args.checkpoint, "", cpu)
    if not 0 <= args.unit < lm.model.config.hidden_size:
        raise SystemExit(f"--unit must be below the hidden size {lm.model.config.hidden_size}")
    teacher = load_sentiment_classifier(args.teacher, "", cpu)
    corpus = args.corpus or default_corpus_dir()
    train, val, test = (load_split(name, corpus) for name in ("train", "val", "test"))
    # The validation reviews: neither the language model nor this tuning trains on them.
    lm_val_text = (
        args.lm_val.read_text(encoding="utf-8")
        if args.lm_val
        else "".join(f"\n{r.text}" for r in val) + "\n"
    )
    lm_val_ids = torch.tensor(lm.vocab.encode_lenient(lm_val_text).ids, dtype=torch.long)
    before_bpc = bits_per_char(lm, lm_val_ids)
    probe = None
    if args.probe:
        logger.info("probing the untuned model's state for sentiment")
        probe = probe_language_model(lm, train, val, test)
        logger.info(
            "untuned model: L1 probe %s, best unit %s",
            probe["l1_probe"]["test_accuracy"],
            probe["best_unit"]["test_accuracy"],
        )
    if args.free_unit:
        free_unit(lm.model, args.unit, args.seed)

    turns = turning_reviews(train, args.turning_reviews, rng)
    texts = [readable(lm, r.text) for r in train + turns]
    review_groups = [r.group for r in train + turns]
    logger.info(
        "scoring prefixes of %d reviews (%d of them joined pairs) with the teacher",
        len(texts),
        len(turns),
    )
    char_targets = teacher.prefix_probabilities(texts, review_groups, args.target_points)
    labels = torch.tensor([r.label for r in train] + [0] * len(turns), dtype=torch.float32)
    # A joined pair has no true label of its own; only the teacher's trace teaches it.
    has_label = torch.tensor([1.0] * len(train) + [0.0] * len(turns))
    groups = torch.tensor([GROUPS.index(group) for group in review_groups])
    readout = SentimentReadout(len(GROUPS))
    optimizer = torch.optim.Adam([*lm.model.parameters(), *readout.parameters()], lr=args.lr)
    steps_per_epoch = math.ceil(len(texts) / args.batch_size)
    # Cosine decay to zero: the late small steps win back most of the language
    # model's loss that the early large ones cost.
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs * steps_per_epoch)
    started = time.perf_counter()
    history = []
    for epoch in range(1, args.epochs + 1):
        lm.model.train()
        order = np.argsort([len(t) * rng.uniform(0.9, 1.1) for t in texts])
        batches = [order[i : i + args.batch_size] for i in range(0, len(order), args.batch_size)]
        rng.shuffle(batches)
        totals = np.zeros(2)
        for rows in tqdm(batches, desc=f"epoch {epoch}", disable=not args.progress):
            inputs, targets, mask = encode_batch(lm, [texts[i] for i in rows])
            with autocast(cpu, args.bf16):
                logits, _, states = lm.model(inputs, return_states=True)  # states (B, T, H)
            lm_loss = (
                F.cross_entropy(logits.float().transpose(1, 2), targets, reduction="none") * mask
            ).sum() / mask.sum()
            unit_logits = readout(states[:, :, args.unit].float(), groups[rows])  # (B, T)
            soft = trace_targets([char_targets[i] for i in rows], mask.shape[1])
            # Every character after the first is scored against the teacher.
            trace_mask = mask.clone()
            trace_mask[:, 0] = 0.0
            trace_loss = (
                F.binary_cross_entropy_with_logits(unit_logits, soft, reduction="none") * trace_mask
            ).sum(1) / trace_mask.sum(1).clamp(min=1)
            last = mask.sum(1).long() - 1
            label_loss = F.binary_cross_entropy_with_logits(
                unit_logits[torch.arange(len(rows)), last], labels[rows], reduction="none"
            )
            sentiment_loss = (trace_loss + args.label_weight * has_label[rows] * label_loss).mean()
            loss = lm_loss + args.sentiment_weight * sentiment_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(lm.model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            totals += (lm_loss.item(), sentiment_loss.item())
        lm.model.eval()
        val_acc = unit_accuracy(lm, args.unit, readout, val)
        lm_loss_mean, sentiment_loss_mean = totals / max(1, len(batches))
        history.append(
            {
                "epoch": epoch,
                "lm_loss": round(float(lm_loss_mean), 4),
                "sentiment_loss": round(float(sentiment_loss_mean), 4),
                "val_accuracy": val_acc,
            }
        )
        logger.info(
            "epoch %d: LM loss %.4f, sentiment loss %.4f, unit %d validation accuracy %s",
            epoch,
            lm_loss_mean,
            sentiment_loss_mean,
            args.unit,
            val_acc,
        )
    minutes = (time.perf_counter() - started) / 60
    test_acc = unit_accuracy(lm, args.unit, readout, test)
    after_bpc = bits_per_char(lm, lm_val_ids)
    logger.info(
        "unit %d test accuracy %s; bits/char %s before, %s after",
        args.unit,
        test_acc,
        before_bpc,
        after_bpc,
    )
    command = shlex.join([*TRAIN_COMMAND.split(), *(argv if argv is not None else sys.argv[1:])])
    metadata = dict(lm.metadata)
    metadata["data"] = {**metadata["data"], "corpus": corpus_provenance(corpus)}
    metadata.update(
        {
            "name": args.out.name,
            "task": "sentiment-trace",
            "sentiment_unit": {
                "index": args.unit,
                "scale": round(readout.scale.item(), 5),
                "groups": list(GROUPS),
                "group_bias": [round(float(b), 5) for b in readout.group_bias.detach()],
                "test_accuracy": test_acc,
                "history": history,
                "tuned_from": args.checkpoint.name,
                "teacher": args.teacher.name,
                "probe_before_tuning": probe,
                "bits_per_char_before": before_bpc,
                "bits_per_char_after": after_bpc,
                "bits_per_char_text": args.lm_val.name if args.lm_val else "validation reviews",
                "command": command,
                "minutes": round(minutes, 2),
                "hardware": hardware_description(cpu, torch.get_num_threads()),
                "torch_version": torch.__version__,
                "python_version": platform.python_version(),
            },
        }
    )
    save_checkpoint(args.out, lm.model.state_dict(), metadata)
    return metadata["sentiment_unit"]


if __name__ == "__main__":
    main()
