"""Reading one frame column as a schema column: words, labels, zones, durations.

Each reader turns a pandas Series into the array ``from_arrays`` takes and
reports the rows whose cell it cannot read (:class:`Cells`); a problem with
the whole column (a dtype no cell of which could be read) raises a
``ValidationError`` naming the column.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality._arrow import (
    arrow_factorized,
    arrow_strings,
    held_by_arrow,
    is_text_dictionary,
    pyarrow,
    without_views,
)
from servicequality._columns import STRING
from servicequality._errors import ValidationError
from servicequality._periods import EARLIEST, LATEST
from servicequality._schema import COLUMNS, parse_enum

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import tzinfo

    from numpy.typing import NDArray

    from servicequality._model import RatingScale

OWNER = "from_frame"
MISSING_RULE = "must not be missing"
DURATIONS = {"first_response_after": "first_response_at", "handle_time": "closed_at"}
"""Seconds-after columns and the instant each one stands in for."""
_EARLIEST = np.datetime64(EARLIEST.replace(tzinfo=None), "us")
_LATEST = np.datetime64(LATEST.replace(tzinfo=None), "us")
_ID_KINDS = {"string", "integer", "empty"}


@attrs.frozen(kw_only=True)
class Options:
    """What the caller declared about the frame."""

    pd: Any
    tz: tzinfo | None
    formats: Mapping[str, str]
    labels: Mapping[str, Mapping[Any, Any]]
    true_values: frozenset[str]
    false_values: frozenset[str]
    scale: RatingScale | None


@attrs.define
class Cells:
    """Row problems found while reading, in reading order."""

    found: list[tuple[NDArray[np.bool_], str, str, str]] = attrs.field(factory=list)

    def add(self, bad: NDArray[np.bool_], field: str, column: str, rule: str) -> None:
        """Rows ``bad`` of ``column`` (for ``field``) break ``rule``."""
        if bad.any():
            self.found.append((np.asarray(bad, dtype=bool), field, column, rule))


def fail(column: str, value: object, rule: str) -> ValidationError:
    """A problem with a whole input column (collected, then raised together)."""
    return ValidationError(OWNER, column, value, rule)


def _key(value: object) -> object:
    return value.strip().casefold() if isinstance(value, str) else value


def factorized(pd: Any, series: Any) -> tuple[NDArray[np.int64], Any]:
    """Codes (-1 where missing) and the distinct values, in first-seen order.

    Text held by Arrow is encoded by Arrow and its distinct values stay an
    Arrow array; anything else goes through ``pandas.factorize`` (an Index).
    """
    held = held_by_arrow(series)
    if held is not None:
        return arrow_factorized(held)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), uniques


def _mapped(
    pd: Any, series: Any, read: Callable[[Any], Any], fill: Any, dtype: Any
) -> tuple[NDArray[Any], NDArray[np.bool_], NDArray[np.bool_]]:
    """``read`` applied once per distinct cell: values, missing rows, bad rows.

    ``read`` returns the value, or raises ``ValueError`` for a cell it
    cannot read; missing cells (and blank strings) get ``fill``.
    """
    codes, uniques = factorized(pd, series)
    values = np.empty(len(uniques) + 1, dtype=dtype)
    values[-1] = fill
    unread = np.zeros(len(uniques) + 1, dtype=bool)
    empty = np.zeros(len(uniques) + 1, dtype=bool)
    empty[-1] = True
    for position, unique in enumerate(uniques.tolist()):
        if isinstance(unique, str) and not unique.strip():
            values[position], empty[position] = fill, True
            continue
        try:
            values[position] = read(unique)
        except (ValueError, TypeError, OverflowError):
            values[position], unread[position] = fill, True
    return values[codes], empty[codes], unread[codes]


def enums(options: Options, series: Any, field: str, column: str, cells: Cells) -> Any:
    """Enumeration codes from values or labels (any case); -1 where empty."""
    pd, spec = options.pd, COLUMNS[field]
    assert spec.enum is not None  # only enum columns come here
    enum = spec.enum
    if pd.api.types.is_integer_dtype(series.dtype) and not series.isna().any():
        return np.asarray(series.to_numpy(np.int8))
    words = {_key(k): w for k, w in options.labels.get(field, {}).items()}

    def read(cell: Any) -> int:
        return parse_enum(enum, words.get(_key(cell), cell)).code

    codes, empty, unread = _mapped(pd, series, read, -1, np.int8)
    known = ", ".join(repr(m.value) for m in enum)
    if words:
        known += f", or a label ({', '.join(map(str, options.labels[field]))})"
    cells.add(unread, field, column, f"must be one of {known} (any case)")
    if not spec.nullable:
        cells.add(empty, field, column, MISSING_RULE)
    return codes


def flags(options: Options, series: Any, field: str, column: str, cells: Cells) -> Any:
    """Booleans from booleans, 0/1 or the declared true and false words."""
    pd = options.pd
    spec = COLUMNS[field]
    if pd.api.types.is_bool_dtype(series.dtype):
        empty = np.asarray(series.isna().to_numpy(bool))
        if not spec.nullable:
            cells.add(empty, field, column, MISSING_RULE)
        return np.asarray(series.to_numpy(bool, na_value=False))

    def read(cell: Any) -> bool:
        if isinstance(cell, bool | np.bool_):
            return bool(cell)
        if isinstance(cell, str):
            word = _key(cell)
            if word in options.true_values:
                return True
            if word in options.false_values:
                return False
        elif isinstance(cell, int | float | np.number) and cell in (0, 1):
            return bool(cell)
        raise ValueError(cell)

    values, empty, unread = _mapped(pd, series, read, False, bool)  # noqa: FBT003
    rule = "must hold booleans: True/False, 1/0, or a word of true_values/false_values"
    cells.add(unread, field, column, rule)
    if not spec.nullable:
        cells.add(empty, field, column, MISSING_RULE)
    return values


def _whole(cell: Any) -> int:
    """A whole number from a number or digits (``ValueError`` otherwise)."""
    if isinstance(cell, str) and cell.strip().lstrip("+-").isdecimal():
        return int(cell.strip())
    if isinstance(cell, bool | np.bool_) or not isinstance(
        cell, int | float | np.number
    ):
        raise ValueError(cell)
    number = float(cell)
    if not math.isfinite(number) or number != round(number):
        raise ValueError(cell)
    return int(cell)


def numbers(
    options: Options, series: Any, field: str, column: str, cells: Cells
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Whole numbers (or, for ``rating_score``, scale labels) and which are empty."""
    pd = options.pd
    if pd.api.types.is_integer_dtype(series.dtype) and not series.isna().any():
        return np.asarray(series.to_numpy(np.int64)), np.zeros(len(series), bool)
    words: dict[object, Any] = {}
    if field == "rating_score" and options.scale is not None:
        words = {_key(k): score for k, score in options.scale.labels}
    words |= {_key(k): w for k, w in options.labels.get(field, {}).items()}
    known = ", ".join(dict.fromkeys(str(k) for k in words))
    rule = "must be a whole number" + (f" or a label ({known})" if words else "")
    if pd.api.types.is_float_dtype(series.dtype):
        floats = np.asarray(series.to_numpy(np.float64, na_value=np.nan))
        empty = np.isnan(floats)
        whole = np.isfinite(floats) & (floats == np.round(floats))
        whole &= np.abs(floats) < 2**53
        cells.add(~empty & ~whole, field, column, rule)
        return np.where(whole, floats, 0).astype(np.int64), ~whole

    def read(cell: Any) -> int:
        return _whole(words.get(_key(cell), cell))

    values, empty, unread = _mapped(pd, series, read, 0, np.int64)
    cells.add(unread, field, column, rule)
    return values, empty | unread


def seconds(
    options: Options, series: Any, field: str, column: str, cells: Cells
) -> NDArray[Any]:
    """``timedelta64[us]`` from seconds (numbers) or durations; NaT where empty."""
    pd = options.pd
    if pd.api.types.is_timedelta64_dtype(series.dtype):
        spans = np.asarray(series.to_numpy("timedelta64[us]"))
        empty = np.isnat(spans)
        values = np.where(empty, 0, spans.view(np.int64) / 1e6)
    else:

        def read(cell: Any) -> float:
            if isinstance(cell, bool | np.bool_) or not isinstance(
                cell, int | float | np.number
            ):
                raise ValueError(cell)
            return float(cell)

        values, empty, unread = _mapped(pd, series, read, 0.0, np.float64)
        cells.add(unread, field, column, "must be a number of seconds")
        empty |= unread
    bad = ~empty & ~(np.isfinite(values) & (values >= 0) & (values < 1e11))
    cells.add(bad, field, column, "must be a finite, non-negative number of seconds")
    micro = np.where(empty | bad, 0, np.round(values * 1e6)).astype(np.int64)
    spans = micro.astype("timedelta64[us]")
    spans[empty | bad] = np.timedelta64("NaT")
    return spans


def times(
    options: Options, series: Any, field: str, column: str, cells: Cells
) -> NDArray[Any]:
    """UTC ``datetime64[us]`` instants; NaT where empty.

    Aware timestamps keep their instant; naive ones and strings need a
    declared zone (``tz=``) or a format with an offset (``%z``).
    """
    pd = options.pd
    spec = COLUMNS[field]
    given = series.notna().to_numpy()
    if pd.api.types.is_string_dtype(series.dtype) or series.dtype == object:
        text = series.astype("string").str.strip()
        given = given & (text != "").fillna(value=False).to_numpy(bool)
        series = _parsed(options, text.where(given), field, column, cells)
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = series.dt.tz_convert(None)
    elif pd.api.types.is_datetime64_dtype(dtype):
        if options.tz is None:
            raise fail(
                column,
                str(dtype),
                "must be timezone-aware, or pass tz='Asia/Shanghai' (the zone "
                "these naive timestamps were written in); nothing is guessed",
            )
        local = series.dt.tz_localize(options.tz, ambiguous="NaT", nonexistent="NaT")
        cells.add(
            local.isna().to_numpy() & given,
            field,
            column,
            f"does not exist or is ambiguous in {options.tz} (a clock change)",
        )
        utc = local.dt.tz_convert(None)
    elif series.isna().all():
        utc = pd.Series(np.full(len(series), np.datetime64("NaT", "us")))
    else:
        raise fail(column, str(dtype), "must be a datetime column or strings")
    instants = np.asarray(utc.to_numpy("datetime64[us]"))
    unread = np.isnat(instants) & given
    cells.add(unread, field, column, "is not a time in the declared format")
    outside = ~np.isnat(instants) & ((instants < _EARLIEST) | (instants >= _LATEST))
    cells.add(
        outside,
        field,
        column,
        f"must lie from {EARLIEST.date()} to before {LATEST.date()} (UTC)",
    )
    if outside.any():
        instants = np.where(outside, np.datetime64("NaT", "us"), instants)
    if not spec.nullable:
        cells.add(~given, field, column, MISSING_RULE)
    return instants


_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"


def _parsed(options: Options, text: Any, field: str, column: str, cells: Cells) -> Any:
    """Strings as timestamps: with a declared format or zone, or their own offset.

    Without a declaration only strings that end in an offset (``+08:00``,
    ``Z``) are read; others are rejects, and a column without any offset
    is refused.
    """
    pd = options.pd
    format_ = options.formats.get(field)
    if format_ is None and options.tz is None:
        offset = text.str.contains(_OFFSET, regex=True).fillna(value=False)
        if not offset.any():
            raise fail(
                column,
                "strings",
                "holds strings, not datetimes: declare formats={field: "
                "'%Y-%m-%d %H:%M'} and tz='Asia/Shanghai', or write an offset "
                "(+08:00); nothing is guessed",
            )
        missing = text.notna() & ~offset
        cells.add(
            missing.to_numpy(bool),
            field,
            column,
            "has no UTC offset: pass tz= for the zone of such times",
        )
        text = text.where(offset)
        return pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    try:
        parsed = pd.to_datetime(text, format=format_ or "ISO8601", errors="coerce")
    except (ValueError, TypeError) as mixed:
        offsets = text.dropna().str.contains(_OFFSET, regex=True)
        if not offsets.all():
            rule = f"mixes times with and without an offset: {mixed}"
            raise fail(column, "strings", rule) from None
        parsed = pd.to_datetime(
            text, format=format_ or "ISO8601", errors="coerce", utc=True
        )
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype) and options.tz is None:
        raise fail(
            column,
            format_,
            "the format has no offset (%z): pass tz= for the zone of these times",
        )
    return parsed


def ids(
    options: Options, series: Any, field: str, column: str, cells: Cells
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Codes (-1 where empty) and the string ids they index."""
    pd = options.pd
    series = _id_series(pd, series, column)
    if isinstance(series.dtype, pd.CategoricalDtype):
        labels = series.cat.categories
        codes = series.cat.codes.to_numpy(np.int64)
    else:
        try:
            codes, labels = factorized(pd, series)
        except TypeError:
            rule = "holds a cell that is not an id"
            raise fail(column, str(series.dtype), rule) from None
    text = _arrow_text(labels)
    if text is None:
        kind = pd.api.types.infer_dtype(labels, skipna=True)
        strings, usable, blank = _id_strings(labels, kind)
    else:
        kind, strings = "string", arrow_strings(text)
        blank = _blank(strings)
        usable = ~blank
    if usable.all():
        if not COLUMNS[field].nullable:
            cells.add(codes < 0, field, column, MISSING_RULE)
        if kind not in _ID_KINDS:
            _check_distinct(strings, column)
        return codes, strings
    renumbered = np.where(usable, np.cumsum(usable) - 1, -1)
    table = np.append(renumbered, -1).astype(np.int64)
    empty = (codes < 0) | np.append(blank, True)[codes]
    bad = ~empty & ~np.append(usable, True)[codes]
    cells.add(bad, field, column, "ids must be strings or whole numbers")
    if not COLUMNS[field].nullable:
        cells.add(empty, field, column, MISSING_RULE)
    vocabulary = strings[usable]
    if kind not in _ID_KINDS:
        _check_distinct(vocabulary, column)
    return np.asarray(table[codes]), vocabulary


def _id_strings(
    labels: Any, kind: str
) -> tuple[NDArray[Any], NDArray[np.bool_], NDArray[np.bool_]]:
    """Distinct labels as strings, which are usable ids, which are blank."""
    if getattr(getattr(labels, "dtype", None), "kind", "O") in "iu":
        strings = np.asarray(labels, dtype=np.int64).astype(STRING)
        every = np.ones(len(strings), dtype=bool)
        return strings, every, ~every
    if kind == "string":
        strings = np.asarray(labels, dtype=object).astype(STRING)
        blank = _blank(strings)
        return strings, ~blank, blank
    values = labels.tolist()
    blank = np.array([isinstance(x, str) and not x.strip() for x in values], dtype=bool)
    usable = np.array(
        [
            (isinstance(x, str) and bool(x.strip()))
            or (isinstance(x, int | np.integer) and not isinstance(x, bool))
            for x in values
        ],
        dtype=bool,
    )
    shown = [str(x) if ok else "" for x, ok in zip(values, usable, strict=True)]
    return np.asarray(shown, dtype=object).astype(STRING), usable, blank


def _blank(strings: NDArray[Any]) -> NDArray[np.bool_]:
    """Which strings are empty or only white space."""
    return np.asarray((np.strings.str_len(strings) == 0) | np.strings.isspace(strings))


def _arrow_text(labels: Any) -> Any:
    """Distinct labels held by Arrow as one plain Arrow string array, else ``None``."""
    held = held_by_arrow(labels)
    if held is None:
        return None
    pa = pyarrow()
    if isinstance(held, pa.ChunkedArray):
        held = held.combine_chunks()
    if pa.types.is_dictionary(held.type):
        held = held.dictionary_decode()
    held = without_views(held)
    return held if held.null_count == 0 else None


def _id_series(pd: Any, series: Any, column: str) -> Any:
    """The series if it can hold ids (integral floats become integers)."""
    dtype = series.dtype
    arrow = getattr(dtype, "pyarrow_dtype", None)
    if isinstance(dtype, pd.CategoricalDtype) or (
        arrow is not None and is_text_dictionary(arrow)
    ):
        return series
    if pd.api.types.is_float_dtype(dtype):
        present = series.dropna()
        if (present == present.round()).all():
            return series.astype("Int64")
    elif not pd.api.types.is_bool_dtype(dtype) and (
        pd.api.types.is_integer_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
    ):
        return series
    raise fail(column, str(dtype), "ids must be strings, categories or integers")


def _check_distinct(labels: NDArray[Any], column: str) -> None:
    """Mixed ids (``1`` and ``"1"``) must not read as the same string id."""
    seen: set[str] = set()
    for label in labels.tolist():
        if label in seen:
            raise fail(
                column,
                label,
                "two different ids read as the same text (a number and a string?)",
            )
        seen.add(label)
