"""Build a LaTeX corpus from the TeX sources in Debian's TeX documentation packages.

Usage: python -m playground.data.latex [--out DIR]

Reads every ``.tex`` and ``.tex.gz`` file of the packages below: manuals of
LaTeX packages (real LaTeX with math) and the PARI/GP manual (plain TeX, heavy
number theory). Whole files are held out for validation, chosen by a hash of
their path.
"""

import argparse
import gzip
import logging
from pathlib import Path

from playground.data.corpus import held_out_by_hash, keep_printable_ascii, write_corpus
from playground.data.packages import cache_dir, fetch_deb

logger = logging.getLogger(__name__)

PACKAGES = (
    "texlive-latex-base-doc",
    "texlive-latex-recommended-doc",
    "texlive-science-doc",
    "pari-doc",
)


def read_tex_sources(root: Path, prefix: str) -> dict[str, str]:
    """Return {prefix/relative path: cleaned text} for .tex and .tex.gz files under ``root``."""
    documents = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or not path.name.endswith((".tex", ".tex.gz")):
            continue
        data = (
            gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        text, _ = keep_printable_ascii(text)
        if text.strip():
            documents[f"{prefix}/{path.relative_to(root).as_posix()}"] = text
    return documents


def build_corpus(
    out_dir: Path, val_fraction: float = 0.05, roots: dict[str, Path] | None = None
) -> dict:
    """Build the corpus from ``roots`` ({name: folder}), or from the Debian packages."""
    sources = {}
    if roots is None:
        roots = {}
        for name in PACKAGES:
            package = fetch_deb(name)
            roots[name] = package.unpacked
            sources[name] = package.provenance()
    documents = {}
    for name, root in roots.items():
        documents.update(read_tex_sources(root, name))
    if len(documents) < 2:
        raise RuntimeError(f"found {len(documents)} TeX files in {sorted(roots)}")
    held_out = held_out_by_hash(list(documents), val_fraction, salt="latex")
    return write_corpus(
        out_dir,
        "latex",
        {"packages": sources},
        documents,
        held_out,
        text_format="TeX and LaTeX source files, printable ASCII only",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=cache_dir() / "corpora" / "latex",
        help="output folder for train.txt, val.txt and meta.json",
    )
    parser.add_argument(
        "--val-fraction", type=float, default=0.05, help="share of files held out for validation"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    meta = build_corpus(args.out, args.val_fraction)
    logger.info(
        "wrote %s: %d train chars (%d files), %d validation chars (%d files)",
        args.out,
        meta["train_chars"],
        meta["train_documents"],
        meta["val_chars"],
        len(meta["validation_documents"]),
    )


if __name__ == "__main__":
    main()
