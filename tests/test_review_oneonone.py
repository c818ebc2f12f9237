"""The monthly one-to-one: team and own-past comparisons, tiers, drill-down."""

from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from servicequality import (
    ConversationTable,
    Monthly,
    UnknownKeyError,
    ValidationError,
    measure,
)
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.incentives import IncentivePlan, PerPoint
from servicequality.metrics import first_response_time
from servicequality.plot import one_to_one_chart
from servicequality.policy import classify, presets
from servicequality.review import one_to_one

MONTH = Monthly(tz=SHOP_TIMEZONE)
NOVEMBER = MONTH.period_of(datetime(2025, 11, 1, tzinfo=SHOP_TIMEZONE))
OCTOBER = MONTH.period_of(datetime(2025, 10, 1, tzinfo=SHOP_TIMEZONE))
SHOP = ConversationTable.concat(
    [example_shop(3_000, month=m, seed=m) for m in (8, 9, 10, 11)]
)


def _frame(table):
    """Conversations with handler, month and satisfied flags, by pandas."""
    frame = table.to_pandas()
    roles = {a.id: a.role.value for a in table.agents}
    frame["handler"] = frame["transferred_to"].where(
        frame["transferred_to"].notna(), frame["agent_id"]
    )
    frame = frame[frame["handler"].map(roles) != "bot"].copy()
    local = frame["opened_at"].dt.tz_convert(SHOP_TIMEZONE)
    frame["month"] = local.dt.strftime("%Y-%m")
    frame["rated"] = frame["rating_score"].notna()
    frame["satisfied"] = frame["rating_score"] >= 3
    return frame


class TestComparisons:
    def test_satisfaction_against_team_and_past_matches_pandas(self):
        """Value, rest of team, own past and Fisher p-values equal pandas + scipy."""
        review = one_to_one(SHOP, "a05", NOVEMBER, calendar=MONTH, history=2)
        (line,) = [m for m in review.metrics if m.metric == "satisfaction_rate"]
        frame = _frame(SHOP)
        rated = frame[frame["rated"]]
        now = rated[(rated["month"] == "2025-11") & (rated["handler"] == "a05")]
        rest = rated[(rated["month"] == "2025-11") & (rated["handler"] != "a05")]
        past = rated[
            rated["month"].isin(["2025-09", "2025-10"]) & (rated["handler"] == "a05")
        ]
        assert now["satisfied"].mean() == pytest.approx(line.value)
        assert rest["satisfied"].mean() == pytest.approx(line.team)
        assert past["satisfied"].mean() == pytest.approx(line.history)
        assert len(past) == line.history_n

        def table(a, b):
            return [
                [a["satisfied"].sum(), (~a["satisfied"]).sum()],
                [b["satisfied"].sum(), (~b["satisfied"]).sum()],
            ]

        assert scipy_stats.fisher_exact(table(now, rest))[1] == pytest.approx(
            line.team_p, rel=1e-6
        )
        assert scipy_stats.fisher_exact(table(now, past))[1] == pytest.approx(
            line.history_p, rel=1e-6
        )
        assert review.previous == (
            MONTH.period_of(datetime(2025, 9, 1, tzinfo=SHOP_TIMEZONE)),
            OCTOBER,
        )

    def test_mean_metric_uses_welch(self):
        """First response time against the team equals scipy's Welch p-value."""
        review = one_to_one(
            SHOP, "a05", NOVEMBER, calendar=MONTH, metrics=["first_response_time"]
        )
        (line,) = review.metrics
        frame = _frame(SHOP)
        seconds = (frame["first_response_at"] - frame["opened_at"]).dt.total_seconds()
        frame = frame.assign(seconds=seconds)[seconds.notna()]
        november = frame[frame["month"] == "2025-11"]
        now = november[november["handler"] == "a05"]["seconds"]
        rest = november[november["handler"] != "a05"]["seconds"]
        assert now.mean() == pytest.approx(line.value)
        assert rest.mean() == pytest.approx(line.team)
        expected = scipy_stats.ttest_ind(now, rest, equal_var=False).pvalue
        assert expected == pytest.approx(line.team_p, rel=1e-2)

    def test_weakness_and_the_conversations_behind_it(self):
        """a05's low rating rate is a weakness; behind it, its unrated conversations."""
        review = one_to_one(SHOP, "a05", NOVEMBER, calendar=MONTH)
        weak = {m.metric: m for m in review.weaknesses}
        assert "rating_rate" in weak
        line = weak["rating_rate"]
        assert line.team_q <= review.alpha
        frame = _frame(SHOP)
        unrated = frame[
            (frame["month"] == "2025-11")
            & (frame["handler"] == "a05")
            & ~frame["rated"]
        ]
        assert line.behind_count == len(unrated)
        assert set(line.behind) <= set(unrated["conversation_id"])
        assert len(line.behind) == min(20, len(unrated))

    def test_verdicts_follow_q_values(self):
        """A verdict is given exactly when some q-value is at most alpha."""
        for agent in ("a01", "a03", "a05", "a06"):
            review = one_to_one(SHOP, agent, NOVEMBER, calendar=MONTH)
            for m in review.metrics:
                significant = min(m.team_q, m.history_q) <= review.alpha
                assert bool(m.verdict) == significant
                assert m in review.strengths or m in review.weaknesses or not m.verdict

    def test_no_history(self):
        """history=0 compares with the team only: the past is undefined."""
        review = one_to_one(SHOP, "a05", NOVEMBER, calendar=MONTH, history=0)
        assert review.previous == ()
        assert all(np.isnan(m.history) and m.history_n == 0 for m in review.metrics)


class TestTiersPayAndNotes:
    def test_tiers_equal_classify(self):
        """The tier shown is the tier classify gives the agent's month."""
        review = one_to_one(
            SHOP, "a01", NOVEMBER, calendar=MONTH, policies=[presets.SATISFACTION]
        )
        measured = measure(SHOP, ["satisfaction_rate"], by=["agent", MONTH])
        expected = classify(measured, [presets.SATISFACTION]).tier(
            "satisfaction_rate", agent="a01", period=NOVEMBER
        )
        (line,) = [m for m in review.metrics if m.metric == "satisfaction_rate"]
        assert expected == line.tier
        assert line.tier_reason
        assert all(m.tier is None for m in review.metrics if m is not line)

    def test_payout_lines_come_from_the_statement(self):
        """Payout lines are the statement's lines of the agent."""
        measured = measure(SHOP, ["weighted_workload"], by=["agent", MONTH])
        plan = IncentivePlan(
            name="workload", currency="CNY", rules=[PerPoint(name="w", rate="0.5")]
        )
        statement = plan.apply(classify(measured, []), NOVEMBER)
        review = one_to_one(SHOP, "a01", NOVEMBER, calendar=MONTH, statement=statement)
        assert review.payout == statement.lines_of("a01")
        assert review.total_payout == statement.total("a01")
        assert review.total_payout > Decimal(0)

    def test_statement_of_another_period_is_refused(self):
        """Paying October's lines in November's meeting is refused."""
        measured = measure(SHOP, ["weighted_workload"], by=["agent", MONTH])
        plan = IncentivePlan(
            name="workload", currency="CNY", rules=[PerPoint(name="w", rate="0.5")]
        )
        statement = plan.apply(classify(measured, []), OCTOBER)
        with pytest.raises(ValidationError, match="statement"):
            one_to_one(SHOP, "a01", NOVEMBER, calendar=MONTH, statement=statement)

    def test_notes_recognition_and_views(self):
        """Notes are kept; best cases and praise are the agent's own."""
        review = one_to_one(
            SHOP, "a06", NOVEMBER, calendar=MONTH, notes=["Returns pile up"]
        ).with_notes("Size chart is wrong")
        assert review.notes == ("Returns pile up", "Size chart is wrong")
        assert all(c.agent_id == "a06" for c in review.best_cases)
        assert all(p.agent_id == "a06" for p in review.praise)
        assert "Size chart is wrong" in str(review)
        html = review._repr_html_()
        assert "Size chart is wrong" in html
        assert "<table" in html
        frame = review.to_pandas()
        assert isinstance(frame, pd.DataFrame)
        assert frame["metric"].tolist() == [m.metric for m in review.metrics]
        figure = one_to_one_chart(review)
        assert len(figure.axes) == len(review.metrics)


class TestRefusals:
    def test_unknown_agent(self):
        """An agent without conversations in the period is refused by name."""
        with pytest.raises(UnknownKeyError, match="nobody"):
            one_to_one(SHOP, "nobody", NOVEMBER, calendar=MONTH)

    def test_quantile_metric(self):
        """Quantiles have no test here."""
        with pytest.raises(ValidationError, match="share or a mean"):
            one_to_one(
                SHOP,
                "a01",
                NOVEMBER,
                calendar=MONTH,
                metrics=[first_response_time(statistic="p90")],
            )

    @pytest.mark.parametrize("notes", [[""], [3], "one note"])
    def test_bad_notes(self, notes):
        """Notes are non-empty strings in a list."""
        with pytest.raises(ValidationError):
            one_to_one(SHOP, "a01", NOVEMBER, calendar=MONTH, notes=notes)


class TestAbsentColumns:
    def test_a_douyin_like_export_gets_what_its_columns_allow(self):
        """Without difficulty, escalation or customers: fewer metrics, no best cases."""
        frame = SHOP.to_pandas().drop(
            columns=["difficulty", "escalated", "customer_id"]
        )
        table = ConversationTable.from_pandas(
            frame, rating_scale=SHOP.rating_scales[0], agents=SHOP.agents
        )
        review = one_to_one(table, "a05", NOVEMBER, calendar=MONTH, history=2)
        names = {m.metric for m in review.metrics}
        assert "escalation_rate" not in names
        assert "first_contact_resolution" not in names
        assert "satisfaction_rate" in names
        assert review.best_cases == ()
        with pytest.raises(UnknownKeyError, match="escalated"):
            one_to_one(
                table, "a05", NOVEMBER, calendar=MONTH, metrics=["escalation_rate"]
            )
