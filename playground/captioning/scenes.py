"""Captioned scenes built from real photo parts, for training the caption decoder.

No captioned photo set can be downloaded here, so this module composes its
own. A scene is a random crop of a nature photograph
(playground.captioning.scene_sources) with one to three cut-out objects from
Tux Paint's stamps pasted on it. Its five template captions name every object
and the place, and some add the count, the position or the relative size ("a
large dog to the left of a small apple on the grass").

Splits hold out whole nouns and whole backgrounds, so that validation and
test measure captioning of objects and places never seen in training:

- test: about 10% of the nouns (every stamp of each) and 3 backgrounds;
- val: another 10% of the nouns and 2 other backgrounds. Choosing a
  checkpoint on val then rewards the same generalisation that test measures,
  without looking at test;
- train: the remaining nouns and backgrounds.

``python -m playground.captioning.scenes --out DIR --train N --val N --test N``
writes the images as JPEG under ``DIR/images`` and ``DIR/dataset_scenes.json``
in the Karpathy-split format that ``playground.captioning.karpathy`` reads for
COCO and Flickr too.
"""

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance
from tqdm import tqdm

from playground.captioning.scene_captions import SceneObject, make_captions
from playground.captioning.scene_sources import (
    Background,
    Stamp,
    fetch_sources,
    load_backgrounds,
    load_rgba,
    load_stamps,
)
from playground.data.packages import cache_dir
from playground.errors import InvalidInputError

__all__ = [
    "Background",
    "CatalogSplit",
    "Scene",
    "Stamp",
    "build_scene_set",
    "generate_dataset",
    "generate_scene",
    "load_backgrounds",
    "load_stamps",
    "split_catalog",
]

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
SPLIT_IDS = {name: i for i, name in enumerate(SPLITS)}
DATASET_FILE = "dataset_scenes.json"
IMAGE_DIR = "images"
JPEG_QUALITY = 92
MIN_SIZE, MAX_SIZE = 64, 1024
MAX_SCENES = 1_000_000

HELD_OUT_NOUN_SHARE = 0.1  # of the nouns, for each of val and test
TEST_BACKGROUNDS = 3
VAL_BACKGROUNDS = 2

# Scene layout.
OBJECT_COUNT_PROBABILITIES = (0.35, 0.4, 0.25)  # of 1, 2 and 3 objects
REPEAT_NOUN_PROBABILITY = 0.25  # that another object repeats an earlier noun ("two dogs")
MAIN_OBJECT_SIDE = (0.35, 0.75)  # the first object's longer side, as a share of the image
OTHER_OBJECT_SIDE = (0.12, 0.45)
MIN_OBJECT_SIDE = 0.1  # objects shrunk below this share of the image are dropped
# 70% of the photographic stamps of tuxpaint-stamps-default 2022.06.04 are at most
# 200 px on their longer side, and enlarging them further only blurs them.
MAX_UPSCALE = 2.5
MAX_OVERLAP = 0.15  # of the smaller box that another box may cover
PLACEMENT_TRIES = 30
CROP_SIDE = (0.45, 1.0)  # the background crop's side, as a share of the photo's shorter side
JITTER = 0.12  # brightness, contrast and saturation factors are drawn from 1 +- JITTER


@dataclass
class CatalogSplit:
    """The stamps and backgrounds each split draws its scenes from."""

    stamps: dict[str, list[Stamp]]
    backgrounds: dict[str, list[Background]]
    seed: int

    def nouns(self, split: str) -> list[str]:
        return sorted({stamp.noun for stamp in self.stamps[split]})

    def summary(self) -> dict:
        """Return each split's noun, stamp and background counts and its held-out names."""
        summary = {}
        for split in SPLITS:
            summary[split] = {
                "num_nouns": len(self.nouns(split)),
                "num_stamps": len(self.stamps[split]),
                "backgrounds": [background.name for background in self.backgrounds[split]],
            }
            if split != "train":
                summary[split]["nouns"] = self.nouns(split)
        return summary


@dataclass
class Scene:
    """A generated image with its objects and five captions."""

    image: Image.Image  # RGB, size x size
    objects: list[dict]  # {"noun", "box": [x0, y0, x1, y1] in pixels, "stamp": Stamp.name}
    background: str
    captions: list[list[str]]  # tokens; a noun with spaces is one token
    raw_captions: list[str] = field(default_factory=list)


def split_catalog(
    stamps: Sequence[Stamp],
    backgrounds: Sequence[Background],
    seed: int,
    held_out_noun_share: float = HELD_OUT_NOUN_SHARE,
    test_backgrounds: int = TEST_BACKGROUNDS,
    val_backgrounds: int = VAL_BACKGROUNDS,
) -> CatalogSplit:
    """Hold out whole nouns and whole backgrounds for val and test (see the module docstring).

    The same inputs and seed always give the same split: nouns and background
    names are sorted before a seeded shuffle.
    """
    nouns = sorted({stamp.noun for stamp in stamps})
    held_out = max(1, round(held_out_noun_share * len(nouns)))
    if len(nouns) < 2 * held_out + 1:
        raise InvalidInputError(
            f"{len(nouns)} nouns are too few to hold out {held_out} for each of val and test"
        )
    if len(backgrounds) < test_backgrounds + val_backgrounds + 1:
        raise InvalidInputError(
            f"{len(backgrounds)} backgrounds are too few to hold out "
            f"{test_backgrounds} for test and {val_backgrounds} for val"
        )
    rng = np.random.default_rng(seed)
    shuffled = [nouns[i] for i in rng.permutation(len(nouns))]
    noun_split = {noun: "test" for noun in shuffled[:held_out]}
    noun_split.update({noun: "val" for noun in shuffled[held_out : 2 * held_out]})

    ordered = sorted(backgrounds, key=lambda background: background.name)
    order = rng.permutation(len(ordered))
    background_split = {}
    for rank, index in enumerate(order):
        if rank < test_backgrounds:
            background_split[ordered[index].name] = "test"
        elif rank < test_backgrounds + val_backgrounds:
            background_split[ordered[index].name] = "val"

    return CatalogSplit(
        stamps={
            split: [s for s in stamps if noun_split.get(s.noun, "train") == split]
            for split in SPLITS
        },
        backgrounds={
            split: [b for b in ordered if background_split.get(b.name, "train") == split]
            for split in SPLITS
        },
        seed=seed,
    )


# ---------------------------------------------------------------------------
# One scene


@lru_cache(maxsize=64)
def load_background(path: Path, min_side: int) -> Image.Image:
    """Return the photograph as RGB, its shorter side shrunk to ``min_side`` pixels if longer."""
    with Image.open(path) as image:
        # Draft mode lets the JPEG decoder scale down by 2, 4 or 8 while decoding,
        # which is much faster for 4000 px photographs.
        image.draft("RGB", (min_side, min_side))
        rgb = image.convert("RGB")
    scale = min_side / min(rgb.size)
    if scale < 1:
        new_size = (round(rgb.width * scale), round(rgb.height * scale))
        rgb = rgb.resize(new_size, Image.Resampling.LANCZOS)
    return rgb


def crop_background(background: Background, size: int, rng: np.random.Generator) -> Image.Image:
    """Return a random square crop of the background, resized to size x size, maybe mirrored."""
    photo = load_background(background.path, 2 * size)
    side = rng.uniform(*CROP_SIDE) * min(photo.size)
    x0 = rng.uniform(0, photo.width - side)
    y0 = rng.uniform(0, photo.height - side)
    crop = photo.resize((size, size), Image.Resampling.BICUBIC, box=(x0, y0, x0 + side, y0 + side))
    if rng.random() < 0.5:
        crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return crop


def choose_nouns(count: int, nouns: list[str], rng: np.random.Generator) -> list[str]:
    """Return ``count`` nouns, each new one repeating an earlier noun sometimes."""
    chosen = [nouns[rng.integers(len(nouns))]]
    while len(chosen) < count:
        if rng.random() < REPEAT_NOUN_PROBABILITY:
            chosen.append(chosen[rng.integers(len(chosen))])
            continue
        unused = [noun for noun in nouns if noun not in chosen]
        chosen.append(unused[rng.integers(len(unused))] if unused else chosen[0])
    return chosen


def scaled_stamp(stamp: Stamp, side: float, rng: np.random.Generator) -> Image.Image:
    """Return the stamp resized so that its longer side is ``side`` pixels, maybe mirrored."""
    rgba = load_rgba(stamp.path)
    native = max(rgba.size)
    side = min(side, MAX_UPSCALE * native)
    scale = side / native
    new_size = (max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale)))
    # Resize with premultiplied alpha, so that transparent pixels do not bleed colour.
    resized = rgba.convert("RGBa").resize(new_size, Image.Resampling.LANCZOS).convert("RGBA")
    if stamp.mirrorable and rng.random() < 0.5:
        resized = resized.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return resized


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Return the area of a and b's intersection over the smaller box's area."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / smaller


def place(
    sprite: Image.Image, boxes: list[tuple[int, int, int, int]], size: int, rng
) -> tuple[int, int, int, int] | None:
    """Return a box for the sprite inside the image that overlaps no box much, or None."""
    width, height = sprite.size
    if width > size or height > size:
        return None
    for _ in range(PLACEMENT_TRIES):
        x = int(rng.integers(0, size - width + 1))
        y = int(rng.integers(0, size - height + 1))
        box = (x, y, x + width, y + height)
        if all(overlap(box, other) <= MAX_OVERLAP for other in boxes):
            return box
    return None


def generate_scene(
    rng: np.random.Generator,
    stamps: Sequence[Stamp],
    backgrounds: Sequence[Background],
    size: int = 256,
) -> Scene:
    """Compose one scene: a background crop, one to three pasted stamps and five captions.

    Objects are drawn by noun first (each noun equally likely, then one of its
    stamps), so that nouns with many stamps ("coin") do not crowd out the rest.
    The first object is the main one (its longer side 35-75% of the image)
    and the others are smaller. An object that finds no place where it
    overlaps each other box by at most 15% of the smaller box is shrunk, and
    dropped after three tries or once its longer side is under 10% of the image.
    """
    if not stamps or not backgrounds:
        raise InvalidInputError(
            f"a scene needs at least one stamp and one background, got {len(stamps)} stamps "
            f"and {len(backgrounds)} backgrounds"
        )
    by_noun: dict[str, list[Stamp]] = {}
    for stamp in stamps:
        by_noun.setdefault(stamp.noun, []).append(stamp)
    nouns = sorted(by_noun)

    # Background.
    background = backgrounds[rng.integers(len(backgrounds))]
    image = crop_background(background, size, rng)

    # Objects: choose, scale and place them, largest first.
    count = int(rng.choice(len(OBJECT_COUNT_PROBABILITIES), p=OBJECT_COUNT_PROBABILITIES)) + 1
    sprites = []
    for i, noun in enumerate(choose_nouns(count, nouns, rng)):
        stamp = by_noun[noun][rng.integers(len(by_noun[noun]))]
        low, high = MAIN_OBJECT_SIDE if i == 0 else OTHER_OBJECT_SIDE
        sprites.append((stamp, scaled_stamp(stamp, rng.uniform(low, high) * size, rng)))
    sprites.sort(key=lambda item: -item[1].width * item[1].height)

    placed: list[tuple[Stamp, Image.Image, tuple[int, int, int, int]]] = []
    for stamp, sprite in sprites:
        for _ in range(3):
            box = place(sprite, [box for _, _, box in placed], size, rng)
            if box is not None:
                placed.append((stamp, sprite, box))
                break
            sprite = sprite.resize(
                (max(1, round(sprite.width * 0.75)), max(1, round(sprite.height * 0.75))),
                Image.Resampling.LANCZOS,
            )
            if max(sprite.size) < MIN_OBJECT_SIDE * size:
                break

    # Paste the largest first, so that smaller objects stay visible on top.
    for _, sprite, box in placed:
        image.paste(sprite, box[:2], sprite)
    image = jitter_colours(image, rng)

    objects = [
        SceneObject(stamp.noun, box, visible_area(sprite) / size**2)
        for stamp, sprite, box in placed
    ]
    captions, raw = make_captions(objects, background.scene, size, rng)
    return Scene(
        image=image,
        objects=[
            {"noun": stamp.noun, "box": list(box), "stamp": stamp.name} for stamp, _, box in placed
        ],
        background=background.name,
        captions=captions,
        raw_captions=raw,
    )


def visible_area(sprite: Image.Image) -> float:
    """Return the sprite's alpha-weighted pixel count."""
    return float(np.asarray(sprite.getchannel("A"), dtype=np.float32).sum() / 255)


def jitter_colours(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Return the image with brightness, contrast and saturation each scaled by 1 +- JITTER."""
    for enhancer in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
        image = enhancer(image).enhance(1 + rng.uniform(-JITTER, JITTER))
    return image


def generate_dataset(
    num_scenes: int, seed: int, split: str, catalog: CatalogSplit, size: int = 256
) -> Iterator[Scene]:
    """Yield ``num_scenes`` scenes of one split; the same arguments give identical scenes.

    Scene i draws from its own random stream, seeded by (seed, split, i), so
    any scene can be rebuilt alone and the splits never share a stream.
    """
    check_split(split)
    check_count(f"the number of {split} scenes", num_scenes)
    check_size(size)
    for index in range(num_scenes):
        rng = np.random.default_rng([seed, SPLIT_IDS[split], index])
        yield generate_scene(rng, catalog.stamps[split], catalog.backgrounds[split], size)


def check_split(split: str) -> None:
    if split not in SPLIT_IDS:
        raise InvalidInputError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")


def check_count(what: str, count: int) -> None:
    if not isinstance(count, int) or not 0 <= count <= MAX_SCENES:
        raise InvalidInputError(f"{what} must be an integer from 0 to {MAX_SCENES}, got {count!r}")


def check_size(size: int) -> None:
    if not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
        raise InvalidInputError(
            f"the image size must be an integer from {MIN_SIZE} to {MAX_SIZE} pixels, got {size!r}"
        )


# ---------------------------------------------------------------------------
# A whole set on disk


def load_catalog(
    seed: int, include_clipart: bool = False, root: Path | None = None
) -> tuple[CatalogSplit, int]:
    """Return the split catalog of the usable stamps and the number of stamps read."""
    stamps = load_stamps(root)
    usable = [stamp for stamp in stamps if include_clipart or stamp.photographic]
    return split_catalog(usable, load_backgrounds(root), seed), len(stamps)


def build_scene_set(
    out_dir: Path,
    train: int = 10_000,
    val: int = 1_000,
    test: int = 1_000,
    seed: int = 0,
    size: int = 256,
    include_clipart: bool = False,
    root: Path | None = None,
    progress: bool = True,
) -> dict:
    """Write ``images/*.jpg`` and ``dataset_scenes.json`` under ``out_dir``; return statistics.

    ``root`` is where the Debian packages are unpacked (None: fetch them into
    the data cache, and record their versions in the provenance).
    """
    counts = {"train": train, "val": val, "test": test}
    for split, count in counts.items():
        check_count(f"the number of {split} scenes", count)
    check_size(size)
    out_dir = Path(out_dir).expanduser()
    image_dir = out_dir / IMAGE_DIR
    image_dir.mkdir(parents=True, exist_ok=True)

    packages = fetch_sources() if root is None else {}
    catalog, stamps_read = load_catalog(seed, include_clipart, root)
    started = time.perf_counter()
    entries = []
    sentence_id = 0
    bar = tqdm(total=sum(counts.values()), desc="scenes", unit="scene", disable=not progress)
    for split in SPLITS:
        for index, scene in enumerate(generate_dataset(counts[split], seed, split, catalog, size)):
            filename = f"{split}_{index:06d}.jpg"
            scene.image.save(image_dir / filename, "JPEG", quality=JPEG_QUALITY)
            image_id = len(entries)
            sentences = []
            for tokens, raw in zip(scene.captions, scene.raw_captions):
                sentences.append(
                    {"tokens": tokens, "raw": raw, "imgid": image_id, "sentid": sentence_id}
                )
                sentence_id += 1
            entries.append(
                {
                    "filename": filename,
                    "split": split,
                    "imgid": image_id,
                    "sentids": [s["sentid"] for s in sentences],
                    "sentences": sentences,
                    "objects": scene.objects,
                    "background": scene.background,
                }
            )
            bar.update()
    bar.close()
    seconds = time.perf_counter() - started

    stats = scene_statistics(entries, catalog, stamps_read, seconds)
    dataset = {
        "dataset": "scenes",
        "images": entries,
        "provenance": {
            "generator": "playground.captioning.scenes",
            "seed": seed,
            "size": size,
            "include_clipart": include_clipart,
            "counts": counts,
            "packages": [package.provenance() for package in packages.values()],
            "root": str(root) if root is not None else None,
            "held_out": catalog.summary(),
            "statistics": stats,
        },
    }
    json_path = out_dir / DATASET_FILE
    json_path.write_text(json.dumps(dataset, indent=1) + "\n", encoding="utf-8")
    log_statistics(stats, json_path)
    return stats


def scene_statistics(
    entries: list[dict], catalog: CatalogSplit, stamps_read: int, seconds: float
) -> dict:
    """Return counts per split, the vocabulary size and the stamps that the scenes use."""
    vocabulary = {
        token
        for entry in entries
        for sentence in entry["sentences"]
        for token in sentence["tokens"]
    }
    per_split = {}
    for split in SPLITS:
        split_entries = [entry for entry in entries if entry["split"] == split]
        objects = [obj for entry in split_entries for obj in entry["objects"]]
        per_split[split] = {
            "scenes": len(split_entries),
            "nouns_available": len(catalog.nouns(split)),
            "nouns_used": len({obj["noun"] for obj in objects}),
            "stamps_used": len({obj["stamp"] for obj in objects}),
            "backgrounds": len(catalog.backgrounds[split]),
        }
    lengths = [len(s["tokens"]) for entry in entries for s in entry["sentences"]]
    return {
        "stamps_read": stamps_read,
        "stamps_usable": sum(len(stamps) for stamps in catalog.stamps.values()),
        "vocabulary_size": len(vocabulary),
        "mean_caption_tokens": round(float(np.mean(lengths)), 2) if lengths else 0.0,
        "max_caption_tokens": max(lengths, default=0),
        "seconds": round(seconds, 1),
        "splits": per_split,
    }


def log_statistics(stats: dict, json_path: Path) -> None:
    logger.info(
        "wrote %s in %.1f s: %d usable of %d stamps read, vocabulary of %d tokens, "
        "captions of %.1f tokens on average (max %d)",
        json_path,
        stats["seconds"],
        stats["stamps_usable"],
        stats["stamps_read"],
        stats["vocabulary_size"],
        stats["mean_caption_tokens"],
        stats["max_caption_tokens"],
    )
    for split, numbers in stats["splits"].items():
        logger.info(
            "%s: %d scenes, %d of %d nouns used, %d stamps used, %d backgrounds",
            split,
            numbers["scenes"],
            numbers["nouns_used"],
            numbers["nouns_available"],
            numbers["stamps_used"],
            numbers["backgrounds"],
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Write generated captioned scenes as a Karpathy-split caption set.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=cache_dir() / "captioning" / "scenes",
        help="output folder: images/ and dataset_scenes.json go here",
    )
    parser.add_argument("--train", type=int, default=10_000, help="training scenes")
    parser.add_argument("--val", type=int, default=1_000, help="validation scenes")
    parser.add_argument("--test", type=int, default=1_000, help="test scenes")
    parser.add_argument("--seed", type=int, default=0, help="seed of the splits and the scenes")
    parser.add_argument("--size", type=int, default=256, help="image side in pixels")
    parser.add_argument(
        "--include-clipart",
        action="store_true",
        help="also paste drawn stamps (by default only photographic stamps are used)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        help="filesystem root the Debian packages are unpacked under (default: fetch them "
        "into the data cache)",
    )
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=True, help="show a tqdm bar"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        return build_scene_set(
            args.out,
            train=args.train,
            val=args.val,
            test=args.test,
            seed=args.seed,
            size=args.size,
            include_clipart=args.include_clipart,
            root=args.root,
            progress=args.progress,
        )
    except InvalidInputError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()
