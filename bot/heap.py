"""The heap after start-up: what start-up built is set aside from the cyclic collector.

What is imported and built while starting (modules, classes, SQLAlchemy's mappers and cached
statements, the catalogs) lives as long as the process, yet every full collection walks all of
it again: a pause that grows with the program, not with the work. `gc.freeze()` moves it out of
the collector's sight once; what the updates create is collected as before.
"""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect once, then freeze what is left: call when start-up is over."""
    gc.collect()
    gc.freeze()
