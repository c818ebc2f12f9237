"""pandas and Arrow in and out (the ``pandas`` and ``arrow`` extras).

pandas is imported only when one of these functions runs, so the core keeps
its two runtime dependencies.
"""

from __future__ import annotations

import importlib
import zoneinfo
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import tzinfo
from enum import Enum
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality import _arrays, _reading
from servicequality._arrow import is_text, is_text_dictionary, pyarrow, without_views
from servicequality._columns import STRING
from servicequality._engine._grouping import available_cores
from servicequality._errors import UnknownKeyError, ValidationError, WrongTypeError
from servicequality._intake import Errors, Intake, check_errors
from servicequality._model import RatingScale
from servicequality._schema import COLUMNS, VOCABULARIES, check_defaults
from servicequality._validators import whole

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from numpy.typing import NDArray

    from servicequality._model import Agent, KnowledgeTest
    from servicequality._table import ConversationTable

__all__ = [
    "columns_frame",
    "from_arrow",
    "from_frame",
    "from_pandas",
    "records_frame",
    "table_frame",
]

FIELDS = (
    *(name for name in COLUMNS if name != "rating_scale"),
    *_reading.DURATIONS,
)
"""Library fields a frame column may map to (the scale is a parameter)."""
Source = str | tuple[str, ...]
"""A frame column, or columns whose text is joined with spaces (date, time)."""


def pandas() -> Any:
    """The pandas module, or an ImportError that names the extra to install."""
    try:
        return importlib.import_module("pandas")
    except ImportError as missing:  # pragma: no cover - depends on the environment
        message = "this needs pandas: pip install 'servicequality[pandas]'"
        raise ImportError(message) from missing


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover - depends on the environment
        return None


@attrs.frozen
class _Frame:
    """The input's columns: a pandas frame's, or an Arrow table's read one by one.

    An Arrow column becomes a pandas series only when read, without copying
    its text: strings as pandas' Arrow-backed ``str``, dictionaries of
    strings kept as they are for ids and enumerations (decoded for the
    rest), other types as ``to_pandas`` gives them.
    """

    columns: Any
    rows: int
    pandas: Any = None
    arrow: Any = None

    def series(self, name: str, kind: str) -> Any:
        """Column ``name``, to be read as a ``kind`` field.

        String views (which pandas' dtype checks refuse) become large strings.
        """
        if self.arrow is None:
            series = self.pandas[name]
            held = getattr(series.dtype, "pyarrow_dtype", None)
            if held is None or not pyarrow().types.is_string_view(held):
                return series
            return _arrow_series(pyarrow().array(series.array), kind)
        return _arrow_series(self.arrow.column(name), kind)

    def zone(self, name: str) -> tzinfo | None:
        """The zone of aware time column ``name`` (``None`` if naive or not time)."""
        if self.arrow is None:
            dtype = self.pandas[name].dtype
        else:
            dtype = self.arrow.column(name).slice(0, 0).to_pandas().dtype
        zone: tzinfo | None = getattr(dtype, "tz", None)
        return zone


def _arrow_series(column: Any, kind: str) -> Any:
    pd, pa = pandas(), pyarrow()
    if is_text_dictionary(column.type) and kind in {"code", "enum"}:
        return pd.Series(pd.arrays.ArrowExtensionArray(column), copy=False)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    column = without_views(column)
    if is_text(column.type):
        return pd.Series(pd.arrays.ArrowStringArray(column), copy=False)
    return column.to_pandas()


def _frame(frame: Any) -> _Frame:
    """The columns of any dataframe: pandas, polars, pyarrow, DuckDB and more.

    Other libraries than pandas go through Arrow (via Narwhals).

    Raises:
        WrongTypeError: for anything that is not a dataframe.
    """
    pd = pandas()
    if isinstance(frame, pd.DataFrame):
        return _Frame(frame.columns, len(frame), pandas=frame)
    pa = _optional("pyarrow")
    if pa is not None and isinstance(frame, pa.Table):
        return _Frame(tuple(frame.column_names), frame.num_rows, arrow=frame)
    nw = _optional("narwhals")
    native = None
    if nw is not None:
        try:
            native = nw.from_native(frame)
        except TypeError:
            native = None
    if native is None or pa is None:
        rule = (
            "must be a dataframe: pandas, pyarrow, or (with narwhals and pyarrow "
            "installed: pip install 'servicequality[arrow]') polars, DuckDB…"
        )
        raise WrongTypeError(_reading.OWNER, "frame", type(frame).__name__, rule)
    if isinstance(native, nw.LazyFrame):
        native = native.collect()
    table = native.to_arrow()
    return _Frame(tuple(table.column_names), table.num_rows, arrow=table)


def _sources(
    frame: Any, columns: Mapping[str, Source] | None, problems: list[ValidationError]
) -> dict[str, Source]:
    """The frame column(s) of each field the frame has; problems collected."""
    if columns is not None and not isinstance(columns, Mapping):
        raise WrongTypeError(_reading.OWNER, "columns", columns, "must be a mapping")
    mapping = dict(columns or {})
    for field, source in mapping.items():
        if field not in FIELDS:
            raise _reading.fail(
                "columns", field, f"is not a field; fields: {', '.join(FIELDS)}"
            )
        parts = (source,) if isinstance(source, str) else source
        if not isinstance(parts, tuple | list) or not all(
            isinstance(part, str) for part in parts
        ):
            rule = "must name a column, or a tuple of date and time columns"
            raise WrongTypeError(_reading.OWNER, f"columns[{field!r}]", source, rule)
    for field, instead in _reading.DURATIONS.items():
        if field in mapping and instead in mapping:
            raise _reading.fail(
                "columns", field, f"stands for {instead}: map one of the two"
            )
    names: dict[str, Source] = {f: mapping.get(f, f) for f in FIELDS}
    present: dict[str, Source] = {}
    for field, source in names.items():
        parts = (source,) if isinstance(source, str) else tuple(source)
        if all(part in frame.columns for part in parts) and parts:
            present[field] = source
        elif field in mapping or not _optional_field(field):
            missing = [p for p in parts if p not in frame.columns]
            shown = ", ".join(map(repr, missing))
            problems.append(
                _reading.fail(
                    " + ".join(parts),
                    None,
                    f"is missing: the frame has no column {shown} for {field}",
                )
            )
    for field, instead in _reading.DURATIONS.items():
        if field in present and instead in present:
            raise _reading.fail(
                "columns",
                field,
                f"stands for {instead}, which the frame also has: map one of the two",
            )
    return present


def _optional_field(field: str) -> bool:
    return field in _reading.DURATIONS or COLUMNS[field].optional


def _series(frame: _Frame, source: Source, kind: str) -> Any:
    if isinstance(source, str):
        return frame.series(source, kind)
    texts = [frame.series(part, kind).astype("string") for part in source]
    joined = texts[0]
    for text in texts[1:]:
        joined = joined + " " + text
    return joined


_READERS = {
    "code": _reading.ids,
    "enum": _reading.enums,
    "bool": _reading.flags,
    "time": _reading.times,
}


def _kind(field: str) -> str:
    """How ``field`` is read: a schema kind, or ``"seconds"`` for a duration."""
    return "seconds" if field in _reading.DURATIONS else COLUMNS[field].kind


def _read(
    options: _reading.Options,
    series: Any,
    field: str,
    column: str,
    cells: _reading.Cells,
) -> Any:
    """One frame column as ``from_arrays`` takes it.

    A cell pandas itself cannot read (an unhashable object, a signalling
    NaN) is a problem of the whole column.
    """
    kind = _kind(field)
    try:
        if kind == "seconds":
            return _reading.seconds(options, series, field, column, cells)
        if kind == "int":
            return _reading.numbers(options, series, field, column, cells)
        return _READERS[kind](options, series, field, column, cells)
    except (TypeError, ArithmeticError, ValueError, NotImplementedError) as unreadable:
        if isinstance(unreadable, ValidationError):
            raise
        raise _reading.fail(
            column, str(series.dtype), f"holds a cell pandas cannot read: {unreadable}"
        ) from None


def from_frame(  # one pass over the declared columns
    frame: Any,
    *,
    columns: Mapping[str, Source] | None = None,
    rating_scale: RatingScale | None = None,
    labels: Mapping[str, Mapping[Any, Any]] | None = None,
    true_values: Iterable[str] = (),
    false_values: Iterable[str] = (),
    tz: str | tzinfo | None = None,
    formats: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
    agents: Sequence[Agent] = (),
    knowledge_tests: Sequence[KnowledgeTest] = (),
    errors: Errors = "raise",
    threads: int | None = None,
) -> dict[str, Any]:
    """The parts of a table built from any dataframe (one row each).

    See :meth:`ConversationTable.from_frame`.
    """
    check_errors(errors)
    pd = pandas()
    data = _frame(frame)
    options = _options(pd, rating_scale, labels, true_values, false_values, tz)
    options = attrs.evolve(options, formats=_formats(formats))
    constants = check_defaults(_reading.OWNER, defaults)
    problems: list[ValidationError] = []
    sources = _sources(data, columns, problems)

    def reading(field: str) -> _Column:
        source = sources[field]
        column = source if isinstance(source, str) else " + ".join(source)
        series = _series(data, source, _kind(field))
        if field in constants:
            series = series.astype(object).where(series.notna(), _raw(constants[field]))
        cells = _reading.Cells()
        try:
            value = _read(options, series, field, column, cells)
        except ValidationError as problem:
            return _Column(series, column, None, cells, problem)
        return _Column(series, column, value, cells, None)

    workers = _workers(threads, data.rows)
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            done = dict(zip(sources, pool.map(reading, sources), strict=True))
    else:
        done = {field: reading(field) for field in sources}
    cells = _reading.Cells()
    read: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    for field, result in done.items():
        shown[field] = (result.series, result.column)
        cells.found.extend(result.cells.found)
        if result.problem is None:
            read[field] = result.value
        else:
            problems.append(result.problem)
    _raise_together(problems)
    given, id_lists = _assemble(pd, read, options)
    zone = options.tz or _first_zone(data, sources)
    n = data.rows
    intake = Intake(errors)
    bad = _cell_rejects(intake, cells, shown, n)
    kept = np.flatnonzero(~bad)
    if bad.any():
        given = {
            k: None if x is None else np.asarray(x)[kept] for k, x in given.items()
        }
    scale = options.scale
    scales = (scale,) if scale is not None and "rating_scale" in given else ()
    parts = _arrays.from_arrays(
        given,
        id_lists,
        rating_scales=scales,
        agents=agents,
        knowledge_tests=knowledge_tests,
        errors=errors,
        distinct_ids=True,
        defaults=constants,
        zone=zone,
        positions=kept,
    )
    named = {field: column for field, (_, column) in shown.items() if column != field}
    checked = [attrs.evolve(r, column=named.get(r.field)) for r in parts["rejects"]]
    parts["rejects"] = tuple(
        sorted((*intake.rejects, *checked), key=lambda r: (r.kind, r.index))
    )
    return parts


@attrs.frozen
class _Column:
    """One frame column read: the series, its name, the value or the problem."""

    series: Any
    column: str
    value: Any
    cells: _reading.Cells
    problem: ValidationError | None


_PARALLEL_ROWS = 1 << 16
"""Rows from which columns are read on several threads."""


def _workers(threads: int | None, rows: int) -> int:
    """Threads to read the columns on: 1 for small frames."""
    if threads is not None:
        threads = whole(_reading.OWNER, "threads", threads, minimum=1)
    if rows < _PARALLEL_ROWS:
        return 1
    return available_cores() if threads is None else threads


def _raw(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _formats(formats: Mapping[str, str] | None) -> dict[str, str]:
    """``formats`` checked: instant fields to ``strptime`` formats."""
    if formats is None:
        return {}
    rule = "must map instant fields to strptime formats"
    if not isinstance(formats, Mapping):
        raise WrongTypeError(_reading.OWNER, "formats", formats, rule)
    for field, pattern in formats.items():
        if not isinstance(field, str) or not isinstance(pattern, str):
            raise WrongTypeError(_reading.OWNER, "formats", field, rule)
        if field not in COLUMNS or COLUMNS[field].kind != "time":
            raise ValidationError(_reading.OWNER, "formats", field, rule)
    return dict(formats)


def _options(  # noqa: PLR0917  # the declarations of from_frame, in order
    pd: Any,
    rating_scale: RatingScale | None,
    labels: Mapping[str, Mapping[Any, Any]] | None,
    true_values: Iterable[str],
    false_values: Iterable[str],
    tz: str | tzinfo | None,
) -> _reading.Options:
    if rating_scale is not None and not isinstance(rating_scale, RatingScale):
        raise WrongTypeError(
            _reading.OWNER, "rating_scale", rating_scale, "must be a RatingScale"
        )
    words = {}
    for name, given in (("true_values", true_values), ("false_values", false_values)):
        if isinstance(given, str) or not all(isinstance(w, str) for w in given):
            raise WrongTypeError(_reading.OWNER, name, given, "must be a list of words")
        words[name] = frozenset(w.strip().casefold() for w in given)
    if words["true_values"] & words["false_values"]:
        raise ValidationError(
            _reading.OWNER,
            "true_values",
            sorted(words["true_values"] & words["false_values"]),
            "a word cannot be both true and false",
        )
    if labels is not None and not isinstance(labels, Mapping):
        raise WrongTypeError(
            _reading.OWNER, "labels", labels, "must map a field to {label: value}"
        )
    for field, mapping in (labels or {}).items():
        if field not in FIELDS or not isinstance(mapping, Mapping):
            raise ValidationError(
                _reading.OWNER, "labels", field, "must map a field to {label: value}"
            )
    return _reading.Options(
        pd=pd,
        tz=_zone(tz),
        formats={},
        labels=dict(labels or {}),
        true_values=words["true_values"],
        false_values=words["false_values"],
        scale=rating_scale,
    )


def _zone(tz: str | tzinfo | None) -> tzinfo | None:
    if tz is None or isinstance(tz, tzinfo):
        return tz
    if not isinstance(tz, str):
        raise WrongTypeError(_reading.OWNER, "tz", tz, "must be a zone name")
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UnknownKeyError(
            _reading.OWNER, "tz", tz, "is not a known IANA zone"
        ) from None


def _first_zone(data: _Frame, sources: Mapping[str, Source]) -> tzinfo | None:
    """The zone of the first aware time column, to show instants in."""
    for field, source in sources.items():
        if (
            field in COLUMNS
            and COLUMNS[field].kind == "time"
            and isinstance(source, str)
        ):
            zone = data.zone(source)
            if zone is not None:
                return zone
    return None


def _raise_together(problems: Sequence[ValidationError]) -> None:
    """One error for every column problem (the problem itself if alone)."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ValidationError(
            _reading.OWNER,
            "columns",
            [p.field for p in problems],
            "; ".join(f"{p.field}: {p.rule}" for p in problems),
        )


def _cell_rejects(
    intake: Intake,
    cells: _reading.Cells,
    shown: Mapping[str, tuple[Any, str]],
    n: int,
) -> NDArray[np.bool_]:
    """Each row's first unreadable cell, raised or kept; the rows with one."""
    first = np.full(n, -1, dtype=np.int32)
    for position, (bad, _, _, _) in enumerate(cells.found):
        first[(first < 0) & bad] = position
    rows = np.flatnonzero(first >= 0)
    ids = shown.get("conversation_id")
    record_ids = _cells(ids[0], rows) if ids is not None else [None] * len(rows)
    values: list[Any] = [None] * len(rows)
    for position in np.unique(first[rows]).tolist():
        _, field, _, _ = cells.found[position]
        here = np.flatnonzero(first[rows] == position)
        picked = _cells(shown[field][0], rows[here])
        for at, value in zip(here.tolist(), picked, strict=True):
            values[at] = value
    for at, row in enumerate(rows.tolist()):
        _, field, column, rule = cells.found[first[row]]
        record_id = record_ids[at]
        intake.reject(
            "conversation",
            row,
            record_id if isinstance(record_id, str) else None,
            ValidationError(_reading.OWNER, field, values[at], rule),
            column=column if column != field else None,
        )
    return first >= 0


def _cells(series: Any, rows: NDArray[np.intp]) -> list[Any]:
    """Cells of ``rows`` as given; a missing one (NaN, NA, NaT) is ``None``."""
    picked = series.iloc[rows]
    missing = picked.isna().to_numpy(bool)
    return [
        None if gone else (x.item() if isinstance(x, np.generic) else x)
        for x, gone in zip(picked.tolist(), missing.tolist(), strict=True)
    ]


def _assemble(
    pd: Any, read: dict[str, Any], options: _reading.Options
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns and id lists ``from_arrays`` takes, from the fields read."""
    lists: dict[str, Any] = {}
    given: dict[str, Any] = {}
    for field, value in read.items():
        if field in COLUMNS and COLUMNS[field].kind == "code":
            given[field], lists[field] = value
        elif field in COLUMNS and COLUMNS[field].kind == "int":
            given[field] = value[0]
        elif field not in _reading.DURATIONS:
            given[field] = value
    if "transferred_to" in given:
        given["agent_id"], given["transferred_to"], lists["agent_id"] = _united(
            pd,
            (given["agent_id"], lists["agent_id"]),
            (given["transferred_to"], lists.pop("transferred_to")),
        )
    opened = given.get("opened_at")
    if "first_response_after" in read and opened is not None:
        given["first_response_at"] = opened + read["first_response_after"]
    if "handle_time" in read and opened is not None:
        start = given.get("first_response_at")
        start = opened if start is None else np.where(np.isnat(start), opened, start)
        given["closed_at"] = start + read["handle_time"]
    if "rating_score" in read:
        unrated = read["rating_score"][1]
        if (~unrated).any() and options.scale is None:
            raise _reading.fail(
                "rating_scale",
                None,
                "must be a RatingScale: the frame has rating scores",
            )
        given["rating_scale"] = np.where(unrated, -1, 0).astype(np.int8)
    id_lists = {name: lists.get(name, ()) for name in VOCABULARIES}
    return given, id_lists


Coded = tuple["np.ndarray[Any, Any]", "np.ndarray[Any, Any]"]


def _united(
    pd: Any, first: Coded, second: Coded
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Two code columns over one list of ids: the first list, then new ids.

    The first list is distinct (read from the frame), so the first column
    keeps its codes and only the second is recoded.
    """
    (codes, ids), (other_codes, other_ids) = first, second
    joined, union = pd.factorize(
        np.concatenate([ids, other_ids]).astype(object), use_na_sentinel=True
    )
    part = np.asarray(joined, dtype=np.int64)[len(ids) :]
    if len(other_ids):
        other_codes = np.where(
            other_codes >= 0, part[np.maximum(other_codes, 0)], other_codes
        )
    return codes, other_codes, np.asarray(union, dtype=object).astype(STRING)


def from_pandas(frame: Any, **options: Any) -> dict[str, Any]:
    """Table parts from a pandas DataFrame; options as for :func:`from_frame`."""
    pd = pandas()
    if not isinstance(frame, pd.DataFrame):
        raise WrongTypeError(
            "from_pandas", "frame", type(frame).__name__, "must be a pandas DataFrame"
        )
    return from_frame(frame, **options)


def from_arrow(table: Any, **options: Any) -> dict[str, Any]:
    """Table parts from a ``pyarrow.Table``; options as for :func:`from_frame`."""
    try:
        pa = importlib.import_module("pyarrow")
    except ImportError as missing:  # pragma: no cover - depends on the environment
        message = "this needs pyarrow: pip install 'servicequality[arrow]'"
        raise ImportError(message) from missing
    if not isinstance(table, pa.Table):
        raise WrongTypeError(
            "from_arrow", "table", type(table).__name__, "must be a pyarrow Table"
        )
    return from_frame(table, **options)


def table_frame(table: ConversationTable) -> Any:
    """One row per conversation: string ids, UTC timestamps, enum values.

    Unrated rows have a missing ``rating_score``; the scale is left out
    (pass it back as ``rating_scale=`` to :func:`from_pandas`). Absent
    columns stay absent, so reading the frame back gives them back absent.
    """
    pd = pandas()
    data: dict[str, Any] = {}
    for field, spec in COLUMNS.items():
        column = table[field]
        if field == "rating_scale" or field in table.absent_columns:
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


def absent_fields(
    names: Iterable[str], columns: Mapping[str, Source] | None = None
) -> frozenset[str]:
    """Optional fields a frame with column ``names`` lacks (after ``columns``)."""
    have = set(names)
    mapping = dict(columns or {})
    lacking = set()
    for field, column in COLUMNS.items():
        source = mapping.get(field, field)
        parts = (source,) if isinstance(source, str) else tuple(source)
        if column.optional and not all(part in have for part in parts):
            lacking.add(field)
    for field, instead in _reading.DURATIONS.items():
        if field in mapping and mapping[field] in have:
            lacking.discard(instead)
    if "rating_score" not in lacking:
        lacking.discard("rating_scale")
    return frozenset(lacking)
