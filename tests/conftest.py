"""Shared fixtures: a tiny character LSTM trained in seconds, and launched apps."""

import json
import os
import random
from pathlib import Path

import numpy as np
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


def launch_app(registry: ModelRegistry, **build_options):
    """Launch the app on a free loopback port; return (demo, client).

    ``build_options`` go to ``app.build_app``, for example ``queue_max_size``.
    """
    from gradio_client import Client

    from app import LAUNCH_OPTIONS, build_app

    demo = build_app(registry, **build_options)
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


def loop_strokes(num_chars: int, points_per_char: int = 8) -> np.ndarray:
    """A deterministic scribble as (T, 3) offsets: one small loop per character."""
    rows = []
    for _ in range(num_chars):
        angles = np.linspace(0, 2 * np.pi, points_per_char)
        for i, angle in enumerate(angles):
            rows.append([0.4 + 0.3 * np.cos(angle), 0.5 * np.sin(angle), i == len(angles) - 1])
    return np.array(rows, dtype=np.float32)


@pytest.fixture(scope="session")
def tiny_handwriting_dir(tmp_path_factory) -> Path:
    """A checkpoint folder holding ``tiny-hand``, a synthesis network trained for seconds."""
    from playground.handwriting.lines import LineSet
    from playground.train_handwriting import main

    folder = tmp_path_factory.mktemp("tiny_handwriting")
    texts = ["abc", "hello", "Quiz 42!", "xyz", "a b c d", "The end."] * 4
    lines = LineSet.from_lines(
        [loop_strokes(len(text)) for text in texts],
        texts,
        [i % 2 for i in range(len(texts))],
        ["Loops", "Other loops"],
        offset_scale=0.27,
        metadata={"source": "loop scribbles written by the tests"},
    )
    data = lines.save(folder / "lines.npz")
    main(
        [
            "--data",
            str(data),
            "--out",
            str(folder / "tiny-hand"),
            "--work-dir",
            str(folder / "work"),
            "--hidden-size",
            "24",
            "--upper-hidden-size",
            "24",
            "--window-components",
            "2",
            "--mixture-components",
            "3",
            "--hand-dim",
            "4",
            "--batch-size",
            "8",
            "--max-steps",
            "20",
            "--eval-every",
            "20",
            "--val-fraction",
            "0.2",
            "--no-progress",
        ]
    )
    return folder


def tiny_handwriting_spec() -> ModelSpec:
    from playground.handwriting.sampler import load_handwriting_model

    return ModelSpec(
        name="tiny-hand",
        task="handwriting",
        title="Tiny handwriting test model",
        checkpoint="tiny-hand",
        recreate_command="make-tiny-handwriting",
        loader=load_handwriting_model,
    )


# Sentiment: a toy review corpus, a tiny word classifier and a tiny tuned unit.

POSITIVE_WORDS = "sweet fair love light".split()
NEGATIVE_WORDS = "night the thou art".split()


def write_review_corpus(folder: Path, reviews_per_split: int = 24, seed: int = 0) -> Path:
    """Write train/val/test JSON lines of toy reviews whose words give away their label."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val", "test"):
        with open(folder / f"{split}.jsonl", "w", encoding="utf-8") as out:
            for i in range(reviews_per_split):
                positive = i % 2 == 0
                words = rng.choices(POSITIVE_WORDS if positive else NEGATIVE_WORDS, k=4)
                group = "movie" if i % 3 else "food"
                review = {
                    "text": " ".join(words),
                    "label": int(positive),
                    "source": "toy",
                    "group": group,
                }
                out.write(json.dumps(review) + "\n")
    return folder


def tiny_sentiment_specs() -> list[ModelSpec]:
    from playground.sentiment.classifier import load_sentiment_classifier
    from playground.sentiment.trace import load_sentiment_trace_model

    return [
        ModelSpec(
            name="tiny-sentiment",
            task="sentiment",
            title="Tiny sentiment classifier",
            checkpoint="tiny-sentiment",
            recreate_command="make-tiny-sentiment",
            loader=load_sentiment_classifier,
        ),
        ModelSpec(
            name="tiny-sentiment-lm",
            task="sentiment-trace",
            title="Tiny sentiment unit",
            checkpoint="tiny-sentiment-lm",
            recreate_command="make-tiny-sentiment-lm",
            loader=load_sentiment_trace_model,
        ),
    ]


@pytest.fixture(scope="session")
def tiny_sentiment_dir(tiny_checkpoint_dir, tmp_path_factory) -> Path:
    """A folder with ``tiny-sentiment`` (a word classifier) and ``tiny-sentiment-lm``
    (the tiny character model tuned so that unit 3 carries sentiment), trained in seconds."""
    from playground.train_sentiment_classifier import main as train_classifier
    from playground.train_sentiment_unit import main as train_unit

    folder = tmp_path_factory.mktemp("tiny_sentiment")
    corpus = write_review_corpus(folder / "reviews")
    common = ["--corpus", str(corpus), "--no-progress", "--seed", "0"]
    train_classifier(
        [
            *common,
            "--out",
            str(folder / "tiny-sentiment"),
            "--no-glove",
            "--hidden-size",
            "8",
            "--epochs",
            "6",
            "--batch-size",
            "8",
            "--lr",
            "0.02",
            "--dropout",
            "0",
            "--members",
            "2",
        ]
    )
    train_unit(
        [
            *common,
            "--checkpoint",
            str(tiny_checkpoint_dir / "tiny"),
            "--teacher",
            str(folder / "tiny-sentiment"),
            "--out",
            str(folder / "tiny-sentiment-lm"),
            "--unit",
            "3",
            "--epochs",
            "6",
            "--batch-size",
            "8",
            "--lr",
            "0.01",
        ]
    )
    return folder


# Captioning: generated scenes, and a tiny decoder trained in seconds on the
# Karpathy-split fixture.


@pytest.fixture(scope="session")
def sources():
    """All stamps and backgrounds, fetched with apt-get into the data cache on first use."""
    from playground.captioning.scene_sources import load_backgrounds, load_stamps

    try:
        return load_stamps(), load_backgrounds()
    except (RuntimeError, FileNotFoundError) as error:
        # CI fetches them (it runs apt-get update first); elsewhere apt may be missing.
        if os.environ.get("CI"):
            raise
        pytest.skip(f"stamp or wallpaper packages could not be fetched: {error}")


@pytest.fixture(scope="session")
def catalog(sources):
    """The photographic stamps and the backgrounds, split into train, val and test."""
    from playground.captioning.scenes import split_catalog

    stamps, backgrounds = sources
    return split_catalog([s for s in stamps if s.photographic], backgrounds, seed=0)


KARPATHY_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "karpathy"


@pytest.fixture(scope="session")
def tiny_captioner_dir(tmp_path_factory) -> Path:
    """A checkpoint folder holding ``tiny-captioner``, trained for seconds on the Flickr fixture."""
    from playground.train_captioner import main

    folder = tmp_path_factory.mktemp("tiny_captioner")
    train_needing_wordnet(
        main,
        [
            "--dataset",
            str(KARPATHY_FIXTURES / "dataset_flickr8k.json"),
            "--images",
            str(KARPATHY_FIXTURES / "flickr8k"),
            "--out",
            str(folder / "tiny-captioner"),
            "--work-dir",
            str(folder / "features"),
            "--min-count",
            "1",
            "--projection-dim",
            "16",
            "--embed-dim",
            "8",
            "--hidden-size",
            "16",
            "--attention-dim",
            "8",
            "--epochs",
            "2",
            "--no-progress",
        ],
    )
    return folder


def train_needing_wordnet(train, argv: list[str]):
    """Run a caption trainer, which reads WordNet from Debian's wordnet-base for label slots.

    Without apt the package cannot be fetched: the test is skipped, except
    under CI, which runs apt-get update first and must fail instead.
    """
    try:
        return train(argv)
    except (RuntimeError, FileNotFoundError) as error:
        if os.environ.get("CI") or "apt-get" not in str(error):
            raise
        pytest.skip(f"WordNet could not be fetched: {error}")


def tiny_captioner_spec() -> ModelSpec:
    from playground.captioning.captioner import load_captioner

    return ModelSpec(
        name="tiny-captioner",
        task="captioning",
        title="Tiny captioning test model",
        checkpoint="tiny-captioner",
        recreate_command="make-tiny-captioner",
        loader=load_captioner,
    )
