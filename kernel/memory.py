"""Python memory habits for the few district-scale runs done in one process (a school allocation, publishing a
points ranking)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """A run that makes a million objects living until it ends (scores, results, reasons, messages): the cyclic
    garbage collector, which would walk them again and again, waits until then (a third of such a run's CPU,
    docs/PERFORMANCE.md). Reference counting still frees what the run drops."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
