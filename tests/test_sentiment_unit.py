"""Fine-tuning a character model so that one unit carries sentiment, on a tiny corpus."""

import json

import torch

from playground.textgen import load_char_language_model
from playground.train_sentiment_unit import encode_batch, main


def write_corpus(folder, reviews_per_split: int = 12) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val", "test"):
        with open(folder / f"{split}.jsonl", "w", encoding="utf-8") as out:
            for i in range(reviews_per_split):
                positive = i % 2 == 0
                text = "sweet fair love light" if positive else "night the thou art"
                review = {"text": text, "label": int(positive), "source": "t", "group": "movie"}
                out.write(json.dumps(review) + "\n")


def test_batch_puts_each_review_between_newlines(tiny_model):
    inputs, targets, mask = encode_batch(tiny_model, ["love", "night and day"])
    newline = tiny_model.vocab.stoi["\n"]
    assert inputs[0, 0] == newline
    assert targets[0, 3] == tiny_model.vocab.stoi["e"]
    assert targets[0, 4] == newline
    assert mask[0].sum() == len("love") + 1
    assert mask[1].sum() == len("night and day") + 1


def test_tuning_writes_a_checkpoint_with_the_unit(tiny_checkpoint_dir, tmp_path):
    corpus = tmp_path / "reviews"
    write_corpus(corpus)
    result = main(
        [
            "--checkpoint",
            str(tiny_checkpoint_dir / "tiny"),
            "--out",
            str(tmp_path / "tuned"),
            "--corpus",
            str(corpus),
            "--unit",
            "5",
            "--epochs",
            "2",
            "--batch-size",
            "4",
            "--no-progress",
        ]
    )
    assert result["index"] == 5
    assert set(result["test_accuracy"]) == {"movie"}
    tuned = load_char_language_model(tmp_path / "tuned", "", torch.device("cpu"))
    assert tuned.metadata["sentiment_unit"]["index"] == 5
