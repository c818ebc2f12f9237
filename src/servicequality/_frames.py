"""pandas and Arrow in and out (the ``pandas`` and ``arrow`` extras).

pandas is imported only when one of these functions runs, so the core keeps
its two runtime dependencies.
"""

from __future__ import annotations

import importlib
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from servicequality import _arrays
from servicequality._columns import STRING
from servicequality._errors import ValidationError
from servicequality._model import RatingScale
from servicequality._schema import COLUMNS, VOCABULARIES, Spec

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from servicequality._intake import Errors
    from servicequality._model import Agent, KnowledgeTest
    from servicequality._table import ConversationTable

__all__ = [
    "columns_frame",
    "from_arrow",
    "from_pandas",
    "records_frame",
    "table_frame",
]

OWNER = "from_pandas"
FIELDS = tuple(name for name in COLUMNS if name != "rating_scale")
"""Library fields a frame column may map to (the scale is a parameter)."""
_CATEGORICAL = {"channel", "difficulty", "sentiment_start", "sentiment_end"}


def pandas() -> Any:
    """The pandas module, or an ImportError that names the extra to install."""
    try:
        return importlib.import_module("pandas")
    except ImportError as missing:  # pragma: no cover - depends on the environment
        message = "this needs pandas: pip install 'servicequality[pandas]'"
        raise ImportError(message) from missing


def _fail(column: str, value: object, rule: str) -> ValidationError:
    return ValidationError(OWNER, column, value, rule)


def _id_series(pd: Any, series: Any, column: str) -> Any:
    """The series if it can hold ids (integral floats become integers)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
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
    raise _fail(column, str(dtype), "ids must be strings, categories or integers")


def _ids(pd: Any, series: Any, column: str) -> tuple[np.ndarray[Any, Any], Any]:
    """Codes (-1 where missing) and the string ids they index."""
    series = _id_series(pd, series, column)
    if isinstance(series.dtype, pd.CategoricalDtype):
        labels = series.cat.categories
        _check_ids(pd, labels, column, rows=False)
        return series.cat.codes.to_numpy(np.int64), _strings(labels)
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # an unhashable cell, or one that refuses to hash
        _check_ids(pd, series, column, rows=True)
        raise
    _check_ids(pd, uniques, column, rows=False)
    labels = _strings(uniques)
    if pd.api.types.infer_dtype(uniques, skipna=True) not in _ID_KINDS:
        _check_distinct(labels, column)
    return np.asarray(codes, dtype=np.int64), labels


def _check_distinct(labels: np.ndarray[Any, Any], column: str) -> None:
    """Mixed ids (``1`` and ``"1"``) must not read as the same string id."""
    seen: set[str] = set()
    for label in labels.tolist():
        if label in seen:
            raise ValidationError(
                OWNER,
                column,
                label,
                "two different ids read as the same text (a number and a string?)",
            )
        seen.add(label)


_ID_KINDS = {"string", "integer", "empty"}


def _check_ids(pd: Any, labels: Any, column: str, *, rows: bool) -> None:
    """Ids are strings or whole numbers; otherwise the first other one is named.

    ``rows`` says ``labels`` is the column itself, so a position is its row.
    """
    if pd.api.types.infer_dtype(labels, skipna=True) in _ID_KINDS:
        return
    for position, value in enumerate(labels):
        if not (isinstance(value, str) or _whole_number(value) or _missing(value)):
            raise ValidationError(
                OWNER,
                column,
                value,
                "ids must be strings or whole numbers",
                position if rows else None,
            )


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _whole_number(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _strings(labels: Any) -> np.ndarray[Any, Any]:
    """Distinct labels as a string array (a C loop, not one per label)."""
    if getattr(getattr(labels, "dtype", None), "kind", "O") in "iu":
        return np.asarray(labels, dtype=np.int64).astype(STRING)
    return np.asarray(labels, dtype=object).astype(STRING)


Coded = tuple["np.ndarray[Any, Any]", "np.ndarray[Any, Any]"]


def _united(
    pd: Any, first: Coded, second: Coded
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Two code columns over one shared list of ids (first list's ids first)."""
    (codes, ids), (other_codes, other_ids) = first, second
    joined, union = pd.factorize(
        np.concatenate([ids, other_ids]).astype(object), use_na_sentinel=True
    )
    joined = np.asarray(joined, dtype=np.int64)

    def recode(column: np.ndarray[Any, Any], part: np.ndarray[Any, Any]) -> Any:
        return np.where(column >= 0, part[np.maximum(column, 0)], column)

    return (
        recode(codes, joined[: len(ids)]) if len(ids) else codes,
        recode(other_codes, joined[len(ids) :]) if len(other_ids) else other_codes,
        _strings(union),
    )


def _times(pd: Any, series: Any, column: str) -> np.ndarray[Any, Any]:
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return np.asarray(utc.to_numpy("datetime64[us]"))
    if pd.api.types.is_datetime64_dtype(dtype):
        raise _fail(
            column,
            str(dtype),
            "must be timezone-aware (naive timestamps are ambiguous); "
            "use .dt.tz_localize(your zone)",
        )
    if series.isna().all():
        return np.full(len(series), np.datetime64("NaT"), dtype="datetime64[us]")
    raise _fail(column, str(dtype), "must be a timezone-aware datetime column")


def _enums(pd: Any, series: Any, column: str, spec: Spec) -> np.ndarray[Any, Any]:
    assert spec.enum is not None  # only enum specs come here
    if pd.api.types.is_integer_dtype(series.dtype) and not series.isna().any():
        return np.asarray(series.to_numpy(np.int8))
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapping = []
    for value in uniques:
        try:
            mapping.append(spec.enum(str(value)).code)
        except ValueError:
            known = ", ".join(repr(m.value) for m in spec.enum)
            raise _fail(column, value, f"must be one of {known}") from None
    table = np.array([*mapping, -1], dtype=np.int8)
    return np.asarray(table[np.asarray(codes)])


def _numbers(pd: Any, series: Any, column: str, spec: Spec) -> np.ndarray[Any, Any]:
    dtype = series.dtype
    wanted = bool if spec.kind == "bool" else np.int64
    check = (
        pd.api.types.is_bool_dtype
        if spec.kind == "bool"
        else (pd.api.types.is_integer_dtype)
    )
    if series.isna().any():
        if not spec.optional:
            position = int(np.flatnonzero(series.isna().to_numpy())[0])
            raise ValidationError(OWNER, column, None, "must not be missing", position)
        series = series.fillna(spec.kind != "bool" and 0)
    if pd.api.types.is_float_dtype(series.dtype) and spec.kind == "int":
        if not (series == series.round()).all():
            raise _fail(column, str(dtype), "must hold whole numbers")
        return np.asarray(series.to_numpy(np.int64))
    if not check(series.dtype):
        kind = "booleans" if spec.kind == "bool" else "whole numbers"
        raise _fail(column, str(dtype), f"must hold {kind}")
    return np.asarray(series.to_numpy(wanted))


def _convert(pd: Any, field: str, series: Any, column: str) -> Any:
    """One frame column as the array ``from_arrays`` takes (ids: codes, ids).

    A cell pandas itself cannot read (an unhashable object, a signalling
    NaN) is the library's error naming the column, never pandas' own.
    """
    spec = COLUMNS[field]
    readers = {"code": _ids, "time": _times}
    try:
        if spec.kind in readers:
            return readers[spec.kind](pd, series, column)
        if spec.kind == "enum":
            return _enums(pd, series, column, spec)
        return _numbers(pd, series, column, spec)
    except (TypeError, ArithmeticError, ValueError) as unreadable:
        if isinstance(unreadable, ValidationError):
            raise
        raise _fail(
            column, str(series.dtype), f"holds a cell pandas cannot read: {unreadable}"
        ) from None


def _rating_scales(
    frame: Any, present: Mapping[str, str], rating_scale: RatingScale | None
) -> tuple[tuple[RatingScale, ...], np.ndarray[Any, Any] | None]:
    if "rating_score" not in present:
        return (), None
    rated = frame[present["rating_score"]].notna().to_numpy()
    if not rated.any():
        return (), np.full(len(rated), -1, dtype=np.int8)
    if not isinstance(rating_scale, RatingScale):
        raise _fail(
            "rating_scale",
            rating_scale,
            "must be a RatingScale: the frame has rating scores",
        )
    return (rating_scale,), np.where(rated, 0, -1).astype(np.int8)


def from_pandas(
    frame: Any,
    *,
    columns: Mapping[str, str] | None = None,
    rating_scale: RatingScale | None = None,
    agents: Sequence[Agent] = (),
    knowledge_tests: Sequence[KnowledgeTest] = (),
    errors: Errors = "raise",
) -> dict[str, Any]:
    """The parts of a table built from a pandas DataFrame (one row each).

    See :meth:`ConversationTable.from_pandas`.
    """
    pd = pandas()
    if not isinstance(frame, pd.DataFrame):
        raise _fail("frame", type(frame).__name__, "must be a pandas DataFrame")
    mapping = dict(columns or {})
    for field in mapping:
        if field not in FIELDS:
            raise _fail(
                "columns", field, f"is not a field; fields: {', '.join(FIELDS)}"
            )
    names = {field: mapping.get(field, field) for field in FIELDS}
    present = {f: c for f, c in names.items() if c in frame.columns}
    for field, spec in COLUMNS.items():
        if field in names and not spec.optional and field not in present:
            raise _fail(
                names[field],
                None,
                f"is missing: the frame needs a column for {field}"
                + (f" (mapped from {field})" if field in mapping else ""),
            )
    arrays: dict[str, Any] = {}
    lists: dict[str, Any] = {}
    arrays["agent_id"], lists["agent_ids"] = _convert(
        pd, "agent_id", frame[present["agent_id"]], names["agent_id"]
    )
    if "transferred_to" in present:
        column = present["transferred_to"]
        handed, handed_ids = _convert(pd, "transferred_to", frame[column], column)
        arrays["agent_id"], arrays["transferred_to"], lists["agent_ids"] = _united(
            pd, (arrays["agent_id"], lists["agent_ids"]), (handed, handed_ids)
        )
    for field, column in present.items():
        if field in {"agent_id", "transferred_to"}:
            continue
        converted = _convert(pd, field, frame[column], column)
        if COLUMNS[field].kind == "code":
            arrays[field], lists[f"{field}s"] = converted
        else:
            arrays[field] = converted
    scales, arrays["rating_scale"] = _rating_scales(frame, present, rating_scale)
    given = {name: arrays.get(name) for name in COLUMNS}
    id_lists = {name: lists.get(f"{name}s", ()) for name in VOCABULARIES}
    return _arrays.from_arrays(
        given,
        id_lists,
        rating_scales=scales,
        agents=agents,
        knowledge_tests=knowledge_tests,
        errors=errors,
        distinct_ids=True,
    )


def from_arrow(table: Any, **options: Any) -> dict[str, Any]:
    """Table parts from a ``pyarrow.Table``; options as for :func:`from_pandas`."""
    try:
        pa = importlib.import_module("pyarrow")
    except ImportError as missing:  # pragma: no cover - depends on the environment
        message = "this needs pyarrow: pip install 'servicequality[arrow]'"
        raise ImportError(message) from missing
    if not isinstance(table, pa.Table):
        raise _fail("table", type(table).__name__, "must be a pyarrow Table")
    return from_pandas(_strings_as_dictionaries(pa, table).to_pandas(), **options)


def _strings_as_dictionaries(pa: Any, table: Any) -> Any:
    """String columns dictionary-encoded by Arrow (hashing in C++).

    pandas then receives categories (one Python string per distinct value)
    and codes, instead of one Python string per row.
    """
    for position, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            encoded = table.column(position).dictionary_encode()
            table = table.set_column(position, field.name, encoded)
    return table


def table_frame(table: ConversationTable) -> Any:
    """One row per conversation: string ids, UTC timestamps, enum values.

    Unrated rows have a missing ``rating_score``; the scale is left out
    (pass it back as ``rating_scale=`` to :func:`from_pandas`).
    """
    pd = pandas()
    data: dict[str, Any] = {}
    for field, spec in COLUMNS.items():
        column = table[field]
        if field == "rating_scale":
            continue
        if spec.kind == "code":
            ids = table.vocabulary(spec.vocabulary or field)
            values = np.array([None, *ids.tolist()], dtype=object)[column + 1]
            data[field] = pd.array(values, dtype="string")
        elif spec.kind == "time":
            data[field] = pd.to_datetime(column).tz_localize("UTC")
        elif spec.kind == "enum":
            assert spec.enum is not None  # enum specs name their enum
            labels = [m.value for m in spec.enum]
            data[field] = pd.Categorical.from_codes(
                column.astype(np.int64), categories=labels
            )
        elif field == "rating_score":
            data[field] = pd.array(
                np.where(table["rating_scale"] >= 0, column, 0), dtype="Int64"
            )
            data[field][table["rating_scale"] < 0] = pd.NA
        else:
            data[field] = column
    return pd.DataFrame(data)


def records_frame(records: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> Any:
    """A DataFrame of plain records, with ``columns`` when there are none."""
    pd = pandas()
    if not records:
        return pd.DataFrame(columns=list(columns))
    return pd.DataFrame.from_records(list(records))


def columns_frame(columns: Mapping[str, Any]) -> Any:
    """A DataFrame from equal-length arrays, column by column (no row objects)."""
    return pandas().DataFrame(dict(columns))
