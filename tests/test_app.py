"""The launched app, driven through gradio_client as an API user would."""

import pytest
from gradio_client.exceptions import AppError

from playground.sampling import MAX_SAMPLE_LENGTH
from tabs import streaming


def test_generate_text_with_only_the_prime(tiny_app):
    text = tiny_app.predict("ROMEO:\n", api_name="/generate_text")
    assert isinstance(text, str)
    assert len(text) == 500


def test_generate_text_streams(tiny_app, monkeypatch):
    # Send every character as its own update, so the count does not depend on CPU speed.
    monkeypatch.setattr(streaming, "STREAM_INTERVAL_SECONDS", 0.0)
    job = tiny_app.submit("JULIET:\n", "tiny", 1.0, 0, 300, 4, api_name="/generate_text")
    final = job.result(timeout=120)
    updates = job.outputs()
    assert len(final) == 300
    assert len(updates) > 10
    assert updates[-1] == final
    assert all(final.startswith(update) for update in updates)


def test_seed_makes_samples_reproducible(tiny_app):
    args = ("NURSE:\n", "tiny", 1.0, 0, 200, 11)
    first = tiny_app.predict(*args, api_name="/generate_text")
    second = tiny_app.predict(*args, api_name="/generate_text")
    assert first == second


def test_default_seed_gives_new_samples(tiny_app):
    first = tiny_app.predict("ROMEO:\n", "tiny", 1.0, 0, 200, api_name="/generate_text")
    second = tiny_app.predict("ROMEO:\n", "tiny", 1.0, 0, 200, api_name="/generate_text")
    assert first != second


def test_temperature_zero_through_the_api(tiny_app):
    first = tiny_app.predict("ROMEO:\n", "tiny", 0, 0, 100, None, api_name="/generate_text")
    second = tiny_app.predict("ROMEO:\n", "tiny", 0, 0, 100, 99, api_name="/generate_text")
    assert first == second


def test_unknown_prime_characters_do_not_break_generation(tiny_app):
    text = tiny_app.predict(
        "\U0001f600\u05d0<b>ROMEO</b>\x00", "tiny", 0.8, 0, 50, 1, api_name="/generate_text"
    )
    assert len(text) == 50


@pytest.mark.parametrize(
    "args, message",
    [
        # Gradio checks slider bounds and dropdown choices before the handler runs.
        (("ROMEO:", "tiny", 0.8, 0, MAX_SAMPLE_LENGTH + 1, None), "greater than maximum"),
        (("ROMEO:", "tiny", 5.0, 0, 10, None), "greater than maximum"),
        (("ROMEO:", "../../etc/passwd", 0.8, 0, 10, None), "not in the list of choices"),
        # The handler checks what the components let through.
        (("ROMEO:", "tiny", 0.8, 0, 10.5, None), "Length must be a whole number"),
        (("ROMEO:", "tiny", 0.8, 2.5, 10, None), "Top-k must be a whole number"),
        (("a" * 50_000, "tiny", 0.8, 0, 10, None), "maximum"),
    ],
)
def test_bad_input_gets_a_clear_error(tiny_app, args, message):
    with pytest.raises(AppError, match=message):
        tiny_app.predict(*args, api_name="/generate_text")


@pytest.mark.parametrize("temperature", ["hot", [1]])
def test_wrong_type_gets_its_message(tiny_app, temperature):
    with pytest.raises(AppError) as error:
        tiny_app.predict("ROMEO:", "tiny", temperature, 0, 10, None, api_name="/generate_text")
    assert "verbose error reporting" not in str(error.value)


def test_missing_checkpoint_error_keeps_app_serving(tiny_app):
    with pytest.raises(AppError, match="does-not-exist.safetensors"):
        tiny_app.predict("ROMEO:", "absent", 0.8, 0, 10, None, api_name="/generate_text")
    assert (
        len(tiny_app.predict("ROMEO:", "tiny", 0.8, 0, 10, None, api_name="/generate_text")) == 10
    )


def test_shipped_app_streams_shakespeare():
    from playground.catalog import build_registry
    from tests.conftest import launch_app

    demo, client = launch_app(build_registry())
    try:
        job = client.submit("ROMEO:\n", api_name="/generate_text")
        text = job.result(timeout=300)
        assert len(text) == 500
        assert len(job.outputs()) > 1
    finally:
        client.close()
        demo.close()


def test_own_text_trains_and_samples_through_the_api(tiny_app, tmp_path):
    from gradio_client import Client, handle_file

    from tests.conftest import make_play_text

    path = tmp_path / "my play.txt"
    text = make_play_text(150, seed=21)
    path.write_text(text, encoding="utf-8")
    # A client of its own: the trained model belongs to the session that trained it.
    client = Client(tiny_app.src, verbose=False)
    try:
        with pytest.raises(AppError, match="Train a model on your text first"):
            client.predict("ROMEO:", 0.8, 50, api_name="/sample_own_model")
        status, _ = client.predict(handle_file(str(path)), 5, api_name="/train_own_model")
        assert status.startswith("Trained for")
        sample, notes = client.predict("ROMEO:\n", 1.0, 200, api_name="/sample_own_model")
        assert len(sample) == 200
        assert set(sample) <= set(text)
        assert notes == ""
        _, notes = client.predict("ROMEO \u2603:", 1.0, 20, api_name="/sample_own_model")
        assert "\u2603" in notes
        # Another session has no model of its own.
        with pytest.raises(AppError, match="Train a model on your text first"):
            tiny_app.predict("ROMEO:", 0.8, 50, api_name="/sample_own_model")
    finally:
        client.close()


def test_own_text_rejects_a_binary_file(tiny_app, tmp_path):
    from gradio_client import handle_file

    path = tmp_path / "photo.txt"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(AppError, match="not UTF-8"):
        tiny_app.predict(handle_file(str(path)), 5, api_name="/train_own_model")
