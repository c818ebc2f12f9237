"""Case-mix adjustment: observed against expected given the cells an agent handled."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np

from servicequality import _validators as v
from servicequality._engine._measure import measure
from servicequality._errors import UnknownKeyError, ValidationError
from servicequality._schema import COLUMNS
from servicequality._table import ConversationTable
from servicequality.metrics._base import MetricValues, RateMetric
from servicequality.metrics._catalogue import get_metric
from servicequality.stats import normal_quantile

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from servicequality.metrics._base import (
        Groups,
        Interval,
        Part,
        Population,
        RowKind,
    )

__all__ = ["CASE_MIX_CELLS", "CaseMixRatio", "case_mix_ratio"]

CASE_MIX_CELLS = ("difficulty", "topic", "channel")
"""The columns whose combinations are the cells of the adjustment, by default."""


def _cell_codes(
    table: ConversationTable, column: str
) -> tuple[NDArray[np.int64], list[Any]]:
    """Row codes of ``column`` shifted so 0 is "missing", and their labels."""
    spec = COLUMNS[column]
    if spec.kind == "enum" and spec.enum is not None:
        labels: list[Any] = [None, *spec.enum]
    else:
        labels = [None, *table.vocabulary(spec.vocabulary or column).tolist()]
    return table[column].astype(np.int64) + 1, labels


def _check_cells(cells: object) -> tuple[str, ...]:
    chosen = tuple(v.sequence("case_mix_ratio", "cells", cells))
    for column in chosen:
        spec = COLUMNS.get(column) if isinstance(column, str) else None
        if (
            spec is None
            or spec.kind not in ("enum", "code")
            or column
            in (
                "conversation_id",
                "customer_id",
                "case_id",
            )
        ):
            raise ValidationError(
                "case_mix_ratio",
                "cells",
                column,
                "must name a category column (difficulty, topic, channel…)",
            )
    if len(set(chosen)) != len(chosen):
        raise ValidationError("case_mix_ratio", "cells", chosen, "names a column twice")
    return chosen


def _cells_field(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple):
        v.fail(instance, attribute.name, value, "must be a tuple of column names")
    _check_cells(value)


def _reference_field(
    instance: Any, attribute: attrs.Attribute[Any], value: Any
) -> None:
    rule = (
        "must be a tuple of (cell labels, successes, trials), 0 <= successes <= trials"
    )
    if not isinstance(value, tuple):
        v.fail(instance, attribute.name, value, rule)
    for entry in value:
        if not (
            isinstance(entry, tuple)
            and len(entry) == 3  # labels, successes, trials
            and isinstance(entry[0], tuple)
            and all(isinstance(x, int | float) for x in entry[1:])
            and 0 <= entry[1] <= entry[2] < math.inf
        ):
            v.fail(instance, attribute.name, entry, rule)


@attrs.frozen(kw_only=True, repr=False)
class CaseMixRatio:
    """A share's observed count over the count expected from the team's cell rates.

    Indirect standardisation: each counted conversation expects the team's
    rate in its cell (the combination of ``cells`` it falls in), so a
    group's ``expected = Σ over cells of its count × team rate in the cell``.
    The value is ``observed / expected``: 1 means the group does as well as
    the team would on the same mix of work; 1.1 means 10 % more satisfied
    ratings (or first-contact resolutions) than expected.

    The interval is a score interval under a binomial model: the ratio ``R``
    makes row ``i`` succeed with probability ``R·eᵢ`` (``eᵢ`` its cell's team
    rate), so ``Var O = R·E - R²·Σeᵢ²``; the bounds solve
    ``(O - R·E)² = z²·(R·E - R²·Σeᵢ²)`` for ``R``. When every row has the
    same rate it is Wilson's interval divided by that rate. Team rates are
    taken as known (the team is much larger than one agent).

    A metric: measure it ``by="agent"`` (or any grouping), tier it with a
    :class:`~servicequality.policy.TierPolicy` (unit ``"ratio"``, higher is
    better when the base metric's is) or weigh it in a scorecard.

    Attributes:
        name: The metric's name (``"<base>_case_mix"`` by default).
        base: The share adjusted (``satisfaction_rate``, ``first_contact_resolution``).
        cells: The columns that define cells, those present in the team table.
        left_out: Requested columns the team table lacks (not adjusted for).
        reference: Per cell: its labels, the team's successes and trials.
        confidence: Confidence level of the interval.
    """

    unit: ClassVar[str] = "ratio"
    width: ClassVar[int] = 4
    parts: ClassVar[tuple[str, ...]] = ("observed", "expected", "expected_squares", "n")
    interval: ClassVar[Interval] = "ratio"
    name: str = attrs.field(validator=v.python_name)
    base: RateMetric = attrs.field(validator=v.of_type(RateMetric))
    cells: tuple[str, ...] = attrs.field(validator=_cells_field)
    left_out: tuple[str, ...] = attrs.field(default=(), validator=_cells_field)
    reference: tuple[tuple[tuple[Any, ...], float, float], ...] = attrs.field(
        validator=_reference_field
    )
    confidence: float = attrs.field(default=0.95, validator=v.probability)

    def __repr__(self) -> str:
        over = " × ".join(self.cells) or "no cells"
        return f"<CaseMixRatio {self.name}: over {over}, {len(self.reference)} cells>"

    @property
    def higher_is_better(self) -> bool:
        """The base metric's direction."""
        return self.base.higher_is_better

    @property
    def reads(self) -> RowKind:
        """Conversations."""
        return self.base.reads

    @property
    def population(self) -> Population:
        """The base metric's population."""
        return self.base.population

    @property
    def needs_history(self) -> bool:
        """The base metric's (first-contact resolution needs a customer's history)."""
        return self.base.needs_history

    @property
    def description(self) -> str:
        """One sentence for people, naming the cells."""
        over = " × ".join(self.cells) or "nothing"
        missing = (
            f"; not adjusted for {', '.join(self.left_out)}" if self.left_out else ""
        )
        return f"{self.base.name} observed / expected given {over}{missing}."

    def counted(
        self, table: ConversationTable, part: Part = "denominator"
    ) -> NDArray[np.bool_]:
        """The base metric's counted rows."""
        return self.base.counted(table, part)

    def _expected(
        self, table: ConversationTable, rows: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """Each row's team rate in its cell (0 on rows not in ``rows``)."""
        expected = np.zeros(len(table))
        if not rows.any():
            return expected
        coded = [_cell_codes(table, column) for column in self.cells]
        sizes = [len(labels) for _, labels in coded]
        flat = (
            np.ravel_multi_index([codes[rows] for codes, _ in coded], sizes)
            if coded
            else np.zeros(int(rows.sum()), dtype=np.int64)
        )
        present, inverse = np.unique(flat, return_inverse=True)
        rates = {key: (x / n if n > 0 else math.nan) for key, x, n in self.reference}
        looked_up = np.empty(len(present))
        cells = (
            list(zip(*(np.unravel_index(present, sizes)), strict=True))
            if coded
            else [()] * len(present)
        )
        for i, codes in enumerate(cells):
            key = tuple(
                labels[int(c)] for c, (_, labels) in zip(codes, coded, strict=True)
            )
            rate = rates.get(key, math.nan)
            if math.isnan(rate):
                raise UnknownKeyError(
                    self.name,
                    "cell",
                    dict(zip(self.cells, key, strict=True)),
                    "has no team rate to expect from (no counted team rows)",
                )
            looked_up[i] = rate
        expected[rows] = looked_up[inverse.reshape(-1)]
        return expected

    def accumulate(
        self, table: ConversationTable, groups: Groups
    ) -> NDArray[np.float64]:
        """Observed count, expected count, sum of squared expectations, n."""
        eligible = self.base.counted(table, "denominator")
        qualifying = self.base.counted(table, "numerator")
        expected = self._expected(table, eligible & (groups.index >= 0))
        return np.column_stack(
            [
                groups.count_where(qualifying),
                groups.sum(expected),
                groups.sum(expected * expected),
                groups.count_where(eligible),
            ]
        )

    def finalize(self, state: NDArray[np.float64]) -> MetricValues:
        """Ratio, observed (numerator), expected (denominator), n and interval."""
        observed, expected, squares, n = (state[:, i] for i in range(4))
        low, high = ratio_interval(observed, expected, squares, self.confidence)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(expected > 0, observed / expected, np.nan)
        return MetricValues(
            value=value,
            numerator=observed,
            denominator=expected,
            n=n,
            low=low,
            high=high,
        )


def ratio_interval(
    observed: NDArray[np.float64],
    expected: NDArray[np.float64],
    squares: NDArray[np.float64],
    confidence: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Score bounds of ``observed / expected`` (see :class:`CaseMixRatio`)."""
    z = normal_quantile(1 - (1 - confidence) / 2)
    z2 = z * z
    a = expected * expected + z2 * squares
    b = 2 * observed * expected + z2 * expected
    root = np.sqrt(np.maximum(b * b - 4 * a * observed * observed, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(expected > 0, (b - root) / (2 * a), np.nan)
        high = np.where(expected > 0, (b + root) / (2 * a), np.nan)
    return np.maximum(low, 0.0), high


def case_mix_ratio(
    metric: RateMetric | str,
    *,
    team: ConversationTable,
    cells: Sequence[str] = CASE_MIX_CELLS,
    name: str | None = None,
    confidence: float = 0.95,
) -> CaseMixRatio:
    """The case-mix-adjusted ratio of ``metric``, with cell rates from ``team``.

    ``team`` gives the reference rates: the share of ``metric`` in every
    combination of ``cells`` (difficulty × topic × channel by default) over
    the team's conversations. A missing value (no topic) is a cell of its
    own. Columns of ``cells`` that ``team`` lacks are left out of the
    adjustment and listed in :attr:`CaseMixRatio.left_out`.

    Args:
        metric: A share (``"satisfaction_rate"``,
            ``"first_contact_resolution"`` or any :class:`RateMetric`).
        team: The conversations the expected rates come from.
        cells: Category columns whose combinations are the cells.
        name: The result's name; default ``"<metric>_case_mix"``.
        confidence: Confidence level of the interval.

    Raises:
        ValidationError: for a metric that is not a share, or a column that
            is not a category column.
        WrongTypeError: for a team that is not a table.
    """
    base = get_metric(metric) if isinstance(metric, str) else metric
    if not isinstance(base, RateMetric):
        raise ValidationError(
            "case_mix_ratio", "metric", getattr(base, "name", base), "must be a share"
        )
    v.instance_of("case_mix_ratio", "team", team, ConversationTable)
    chosen = _check_cells(cells)
    present = tuple(
        c for c in chosen if c in team.column_names and c not in team.absent_columns
    )
    fitted = (
        measure(team, [base], by=list(present)) if present else measure(team, [base])
    )
    numerator = fitted.column(base.name, "numerator").tolist()
    denominator = fitted.column(base.name, "denominator").tolist()
    reference = tuple(
        (tuple(key), float(x), float(n))
        for key, x, n in zip(fitted.keys, numerator, denominator, strict=True)
        if n > 0
    )
    return CaseMixRatio(
        name=name or f"{base.name}_case_mix",
        base=base,
        cells=present,
        left_out=tuple(c for c in chosen if c not in present),
        reference=reference,
        confidence=confidence,
    )
