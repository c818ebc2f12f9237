"""Welch's test of two means from additive sums (count, sum, sum of squares)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from servicequality._errors import ValidationError
from servicequality.stats._intervals import t_upper_tail

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from servicequality.stats._adjust import Alternative

__all__ = ["welch_test"]


def _sums(
    n: ArrayLike, total: ArrayLike, squares: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Mean and variance of the mean per element, and the count."""
    count = np.asarray(n, dtype=np.float64)
    sums = np.asarray(total, dtype=np.float64)
    sq = np.asarray(squares, dtype=np.float64)
    if not (
        np.isfinite(count).all() and np.isfinite(sums).all() and np.isfinite(sq).all()
    ):
        raise ValidationError("stats", "n", "NaN or infinity", "must be finite sums")
    if (count < 0).any():
        raise ValidationError("stats", "n", "…", "must be non-negative counts")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / count
        variance = np.maximum(sq - sums * mean, 0.0) / (count - 1)
    return mean, variance / count, count


_NORMAL_FROM = 10_000
"""Degrees of freedom from which the t tail is the normal one (within 1e-4)."""


def _upper(t: float, degrees: int) -> float:
    if degrees >= _NORMAL_FROM:
        return math.erfc(t / math.sqrt(2)) / 2
    return t_upper_tail(t, degrees)


def welch_test(  # noqa: PLR0917  # two samples of three sums each
    n_a: ArrayLike,
    sum_a: ArrayLike,
    squares_a: ArrayLike,
    n_b: ArrayLike,
    sum_b: ArrayLike,
    squares_b: ArrayLike,
    *,
    alternative: Alternative = "two-sided",
) -> NDArray[np.float64]:
    """P-values of Welch's unequal-variance t test of two means, vectorised.

    Each sample is given by its additive sums (count, sum of values, sum of
    squares), as a mean metric's state holds them.
    ``t = (m_a - m_b) / sqrt(s_a²/n_a + s_b²/n_b)`` on the
    Welch–Satterthwaite degrees of freedom, rounded down to a whole number
    (slightly conservative). ``alternative="less"`` tests ``m_a < m_b``,
    ``"greater"`` tests ``m_a > m_b``. NaN where either side has fewer than
    2 observations or both variances are 0 (nothing to test).

    Raises:
        ValidationError: for non-finite sums, negative counts or an unknown
            alternative.
    """
    if not isinstance(alternative, str) or alternative not in (
        "less",
        "greater",
        "two-sided",
    ):
        raise ValidationError(
            "stats", "alternative", alternative, "must be less, greater or two-sided"
        )
    mean_a, var_a, count_a = _sums(n_a, sum_a, squares_a)
    mean_b, var_b, count_b = _sums(n_b, sum_b, squares_b)
    mean_a, var_a, count_a, mean_b, var_b, count_b = np.broadcast_arrays(
        mean_a, var_a, count_a, mean_b, var_b, count_b
    )
    p = np.full(mean_a.shape, np.nan)
    for index in np.ndindex(mean_a.shape):
        spread = var_a[index] + var_b[index]
        if count_a[index] < 2 or count_b[index] < 2 or not spread > 0:
            continue
        t = float(mean_a[index] - mean_b[index]) / math.sqrt(spread)
        df = spread**2 / (
            var_a[index] ** 2 / (count_a[index] - 1)
            + var_b[index] ** 2 / (count_b[index] - 1)
        )
        degrees = max(int(df + 1e-9), 1)  # a whole df computed as 3.999…
        if alternative == "less":
            p[index] = _upper(-t, degrees)
        elif alternative == "greater":
            p[index] = _upper(t, degrees)
        else:
            p[index] = min(2 * _upper(abs(t), degrees), 1.0)
    return p
