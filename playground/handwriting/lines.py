"""A set of handwritten lines: pen offsets, the text of each line and its hand.

On disk a line set is one compressed ``.npz`` file:

- ``points`` (N, 3) float32: every line's points one after another, each
  row ``(dx, dy, end_of_stroke)``. dx and dy are offsets from the previous
  point (the first from the line's origin) divided by ``offset_scale``, with
  y pointing up. ``end_of_stroke`` is 1 on the last point before the pen lifts.
- ``starts`` and ``lengths`` (L,) int64: where each line's points are.
- ``texts`` (L,) str and ``hands`` (L,) int64: the text of each line, and the hand that wrote it.
- ``hand_names`` (H,) str, ``offset_scale`` (scalar) and ``metadata`` (a JSON string
  naming the sources, their versions and the seed).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from playground.vocab import CharVocab

# Every printable ASCII character, space first.
HANDWRITING_ALPHABET = [chr(code) for code in range(32, 127)]


def handwriting_alphabet() -> list[str]:
    return list(HANDWRITING_ALPHABET)


def handwriting_vocab() -> CharVocab:
    return CharVocab(HANDWRITING_ALPHABET)


def encode_text(text: str, stoi: dict[str, int]) -> list[int]:
    """Encode a line's text, skipping characters outside the alphabet."""
    return [stoi[ch] for ch in text if ch in stoi]


@dataclass
class LineSet:
    points_array: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    texts: list[str]
    hands: np.ndarray
    hand_names: list[str]
    offset_scale: float
    metadata: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    def num_points(self, index: int) -> int:
        return int(self.lengths[index])

    def points(self, index: int) -> np.ndarray:
        start = int(self.starts[index])
        return self.points_array[start : start + int(self.lengths[index])]

    def points_per_char(self) -> float:
        chars = sum(len(text) for text in self.texts)
        return float(self.lengths.sum()) / max(chars, 1)

    def mean_char_width(self) -> float:
        """Return the mean horizontal advance per character, in offset units."""
        widths = [
            float(self.points(i)[:, 0].sum()) / len(text)
            for i, text in enumerate(self.texts)
            if text
        ]
        return float(np.mean(widths)) if widths else 1.0

    @classmethod
    def from_lines(
        cls,
        lines: list[np.ndarray],
        texts: list[str],
        hands: list[int],
        hand_names: list[str],
        offset_scale: float,
        metadata: dict | None = None,
    ) -> "LineSet":
        """Build a set from per-line (T, 3) point arrays."""
        lengths = np.array([len(line) for line in lines], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        points = np.concatenate(lines).astype(np.float32) if lines else np.zeros((0, 3), np.float32)
        return cls(
            points,
            starts,
            lengths,
            list(texts),
            np.asarray(hands, dtype=np.int64),
            list(hand_names),
            float(offset_scale),
            dict(metadata or {}),
        )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(
            tmp,
            points=self.points_array,
            starts=self.starts,
            lengths=self.lengths,
            texts=np.array(self.texts, dtype=np.str_),
            hands=self.hands,
            hand_names=np.array(self.hand_names, dtype=np.str_),
            offset_scale=np.float64(self.offset_scale),
            metadata=np.array(json.dumps(self.metadata)),
        )
        tmp.replace(path)
        return path


def load_line_set(path: str | Path | None = None, iam_root: str | Path | None = None) -> LineSet:
    """Read a line set file, or build one from an IAM On-Line database folder."""
    if iam_root is not None:
        from playground.data.iam_ondb import load_iam_line_set

        return load_iam_line_set(Path(iam_root))
    # allow_pickle=False: the file contains plain arrays and strings only.
    with np.load(Path(path), allow_pickle=False) as data:
        return LineSet(
            points_array=data["points"].astype(np.float32),
            starts=data["starts"].astype(np.int64),
            lengths=data["lengths"].astype(np.int64),
            texts=[str(t) for t in data["texts"]],
            hands=data["hands"].astype(np.int64),
            hand_names=[str(name) for name in data["hand_names"]],
            offset_scale=float(data["offset_scale"]),
            metadata=json.loads(str(data["metadata"])),
        )
