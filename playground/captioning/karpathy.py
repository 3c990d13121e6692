"""Read a caption set in the Karpathy-split JSON format (COCO, Flickr8k/30k, generated scenes).

The format, that of the widely used ``dataset_coco.json`` and
``dataset_flickr8k.json`` split files, is one JSON object with an ``images``
list. Each image entry has ``filename``, ``split`` ("train", "val", "test" or
"restval"), ``sentences`` (each with ``tokens``, a list of lowercase words,
and ``raw``, the original sentence) and usually ``imgid``. COCO entries add
``filepath`` (the folder under the image root, "train2014" or "val2014") and
``cocoid``; Flickr entries have no folder. The scene set of
``playground.captioning.scenes`` uses the same layout, plus ``objects`` and
``background``.

Tokens are taken as stored and never re-split, because a scene caption keeps
an object name of several words ("teddy bear") as one token.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from playground.errors import InvalidInputError

SPLIT_NAMES = {"train": "train", "restval": "train", "val": "val", "test": "test"}
MISSING_SHOWN = 5


@dataclass(frozen=True)
class CaptionedImage:
    """One image of a caption set with its tokenised captions."""

    path: Path
    captions: list[list[str]]
    image_id: int


def load_karpathy_split(
    json_path: Path, image_root: Path, check_images: bool = True
) -> dict[str, list[CaptionedImage]]:
    """Return the images of a Karpathy-split JSON by split: "train", "val" and "test".

    Karpathy's "restval" images count as train. An image's path is
    ``image_root / filepath / filename`` (``filepath`` only where the entry has
    one). Raises FileNotFoundError for a missing JSON file or, when
    ``check_images``, for images missing under ``image_root``, and
    InvalidInputError for a file that is not JSON or lacks the format's keys.
    """
    json_path = Path(json_path).expanduser()
    image_root = Path(image_root).expanduser()
    data = read_json(json_path)
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, list):
        raise InvalidInputError(
            f"{json_path} is not a Karpathy-split caption file: expected a JSON object "
            'with an "images" list'
        )

    splits: dict[str, list[CaptionedImage]] = {"train": [], "val": [], "test": []}
    missing = []
    for index, entry in enumerate(images):
        split, item = parse_entry(entry, index, image_root, json_path)
        if check_images and not item.path.is_file():
            missing.append(item.path)
        splits[split].append(item)

    if missing:
        shown = ", ".join(str(path) for path in missing[:MISSING_SHOWN])
        raise FileNotFoundError(
            f"{len(missing)} of {len(images)} images listed in {json_path} are missing "
            f"under {image_root} (first: {shown}); check the image folder argument"
        )
    return splits


def read_json(json_path: Path):
    if not json_path.is_file():
        raise FileNotFoundError(f"caption file {json_path} not found")
    try:
        with open(json_path, encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"{json_path} is not valid JSON: {error}") from error


def parse_entry(entry, index: int, image_root: Path, json_path: Path) -> tuple[str, CaptionedImage]:
    """Return (split, image) for one entry of the ``images`` list, checking its keys."""
    where = f"{json_path}: images[{index}]"
    if not isinstance(entry, dict):
        raise InvalidInputError(f"{where} is not a JSON object")
    for key in ("filename", "split", "sentences"):
        if key not in entry:
            raise InvalidInputError(f'{where} has no "{key}" key')
    split = SPLIT_NAMES.get(entry["split"])
    if split is None:
        raise InvalidInputError(
            f"{where} has the split {entry['split']!r}: expected one of {', '.join(SPLIT_NAMES)}"
        )
    sentences = entry["sentences"]
    if not isinstance(sentences, list) or not sentences:
        raise InvalidInputError(f'{where} has no captions in "sentences"')
    captions = [
        sentence_tokens(sentence, f"{where}.sentences[{i}]") for i, sentence in enumerate(sentences)
    ]
    image_id = entry.get("imgid", entry.get("cocoid", index))
    if not isinstance(image_id, int):
        raise InvalidInputError(f"{where} has the non-integer image id {image_id!r}")
    path = image_root / entry.get("filepath", "") / entry["filename"]
    return split, CaptionedImage(path, captions, image_id)


def sentence_tokens(sentence, where: str) -> list[str]:
    """Return a sentence's tokens as stored, or its raw text lowercased and split into words."""
    if not isinstance(sentence, dict):
        raise InvalidInputError(f"{where} is not a JSON object")
    tokens = sentence.get("tokens")
    if tokens is None:
        raw = sentence.get("raw")
        if not isinstance(raw, str):
            raise InvalidInputError(f'{where} has neither "tokens" nor "raw"')
        return re.findall(r"[a-z0-9]+", raw.lower())
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise InvalidInputError(f'{where} has "tokens" that are not a list of strings')
    if not tokens:
        raise InvalidInputError(f"{where} has an empty caption")
    return list(tokens)
