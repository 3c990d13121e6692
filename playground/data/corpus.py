"""Shared steps of the corpus builders: a split by whole documents, and the output files."""

import argparse
import hashlib
import json
import logging
from pathlib import Path

from playground.data.packages import cache_dir

logger = logging.getLogger(__name__)


def decode_source(data: bytes) -> str:
    """Decode a source file as UTF-8, falling back to Latin-1 (which accepts any bytes)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def corpus_argument_parser(description: str, corpus: str) -> argparse.ArgumentParser:
    """Return a parser with the --out and --val-fraction options every code corpus takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--out",
        type=Path,
        default=cache_dir() / "corpora" / corpus,
        help="output folder for train.txt, val.txt and meta.json",
    )
    parser.add_argument(
        "--val-fraction", type=float, default=0.05, help="share of files held out for validation"
    )
    return parser


def log_corpus(out_dir: Path, meta: dict) -> None:
    """Log the size of a corpus that write_corpus has written."""
    logger.info(
        "wrote %s: %d train chars (%d files), %d validation chars (%d files), %d distinct chars",
        out_dir,
        meta["train_chars"],
        meta["train_documents"],
        meta["val_chars"],
        len(meta["validation_documents"]),
        meta["distinct_chars"],
    )


def held_out_by_hash(names: list[str], val_fraction: float, salt: str) -> set[str]:
    """Pick about ``val_fraction`` of the documents for validation by a hash of each name.

    The choice depends only on the name and ``salt``, so a document keeps its
    side of the split on every machine and when other documents come or go.
    With two or more documents, each side gets at least one (the lowest or
    highest hash), so that tiny corpora still split.
    """
    scores = {}
    for name in names:
        digest = hashlib.sha256(f"{salt}:{name}".encode()).digest()
        scores[name] = int.from_bytes(digest[:8], "big") / 2**64
    held_out = {name for name, score in scores.items() if score < val_fraction}
    if len(scores) >= 2:
        if not held_out:
            held_out = {min(scores, key=scores.get)}
        elif len(held_out) == len(scores):
            held_out.discard(max(scores, key=scores.get))
    return held_out


def keep_printable_ascii(text: str, tab_width: int = 4) -> tuple[str, int]:
    """Expand tabs and drop characters outside printable ASCII and newline.

    Returns the cleaned text and the number of characters dropped. Source code
    uses other characters so rarely that they would only add vocabulary
    entries the model never learns.
    """
    text = text.replace("\r\n", "\n").expandtabs(tab_width)
    kept = [ch for ch in text if ch == "\n" or " " <= ch <= "~"]
    return "".join(kept), len(text) - len(kept)


def write_corpus(
    out_dir: Path,
    name: str,
    source: dict,
    documents: dict[str, str],
    held_out: set[str],
    text_format: str,
    separator: str = "\n",
) -> dict:
    """Write ``train.txt``, ``val.txt`` and ``meta.json`` to ``out_dir``; return the metadata.

    Documents are joined in name order with ``separator``; those named in
    ``held_out`` go to the validation file.
    """
    missing = held_out - set(documents)
    if missing:
        raise ValueError(f"held-out documents not found: {sorted(missing)[:10]}")
    if not held_out or held_out >= set(documents):
        raise ValueError("the split needs at least one training and one validation document")
    train = [documents[key] for key in sorted(documents) if key not in held_out]
    val = [documents[key] for key in sorted(documents) if key in held_out]
    train_text, val_text = separator.join(train), separator.join(val)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "train.txt").write_text(train_text, encoding="utf-8")
    (out_dir / "val.txt").write_text(val_text, encoding="utf-8")
    meta = {
        "name": name,
        "source": source,
        "format": text_format,
        "train_documents": len(documents) - len(held_out),
        "validation_documents": sorted(held_out),
        "train_chars": len(train_text),
        "val_chars": len(val_text),
        "distinct_chars": len(set(train_text + val_text)),
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
