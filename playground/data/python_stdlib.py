"""Build a Python corpus from the running interpreter's own standard library.

Usage: python -m playground.data.python_stdlib [--out DIR] [--val-fraction 0.05]

Test suites are left out (folders named ``test``, ``tests`` or ``idle_test``),
as are installed third-party packages. Whole files are held out for
validation, chosen by a hash of their path, so the split is the same on every
machine with the same Python version.
"""

import logging
import platform
import sysconfig
from pathlib import Path

from playground.data.corpus import (
    corpus_argument_parser,
    held_out_by_hash,
    keep_printable_ascii,
    log_corpus,
    write_corpus,
)

logger = logging.getLogger(__name__)

EXCLUDED_FOLDERS = {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"}


def collect_sources(root: Path) -> dict[str, str]:
    """Return {relative path: cleaned source} for every ``.py`` file under ``root``."""
    documents = {}
    dropped_total = 0
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if EXCLUDED_FOLDERS & set(relative.parts[:-1]):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            logger.warning("skipping %s: %s", relative, exc)
            continue
        text, dropped = keep_printable_ascii(text)
        dropped_total += dropped
        if text.strip():
            documents[relative.as_posix()] = text
    logger.info("dropped %d characters outside printable ASCII", dropped_total)
    return documents


def build_corpus(out_dir: Path, val_fraction: float = 0.05, root: Path | None = None) -> dict:
    root = Path(root or sysconfig.get_paths()["stdlib"])
    documents = collect_sources(root)
    if len(documents) < 2:
        raise RuntimeError(f"found {len(documents)} Python files under {root}")
    held_out = held_out_by_hash(list(documents), val_fraction, salt="python-stdlib")
    source = {
        "registry": "the Python interpreter's standard library",
        "package": "python",
        "version": platform.python_version(),
    }
    return write_corpus(
        out_dir,
        "python",
        source,
        documents,
        held_out,
        text_format="Python source files, tabs expanded, printable ASCII only",
    )


def main(argv: list[str] | None = None) -> None:
    parser = corpus_argument_parser(__doc__.split("\n\n")[0], "python")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    log_corpus(args.out, build_corpus(args.out, args.val_fraction))


if __name__ == "__main__":
    main()
