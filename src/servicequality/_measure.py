"""``measure``, its result ``Measurements``, and the streaming ``Accumulator``."""

from __future__ import annotations

from datetime import UTC
from enum import Enum
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality import _display, _frames
from servicequality._errors import ValidationError
from servicequality._grouping import GroupIndex, key_names, resolve_by
from servicequality._model import Role
from servicequality._periods import Period
from servicequality.metrics._base import Metric, MetricValues
from servicequality.metrics._catalogue import get_metric
from servicequality.metrics._rows import Rows

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from numpy.typing import NDArray

    from servicequality._grouping import Dimension
    from servicequality._table import ConversationTable
    from servicequality.metrics._base import Part

__all__ = ["Accumulator", "CellRows", "Measurement", "Measurements", "measure"]

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


def _order_key(label: Any) -> tuple[Any, ...]:
    if label is None:
        return (0,)
    if isinstance(label, Period):
        return (1, label.start.astimezone(UTC))
    if isinstance(label, Enum):
        return (1, list(type(label)).index(label))
    return (1, label)


class Measurements:
    """Per-group results of ``measure``: values, counts, intervals and states.

    Groups are sorted by key (ids alphabetically, periods in time order,
    "none" first). The additive states are kept, so two results merge by
    adding states (:meth:`merge`).
    """

    __slots__ = (
        "_agent_roles",
        "_index",
        "_keys",
        "_metrics",
        "_min_sample",
        "_names",
        "_source",
        "_states",
        "_values",
    )

    def __init__(
        self,
        *,
        key_names: tuple[str, ...],
        keys: Sequence[tuple[Any, ...]],
        metrics: Sequence[Metric],
        states: Mapping[str, NDArray[np.float64]],
        min_sample: int = 1,
        agent_roles: Mapping[str, Role] | None = None,
        source: tuple[ConversationTable, tuple[Dimension, ...]] | None = None,
    ) -> None:
        """Hold finished states; built by :func:`measure` and :meth:`merge`."""
        self._source = source
        order = sorted(
            range(len(keys)), key=lambda i: tuple(_order_key(x) for x in keys[i])
        )
        self._names = key_names
        self._keys = tuple(keys[i] for i in order)
        self._metrics = {m.name: m for m in metrics}
        self._states = {name: np.asarray(states[name])[order] for name in self._metrics}
        for state in self._states.values():
            state.flags.writeable = False
        self._min_sample = min_sample
        self._agent_roles = dict(sorted((agent_roles or {}).items()))
        self._values: dict[str, MetricValues] = {}
        self._index: dict[tuple[Any, ...], int] | None = None

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return (
            f"<Measurements: {len(self)} groups by ({', '.join(self._names)}) × "
            f"{len(self._metrics)} metrics: {', '.join(self._metrics)}>"
        )

    def _repr_html_(self) -> str:
        """A table for notebooks: one row per group, one column per metric.

        Each cell shows the value, its interval and ``n``; insufficient
        cells are grey. Long results are cut with a count of the rest.
        """
        shown = self._keys[: _display.MAX_ROWS]
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
            total=len(self._keys),
        )

    @property
    def key_names(self) -> tuple[str, ...]:
        """Names of the group keys, in ``by`` order."""
        return self._names

    @property
    def keys(self) -> tuple[tuple[Any, ...], ...]:
        """One tuple of labels per group."""
        return self._keys

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
        """The additive state of metric ``name``: shape ``(groups, width)``."""
        self._check_metric(name)
        return self._states[name]

    def _check_metric(self, name: str) -> None:
        if name not in self._metrics:
            raise ValidationError(
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

    def key_column(self, key: str) -> tuple[Any, ...]:
        """The label of key ``key`` for every group."""
        if key not in self._names:
            raise ValidationError(
                "Measurements",
                "key",
                key,
                f"is not a key; keys: {', '.join(self._names)}",
            )
        position = self._names.index(key)
        return tuple(k[position] for k in self._keys)

    def column(self, metric: str, field: str = "value") -> NDArray[Any]:
        """One field of one metric for every group, as a numpy array.

        ``field`` is one of ``value``, ``numerator``, ``denominator``, ``n``,
        ``low``, ``high`` or ``insufficient``.
        """
        values = self._finalized(metric)
        if field == "insufficient":
            return np.asarray(values.n < max(self._min_sample, 1))
        if field not in FIELDS:
            raise ValidationError(
                "Measurements", "field", field, f"must be one of {', '.join(FIELDS)}"
            )
        array: NDArray[Any] = getattr(values, field)
        return array

    def _position(self, key: Mapping[str, Any]) -> int:
        if set(key) != set(self._names):
            raise ValidationError(
                "Measurements",
                "key",
                dict(key),
                f"must name exactly the keys {', '.join(self._names)}",
            )
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self._keys)}
        wanted = tuple(key[name] for name in self._names)
        if wanted not in self._index:
            raise ValidationError(
                "Measurements", "key", dict(key), "names no group in these measurements"
            )
        return self._index[wanted]

    def get(self, metric: str, **key: Any) -> Measurement:
        """The measurement of ``metric`` for the group ``key`` (all keys named).

        Example: ``m.get("satisfaction_rate", agent="a1", period=p)``.

        Raises:
            ValidationError: for an unknown metric, a missing or extra key, or
                a group that does not exist.
        """
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
                metric over knowledge tests or one that cannot list its rows
                (no ``counted`` method); for measurements without their
                table (results of :meth:`merge` or an :class:`Accumulator`).
        """
        self._check_metric(metric)
        position = self._position(key)
        chosen = self._metrics[metric]
        counted = getattr(chosen, "counted", None)
        if chosen.rows != "conversations" or counted is None:
            raise ValidationError(
                "Measurements",
                "metric",
                metric,
                "lists no conversations: it rests on knowledge tests"
                if chosen.rows != "conversations"
                else "has no counted(table, part) method to list its rows",
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
        mask = counted(table, part)
        index = GroupIndex(table, Rows.of(table), dimensions, [chosen])
        wanted = self._keys[position]
        inside = (
            index.groups(chosen).index == index.keys.index(wanted)
            if wanted in index.keys
            else np.zeros(len(table), dtype=bool)
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
        for row, key in enumerate(self._keys):
            for name in self._metrics:
                record: dict[str, Any] = dict(zip(self._names, key, strict=True))
                record["metric"] = name
                for field in FIELDS:
                    record[field] = columns[name][field][row]
                records.append(record)
        return records

    def to_pandas(self) -> Any:
        """:meth:`to_records` as a pandas DataFrame (the ``pandas`` extra).

        Key columns keep their labels (``Period`` objects for calendars).
        """
        return _frames.records_frame(
            self.to_records(), [*self._names, "metric", *FIELDS]
        )

    def _detached(self) -> Measurements:
        """The same results without the measured table (cheap to send)."""
        return Measurements(
            key_names=self._names,
            keys=self._keys,
            metrics=list(self._metrics.values()),
            states=self._states,
            min_sample=self._min_sample,
            agent_roles=self._agent_roles,
        )

    def merge(self, other: Measurements) -> Measurements:
        """Results of both inputs together: states of equal groups are added.

        Merging the measurements of two tables equals measuring their
        concatenation, except for case-based metrics (first-contact
        resolution, repeat inquiries) whose cases span both tables.

        Raises:
            ValidationError: unless both have the same keys and metrics.
        """
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
        keys = list(dict.fromkeys([*self._keys, *other.keys]))
        position = {k: i for i, k in enumerate(keys)}
        states = {}
        for name, state in self._states.items():
            total = np.zeros((len(keys), state.shape[1]))
            np.add.at(total, [position[k] for k in self._keys], state)
            np.add.at(total, [position[k] for k in other.keys], other.state(name))
            states[name] = total
        return Measurements(
            key_names=self._names,
            keys=keys,
            metrics=list(self._metrics.values()),
            states=states,
            min_sample=self._min_sample,
            agent_roles=roles,
        )


def _resolve_metrics(metrics: Iterable[Metric | str] | Metric | str) -> list[Metric]:
    items = [metrics] if isinstance(metrics, (str, Metric)) else list(metrics)
    resolved = [get_metric(m) if isinstance(m, str) else m for m in items]
    for metric in resolved:
        if not isinstance(metric, Metric):
            raise ValidationError(
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


def measure(
    table: ConversationTable,
    metrics: Iterable[Metric | str] | Metric | str,
    *,
    by: Sequence[Dimension] | Dimension = (),
    min_sample: int = 1,
) -> Measurements:
    """Measure ``metrics`` on ``table`` for every group of ``by``.

    Args:
        table: The conversations.
        metrics: Metric objects or built-in names (``"satisfaction_rate"``).
        by: Any mix of ``"agent"``, ``"team"``, ``"role"``, ``"channel"``,
            ``"topic"``, ``"difficulty"`` and calendars (``Weekly(tz)``,
            ``Monthly(tz)``, ``Quarterly(tz)``, ``Yearly(tz)``, ``HourOfDay(tz)``).
            Conversations fall in the period of their ``opened_at``; knowledge
            tests in that of ``taken_at``. ``()`` is one group: the whole table.
        min_sample: Fewest observations for a value not to be flagged
            ``insufficient`` (at least 1: no observations is always insufficient).

    Returns:
        Groups that have rows for at least one metric; every metric has a
        value (NaN where undefined) for every group.

    Raises:
        ValidationError: for an unknown metric or dimension, a dimension that
            does not apply to a metric's rows, or a repeated metric name.
    """
    if (
        isinstance(min_sample, bool)
        or not isinstance(min_sample, int)
        or min_sample < 0
    ):
        raise ValidationError(
            "measure", "min_sample", min_sample, "must be a whole number >= 0"
        )
    chosen = _resolve_metrics(metrics)
    dimensions = resolve_by(by)
    rows = Rows.of(table)
    index = GroupIndex(table, rows, dimensions, chosen)
    states = {m.name: m.accumulate(table, index.groups(m)) for m in chosen}
    names = key_names(dimensions)
    return Measurements(
        key_names=names,
        keys=index.keys,
        metrics=chosen,
        states=states,
        min_sample=min_sample,
        agent_roles=_roles_of(table, names, index.keys),
        source=(table, dimensions),
    )


def _roles_of(
    table: ConversationTable, names: tuple[str, ...], keys: Sequence[tuple[Any, ...]]
) -> dict[str, Role]:
    if "agent" not in names:
        return {}
    position = names.index("agent")
    present = {key[position] for key in keys}
    codes = table.agent_roles.tolist()
    return {
        agent: Role.from_code(code)
        for agent, code in zip(
            table.vocabulary("agent_id").tolist(), codes, strict=True
        )
        if agent in present
    }


class Accumulator:
    """Streaming measurement: feed tables one by one, read results any time.

    ``update(a); update(b)`` gives the same result as ``measure(a + b)``
    for every metric whose rows are independent of each other. Case-based
    metrics (first-contact resolution, repeat inquiries) need a customer's
    whole history: feed batches that hold whole customers (split by
    customer, not by time), or measure those metrics on the full table.
    """

    def __init__(
        self,
        metrics: Iterable[Metric | str] | Metric | str,
        *,
        by: Sequence[Dimension] | Dimension = (),
        min_sample: int = 1,
    ) -> None:
        self._metrics = _resolve_metrics(metrics)
        self._by = resolve_by(by)
        self._min_sample = min_sample
        self._result: Measurements | None = None

    def update(self, table: ConversationTable) -> None:
        """Add the conversations of ``table``."""
        measured = measure(
            table, self._metrics, by=self._by, min_sample=self._min_sample
        )._detached()
        self._result = (
            measured if self._result is None else self._result.merge(measured)
        )

    def merge(self, other: Accumulator) -> None:
        """Add everything ``other`` has seen (for example another worker's share)."""
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
