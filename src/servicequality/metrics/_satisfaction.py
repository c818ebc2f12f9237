"""Satisfaction: ratings, satisfied shares and rating rates (S0 §1, §5; S4 §3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import attrs
import numpy as np

from servicequality._errors import ValidationError
from servicequality.metrics._base import (
    MeanMetric,
    RateMetric,
)
from servicequality.metrics._common import (
    every,
    population_of,
    rated,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows
    from servicequality._hours import ServiceHours
    from servicequality._model import RatingScale

__all__ = [
    "dissatisfaction_rate",
    "mean_rating",
    "rating_rate",
    "response_rate",
    "satisfaction_rate",
]


def _satisfied(rows: Rows) -> NDArray[np.bool_]:
    return rows.satisfied


def _dissatisfied(rows: Rows) -> NDArray[np.bool_]:
    return rows.dissatisfied


def _rated_not_neutral(rows: Rows) -> NDArray[np.bool_]:
    return rows.rated & ~rows.neutral


def satisfaction_rate(
    *,
    neutral: Literal["count", "exclude"] = "count",
    include_bots: bool = False,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """客服满意度: satisfied ratings / ratings, a share in 0..1.

    Args:
        neutral: ``"count"`` keeps neutral ratings in the denominator (the
            platform's definition); ``"exclude"`` drops them, giving
            satisfied / (satisfied + dissatisfied).
        include_bots: Also count conversations that a bot handled alone.
        service_window: Count only conversations opened inside these hours.
    """
    if neutral not in ("count", "exclude"):
        raise ValidationError(
            "satisfaction_rate", "neutral", neutral, "must be 'count' or 'exclude'"
        )
    return RateMetric(
        name="satisfaction_rate",
        numerator=_satisfied,
        denominator=rated if neutral == "count" else _rated_not_neutral,
        population=population_of(include_bots),
        description="Satisfied ratings among ratings.",
        service_window=service_window,
    )


def dissatisfaction_rate(
    *, include_bots: bool = False, service_window: ServiceHours | None = None
) -> RateMetric:
    """Dissatisfied ratings / ratings, a share in 0..1 (lower is better).

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="dissatisfaction_rate",
        numerator=_dissatisfied,
        denominator=rated,
        higher_is_better=False,
        population=population_of(include_bots),
        description="Dissatisfied ratings among ratings.",
        service_window=service_window,
    )


@attrs.frozen
class _OnScale:
    """Rated rows on ``scale`` (any scale when ``None``, if all share a range)."""

    scale: RatingScale | None

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        scales = rows.table.rating_scales
        if self.scale is not None:
            if self.scale not in scales:
                return np.zeros(len(rows), dtype=bool)
            return np.asarray(
                rows["rating_scale"] == scales.index(self.scale), dtype=bool
            )
        if len({(s.low, s.high) for s in scales}) > 1:
            names = ", ".join(s.name for s in scales)
            raise ValidationError(
                "mean_rating",
                "scale",
                None,
                f"ratings mix scales ({names}); pass scale= to pick one",
            )
        return rows.rated


def _score(rows: Rows) -> NDArray[np.float64]:
    return rows["rating_score"].astype(np.float64)


def mean_rating(
    *, scale: RatingScale | None = None, include_bots: bool = False
) -> MeanMetric:
    """Mean score on the rating scale (the 4.5-of-5 bonus bar reads this).

    Args:
        scale: Only ratings on this scale count. Without it, a table whose
            ratings use scales of different ranges is an error naming them.
        include_bots: Also count conversations that a bot handled alone.
    """
    return MeanMetric(
        name="mean_rating",
        values=_score,
        where=_OnScale(scale),
        unit="score",
        population=population_of(include_bots),
        description="Mean customer rating score.",
    )


def rating_rate(
    *, include_bots: bool = False, service_window: ServiceHours | None = None
) -> RateMetric:
    """评价率: rated conversations / conversations, a share in 0..1.

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="rating_rate",
        numerator=rated,
        denominator=every,
        population=population_of(include_bots),
        description="Conversations that received a rating.",
        service_window=service_window,
    )


def _invited(rows: Rows) -> NDArray[np.bool_]:
    return rows["rating_invited"]


def response_rate(
    *, include_bots: bool = False, service_window: ServiceHours | None = None
) -> RateMetric:
    """Rated invited conversations / invited conversations (邀请评价 response).

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="response_rate",
        numerator=rated,
        denominator=_invited,
        population=population_of(include_bots),
        description="Invited conversations that received a rating.",
        service_window=service_window,
    )
