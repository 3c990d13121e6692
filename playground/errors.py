"""Exceptions for bad user input, as opposed to bugs, and the words for their messages."""

import math
from typing import Any

# Quote at most this many characters of a text that arrived in place of another value.
MAX_QUOTED_CHARS = 40


class InvalidInputError(ValueError):
    """A request value that is out of range, of the wrong type or too long, named in the message."""


def describe_json_value(value: Any) -> str:
    """Describe a JSON value in words for a message, quoting at most MAX_QUOTED_CHARS."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "infinity" if value > 0 else "minus infinity"
    if isinstance(value, (int, float)):
        digits = str(value)
        if len(digits) > MAX_QUOTED_CHARS:
            return f"a number with {len(digits)} digits"
        return f"the number {digits}"
    if isinstance(value, str):
        if len(value) > MAX_QUOTED_CHARS:
            return f"the text {value[:MAX_QUOTED_CHARS]!r}… ({len(value):,} characters)"
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list of 1 value" if len(value) == 1 else f"a list of {len(value)} values"
    if isinstance(value, dict):
        return "an object"
    return f"a value of type {type(value).__name__}"
