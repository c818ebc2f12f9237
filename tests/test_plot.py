"""Figures that read Chinese, mark partial periods and count in whole numbers."""

import io
import warnings
from datetime import UTC, datetime, timedelta

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.text import Text

from servicequality import ConversationTable, Monthly, Weekly, WrongTypeError, measure
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.incentives import IncentivePlan, PerPoint
from servicequality.plot import (
    CJK_FONTS,
    metric_trend,
    payout_breakdown,
    satisfaction_heatmap,
    tier_distribution,
    use_cjk_fonts,
)
from servicequality.plot._fonts import font_families
from servicequality.policy import Tier, TierPolicy, classify

SATISFACTION = TierPolicy(
    metric="satisfaction_rate",
    tiers=(
        Tier(name="excellent", at_least=0.9),
        Tier(name="good", at_least=0.8),
        Tier(name="warning"),
    ),
    min_sample=5,
)
NO_CJK_FONT = not set(CJK_FONTS) & set(font_families())


def missing_glyphs(figure):
    """The missing-glyph warnings matplotlib gives while drawing ``figure``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def chinese_shop():
    """Three weeks of two agents named in Chinese, on a topic named in Chinese."""
    start = datetime(2025, 11, 3, 10, tzinfo=SHOP_TIMEZONE)
    conversations, ratings = [], []
    for i in range(60):
        opened = start + timedelta(days=i % 21, minutes=i)
        conversations.append(
            {
                "id": f"c{i}",
                "agent_id": "小美" if i % 2 else "阿强",
                "customer_id": f"u{i}",
                "opened_at": opened,
                "closed_at": opened + timedelta(minutes=9),
                "first_response_at": opened + timedelta(minutes=1),
                "channel": "dm",
                "difficulty": "basic",
                "topic": "美妆",
                "resolved": True,
                "escalated": False,
                "rating_invited": True,
            }
        )
        ratings.append(
            {"conversation_id": f"c{i}", "score": 3 - i % 3, "scale": "three_level"}
        )
    return ConversationTable.from_records(conversations, ratings=ratings)


@pytest.fixture(scope="module")
def shop():
    return example_shop()


class TestChineseText:
    @pytest.mark.skipif(
        NO_CJK_FONT,
        reason=f"none of the CJK fonts is installed ({', '.join(CJK_FONTS)})",
    )
    def test_every_figure_draws_chinese_without_missing_glyphs(self):
        """Names, topics and titles in Chinese render with an installed CJK font."""
        table = chinese_shop()
        weekly = measure(
            table, ["satisfaction_rate"], by=["agent", Weekly(tz=SHOP_TIMEZONE)]
        )
        by_agent = measure(
            table, ["satisfaction_rate", "weighted_workload"], by="agent"
        )
        assessment = classify(by_agent, [SATISFACTION])
        statement = IncentivePlan(
            name="十一月奖金",
            currency="CNY",
            rules=[PerPoint(name="工作量", rate="0.5")],
        ).apply(
            assessment,
            Monthly(tz=SHOP_TIMEZONE).period_of(datetime(2025, 11, 3, tzinfo=UTC)),
        )
        figures = [
            metric_trend(weekly, "satisfaction_rate", title="客服满意度"),
            tier_distribution(assessment, "satisfaction_rate", title="客服满意度分层"),
            satisfaction_heatmap(table, SHOP_TIMEZONE, min_n=1, title="美妆 满意度"),
            payout_breakdown(statement),
        ]
        legend = [t.get_text() for t in figures[0].axes[0].get_legend().get_texts()]
        assert {"小美", "阿强"} <= set(legend)
        for figure in figures:
            assert missing_glyphs(figure) == []

    def test_the_check_sees_a_missing_glyph(self):
        """Without the fallback chain the default font lacks 客: the check sees it."""
        figure = metric_trend(
            measure(chinese_shop(), "satisfaction_rate", by=Weekly(tz=SHOP_TIMEZONE)),
            "satisfaction_rate",
            title="客服满意度",
        )
        figure.axes[0].title.set_fontfamily(["DejaVu Sans"])
        assert len(missing_glyphs(figure)) == 5

    def test_fonts_are_set_per_figure_not_globally(self):
        """Drawing a figure leaves every rcParam as it was."""
        before = dict(mpl.rcParams)
        figure = metric_trend(
            measure(chinese_shop(), "satisfaction_rate", by=Weekly(tz=SHOP_TIMEZONE)),
            "satisfaction_rate",
        )
        figure.savefig(io.BytesIO(), format="png")
        assert dict(mpl.rcParams) == before

    def test_the_chain_starts_with_the_configured_family(self):
        """Latin text keeps the usual font; CJK fonts come after it, installed only."""
        families = font_families()
        configured = list(mpl.rcParams["font.family"])
        assert families[: len(configured)] == configured
        assert set(families[len(configured) :]) <= set(CJK_FONTS)

    def test_use_cjk_fonts_reaches_every_text(self):
        """Titles, labels, ticks and legends all get the chain."""
        figure = metric_trend(
            measure(chinese_shop(), "satisfaction_rate", by=Weekly(tz=SHOP_TIMEZONE)),
            "satisfaction_rate",
        )
        assert use_cjk_fonts(figure) is figure
        for text in figure.findobj(Text):
            assert text.get_fontfamily() == font_families()

    def test_use_cjk_fonts_refuses_what_is_not_a_figure(self):
        """An Axes instead of its Figure is a WrongTypeError naming the field."""
        figure = metric_trend(
            measure(chinese_shop(), "satisfaction_rate", by=Weekly(tz=SHOP_TIMEZONE)),
            "satisfaction_rate",
        )
        with pytest.raises(WrongTypeError) as info:
            use_cjk_fonts(figure.axes[0])
        assert info.value.field == "figure"


class TestPartialPeriods:
    def test_the_first_week_of_november_is_partial(self, shop):
        """1 November 2025 is a Saturday: week 44 has two days of data and is hollow."""
        november = Monthly(tz=SHOP_TIMEZONE).period_of(
            datetime(2025, 11, 5, tzinfo=UTC)
        )
        weekly = measure(shop, "satisfaction_rate", by=Weekly(tz=SHOP_TIMEZONE))
        (ax,) = metric_trend(weekly, "satisfaction_rate", observed=november).axes
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels == ["2025-W44", "2025-W45", "2025-W46", "2025-W47", "2025-W48"]
        solid, dashed, hollow, _ = ax.get_lines()
        assert np.isnan(solid.get_ydata()[0])
        assert not np.isnan(solid.get_ydata()[1:]).any()
        assert dashed.get_linestyle() == "--"
        assert len(hollow.get_xdata()) == 1
        assert hollow.get_markerfacecolor() == "white"
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "partial: data cover 2025-11 only" in legend

    def test_the_last_week_of_december_is_partial(self):
        """31 December 2025 is a Wednesday: week 1 of 2026 is the hollow last point."""
        december_shop = example_shop(3_000, month=12)
        december = Monthly(tz=SHOP_TIMEZONE).period_of(
            datetime(2025, 12, 5, tzinfo=UTC)
        )
        weekly = measure(
            december_shop, "satisfaction_rate", by=Weekly(tz=SHOP_TIMEZONE)
        )
        (ax,) = metric_trend(weekly, "satisfaction_rate", observed=december).axes
        solid, _, hollow, _ = ax.get_lines()
        assert np.isnan(solid.get_ydata()[-1])
        assert hollow.get_xdata()[0] == solid.get_xdata()[-1]
        assert ax.get_xticklabels()[-1].get_text() == "2026-W01"

    def test_without_observed_every_period_is_whole(self, shop):
        """No span given: one line, no hollow points."""
        weekly = measure(shop, "satisfaction_rate", by=Weekly(tz=SHOP_TIMEZONE))
        (ax,) = metric_trend(weekly, "satisfaction_rate").axes
        (line,) = ax.get_lines()
        assert not np.isnan(line.get_ydata()).any()

    def test_observed_must_be_a_period(self, shop):
        """A date instead of a Period is refused by name."""
        weekly = measure(shop, "satisfaction_rate", by=Weekly(tz=SHOP_TIMEZONE))
        with pytest.raises(WrongTypeError, match="observed") as info:
            metric_trend(weekly, "satisfaction_rate", observed=datetime(2025, 11, 1))
        assert info.value.field == "observed"


def drawn_ticks(axis, figure):
    figure.savefig(io.BytesIO(), format="png")
    low, high = axis.get_view_interval()
    return [t for t in axis.get_ticklocs() if low <= t <= high]


class TestWholeNumberAxes:
    def test_tier_counts_tick_in_whole_numbers(self):
        """Three teams give counts of at most 2; no 0.5 ticks."""
        by_team = measure(example_shop(2_000), ["satisfaction_rate"], by="team")
        figure = tier_distribution(
            classify(by_team, [SATISFACTION]), "satisfaction_rate"
        )
        ticks = drawn_ticks(figure.axes[0].yaxis, figure)
        assert ticks == [round(t) for t in ticks]

    def test_count_trends_tick_in_whole_numbers(self):
        """A handful of conversations a week is counted in whole ones, from 0."""
        weekly = measure(
            example_shop(60),
            ["conversation_count"],
            by=["agent", Weekly(tz=SHOP_TIMEZONE)],
        )
        figure = metric_trend(weekly, "conversation_count", where={"agent": "a01"})
        ticks = drawn_ticks(figure.axes[0].yaxis, figure)
        assert ticks == [round(t) for t in ticks]
        assert figure.axes[0].get_ylim()[0] == 0


class TestHeatmapOfTheExampleMonth:
    def test_the_evening_rush_stands_out(self, shop):
        """Most cells from 08:00 are filled, and 20:00-22:59 is the low band."""
        (image,) = satisfaction_heatmap(shop, SHOP_TIMEZONE).axes[0].get_images()
        grid = np.ma.filled(image.get_array(), np.nan)
        assert np.isfinite(grid[:, 8:]).mean() >= 0.9
        rush = np.nanmean(grid[:, 20:23])
        day = np.nanmean(grid[:, 9:20])
        assert rush < day - 0.2
