"""Notebook display (HTML tables, compact reprs) and the figures of the plot extra."""

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from servicequality import (
    ConversationTable,
    Monthly,
    Period,
    Quarterly,
    Weekly,
    Yearly,
    measure,
)
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
MONTH = Monthly(tz=SHOP_TIMEZONE).period_of(
    datetime(2025, 11, 10, tzinfo=SHOP_TIMEZONE)
)


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
        many = measure(shop, "rating_rate", by=["agent", Weekly(tz=SHOP_TIMEZONE)])
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
        assert repr(statement).startswith("<PayoutStatement 'November' 2025-11: ")

    def test_review_and_data_quality(self, shop):
        week = Weekly(tz=SHOP_TIMEZONE).period_of(
            datetime(2025, 11, 17, tzinfo=SHOP_TIMEZONE)
        )
        review = weekly_review(shop, week)
        markup = review._repr_html_()
        for finding in review.findings:
            assert f"{finding.difference:+.1%}" in markup
        assert markup.count("<table") == 2
        assert repr(review) == (
            f"<WeeklyReview of 2025-W47: {len(review.findings)} finding(s) "
            f"of {review.tested} test(s), {len(review.changes)} change(s)>"
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
        weeks = Weekly(tz=SHOP_TIMEZONE)
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
        overall = measure(shop, "first_response_time", by=Weekly(tz=SHOP_TIMEZONE))
        (ax,) = metric_trend(overall, "first_response_time").axes
        assert len(ax.get_lines()) == 1
        with pytest.raises(ValueError, match="calendar key"):
            metric_trend(monthly, "satisfaction_rate")
        weekly = measure(shop, "rating_rate", by=["agent", Weekly(tz=SHOP_TIMEZONE)])
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


class TestPeriodLabels:
    @pytest.mark.parametrize(
        ("calendar", "label"),
        [
            (Yearly, "2025"),
            (Quarterly, "2025-Q4"),
            (Monthly, "2025-11"),
            (Weekly, "2025-W46"),
        ],
    )
    def test_calendar_periods(self, calendar, label):
        """12 November 2025 (a Wednesday) lies in 2025, Q4, November and ISO week 46."""
        instant = datetime(2025, 11, 12, 15, 30, tzinfo=SHOP_TIMEZONE)
        assert calendar(tz=SHOP_TIMEZONE).period_of(instant).label == label

    def test_first_days_of_the_iso_year(self):
        """29 December 2025 (a Monday) starts ISO week 1 of 2026."""
        instant = datetime(2025, 12, 30, tzinfo=SHOP_TIMEZONE)
        assert Weekly(tz=SHOP_TIMEZONE).period_of(instant).label == "2026-W01"

    def test_days_hours_and_other_spans(self):
        """A day, an hour with its offset, whole days, and any other span."""
        start = datetime(2025, 11, 12, tzinfo=SHOP_TIMEZONE)
        day = Period(start=start, end=start + timedelta(days=1))
        hour = Period(start=start.replace(hour=14), end=start.replace(hour=15))
        days = Period(start=start, end=start + timedelta(days=3))
        odd = Period(start=start.replace(hour=9, minute=30), end=start.replace(hour=11))
        assert day.label == "2025-11-12"
        assert hour.label == "2025-11-12 14:00+08:00"
        assert days.label == "2025-11-12 – 2025-11-14"
        assert odd.label == "2025-11-12 09:30 – 2025-11-12 11:00+08:00"

    def test_a_utc_hour_says_z(self):
        """UTC shows as Z."""
        start = datetime(2025, 11, 12, 14, tzinfo=UTC)
        assert Period(start=start, end=start + timedelta(hours=1)).label == (
            "2025-11-12 14:00Z"
        )

    def test_dst_months_and_repeated_hours(self):
        """A March with a short day is 2025-03; a repeated hour differs by offset."""
        berlin = ZoneInfo("Europe/Berlin")
        march = Monthly(tz=berlin).period_of(datetime(2025, 3, 15, tzinfo=berlin))
        assert march.label == "2025-03"
        first = datetime(2025, 10, 26, 0, 0, tzinfo=UTC)
        hours = [
            Period(start=first + timedelta(hours=h), end=first + timedelta(hours=h + 1))
            for h in (0, 1)
        ]
        local = [
            Period(start=p.start.astimezone(berlin), end=p.end.astimezone(berlin))
            for p in hours
        ]
        assert [p.label for p in local] == [
            "2025-10-26 02:00+02:00",
            "2025-10-26 02:00+01:00",
        ]

    @given(
        moment=st.datetimes(
            min_value=datetime(1990, 1, 1),
            max_value=datetime(2060, 1, 1),
            timezones=st.sampled_from(
                [
                    UTC,
                    SHOP_TIMEZONE,
                    ZoneInfo("America/New_York"),
                    ZoneInfo("Europe/Berlin"),
                ]
            ),
        )
    )
    def test_labels_follow_the_local_calendar(self, moment):
        """Each calendar's label is read off the local date, and neighbours differ."""
        zone = moment.tzinfo
        local = moment.astimezone(zone).date()
        iso = local.isocalendar()
        expected = {
            Yearly: f"{local.year:04d}",
            Quarterly: f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}",
            Monthly: f"{local.year:04d}-{local.month:02d}",
            Weekly: f"{iso.year:04d}-W{iso.week:02d}",
        }
        for calendar, label in expected.items():
            period = calendar(tz=zone).period_of(moment)
            assert period.label == label
            assert calendar(tz=zone).following(period).label != label

    def test_displays_use_the_label(self, shop):
        """Result tables and the weekly review's repr name periods by label."""
        weekly = measure(shop, ["satisfaction_rate"], by=Weekly(tz=SHOP_TIMEZONE))
        assert "2025-W46" in weekly._repr_html_()
        assert display.label(MONTH) == "2025-11"


class TestConversationTableDisplay:
    def test_counts_agree_with_the_columns(self):
        """The overview's counts are the table's own, counted here by hand."""
        table = example_shop(200, seed=5)
        shown = html.unescape(table._repr_html_())
        rated = int((table["rating_scale"] >= 0).sum())
        reviewed = int((table["reviewer_id"] >= 0).sum())
        assert "ConversationTable: 200 conversations" in shown
        assert f"{rated} ({rated / 200:.1%}) · three_level" in shown
        assert f"{reviewed} ({reviewed / 200:.1%})" in shown
        assert "12 agents, 1 supervisor, 1 bot" in shown
        first = table.vocabulary("conversation_id")[table["conversation_id"][0]]
        assert first in shown
        assert "… 195 more rows (200 in all)" in shown

    def test_rejects_are_listed_with_their_reason(self):
        """A collected reject shows its kind, index, id and reason, escaped."""
        good = {
            "id": "c1",
            "agent_id": "a",
            "customer_id": "u",
            "channel": "dm",
            "difficulty": "basic",
            "resolved": True,
            "escalated": False,
            "rating_invited": False,
            "opened_at": datetime(2025, 11, 3, tzinfo=UTC),
        }
        table = ConversationTable.from_records(
            [good, {**good, "id": "<c2>", "customer_id": None}], errors="collect"
        )
        page = table._repr_html_()
        (reject,) = table.rejects
        assert "&lt;c2&gt;" in page
        assert "<c2>" not in page
        assert "Rejected records" in page
        assert html.escape(reject.reason) in page
        assert "customer_id" in reject.reason
        first_row = ["c1", "a", "2025-11-03 00:00", "dm", "—", "basic", "yes", "—"]
        body = cells(page)
        at = body.index("c1")
        assert body[at : at + 8] == first_row

    def test_an_empty_table_shows_zeros_not_errors(self):
        """No rows: the overview says 0 and a dash for the span, and no row table."""
        table = example_shop(10).filter(np.zeros(10, dtype=bool))
        page = html.unescape(table._repr_html_())
        assert "ConversationTable: 0 conversations" in page
        assert "First conversations" not in page
        assert "opened (UTC)</td><td" in page
