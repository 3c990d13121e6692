"""Hostile input to every API endpoint of the app with the shipped checkpoints, as a table.

Each case sends one request and expects either a result of the right type or an
error whose message is a plain sentence naming the problem. Most cases go through
gradio_client. Payloads that gradio_client cannot send as given go straight to
Gradio's HTTP route ``/gradio_api/call/<endpoint>``: NaN and infinity, lone
surrogates, too few inputs, and file objects (gradio_client would upload the
file that they name from the client's own disk). Every case has CASE_TIMEOUT_SECONDS, and after the
table every endpoint must still return a result for a normal request.

Image files that tests/test_captioning_app.py already sends (truncated, empty,
random bytes, a text file, a PNG header claiming 100000 x 100000 pixels, 8 x 8
pixels) are left to that file.
"""

import gzip
import html
import io
import json
import math
import re
import struct
import time
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio.media import get_image
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from playground.captioning.captioner import MAX_BEAM_SIZE
from playground.catalog import build_registry
from playground.handwriting.sampler import MAX_SAMPLING_BIAS
from playground.handwriting.writer import (
    MAX_LINE_SPACING,
    MAX_PAGE_WIDTH,
    MAX_STROKE_WIDTH,
    MAX_TEXT_LENGTH,
    MIN_LINE_SPACING,
    MIN_PAGE_WIDTH,
    MIN_STROKE_WIDTH,
)
from playground.own_text import MAX_TRAINING_SECONDS, MAX_VOCAB_SIZE, MIN_TRAINING_SECONDS
from playground.sampling import MAX_SAMPLE_LENGTH
from playground.sentiment.trace import MAX_REVIEW_LENGTH
from playground.textgen import MAX_PRIME_LENGTH, MAX_SEED, MAX_TEMPERATURE
from tabs.input_checks import FILE_MARKER
from tabs.text_generation import MAX_TOP_K
from tests.conftest import REPO_ROOT, launch_app

CASE_TIMEOUT_SECONDS = 30
SVG = "{http://www.w3.org/2000/svg}"
ONE_MB_TEXT = "All work and no play makes Jack a dull boy.\n" * 23_832  # 1,000,000 characters

# --- Payloads --------------------------------------------------------------------------------

INJECTIONS = {
    "script tag": "<script>alert(1)</script>",
    "img onerror": '<img src=x onerror="alert(1)">',
    "svg onload": "<svg onload=alert(1)>",
    "CDATA end": "text ]]> more ]]>",
    "comment open": "<!-- an unclosed comment",
    "entities": "&entity; &amp; &#0; &#x110000; &lt;b&gt;",
    "svg break-out": "</title></svg><script>alert(1)</script><svg>",
    "style break-out": "</style><style>*{display:none}</style>",
    "attribute break-out": '" onmouseover="alert(1)" x="',
    "javascript URL": "javascript:alert(1)",
    "markdown link": "[click me](javascript:alert(1))",
    "markdown image": "![x](http://127.0.0.1:9/x.png)\n\n# Heading\n\n<b>bold</b>",
}
TEXTS = {
    "empty": "",
    "whitespace only": " \t\n \r\n ",
    "1 MB": ONE_MB_TEXT,
    "NUL and control characters": "NUL\x00 bell\x07 escape\x1b[31m delete\x7f c1\x9f end",
    "right-to-left": "\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 ok",
    "emoji only": "\U0001f600\U0001f44d\U0001f3fd\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "emoji in text": "a good day \U0001f600 for a walk",
    "combining marks": "Z\u0334\u0321\u0348a\u0337l\u0338g\u0336o\u0335 text",
    "lone surrogate": "half \ud800 a pair",
    "zero-width characters": "zero\u200bwidth\u200c join\u200d \ufeffmark",
    "line separators": "line\u2028separator\u2029paragraph\x85next\vtab\fend",
    "long word": "x" * 1500,
    "format strings": "{0} %s %n {__class__} ${HOME}",
    **INJECTIONS,
}
# JSON values that are not text, sent where text belongs.
NOT_TEXT = {
    "number": 12345,
    "float": 1.5,
    "list": ["a", "b"],
    "object": {"a": 1},
    "true": True,
    "huge integer": 10**30,
}
# JSON values that are not numbers, or not finite, sent where a number belongs.
NOT_NUMBERS = {
    "text": "hot",
    "numeric text": "1",
    "list": [1],
    "object": {"value": 1},
    "true": True,
}
NOT_FINITE = {"NaN": math.nan, "infinity": math.inf, "minus infinity": -math.inf}


@dataclass(frozen=True)
class FileRef:
    """A file of the hostile_files fixture, uploaded before the request is sent."""

    name: str


@dataclass(frozen=True)
class Case:
    endpoint: str
    name: str
    args: tuple
    # None: a result is expected. Otherwise fragments of the expected error message.
    error: str | tuple[str, ...] | None
    # Send with httpx to /gradio_api/call/<endpoint> rather than through gradio_client.
    raw: bool = False
    # Send in a session of its own, without the model that trained_session trains.
    new_session: bool = False

    @property
    def id(self) -> str:
        return f"{self.endpoint.strip('/')}: {self.name}"


@dataclass(frozen=True)
class Endpoint:
    """One endpoint's fast valid call and the inputs that the table varies."""

    name: str
    base: tuple
    # Position of the text input, and the error fragment for each TEXTS key that fails.
    text_position: int | None = None
    text_errors: dict[str, str] | None = None
    # The error for None as the text (None: a result is expected).
    none_text_error: str | None = None
    # Position of each number input, with its label and bounds.
    numbers: dict[int, tuple[str, float, float]] | None = None
    # Number inputs that take None ("no value", the random seed).
    optional_numbers: tuple[int, ...] = ()
    # The error for a number out of range, when the handler rather than Gradio checks it.
    range_error: str | None = None
    dropdowns: dict[int, tuple[str, list[str]]] | None = None


def replace(args: tuple, position: int, value) -> tuple:
    return args[:position] + (value,) + args[position + 1 :]


def text_cases(endpoint: Endpoint) -> list[Case]:
    cases = []
    position, errors = endpoint.text_position, endpoint.text_errors or {}
    for name, text in TEXTS.items():
        args = replace(endpoint.base, position, text)
        # httpx, under gradio_client, cannot encode a lone surrogate, but JSON escapes it.
        raw = name == "lone surrogate"
        cases.append(Case(endpoint.name, f"text {name}", args, errors.get(name), raw=raw))
    for name, value in NOT_TEXT.items():
        args = replace(endpoint.base, position, value)
        cases.append(Case(endpoint.name, f"text as {name}", args, "must be a string"))
    args = replace(endpoint.base, position, None)
    cases.append(Case(endpoint.name, "text as null", args, endpoint.none_text_error))
    return cases


def number_cases(endpoint: Endpoint) -> list[Case]:
    cases = []
    for position, (label, low, high) in (endpoint.numbers or {}).items():
        expected = f"{label} must be a number from"
        too_low = endpoint.range_error or "less than minimum"
        too_high = endpoint.range_error or "greater than maximum"
        for name, value in NOT_NUMBERS.items():
            args = replace(endpoint.base, position, value)
            cases.append(Case(endpoint.name, f"{label} as {name}", args, expected))
        # Python's json reads an integer this long, but it exceeds the float range.
        args = replace(endpoint.base, position, 10**400)
        cases.append(Case(endpoint.name, f"{label} beyond the float range", args, too_high))
        for name, value in NOT_FINITE.items():
            args = replace(endpoint.base, position, value)
            cases.append(Case(endpoint.name, f"{label} {name}", args, expected, raw=True))
        cases += [
            Case(
                endpoint.name,
                f"{label} below range",
                replace(endpoint.base, position, low - 1),
                too_low,
            ),
            Case(
                endpoint.name,
                f"{label} above range",
                replace(endpoint.base, position, high + 1),
                too_high,
            ),
            Case(
                endpoint.name,
                f"{label} huge integer",
                replace(endpoint.base, position, 10**30),
                too_high,
            ),
            Case(
                endpoint.name,
                f"{label} huge negative integer",
                replace(endpoint.base, position, -(10**30)),
                too_low,
            ),
        ]
        none_error = None if position in endpoint.optional_numbers else expected
        cases.append(
            Case(
                endpoint.name,
                f"{label} as null",
                replace(endpoint.base, position, None),
                none_error,
            )
        )
    return cases


HOSTILE_CHOICES = {
    "unknown": "no-such-choice",
    "relative path": "../checkpoints/shakespeare",
    "absolute path": "/etc/passwd",
    "empty": "",
    "null": None,
    "number": 5,
    "NUL suffix": "shakespeare\x00",
    "capitalised": "Shakespeare",
    "leading space": " shakespeare",
    "object": {"value": "shakespeare"},
}


def dropdown_cases(endpoint: Endpoint) -> list[Case]:
    cases = []
    for position, (label, choices) in (endpoint.dropdowns or {}).items():
        for name, value in HOSTILE_CHOICES.items():
            args = replace(endpoint.base, position, value)
            cases.append(
                Case(
                    endpoint.name,
                    f"{label} {name}",
                    args,
                    (f"{label}: ", "is not in the list of choices"),
                )
            )
        # A list of one valid choice is still not a choice.
        args = replace(endpoint.base, position, [choices[0]])
        cases.append(
            Case(
                endpoint.name,
                f"{label} list",
                args,
                (f"{label}: a list of 1 value is not", "is not in the list of choices"),
            )
        )
        for choice in choices:
            args = replace(endpoint.base, position, choice)
            cases.append(Case(endpoint.name, f"{label} {choice!r}", args, None))
    return cases


def count_cases(endpoint: Endpoint, takes: str) -> list[Case]:
    """Too few and too many inputs. gradio_client fills in defaults, so too few go raw."""
    name = endpoint.name
    return [
        Case(name, "extra inputs", endpoint.base + ("extra", 7, None), None),
        Case(name, "no inputs, raw", (), takes, raw=True),
    ]


# --- The endpoints ---------------------------------------------------------------------------

TEXT_MODELS = ["shakespeare", "python", "linux-c", "latex"]
GENERATE = Endpoint(
    "/generate_text",
    ("ROMEO:\n", "shakespeare", 0.8, 0, 5, 1),
    text_position=0,
    text_errors={"1 MB": f"the maximum is {MAX_PRIME_LENGTH}"},
    numbers={
        2: ("Temperature", 0, MAX_TEMPERATURE),
        3: ("Top-k", 0, MAX_TOP_K),
        4: ("Length (characters)", 1, MAX_SAMPLE_LENGTH),
        5: ("Seed", -1, MAX_SEED),
    },
    optional_numbers=(5,),
    dropdowns={1: ("Model", TEXT_MODELS)},
)
NO_HANDWRITING = "Type some text to write"
HANDWRITING = Endpoint(
    "/write_handwriting",
    ("Hello, students!", "0", 1.5, 2.0, "#1a2a6c", 3.2, 800, False, 1),
    text_position=0,
    text_errors={
        "empty": NO_HANDWRITING,
        "whitespace only": NO_HANDWRITING,
        "emoji only": NO_HANDWRITING,
        "1 MB": f"the maximum is {MAX_TEXT_LENGTH}",
        "long word": f"the maximum is {MAX_TEXT_LENGTH}",
    },
    none_text_error=NO_HANDWRITING,
    numbers={
        2: ("Legibility", 0, MAX_SAMPLING_BIAS),
        3: ("Stroke width", MIN_STROKE_WIDTH, MAX_STROKE_WIDTH),
        5: ("Line spacing", MIN_LINE_SPACING, MAX_LINE_SPACING),
        6: ("Page width (px)", MIN_PAGE_WIDTH, MAX_PAGE_WIDTH),
        8: ("Seed", -1, MAX_SEED),
    },
    optional_numbers=(8,),
    dropdowns={1: ("Hand", ["0", "1", "2", "3", "4", "5"])},
)
NO_REVIEW = "Enter a review to score"
SCORE = Endpoint(
    "/score_sentiment",
    ("A warm, funny film.",),
    text_position=0,
    text_errors={
        "empty": NO_REVIEW,
        "whitespace only": NO_REVIEW,
        "emoji only": "None of the review's characters are in the model's alphabet",
        "1 MB": f"the maximum is {MAX_REVIEW_LENGTH}",
    },
    none_text_error=NO_REVIEW,
)
WRITE_REVIEW = Endpoint(
    "/write_review",
    ("The film", 1.0, 0.8, 5, 1),
    text_position=0,
    text_errors={"1 MB": f"the maximum is {MAX_REVIEW_LENGTH}"},
    numbers={
        1: ("Sentiment unit", -1, 1),
        2: ("Temperature", 0, MAX_TEMPERATURE),
        3: ("Length (characters)", 1, MAX_SAMPLE_LENGTH),
        4: ("Seed", -1, MAX_SEED),
    },
    optional_numbers=(4,),
)
SAMPLE_OWN = Endpoint(
    "/sample_own_model",
    ("The ", 0.8, 5),
    text_position=0,
    text_errors={"1 MB": f"the maximum is {MAX_PRIME_LENGTH}"},
    numbers={1: ("Temperature", 0, MAX_TEMPERATURE), 2: ("Length (characters)", 1, 5000)},
)
CAPTION = Endpoint(
    "/caption_image",
    (FileRef("photo.png"), 1),
    numbers={1: ("Beam size", 1, MAX_BEAM_SIZE)},
    # The event skips Gradio's preprocessing, so the handler checks the beam size itself.
    range_error=f"Beam size must be a whole number from 1 to {MAX_BEAM_SIZE}",
)
TRAIN = Endpoint(
    "/train_own_model",
    (FileRef("short.txt"), MIN_TRAINING_SECONDS),
    numbers={1: ("Training time (seconds)", MIN_TRAINING_SECONDS, MAX_TRAINING_SECONDS)},
)


def generate_cases() -> list[Case]:
    cases = text_cases(GENERATE) + number_cases(GENERATE) + dropdown_cases(GENERATE)
    cases += count_cases(GENERATE, "takes 6 inputs")
    cases += [
        Case("/generate_text", "prime only", ("ROMEO:\n",), None),
        Case("/generate_text", "one input, raw", ("ROMEO:\n",), "takes 6 inputs", raw=True),
        Case("/generate_text", "all inputs, raw", GENERATE.base, None, raw=True),
        Case("/generate_text", "prime at the limit", ("a" * MAX_PRIME_LENGTH,), None),
        Case(
            "/generate_text",
            "prime over the limit",
            ("a" * (MAX_PRIME_LENGTH + 1),),
            f"the maximum is {MAX_PRIME_LENGTH}",
        ),
        Case("/generate_text", "fractional length", replace(GENERATE.base, 4, 5.5), "whole number"),
    ]
    return cases


def handwriting_cases() -> list[Case]:
    base = HANDWRITING.base
    cases = text_cases(HANDWRITING) + number_cases(HANDWRITING) + dropdown_cases(HANDWRITING)
    cases += count_cases(HANDWRITING, "takes 9 inputs")
    ink_error = "Ink must be a colour"
    cases += [
        Case("/write_handwriting", "text only", ("Hi",), None),
        Case(
            "/write_handwriting",
            "hand as a number",
            replace(base, 1, 0),
            "is not in the list of choices",
        ),
        Case(
            "/write_handwriting",
            "hand by name",
            replace(base, 1, "EMS Tech"),
            "is not in the list of choices",
        ),
        Case("/write_handwriting", "ink short hex", replace(base, 4, "#fff"), None),
        Case("/write_handwriting", "ink rgb", replace(base, 4, "rgb(26, 42, 108)"), None),
        Case("/write_handwriting", "ink not a colour", replace(base, 4, "not a colour"), ink_error),
        Case(
            "/write_handwriting",
            "ink style break-out",
            replace(base, 4, "red;}</style><script>alert(1)</script>"),
            ink_error,
        ),
        Case(
            "/write_handwriting", "ink url", replace(base, 4, "url(javascript:alert(1))"), ink_error
        ),
        Case("/write_handwriting", "ink empty", replace(base, 4, ""), ink_error),
        Case(
            "/write_handwriting", "ink as a number", replace(base, 4, 123), "Ink must be a string"
        ),
        Case("/write_handwriting", "ink as null", replace(base, 4, None), (ink_error, "not null.")),
        Case("/write_handwriting", "animate", replace(base, 7, True), None),
        Case("/write_handwriting", "animate as text", replace(base, 7, "yes"), "true or false"),
        Case("/write_handwriting", "animate as 1", replace(base, 7, 1), "true or false"),
        Case("/write_handwriting", "animate as null", replace(base, 7, None), "true or false"),
        Case("/write_handwriting", "animate as list", replace(base, 7, [True]), "true or false"),
        Case(
            "/write_handwriting",
            "text at the limit",
            replace(base, 0, "ab " * (MAX_TEXT_LENGTH // 3)),
            None,
        ),
        Case(
            "/write_handwriting",
            "one long word",
            replace(base, 0, "x" * MAX_TEXT_LENGTH),
            None,
        ),
        Case("/write_handwriting", "one input, raw", ("Hi",), "takes 9 inputs", raw=True),
    ]
    return cases


NOT_UPLOADED = "names no file uploaded to this app"
NOT_A_FILE = "must be a file uploaded with gradio_client.handle_file(path)"
NOT_AN_IMAGE = "not an image"


def caption_cases() -> list[Case]:
    base = CAPTION.base
    cases = number_cases(CAPTION) + count_cases(CAPTION, "takes 2 inputs")

    def image(name: str, value, error: str | None, raw: bool = False) -> Case:
        return Case("/caption_image", f"image {name}", replace(base, 0, value), error, raw=raw)

    cases += [
        Case("/caption_image", "image only", (FileRef("photo.png"),), None),
        image("with a hostile file name", FileRef("<img src=x onerror=alert(1)>.png"), None),
        image("SVG with a script", FileRef("drawing.svg"), NOT_AN_IMAGE),
        image("HTML named .png", FileRef("page.png"), NOT_AN_IMAGE),
        image("PDF", FileRef("document.pdf"), NOT_AN_IMAGE),
        image("ZIP archive", FileRef("archive.zip"), NOT_AN_IMAGE),
        image("GIF header only", FileRef("header.gif"), NOT_AN_IMAGE),
        image("decompression bomb", FileRef("bomb.png"), "too large to decode"),
        image("12000 x 200 pixels", FileRef("wide.png"), None),
        image("long strip", FileRef("strip.png"), "at most 64 times its shorter side"),
        image("16-bit grayscale", FileRef("deep.png"), None),
        image("as text", "abc", NOT_A_FILE),
        image("as a path text", "/etc/passwd", NOT_A_FILE),
        image("as a number", 5, NOT_A_FILE),
        image("as true", True, NOT_A_FILE),
        image("as a list", [FileRef("photo.png")], NOT_A_FILE),
        image("as null", None, "Upload an image first"),
        image("empty object", {}, NOT_A_FILE, raw=True),
        image("server path", {"path": "/etc/passwd"}, NOT_A_FILE, raw=True),
        image("device path", {"path": "/dev/zero"}, NOT_A_FILE, raw=True),
        image(
            "marked server path", {"path": "/etc/passwd", "meta": FILE_MARKER}, NOT_UPLOADED, True
        ),
        image("marked device", {"path": "/dev/zero", "meta": FILE_MARKER}, NOT_UPLOADED, True),
        image("marked folder", {"path": "/tmp", "meta": FILE_MARKER}, NOT_UPLOADED, True),
        image(
            "marked dot-dot path",
            {"path": "../../../../../../etc/passwd", "meta": FILE_MARKER},
            NOT_UPLOADED,
            True,
        ),
        image(
            "marked loopback URL",
            {"path": "http://127.0.0.1:9/x.png", "meta": FILE_MARKER},
            NOT_UPLOADED,
            True,
        ),
        image(
            "marked data URL",
            {"url": "data:image/png;base64,iVBORw0KGgo=", "meta": FILE_MARKER},
            NOT_A_FILE,
            True,
        ),
        image("marked number path", {"path": 5, "meta": FILE_MARKER}, NOT_A_FILE, True),
        image("marked empty path", {"path": "", "meta": FILE_MARKER}, NOT_A_FILE, True),
        image(
            "marked NUL path", {"path": "/tmp/x\x00.png", "meta": FILE_MARKER}, NOT_UPLOADED, True
        ),
        Case("/caption_image", "one input, raw", ("abc",), "takes 2 inputs", raw=True),
    ]
    return cases


def score_cases() -> list[Case]:
    cases = text_cases(SCORE) + count_cases(SCORE, "takes 1 input (Review)")
    cases += [
        Case("/score_sentiment", "review at the limit", ("good " * 1000,), None),
        Case(
            "/score_sentiment",
            "review over the limit",
            ("good " * 1000 + "!",),
            f"the maximum is {MAX_REVIEW_LENGTH}",
        ),
        Case(
            "/score_sentiment",
            "injection among words",
            ("A <b>great</b> film <script>alert(1)</script> &amp; more",),
            None,
        ),
        Case("/score_sentiment", "markup only", ("<br><hr><p></p>",), None),
        Case("/score_sentiment", "punctuation only", ("!!! ??? ...",), None),
        Case("/score_sentiment", "line breaks only", ("\n\r\n\n",), NO_REVIEW),
        Case("/score_sentiment", "words inside an override", ("\u202egood film\u202c",), None),
        Case("/score_sentiment", "extra inputs, raw", ("A film", "x", 3), None, raw=True),
    ]
    return cases


def write_review_cases() -> list[Case]:
    cases = text_cases(WRITE_REVIEW) + number_cases(WRITE_REVIEW)
    cases += count_cases(WRITE_REVIEW, "takes 5 inputs")
    cases += [
        Case("/write_review", "opening only", ("The film",), None),
        Case("/write_review", "one input, raw", ("The film",), "takes 5 inputs", raw=True),
    ]
    return cases


def sample_own_cases() -> list[Case]:
    cases = text_cases(SAMPLE_OWN) + number_cases(SAMPLE_OWN)
    cases += count_cases(SAMPLE_OWN, "takes 3 inputs")
    cases += [
        Case("/sample_own_model", "prime only", ("The ",), None),
        Case("/sample_own_model", "one input, raw", ("The ",), "takes 3 inputs", raw=True),
        Case(
            "/sample_own_model",
            "new session, raw",
            SAMPLE_OWN.base,
            "Train a model on your text first",
            raw=True,
            new_session=True,
        ),
        Case(
            "/sample_own_model",
            "new session",
            SAMPLE_OWN.base,
            "Train a model on your text first",
            new_session=True,
        ),
    ]
    return cases


NO_UPLOAD = "Upload a UTF-8 text file"


def train_cases() -> list[Case]:
    base = TRAIN.base
    cases = number_cases(TRAIN)

    def text_file(name: str, value, error: str, raw: bool = False) -> Case:
        return Case("/train_own_model", f"file {name}", replace(base, 0, value), error, raw=raw)

    cases += [
        # A short file fails fast, so these show that extra inputs are ignored, not fatal.
        Case("/train_own_model", "extra inputs", base + ("extra", 7, None), "at least 200"),
        Case("/train_own_model", "no inputs, raw", (), "takes 2 inputs", raw=True),
        Case("/train_own_model", "one input, raw", (None,), "takes 2 inputs", raw=True),
        text_file("short", FileRef("short.txt"), "at least 200"),
        text_file("empty", FileRef("empty.txt"), "at least 200"),
        text_file("only NUL bytes", FileRef("nul.txt"), "at least 200"),
        text_file("binary", FileRef("photo.png"), "not UTF-8"),
        text_file("UTF-16", FileRef("utf16.txt"), "not UTF-8"),
        text_file("over 2 MB", FileRef("big.txt"), "the limit is 2,000,000 bytes"),
        text_file("as text", "abc", NOT_A_FILE),
        text_file("as 1 MB of text", ONE_MB_TEXT, NOT_A_FILE),
        text_file("as a number", 5, NOT_A_FILE),
        text_file("as a list", [FileRef("short.txt")], NOT_A_FILE),
        text_file("as null", None, NO_UPLOAD),
        text_file("server path", {"path": "/etc/passwd"}, NOT_A_FILE, raw=True),
        text_file(
            "marked server path", {"path": "/etc/passwd", "meta": FILE_MARKER}, NOT_UPLOADED, True
        ),
        text_file(
            "marked device", {"path": "/dev/urandom", "meta": FILE_MARKER}, NOT_UPLOADED, True
        ),
        text_file(
            "marked dot-dot path",
            {"path": "../../../../../../etc/passwd", "meta": FILE_MARKER},
            NOT_UPLOADED,
            True,
        ),
        text_file(
            "marked loopback URL",
            {"path": "http://127.0.0.1:9/poem.txt", "meta": FILE_MARKER},
            NOT_UPLOADED,
            True,
        ),
        text_file("empty object", {}, NOT_A_FILE, raw=True),
        text_file("as an object", {"a": 1}, NOT_A_FILE),
        text_file("as true", True, NOT_A_FILE),
        text_file("as a float", 1.5, NOT_A_FILE),
        text_file("spaces only", FileRef("spaces.txt"), "at least 200"),
        text_file("control characters only", FileRef("controls.txt"), "at least 200"),
        text_file("Latin-1", FileRef("latin1.txt"), "not UTF-8"),
        text_file("gzip", FileRef("poem.txt.gz"), "not UTF-8"),
        text_file("SVG with a script", FileRef("drawing.svg"), "at least 200"),
        text_file(
            "with a hostile file name", FileRef("<img src=x onerror=alert(2)>.txt"), "at least 200"
        ),
        text_file("one byte over 2 MB", FileRef("over.txt"), "the limit is 2,000,000 bytes"),
    ]
    return cases


CASES = (
    generate_cases()
    + handwriting_cases()
    + caption_cases()
    + score_cases()
    + write_review_cases()
    + sample_own_cases()
    + train_cases()
)
ENDPOINTS = [
    "/generate_text",
    "/write_handwriting",
    "/caption_image",
    "/score_sentiment",
    "/write_review",
    "/sample_own_model",
    "/train_own_model",
]


def test_every_endpoint_has_forty_cases():
    for endpoint in ENDPOINTS:
        assert sum(case.endpoint == endpoint for case in CASES) >= 40, endpoint


def test_every_api_endpoint_is_in_the_table(shipped_app):
    _, client, _ = shipped_app
    named = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert sorted(named) == sorted(ENDPOINTS)


# --- Files -----------------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb(side: int) -> bytes:
    """Return a real PNG of side x side black 1-bit pixels: a few kB that decode to side² pixels."""
    row = b"\x00" * (1 + side // 8)  # the filter byte, then side bits of zeros
    pixels = zlib.compress(row * side, 9)
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def hostile_file_contents() -> dict[str, bytes]:
    photo = Path(get_image("cheetah.jpg"))
    small_photo = png_bytes(Image.open(photo).convert("RGB").resize((96, 64)))
    poem = "Shall I compare thee to a summer's day? Thou art more lovely and more temperate.\n"
    return {
        "photo.png": small_photo,
        "<img src=x onerror=alert(1)>.png": small_photo,
        "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "page.png": b"<html><body><script>alert(1)</script></body></html>",
        "document.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        "archive.zip": b"PK\x05\x06" + b"\x00" * 18,
        "header.gif": b"GIF89a\x40\x00\x40\x00\x80\x00\x00",
        "bomb.png": decompression_bomb(30_000),
        "wide.png": png_bytes(Image.new("RGB", (12_000, 200), "white")),
        "strip.png": png_bytes(Image.new("RGB", (4096, 16), "white")),
        "deep.png": png_bytes(Image.new("I;16", (64, 48), 40000)),
        "short.txt": b"Too short to train on.\n",
        "empty.txt": b"",
        "nul.txt": b"\x00" * 1000,
        "utf16.txt": (poem * 5).encode("utf-16"),
        "big.txt": b"a" * 3_000_000,
        "over.txt": b"a" * 2_000_001,
        "spaces.txt": b" " * 1000,
        "controls.txt": bytes(range(1, 9)) * 100,
        "latin1.txt": (poem * 5).replace("summer", "\u00e9t\u00e9").encode("latin-1"),
        "poem.txt.gz": gzip.compress((poem * 5).encode()),
        "<img src=x onerror=alert(2)>.txt": b"Too short to train on.\n",
    }


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile_files")
    paths = {}
    for name, content in hostile_file_contents().items():
        paths[name] = folder / name
        paths[name].write_bytes(content)
    return paths


def hostile_training_text() -> str:
    """Return a text whose markup characters head the status line's list of dropped ones.

    The own-text model keeps the MAX_VOCAB_SIZE most frequent characters and lists
    the others, most frequent first. Here the kept ones are the pangram's and enough
    Cyrillic letters, ten times each. The markup comes next (two to six times), then
    more Cyrillic letters and the rest, once each.
    """
    pangram = "The quick brown fox jumps over the lazy dog. " * 20
    cyrillic = [chr(code) for code in range(0x400, 0x500)]
    kept = MAX_VOCAB_SIZE - len(set(pangram))
    return (
        pangram
        + "".join(cyrillic[:kept]) * 10
        + '<img src=x onerror="alert(1)"> & ' * 3
        + "".join(cyrillic[kept : kept + 50])
        + " \u202e \U0001f600\n"
    )


@pytest.fixture(scope="module")
def shipped_app():
    demo, client = launch_app(build_registry())
    yield demo, client, demo.local_url
    client.close()
    demo.close()


@pytest.fixture(scope="module")
def trained_session(shipped_app, tmp_path_factory):
    """Train the session's own model once, on a file full of markup, so that sampling works."""
    _, client, _ = shipped_app
    path = tmp_path_factory.mktemp("own_text") / "hostile.txt"
    path.write_text(hostile_training_text(), encoding="utf-8")
    status, _ = client.predict(
        handle_file(str(path)), MIN_TRAINING_SECONDS, api_name="/train_own_model"
    )
    assert status.startswith("Trained for")
    assert_safe_markup(status, allowed_tags=set())
    assert "&lt;" in status
    assert "&amp;" in status
    return client


# --- Checks ----------------------------------------------------------------------------------

TAG = re.compile(r"<\s*/?\s*([A-Za-z][\w:.-]*)([^>]*)>")
EVENT_HANDLER = re.compile(r"\bon[a-z]+\s*=", re.IGNORECASE)


def assert_safe_markup(markup: str, allowed_tags: set[str]) -> None:
    """Check HTML for live script: only the allowed tags, no handlers, no javascript: links."""
    assert "<script" not in markup.lower()
    for name, attributes in TAG.findall(markup):
        assert name.lower() in allowed_tags, f"unexpected <{name}> tag"
        assert not EVENT_HANDLER.search(attributes), f"event handler in <{name}{attributes}>"
        assert "javascript:" not in attributes.lower()


def assert_safe_note(note: str) -> None:
    """A Markdown note is empty or one escaped <p> block, so no Markdown inside it is read.

    Markdown renderers treat everything from <p> to the next blank line as raw HTML.
    """
    assert isinstance(note, str)
    if not note:
        return
    assert note.startswith("<p>")
    assert note.endswith("</p>")
    assert not re.search(r"\n[ \t]*\n", note)
    assert_safe_markup(note, allowed_tags={"p"})


def assert_safe_svg(svg: str) -> ET.Element:
    """Parse an SVG document and check that it contains no script or event handler."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    for element in root.iter():
        assert element.tag not in (f"{SVG}script", f"{SVG}foreignObject", f"{SVG}a")
        for attribute, value in element.attrib.items():
            assert not attribute.lower().startswith("on"), attribute
            assert "javascript:" not in value.lower()
    assert "<script" not in svg.lower()
    return root


def check_generated_text(result, args) -> None:
    assert isinstance(result, str)
    length = args[4] if len(args) > 4 else 500
    assert len(result) == length


def check_handwriting(result, args) -> None:
    svg, download, notes = result
    root = assert_safe_svg(svg)
    text = args[0]
    # Markup typed as text shows up only as the page's escaped title.
    if any(mark in text for mark in "<&") and text.isprintable():
        assert text not in svg
        assert root.find(f"{SVG}title").text == text.strip()
    assert isinstance(download, str)
    assert download.endswith(".svg")
    assert_safe_note(notes)


def check_caption(result, args) -> None:
    caption, alternatives, gallery, labels = result
    assert isinstance(caption, str)
    assert caption.strip()
    assert_safe_markup(caption, allowed_tags=set())
    assert alternatives["headers"] == ["caption", "log-probability", "per word"]
    assert isinstance(gallery, list)
    assert isinstance(labels["label"], str)


def check_score(result, args) -> None:
    label, gauge, trace, plot, notes = result
    assert label["label"] in ("positive", "negative")
    assert_safe_svg(gauge)
    assert_safe_markup(trace, allowed_tags={"p", "div", "span", "br"})
    review = args[0]
    if "<" in review:
        assert review not in trace
    assert plot["columns"] == ["character", "probability positive"]
    assert_safe_note(notes)


def check_written_review(result, args) -> None:
    assert isinstance(result, str)
    length = args[3] if len(args) > 3 else 400
    assert len(result) == length


def check_own_sample(result, args) -> None:
    text, notes = result
    assert isinstance(text, str)
    length = args[2] if len(args) > 2 else 500
    assert len(text) == length
    assert_safe_note(notes)


CHECKERS: dict[str, Callable[[Any, tuple], None]] = {
    "/generate_text": check_generated_text,
    "/write_handwriting": check_handwriting,
    "/caption_image": check_caption,
    "/score_sentiment": check_score,
    "/write_review": check_written_review,
    "/sample_own_model": check_own_sample,
}
DEVELOPER_TEXT = [
    "Traceback",
    'File "',
    "<gradio.",
    " object at 0x",
    "0x7f",
    "validation error",
    "pydantic",
    "Could not preprocess",
    "site-packages",
    "<class ",
    "Exception",
    str(REPO_ROOT),
    "NoneType",
    "not None.",
]


def assert_plain_sentence(message: str, upload_folder: str) -> None:
    """Check that an error message reads as a sentence for a user, not a developer."""
    assert message.strip()
    for fragment in DEVELOPER_TEXT + [upload_folder]:
        assert fragment not in message
    assert message[0].isupper()
    assert message.rstrip()[-1] in ".?!"
    assert_safe_markup(message, allowed_tags=set())


# --- Sending ---------------------------------------------------------------------------------


def upload_raw(base_url: str, path: Path) -> dict:
    """Upload a file the way the browser does; return the file object that names it."""
    with open(path, "rb") as file:
        response = httpx.post(
            f"{base_url}gradio_api/upload", files={"files": (path.name, file)}, timeout=30
        )
    response.raise_for_status()
    (server_path,) = response.json()
    return {"path": server_path, "orig_name": path.name, "meta": FILE_MARKER}


def resolve(value, files: dict[str, Path], base_url: str | None = None):
    """Replace FileRefs by file objects: for gradio_client to upload, or uploaded already."""
    if isinstance(value, FileRef):
        path = files[value.name]
        return upload_raw(base_url, path) if base_url else handle_file(str(path))
    if isinstance(value, (list, tuple)):
        return type(value)(resolve(item, files, base_url) for item in value)
    return value


def call_raw(
    base_url: str, endpoint: str, args: tuple, session_hash: str | None = None
) -> tuple[str, Any]:
    """POST to Gradio's /call route and read its event stream; return (event, data)."""
    # json.dumps writes NaN and Infinity, which gradio_client refuses to send.
    body = json.dumps({"data": list(args), "session_hash": session_hash})
    url = f"{base_url}gradio_api/call{endpoint}"
    posted = httpx.post(
        url,
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=CASE_TIMEOUT_SECONDS,
    )
    assert posted.status_code == 200, posted.text
    event_id = posted.json()["event_id"]
    event, data = None, None
    with httpx.stream("GET", f"{url}/{event_id}", timeout=CASE_TIMEOUT_SECONDS) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line.removeprefix("data:"))
                break
    if event == "error":
        return "error", data["error"]
    assert event == "complete", f"the stream ended with {event!r}"
    # gradio_client returns a file output as its local path, but the route sends a file object.
    outputs = [item["path"] if isinstance(item, dict) and "path" in item else item for item in data]
    return "complete", outputs[0] if len(outputs) == 1 else tuple(outputs)


def send(client, base_url: str, case: Case, args: tuple) -> tuple[str, Any]:
    if case.raw:
        session_hash = None if case.new_session else client.session_hash
        return call_raw(base_url, case.endpoint, args, session_hash)
    job = client.submit(*args, api_name=case.endpoint)
    try:
        return "complete", job.result(timeout=CASE_TIMEOUT_SECONDS)
    except AppError as error:
        return "error", str(error)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input(shipped_app, hostile_files, request, case):
    demo, client, base_url = shipped_app
    if case.new_session:
        client = Client(base_url, verbose=False)
        request.addfinalizer(client.close)
    elif case.endpoint == "/sample_own_model":
        client = request.getfixturevalue("trained_session")
    args = resolve(case.args, hostile_files, base_url if case.raw else None)
    start = time.monotonic()
    outcome, value = send(client, base_url, case, args)
    elapsed = time.monotonic() - start
    assert elapsed < CASE_TIMEOUT_SECONDS
    if case.error is None:
        assert outcome == "complete", value
        CHECKERS[case.endpoint](value, case.args)
    else:
        assert outcome == "error", f"expected an error, got {value!r:.300}"
        assert_plain_sentence(value, upload_folder=demo.GRADIO_CACHE)
        fragments = (case.error,) if isinstance(case.error, str) else case.error
        for fragment in fragments:
            assert html.escape(fragment, quote=False) in value


# --- Notes from the private events behind the text panels ------------------------------------


def run_private_event(demo, base_url: str, function_name: str, data: list) -> list:
    """Run an event that gradio_client may not call, the way the browser does."""
    fn_index = next(fn._id for fn in demo.fns.values() if fn.name == function_name)
    session = f"hostile-{function_name}"
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None}
    joined = httpx.post(f"{base_url}gradio_api/queue/join", json=body, timeout=10)
    assert joined.status_code == 200, joined.text
    with httpx.stream(
        "GET",
        f"{base_url}gradio_api/queue/data",
        params={"session_hash": session},
        timeout=CASE_TIMEOUT_SECONDS,
    ) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line.removeprefix("data:"))
            if message.get("msg") == "process_completed":
                assert message["success"], message
                return message["output"]["data"]
    raise AssertionError(f"{function_name} sent no process_completed message")


@pytest.mark.parametrize("payload", list(INJECTIONS.values()), ids=list(INJECTIONS))
def test_prime_notes_escape_markup(shipped_app, payload):
    demo, _, base_url = shipped_app
    # The Shakespeare model has no brackets, so the markup characters are listed as dropped.
    (note,) = run_private_event(demo, base_url, "describe_prime", [payload, "shakespeare"])
    assert_safe_note(note)


@pytest.mark.parametrize("payload", list(INJECTIONS.values()), ids=list(INJECTIONS))
def test_opening_notes_escape_markup(shipped_app, payload):
    demo, _, base_url = shipped_app
    (note,) = run_private_event(demo, base_url, "describe_opening", [payload])
    assert_safe_note(note)


def test_opening_notes_name_replaced_and_dropped_characters(shipped_app):
    demo, _, base_url = shipped_app
    # The review model has no "\ufb01" ligature, which decomposes to "fi", and no snowman.
    (note,) = run_private_event(demo, base_url, "describe_opening", ["\ufb01ne \u2603 film"])
    assert "'\ufb01' → 'fi'" in note
    assert "dropped '\u2603'" in note


# --- Afterwards ------------------------------------------------------------------------------


def test_app_still_serves_every_endpoint(shipped_app, trained_session, hostile_files):
    demo, client, _ = shipped_app
    photo = handle_file(str(hostile_files["photo.png"]))
    normal = {
        "/generate_text": GENERATE.base,
        "/write_handwriting": HANDWRITING.base,
        "/caption_image": (photo, 1),
        "/score_sentiment": SCORE.base,
        "/write_review": WRITE_REVIEW.base,
        "/sample_own_model": SAMPLE_OWN.base,
    }
    for endpoint, args in normal.items():
        CHECKERS[endpoint](client.predict(*args, api_name=endpoint), args)
    assert demo.is_running
