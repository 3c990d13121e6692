"""Build a LaTeX corpus from the TeX sources in Debian's TeX documentation packages.

Usage: python -m playground.data.latex [--out DIR]

Reads every ``.tex`` and ``.tex.gz`` file of the packages below: manuals of
LaTeX packages (real LaTeX with math) and the PARI/GP manual (plain TeX, heavy
number theory). Whole files are held out for validation, chosen by a hash of
their path.
"""

import gzip
import logging
from pathlib import Path

from playground.data.corpus import (
    corpus_argument_parser,
    decode_source,
    held_out_by_hash,
    keep_printable_ascii,
    log_corpus,
    write_corpus,
)
from playground.data.packages import fetch_deb

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
        text, _ = keep_printable_ascii(decode_source(data))
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
    parser = corpus_argument_parser(__doc__.split("\n\n")[0], "latex")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    log_corpus(args.out, build_corpus(args.out, args.val_fraction))


if __name__ == "__main__":
    main()
