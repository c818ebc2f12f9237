"""Pay a fair bonus this month in an Instagram store (the tutorial as a script).

Run: python examples/fair_bonus.py [--figures DIR]

Five-star ratings, a 4.5-star bar, pay per difficulty point and a quality
pool; prints the statement. With --figures, saves the payout breakdown.
"""

import argparse
import pathlib
from datetime import datetime

from servicequality import Monthly, RatingScale, measure
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.incentives import IncentivePlan, PerPoint, PoolShare, ThresholdBonus
from servicequality.metrics import mean_rating
from servicequality.policy import classify, presets


def pay(figures: pathlib.Path | None = None) -> None:
    """Assess November, apply the plan, print the statement."""
    shop = example_shop(rating_scale=RatingScale.FIVE_STAR)
    month = Monthly(tz=SHOP_TIMEZONE)
    november = month.period_of(datetime(2025, 11, 1, tzinfo=SHOP_TIMEZONE))
    scorecard = presets.MATURE_STAGE
    measured = measure(
        shop,
        [
            *scorecard.metrics,
            mean_rating(scale=RatingScale.FIVE_STAR),
            "weighted_workload",
        ],
        by=["agent", month],
    )
    assessment = classify(
        measured,
        [presets.SATISFACTION, presets.SATISFACTION_BONUS_BAR],
        scorecard=scorecard,
    )
    plan = IncentivePlan(
        name="November bonus",
        currency="USD",
        rules=[
            ThresholdBonus(
                name="satisfaction bonus",
                bar=presets.SATISFACTION_BONUS_BAR,
                amount="200",
            ),
            PerPoint(name="workload", rate="0.40"),
            PoolShare(name="quality pool", pool="1500", weight="composite_score"),
        ],
    )
    statement = plan.apply(assessment, november)
    print(statement)
    missed = statement.rows("a07", "satisfaction bonus")
    print(f"a07's bar rests on {len(missed)} rated conversations")

    if figures is not None:
        from servicequality.plot import payout_breakdown  # noqa: PLC0415

        figures.mkdir(parents=True, exist_ok=True)
        path = figures / "bonus-breakdown.png"
        payout_breakdown(statement).savefig(path, dpi=80)
        print(f"saved {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=pathlib.Path, default=None)
    pay(parser.parse_args().figures)
