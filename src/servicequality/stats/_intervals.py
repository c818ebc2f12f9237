"""Confidence intervals from additive sums, with numpy only.

Quantiles of the normal and Student t distributions are computed here so the
core needs no scipy: a rational first guess polished by Newton steps on an
exact distribution function.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from servicequality._columns import counts_fit
from servicequality._errors import ValidationError
from servicequality.stats._beta import beta_quantile, edge_quantile, normal_guess

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "jeffreys_interval",
    "mean_interval",
    "normal_quantile",
    "t_quantile",
    "wilson_interval",
]

_A = (
    -39.69683028665376,
    220.9460984245205,
    -275.9285104469687,
    138.3577518672690,
    -30.66479806614716,
    2.506628277459239,
)
_B = (
    -54.47609879822406,
    161.5858368580409,
    -155.6989798598866,
    66.80131188771972,
    -13.28068155288572,
)
_C = (
    -0.007784894002430293,
    -0.3223964580411365,
    -2.400758277161838,
    -2.549732539343734,
    4.374664141464968,
    2.938163982698783,
)
_D = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)


def _check_probability(name: str, p: float) -> None:
    if not (isinstance(p, int | float) and 0.0 < p < 1.0):
        raise ValidationError(
            "stats", name, p, "must be a number strictly between 0 and 1"
        )


def normal_quantile(p: float) -> float:
    """The standard normal quantile: ``z`` with ``P(Z <= z) = p``, ``0 < p < 1``.

    Acklam's rational approximation refined by Newton steps on
    ``0.5 * erfc(-z / sqrt(2))``: accurate to about 1e-15.

    Raises:
        ValidationError: unless ``0 < p < 1``.
    """
    _check_probability("p", p)
    if p < 0.02425:
        q = math.sqrt(-2 * math.log(p))
        z = (
            ((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]
        ) / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1)
    elif p > 1 - 0.02425:
        return -normal_quantile(1 - p)
    else:
        q = p - 0.5
        r = q * q
        z = (
            (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
            * q
            / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1)
        )
    for _ in range(3):
        error = 0.5 * math.erfc(-z / math.sqrt(2)) - p
        z -= error * math.sqrt(2 * math.pi) * math.exp(z * z / 2)
    return z


def t_upper_tail(t: float, df: int) -> float:
    """``P(T > t)`` for whole ``df``: the finite series of Abramowitz-Stegun 26.7."""
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    sin = math.sin(theta)
    if df % 2:
        total, term = 0.0, 1.0
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= cos2 * (2 * k) / (2 * k + 1)
        inside = (
            2 / math.pi * (theta + (sin * math.cos(theta) * total if df > 1 else 0.0))
        )
    else:
        total, term = 0.0, 1.0
        for k in range(1, df // 2 + 1):
            total += term
            term *= cos2 * (2 * k - 1) / (2 * k)
        inside = sin * total
    return (1 - inside) / 2


def _t_density(t: float, df: int) -> float:
    log_norm = (
        math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    )
    return math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))


def t_quantile(p: float, df: int) -> float:
    """Student t quantile: ``t`` with ``P(T <= t) = p`` at ``df`` degrees of freedom.

    Hill's algorithm (CACM 396) as a first guess, then Newton steps on the
    exact distribution function for whole ``df`` up to 10,000; above that
    Hill's expansion alone. Relative error below 1e-9 (checked against scipy).

    Raises:
        ValidationError: unless ``0 < p < 1`` and ``df`` is a whole number >= 1.
    """
    _check_probability("p", p)
    if isinstance(df, bool) or not isinstance(df, int | np.integer) or df < 1:
        raise ValidationError("stats", "df", df, "must be a whole number >= 1")
    df = int(df)
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    two_tailed = 2 * (1 - p)
    t = _hill(two_tailed, df)
    if df <= 10_000:
        for _ in range(4):
            step = (t_upper_tail(t, df) - (1 - p)) / _t_density(t, df)
            t += step
            if abs(step) < 1e-15 * max(1.0, abs(t)):
                break
    return t


def _hill(p: float, n: int) -> float:
    """Upper quantile of |T| for two-tailed probability ``p`` (Hill 1970)."""
    if n == 1:
        return math.cos(p * math.pi / 2) / math.sin(p * math.pi / 2)
    if n == 2:
        return math.sqrt(2 / (p * (2 - p)) - 2)
    a = 1 / (n - 0.5)
    b = 48 / (a * a)
    c = ((20700 * a / b - 98) * a - 16) * a + 96.36
    d = ((94.5 / (b + c) - 3) / b + 1) * math.sqrt(a * math.pi / 2) * n
    x = d * p
    y = x ** (2 / n)
    if y > 0.05 + a:
        x = normal_quantile(p / 2)
        y = x * x
        if n < 5:
            c += 0.3 * (n - 4.5) * (x + 0.6)
        c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c
        y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x
        y = math.expm1(a * y * y)
    else:
        y = (
            (
                1 / (((n + 6) / (n * y) - 0.089 * d - 0.822) * (n + 2) * 3)
                + 0.5 / (n + 4)
            )
            * y
            - 1
        ) * (n + 1) / (n + 2) + 1 / y
    return math.sqrt(n * y)


def _confidence(confidence: float) -> float:
    _check_probability("confidence", confidence)
    return normal_quantile(1 - (1 - confidence) / 2)


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, *, confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson score interval for a proportion, vectorised.

    ``center = (x + z²/2) / (n + z²)`` and
    ``half = z / (n + z²) · sqrt(x(n - x)/n + z²/4)``
    with ``z`` the two-sided normal quantile of ``confidence``. Bounds lie in
    ``[0, 1]``; where ``trials`` is 0 both bounds are NaN (undefined, not 0 %).

    Raises:
        ValidationError: for negative counts, successes above trials, or a
            confidence outside (0, 1).
    """
    x, n = checked_counts(successes, trials)
    z = _confidence(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = n + z * z
        center = (x + z * z / 2) / denominator
        half = z / denominator * np.sqrt(x * (n - x) / n + z * z / 4)
        low = np.where(n > 0, np.clip(center - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(center + half, 0.0, 1.0), np.nan)
    return low, high


def checked_counts(
    successes: ArrayLike, trials: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Successes and trials as floats, refused unless ``0 <= x <= n``, finite."""
    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if not (np.isfinite(x).all() and np.isfinite(n).all()):
        raise ValidationError(
            "stats", "successes", "NaN or infinity", "must be finite counts"
        )
    if (x < 0).any() or (n < 0).any() or (x > n).any():
        raise ValidationError(
            "stats", "successes", "…", "must satisfy 0 <= successes <= trials"
        )
    return x, n


def _distinct_pairs(
    x: NDArray[np.float64], n: NDArray[np.float64]
) -> tuple[NDArray[np.float64], Callable[[NDArray[np.float64]], NDArray[np.float64]]]:
    """The distinct (x, n) rows, and how to spread per-pair values to the rows."""
    whole = (x == np.floor(x)).all() and (n == np.floor(n)).all()
    if whole and n.max(initial=0) < 2**31:
        width = int(x.max(initial=0)) + 1
        key = (n * width + x).astype(np.int64)
        low = int(key.min(initial=0))
        key -= low
        if counts_fit(int(key.max(initial=0)) + 1, len(key)):
            present = np.flatnonzero(np.bincount(key))
            pairs = np.column_stack(
                [(present + low) % width, (present + low) // width]
            ).astype(np.float64)

            def spread_by_key(values: NDArray[np.float64]) -> NDArray[np.float64]:
                table = np.empty(int(present[-1]) + 1)
                table[present] = values
                return np.asarray(table[key])

            return pairs, spread_by_key
    pairs, inverse = np.unique(np.column_stack([x, n]), axis=0, return_inverse=True)

    def spread_by_position(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(values[inverse.reshape(-1)])

    return pairs, spread_by_position


def jeffreys_interval(
    successes: ArrayLike, trials: ArrayLike, *, confidence: float = 0.95
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Jeffreys interval for a proportion, vectorised.

    The central ``confidence`` interval of the ``Beta(x + ½, n - x + ½)``
    posterior under the Jeffreys prior: each tail holds ``(1 - confidence)/2``,
    also at ``x = 0`` and ``x = n`` (as statsmodels computes it). Where
    ``trials`` is 0 both bounds are NaN. Groups with equal counts share one
    computation, so many groups cost little more than their distinct counts.

    Raises:
        ValidationError: for negative or non-finite counts, successes above
            trials, or a confidence outside (0, 1).
    """
    x, n = checked_counts(successes, trials)
    _check_probability("confidence", confidence)
    tail = (1 - confidence) / 2
    x, n = (np.ravel(v) for v in np.broadcast_arrays(x, n))
    shape = np.broadcast(np.asarray(successes), np.asarray(trials)).shape
    if not len(n):
        return np.full(shape, np.nan), np.full(shape, np.nan)
    pairs, spread = _distinct_pairs(x, n)
    a, b = pairs[:, 0] + 0.5, pairs[:, 1] - pairs[:, 0] + 0.5
    near_low, near_high = wilson_interval(
        pairs[:, 0], pairs[:, 1], confidence=confidence
    )
    none, every = a < 1, b < 1
    near_low[none] = edge_quantile(tail, a[none], b[none])
    near_high[every] = 1 - edge_quantile(tail, b[every], a[every])
    inner = ~none & ~every
    z = normal_quantile(tail)
    near_low[inner] = normal_guess(z, a[inner], b[inner])
    near_high[inner] = normal_guess(-z, a[inner], b[inner])
    bounds = beta_quantile(
        np.repeat([tail, 1 - tail], len(a)),
        np.tile(a, 2),
        np.tile(b, 2),
        start=np.concatenate([near_low, near_high]),
    )
    bounds[np.tile(pairs[:, 1] == 0, 2)] = np.nan
    low, high = bounds[: len(a)], bounds[len(a) :]
    return spread(low).reshape(shape), spread(high).reshape(shape)


def mean_interval(
    n: ArrayLike,
    total: ArrayLike,
    total_of_squares: ArrayLike,
    *,
    confidence: float = 0.95,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Student t interval for a mean from additive sums, vectorised.

    ``mean ± t(df = n - 1) · s / sqrt(n)`` with the sample variance
    ``s² = (Σx² - (Σx)²/n) / (n - 1)`` (clipped at 0 against rounding).
    Groups with fewer than 2 observations get NaN bounds.
    """
    count = np.asarray(n, dtype=np.float64)
    sums = np.asarray(total, dtype=np.float64)
    squares = np.asarray(total_of_squares, dtype=np.float64)
    _check_probability("confidence", confidence)
    p = 1 - (1 - confidence) / 2
    low = np.full(count.shape, np.nan)
    high = np.full(count.shape, np.nan)
    enough = count >= 2
    if enough.any():
        k = count[enough]
        mean = sums[enough] / k
        variance = np.maximum(squares[enough] - sums[enough] * mean, 0.0) / (k - 1)
        degrees = k.astype(np.int64) - 1
        quantiles = {int(d): t_quantile(p, int(d)) for d in np.unique(degrees)}
        t = np.array([quantiles[int(d)] for d in degrees])
        half = t * np.sqrt(variance / k)
        low[enough] = mean - half
        high[enough] = mean + half
    return low, high
