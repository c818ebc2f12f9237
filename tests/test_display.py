"""Notebook display (HTML tables, compact reprs) and the figures of the plot extra."""

import html
import re
from datetime import datetime

import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from servicequality import Monthly, Weekly, measure
from servicequality import _display as display
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.incentives import IncentivePlan, PerPoint, PoolShare, TieredBonus
from servicequality.plot import (
    metric_trend,
    payout_breakdown,
    satisfaction_heatmap,
    tier_distribution,
)
from servicequality.policy import Tier, TierPolicy, classify
from servicequality.review import data_quality, weekly_review

SATISFACTION = TierPolicy(
    metric="satisfaction_rate",
    tiers=(
        Tier(name="excellent", at_least=0.9),
        Tier(name="good", at_least=0.8),
        Tier(name="warning"),
    ),
    min_sample=20,
)
MONTH = Monthly(SHOP_TIMEZONE).period_of(datetime(2025, 11, 10, tzinfo=SHOP_TIMEZONE))


@pytest.fixture(scope="module")
def shop():
    return example_shop(4000, seed=3)


@pytest.fixture(scope="module")
def monthly(shop):
    return measure(
        shop,
        ["satisfaction_rate", "first_response_time", "weighted_workload"],
        by="agent",
        min_sample=20,
    )


@pytest.fixture(scope="module")
def assessment(monthly):
    return classify(monthly, [SATISFACTION])


@pytest.fixture(scope="module")
def statement(assessment):
    plan = IncentivePlan(
        name="November",
        currency="CNY",
        rules=[
            TieredBonus(
                name="bar",
                tiers="satisfaction_rate",
                amounts={"excellent": "300", "good": "0", "warning": "0"},
            ),
            PerPoint(name="points", rate="2.50"),
            PoolShare(name="pool", pool="1000", weight="weighted_workload"),
        ],
    )
    return plan.apply(assessment, MONTH)


def cells(markup):
    """Text of every body cell, unescaped."""
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", markup)]


class TestTables:
    def test_measurements_show_value_interval_and_n(self, monthly):
        markup = monthly._repr_html_()
        a01 = monthly.get("satisfaction_rate", agent="a01")
        expected = f"{a01.value:.1%} [{a01.low:.1%} – {a01.high:.1%}] n={a01.n}"
        assert expected in cells(markup)
        assert markup.count("<tr>") == len(monthly) + 1  # header row too
        assert "text-align:right" in markup

    def test_insufficient_cells_are_grey(self, shop):
        few = measure(shop, "satisfaction_rate", by="agent", min_sample=10_000)
        assert few._repr_html_().count(display.GREY) == len(few)

    def test_long_results_are_cut_with_a_count(self, shop):
        many = measure(shop, "rating_rate", by=["agent", Weekly(SHOP_TIMEZONE)])
        assert len(many) > display.MAX_ROWS
        markup = many._repr_html_()
        rest = len(many) - display.MAX_ROWS
        assert f"… {rest} more rows ({len(many)} in all)" in markup
        assert markup.count("<tr>") == display.MAX_ROWS + 2

    def test_assessment_colours_tiers_and_explains_on_hover(self, assessment):
        markup = assessment._repr_html_()
        judgements = list(assessment)
        colours = {
            "excellent": display.BEST,
            "good": display.MIDDLE,
            "warning": display.WORST,
            "insufficient_data": display.GREY,
        }
        for judgement in judgements:
            assert html.escape(judgement.reason) in markup
        for tier in {j.tier for j in judgements}:
            pattern = f"background:{colours[tier]};[^>]*>{tier} · "
            assert re.search(pattern, markup), tier

    def test_payout_statement_aligns_money_and_lists_the_rest(self, statement):
        markup = statement._repr_html_()
        body = cells(markup)
        for agent in statement.agents:
            assert statement.currency.format(statement.total(agent)) in body
        assert f"Total paid: {statement.currency.format(statement.total_paid)}" in (
            html.unescape(markup)
        )
        for excluded in statement.excluded:
            assert f"Not paid: {excluded.agent_id}" in markup
        assert repr(statement).startswith("<PayoutStatement 'November' 2025-11-01 –")

    def test_review_and_data_quality(self, shop):
        week = Weekly(SHOP_TIMEZONE).period_of(
            datetime(2025, 11, 17, tzinfo=SHOP_TIMEZONE)
        )
        review = weekly_review(shop, week)
        markup = review._repr_html_()
        for finding in review.findings:
            assert f"{finding.difference:+.1%}" in markup
        assert markup.count("<table") == 2
        assert repr(review) == (
            "<WeeklyReview of 2025-11-17 – 2025-11-23: "
            f"{len(review.findings)} finding(s) of {review.tested} test(s), "
            f"{len(review.changes)} change(s)>"
        )
        report = data_quality(shop)
        body = cells(report._repr_html_())
        assert body[0] == "all"
        assert str(report.overall.conversations) in body
        assert repr(report).startswith(
            f"<DataQualityReport: {report.overall.conversations} conversations"
        )

    def test_text_is_escaped(self):
        markup = display.table(["<b>"], [["a & b"]])
        assert "&lt;b&gt;" in markup
        assert "a &amp; b" in markup

    @pytest.mark.parametrize(
        ("value", "unit", "text"),
        [
            (0.8751, "share", "87.5%"),
            (1234.4, "seconds", "1,234 s"),
            (48.0, "points", "48"),
            (float("nan"), "share", "—"),
            (4.56, "score", "4.56"),
        ],
    )
    def test_numbers(self, value, unit, text):
        assert display.number(value, unit) == text


class TestFigures:
    def test_trend_draws_a_line_and_band_per_series_and_tier_bands(self, shop):
        weeks = Weekly(SHOP_TIMEZONE)
        weekly = measure(shop, "satisfaction_rate", by=["agent", weeks])
        figure = metric_trend(
            weekly, "satisfaction_rate", where={"agent": "a01"}, policy=SATISFACTION
        )
        assert isinstance(figure, Figure)
        (ax,) = figure.axes
        periods = [k[1] for k in weekly.keys if k[0] == "a01"]
        (line,) = ax.get_lines()
        assert len(line.get_xdata()) == len(periods)
        assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1
        assert len(ax.patches) == len(SATISFACTION.tiers)
        assert ax.get_ylabel() == "satisfaction_rate (share)"
        assert ax.get_ylim() == (0.0, 1.0)
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend[0] == "a01"

    def test_trend_by_period_only_and_its_refusals(self, shop, monthly):
        overall = measure(shop, "first_response_time", by=Weekly(SHOP_TIMEZONE))
        (ax,) = metric_trend(overall, "first_response_time").axes
        assert len(ax.get_lines()) == 1
        with pytest.raises(ValueError, match="calendar key"):
            metric_trend(monthly, "satisfaction_rate")
        weekly = measure(shop, "rating_rate", by=["agent", Weekly(SHOP_TIMEZONE)])
        with pytest.raises(ValueError, match="series"):
            metric_trend(weekly, "rating_rate")

    def test_tier_distribution_counts_every_agent(self, assessment):
        (ax,) = tier_distribution(assessment, "satisfaction_rate").axes
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels == ["excellent", "good", "warning", "insufficient_data"]
        heights = [p.get_height() for p in ax.patches]
        assert sum(heights) == len(list(assessment))
        with pytest.raises(ValueError, match="no tier policy"):
            tier_distribution(assessment, "weighted_workload")

    def test_heatmap_is_weekday_by_hour(self, shop):
        figure = satisfaction_heatmap(shop, SHOP_TIMEZONE, min_n=5)
        ax = figure.axes[0]
        (image,) = ax.get_images()
        grid = image.get_array()
        assert grid.shape == (7, 24)
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        assert len(figure.axes) == 2  # the colour bar
        shown = grid.compressed()
        assert len(shown) > 0
        assert ((shown >= 0) & (shown <= 1)).all()
        with pytest.raises(ValueError, match="min_n"):
            satisfaction_heatmap(shop, SHOP_TIMEZONE, min_n=0)

    def test_payout_breakdown_stacks_rules_per_agent(self, statement):
        (ax,) = payout_breakdown(statement).axes
        rules = ["bar", "points", "pool"]
        assert len(ax.patches) == len(statement.agents) * len(rules)
        widths = [p.get_width() for p in ax.patches]
        assert sum(widths) == pytest.approx(float(statement.total_paid))
        assert [t.get_text() for t in ax.get_legend().get_texts()] == rules
        assert ax.get_xlabel() == "CNY"
