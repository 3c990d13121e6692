"""Build a C corpus from the Linux kernel sources in Debian's ``linux-source-6.1``.

Usage: python -m playground.data.linux_c [--out DIR] [--folders kernel mm lib]

Only ``.c`` and ``.h`` files of the chosen top-level folders are read from the
source tarball (reading all 1.3 GB would take minutes). Whole files are held
out for validation, chosen by a hash of their path.
"""

import logging
import tarfile
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

PACKAGE = "linux-source-6.1"
DEFAULT_FOLDERS = ("kernel", "mm", "lib")


def read_c_sources(tarball: Path, folders: tuple[str, ...]) -> dict[str, str]:
    """Return {path inside the tree: cleaned source} for .c and .h files under ``folders``."""
    documents = {}
    with tarfile.open(tarball) as archive:
        for member in archive:
            if not member.isfile() or not member.name.endswith((".c", ".h")):
                continue
            # Member names look like "linux-source-6.1/kernel/fork.c".
            relative = member.name.split("/", 1)[-1]
            if relative.split("/", 1)[0] not in folders:
                continue
            data = archive.extractfile(member).read()
            text, _ = keep_printable_ascii(decode_source(data), tab_width=8)
            documents[relative] = text
    return documents


def build_corpus(
    out_dir: Path,
    folders: tuple[str, ...] = DEFAULT_FOLDERS,
    val_fraction: float = 0.05,
    tarball: Path | None = None,
    source: dict | None = None,
) -> dict:
    if tarball is None:
        package = fetch_deb(PACKAGE)
        tarball = package.unpacked / "usr" / "src" / f"{PACKAGE}.tar.xz"
        source = package.provenance()
    documents = read_c_sources(tarball, folders)
    if len(documents) < 2:
        raise RuntimeError(f"found {len(documents)} C files for folders {folders} in {tarball}")
    held_out = held_out_by_hash(list(documents), val_fraction, salt="linux-c")
    return write_corpus(
        out_dir,
        "linux-c",
        source or {"archive": str(tarball)},
        documents,
        held_out,
        text_format=f"C sources of {', '.join(folders)}; tabs expanded "
        "to 8 spaces, printable ASCII only",
    )


def main(argv: list[str] | None = None) -> None:
    parser = corpus_argument_parser(__doc__.split("\n\n")[0], "linux-c")
    parser.add_argument(
        "--folders",
        nargs="+",
        default=list(DEFAULT_FOLDERS),
        help="top-level kernel folders to include",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    log_corpus(args.out, build_corpus(args.out, tuple(args.folders), args.val_fraction))


if __name__ == "__main__":
    main()
