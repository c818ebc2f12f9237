"""Your first monthly review of a Douyin-style shop (the tutorial as a script).

Run: python examples/monthly_review.py [--figures DIR]

With --figures, the tutorial's figures are saved as PNG files in DIR (the
documentation's come from ``--figures docs/figures``).
"""

import argparse
import pathlib
from datetime import datetime

from servicequality import Monthly, Weekly, measure
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.policy import classify, presets
from servicequality.review import data_quality


def review(figures: pathlib.Path | None = None) -> None:
    """Measure, tier and check November; optionally save the figures."""
    month = example_shop()
    november = Monthly(tz=SHOP_TIMEZONE).period_of(
        datetime(2025, 11, 1, tzinfo=SHOP_TIMEZONE)
    )

    agents = measure(
        month,
        ["satisfaction_rate", "rating_rate", "responded_within"],
        by="agent",
        min_sample=30,
    )
    assessment = classify(agents, [presets.SATISFACTION])
    for judgement in assessment:
        print(f"{judgement.key['agent']}: {judgement.reason}")

    bots = measure(month, ["bot_containment", "transfer_rate"])
    contained = bots.get("bot_containment")
    print(
        f"the bot finished {contained.value:.1%} of its {contained.n} conversations "
        f"alone; {bots.get('transfer_rate').value:.1%} went to a human"
    )
    print(data_quality(month))

    if figures is not None:
        from servicequality.plot import (  # noqa: PLC0415  # the optional extra
            metric_trend,
            satisfaction_heatmap,
            tier_distribution,
        )

        figures.mkdir(parents=True, exist_ok=True)
        weekly = measure(month, "satisfaction_rate", by=Weekly(tz=SHOP_TIMEZONE))
        saved = {
            "monthly-tiers.png": tier_distribution(assessment, "satisfaction_rate"),
            "monthly-heatmap.png": satisfaction_heatmap(month, SHOP_TIMEZONE),
            "monthly-trend.png": metric_trend(
                weekly,
                "satisfaction_rate",
                policy=presets.SATISFACTION,
                observed=november,
            ),
        }
        for name, figure in saved.items():
            figure.savefig(figures / name, dpi=80)
            print(f"saved {figures / name}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=pathlib.Path, default=None)
    review(parser.parse_args().figures)
