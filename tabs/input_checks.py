"""Checks of the raw values that a request sends, before Gradio's components preprocess them.

A browser always sends each component's own kind of value, but an API client
can send any JSON. Gradio 6.31 replies to a wrong kind of value with a message
meant for the app's developer. Text for a slider gets "Could not preprocess
input component at index 2 ...", text for a file gets a pydantic validation
dump, and too few values get the components' object reprs. A Textbox turns a
number or a list into text without a word. ``CheckedBlocks`` checks every
event's raw values first and rejects a wrong one with a sentence that names
the input. Range checks stay with Gradio, whose message gives the bound
("Value 6 is greater than maximum value 5.").
"""

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from playground.errors import InvalidInputError, describe_json_value
from tabs.errors import user_errors

# List at most this many of a dropdown's choices in a message.
MAX_LISTED_CHOICES = 12
# gradio_client.handle_file() and the browser mark an uploaded file this way.
FILE_MARKER = {"_type": "gradio.FileData"}


def format_bound(value: float) -> str:
    """Write a slider or number bound as an integer when it is whole (5000, not 5000.0)."""
    return str(int(value)) if float(value).is_integer() else str(value)


def is_finite_number(value: Any) -> bool:
    # JSON has no separate boolean-as-number, but Python's bool is an int subclass.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    # math.isfinite() would raise OverflowError for an int beyond the float range.
    return isinstance(value, int) or math.isfinite(value)


def input_name(component: gr.components.Component, position: int) -> str:
    return component.label or f"Input {position + 1}"


def check_number(component: gr.Slider | gr.Number, name: str, value: Any) -> None:
    # A Number box may be left empty, which makes the seed random, but a slider always has a value.
    if value is None and isinstance(component, gr.Number):
        return
    if is_finite_number(value):
        return
    low, high = component.minimum, component.maximum
    if low is not None and high is not None:
        expected = f"a number from {format_bound(low)} to {format_bound(high)}"
    else:
        expected = "a finite number"
    raise InvalidInputError(f"{name} must be {expected}, not {describe_json_value(value)}.")


def check_text(name: str, value: Any) -> None:
    # None is Gradio's "no value", and each handler decides what an absent text means.
    if value is None or isinstance(value, str):
        return
    raise InvalidInputError(f"{name} must be a string, not {describe_json_value(value)}.")


def check_checkbox(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be true or false, not {describe_json_value(value)}.")


def check_choice(component: gr.Dropdown, name: str, value: Any) -> None:
    values = [choice_value for _, choice_value in component.choices]
    # Compare types too: True == 1 and 1 == 1.0 in Python, but they are different JSON values.
    if any(type(value) is type(choice) and value == choice for choice in values):
        return
    listed = ", ".join(repr(choice) for choice in values[:MAX_LISTED_CHOICES])
    if len(values) > MAX_LISTED_CHOICES:
        listed += ", …"
    raise InvalidInputError(
        f"{name}: {describe_json_value(value)} is not in the list of choices ({listed})."
    )


def is_inside(path: str, folder: str) -> bool:
    """Return whether ``path``, with links and ".." resolved, lies inside ``folder``."""
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError, ValueError):
        # An unreadable link chain, a loop of links or a NUL in the path.
        return False


def check_file(component: gr.Image | gr.File, name: str, value: Any) -> None:
    if value is None:
        return
    expected = f"{name} must be a file uploaded with gradio_client.handle_file(path)"
    if not isinstance(value, dict):
        raise InvalidInputError(f"{expected}, not {describe_json_value(value)}.")
    path = value.get("path")
    if value.get("meta") != FILE_MARKER or not isinstance(path, str) or not path:
        raise InvalidInputError(
            f'{expected}, but the object sent lacks a "path" text or the file marker "meta": '
            '{"_type": "gradio.FileData"}.'
        )
    # Gradio would download a URL given as the path, but the app takes only uploaded files.
    if not is_inside(path, component.GRADIO_CACHE):
        raise InvalidInputError(
            f"{expected}, but the path sent names no file uploaded to this app."
        )


def check_value(component: gr.components.Component, name: str, value: Any) -> None:
    """Raise InvalidInputError when ``value`` is not the kind of JSON value ``component`` takes.

    Components that this app does not use as inputs are not checked.
    """
    if isinstance(component, (gr.Slider, gr.Number)):
        check_number(component, name, value)
    elif isinstance(component, (gr.Textbox, gr.ColorPicker)):
        check_text(name, value)
    elif isinstance(component, gr.Checkbox):
        check_checkbox(name, value)
    elif (
        isinstance(component, gr.Dropdown)
        and not component.multiselect
        and not component.allow_custom_value
    ):
        check_choice(component, name, value)
    elif isinstance(component, (gr.Image, gr.File)):
        check_file(component, name, value)


def check_input_count(
    event: str | None, components: Sequence[gr.components.Component], values: Sequence[Any]
) -> None:
    """Raise InvalidInputError when a request sends fewer values than the event has inputs."""
    if len(values) >= len(components):
        return
    subject = f"The /{event} endpoint" if event else "This event"
    # Gradio keeps session state itself, but some routes still expect a null in its place.
    named = [
        input_name(component, position)
        for position, component in enumerate(components)
        if not isinstance(component, gr.State)
    ]
    inputs = "1 input" if len(named) == 1 else f"{len(named)} inputs"
    if len(values) < len(named):
        raise InvalidInputError(
            f"{subject} takes {inputs} ({', '.join(named)}), but the request sent "
            f"{len(values)}. Send all of them, or call it with gradio_client, which fills in "
            "the defaults."
        )
    raise InvalidInputError(
        f"{subject} takes {inputs} and the session's state, but the request sent "
        f"{len(values)} values. Send null in place of the state."
    )


def check_raw_inputs(
    event: str | None, components: Sequence[gr.components.Component], values: Sequence[Any]
) -> None:
    """Raise InvalidInputError for too few values, or for a value of the wrong kind."""
    check_input_count(event, components, values)
    for position, (component, value) in enumerate(zip(components, values)):
        if not isinstance(component, gr.State):
            check_value(component, input_name(component, position), value)


class CheckedBlocks(gr.Blocks):
    """``gr.Blocks`` whose events reject wrong raw values with a message for the user.

    Gradio 6.31 calls ``Blocks.validate_inputs`` with every request's raw values,
    before any component preprocesses them, and only checks their count there.
    This subclass runs ``check_raw_inputs`` first.

    NOTE: ``validate_inputs`` is not a documented hook. If a later Gradio stops
    calling it, tests/test_hostile_input.py fails.
    """

    def validate_inputs(self, block_fn, inputs: list[Any]) -> None:
        with user_errors():
            check_raw_inputs(block_fn.api_name, block_fn.inputs, inputs)
        super().validate_inputs(block_fn, inputs)
