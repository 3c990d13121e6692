"""Conversion of the library's expected failures into messages for the user."""

import contextlib
import html
import logging

import gradio as gr

from playground.checkpoint import CheckpointError
from playground.errors import InvalidInputError
from playground.registry import UnknownModelError

logger = logging.getLogger(__name__)

EXPECTED_ERRORS = (InvalidInputError, CheckpointError, UnknownModelError)


def escape_text(text: str) -> str:
    """Escape text for Gradio's HTML rendering; quotes stay readable for API clients."""
    return html.escape(text, quote=False)


def as_html_paragraph(text: str) -> str:
    """Wrap plain text so that gr.Markdown shows it verbatim: no Markdown, escaped HTML."""
    return f"<p>{escape_text(text)}</p>" if text else ""


@contextlib.contextmanager
def user_errors():
    """Re-raise invalid input, unknown models and broken checkpoints as ``gr.Error``.

    Gradio renders an error message as HTML, so the text is escaped because
    it may quote the user's input. Any other exception is a bug: it is logged
    with its traceback, and the user gets a generic message instead.
    """
    try:
        yield
    except gr.Error:
        raise
    except EXPECTED_ERRORS as exc:
        raise gr.Error(escape_text(str(exc)), print_exception=False) from exc
    except Exception as exc:
        logger.exception("unexpected error in a request")
        raise gr.Error(
            "Something went wrong on the server; the error has been logged.", print_exception=False
        ) from exc
