"""Tests of the captioned-scene generator and the Karpathy-split loader."""

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from playground.captioning import scenes
from playground.captioning.karpathy import CaptionedImage, load_karpathy_split
from playground.captioning.scene_captions import (
    SceneObject,
    article,
    candidate_sentences,
    group_objects,
    make_captions,
    plural,
)
from playground.captioning.scene_sources import (
    BACKGROUND_TABLE,
    NOUN_PATTERN,
    derive_noun,
    is_photographic,
    measure_stamp,
)
from playground.captioning.scenes import (
    CatalogSplit,
    generate_dataset,
    generate_scene,
    split_catalog,
)
from playground.errors import InvalidInputError

KARPATHY = Path(__file__).parent / "fixtures" / "karpathy"
TOKEN = re.compile(r"[a-z]+(?: [a-z]+)*")


def image_bytes(scene) -> bytes:
    return scene.image.tobytes()


def jpeg_bytes(scene) -> bytes:
    buffer = io.BytesIO()
    scene.image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def contains_run(tokens: list[str], run: list[str]) -> bool:
    return any(tokens[i : i + len(run)] == run for i in range(len(tokens) - len(run) + 1))


# ---------------------------------------------------------------------------
# Captions, without the packages


def test_plural_of_nouns():
    cases = {
        "dog": "dogs",
        "teddy bear": "teddy bears",
        "pair of scissors": "pairs of scissors",
        "bunch of grapes": "bunches of grapes",
        "mouse": "mice",
        "sheep": "sheep",
        "bus": "buses",
        "strawberry": "strawberries",
        "tomato": "tomatoes",
        "key": "keys",
    }
    for noun, expected in cases.items():
        assert plural(noun) == expected, noun


def test_article_follows_sound():
    assert article("apple") == "an"
    assert article("dog") == "a"
    assert article("unicorn") == "a"
    assert article("hour") == "an"


def test_captions_count_repeated_nouns():
    objects = [
        SceneObject("dog", (0, 0, 100, 100), 0.15),
        SceneObject("teddy bear", (150, 10, 200, 60), 0.04),
        SceneObject("dog", (120, 150, 200, 250), 0.1),
    ]
    captions, raw = make_captions(objects, "on the grass", 256, np.random.default_rng(0))
    assert len(captions) == 5
    assert len(raw) == 5
    for tokens in captions:
        assert "dogs" in tokens
        assert "two" in tokens
        assert "teddy bear" in tokens
        assert "dog" not in tokens
        assert contains_run(tokens, ["on", "the", "grass"])


def test_captions_relate_left_and_right():
    left = SceneObject("cat", (0, 100, 60, 160), 0.05)
    right = SceneObject("ball", (180, 100, 240, 160), 0.05)
    sentences = candidate_sentences(
        group_objects([left, right]), ["on", "a", "dune"], 256, np.random.default_rng(0)
    )
    assert ["a", "cat", "to", "the", "left", "of", "a", "ball", "on", "a", "dune"] in sentences


def test_captions_compare_sizes():
    large = SceneObject("dog", (0, 0, 200, 200), 0.4)
    small = SceneObject("apple", (210, 210, 240, 240), 0.01)
    sentences = candidate_sentences(
        group_objects([large, small]), ["on", "grass"], 256, np.random.default_rng(0)
    )
    sized = [s for s in sentences if "small" in s or "little" in s]
    assert sized
    for sentence in sized:
        assert sentence.index("dog") < sentence.index("apple")
        assert "large" in sentence or "big" in sentence


def test_captions_raw_is_a_sentence():
    objects = [SceneObject("cat", (0, 0, 50, 50), 0.04)]
    _, raw = make_captions(objects, "in a garden", 256, np.random.default_rng(1))
    for text in raw:
        assert text[0].isupper()
        assert text.endswith(".")
        assert "cat" in text


# ---------------------------------------------------------------------------
# Stamp statistics and nouns, without the packages


def test_measure_stamp_tells_photo_from_drawing():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:64, :64]
    disc = (xx - 32) ** 2 + (yy - 32) ** 2 < 28**2
    drawing = np.zeros((64, 64, 4), np.uint8)
    drawing[disc] = (200, 30, 30, 255)
    photo = drawing.copy()
    photo[..., :3] = np.clip(120 + rng.normal(0, 12, (64, 64, 3)), 0, 255).astype(np.uint8)
    photo[~disc] = 0

    texture, flatness = measure_stamp(drawing)
    assert texture == 0.0
    assert flatness > 0.95
    assert not is_photographic("drawing", False, texture, flatness)

    texture, flatness = measure_stamp(photo)
    assert texture > 0.5
    assert flatness < 0.05
    assert is_photographic("photo", False, texture, flatness)
    assert not is_photographic("photo", True, texture, flatness)


def test_derive_noun_from_descriptions():
    cases = {
        "A very small pumpkin.": "pumpkin",
        "A “Fuji” apple.": "apple",
        "A Seville orange, also called a bitter orange.": "orange",
        "A pair of binoculars.": "binoculars",
        "A stethoscope lets your doctor listen to your heart and lungs.": "stethoscope",
        "Teddy bear.": "teddy bear",
    }
    for description, noun in cases.items():
        assert derive_noun(description) == noun, description


# ---------------------------------------------------------------------------
# Sources and scenes, with the Debian packages


def test_stamps_have_clean_nouns(sources):
    stamps, _ = sources
    photographic = [s for s in stamps if s.photographic]
    assert len(photographic) > 200
    for stamp in stamps:
        assert NOUN_PATTERN.fullmatch(stamp.noun), stamp.name
        assert not stamp.path.stem.endswith("_mirror"), stamp.name
        assert stamp.category != "symbols" or stamp.noun == "coin", stamp.name
        if "cartoon" in stamp.name.split("/"):
            assert not stamp.photographic, stamp.name


def test_backgrounds_are_all_listed(sources):
    _, backgrounds = sources
    assert len(backgrounds) == len(BACKGROUND_TABLE)
    assert len({b.name for b in backgrounds}) == len(backgrounds)
    for background in backgrounds:
        assert background.path.is_file(), background.name


def test_scenes_repeat_for_a_seed(catalog):
    first = list(generate_dataset(4, 7, "train", catalog, size=128))
    again = list(generate_dataset(4, 7, "train", catalog, size=128))
    for a, b in zip(first, again):
        assert image_bytes(a) == image_bytes(b)
        assert jpeg_bytes(a) == jpeg_bytes(b)
        assert a.captions == b.captions
        assert a.objects == b.objects


def test_scenes_differ_for_another_seed(catalog):
    first = list(generate_dataset(4, 7, "train", catalog, size=128))
    other = list(generate_dataset(4, 8, "train", catalog, size=128))
    assert [image_bytes(s) for s in first] != [image_bytes(s) for s in other]
    assert [s.captions for s in first] != [s.captions for s in other]


def test_scene_images_are_rgb_squares(catalog):
    for size in (96, 256):
        for scene in generate_dataset(3, 1, "val", catalog, size=size):
            assert scene.image.mode == "RGB"
            assert scene.image.size == (size, size)


def test_captions_name_objects_and_scene(catalog):
    scenes_by_background = {b.name: b.scene for b in catalog.backgrounds["train"]}
    for scene in generate_dataset(20, 2, "train", catalog):
        assert len(scene.captions) == 5
        assert 1 <= len(scene.objects) <= 3
        scene_words = scenes_by_background[scene.background].split(" ")
        for tokens in scene.captions:
            assert all(TOKEN.fullmatch(token) for token in tokens), tokens
            assert contains_run(tokens, scene_words), tokens
            for obj in scene.objects:
                assert obj["noun"] in tokens or plural(obj["noun"]) in tokens, tokens


def test_multi_word_noun_is_one_token(catalog, sources):
    stamps, backgrounds = sources
    noun = next(s.noun for s in stamps if s.photographic and " " in s.noun)
    chosen = [s for s in stamps if s.noun == noun]
    scene = generate_scene(np.random.default_rng(0), chosen, backgrounds[:1], size=128)
    for tokens in scene.captions:
        assert noun in tokens or plural(noun) in tokens
        assert noun.split(" ")[0] not in tokens


def test_boxes_lie_inside_image(catalog):
    size = 160
    for scene in generate_dataset(20, 3, "train", catalog, size=size):
        for obj in scene.objects:
            x0, y0, x1, y1 = obj["box"]
            assert 0 <= x0 < x1 <= size
            assert 0 <= y0 < y1 <= size


def test_held_out_nouns_stay_out_of_train(catalog):
    train_nouns = set(catalog.nouns("train"))
    held_out = set(catalog.nouns("val")) | set(catalog.nouns("test"))
    train_backgrounds = {b.name for b in catalog.backgrounds["train"]}
    held_out_backgrounds = {
        b.name for b in catalog.backgrounds["val"] + catalog.backgrounds["test"]
    }
    assert held_out
    assert not train_nouns & held_out
    assert not set(catalog.nouns("val")) & set(catalog.nouns("test"))
    assert len(catalog.backgrounds["test"]) >= 2
    assert not train_backgrounds & held_out_backgrounds

    for scene in generate_dataset(30, 4, "train", catalog, size=96):
        assert scene.background not in held_out_backgrounds
        for obj in scene.objects:
            assert obj["noun"] not in held_out
    for scene in generate_dataset(10, 4, "test", catalog, size=96):
        assert scene.background in {b.name for b in catalog.backgrounds["test"]}
        assert {obj["noun"] for obj in scene.objects} <= set(catalog.nouns("test"))


def test_split_catalog_depends_on_seed(sources):
    stamps, backgrounds = sources
    photographic = [s for s in stamps if s.photographic]
    first = split_catalog(photographic, backgrounds, seed=5)
    again = split_catalog(photographic, backgrounds, seed=5)
    other = split_catalog(photographic, backgrounds, seed=6)
    assert first.summary() == again.summary()
    assert first.nouns("test") != other.nouns("test")


def test_generator_rejects_bad_arguments():
    empty = CatalogSplit({s: [] for s in scenes.SPLITS}, {s: [] for s in scenes.SPLITS}, 0)
    with pytest.raises(InvalidInputError, match="unknown split"):
        list(generate_dataset(1, 0, "holdout", empty))
    with pytest.raises(InvalidInputError, match="from 64 to 1024"):
        list(generate_dataset(1, 0, "train", empty, size=10))
    with pytest.raises(InvalidInputError, match="from 0 to"):
        list(generate_dataset(-1, 0, "train", empty))
    with pytest.raises(InvalidInputError, match="at least one stamp"):
        list(generate_dataset(1, 0, "train", empty))


# ---------------------------------------------------------------------------
# Karpathy-split files


def test_flickr_fixture_loads():
    splits = load_karpathy_split(KARPATHY / "dataset_flickr8k.json", KARPATHY / "flickr8k")
    assert {name: len(items) for name, items in splits.items()} == {
        "train": 2,
        "val": 1,
        "test": 1,
    }
    first = splits["train"][0]
    assert isinstance(first, CaptionedImage)
    assert first.path == KARPATHY / "flickr8k" / "1000268201_693b08cb0e.jpg"
    assert first.image_id == 0
    assert first.captions[0][:3] == ["a", "brown", "dog"]


def test_coco_fixture_loads_restval_as_train():
    splits = load_karpathy_split(KARPATHY / "dataset_coco.json", KARPATHY / "coco")
    assert {name: len(items) for name, items in splits.items()} == {
        "train": 2,
        "val": 1,
        "test": 1,
    }
    paths = [item.path for item in splits["train"]]
    assert KARPATHY / "coco" / "val2014" / "COCO_val2014_000000000042.jpg" in paths
    assert all(path.is_file() for path in paths)


def test_karpathy_reports_missing_images(tmp_path):
    with pytest.raises(FileNotFoundError, match="4 of 4 images") as error:
        load_karpathy_split(KARPATHY / "dataset_coco.json", tmp_path)
    assert "COCO_train2014_000000000009.jpg" in str(error.value)


def test_karpathy_rejects_broken_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_karpathy_split(tmp_path / "absent.json", tmp_path)

    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        load_karpathy_split(broken, tmp_path)

    no_images = tmp_path / "no_images.json"
    no_images.write_text('{"annotations": []}', encoding="utf-8")
    with pytest.raises(InvalidInputError, match='"images" list'):
        load_karpathy_split(no_images, tmp_path)

    entry = {"filename": "a.jpg", "split": "train"}
    no_sentences = tmp_path / "no_sentences.json"
    no_sentences.write_text(json.dumps({"images": [entry]}), encoding="utf-8")
    with pytest.raises(InvalidInputError, match='no "sentences" key'):
        load_karpathy_split(no_sentences, tmp_path)

    entry = {"filename": "a.jpg", "split": "holdout", "sentences": [{"tokens": ["a"]}]}
    bad_split = tmp_path / "bad_split.json"
    bad_split.write_text(json.dumps({"images": [entry]}), encoding="utf-8")
    with pytest.raises(InvalidInputError, match="'holdout'"):
        load_karpathy_split(bad_split, tmp_path)


def test_karpathy_keeps_multi_word_tokens(tmp_path):
    shutil.copy(KARPATHY / "flickr8k" / "1000268201_693b08cb0e.jpg", tmp_path / "bear.jpg")
    tokens = ["a", "teddy bear", "on", "the", "grass"]
    entry = {
        "filename": "bear.jpg",
        "split": "test",
        "imgid": 3,
        "sentences": [{"tokens": tokens, "raw": "A teddy bear on the grass."}],
    }
    path = tmp_path / "dataset_scenes.json"
    path.write_text(json.dumps({"images": [entry]}), encoding="utf-8")
    splits = load_karpathy_split(path, tmp_path)
    assert splits["test"][0].captions == [tokens]


def test_karpathy_tokenises_raw_without_tokens(tmp_path):
    shutil.copy(KARPATHY / "flickr8k" / "1000268201_693b08cb0e.jpg", tmp_path / "dog.jpg")
    entry = {"filename": "dog.jpg", "split": "val", "sentences": [{"raw": "A Dog, running!"}]}
    path = tmp_path / "captions.json"
    path.write_text(json.dumps({"images": [entry]}), encoding="utf-8")
    splits = load_karpathy_split(path, tmp_path)
    assert splits["val"][0].captions == [["a", "dog", "running"]]
    assert splits["val"][0].image_id == 0


# ---------------------------------------------------------------------------
# The command line


def test_cli_writes_a_readable_set(tmp_path, sources):
    out = tmp_path / "scenes"
    argv = ["--out", str(out), "--train", "6", "--val", "2", "--test", "2"]
    stats = scenes.main([*argv, "--seed", "3", "--size", "96", "--no-progress"])

    splits = load_karpathy_split(out / "dataset_scenes.json", out / "images")
    assert {name: len(items) for name, items in splits.items()} == {
        "train": 6,
        "val": 2,
        "test": 2,
    }
    data = json.loads((out / "dataset_scenes.json").read_text(encoding="utf-8"))
    by_file = {entry["filename"]: entry for entry in data["images"]}
    for item in splits["train"]:
        entry = by_file[item.path.name]
        assert item.captions == [s["tokens"] for s in entry["sentences"]]
        assert entry["objects"]
        with Image.open(item.path) as image:
            assert image.format == "JPEG"
            assert image.size == (96, 96)

    provenance = data["provenance"]
    assert provenance["seed"] == 3
    assert provenance["counts"] == {"train": 6, "val": 2, "test": 2}
    packages = {package["package"]: package["version"] for package in provenance["packages"]}
    assert "tuxpaint-stamps-default" in packages
    assert all(packages.values())
    assert stats["splits"]["train"]["scenes"] == 6
    assert stats["vocabulary_size"] > 10
