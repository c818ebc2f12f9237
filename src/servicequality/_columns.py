"""Low-level helpers for string vocabularies and datetime columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality._errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

STRING = np.dtypes.StringDType()
MISSING = -1
"""Code of a missing optional id, enum or foreign key."""


class ReadOnly:
    """A slotted object whose slots are set once, by :func:`fill_slots`.

    Assigning or deleting an attribute afterwards raises attrs'
    ``FrozenInstanceError`` (an ``AttributeError``), as frozen attrs values do.
    """

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise attrs.exceptions.FrozenInstanceError

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError


def fill_slots(instance: ReadOnly, **slots: object) -> None:
    """Set slots of a :class:`ReadOnly` object (its ``__setattr__`` refuses)."""
    for name, value in slots.items():
        object.__setattr__(instance, name, value)


def code_dtype(size: int) -> np.dtype[Any]:
    """The smallest signed integer type that holds codes ``-1 .. size - 1``."""
    return np.dtype(np.int32) if size < 2**31 - 1 else np.dtype(np.int64)


def unique_strings(values: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """Sorted distinct strings and the code of each value among them.

    Sorts with a stable argsort only: in numpy 2.4 the default quicksort of
    ``StringDType`` (used by ``np.unique``, ``np.sort``) can crash the
    interpreter on arrays with many repeated strings, and ``searchsorted``
    misplaces some non-ASCII ones.
    """
    order = values.argsort(kind="stable")
    ordered = values[order]
    starts = np.ones(len(ordered), dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(values), dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


def encode_strings(
    values: Sequence[str | None],
) -> tuple[NDArray[np.integer[Any]], NDArray[Any]]:
    """Codes and the sorted vocabulary of ``values``; ``None`` gets code -1.

    The vocabulary depends only on the set of values, never on their order.
    """
    missing = np.array([x is None for x in values], dtype=bool)
    present = np.array([x for x in values if x is not None], dtype=STRING)
    vocabulary, inverse = unique_strings(present)
    codes = np.full(len(values), MISSING, dtype=code_dtype(len(vocabulary)))
    codes[~missing] = inverse
    return codes, vocabulary


def as_vocabulary(
    owner: str,
    field: str,
    values: Sequence[str] | NDArray[Any],
    *,
    distinct: bool = False,
) -> NDArray[Any]:
    """Validate a code-to-id list: non-blank strings, no duplicates.

    A list already in strictly increasing order is checked in one pass; a
    list known to be ``distinct`` (the uniques of a factorization) is not
    sorted to look for repeats.

    Raises:
        ValidationError: naming the first bad entry.
    """
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValidationError(owner, field, array.shape, "must be a 1-D list of ids")
    if array.size == 0:
        return np.array([], dtype=STRING)
    if array.dtype.kind not in "UTO" and not isinstance(array.dtype, type(STRING)):
        raise ValidationError(owner, field, array.dtype, "must hold string ids")
    if array.dtype.kind == "O":
        for position, item in enumerate(array):
            if not isinstance(item, str):
                raise ValidationError(
                    owner, f"{field}[{position}]", item, "must be a string id"
                )
    strings = array.astype(STRING)
    blank = (np.strings.str_len(strings) == 0) | np.strings.isspace(strings)
    if blank.any():
        position = int(np.flatnonzero(blank)[0])
        raise ValidationError(
            owner, f"{field}[{position}]", str(strings[position]), "must not be blank"
        )
    if distinct or (strings[1:] > strings[:-1]).all():
        return strings
    ordered = strings[strings.argsort(kind="stable")]
    repeats = np.flatnonzero(ordered[1:] == ordered[:-1])
    if len(repeats):
        repeated = str(ordered[repeats[0]])
        raise ValidationError(
            owner, field, repeated, "ids must be unique (each code maps to one id)"
        )
    return strings


def to_instants(values: Sequence[datetime | None]) -> NDArray[np.datetime64]:
    """``datetime64[us]`` UTC instants of aware datetimes; ``None`` becomes NaT."""
    return np.array(
        [None if x is None else x.astimezone(UTC).replace(tzinfo=None) for x in values],
        dtype="datetime64[us]",
    )


def from_instants(values: NDArray[np.datetime64]) -> list[datetime | None]:
    """Aware UTC datetimes of ``datetime64`` instants; NaT becomes ``None``."""
    naive = values.astype("datetime64[us]").astype(object)
    return [None if x is None else x.replace(tzinfo=UTC) for x in naive]


def counts_fit(span: int, rows: int) -> bool:
    """Whether ``span`` distinct values are few enough to count in one array."""
    return span <= 4 * rows + 1024


def dense_codes(
    values: NDArray[np.int64],
) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Codes into the sorted distinct ``values``, without sorting the rows.

    Values spanning a small range (the usual case: days, hours) are counted
    with ``np.bincount``; a wide range falls back to ``np.unique``.
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.intp), values[:0]
    lowest = int(values.min())
    span = int(values.max()) - lowest + 1
    if not counts_fit(span, len(values)):
        distinct, inverse = np.unique(values, return_inverse=True)
        return inverse.reshape(-1).astype(np.intp), distinct
    offset = values - lowest
    present = np.bincount(offset, minlength=span) > 0
    codes = (np.cumsum(present) - 1)[offset]
    return codes.astype(np.intp, copy=False), np.flatnonzero(present) + lowest


def read_only(array: NDArray[Any]) -> NDArray[Any]:
    """A read-only view of ``array`` (the caller's own array keeps its flags)."""
    view = array.view()
    view.flags.writeable = False
    return view
