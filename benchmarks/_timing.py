"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import gc
import time
import tracemalloc
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def interleaved(
    contenders: Mapping[str, Callable[[], Any]],
    repeats: int,
    check: Callable[[str, Any], None] | None = None,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Best wall time (s) and last result of each contender.

    Each repeat runs every contender once, round-robin, so a noisy moment
    on a shared machine hurts all of them alike. Garbage is collected
    before each run, outside the timing. With ``check``, each contender's
    first result goes to ``check(name, result)`` (untimed) and no result
    is kept, to spare memory.
    """
    best = dict.fromkeys(contenders, float("inf"))
    results: dict[str, Any] = {}
    for repeat in range(repeats):
        for name, work in contenders.items():
            results.pop(name, None)
            gc.collect()
            start = time.perf_counter()
            result = work()
            best[name] = min(best[name], time.perf_counter() - start)
            if check is None:
                results[name] = result
            elif repeat == 0:
                check(name, result)
            del result
    return best, results


def peak_traced(work: Callable[[], Any]) -> int:
    """Peak bytes traced by ``tracemalloc`` while ``work`` runs (numpy included)."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def forget_derived(table: object) -> None:
    """Drop the facts a table derived for earlier measurements, if it keeps any."""
    cache = getattr(table, "_cache", None)
    if cache is not None:
        cache.clear()
