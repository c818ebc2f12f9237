"""Payout confidence: how sure a tier-decided line is of its side of the bar."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from servicequality.metrics._base import RateMetric
from servicequality.stats._beta import beta_cdf

if TYPE_CHECKING:
    from servicequality.incentives._protocol import Payee
    from servicequality.policy._assess import Assessment, Judgement
    from servicequality.policy._tiers import TierPolicy

__all__ = ["tier_probability"]


def _range(policy: TierPolicy, tier: str) -> tuple[float, float]:
    """The span of true rates ``tier`` stands for, within 0..1."""
    names = [t.name for t in policy.tiers]
    i = names.index(tier)
    bound = policy.tiers[i].bound
    neighbour = policy.tiers[i - 1].bound if i else None
    if policy.higher_is_better:
        return (0.0 if bound is None else bound), (
            1.0 if neighbour is None else neighbour
        )
    return (0.0 if neighbour is None else neighbour), (1.0 if bound is None else bound)


def tier_probability(
    policy: TierPolicy, tier: str, successes: float, trials: float
) -> float | None:
    """P(the true rate lies in ``tier``'s span | the counts), Jeffreys prior.

    The posterior of a rate after ``successes`` of ``trials`` under the
    Jeffreys prior Beta(½, ½) is Beta(successes + ½, trials − successes + ½);
    the answer is its mass between the tier's bound and the next better
    tier's. ``None`` for a tier the policy does not hold (insufficient
    data) or no trials.
    """
    if tier not in {t.name for t in policy.tiers} or not trials > 0:
        return None
    low, high = _range(policy, tier)
    a, b = successes + 0.5, trials - successes + 0.5
    mass = beta_cdf([low, high], a, b)
    return float(min(max(mass[1] - mass[0], 0.0), 1.0))


def line_confidence(
    assessment: Assessment, payee: Payee, policy: TierPolicy, judgement: Judgement
) -> float | None:
    """:func:`tier_probability` of a judged line, for rate metrics only."""
    if not isinstance(assessment.measurements.metric(judgement.metric), RateMetric):
        return None
    measured = assessment.measurements.get(judgement.metric, **payee.key)
    if math.isnan(measured.value):
        return None
    return tier_probability(
        policy, judgement.tier, measured.numerator, measured.denominator
    )
