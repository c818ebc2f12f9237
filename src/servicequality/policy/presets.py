"""Tier policies straight from the source documents.

- :data:`SATISFACTION` — 客服满意度: excellent ≥ 90 %, good ≥ 80 %, warning
  below (S0 §1).
- :data:`FIRST_CONTACT_RESOLUTION` — 首次解决率: excellent ≥ 85 %, pass ≥ 75 %,
  below standard otherwise (S4 §2).
- :data:`SATISFACTION_BONUS_BAR` — the "达标就拿" bar: a mean rating of at
  least 4.5 on the five-star scale (S4 §3.1); measure ``mean_rating`` with
  ``scale=RatingScale.FIVE_STAR``.

All three need at least 30 observations for a real tier.

Scorecards for the two stages of a shop (S4 §4):

- :data:`GROWTH_STAGE` — a shop starting out: response speed weighs most.
- :data:`MATURE_STAGE` — an established shop: resolution quality and
  satisfaction weigh most.
"""

from servicequality.policy._scorecard import Dimension, Scorecard, ScorecardComponent
from servicequality.policy._tiers import Tier, TierPolicy

__all__ = [
    "FIRST_CONTACT_RESOLUTION",
    "GROWTH_STAGE",
    "MATURE_STAGE",
    "SATISFACTION",
    "SATISFACTION_BONUS_BAR",
]

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

GROWTH_STAGE = Scorecard(
    name="growth_stage",
    components=(
        ScorecardComponent(
            metric="responded_within",
            weight=0.35,
            dimension=Dimension.RESPONSIVENESS,
            worst=0.5,
            best=0.95,
        ),
        ScorecardComponent(
            metric="first_response_time",
            weight=0.2,
            dimension=Dimension.RESPONSIVENESS,
            worst=600.0,
            best=30.0,
        ),
        ScorecardComponent(
            metric="satisfaction_rate",
            weight=0.2,
            dimension=Dimension.SATISFACTION,
            worst=0.6,
            best=0.95,
        ),
        ScorecardComponent(
            metric="first_contact_resolution",
            weight=0.15,
            dimension=Dimension.RESOLUTION_QUALITY,
            worst=0.5,
            best=0.9,
        ),
        ScorecardComponent(
            metric="escalation_rate",
            weight=0.1,
            dimension=Dimension.RESOLUTION_QUALITY,
            worst=0.2,
            best=0.0,
        ),
    ),
)
"""For a shop that is starting out: response speed weighs most (S4 §4)."""

MATURE_STAGE = Scorecard(
    name="mature_stage",
    components=(
        ScorecardComponent(
            metric="first_contact_resolution",
            weight=0.3,
            dimension=Dimension.RESOLUTION_QUALITY,
            worst=0.6,
            best=0.9,
        ),
        ScorecardComponent(
            metric="satisfaction_rate",
            weight=0.3,
            dimension=Dimension.SATISFACTION,
            worst=0.7,
            best=0.95,
        ),
        ScorecardComponent(
            metric="repeat_inquiry_rate",
            weight=0.15,
            dimension=Dimension.RESOLUTION_QUALITY,
            worst=0.3,
            best=0.05,
        ),
        ScorecardComponent(
            metric="emotion_conversion",
            weight=0.15,
            dimension=Dimension.EMOTIONAL_STABILITY,
            worst=0.4,
            best=0.9,
        ),
        ScorecardComponent(
            metric="responded_within",
            weight=0.1,
            dimension=Dimension.RESPONSIVENESS,
            worst=0.7,
            best=0.98,
        ),
    ),
)
"""For an established shop: resolution and satisfaction weigh most (S4 §4)."""
