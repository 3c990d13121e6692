"""Shared fixtures: a tiny character LSTM trained in seconds, and launched apps."""

import json
import os
import random
from pathlib import Path

import pytest

# Set before Gradio is imported: test machines reach package registries only, so
# Gradio's usage statistics could not be sent anyway.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from playground.catalog import TEXT_GENERATION
from playground.registry import ModelRegistry, ModelSpec
from playground.textgen import load_char_language_model

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CHECKPOINTS = REPO_ROOT / "checkpoints"

SPEAKERS = ["ROMEO", "JULIET", "NURSE", "FRIAR LAURENCE"]
WORDS = "the and my of to love night thou art what light fair sweet is in that with".split()


def make_play_text(num_speeches: int, seed: int) -> str:
    """Return a small play-shaped text: speaker lines followed by lines of common words."""
    rng = random.Random(seed)
    speeches = []
    for _ in range(num_speeches):
        lines = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 8))).capitalize() + ","
            for _ in range(rng.randint(1, 3))
        ]
        speeches.append(f"{rng.choice(SPEAKERS)}:\n" + "\n".join(lines))
    return "\n\n".join(speeches) + "\n"


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tiny_corpus")
    train, val = folder / "train.txt", folder / "val.txt"
    train.write_text(make_play_text(400, seed=1), encoding="utf-8")
    val.write_text(make_play_text(40, seed=2), encoding="utf-8")
    return train, val


def train_tiny_model(train: Path, val: Path, out: Path, max_steps: int, extra=()) -> dict:
    from playground.train_char_lm import main

    return main(
        [
            "--train",
            str(train),
            "--val",
            str(val),
            "--out",
            str(out),
            "--embedding-dim",
            "16",
            "--hidden-size",
            "48",
            "--num-layers",
            "2",
            "--dropout",
            "0.0",
            "--batch-size",
            "8",
            "--seq-len",
            "32",
            "--lr",
            "1e-2",
            "--warmup-steps",
            "5",
            "--max-steps",
            str(max_steps),
            "--eval-every",
            str(max_steps),
            "--no-progress",
            "--work-dir",
            str(out.parent / f"{out.name}.work"),
            *extra,
        ]
    )


@pytest.fixture(scope="session")
def tiny_checkpoint_dir(tiny_corpus, tmp_path_factory) -> Path:
    """A checkpoint folder holding ``tiny.safetensors`` and ``tiny.json``, trained in seconds."""
    folder = tmp_path_factory.mktemp("tiny_checkpoints")
    train, val = tiny_corpus
    train_tiny_model(train, val, folder / "tiny", max_steps=150)
    return folder


def tiny_spec(name: str = "tiny", checkpoint: str = "tiny") -> ModelSpec:
    return ModelSpec(
        name=name,
        task=TEXT_GENERATION,
        title="Tiny test model",
        checkpoint=checkpoint,
        recreate_command=f"make-tiny-model {checkpoint}",
        loader=load_char_language_model,
    )


@pytest.fixture
def tiny_registry(tiny_checkpoint_dir) -> ModelRegistry:
    return ModelRegistry([tiny_spec()], tiny_checkpoint_dir)


@pytest.fixture(scope="session")
def tiny_model(tiny_checkpoint_dir):
    return ModelRegistry([tiny_spec()], tiny_checkpoint_dir).get("tiny")


def launch_app(registry: ModelRegistry):
    """Launch the app on a free loopback port; return (demo, client)."""
    from gradio_client import Client

    from app import LAUNCH_OPTIONS, build_app

    demo = build_app(registry)
    demo.launch(
        server_name="127.0.0.1",
        server_port=None,
        prevent_thread_lock=True,
        quiet=True,
        **LAUNCH_OPTIONS,
    )
    client = Client(demo.local_url, verbose=False)
    return demo, client


@pytest.fixture(scope="module")
def tiny_app(tiny_checkpoint_dir):
    """The app serving the tiny model and a model whose checkpoint is missing."""
    registry = ModelRegistry(
        [tiny_spec(), tiny_spec("absent", "does-not-exist")], tiny_checkpoint_dir
    )
    demo, client = launch_app(registry)
    yield client
    client.close()
    demo.close()


def shipped_metadata(name: str) -> dict:
    return json.loads((SHIPPED_CHECKPOINTS / f"{name}.json").read_text(encoding="utf-8"))
