"""Training on a visitor's own text: upload checks, the time bound, and sampling."""

import math
import os
import time

import pytest

from playground.errors import InvalidInputError
from playground.own_text import (
    MAX_UPLOAD_BYTES,
    MIN_TRAINING_SECONDS,
    limit_vocabulary,
    read_text_upload,
    train_on_text,
)
from playground.textgen import make_sampling_options, stream_text
from tests.conftest import make_play_text


@pytest.fixture(scope="module")
def trained_on_play():
    """The last update of a MIN_TRAINING_SECONDS run on a small play, and its wall time."""
    text = make_play_text(200, seed=5)
    started = time.monotonic()
    updates = list(train_on_text(text, MIN_TRAINING_SECONDS))
    return text, updates, time.monotonic() - started


def test_upload_drops_bom_and_controls(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_bytes("\ufeff".encode() + "So\x00ft \u00e9t\u00e9\r\n".encode() * 30)
    assert read_text_upload(str(path)) == "Soft \u00e9t\u00e9\n" * 30


def test_upload_keeps_old_mac_line_breaks(tmp_path):
    path = tmp_path / "mac.txt"
    path.write_bytes(b"line one\rline two\r\n" * 20)
    assert read_text_upload(str(path)) == "line one\nline two\n" * 20


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xff\xfe not utf-8 " * 40, "not UTF-8"),
        (b"short", "at least"),
        (b" \n\t" * 300, "at least"),
        (
            b"a" * (MAX_UPLOAD_BYTES + 1),
            r"The file has 2,000,001 bytes; the limit is 2,000,000 bytes \(2 MB\)\.",
        ),
    ],
    ids=["latin-1", "too-short", "whitespace", "too-big"],
)
def test_bad_uploads_are_rejected(tmp_path, content, message):
    path = tmp_path / "upload.txt"
    path.write_bytes(content)
    with pytest.raises(InvalidInputError, match=message):
        read_text_upload(str(path))


@pytest.mark.parametrize("path", [None, "", 3, "/no/such/file.txt"])
def test_missing_upload_is_rejected(path):
    with pytest.raises(InvalidInputError):
        read_text_upload(path)


def test_folder_as_upload_is_rejected(tmp_path):
    # A raw API request can send the upload folder itself as the file's path.
    message = "The uploaded file could not be read; upload a text file."
    with pytest.raises(InvalidInputError, match=message):
        read_text_upload(str(tmp_path))


def test_unreadable_upload_is_rejected(tmp_path):
    path = tmp_path / "locked.txt"
    path.write_text("word " * 100)
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("this user can read a file without read permission (root)")
    message = "The uploaded file could not be read; upload a text file."
    with pytest.raises(InvalidInputError, match=message):
        read_text_upload(str(path))


def test_vocabulary_keeps_the_most_frequent_characters():
    text, dropped = limit_vocabulary("aaaabbbcc\u4e00", max_size=3)
    assert text == "aaaabbbcc"
    assert dropped == ["\u4e00"]


@pytest.mark.parametrize("seconds", [0, MIN_TRAINING_SECONDS - 1, 61, float("nan"), "30"])
def test_training_time_is_bounded(seconds):
    with pytest.raises(InvalidInputError, match="Training time"):
        next(train_on_text("abc " * 100, seconds))


def test_training_finishes_within_its_time_bound(trained_on_play):
    _, updates, wall_seconds = trained_on_play
    final = updates[-1]
    assert final.model is not None
    assert all(update.model is None for update in updates[:-1])
    # The budget covers training and validation; allow for a slow test machine.
    assert wall_seconds < MIN_TRAINING_SECONDS * 1.5
    assert final.seconds <= MIN_TRAINING_SECONDS * 1.2
    assert final.fraction == 1.0


def test_training_loss_falls(trained_on_play):
    _, updates, _ = trained_on_play
    history = updates[-1].loss_history
    assert len(history) >= 3
    # A busy machine fits fewer steps into the budget, so only the direction is checked.
    assert history[-1][1] < history[0][1]
    assert history[-1][1] < math.log(len(updates[-1].model.vocab))
    assert updates[-1].val_loss is not None


def test_sample_uses_only_the_files_characters(trained_on_play):
    text, updates, _ = trained_on_play
    lm = updates[-1].model
    _, characters = stream_text(lm, "ROMEO:\n", make_sampling_options(300, 1.0, seed=3))
    sample = "".join(characters)
    assert len(sample) == 300
    assert set(sample) <= set(text)
