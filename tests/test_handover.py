"""Hand-over time (转人工): validation, the timings by hand, a pandas oracle."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicequality import (
    Agent,
    Channel,
    Conversation,
    ConversationTable,
    Difficulty,
    Monthly,
    Role,
    ServiceHours,
    ValidationError,
    measure,
)
from servicequality import metrics as sqm
from servicequality.demo import SHOP_TIMEZONE, example_shop

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)
S = timedelta(seconds=1)
ROSTER = (
    Agent(id="a1", role=Role.AGENT),
    Agent(id="a2", role=Role.AGENT),
    Agent(id="bot", role=Role.BOT),
    Agent(id="bot2", role=Role.BOT),
)
DOUYIN = ServiceHours.daily("08:00-23:00", tz=SHANGHAI)


def talk(cid, agent, *, at=T0, handed=None, reply=None, close=None, **extra):
    return Conversation(
        id=cid,
        agent_id=agent,
        customer_id=f"u{cid}",
        opened_at=at,
        handed_over_at=None if handed is None else at + handed * S,
        first_response_at=None if reply is None else at + reply * S,
        closed_at=None if close is None else at + close * S,
        channel=Channel.CHAT,
        topic=extra.pop("topic", "sizing"),
        difficulty=Difficulty.BASIC,
        resolved=True,
        escalated=False,
        rating_invited=False,
        **extra,
    )


@pytest.fixture(scope="module")
def shop():
    """Hand-overs of two bots; h4 at 22:59 is handed over at 23:01."""
    late = T0.replace(hour=22, minute=59)
    return ConversationTable.from_records(
        [
            # handed after 40 s, answered 100 s later
            talk("h1", "bot", transferred_to="a1", handed=40, reply=140, close=900),
            # handed after 10 s, answered 250 s later (too slow for 3 min)
            talk("h2", "bot", transferred_to="a1", handed=10, reply=260, close=900),
            # handed after 5 s, never answered, closed
            talk("h3", "bot2", transferred_to="a2", handed=5, close=600),
            # handed at 23:01 (outside 08:00-23:00), answered 60 s later
            talk("h4", "bot2", at=late, transferred_to="a2", handed=120, reply=180),
            # a hand-over at an unknown time: left out of the timings
            talk("h5", "bot", transferred_to="a2", reply=30, topic="returns"),
            # the bot alone; and a human alone
            talk("b1", "bot", reply=2, close=20, topic="returns"),
            talk("p1", "a1", reply=50, close=400),
        ],
        agents=ROSTER,
    )


class TestValidation:
    def test_a_hand_over_needs_a_target(self):
        """handed_over_at without transferred_to is refused, naming the field."""
        with pytest.raises(ValidationError, match="needs transferred_to") as caught:
            talk("x", "bot", handed=5)
        assert (caught.value.owner, caught.value.field) == (
            "Conversation",
            "handed_over_at",
        )

    @pytest.mark.parametrize(
        ("handed", "reply", "close", "rule"),
        [
            (-1, 10, 20, "must not be before opened_at"),
            (15, 10, 20, "must not be after first_response_at"),
            (25, None, 20, "must not be after closed_at"),
        ],
    )
    def test_order_opened_handed_replied_closed(self, handed, reply, close, rule):
        """opened ≤ handed over ≤ first response ≤ closed, both sides named."""
        with pytest.raises(ValidationError, match=rule):
            talk(
                "x",
                "bot",
                transferred_to="a1",
                handed=handed,
                reply=reply,
                close=close,
            )

    def test_bounds_are_inclusive(self):
        """A hand-over at the opening or at the first reply is allowed."""
        assert talk("x", "bot", transferred_to="a1", handed=0, reply=0).handed_over_at
        assert talk("y", "bot", transferred_to="a1", handed=9, reply=9, close=9)

    def test_columns_reject_the_same_rows(self):
        """from_arrays rejects by the same rules, one reject per bad row."""
        at = np.datetime64("2026-11-18T02:00:00", "us")
        table = ConversationTable.from_arrays(
            conversation_id=np.arange(4),
            conversation_ids=["ok", "early", "late", "no_target"],
            agent_id=np.zeros(4, dtype=np.int64),
            agent_ids=["bot", "a1"],
            customer_id=np.zeros(4, dtype=np.int64),
            customer_ids=["u"],
            opened_at=np.full(4, at),
            first_response_at=np.full(4, at + np.timedelta64(60, "s")),
            handed_over_at=at
            + np.array([30, -5, 90, 30], dtype="timedelta64[s]").astype(
                "timedelta64[us]"
            ),
            transferred_to=np.array([1, 1, 1, -1]),
            channel=np.zeros(4, dtype=np.int8),
            difficulty=np.zeros(4, dtype=np.int8),
            resolved=np.ones(4, dtype=bool),
            escalated=np.zeros(4, dtype=bool),
            rating_invited=np.zeros(4, dtype=bool),
            agents=(Agent(id="bot", role=Role.BOT), Agent(id="a1", role=Role.AGENT)),
            errors="collect",
        )
        assert [(r.index, r.field) for r in table.rejects] == [
            (1, "handed_over_at"),
            (2, "handed_over_at"),
            (3, "handed_over_at"),
        ]
        assert "must not be before opened_at" in table.rejects[0].reason
        assert "must not be after first_response_at" in table.rejects[1].reason
        assert "needs transferred_to" in table.rejects[2].reason
        assert len(table) == 1

    def test_round_trips_through_records_and_pandas(self, shop):
        """The column survives to_records, from_records, to_pandas, from_pandas."""
        again = ConversationTable.from_records(
            shop.to_records().conversations, agents=ROSTER
        )
        assert again == shop
        frame = shop.to_pandas()
        assert "handed_over_at" in frame.columns
        back = ConversationTable.from_pandas(frame, agents=ROSTER)
        assert back.to_records().conversations == shop.to_records().conversations


class TestByHand:
    def test_human_response_is_timed_from_the_hand_over(self, shop):
        """a1: 100 s and 250 s; a2: 60 s (h3 unanswered, h5 time unknown)."""
        result = measure(shop, "handover_response_time", by="agent")
        assert result.get("handover_response_time", agent="a1").value == 175
        a2 = result.get("handover_response_time", agent="a2")
        assert (a2.value, a2.n) == (60, 1)

    def test_first_response_time_still_runs_from_the_opening(self, shop):
        """The conversation-level time is unchanged: 140 s and 260 s for a1's."""
        result = measure(shop, "first_response_time", by="agent")
        assert result.get("first_response_time", agent="a1").value == pytest.approx(
            (140 + 260 + 50) / 3
        )

    def test_within_three_minutes_and_inside_the_window(self, shop):
        """a2: h4 answered in 60 s but handed over at 23:01; h3 never answered."""
        plain = measure(shop, "handover_responded_within", by="agent")
        window = measure(
            shop,
            sqm.handover_responded_within(service_window=DOUYIN),
            by="agent",
        )
        a1 = plain.get("handover_responded_within", agent="a1")
        assert (a1.numerator, a1.denominator) == (1, 2)
        a2 = plain.get("handover_responded_within", agent="a2")
        assert (a2.numerator, a2.denominator) == (1, 2)
        a2_window = window.get("handover_responded_within", agent="a2")
        assert (a2_window.numerator, a2_window.denominator) == (0, 1)

    def test_on_a_business_clock(self, shop):
        """h4 handed at 23:01 and answered at 23:02: no open time passes."""
        result = measure(
            shop, sqm.handover_response_time(clock=DOUYIN), by="agent"
        ).get("handover_response_time", agent="a2")
        assert (result.value, result.n) == (0, 1)

    def test_the_bots_wait_is_measured_for_the_bot(self, shop):
        """bot: 40 s and 10 s; bot2: 5 s and 120 s; humans have none."""
        result = measure(shop, "bot_wait_time", by="agent")
        assert result.get("bot_wait_time", agent="bot").value == 25
        assert result.get("bot_wait_time", agent="bot2").value == 62.5
        assert [agent for (agent,) in result.keys] == ["bot", "bot2"]

    def test_hand_over_rate_by_bot_and_by_topic(self, shop):
        """bot: 3 of 4 handed over; bot2: 2 of 2; topic returns: 1 of 2."""
        by_bot = measure(shop, "transfer_rate", by="agent")
        assert by_bot.get("transfer_rate", agent="bot").value == 3 / 4
        assert by_bot.get("transfer_rate", agent="bot2").value == 1
        by_topic = measure(shop, "transfer_rate", by="topic")
        assert by_topic.get("transfer_rate", topic="returns").value == 1 / 2
        assert by_topic.get("transfer_rate", topic="sizing").value == 1

    def test_drill_down_lists_the_hand_overs(self, shop):
        """The conversations behind a1's late hand-over."""
        result = measure(shop, "handover_responded_within", by="agent")
        assert result.rows("handover_responded_within", agent="a1").ids == (
            "h1",
            "h2",
        )
        assert result.rows(
            "handover_responded_within", part="numerator", agent="a1"
        ).ids == ("h1",)


@pytest.fixture(scope="module")
def demo():
    return example_shop(6_000, seed=3)


def oracle_frame(table):
    """The demo shop as pandas, with the handler and bot ids spelled out."""
    frame = table.to_pandas()
    frame["handler"] = frame["transferred_to"].fillna(frame["agent_id"])
    return frame


class TestAgainstPandas:
    def test_hand_over_times_by_agent_and_month(self, demo):
        """Means and counts per human agent and month equal pandas groupby."""
        frame = oracle_frame(demo)
        month = Monthly(tz=SHOP_TIMEZONE)
        handed = frame.dropna(subset=["handed_over_at", "first_response_at"])
        seconds = (
            handed["first_response_at"] - handed["handed_over_at"]
        ).dt.total_seconds()
        expected = seconds.groupby(handed["handler"]).agg(["mean", "count"])
        result = measure(demo, "handover_response_time", by=["agent", month])
        assert len(expected) == 12
        for agent, row in expected.iterrows():
            got = result.get(
                "handover_response_time",
                agent=agent,
                period=month.period_of(datetime(2025, 11, 15, tzinfo=UTC)),
            )
            assert (got.n, got.value) == (row["count"], pytest.approx(row["mean"]))

    def test_bot_wait_and_hand_over_rate(self, demo):
        """The bot's wait and its hand-over rate per topic equal pandas."""
        frame = oracle_frame(demo)
        by_bot = frame[frame["agent_id"] == "bot"]
        waits = (by_bot["handed_over_at"] - by_bot["opened_at"]).dt.total_seconds()
        result = measure(demo, "bot_wait_time", by="agent").get(
            "bot_wait_time", agent="bot"
        )
        assert (result.n, result.value) == (
            waits.count(),
            pytest.approx(waits.mean()),
        )
        rates = by_bot["transferred_to"].notna().groupby(by_bot["topic"]).mean()
        measured = measure(demo, "transfer_rate", by="topic")
        for topic, rate in rates.items():
            assert measured.get("transfer_rate", topic=topic).value == pytest.approx(
                rate
            )

    def test_within_three_minutes_in_the_douyin_window(self, demo):
        """Counted per hand-over made between 08:00 and 23:00 shop time."""
        frame = oracle_frame(demo).dropna(subset=["handed_over_at"])
        local = frame["handed_over_at"].dt.tz_convert(SHOP_TIMEZONE)
        inside = frame[(local.dt.hour >= 8) & (local.dt.hour < 23)]
        wait = (
            inside["first_response_at"] - inside["handed_over_at"]
        ).dt.total_seconds()
        expected = (wait <= 180).groupby(inside["handler"]).agg(["sum", "count"])
        window = ServiceHours.daily("08:00-23:00", tz=SHOP_TIMEZONE)
        result = measure(
            demo, sqm.handover_responded_within(service_window=window), by="agent"
        )
        for agent, row in expected.iterrows():
            got = result.get("handover_responded_within", agent=agent)
            assert (got.numerator, got.denominator) == (row["sum"], row["count"])


class TestProperties:
    @settings(max_examples=25, deadline=None)
    @given(
        mask_seed=st.integers(0, 2**32 - 1),
        metric=st.sampled_from(
            [
                sqm.handover_response_time(),
                sqm.handover_response_time(statistic="p90"),
                sqm.handover_responded_within(),
                sqm.bot_wait_time(statistic="median"),
            ]
        ),
    )
    def test_merge_equals_the_concatenation(self, demo, mask_seed, metric):
        """Any split of the shop, measured apart and merged, equals the whole."""
        keep = np.random.default_rng(mask_seed).random(len(demo)) < 0.5
        left, right = demo.filter(keep), demo.filter(~keep)
        merged = measure(left, metric, by="agent").merge(
            measure(right, metric, by="agent")
        )
        whole = measure(left + right, metric, by="agent")
        assert merged.keys == whole.keys
        np.testing.assert_allclose(merged.state(metric.name), whole.state(metric.name))

    @settings(max_examples=10, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1))
    def test_demo_hand_overs_lie_between_opening_and_reply(self, seed):
        """Every demo hand-over: opened ≤ handed over ≤ first reply ≤ closed."""
        shop = example_shop(500, seed=seed)
        handed = shop["handed_over_at"]
        known = ~np.isnat(handed)
        assert np.array_equal(known, shop["transferred_to"] >= 0)
        assert (shop["opened_at"][known] <= handed[known]).all()
        for later in ("first_response_at", "closed_at"):
            column = shop[later][known]
            assert (np.isnat(column) | (handed[known] <= column)).all()


def test_the_demo_hands_over_every_transfer():
    """Every transferred demo conversation has its hand-over instant."""
    shop = example_shop(2_000)
    assert np.array_equal(
        shop["transferred_to"] >= 0, ~np.isnat(shop["handed_over_at"])
    )
    assert pd.Series(shop["handed_over_at"]).notna().sum() > 0
