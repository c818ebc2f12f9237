"""Rates adjusted for small samples and non-response, and the tests behind findings."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np

from servicequality._errors import ValidationError
from servicequality.stats._beta import lgamma
from servicequality.stats._intervals import checked_counts

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "benjamini_hochberg",
    "fisher_exact_test",
    "nonresponse_bounds",
    "poststratified_rate",
    "shrunk_rates",
    "two_proportion_test",
]

Alternative = Literal["less", "greater", "two-sided"]

_erfc = np.frompyfunc(math.erfc, 1, 1)


def _upper_tail(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """``P(Z > z)`` for a standard normal ``Z``."""
    return np.asarray(_erfc(z / math.sqrt(2)), dtype=np.float64) / 2


def shrunk_rates(successes: ArrayLike, trials: ArrayLike) -> NDArray[np.float64]:
    """Empirical-Bayes beta-binomial shrinkage of per-group rates.

    A ``Beta(κm, κ(1 - m))`` prior is fitted across the groups by the method
    of moments: ``m = Σx / Σn`` is the pooled rate and the between-group
    variance is ``s² = (Σ nᵢ(pᵢ - m)² - m(1 - m)(G - 1)) / (N - Σnᵢ²/N)``
    over the ``G`` groups with trials (``N = Σn``); then
    ``κ = m(1 - m)/s² - 1`` (clipped at 0). Each rate becomes the posterior
    mean ``(x + κm) / (n + κ)``: a weighted average of its own rate and
    ``m``, so it moves toward the pooled rate and never past it, the more so
    the fewer its trials. When the groups vary no more than chance explains
    (``s² ≤ 0``) every rate becomes ``m``.

    Use it to rank agents with few ratings without rewarding luck.

    Returns:
        The shrunk rate per group; NaN where ``trials`` is 0. With fewer than
        two groups with trials there is nothing to learn from: rates are
        returned unshrunk.

    Raises:
        ValidationError: for negative or non-finite counts or successes
            above trials.
    """
    x, n = checked_counts(successes, trials)
    rated = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(rated, x / n, np.nan)
    groups = int(rated.sum())
    if groups < 2:
        return raw
    total = n[rated].sum()
    pooled = x[rated].sum() / total
    if pooled in (0.0, 1.0):
        return np.where(rated, pooled, np.nan)
    spread = float((n[rated] * (raw[rated] - pooled) ** 2).sum())
    noise = pooled * (1 - pooled) * (groups - 1)
    effective = total - float((n[rated] ** 2).sum()) / total
    variance = (spread - noise) / effective if effective > 0 else 0.0
    if variance <= 0:
        return np.where(rated, pooled, np.nan)
    strength = max(pooled * (1 - pooled) / variance - 1, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shrunk = (x + strength * pooled) / (n + strength)
    return np.where(rated, shrunk, np.nan)


def nonresponse_bounds(
    satisfied: ArrayLike, rated: ArrayLike, conversations: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Worst and best satisfaction had every non-rater been unhappy / happy.

    ``low = satisfied / conversations`` and
    ``high = (satisfied + conversations - rated) / conversations``. They
    contain the observed rate ``satisfied / rated`` and collapse to it when
    everyone rated. NaN where there are no conversations.

    Raises:
        ValidationError: unless ``0 <= satisfied <= rated <= conversations``.
    """
    s, r = checked_counts(satisfied, rated)
    r, c = checked_counts(r, conversations)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(c > 0, s / c, np.nan)
        high = np.where(c > 0, (s + c - r) / c, np.nan)
    return low, high


def poststratified_rate(
    satisfied: ArrayLike, rated: ArrayLike, conversations: ArrayLike
) -> NDArray[np.float64]:
    """Satisfaction with each stratum weighted by its share of conversations.

    The last axis holds the strata (e.g. channel × difficulty):
    ``Σₛ wₛ · satisfiedₛ / ratedₛ`` with ``wₛ = conversationsₛ / Σ conversations``
    over the strata that have ratings (strata without ratings cannot be
    estimated and are left out, the weights renormalised). It equals the raw
    rate when ratings are proportional to conversations. NaN where no
    stratum has ratings.

    Raises:
        ValidationError: unless ``0 <= satisfied <= rated <= conversations``.
    """
    s, r = checked_counts(satisfied, rated)
    r, c = checked_counts(r, conversations)
    covered = r > 0
    weights = np.where(covered, c, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(covered, s / np.where(covered, r, 1.0), 0.0)
        total = weights.sum(axis=-1)
        return np.where(total > 0, (weights * rates).sum(axis=-1) / total, np.nan)


def _two_samples(  # the four counts of both tests, in order
    successes_a: ArrayLike,
    trials_a: ArrayLike,
    successes_b: ArrayLike,
    trials_b: ArrayLike,
    alternative: object,
) -> tuple[NDArray[np.float64], ...]:
    """Checked counts of two samples, after checking the alternative."""
    xa, na = checked_counts(successes_a, trials_a)
    xb, nb = checked_counts(successes_b, trials_b)
    if alternative not in ("less", "greater", "two-sided"):
        raise ValidationError(
            "stats", "alternative", alternative, "must be less, greater or two-sided"
        )
    return xa, na, xb, nb


def two_proportion_test(
    successes_a: ArrayLike,
    trials_a: ArrayLike,
    successes_b: ArrayLike,
    trials_b: ArrayLike,
    *,
    alternative: Alternative = "two-sided",
) -> NDArray[np.float64]:
    """P-values of the pooled two-proportion z test, vectorised.

    ``z = (pₐ - p_b) / sqrt(p(1 - p)(1/nₐ + 1/n_b))`` with the pooled rate
    ``p``; ``alternative="less"`` tests ``pₐ < p_b``, ``"greater"`` tests
    ``pₐ > p_b``. NaN where either side has no trials or the pooled rate is
    0 or 1 (nothing to test).

    Raises:
        ValidationError: for bad counts or an unknown alternative.
    """
    xa, na, xb, nb = _two_samples(
        successes_a, trials_a, successes_b, trials_b, alternative
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (xa + xb) / (na + nb)
        spread = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        z = (xa / na - xb / nb) / spread
    valid = (na > 0) & (nb > 0) & (spread > 0)
    z = np.where(valid, z, 0.0)
    if alternative == "less":
        p = _upper_tail(-z)
    elif alternative == "greater":
        p = _upper_tail(z)
    else:
        p = np.minimum(2 * _upper_tail(np.abs(z)), 1.0)
    return np.where(valid, p, np.nan)


def _log_choose(n: NDArray[np.float64], k: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(
        lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1), dtype=np.float64
    )


def _fisher_one(xa: int, na: int, xb: int, nb: int, alternative: Alternative) -> float:
    successes, total = xa + xb, na + nb
    support = np.arange(max(0, successes - nb), min(successes, na) + 1, dtype=float)
    log_pmf = (
        _log_choose(np.full_like(support, successes), support)
        + _log_choose(np.full_like(support, total - successes), na - support)
        - _log_choose(np.array(float(total)), np.array(float(na)))
    )
    pmf = np.exp(log_pmf - log_pmf.max())
    pmf /= pmf.sum()
    if alternative == "less":
        tail = pmf[support <= xa]
    elif alternative == "greater":
        tail = pmf[support >= xa]
    else:
        observed = pmf[support == xa][0]
        tail = pmf[pmf <= observed * (1 + 1e-7)]
    return float(min(tail.sum(), 1.0))


def fisher_exact_test(
    successes_a: ArrayLike,
    trials_a: ArrayLike,
    successes_b: ArrayLike,
    trials_b: ArrayLike,
    *,
    alternative: Alternative = "two-sided",
) -> NDArray[np.float64]:
    """P-values of Fisher's exact test of two proportions, element by element.

    Conditional on the total successes, the successes of ``a`` follow a
    hypergeometric law; ``"less"`` sums its probabilities at or below the
    observed count (``pₐ < p_b``), ``"greater"`` at or above, and
    ``"two-sided"`` every outcome no more likely than the observed one (as
    scipy does). Exact for any sample size, so small segments and rare events
    do not inflate false findings the way the z test does. NaN where either
    side has no trials.

    Raises:
        ValidationError: for bad counts or an unknown alternative.
    """
    xa, na, xb, nb = _two_samples(
        successes_a, trials_a, successes_b, trials_b, alternative
    )
    xa, na, xb, nb = np.broadcast_arrays(xa, na, xb, nb)
    p = np.full(xa.shape, np.nan)
    for index in np.ndindex(xa.shape):
        if na[index] > 0 and nb[index] > 0:
            p[index] = _fisher_one(
                int(xa[index]),
                int(na[index]),
                int(xb[index]),
                int(nb[index]),
                alternative,
            )
    return p


def benjamini_hochberg(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini–Hochberg adjusted p-values (q-values), vectorised.

    ``qᵢ = min over j ≥ rank(i) of (m · p₍ⱼ₎ / j)``, capped at 1, with ``m``
    the number of finite p-values; NaN p-values stay NaN and are not counted.
    Calling a finding when ``q ≤ α`` keeps the expected share of false
    findings at most ``α``.

    Raises:
        ValidationError: for a p-value outside [0, 1].
    """
    p = np.asarray(p_values, dtype=np.float64)
    finite = ~np.isnan(p)
    if ((p[finite] < 0) | (p[finite] > 1)).any():
        raise ValidationError("stats", "p_values", "…", "must lie in [0, 1]")
    q = np.full(p.shape, np.nan)
    values = p[finite]
    if not len(values):
        return q
    order = np.argsort(values, kind="stable")
    ranked = values[order] * len(values) / np.arange(1, len(values) + 1)
    adjusted = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    out = np.empty(len(values))
    out[order] = adjusted
    q[finite] = out
    return q
