"""The heap trimmer that returns freed memory to the system."""

import sys
import threading

import pytest

from playground.memory import load_malloc_trim, start_heap_trimmer


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_malloc_trim_is_found_on_linux():
    malloc_trim = load_malloc_trim()
    assert malloc_trim is not None
    assert malloc_trim(0) in (0, 1)


def test_trimmer_runs_and_stops():
    if load_malloc_trim() is None:
        pytest.skip("this C library has no malloc_trim")
    stop = threading.Event()
    thread = start_heap_trimmer(interval_seconds=0.01, stop=stop)
    assert thread is not None
    assert thread.daemon
    assert thread.is_alive()
    stop.set()
    thread.join(timeout=2)
    assert not thread.is_alive()
