import json
import subprocess
import sys

import pytest
import torch

from playground.checkpoint import load_checkpoint
from playground.registry import ModelRegistry
from tests.conftest import REPO_ROOT, tiny_spec, train_tiny_model


def test_training_lowers_loss(tiny_corpus, tmp_path):
    train, val = tiny_corpus
    untrained = train_tiny_model(train, val, tmp_path / "a", max_steps=1)
    trained = train_tiny_model(train, val, tmp_path / "b", max_steps=120)
    assert trained["best_val_loss"] < untrained["best_val_loss"] - 0.5
    assert trained["best_val_loss"] < 2.0


def test_checkpoint_survives_save_and_load(tiny_checkpoint_dir):
    tensors, metadata = load_checkpoint(tiny_checkpoint_dir / "tiny")
    assert all(t.dtype == torch.bfloat16 for t in tensors.values() if t.is_floating_point())
    lm = ModelRegistry([tiny_spec()], tiny_checkpoint_dir).get("tiny")
    state = lm.model.state_dict()
    for name, tensor in tensors.items():
        torch.testing.assert_close(state[name], tensor.float())
    assert lm.vocab.itos == metadata["vocab"]["itos"]


def test_checkpoint_metadata_is_complete(tiny_checkpoint_dir):
    metadata = json.loads((tiny_checkpoint_dir / "tiny.json").read_text())
    for key in ("config", "vocab", "data", "training", "metrics", "format_version"):
        assert key in metadata
    assert metadata["training"]["command"].startswith("python -m playground.train_char_lm")
    assert metadata["training"]["time_seconds"] > 0
    assert metadata["training"]["hardware"]
    assert metadata["metrics"]["val_loss_nats"] > 0


def test_training_resumes_from_state(tiny_corpus, tmp_path):
    train, val = tiny_corpus
    out = tmp_path / "resumed"
    train_tiny_model(train, val, out, max_steps=20)
    state_file = tmp_path / "resumed.work" / "training_state.pt"
    assert state_file.exists()
    result = train_tiny_model(train, val, out, max_steps=40)
    history_steps = [entry["step"] for entry in result["history"]]
    assert history_steps == [20, 40]
    state = torch.load(state_file, weights_only=True)
    assert state["step"] == 40


def test_training_works_without_a_validation_file(tiny_corpus, tmp_path):
    train, _ = tiny_corpus
    from playground.train_char_lm import main

    result = main(
        [
            "--train",
            str(train),
            "--out",
            str(tmp_path / "m"),
            "--work-dir",
            str(tmp_path / "work"),
            "--hidden-size",
            "16",
            "--num-layers",
            "1",
            "--batch-size",
            "4",
            "--seq-len",
            "16",
            "--max-steps",
            "3",
            "--eval-every",
            "3",
            "--no-progress",
        ]
    )
    assert result["best_val_loss"] > 0


def test_train_command_help():
    result = subprocess.run(
        [sys.executable, "-m", "playground.train_char_lm", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert result.returncode == 0
    for flag in ("--train", "--val", "--max-steps", "--hidden-size", "--no-bf16"):
        assert flag in result.stdout


def test_train_rejects_non_utf8_file(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00 not utf-8 \xc3")
    from playground.train_char_lm import main

    with pytest.raises(SystemExit, match="UTF-8"):
        main(["--train", str(bad), "--out", str(tmp_path / "m"), "--max-steps", "1"])
