"""The models that ship in ``checkpoints/``, with the commands that recreate them."""

from pathlib import Path

import torch

from playground.captioning.captioner import load_captioner
from playground.handwriting.sampler import load_handwriting_model
from playground.registry import ModelRegistry, ModelSpec
from playground.sentiment.classifier import load_sentiment_classifier
from playground.sentiment.trace import load_sentiment_trace_model
from playground.textgen import load_char_language_model

TEXT_GENERATION = "text-generation"
SENTIMENT = "sentiment"
SENTIMENT_TRACE = "sentiment-trace"
CAPTIONING = "captioning"
HANDWRITING = "handwriting"
REVIEWS_LM = "~/.cache/rnn-playground/sentiment/reviews-lm"
SCENES = "~/.cache/rnn-playground/captioning/scenes"
HANDWRITING_LINES = "~/.cache/rnn-playground/handwriting/lines.npz"


def recreate_command(data_module: str, corpus: str, max_steps: int) -> str:
    """Return the two commands, run one after the other, that rebuild a shipped text model."""
    corpus_dir = f"~/.cache/rnn-playground/corpora/{corpus}"
    return (
        f"python -m playground.data.{data_module}, then python -m playground.train_char_lm "
        f"--train {corpus_dir}/train.txt --val {corpus_dir}/val.txt "
        f"--corpus-meta {corpus_dir}/meta.json --out checkpoints/{corpus} "
        f"--batch-size 128 --seq-len 128 --max-steps {max_steps} --eval-every 500"
    )


SHIPPED_MODELS = [
    ModelSpec(
        name="shakespeare",
        task=TEXT_GENERATION,
        title="Shakespeare, character LSTM",
        checkpoint="shakespeare",
        recreate_command=recreate_command("shakespeare", "shakespeare", 3000),
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
        recreate_command=recreate_command("python_stdlib", "python", 3000),
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
        recreate_command=recreate_command("linux_c", "linux-c", 2500),
        loader=load_char_language_model,
        examples=(
            "static int ",
            "#include <linux/",
            "/*\n * ",
        ),
    ),
    ModelSpec(
        name="latex",
        task=TEXT_GENERATION,
        title="LaTeX manuals and the PARI/GP manual, character LSTM",
        checkpoint="latex",
        recreate_command=recreate_command("latex", "latex", 2500),
        loader=load_char_language_model,
        examples=(
            "\\begin{theorem}\n",
            "\\section{Introduction}\n",
            "\\begin{equation}\n",
        ),
    ),
    ModelSpec(
        name="sentiment-classifier",
        task=SENTIMENT,
        title="Word-level BiLSTM sentiment classifier",
        checkpoint="sentiment-classifier",
        recreate_command=(
            "python -m playground.data.reviews, then python -m "
            "playground.train_sentiment_classifier --out checkpoints/sentiment-classifier "
            "--members 1 --epochs 4"
        ),
        loader=load_sentiment_classifier,
    ),
    ModelSpec(
        name="sentiment-lm",
        task=SENTIMENT_TRACE,
        title="Review character LSTM with a sentiment unit",
        checkpoint="sentiment-lm",
        recreate_command=(
            "python -m playground.data.reviews, then python -m playground.train_char_lm "
            "--train ~/.cache/rnn-playground/corpora/reviews/unlabelled.txt "
            f"--out {REVIEWS_LM} --embedding-dim 64 --hidden-size 320 --num-layers 1 "
            "--dropout 0.1 --batch-size 128 --seq-len 128 --max-steps 3000 --eval-every 500, "
            "then python -m playground.train_sentiment_unit "
            f"--checkpoint {REVIEWS_LM} --teacher checkpoints/sentiment-classifier "
            "--out checkpoints/sentiment-lm --epochs 10 --lr 2e-3 --sentiment-weight 1.5"
        ),
        loader=load_sentiment_trace_model,
    ),
    ModelSpec(
        name="captioner",
        task=CAPTIONING,
        title="Attention LSTM captioner on EfficientNet-Lite0 features",
        checkpoint="captioner",
        recreate_command=(
            f"python -m playground.captioning.scenes --out {SCENES} --train 6000 --val 500 "
            "--test 500 --seed 0, then python -m playground.train_captioner "
            f"--dataset {SCENES}/dataset_scenes.json --images {SCENES}/images "
            "--out checkpoints/captioner --epochs 6"
        ),
        loader=load_captioner,
    ),
    ModelSpec(
        name="handwriting",
        task=HANDWRITING,
        title="Graves handwriting synthesis network, six hands",
        checkpoint="handwriting",
        recreate_command=(
            "python -m playground.handwriting.synthetic --lines 60000 --max-chars 45 --seed 0, "
            "then python -m playground.train_handwriting "
            f"--data {HANDWRITING_LINES} --out checkpoints/handwriting --val-fraction 0.005 "
            "--eval-every 250 --max-steps 5000 --bf16, then the same command with "
            "--max-steps 5750 --lr 3e-4"
        ),
        loader=load_handwriting_model,
    ),
]


def build_registry(
    checkpoint_dir: Path | None = None,
    device: torch.device | None = None,
    specs: list[ModelSpec] | None = None,
) -> ModelRegistry:
    """Return a registry of the shipped models; nothing is loaded until first use."""
    return ModelRegistry(specs if specs is not None else SHIPPED_MODELS, checkpoint_dir, device)
