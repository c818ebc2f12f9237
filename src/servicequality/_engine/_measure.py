"""``measure``, its result ``Measurements``, and the streaming ``Accumulator``."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

import attrs
import numpy as np

from servicequality import _display, _frames
from servicequality import _validators as v
from servicequality._columns import ReadOnly, fill_slots
from servicequality._engine import _grouping
from servicequality._engine._facts import Rows
from servicequality._engine._grouping import (
    GroupIndex,
    available_cores,
    combine_codes,
    key_names,
    order_key,
    resolve_by,
    split_codes,
)
from servicequality._errors import UnknownKeyError, ValidationError, WrongTypeError
from servicequality._model import Role
from servicequality._periods import Period
from servicequality._schema import refuse_absent
from servicequality.metrics._base import (
    MeanMetric,
    Metric,
    MetricValues,
    QuantileMetric,
    RateMetric,
    SumMetric,
)
from servicequality.metrics._catalogue import get_metric

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from numpy.typing import NDArray

    from servicequality._engine._grouping import By
    from servicequality._table import ConversationTable
    from servicequality.metrics._base import Part

__all__ = [
    "Accumulator",
    "CellRows",
    "Measurement",
    "Measurements",
    "measure",
    "resolve_metrics",
]

FIELDS = ("value", "numerator", "denominator", "n", "low", "high", "insufficient")


@attrs.frozen(kw_only=True)
class Measurement:
    """One metric for one group: the number and what it rests on.

    Attributes:
        metric: Metric name.
        key: The group, as ``{key name: label}``.
        value: The value (NaN where undefined: no observations).
        numerator: Qualifying count (rates) or total (means, sums).
        denominator: Eligible count (rates) or observations (means).
        n: Observations the value rests on.
        low: Lower bound of the confidence interval.
        high: Upper bound of the confidence interval.
        insufficient: ``n`` is below the minimum sample asked for.
        unit: Unit of the value.
        higher_is_better: Direction of the metric.
    """

    metric: str
    key: Mapping[str, Any]
    value: float
    numerator: float
    denominator: float
    n: int
    low: float
    high: float
    insufficient: bool
    unit: str
    higher_is_better: bool


@attrs.frozen(kw_only=True)
class CellRows:
    """The conversations behind one cell of a result (a drill-down).

    Attributes:
        metric: Metric name.
        key: The group, as ``{key name: label}``.
        part: ``"numerator"`` (the qualifying rows) or ``"denominator"``
            (the eligible rows). Means, quantiles and totals count the same
            rows in both.
        table: Those conversations, a filtered :class:`ConversationTable`
            with the vocabularies and roster of the measured table.
    """

    metric: str
    key: Mapping[str, Any]
    part: str
    table: ConversationTable

    def __len__(self) -> int:
        return len(self.table)

    @property
    def ids(self) -> tuple[str, ...]:
        """Conversation ids, in table order."""
        codes = self.table["conversation_id"]
        return tuple(self.table.vocabulary("conversation_id")[codes].tolist())


def _objects(labels: Sequence[Any]) -> NDArray[np.object_]:
    array = np.empty(len(labels), dtype=object)
    array[:] = list(labels)
    return array


def _read_only(array: NDArray[Any]) -> NDArray[Any]:
    view = array.view()
    view.flags.writeable = False
    return view


class Measurements(ReadOnly):
    """Per-group results of ``measure``: values, counts, intervals and states.

    Groups are in key order (ids alphabetically, periods in time order,
    "none" first). Keys are kept as one code array per key name plus the
    labels those codes index, so a result of hundreds of thousands of
    groups holds no Python object per group until one is asked for
    (:meth:`get`, :attr:`keys`, :meth:`to_records`). The additive states are
    kept, so two results merge by adding states (:meth:`merge`).

    Build one with :func:`measure`; the constructor takes group keys as
    label tuples (any order) for results assembled by hand.
    """

    __slots__ = (
        "_agent_roles",
        "_codes",
        "_flat",
        "_keys",
        "_labels",
        "_metrics",
        "_min_sample",
        "_names",
        "_positions",
        "_source",
        "_states",
        "_values",
    )
    _agent_roles: dict[str, Role]
    _codes: tuple[NDArray[np.int64], ...]
    _flat: NDArray[np.int64] | None
    _keys: tuple[tuple[Any, ...], ...] | None
    _labels: tuple[tuple[Any, ...], ...]
    _metrics: dict[str, Metric]
    _min_sample: int
    _names: tuple[str, ...]
    _positions: tuple[dict[Any, int], ...] | None
    _source: tuple[ConversationTable, tuple[By, ...]] | None
    _states: dict[str, NDArray[np.float64]]
    _values: dict[str, MetricValues]

    def __init__(
        self,
        *,
        key_names: tuple[str, ...],
        keys: Sequence[tuple[Any, ...]],
        metrics: Sequence[Metric],
        states: Mapping[str, NDArray[np.float64]],
        min_sample: int = 1,
        agent_roles: Mapping[str, Role] | None = None,
    ) -> None:
        """Hold finished states of the groups ``keys`` (label tuples, any order)."""
        names = tuple(key_names)
        labels = tuple(
            tuple(sorted({key[i] for key in keys}, key=order_key))
            for i in range(len(names))
        )
        codes = [
            np.array([position[key[i]] for key in keys] if keys else [], dtype=np.int64)
            for i, position in enumerate(
                {label: c for c, label in enumerate(dimension)} for dimension in labels
            )
        ]
        order = (
            np.lexsort(codes[::-1]) if codes else np.arange(len(keys), dtype=np.intp)
        )
        self._setup(
            names,
            labels,
            tuple(c[order] for c in codes),
            metrics,
            {m.name: np.asarray(states[m.name])[order] for m in metrics},
            min_sample,
            agent_roles or {},
            None,
        )

    @classmethod
    def from_codes(
        cls,
        *,
        key_names: tuple[str, ...],
        labels: tuple[tuple[Any, ...], ...],
        codes: tuple[NDArray[np.int64], ...],
        metrics: Sequence[Metric],
        states: Mapping[str, NDArray[np.float64]],
        min_sample: int = 1,
        agent_roles: Mapping[str, Role] | None = None,
        source: tuple[ConversationTable, tuple[By, ...]] | None = None,
    ) -> Measurements:
        """Results whose groups are already columnar and in key order.

        ``codes[i]`` indexes ``labels[i]`` for every group; groups must be
        sorted by their codes, first key first, with no group twice (as
        :func:`measure` makes them).
        """
        result = cls.__new__(cls)
        result._setup(
            key_names,
            labels,
            codes,
            metrics,
            states,
            min_sample,
            agent_roles or {},
            source,
        )
        return result

    def _setup(  # noqa: PLR0917  # one place that fills the slots
        self,
        names: tuple[str, ...],
        labels: tuple[tuple[Any, ...], ...],
        codes: tuple[NDArray[np.int64], ...],
        metrics: Sequence[Metric],
        states: Mapping[str, NDArray[np.float64]],
        min_sample: int,
        agent_roles: Mapping[str, Role],
        source: tuple[ConversationTable, tuple[By, ...]] | None,
        *,
        copy: bool = True,
    ) -> None:
        fill_slots(
            self,
            _names=names,
            _labels=labels,
            _codes=tuple(
                _read_only(np.array(c, dtype=np.int64, copy=copy or None))
                for c in codes
            ),
            _metrics={m.name: m for m in metrics},
            _states={
                m.name: _read_only(
                    np.array(states[m.name], dtype=np.float64, copy=copy or None)
                )
                for m in metrics
            },
            _min_sample=min_sample,
            _agent_roles=dict(sorted(agent_roles.items())),
            _source=source,
            _values={},
            _keys=None,
            _flat=None,
            _positions=None,
        )

    def __len__(self) -> int:
        if not self._names:
            return len(next(iter(self._states.values()), np.zeros((1, 0))))
        return len(self._codes[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Measurements):
            return NotImplemented
        return (
            self._names == other._names
            and self._min_sample == other._min_sample
            and self._agent_roles == other._agent_roles
            and self._metrics == other._metrics
            and self.keys == other.keys
            and all(
                np.array_equal(self._states[n], other._states[n]) for n in self._states
            )
        )

    __hash__ = None  # type: ignore[assignment]  # equal by content, not hashable

    def __getstate__(self) -> dict[str, Any]:
        return {
            "names": self._names,
            "labels": self._labels,
            "codes": self._codes,
            "metrics": list(self._metrics.values()),
            "states": self._states,
            "min_sample": self._min_sample,
            "agent_roles": self._agent_roles,
            "source": self._source,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup(**state)

    def __repr__(self) -> str:
        return (
            f"<Measurements: {len(self)} groups by ({', '.join(self._names)}) × "
            f"{len(self._metrics)} metrics: {', '.join(self._metrics)}>"
        )

    def _key_rows(self, stop: int) -> list[tuple[Any, ...]]:
        columns = [
            _objects(labels)[codes[:stop]].tolist()
            for labels, codes in zip(self._labels, self._codes, strict=True)
        ]
        if not columns:
            return [()] * min(stop, len(self))
        return list(zip(*columns, strict=True))

    def _repr_html_(self) -> str:
        """A table for notebooks: one row per group, one column per metric.

        Each cell shows the value, its interval and ``n``; insufficient
        cells are grey. Long results are cut with a count of the rest.
        """
        shown = self._key_rows(_display.MAX_ROWS)
        columns = {
            name: {f: self.column(name, f)[: len(shown)] for f in FIELDS}
            for name in self._metrics
        }
        rows = []
        for row, key in enumerate(shown):
            cells: list[_display.Cell] = [_display.label(k) for k in key]
            for name, metric in self._metrics.items():
                c = columns[name]
                text = " ".join(
                    part
                    for part in (
                        _display.number(float(c["value"][row]), metric.unit),
                        _display.interval(
                            float(c["low"][row]), float(c["high"][row]), metric.unit
                        ),
                        f"n={int(c['n'][row])}",
                    )
                    if part
                )
                cells.append(
                    (text, _display.GREY) if bool(c["insufficient"][row]) else text
                )
            rows.append(cells)
        width = len(self._names)
        return _display.table(
            [*self._names, *self._metrics],
            rows,
            caption=(
                f"{len(self)} group(s) × {len(self._metrics)} metric(s); grey: "
                f"fewer than {max(self._min_sample, 1)} observation(s)"
            ),
            right=range(width, width + len(self._metrics)),
            total=len(self),
        )

    @property
    def key_names(self) -> tuple[str, ...]:
        """Names of the group keys, in ``by`` order."""
        return self._names

    @property
    def keys(self) -> tuple[tuple[Any, ...], ...]:
        """One tuple of labels per group, in key order (built on first use)."""
        keys = self._keys
        if keys is None:
            keys = tuple(self._key_rows(len(self)))
            fill_slots(self, _keys=keys)
        return keys

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Names of the metrics measured."""
        return tuple(self._metrics)

    @property
    def min_sample(self) -> int:
        """Fewest observations for a value not to be flagged insufficient."""
        return self._min_sample

    @property
    def agent_roles(self) -> Mapping[str, Role]:
        """The :class:`Role` of each agent in the keys (empty without ``"agent"``)."""
        return self._agent_roles

    def metric(self, name: str) -> Metric:
        """The metric object measured under ``name``."""
        self._check_metric(name)
        return self._metrics[name]

    def state(self, name: str) -> NDArray[np.float64]:
        """The additive state of metric ``name``: shape ``(groups, width)``.

        Column ``j`` holds the part named ``metric(name).parts[j]``; see
        :meth:`state_part`.
        """
        self._check_metric(name)
        return self._states[name]

    def state_part(self, name: str, part: str) -> NDArray[np.float64]:
        """One named part of metric ``name``'s state, for every group.

        Raises:
            UnknownKeyError: for a metric not measured or a part it does not have.
        """
        parts = tuple(self.metric(name).parts)
        if part not in parts:
            raise UnknownKeyError(
                "Measurements", "part", part, f"is not a part of {name}: {parts}"
            )
        column: NDArray[np.float64] = self._states[name][:, parts.index(part)]
        return column

    def _check_metric(self, name: str) -> None:
        if not isinstance(name, str) or name not in self._metrics:
            raise UnknownKeyError(
                "Measurements",
                "metric",
                name,
                f"was not measured; measured: {', '.join(self._metrics)}",
            )

    def _finalized(self, name: str) -> MetricValues:
        self._check_metric(name)
        if name not in self._values:
            self._values[name] = self._metrics[name].finalize(self._states[name])
        return self._values[name]

    def _check_key(self, key: str) -> int:
        if key not in self._names:
            raise UnknownKeyError(
                "Measurements",
                "key",
                key,
                f"is not a key; keys: {', '.join(self._names)}",
            )
        return self._names.index(key)

    def key_codes(self, key: str) -> tuple[NDArray[np.int64], tuple[Any, ...]]:
        """Key ``key`` as columns: a code per group and the labels they index.

        ``labels[codes[i]]`` is group ``i``'s label; no object per group.
        """
        position = self._check_key(key)
        return self._codes[position], self._labels[position]

    def key_column(self, key: str) -> tuple[Any, ...]:
        """The label of key ``key`` for every group."""
        codes, labels = self.key_codes(key)
        return tuple(_objects(labels)[codes].tolist())

    def column(self, metric: str, field: str = "value") -> NDArray[Any]:
        """One field of one metric for every group, as a numpy array.

        ``field`` is one of ``value``, ``numerator``, ``denominator``, ``n``,
        ``low``, ``high`` or ``insufficient``.
        """
        values = self._finalized(metric)
        if field == "insufficient":
            return np.asarray(values.n < max(self._min_sample, 1))
        if field not in FIELDS:
            raise UnknownKeyError(
                "Measurements", "field", field, f"must be one of {', '.join(FIELDS)}"
            )
        array: NDArray[Any] = getattr(values, field)
        return array

    def _position(self, key: Mapping[str, Any]) -> int:
        if set(key) != set(self._names):
            raise UnknownKeyError(
                "Measurements",
                "key",
                dict(key),
                f"must name exactly the keys {', '.join(self._names)}",
            )
        lookups = self._positions
        if lookups is None:
            lookups = tuple(
                {label: c for c, label in enumerate(labels)} for labels in self._labels
            )
            fill_slots(
                self,
                _positions=lookups,
                _flat=combine_codes(self._codes, self._sizes()),
            )
        flat = 0
        for name, positions, size in zip(
            self._names, lookups, self._sizes(), strict=True
        ):
            try:
                code = positions.get(key[name])
            except TypeError:  # an unhashable label names no group
                code = None
            if code is None:
                raise UnknownKeyError(
                    "Measurements",
                    "key",
                    dict(key),
                    "names no group in these measurements",
                )
            flat = flat * size + code
        assert self._flat is not None  # set with the positions
        at = int(np.searchsorted(self._flat, flat))
        if at == len(self._flat) or int(self._flat[at]) != flat:
            raise UnknownKeyError(
                "Measurements", "key", dict(key), "names no group in these measurements"
            )
        return at

    def _sizes(self) -> list[int]:
        return [max(len(labels), 1) for labels in self._labels]

    def get(self, metric: str, **key: Any) -> Measurement:
        """The measurement of ``metric`` for the group ``key`` (all keys named).

        Example: ``m.get("satisfaction_rate", agent="a1", period=p)``. A
        binary search over the groups: no scan, no object per group.

        Raises:
            UnknownKeyError: for an unknown metric, a missing or extra key, or
                a group that does not exist.
        """
        self._check_metric(metric)
        row = self._position(key)
        values = self._finalized(metric)
        chosen = self._metrics[metric]
        n = float(values.n[row])
        return Measurement(
            metric=metric,
            key=dict(key),
            value=float(values.value[row]),
            numerator=float(values.numerator[row]),
            denominator=float(values.denominator[row]),
            n=int(n),
            low=float(values.low[row]),
            high=float(values.high[row]),
            insufficient=bool(n < max(self._min_sample, 1)),
            unit=chosen.unit,
            higher_is_better=chosen.higher_is_better,
        )

    def rows(self, metric: str, *, part: Part = "denominator", **key: Any) -> CellRows:
        """The conversations behind ``metric`` for the group ``key``.

        Example: ``m.rows("satisfaction_rate", part="numerator", agent="a1")``
        gives the satisfied ratings that the agent's rate counts. Measuring
        the returned table again gives back the same cell, except for
        case-based metrics (their follow-up contacts are not among the rows).

        Raises:
            ValidationError: for an unknown metric, group or ``part``; for a
                metric over knowledge tests; for measurements without their
                table (results of :meth:`merge` or an :class:`Accumulator`).
        """
        self._check_metric(metric)
        position = self._position(key)
        chosen = self._metrics[metric]
        if chosen.reads != "conversations":
            raise ValidationError(
                "Measurements",
                "metric",
                metric,
                "lists no conversations: it rests on knowledge tests",
            )
        if self._source is None:
            raise ValidationError(
                "Measurements",
                "rows",
                metric,
                "needs the measured table: merged and streamed results keep "
                "only sums; call measure on the table to drill down",
            )
        table, dimensions = self._source
        mask = chosen.counted(table, part)
        index = GroupIndex(table, Rows.of(table), dimensions, [chosen])
        wanted = index.position([int(c[position]) for c in self._codes])
        inside = (
            np.zeros(len(table), dtype=bool)
            if wanted is None
            else index.groups(chosen).index == wanted
        )
        return CellRows(
            metric=metric, key=dict(key), part=part, table=table.filter(inside & mask)
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per group and metric: the keys, ``metric`` and every field."""
        records = []
        columns = {
            name: {f: self.column(name, f).tolist() for f in FIELDS}
            for name in self._metrics
        }
        for row, key in enumerate(self.keys):
            for name in self._metrics:
                record: dict[str, Any] = dict(zip(self._names, key, strict=True))
                record["metric"] = name
                for field in FIELDS:
                    record[field] = columns[name][field][row]
                records.append(record)
        return records

    def to_pandas(self, *, period_labels: bool = False) -> Any:
        """One row per group and metric as a pandas DataFrame (the ``pandas`` extra).

        Rows come group by group, metrics in measured order, as in
        :meth:`to_records`. Columns are built from arrays (no object per
        group): key labels, ``metric``, every field; ``n`` is an integer
        column. Periods stay :class:`Period` objects unless
        ``period_labels=True`` makes them short text labels
        (``2025-11``, ``2025-W46``).
        """
        metrics = list(self._metrics)
        repeat = len(metrics)
        columns: dict[str, Any] = {}
        for name, labels, codes in zip(
            self._names, self._labels, self._codes, strict=True
        ):
            shown = [
                x.label if period_labels and isinstance(x, Period) else x
                for x in labels
            ]
            columns[name] = np.repeat(_objects(shown)[codes], repeat)
        columns["metric"] = np.tile(np.array(metrics, dtype=object), len(self))
        for field in FIELDS:
            stacked = (
                np.column_stack([self.column(name, field) for name in metrics])
                if metrics
                else np.zeros((len(self), 0))
            )
            flat = stacked.reshape(-1)
            columns[field] = flat.astype(np.int64) if field == "n" else flat
        return _frames.columns_frame(columns)

    def merge(self, other: Measurements) -> Measurements:
        """Results of both inputs together: states of equal groups are added.

        Merging the measurements of two tables equals measuring their
        concatenation, except for case-based metrics (first-contact
        resolution, repeat inquiries) whose cases span both tables.

        Raises:
            ValidationError: unless both have the same keys and metrics.
        """
        if not isinstance(other, Measurements):
            raise WrongTypeError("Measurements", "other", other, "must be Measurements")
        if self._names != other.key_names:
            raise ValidationError(
                "Measurements",
                "key_names",
                other.key_names,
                f"must equal {self._names}",
            )
        if self.metric_names != other.metric_names or any(
            self._states[n].shape[1] != other.state(n).shape[1] for n in self._metrics
        ):
            raise ValidationError(
                "Measurements",
                "metric_names",
                other.metric_names,
                f"must equal {self.metric_names}",
            )
        roles = dict(self._agent_roles)
        for agent, role in other.agent_roles.items():
            if roles.setdefault(agent, role) is not role:
                raise ValidationError(
                    "Measurements",
                    "agent_roles",
                    agent,
                    f"is a {roles[agent]} in one input and a {role} in the other",
                )
        labels = tuple(
            tuple(sorted(set(mine) | set(theirs), key=order_key))
            for mine, theirs in zip(self._labels, other._labels, strict=True)
        )
        sizes = [max(len(x), 1) for x in labels]

        def flat(side: Measurements) -> NDArray[np.int64]:
            recoded = []
            for own, union, codes in zip(
                side._labels, labels, side._codes, strict=True
            ):
                position = {label: c for c, label in enumerate(union)}
                mapping = np.array([position[x] for x in own], dtype=np.int64)
                recoded.append(mapping[codes] if len(codes) else codes)
            return (
                combine_codes(recoded, sizes)
                if recoded
                else np.zeros(len(side), np.int64)
            )

        mine, theirs = flat(self), flat(other)
        distinct, inverse = np.unique(
            np.concatenate([mine, theirs]), return_inverse=True
        )
        inverse = inverse.reshape(-1)
        states = {}
        for name, state in self._states.items():
            total = np.zeros((len(distinct), state.shape[1]))
            np.add.at(total, inverse[: len(mine)], state)
            np.add.at(total, inverse[len(mine) :], other.state(name))
            states[name] = total
        codes = split_codes(distinct, sizes) if self._names else ()
        return Measurements.from_codes(
            key_names=self._names,
            labels=labels,
            codes=codes,
            metrics=list(self._metrics.values()),
            states=states,
            min_sample=self._min_sample,
            agent_roles=roles,
        )

    def detached(self) -> Measurements:
        """The same results without the measured table (cheap to send).

        Drill-down (:meth:`rows`) needs the table; everything else works.
        """
        return Measurements.from_codes(
            key_names=self._names,
            labels=self._labels,
            codes=self._codes,
            metrics=list(self._metrics.values()),
            states=self._states,
            min_sample=self._min_sample,
            agent_roles=self._agent_roles,
        )


_SHAPES = (RateMetric, MeanMetric, SumMetric, QuantileMetric)
"""The catalogue's metric classes: known to follow the protocol."""


def _is_metric(candidate: object) -> TypeGuard[Metric]:
    return type(candidate) in _SHAPES or isinstance(candidate, Metric)


def resolve_metrics(metrics: Iterable[Metric | str] | Metric | str) -> list[Metric]:
    """Metric objects for ``metrics`` (objects or built-in names), each name once.

    Raises:
        WrongTypeError: for something that is neither a metric nor a name.
        UnknownKeyError: for an unknown name.
        ValidationError: for a name measured twice.
    """
    if isinstance(metrics, str | Metric):
        items: list[Any] = [metrics]
    else:
        try:
            items = list(metrics)
        except TypeError:
            raise WrongTypeError(
                "measure", "metrics", metrics, "must be metrics or metric names"
            ) from None
    resolved = [get_metric(m) if isinstance(m, str) else m for m in items]
    for metric in resolved:
        if not _is_metric(metric):
            raise WrongTypeError(
                "measure", "metrics", metric, "must be a Metric or a metric name"
            )
    names = [m.name for m in resolved]
    if len(set(names)) != len(names):
        repeated = next(n for n in names if names.count(n) > 1)
        raise ValidationError(
            "measure",
            "metrics",
            repeated,
            "is measured twice; give variants distinct names",
        )
    return resolved


_SHARE_INTERVALS = ("wilson", "jeffreys")


def _with_interval(metrics: list[Metric], interval: str | None) -> list[Metric]:
    if interval is None:
        return metrics
    if interval not in _SHARE_INTERVALS:
        raise ValidationError(
            "measure", "interval", interval, "must be 'wilson', 'jeffreys' or None"
        )
    return [
        attrs.evolve(m, interval=interval)  # type: ignore[misc]
        if m.interval in _SHARE_INTERVALS and attrs.has(type(m))
        else m
        for m in metrics
    ]


def measure(
    table: ConversationTable,
    metrics: Iterable[Metric | str] | Metric | str,
    *,
    by: Sequence[By] | By = (),
    min_sample: int = 1,
    interval: Literal["wilson", "jeffreys"] | None = None,
    threads: int | None = None,
) -> Measurements:
    """Measure ``metrics`` on ``table`` for every group of ``by``.

    Args:
        table: The conversations.
        metrics: Metric objects or built-in names (``"satisfaction_rate"``).
        by: Any mix of ``"agent"``, ``"team"``, ``"role"``, ``"channel"``,
            ``"topic"``, ``"difficulty"`` and calendars (``Daily(tz=...)``,
            ``Weekly``, ``Monthly``, ``Quarterly``, ``Yearly``, ``HourOfDay``,
            ``DayOfWeek``).
            Conversations fall in the period of their ``opened_at``; knowledge
            tests in that of ``taken_at``. ``()`` is one group: the whole table.
        min_sample: Fewest observations for a value not to be flagged
            ``insufficient`` (at least 1: no observations is always insufficient).
        interval: The interval of every share metric in this call:
            ``"wilson"`` or ``"jeffreys"`` (``None`` keeps each metric's own,
            Wilson by default). Means keep their t interval, quantiles their
            rank interval, totals are exact.
        threads: Threads for the per-group sums of tables over about a
            million rows (numpy releases the GIL there); ``None`` uses the
            cores available. Results are the same bit for bit whatever the
            number: each sum is one pass over the rows on one thread.

    Returns:
        Groups that have rows for at least one metric; every metric has a
        value (NaN where undefined) for every group.

    Raises:
        ValidationError: for an unknown metric or dimension, a dimension that
            does not apply to a metric's rows, or a repeated metric name
            (``WrongTypeError`` for arguments of the wrong type).
    """
    from servicequality._table import ConversationTable  # noqa: PLC0415  # cycle

    if not isinstance(table, ConversationTable):
        raise WrongTypeError("measure", "table", table, "must be a ConversationTable")
    min_sample = v.whole("measure", "min_sample", min_sample, minimum=0)
    workers = (
        available_cores()
        if threads is None
        else v.whole("measure", "threads", threads, minimum=1)
    )
    chosen = _with_interval(resolve_metrics(metrics), interval)
    dimensions = resolve_by(by)
    refuse_absent("measure", table.absent_columns, chosen, dimensions)
    rows = Rows.of(table)
    if workers > 1 and len(table) > _grouping.PARALLEL_ROWS:
        with ThreadPoolExecutor(workers) as pool:
            return _measure(table, rows, chosen, dimensions, min_sample, pool)
    return _measure(table, rows, chosen, dimensions, min_sample, None)


def _measure(  # noqa: PLR0917  # the resolved arguments of measure
    table: ConversationTable,
    rows: Rows,
    chosen: Sequence[Metric],
    dimensions: tuple[By, ...],
    min_sample: int,
    pool: Executor | None,
) -> Measurements:
    index = GroupIndex(table, rows, dimensions, chosen, pool=pool)
    for metric in chosen:
        reductions = getattr(metric, "reductions", None)
        if reductions is not None:
            groups = index.groups(metric)
            groups.announce(reductions(table, groups))
    codes, states = index.finish(
        {m.name: m.accumulate(table, index.groups(m)) for m in chosen}
    )
    names = key_names(dimensions)
    result = Measurements.__new__(Measurements)
    result._setup(  # the arrays are this call's own: kept uncopied
        names,
        index.labels,
        codes,
        chosen,
        states,
        min_sample,
        _roles_of(table, names, index.labels, codes),
        (table, dimensions),
        copy=False,
    )
    return result


def _roles_of(
    table: ConversationTable,
    names: tuple[str, ...],
    labels: tuple[tuple[Any, ...], ...],
    codes: tuple[NDArray[np.int64], ...],
) -> dict[str, Role]:
    if "agent" not in names:
        return {}
    position = names.index("agent")
    agents = labels[position]
    roles = dict(
        zip(
            table.vocabulary("agent_id").tolist(),
            table.agent_roles.tolist(),
            strict=True,
        )
    )
    members = tuple(Role)
    return {
        agents[c]: members[roles[agents[c]]]
        for c in np.flatnonzero(
            np.bincount(codes[position], minlength=len(agents))
        ).tolist()
    }


class Accumulator:
    """Streaming measurement: feed tables one by one, read results any time.

    ``update(a); update(b)`` gives the same result as ``measure(a + b)``
    for every metric whose rows are independent of each other. Metrics that
    declare ``needs_history`` (first-contact resolution, repeat inquiries)
    need a customer's whole history: feed batches that hold whole customers
    (split by customer, not by time), or measure those metrics on the full
    table.
    """

    def __init__(
        self,
        metrics: Iterable[Metric | str] | Metric | str,
        *,
        by: Sequence[By] | By = (),
        min_sample: int = 1,
    ) -> None:
        self._metrics = resolve_metrics(metrics)
        self._by = resolve_by(by)
        self._min_sample = v.whole("Accumulator", "min_sample", min_sample, minimum=0)
        self._result: Measurements | None = None

    def update(self, table: ConversationTable) -> None:
        """Add the conversations of ``table``."""
        measured = measure(
            table, self._metrics, by=self._by, min_sample=self._min_sample
        ).detached()
        self._result = (
            measured if self._result is None else self._result.merge(measured)
        )

    def merge(self, other: Accumulator) -> None:
        """Add everything ``other`` has seen (for example another worker's share)."""
        if not isinstance(other, Accumulator):
            raise WrongTypeError(
                "Accumulator", "other", other, "must be an Accumulator"
            )
        if other._result is None:  # same class
            return
        self._result = (
            other._result if self._result is None else self._result.merge(other._result)
        )

    def result(self) -> Measurements:
        """The measurements of everything seen so far (one empty group if nothing)."""
        if self._result is None:
            return Measurements(
                key_names=key_names(self._by),
                keys=[] if self._by else [()],
                metrics=self._metrics,
                states={
                    m.name: np.zeros((0 if self._by else 1, m.width))
                    for m in self._metrics
                },
                min_sample=self._min_sample,
            )
        return self._result
