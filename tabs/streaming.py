"""Streaming sampled characters to the browser."""

import time
from collections.abc import Iterable, Iterator

# Send the growing text to the browser at most this often; every character
# still arrives, but in small groups instead of one message per character.
STREAM_INTERVAL_SECONDS = 0.03


def growing_text(characters: Iterable[str]) -> Iterator[str]:
    """Yield the text so far every STREAM_INTERVAL_SECONDS, and the whole text at the end."""
    text, last_sent = "", time.monotonic()
    for ch in characters:
        text += ch
        if time.monotonic() - last_sent >= STREAM_INTERVAL_SECONDS:
            last_sent = time.monotonic()
            yield text
    yield text
