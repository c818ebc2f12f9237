"""The weekly review and the data-quality report on generated shops."""

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from servicequality import (
    Agent,
    Channel,
    Conversation,
    ConversationTable,
    Difficulty,
    HourOfDay,
    RatingScale,
    Role,
    ValidationError,
    Weekly,
)
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.review import data_quality, weekly_review

WEEK = Weekly(tz=UTC).period_of(datetime(2026, 5, 11, tzinfo=UTC))
AGENTS = [f"a{i}" for i in range(6)]


def generated_weeks(
    seed,
    *,
    n=3_000,
    satisfied=0.8,
    bad_hour=None,
    bad_satisfied=0.4,
    invited=None,
    basic=None,
):
    """Two weeks (the reviewed one and the one before) of independent facts.

    Everything is drawn independently of hour, topic and channel, except what
    the arguments plant: ``bad_hour`` lowers satisfaction in that UTC hour;
    ``invited`` maps an agent to its own invitation rate; ``basic`` maps an
    agent to its own share of basic conversations.
    """
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-05-04T00:00", "us")
    opened = start + rng.integers(0, 14 * 86_400, n).astype("timedelta64[s]")
    agent = rng.integers(0, len(AGENTS), n)
    hour = (opened.astype("datetime64[h]").astype(np.int64)) % 24
    p = np.where(hour == bad_hour, bad_satisfied, satisfied)
    invite_rate = np.full(n, 0.6)
    basic_share = np.full(n, 0.5)
    for name, rate in (invited or {}).items():
        invite_rate[agent == AGENTS.index(name)] = rate
    for name, share in (basic or {}).items():
        basic_share[agent == AGENTS.index(name)] = share
    invited_now = rng.random(n) < invite_rate
    rated = invited_now & (rng.random(n) < 0.6)
    return ConversationTable.from_arrays(
        conversation_id=np.arange(n),
        conversation_ids=[f"c{i:05}" for i in range(n)],
        agent_id=agent,
        agent_ids=AGENTS,
        customer_id=np.arange(n),
        customer_ids=[f"u{i:05}" for i in range(n)],
        opened_at=opened,
        channel=rng.integers(0, 4, n).astype(np.int8),
        topic=rng.integers(0, 4, n),
        topics=["color", "returns", "shipping", "sizing"],
        difficulty=np.where(
            rng.random(n) < basic_share, 0, rng.integers(1, 4, n)
        ).astype(np.int8),
        resolved=rng.random(n) < 0.8,
        escalated=rng.random(n) < 0.1,
        rating_invited=invited_now,
        rating_scale=np.where(rated, 0, -1).astype(np.int8),
        rating_scales=(RatingScale.THREE_LEVEL,),
        rating_score=np.where(rng.random(n) < p, 3, 1).astype(np.int8),
        agents=[Agent(id=a, role=Role.AGENT, team="aftersale") for a in AGENTS],
    )


class TestWeeklyReview:
    def test_a_planted_bad_hour_is_found_first(self):
        table = generated_weeks(1, bad_hour=3)
        review = weekly_review(table, WEEK)
        satisfaction = [f for f in review.findings if f.metric == "satisfaction_rate"]
        assert satisfaction
        top = satisfaction[0]
        assert (top.dimension, top.label) == ("hour", 3)
        assert top.difference < 0
        assert top.low <= top.value <= top.high
        assert top.q_value <= review.alpha
        assert top.sentence.startswith("03:00–03:59: satisfaction_rate")

    def test_false_findings_stay_near_the_nominal_rate(self):
        """With nothing planted, few weeks show any finding at all.

        Under the global null the Benjamini–Hochberg procedure over exact
        (Fisher) tests keeps the chance of one or more findings at most
        alpha = 0.05 (about 3 % over 400 weeks when this test was written). Over 60
        generated weeks we expect about 3 with a finding; we allow 9 (a
        binomial(60, 0.05) exceeds 8 with probability about 0.5 %).
        """
        weeks_with_findings = sum(
            bool(weekly_review(generated_weeks(seed, n=2_000), WEEK).findings)
            for seed in range(60)
        )
        assert weeks_with_findings <= 9

    def test_changes_against_the_previous_week(self):
        review = weekly_review(generated_weeks(2), WEEK)
        assert review.previous.end == WEEK.start
        assert review.previous.duration == WEEK.duration
        (satisfaction,) = [c for c in review.changes if c.metric == "satisfaction_rate"]
        assert satisfaction.difference == pytest.approx(
            satisfaction.value - satisfaction.previous
        )
        assert 0 <= satisfaction.p_value <= 1
        assert "in the previous period" in satisfaction.sentence

    def test_records_and_text(self):
        review = weekly_review(generated_weeks(1, bad_hour=3), WEEK)
        records = review.to_records()
        kinds = [r["kind"] for r in records]
        assert kinds.count("change") == 3
        assert kinds.count("finding") == len(review.findings)
        text = str(review)
        assert f"{len(review.findings)} finding(s) among {review.tested}" in text

    def test_to_pandas_keeps_counts_whole(self):
        """Findings and changes share one frame; counts stay integers."""
        review = weekly_review(generated_weeks(1, bad_hour=3), WEEK)
        frame = review.to_pandas(period_labels=True)
        assert list(frame["kind"]) == [r["kind"] for r in review.to_records()]
        assert str(frame["n"].dtype) == "int64"
        assert str(frame["previous_n"].dtype) == "Int64"
        changes = frame[frame["kind"] == "change"]
        assert list(changes["previous_n"]) == [c.previous_n for c in review.changes]

    def test_on_the_example_shop(self):
        shop = example_shop(5_000)
        week = Weekly(tz=SHOP_TIMEZONE).period_of(
            datetime(2025, 11, 17, tzinfo=SHOP_TIMEZONE)
        )
        review = weekly_review(
            shop, week, dimensions=[HourOfDay(tz=SHOP_TIMEZONE), "topic"], min_n=30
        )
        assert all(f.n >= 30 for f in review.findings)
        assert {f.dimension for f in review.findings} <= {"hour", "topic"}

    @pytest.mark.parametrize(
        ("options", "field"),
        [
            ({"alpha": 0}, "alpha"),
            ({"min_n": 0}, "min_n"),
            ({"dimensions": ["colour"]}, "by"),
        ],
    )
    def test_bad_options(self, options, field):
        with pytest.raises(ValidationError, match=field):
            weekly_review(generated_weeks(1, n=100), WEEK, **options)

    def test_bad_inputs(self):
        with pytest.raises(ValidationError, match="table"):
            weekly_review([], WEEK)
        with pytest.raises(ValidationError, match="period"):
            weekly_review(generated_weeks(1, n=10), "this week")


class TestDataQuality:
    def test_selective_invitations_and_cherry_picking_are_found(self):
        table = generated_weeks(3, invited={"a2": 0.98}, basic={"a4": 0.95})
        report = data_quality(table)
        found = {(f.kind, f.agent_id) for f in report.findings}
        assert ("rating_rate", "a2") in found
        assert ("difficulty_mix", "a4") in found
        (cherry,) = [f for f in report.findings if f.kind == "difficulty_mix"]
        assert cherry.value < cherry.team_value
        assert cherry.q_value <= 0.05
        assert "one-sided" in cherry.test
        assert "rest of team aftersale" in cherry.sentence

    def test_no_findings_without_a_plant(self):
        assert data_quality(generated_weeks(4)).findings == ()

    def test_rows_bound_and_reweight_satisfaction(self):
        report = data_quality(generated_weeks(5))
        assert [row.key["agent"] for row in report.rows] == AGENTS
        for row in (report.overall, *report.rows):
            assert row.satisfaction_low <= row.satisfaction <= row.satisfaction_high
            assert row.rating_rate == pytest.approx(row.rated / row.conversations)
            assert row.response_rate == pytest.approx(row.rated / row.invited)
            assert abs(row.satisfaction_poststratified - row.satisfaction) < 0.1
        assert sum(r.conversations for r in report.rows) == report.overall.conversations

    def test_grouping_by_a_stratum_and_missing_counts(self):
        shop = example_shop(2_000)
        report = data_quality(shop, by="channel")
        assert report.key_names == ("channel",)
        assert report.missing["no closing time"] == int(
            np.isnat(shop["closed_at"]).sum()
        )
        records = report.to_records()
        assert records[0]["conversations"] == report.overall.conversations
        assert "channel" in records[1]
        assert "rating rate" in str(report)

    def test_to_pandas(self):
        """One row per group after the overall one; counts are integers."""
        report = data_quality(generated_weeks(5))
        frame = report.to_pandas()
        assert len(frame) == 1 + len(report.rows)
        assert list(frame["conversations"]) == [
            row.conversations for row in (report.overall, *report.rows)
        ]
        for count in ("conversations", "invited", "rated"):
            assert str(frame[count].dtype) == "int64"

    def test_empty_and_bad_inputs(self):
        shop = example_shop(100)
        empty = data_quality(shop.filter(np.zeros(len(shop), dtype=bool)))
        assert empty.overall.conversations == 0
        assert math.isnan(empty.overall.satisfaction)
        assert empty.rows == ()
        with pytest.raises(ValidationError, match="alpha"):
            data_quality(shop, alpha=1.5)
        with pytest.raises(ValidationError, match="table"):
            data_quality({})

    def test_a_table_without_invitations_channel_or_difficulty(self):
        """Absent columns leave out what needs them; nothing else changes."""
        full = generated_weeks(3, invited={"a2": 0.98}, basic={"a4": 0.95})
        frame = full.to_pandas().drop(
            columns=["rating_invited", "channel", "difficulty"]
        )
        table = ConversationTable.from_pandas(
            frame, rating_scale=full.rating_scales[0], agents=full.agents
        )
        report = data_quality(table)
        whole = data_quality(full)
        assert math.isnan(report.overall.response_rate)
        assert report.overall.invited == 0
        assert report.overall.satisfaction_poststratified == pytest.approx(
            report.overall.satisfaction
        )
        assert report.overall.rated == whole.overall.rated
        found = {(f.kind, f.agent_id) for f in report.findings}
        assert ("rating_rate", "a2") in found
        assert not any(f.kind == "difficulty_mix" for f in report.findings)

    def test_bots_are_left_out(self):
        shop = example_shop(1_000)
        report = data_quality(shop)
        assert "bot" not in {row.key["agent"] for row in report.rows}
        assert all(f.agent_id != "bot" for f in report.findings)


def test_review_window_reads_history_before_the_previous_week():
    """A repeat early in the previous week finds a contact from before it."""
    first = datetime(2026, 5, 1, 10, tzinfo=UTC)  # 3 days before the previous week
    conversations = [
        Conversation(
            id=cid,
            agent_id="a0",
            customer_id="u1",
            opened_at=at,
            channel=Channel.CHAT,
            difficulty=Difficulty.BASIC,
            resolved=True,
            escalated=False,
            rating_invited=False,
        )
        for cid, at in (("c1", first), ("c2", first + timedelta(days=4)))
    ]
    review = weekly_review(ConversationTable.from_records(conversations), WEEK)
    (repeats,) = [c for c in review.changes if c.metric == "repeat_inquiry_rate"]
    assert (repeats.previous, repeats.previous_n) == (1.0, 1)
