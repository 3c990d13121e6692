"""Tab helpers that turn library failures into user-facing messages."""

import logging

import gradio as gr
import pytest

from playground.checkpoint import CheckpointError
from playground.errors import InvalidInputError
from playground.registry import ModelRegistry
from tabs.errors import as_html_paragraph, user_errors
from tests.conftest import tiny_spec


def test_expected_error_becomes_escaped_gr_error():
    with pytest.raises(gr.Error) as error:
        with user_errors():
            raise InvalidInputError("Seed must be a whole number, not '<script>alert(1)</script>'.")
    assert "<script>" not in error.value.message
    assert "&lt;script&gt;" in error.value.message
    assert "'" in error.value.message


def test_checkpoint_error_keeps_its_message():
    with pytest.raises(gr.Error, match="Recreate it with"):
        with user_errors():
            raise CheckpointError("Checkpoint file not found: x.safetensors. Recreate it with: cmd")


def test_unexpected_error_is_logged_not_shown(caplog):
    with caplog.at_level(logging.ERROR):
        with pytest.raises(gr.Error) as error:
            with user_errors():
                raise IndexError("internal detail /srv/secret")
    assert "internal detail" not in error.value.message
    assert "went wrong" in error.value.message
    assert "internal detail" in caplog.text


def test_html_paragraph_escapes_markup():
    html = as_html_paragraph("dropped '<img src=x onerror=alert(1)>' and *stars*")
    assert "<img" not in html
    assert html.startswith("<p>")
    assert as_html_paragraph("") == ""


def test_text_tab_builds_without_loading_models(tiny_checkpoint_dir):
    from app import build_app

    registry = ModelRegistry([tiny_spec()], tiny_checkpoint_dir)
    demo = build_app(registry)
    api_names = [
        dep.get("api_name")
        for dep in demo.config["dependencies"]
        if dep.get("api_visibility", "public") == "public"
    ]
    assert api_names == ["generate_text", "train_own_model", "sample_own_model"]
    assert not registry.is_loaded("tiny")
