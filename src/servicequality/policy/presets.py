"""Tier policies straight from the source documents.

- :data:`SATISFACTION` — 客服满意度: excellent ≥ 90 %, good ≥ 80 %, warning
  below (S0 §1).
- :data:`FIRST_CONTACT_RESOLUTION` — 首次解决率: excellent ≥ 85 %, pass ≥ 75 %,
  below standard otherwise (S4 §2).
- :data:`SATISFACTION_BONUS_BAR` — the "达标就拿" bar: a mean rating of at
  least 4.5 on the five-star scale (S4 §3.1); measure ``mean_rating`` with
  ``scale=RatingScale.FIVE_STAR``.

All three need at least 30 observations for a real tier.
"""

from servicequality.policy._tiers import Tier, TierPolicy

__all__ = ["FIRST_CONTACT_RESOLUTION", "SATISFACTION", "SATISFACTION_BONUS_BAR"]

SATISFACTION = TierPolicy(
    metric="satisfaction_rate",
    tiers=(
        Tier(name="excellent", at_least=0.90),
        Tier(name="good", at_least=0.80),
        Tier(name="warning"),
    ),
)
"""Satisfaction tiers of Douyin shops (S0 §1)."""

FIRST_CONTACT_RESOLUTION = TierPolicy(
    metric="first_contact_resolution",
    tiers=(
        Tier(name="excellent", at_least=0.85),
        Tier(name="pass", at_least=0.75),
        Tier(name="below_standard"),
    ),
)
"""First-contact resolution tiers of independent stores (S4 §2)."""

SATISFACTION_BONUS_BAR = TierPolicy(
    metric="mean_rating",
    tiers=(Tier(name="reached", at_least=4.5), Tier(name="not_reached")),
)
"""The satisfaction bonus bar: mean five-star rating ≥ 4.5 (S4 §3.1)."""
