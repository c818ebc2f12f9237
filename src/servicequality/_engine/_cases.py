"""Cases: which conversations are about the same customer problem.

A case is ``case_id`` where given; otherwise a chain of conversations by the
same customer on the same topic, each opened within ``window`` of the
previous one. A stable radix sort by key does the work (rows already in
time order need no more; others sort a packed key of customer, topic and
coarse time).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality._engine._grouping import BLOCK, available_cores, in_halves
from servicequality._errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

    from servicequality._table import ConversationTable

__all__ = ["Cases", "derive_cases", "radix_order"]


@attrs.frozen(kw_only=True, eq=False)
class Cases:
    """Per-conversation case facts, aligned with the table rows.

    Attributes:
        first: Whether the row is the first conversation of its case.
        size: Number of conversations in the row's case.
    """

    first: NDArray[np.bool_]
    size: NDArray[np.integer[Any]]


_Packed = tuple["NDArray[np.int64]", int, int]
_TIME_BITS = 12
"""The fewest bits of coarse time packed with a key."""


def _pack(keys: NDArray[np.int64], times: NDArray[np.int64]) -> _Packed | None:
    """``key << bits | coarse time``, filling whole 16-bit digits, with the unit.

    The coarse time gets the bits left in the last 16-bit digit the key
    needs (at least 12, at most 62 in all), in a power-of-two unit of µs:
    rows tied at that unit are rare and sorted exactly afterwards. Returns
    the packed keys, the number of time bits and the unit, or ``None`` for
    keys wider than 50 bits.
    """
    key_bits = int(keys.max()).bit_length()
    if key_bits + _TIME_BITS > 62:
        return None
    span = times - times.min()
    budget = min(16 * -(-(key_bits + _TIME_BITS) // 16), 62) - key_bits
    shift = max(int(span.max()).bit_length() - budget, 0)
    bits = int((span >> shift).max()).bit_length()
    return (keys.astype(np.int64) << bits) | (span >> shift), bits, 1 << shift


def radix_order(values: NDArray[np.int64], bits: int) -> NDArray[np.intp]:
    """A stable order of non-negative ``values`` below ``2**bits``.

    Least-significant-digit radix sort in 16-bit digits: ``np.lexsort`` sorts
    16-bit keys with numpy's radix sort, one linear pass per digit, and rows
    with equal values keep their input order.
    """
    digits = [
        ((values >> shift) & 0xFFFF).astype(np.uint16)
        for shift in range(0, max(bits, 1), 16)
    ]
    order: NDArray[np.intp] = np.lexsort(digits)
    return order


def _in_time_order(times: NDArray[np.int64], ids: NDArray[Any]) -> bool:
    """Whether rows already come by opening time, ties by id (as logs do)."""
    later = times[1:] >= times[:-1]
    if not later.all():
        return False
    tied = np.flatnonzero(times[1:] == times[:-1])
    return bool((ids[tied + 1] > ids[tied]).all())


_BLOCK = BLOCK
"""Rows per block when case starts are read (gathered keys stay in cache)."""
_PARALLEL_ROWS = 1 << 20
"""From this many rows, reads and writes in sorted order run on two threads."""


def _starts(
    order: NDArray[np.intp],
    keys: NDArray[np.integer[Any]],
    times: NDArray[np.int64],
    chained_from: int,
    limit: int,
) -> NDArray[np.bool_]:
    """Where a new case starts among the rows taken in ``order`` (key, time).

    The rows are read block by block, each block with the row before it;
    opening times are read only where a chained key repeats.
    """
    new = np.empty(len(order), dtype=bool)

    def blocks(part: slice) -> None:
        for start in range(part.start, part.stop, _BLOCK):
            rows = order[max(start - 1, 0) : min(start + _BLOCK, part.stop)]
            key = keys[rows]
            step = key[1:] != key[:-1]
            chained = np.flatnonzero(~step & (key[1:] >= chained_from))
            step[chained] = times[rows[chained + 1]] - times[rows[chained]] > limit
            if start == 0:
                new[0] = True
                new[1 : len(rows)] = step
            else:
                new[start : start + len(step)] = step

    _in_halves(len(order), blocks)
    return new


def _in_halves(size: int, work: Callable[[slice], None]) -> None:
    """``work`` on two halves, on two threads from a million rows (two cores)."""
    if size < _PARALLEL_ROWS or available_cores() < 2:
        in_halves(size, work, None)
        return
    with ThreadPoolExecutor(2) as pool:
        in_halves(size, work, pool)


def _boundaries(
    keys: NDArray[np.int64],
    times: NDArray[np.int64],
    ids: NDArray[Any],
    chained_from: int,
    limit: int,
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Rows in (key, time, id) order and where a new case starts in that order.

    Rows that come in time order (exported logs do) need only a stable radix
    sort by key. Otherwise one radix sort of packed (key, coarse time) does
    the ordering; rows tied at the coarse unit are re-sorted exactly, and
    exact times are read only where a coarse gap is too close to ``limit``
    to decide.
    """
    key_bits = int(keys.max()).bit_length()
    if _in_time_order(times, ids):
        order = radix_order(keys, key_bits)
        return order, _starts(order, keys, times, chained_from, limit)
    packed = _pack(keys, times)
    if packed is None:
        order = np.lexsort((ids, times, keys))
        return order, _starts(order, keys, times, chained_from, limit)
    code, bits, unit = packed
    order = radix_order(code, key_bits + bits)
    ordered = code[order]
    del code
    tied = np.flatnonzero(ordered[1:] == ordered[:-1])
    if len(tied):
        positions = np.unique(np.concatenate([tied, tied + 1]))
        run = np.cumsum(np.diff(positions, prepend=-2) > 1)
        rows = order[positions]
        order[positions] = rows[np.lexsort((ids[rows], times[rows], keys[rows], run))]
    sorted_keys = ordered >> bits
    coarse = ordered & ((1 << bits) - 1)
    del ordered
    new = np.ones(len(keys), dtype=bool)
    same = sorted_keys[1:] == sorted_keys[:-1]
    chained = sorted_keys[1:] >= chained_from
    del sorted_keys
    gap = coarse[1:] - coarse[:-1]
    del coarse
    # a coarse gap of g units is an exact gap in ((g - 1)·unit, (g + 1)·unit)
    far = gap * unit > limit + unit
    near = ~far & ((gap + 1) * unit > limit)
    exact = np.flatnonzero(near & same & chained)
    far[exact] = times[order[exact + 1]] - times[order[exact]] > limit
    new[1:] = ~same | (chained & far)
    return order, new


def derive_cases(table: ConversationTable, window: timedelta) -> Cases:
    """Assign every conversation of ``table`` to a case.

    Conversations with a ``case_id`` form that case. The others are chained
    per (customer, topic): a conversation opened more than ``window`` after
    the previous one of the same customer and topic starts a new case. The
    first conversation of a case is the earliest (ties: the smaller id).

    Raises:
        ValidationError: unless ``window`` is a positive timedelta.
    """
    if not isinstance(window, timedelta) or window <= timedelta(0):
        raise ValidationError("cases", "window", window, "must be a positive timedelta")
    n = len(table)
    if n == 0:
        return Cases(first=np.zeros(0, dtype=bool), size=np.zeros(0, dtype=np.int64))
    topics = len(table.vocabulary("topic")) + 1
    cases_given = len(table.vocabulary("case_id"))
    case_id = table["case_id"]
    highest = (len(table.vocabulary("customer_id")) + 1) * topics + cases_given + 1
    width: type[np.integer[Any]] = np.int32 if highest < 2**31 else np.int64
    keys = np.multiply(table["customer_id"], topics, dtype=width)
    keys += table["topic"]
    keys += cases_given + 1
    np.copyto(keys, case_id, where=case_id >= 0, casting="unsafe")
    times = table["opened_at"].view(np.int64)
    limit = window // timedelta(microseconds=1)
    order, new = _boundaries(keys, times, table["conversation_id"], cases_given, limit)
    del keys
    small: type[np.integer[Any]] = np.int32 if n < 2**31 else np.int64
    sizes = np.diff(np.flatnonzero(new), append=n).astype(small)
    in_order = np.repeat(sizes, sizes)
    size = np.empty(n, dtype=small)
    first = np.empty(n, dtype=bool)

    def scatter(part: slice) -> None:
        rows = order[part]
        size[rows] = in_order[part]
        first[rows] = new[part]

    _in_halves(n, scatter)
    return Cases(first=first, size=size)
