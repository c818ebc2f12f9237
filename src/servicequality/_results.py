"""One result surface: records, pandas frames and notebook tables for every result."""

from __future__ import annotations

import importlib
import inspect
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from servicequality import _display, _frames
from servicequality._errors import UnknownKeyError, ValidationError, WrongTypeError
from servicequality._periods import Period

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = ["Results", "frame", "to_frame"]

T = TypeVar("T")


def _is_count(values: list[Any]) -> bool:
    present = [x for x in values if x is not None]
    return bool(present) and all(
        isinstance(x, int) and not isinstance(x, bool) for x in present
    )


def frame(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    period_labels: bool = False,
) -> Any:
    """``records`` as a DataFrame: whole-number columns as integers.

    A column holding only whole numbers is ``int64`` (``Int64`` where some
    rows lack it, e.g. counts of changes beside findings); with
    ``period_labels`` every :class:`Period` becomes its short label.
    """
    pd = _frames.pandas()
    names = list(dict.fromkeys([*columns, *(k for r in records for k in r)]))
    data = {name: [record.get(name) for record in records] for name in names}
    if period_labels:
        data = {
            name: [x.label if isinstance(x, Period) else x for x in values]
            for name, values in data.items()
        }
    result = pd.DataFrame(
        {name: pd.Series(v, dtype=object) for name, v in data.items()}
    )
    for name, values in data.items():
        if _is_count(values):
            missing = any(x is None for x in values)
            result[name] = pd.array(values, dtype="Int64" if missing else "int64")
        elif values and all(isinstance(x, float) for x in values):
            result[name] = result[name].astype("float64")
        elif values and all(isinstance(x, bool) for x in values):
            result[name] = result[name].astype("bool")
    return result


def _cell(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, float):
        return _display.number(value)
    if isinstance(value, tuple):
        return "; ".join(_cell(x) for x in value)
    if isinstance(value, Enum | Period) or value is None:
        return _display.label(value)
    return str(value)


class Results(tuple[T, ...]):
    """A tuple of result values that also reads as a table.

    Returned by :meth:`ConsecutivePeriods.recognise
    <servicequality.incentives.ConsecutivePeriods.recognise>`,
    :func:`~servicequality.incentives.best_cases` and
    :func:`~servicequality.incentives.praise_digest`: index, iterate and
    compare it like the tuple it is, or turn it into records, a DataFrame or
    a notebook table.
    """

    __slots__ = ()

    def __new__(cls, values: Iterable[T] = ()) -> Results[T]:
        """Hold ``values`` (attrs instances, all of one class)."""
        return super().__new__(cls, values)

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per value, its fields by name (not deep-copied)."""
        return [attrs.asdict(x, recurse=False) for x in self]  # type: ignore[arg-type]

    def to_pandas(self, *, period_labels: bool = False) -> Any:
        """:meth:`to_records` as a pandas DataFrame (the ``pandas`` extra).

        Whole-number columns are integers; with ``period_labels`` a period
        column holds short labels (``2025-Q4``) instead of :class:`Period`.
        """
        kind: Any = type(self[0]) if self else None
        columns = [f.name for f in attrs.fields(kind)] if self else []
        return frame(self.to_records(), columns, period_labels=period_labels)

    def _repr_html_(self) -> str:
        """A table for notebooks: one row per value, one column per field."""
        records = self.to_records()
        headers = list(records[0]) if records else ["(none)"]
        rows = [
            [_cell(record[h]) for h in headers]
            for record in records[: _display.MAX_ROWS]
        ]
        kind = type(self[0]).__name__ if self else "result"
        return _display.table(
            headers, rows, caption=f"{len(self)} {kind}(s)", total=len(self)
        )

    def __reduce__(self) -> tuple[type[Results[T]], tuple[tuple[T, ...]]]:
        return (type(self), (tuple(self),))


_LIBRARIES = ("pandas", "polars", "pyarrow")


def to_frame(
    result: Any,
    library: str = "pandas",
    *,
    period_labels: bool | None = None,
) -> Any:
    """Any result with ``to_pandas`` as a pandas, polars or Arrow table.

    Works for a :class:`ConversationTable`, :class:`Measurements`,
    assessments, payout statements, reviews and :class:`Results`: the
    columns are those of their ``to_pandas``.
    polars and Arrow cannot hold :class:`Period` objects, so there a period
    column holds its short label (``2025-11``) unless ``period_labels=False``
    is asked for, which is refused.

    Args:
        result: The result.
        library: ``"pandas"``, ``"polars"`` or ``"pyarrow"`` (the library
            must be installed; polars also needs pyarrow).
        period_labels: Periods as labels; default ``False`` for pandas,
            ``True`` otherwise.

    Raises:
        UnknownKeyError: for another library.
        WrongTypeError: for a result without ``to_pandas``.
        ValidationError: for ``period_labels=False`` outside pandas.
    """
    if not isinstance(library, str) or library not in _LIBRARIES:
        raise UnknownKeyError(
            "to_frame", "library", library, f"must be one of {', '.join(_LIBRARIES)}"
        )
    if not callable(getattr(result, "to_pandas", None)):
        raise WrongTypeError(
            "to_frame", "result", result, "must be a result with to_pandas()"
        )
    if period_labels is None:
        period_labels = library != "pandas"
    elif not period_labels and library != "pandas":
        raise ValidationError(
            "to_frame",
            "period_labels",
            period_labels,
            f"{library} cannot hold Period objects: leave period_labels=True",
        )
    takes_labels = "period_labels" in inspect.signature(result.to_pandas).parameters
    pandas_frame = (
        result.to_pandas(period_labels=period_labels)
        if takes_labels
        else result.to_pandas()
    )
    if library == "pandas":
        return pandas_frame
    if library == "polars":
        return importlib.import_module("polars").from_pandas(pandas_frame)
    pa = importlib.import_module("pyarrow")
    return pa.Table.from_pandas(pandas_frame, preserve_index=False)
