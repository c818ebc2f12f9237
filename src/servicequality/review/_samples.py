"""A metric's additive state read as a sample, and the two-sample test that fits it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import attrs
import numpy as np

from servicequality._engine._measure import resolve_metrics
from servicequality._errors import ValidationError
from servicequality.stats import fisher_exact_test, two_proportion_test, welch_test

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from servicequality.metrics._base import Metric

__all__ = ["MEAN", "SHARE", "Sample", "testable"]

SHARE = ("numerator", "denominator")
MEAN = ("n", "sum", "sum_of_squares")


def testable(owner: str, metrics: Sequence[Metric | str]) -> list[Metric]:
    """``metrics`` resolved, each a share or a mean (the tests need their sums).

    Raises:
        ValidationError: for a quantile, a total or any other state.
    """
    chosen = resolve_metrics(metrics)
    for metric in chosen:
        if metric.parts not in (SHARE, MEAN):
            raise ValidationError(
                owner,
                "metrics",
                metric.name,
                "must be a share or a mean (its state numerator/denominator or "
                f"n/sum/sum_of_squares), not one with parts {metric.parts}",
            )
    return chosen


@attrs.frozen
class Sample:
    """The state of one metric over some groups, read by its declared parts."""

    parts: tuple[str, ...]
    state: NDArray[np.float64]

    @property
    def n(self) -> NDArray[np.float64]:
        """Observations: the denominator of a share, the count of a mean."""
        return self.state[:, 1] if self.parts == SHARE else self.state[:, 0]

    @property
    def value(self) -> NDArray[np.float64]:
        """The share or mean of each group (NaN without observations)."""
        top = self.state[:, 0] if self.parts == SHARE else self.state[:, 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n > 0, top / self.n, np.nan)

    def pooled(self) -> Sample:
        """All groups as one."""
        return Sample(self.parts, self.state.sum(axis=0, keepdims=True))

    def rest(self, total: NDArray[np.float64]) -> Sample:
        """The groups' complement within ``total`` (summed over its groups)."""
        return Sample(self.parts, total.sum(axis=0, keepdims=True) - self.state)

    def test(
        self,
        other: Sample,
        alternative: Literal["less", "greater", "two-sided"],
        *,
        exact: bool,
    ) -> NDArray[np.float64]:
        """P-values against ``other``: Fisher or pooled z (shares), Welch (means)."""
        a, b = self.state, other.state
        if self.parts == MEAN:
            return welch_test(
                a[:, 0],
                a[:, 1],
                a[:, 2],
                b[:, 0],
                b[:, 1],
                b[:, 2],
                alternative=alternative,
            )
        proportion = fisher_exact_test if exact else two_proportion_test
        return proportion(a[:, 0], a[:, 1], b[:, 0], b[:, 1], alternative=alternative)
