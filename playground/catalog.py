"""The models that ship in ``checkpoints/``, with the commands that recreate them."""

from pathlib import Path

import torch

from playground.registry import ModelRegistry, ModelSpec
from playground.textgen import load_char_language_model

TEXT_GENERATION = "text-generation"

# Two commands, run one after the other: build the corpus, then train on it.
SHAKESPEARE_COMMAND = (
    "python -m playground.data.shakespeare, then python -m playground.train_char_lm "
    "--train ~/.cache/rnn-playground/corpora/shakespeare/train.txt "
    "--val ~/.cache/rnn-playground/corpora/shakespeare/val.txt "
    "--corpus-meta ~/.cache/rnn-playground/corpora/shakespeare/meta.json "
    "--out checkpoints/shakespeare --batch-size 128 --seq-len 128 --max-steps 3000 "
    "--eval-every 500"
)

PYTHON_COMMAND = (
    "python -m playground.data.python_stdlib, then python -m playground.train_char_lm "
    "--train ~/.cache/rnn-playground/corpora/python/train.txt "
    "--val ~/.cache/rnn-playground/corpora/python/val.txt "
    "--corpus-meta ~/.cache/rnn-playground/corpora/python/meta.json "
    "--out checkpoints/python --batch-size 128 --seq-len 128 --max-steps 3000 "
    "--eval-every 500"
)

LINUX_C_COMMAND = (
    "python -m playground.data.linux_c, then python -m playground.train_char_lm "
    "--train ~/.cache/rnn-playground/corpora/linux-c/train.txt "
    "--val ~/.cache/rnn-playground/corpora/linux-c/val.txt "
    "--corpus-meta ~/.cache/rnn-playground/corpora/linux-c/meta.json "
    "--out checkpoints/linux-c --batch-size 128 --seq-len 128 --max-steps 2500 "
    "--eval-every 500"
)

SHIPPED_MODELS = [
    ModelSpec(
        name="shakespeare",
        task=TEXT_GENERATION,
        title="Shakespeare, character LSTM",
        checkpoint="shakespeare",
        recreate_command=SHAKESPEARE_COMMAND,
        loader=load_char_language_model,
        examples=(
            "ROMEO:\n",
            "KING RICHARD III:\nNow is the winter",
            "First Citizen:\nWhat say you to the",
            "To be, or not to be",
            "",
        ),
    ),
    ModelSpec(
        name="python",
        task=TEXT_GENERATION,
        title="Python standard library, character LSTM",
        checkpoint="python",
        recreate_command=PYTHON_COMMAND,
        loader=load_char_language_model,
        examples=(
            "def ",
            "class LRUCache:\n    def __init__(self, capacity):\n",
            'import os\n\n\ndef read_config(path):\n    """',
        ),
    ),
    ModelSpec(
        name="linux-c",
        task=TEXT_GENERATION,
        title="Linux kernel C, character LSTM",
        checkpoint="linux-c",
        recreate_command=LINUX_C_COMMAND,
        loader=load_char_language_model,
        examples=(
            "static int ",
            "#include <linux/",
            "/*\n * ",
        ),
    ),
]


def build_registry(
    checkpoint_dir: Path | None = None,
    device: torch.device | None = None,
    specs: list[ModelSpec] | None = None,
) -> ModelRegistry:
    """Return a registry of the shipped models; nothing is loaded until first use."""
    return ModelRegistry(specs if specs is not None else SHIPPED_MODELS, checkpoint_dir, device)
