"""Workload: conversations, difficulty-weighted work and difficulty mix (S4 §3.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from servicequality._coefficients import DifficultyCoefficients
from servicequality._errors import ValidationError
from servicequality._model import Difficulty
from servicequality.metrics._base import (
    RateMetric,
    SumMetric,
)
from servicequality.metrics._common import (
    every,
    population_of,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows

__all__ = ["conversation_count", "difficulty_mix", "weighted_workload"]


def _ones(rows: Rows) -> NDArray[np.bool_]:
    return rows.every


def conversation_count(*, include_bots: bool = False) -> SumMetric:
    """Number of conversations, a count (0 is a real value, never undefined)."""
    return SumMetric(
        name="conversation_count",
        values=_ones,
        where=every,
        unit="count",
        population=population_of(include_bots),
        description="Conversations handled.",
    )


@attrs.frozen
class _Weights:
    """The difficulty coefficient of each row."""

    coefficients: DifficultyCoefficients

    def __call__(self, rows: Rows) -> NDArray[np.float64]:
        return np.asarray(self.coefficients.by_code()[rows["difficulty"]])


def weighted_workload(
    coefficients: DifficultyCoefficients | None = None, *, include_bots: bool = False
) -> SumMetric:
    """Sum of difficulty coefficients (难度系数), in points.

    With the defaults, 20 basic + 10 complex + 5 complaints + 1 crisis
    conversations are 20 + 15 + 10 + 3 = 48 points.
    """
    chosen = DifficultyCoefficients() if coefficients is None else coefficients
    if not isinstance(chosen, DifficultyCoefficients):
        raise ValidationError(
            "weighted_workload",
            "coefficients",
            chosen,
            "must be DifficultyCoefficients",
        )
    return SumMetric(
        name="weighted_workload",
        values=_Weights(chosen),
        where=every,
        unit="points",
        population=population_of(include_bots),
        description="Difficulty-weighted conversations.",
    )


def _not_basic(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(rows["difficulty"] != Difficulty.BASIC.code, dtype=bool)


def difficulty_mix(*, include_bots: bool = False) -> RateMetric:
    """Conversations that are not BASIC / conversations, a share in 0..1."""
    return RateMetric(
        name="difficulty_mix",
        numerator=_not_basic,
        denominator=every,
        population=population_of(include_bots),
        description="Conversations harder than a basic question.",
    )
