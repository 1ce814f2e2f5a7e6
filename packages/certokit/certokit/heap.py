"""The garbage collector of a long-lived service: the startup heap frozen, the young generation larger.

A served process imports FastAPI, SQLAlchemy, pydantic and the product's own modules: about 160,000
objects that live as long as the process. CPython's cycle collector walks them again on every full
collection (80 ms each here), and at its default young threshold (700 allocations) it runs several
times per message, each pass re-walking the survivors of the last. Measured under the load test, the
collector took about a tenth of the bot's CPU (docs/performance.md). Freezing what startup built moves
it out of the collector's sight for good; a larger young generation means fewer passes, each over
objects that have mostly died already (a turn's garbage is freed by reference counting; only cycles
wait for the collector, and they wait a few thousand allocations longer).
"""

from __future__ import annotations

import gc

# Allocations between young collections (CPython: 700), and how many young passes before a middle one
# (10) and middle passes before a full one (10). Full collections still run, over what the process
# built after startup.
THRESHOLDS = (20_000, 20, 20)


def settle() -> None:
    """Call once startup is done: collect what startup left, freeze the rest, widen the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
