"""Waiting, in a plain (non-async) test, for something a real process does."""

from __future__ import annotations

import time


def wait_until(predicate, timeout: float = 60.0, what: str = "condition"):
    """`predicate()`'s first truthy value; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
