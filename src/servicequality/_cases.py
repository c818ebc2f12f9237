"""Cases: which conversations are about the same customer problem.

A case is ``case_id`` where given; otherwise a chain of conversations by the
same customer on the same topic, each opened within ``window`` of the
previous one. One sort of a packed 64-bit key does the work.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality._errors import ValidationError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from servicequality._table import ConversationTable

__all__ = ["Cases", "derive_cases"]


@attrs.frozen(kw_only=True, eq=False)
class Cases:
    """Per-conversation case facts, aligned with the table rows.

    Attributes:
        case: Dense case number of each row.
        first: Whether the row is the first conversation of its case.
        size: Number of conversations in the row's case.
    """

    case: NDArray[np.integer[Any]]
    first: NDArray[np.bool_]
    size: NDArray[np.integer[Any]]


def _pack(
    keys: NDArray[np.int64], times: NDArray[np.int64]
) -> NDArray[np.int64] | None:
    """``key << bits | time`` when both fit in 63 bits, at the finest time unit."""
    if len(keys) == 0:
        return keys
    key_bits = int(keys.max()).bit_length()
    span = times - times.min()
    for unit in (1, 1_000, 1_000_000):
        coarse = span // unit
        if key_bits + int(coarse.max()).bit_length() <= 62:
            return np.asarray(
                (keys << int(coarse.max()).bit_length()) | coarse, dtype=np.int64
            )
    return None


def _order(
    keys: NDArray[np.int64], times: NDArray[np.int64], ids: NDArray[Any]
) -> NDArray[np.intp]:
    packed = _pack(keys, times)
    if packed is None:
        return np.lexsort((ids, times, keys))
    order = np.argsort(packed)
    ordered = packed[order]
    if (ordered[1:] == ordered[:-1]).any():
        return np.lexsort((ids, times, keys))
    return order


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
    case_id = table["case_id"].astype(np.int64)
    topics = len(table.vocabulary("topic")) + 1
    cases_given = len(table.vocabulary("case_id"))
    chained = table["customer_id"].astype(np.int64) * topics + table["topic"] + 1
    keys = np.where(case_id >= 0, case_id, cases_given + chained)
    times = table["opened_at"].view(np.int64)
    order = _order(keys, times, table["conversation_id"])
    new = np.ones(n, dtype=bool)
    if n:
        limit = window // timedelta(microseconds=1)
        sorted_keys = keys[order]
        del keys
        new[1:] = sorted_keys[1:] != sorted_keys[:-1]
        derived = sorted_keys[1:] >= cases_given
        del sorted_keys
        sorted_times = times[order]
        new[1:] |= derived & (sorted_times[1:] - sorted_times[:-1] > limit)
        del sorted_times, derived
    number = np.cumsum(new, dtype=np.int64) - 1
    count = int(number[-1]) + 1 if n else 0
    small: type[np.integer[Any]] = np.int32 if count < 2**31 else np.int64
    sizes = np.bincount(number, minlength=count).astype(small)
    case = np.empty(n, dtype=small)
    case[order] = number
    del number
    first = np.empty(n, dtype=bool)
    first[order] = new
    return Cases(case=case, first=first, size=sizes[case])
