"""The metric protocol, group index, and the reusable metric shapes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

import attrs
import numpy as np

from servicequality import _validators as v
from servicequality._engine._facts import Rows
from servicequality._engine._grouping import Groups
from servicequality._errors import ValidationError
from servicequality._hours import checked
from servicequality.stats._intervals import (
    jeffreys_interval,
    mean_interval,
    normal_quantile,
    wilson_interval,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from servicequality._hours import ServiceHours
    from servicequality._table import ConversationTable

__all__ = [
    "Groups",
    "Interval",
    "MeanMetric",
    "Metric",
    "MetricValues",
    "Part",
    "Population",
    "QuantileMetric",
    "RateMetric",
    "RowKind",
    "SumMetric",
]

Population = Literal["humans", "bots", "all"]
RowKind = Literal["conversations", "knowledge_tests"]
Part = Literal["numerator", "denominator"]
Interval = Literal["wilson", "jeffreys", "t", "rank", "exact", "ratio"]
Mask = Callable[[Rows], "NDArray[np.bool_]"]
Values = Callable[[Rows], "NDArray[Any]"]


@attrs.frozen(kw_only=True, eq=False)
class MetricValues:
    """Finalized per-group results of one metric (arrays of equal length).

    Attributes:
        value: The metric's value; NaN where undefined.
        numerator: Rates: qualifying count; means and sums: the total.
        denominator: Rates: eligible count; means: observations; else NaN.
        n: Observations the value rests on.
        low: Lower confidence bound (NaN where undefined).
        high: Upper confidence bound (NaN where undefined).
    """

    value: NDArray[np.float64]
    numerator: NDArray[np.float64]
    denominator: NDArray[np.float64]
    n: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]


@runtime_checkable
class Metric(Protocol):
    """What ``measure`` needs of a metric.

    A metric turns the rows of one group into a fixed-width vector of sums
    (its *state*); two states of the same group merge by ``+``. Rows are
    conversations (grouped by who they count for) or knowledge tests
    (grouped by the agent tested).

    A metric may also have ``reductions(table, groups)``: the arrays its
    ``accumulate`` will pass to ``groups.count_where`` and ``groups.sum``
    (the same objects, shared through ``groups.memo``). ``measure`` then
    starts reducing them, with every other metric's, before ``accumulate``
    runs. Without it the metric is reduced when it asks.
    """

    @property
    def name(self) -> str:
        """Stable name, the key in results and in the registry."""
        ...

    @property
    def higher_is_better(self) -> bool:
        """Direction: whether a larger value is the better one."""
        ...

    @property
    def unit(self) -> str:
        """Unit of the value: share, seconds, score, count or points."""
        ...

    @property
    def reads(self) -> RowKind:
        """Which rows it reads: ``"conversations"`` or ``"knowledge_tests"``."""
        ...

    @property
    def population(self) -> Population:
        """Whose conversations count: ``"humans"``, ``"bots"`` or ``"all"``."""
        ...

    @property
    def width(self) -> int:
        """Number of sums in the state of one group."""
        ...

    @property
    def parts(self) -> tuple[str, ...]:
        """The name of each sum in the state, in column order (``width`` names)."""
        ...

    @property
    def needs_history(self) -> bool:
        """Whether a row's contribution depends on the customer's other rows.

        Such a metric (first-contact resolution, repeat inquiries) must see
        every conversation of a customer at once: distributed and streamed
        measurement split its input by customer, never by time.
        """
        ...

    @property
    def interval(self) -> Interval:
        """The confidence interval of its values.

        ``"wilson"`` or ``"jeffreys"`` (shares), ``"t"`` (means), ``"rank"``
        (quantiles), ``"exact"`` (totals, which have no sampling error) or
        ``"ratio"`` (case-mix ratios: a score interval of observed / expected).
        """
        ...

    @property
    def confidence(self) -> float | None:
        """Confidence level of its interval (0.95); ``None`` for exact totals."""
        ...

    def counted(
        self, table: ConversationTable, part: Part = "denominator"
    ) -> NDArray[np.bool_]:
        """Rows of ``table`` that add to ``part`` of the state.

        Before grouping by population: the drill-down behind a cell.
        """
        ...

    def accumulate(
        self, table: ConversationTable, groups: Groups
    ) -> NDArray[np.float64]:
        """The state: an array of shape ``(groups.count, width)`` of sums."""
        ...

    def finalize(self, state: NDArray[np.float64]) -> MetricValues:
        """Per-group values, counts and intervals from a state."""
        ...


def check_part(owner: str, part: object) -> None:
    """Refuse a ``part`` other than ``"numerator"`` or ``"denominator"``."""
    if part not in {"numerator", "denominator"}:
        raise ValidationError(
            owner, "part", part, "must be 'numerator' or 'denominator'"
        )


def check_window(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An attrs validator: ``value`` must be ``ServiceHours`` or ``None``."""
    checked(type(instance).__name__, attribute.name, value)


def _undefined(size: int) -> NDArray[np.float64]:
    return np.full(size, np.nan)


@attrs.frozen(kw_only=True)
class RateMetric:
    """A share: rows where ``numerator`` holds among rows where ``denominator`` holds.

    The numerator is always taken within the denominator. State: (numerator
    count, denominator count). Value NaN where the denominator is 0; Wilson
    score interval.

    Attributes:
        name: Stable metric name.
        numerator: ``Rows -> bool array``: the qualifying rows.
        denominator: ``Rows -> bool array``: the eligible rows.
        higher_is_better: Direction of the metric.
        population: Whose conversations count (``"humans"`` by default).
        confidence: Confidence level of the interval (0.95).
        description: One sentence for people.
        service_window: Count only conversations opened inside these
            :class:`ServiceHours` (a platform's 08:00–23:00, say); ``None``
            counts every conversation.
    """

    reads: ClassVar[RowKind] = "conversations"
    width: ClassVar[int] = 2
    parts: ClassVar[tuple[str, ...]] = ("numerator", "denominator")
    unit: ClassVar[str] = "share"
    name: str = attrs.field(validator=v.python_name)
    numerator: Mask
    denominator: Mask
    higher_is_better: bool = True
    population: Population = attrs.field(
        default="humans", validator=v.one_of("humans", "bots", "all")
    )
    confidence: float = attrs.field(default=0.95, validator=v.probability)
    description: str = ""
    service_window: ServiceHours | None = attrs.field(
        default=None, validator=check_window
    )
    interval: Literal["wilson", "jeffreys"] = attrs.field(
        default="wilson", validator=v.one_of("wilson", "jeffreys")
    )
    needs_history: bool = attrs.field(default=False, validator=v.boolean)

    def _eligible(self, rows: Rows) -> NDArray[np.bool_]:
        eligible = self.denominator(rows)
        if self.service_window is not None:
            eligible = eligible & rows.opened_inside(self.service_window)
        return eligible

    def _qualifying(self, rows: Rows, eligible: NDArray[np.bool_]) -> NDArray[np.bool_]:
        qualifying = self.numerator(rows)
        return qualifying if eligible is rows.every else qualifying & eligible

    def counted(
        self, table: ConversationTable, part: Part = "denominator"
    ) -> NDArray[np.bool_]:
        """Rows that add to ``part`` of the state, before grouping by population."""
        check_part(self.name, part)
        rows = Rows.of(table)
        eligible = self._eligible(rows)
        if part == "denominator":
            return eligible
        return self._qualifying(rows, eligible)

    def reductions(
        self, table: ConversationTable, groups: Groups
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """The qualifying and eligible masks, counted per group by ``accumulate``.

        Metrics of one ``measure`` call with the same numerator, denominator
        and window share these masks (and their counts).
        """
        rows = Rows.of(table)
        window = self.service_window
        eligible = groups.memo(
            ("eligible", self.denominator, window), lambda: self._eligible(rows)
        )
        qualifying = groups.memo(
            ("qualifying", self.numerator, self.denominator, window),
            lambda: self._qualifying(rows, eligible),
        )
        return qualifying, eligible

    def accumulate(
        self, table: ConversationTable, groups: Groups
    ) -> NDArray[np.float64]:
        """Counts of numerator and denominator rows per group."""
        return np.column_stack(
            [groups.count_where(m) for m in self.reductions(table, groups)]
        )

    def finalize(self, state: NDArray[np.float64]) -> MetricValues:
        """Share, counts and interval (Wilson or Jeffreys) per group."""
        numerator, denominator = state[:, 0], state[:, 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(denominator > 0, numerator / denominator, np.nan)
        bounds = wilson_interval if self.interval == "wilson" else jeffreys_interval
        low, high = bounds(numerator, denominator, confidence=self.confidence)
        return MetricValues(
            value=value,
            numerator=numerator,
            denominator=denominator,
            n=denominator,
            low=low,
            high=high,
        )


@attrs.frozen(kw_only=True)
class MeanMetric:
    """A mean of ``values`` over rows where ``where`` holds.

    State: (n, sum, sum of squares). Value NaN where n is 0; Student t
    interval (NaN bounds below 2 observations).

    Attributes:
        name: Stable metric name.
        values: ``Rows -> float array`` (aligned with ``rows``).
        where: ``Rows -> bool array``: the rows to average; values there
            must be finite.
        unit: Unit of the values.
        higher_is_better: Direction of the metric.
        reads: ``"conversations"`` or ``"knowledge_tests"``.
        population: Whose conversations count (``"humans"`` by default).
        confidence: Confidence level of the interval (0.95).
        description: One sentence for people.
    """

    width: ClassVar[int] = 3
    parts: ClassVar[tuple[str, ...]] = ("n", "sum", "sum_of_squares")
    interval: ClassVar[Interval] = "t"
    needs_history: ClassVar[bool] = False
    name: str = attrs.field(validator=v.python_name)
    values: Values
    where: Mask
    unit: str = "score"
    higher_is_better: bool = True
    reads: RowKind = attrs.field(
        default="conversations",
        validator=v.one_of("conversations", "knowledge_tests"),
    )
    population: Population = attrs.field(
        default="humans", validator=v.one_of("humans", "bots", "all")
    )
    confidence: float = attrs.field(default=0.95, validator=v.probability)
    description: str = ""

    def counted(
        self, table: ConversationTable, part: Part = "denominator"
    ) -> NDArray[np.bool_]:
        """Rows that add to the state (the same for both parts), before grouping."""
        check_part(self.name, part)
        return self.where(Rows.of(table))

    def reductions(
        self, table: ConversationTable, groups: Groups
    ) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]]:
        """The counted rows, their values (0 elsewhere) and squared values.

        Raises:
            ValidationError: for a NaN or infinite value on a counted row.
        """
        rows = Rows.of(table)
        where = groups.memo(("where", self.where), lambda: self.where(rows))

        def observed() -> NDArray[np.float64]:
            values = np.where(where, self.values(rows), 0.0)
            if not np.isfinite(values.sum()) and not np.isfinite(values).all():
                raise ValidationError(
                    self.name,
                    "values",
                    "NaN or infinity",
                    "must be finite on every counted row",
                )
            return values

        values = groups.memo(("finite", self.values, self.where), observed)
        squares = groups.memo(
            ("squares", self.values, self.where), lambda: values * values
        )
        return where, values, squares

    def accumulate(
        self, table: ConversationTable, groups: Groups
    ) -> NDArray[np.float64]:
        """Count, sum and sum of squares per group."""
        where, values, squares = self.reductions(table, groups)
        return np.column_stack(
            [groups.count_where(where), groups.sum(values), groups.sum(squares)]
        )

    def finalize(self, state: NDArray[np.float64]) -> MetricValues:
        """Mean, count and t interval per group."""
        n, total, squares = state[:, 0], state[:, 1], state[:, 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(n > 0, total / n, np.nan)
        low, high = mean_interval(n, total, squares, confidence=self.confidence)
        return MetricValues(
            value=value, numerator=total, denominator=n, n=n, low=low, high=high
        )


@attrs.frozen(kw_only=True)
class SumMetric:
    """A total of ``values`` over rows where ``where`` holds (a count or workload).

    State: (n, sum). An exact total has no sampling interval: both bounds
    equal the value. A group with no rows totals 0, which is a real value.

    Attributes:
        name: Stable metric name.
        values: ``Rows -> float array``.
        where: ``Rows -> bool array``.
        unit: Unit of the total.
        population: Whose conversations count (``"humans"`` by default).
        description: One sentence for people.
    """

    reads: ClassVar[RowKind] = "conversations"
    width: ClassVar[int] = 2
    parts: ClassVar[tuple[str, ...]] = ("n", "total")
    interval: ClassVar[Interval] = "exact"
    confidence: ClassVar[None] = None
    needs_history: ClassVar[bool] = False
    higher_is_better: ClassVar[bool] = True
    name: str = attrs.field(validator=v.python_name)
    values: Values
    where: Mask
    unit: str = "count"
    population: Population = attrs.field(
        default="humans", validator=v.one_of("humans", "bots", "all")
    )
    description: str = ""

    def counted(
        self, table: ConversationTable, part: Part = "denominator"
    ) -> NDArray[np.bool_]:
        """Rows that add to the state (the same for both parts), before grouping."""
        check_part(self.name, part)
        return self.where(Rows.of(table))

    def reductions(
        self, table: ConversationTable, groups: Groups
    ) -> tuple[NDArray[np.bool_], NDArray[Any]]:
        """The counted rows and their values (0 elsewhere)."""
        rows = Rows.of(table)
        where = groups.memo(("where", self.where), lambda: self.where(rows))
        values = groups.memo(
            ("values", self.values, self.where),
            lambda: (
                self.values(rows)
                if where is rows.every
                else np.where(where, self.values(rows), 0.0)
            ),
        )
        return where, values

    def accumulate(
        self, table: ConversationTable, groups: Groups
    ) -> NDArray[np.float64]:
        """Row count and total per group."""
        where, values = self.reductions(table, groups)
        return np.column_stack([groups.count_where(where), groups.sum(values)])

    def finalize(self, state: NDArray[np.float64]) -> MetricValues:
        """Totals per group."""
        n, total = state[:, 0], state[:, 1]
        return MetricValues(
            value=total.copy(),
            numerator=total,
            denominator=_undefined(len(n)),
            n=n,
            low=total,
            high=total,
        )


LOWEST_BUCKET = 0.1
"""Seconds: values below fall in one bucket represented by half of it."""
HIGHEST_BUCKET = 1e8
"""Seconds: values at or above fall in one overflow bucket."""
BUCKET_RATIO = 1.04
"""Each bucket is 4 % wider than the previous one."""
_BUCKETS = math.ceil(math.log(HIGHEST_BUCKET / LOWEST_BUCKET) / math.log(BUCKET_RATIO))
QUANTILE_RELATIVE_ERROR = math.sqrt(BUCKET_RATIO) - 1
"""Largest relative error (about 1.98 %) of a histogram quantile in range."""
_REPRESENTATIVE = np.concatenate(
    [
        [LOWEST_BUCKET / 2],
        LOWEST_BUCKET * BUCKET_RATIO ** (np.arange(_BUCKETS) + 0.5),
        [HIGHEST_BUCKET],
    ]
)


def bucket_of(values: NDArray[np.float64]) -> NDArray[np.intp]:
    """Histogram bucket of non-negative seconds (0 below 0.1 s, last from 1e8 s)."""
    with np.errstate(divide="ignore"):
        position = np.floor(
            np.log(np.maximum(values, 1e-300) / LOWEST_BUCKET) / math.log(BUCKET_RATIO)
        )
    return np.asarray(
        np.clip(position + 1, 0, _BUCKETS + 1).astype(np.intp), dtype=np.intp
    )


def histogram_state(
    group: NDArray[np.intp], bucket: NDArray[np.intp], count: int
) -> NDArray[np.float64]:
    """The state ``(n, count per bucket)`` of ``count`` groups, one pass.

    ``group`` and ``bucket`` hold each counted value's group and bucket.
    """
    width = len(_REPRESENTATIVE) + 1
    cells = group * width + bucket + 1
    state = np.asarray(
        np.bincount(cells, weights=np.ones(len(cells)), minlength=count * width),
        dtype=np.float64,
    ).reshape(count, width)
    state[:, 0] = np.bincount(group, minlength=count)
    return state


def _ranked(
    state: NDArray[np.float64],
) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """Per group, the bucket value at a rank: one search per group.

    ``state`` rows are ``(n, count per bucket)``. One running total runs
    over every row in turn; a group's rank plus the total up to its ``n``
    finds its bucket there.
    """
    groups, width = state.shape
    running = np.cumsum(np.ascontiguousarray(state), axis=None)
    first = np.arange(groups) * width
    base = running[first] if groups else np.zeros(0)

    def at_rank(rank: NDArray[np.float64]) -> NDArray[np.float64]:
        position = np.searchsorted(running, base + rank, side="left") - first - 1
        bucket = np.clip(position, 0, len(_REPRESENTATIVE) - 1)
        return np.asarray(_REPRESENTATIVE[bucket], dtype=np.float64)

    return at_rank


@attrs.frozen(kw_only=True)
class QuantileMetric:
    """A quantile of non-negative ``values`` from a fixed log-spaced histogram.

    The state is additive: (n, count per bucket). Buckets are 4 % wide from
    0.1 to 1e8 (seconds, for example), so the estimate of the order statistic
    ``ceil(q·n)`` is within :data:`QUANTILE_RELATIVE_ERROR` (about 2 %) of the
    true value in that range, and within 0.05 below it. The interval is the
    distribution-free binomial interval on ranks.

    Attributes:
        name: Stable metric name.
        values: ``Rows -> float array`` of non-negative values.
        where: ``Rows -> bool array``.
        q: The quantile, strictly between 0 and 1 (0.5 is the median).
        unit: Unit of the values.
        higher_is_better: Direction of the metric.
        population: Whose conversations count (``"humans"`` by default).
        confidence: Confidence level of the interval (0.95).
        description: One sentence for people.
    """

    reads: ClassVar[RowKind] = "conversations"
    width: ClassVar[int] = _BUCKETS + 3
    parts: ClassVar[tuple[str, ...]] = (
        "n",
        *(f"bucket_{i}" for i in range(_BUCKETS + 2)),
    )
    interval: ClassVar[Interval] = "rank"
    needs_history: ClassVar[bool] = False
    name: str = attrs.field(validator=v.python_name)
    values: Values
    where: Mask
    q: float = 0.5
    unit: str = "seconds"
    higher_is_better: bool = False
    population: Population = attrs.field(
        default="humans", validator=v.one_of("humans", "bots", "all")
    )
    confidence: float = attrs.field(default=0.95, validator=v.probability)
    description: str = ""

    def counted(
        self, table: ConversationTable, part: Part = "denominator"
    ) -> NDArray[np.bool_]:
        """Rows that add to the state (the same for both parts), before grouping."""
        check_part(self.name, part)
        return self.where(Rows.of(table))

    def accumulate(
        self, table: ConversationTable, groups: Groups
    ) -> NDArray[np.float64]:
        """Observation count and bucket counts per group."""
        rows = Rows.of(table)
        where = self.where(rows)
        values = np.where(where, self.values(rows), 0.0)
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValidationError(
                self.name, "values", "…", "must be finite and >= 0 on counted rows"
            )
        counted = where & (groups.index >= 0)
        return histogram_state(
            groups.index[counted], bucket_of(values[counted]), groups.count
        )

    def finalize(self, state: NDArray[np.float64]) -> MetricValues:
        """Quantile estimate, count and rank interval per group."""
        n = state[:, 0]
        at_rank = _ranked(state)
        z = normal_quantile(1 - (1 - self.confidence) / 2)
        spread = z * np.sqrt(n * self.q * (1 - self.q))
        rank = np.clip(np.ceil(self.q * n), 1, np.maximum(n, 1))
        low_rank = np.clip(np.floor(self.q * n - spread), 1, np.maximum(n, 1))
        high_rank = np.clip(np.ceil(self.q * n + spread) + 1, 1, np.maximum(n, 1))
        empty = n == 0
        value = np.where(empty, np.nan, at_rank(rank))
        low = np.where(empty, np.nan, at_rank(low_rank))
        high = np.where(empty, np.nan, at_rank(high_rank))
        return MetricValues(
            value=value,
            numerator=_undefined(len(n)),
            denominator=n,
            n=n,
            low=low,
            high=high,
        )
