"""The vote distribution: how many ratings of each level, per group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality import _display, _frames
from servicequality import _validators as v
from servicequality._engine._measure import Measurements, measure
from servicequality._errors import ValidationError
from servicequality._model import RatingScale
from servicequality._table import ConversationTable
from servicequality.metrics._base import SumMetric

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows
    from servicequality._engine._grouping import By

__all__ = ["VoteDistribution", "vote_distribution"]

_MAX_LEVELS = 101
"""Most levels a counted scale may have (0–100 points is the widest)."""


@attrs.frozen
class _Votes:
    """Rated rows on ``scale`` with score ``score``."""

    scale: RatingScale
    score: int

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        scales = rows.table.rating_scales
        if self.scale not in scales:
            return np.zeros(len(rows), dtype=bool)
        return np.asarray(
            (rows["rating_scale"] == scales.index(self.scale))
            & (rows["rating_score"] == self.score),
            dtype=bool,
        )


def _ones(rows: Rows) -> NDArray[np.float64]:
    return np.ones(len(rows))


def _labels(scale: RatingScale) -> tuple[str, ...]:
    """Each score's first label on the scale, else the score as text."""
    named: dict[int, str] = {}
    for label, score in scale.labels:
        named.setdefault(score, label)
    return tuple(
        named.get(score, str(score)) for score in range(scale.low, scale.high + 1)
    )


@attrs.frozen(kw_only=True, repr=False)
class VoteDistribution:
    """Ratings of each level of a scale, per group.

    Additive: ``a + b`` adds the counts of equal groups, as measuring both
    tables at once would.

    Attributes:
        scale: The rating scale counted.
        measurements: The counts, one total per level (``votes_0`` is the
            lowest score).
    """

    scale: RatingScale
    measurements: Measurements

    @property
    def labels(self) -> tuple[str, ...]:
        """One label per level, lowest score first (the score when unlabelled)."""
        return _labels(self.scale)

    @property
    def scores(self) -> tuple[int, ...]:
        """The scores of the levels, lowest first."""
        return tuple(range(self.scale.low, self.scale.high + 1))

    @property
    def key_names(self) -> tuple[str, ...]:
        """The grouping keys (empty for the whole table)."""
        return self.measurements.key_names

    @property
    def keys(self) -> tuple[tuple[Any, ...], ...]:
        """One key tuple per group."""
        return self.measurements.keys

    @property
    def counts(self) -> NDArray[np.int64]:
        """Ratings per group (rows) and level (columns)."""
        names = self.measurements.metric_names
        if not len(self.measurements):
            return np.zeros((0, len(names)), dtype=np.int64)
        return np.column_stack(
            [self.measurements.column(name) for name in names]
        ).astype(np.int64)

    @property
    def totals(self) -> NDArray[np.int64]:
        """Ratings per group on this scale."""
        totals: NDArray[np.int64] = self.counts.sum(axis=1)
        return totals

    @property
    def shares(self) -> NDArray[np.float64]:
        """Each level's share of the group's ratings; NaN rows for no ratings."""
        counts = self.counts.astype(np.float64)
        totals = counts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, counts / totals, np.nan)

    def __add__(self, other: object) -> VoteDistribution:
        if not isinstance(other, VoteDistribution) or other.scale != self.scale:
            return NotImplemented
        return attrs.evolve(
            self, measurements=self.measurements.merge(other.measurements)
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per group and level: keys, label, score, count, share."""
        counts, shares = self.counts.tolist(), self.shares.tolist()
        return [
            {
                **dict(zip(self.key_names, key, strict=True)),
                "label": label,
                "score": score,
                "count": counts[row][level],
                "share": shares[row][level],
            }
            for row, key in enumerate(self.keys)
            for level, (label, score) in enumerate(
                zip(self.labels, self.scores, strict=True)
            )
        ]

    def to_pandas(self) -> Any:
        """:meth:`to_records` as a pandas DataFrame (the ``pandas`` extra)."""
        levels = len(self.scores)
        columns: dict[str, Any] = {}
        for name in self.key_names:
            labels = np.empty(len(self.keys), dtype=object)
            labels[:] = self.measurements.key_column(name)
            columns[name] = np.repeat(labels, levels)
        columns["label"] = np.tile(np.array(self.labels, dtype=object), len(self.keys))
        columns["score"] = np.tile(
            np.array(self.scores, dtype=np.int64), len(self.keys)
        )
        columns["count"] = self.counts.reshape(-1)
        columns["share"] = self.shares.reshape(-1)
        return _frames.columns_frame(columns)

    def __repr__(self) -> str:
        return (
            f"<VoteDistribution on {self.scale.name}: {len(self.keys)} group(s), "
            f"{int(self.totals.sum())} rating(s)>"
        )

    def _repr_html_(self) -> str:
        """Counts and shares per group, one column per level."""
        counts, shares = self.counts.tolist(), self.shares.tolist()
        rows: list[list[_display.Cell]] = [
            [
                *(_display.label(k) for k in key),
                *(
                    f"{c} ({_display.number(s, 'share')})"
                    for c, s in zip(counts[row], shares[row], strict=True)
                ),
                str(sum(counts[row])),
            ]
            for row, key in enumerate(self.keys[: _display.MAX_ROWS])
        ]
        first = len(self.key_names)
        return _display.table(
            [*self.key_names, *self.labels, "ratings"],
            rows,
            caption=f"Votes on {self.scale.name}",
            right=range(first, first + len(self.labels) + 1),
            total=len(self.keys),
        )


def vote_distribution(
    table: ConversationTable,
    *,
    scale: RatingScale | None = None,
    by: Sequence[By] | By = (),
    include_bots: bool = False,
) -> VoteDistribution:
    """Count the ratings of each level of ``scale`` (满意 / 一般 / 不满意), per group.

    Ratings on other scales are not counted. Each level is labelled with the
    scale's labels when it has them, else with its score. Shares are of the
    group's ratings on ``scale``: they sum to 1 in each group with ratings
    and are NaN in a group without.

    Args:
        table: The conversations.
        scale: The scale whose levels are counted; by default the table's
            only scale (a table with none or several needs it named).
        by: Grouping, as for :func:`~servicequality.measure`.
        include_bots: Also count conversations a bot handled alone.

    Raises:
        WrongTypeError: for a table or scale of the wrong type.
        ValidationError: for a bad grouping, or a scale of more than 101 levels.
    """
    v.instance_of("vote_distribution", "table", table, ConversationTable)
    if scale is None:
        if len(table.rating_scales) != 1:
            names = ", ".join(s.name for s in table.rating_scales) or "none"
            raise ValidationError(
                "vote_distribution",
                "scale",
                None,
                f"must be given: the table's ratings use {names}, not one scale",
            )
        scale = table.rating_scales[0]
    v.instance_of("vote_distribution", "scale", scale, RatingScale)
    bots = v.flag("vote_distribution", "include_bots", include_bots)
    if scale.high - scale.low >= _MAX_LEVELS:
        raise ValidationError(
            "vote_distribution",
            "scale",
            scale,
            f"has more than {_MAX_LEVELS} levels to count one by one",
        )
    metrics = [
        SumMetric(
            name=f"votes_{level}",
            values=_ones,
            where=_Votes(scale, score),
            population="all" if bots else "humans",
            description=f"Ratings of {score} on {scale.name}.",
        )
        for level, score in enumerate(range(scale.low, scale.high + 1))
    ]
    return VoteDistribution(scale=scale, measurements=measure(table, metrics, by=by))
