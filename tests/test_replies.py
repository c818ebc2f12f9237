"""Message events and the per-reply metrics: by hand, against pandas, properties."""

import math
import pickle
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicequality import (
    Accumulator,
    Agent,
    Channel,
    Conversation,
    ConversationTable,
    Difficulty,
    Message,
    MessageTable,
    Role,
    Sender,
    ServiceHours,
    SLAPolicy,
    UnknownKeyError,
    ValidationError,
    WrongTypeError,
    measure,
)
from servicequality import metrics as sqm
from servicequality._messages import message_rows
from servicequality.demo import SHOP_TIMEZONE, example_shop

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)
S = timedelta(seconds=1)
CUSTOMER, AGENT, BOT = Sender.CUSTOMER, Sender.AGENT, Sender.BOT
ROSTER = (
    Agent(id="a1", role=Role.AGENT),
    Agent(id="a2", role=Role.AGENT),
    Agent(id="bot", role=Role.BOT),
)
DOUYIN = ServiceHours.daily("08:00-23:00", tz=SHANGHAI)


def talk(cid, agent, *, at=T0, reply=None, close=None, **extra):
    return Conversation(
        id=cid,
        agent_id=agent,
        customer_id=f"u{cid}",
        opened_at=at,
        first_response_at=None if reply is None else at + reply * S,
        closed_at=None if close is None else at + close * S,
        channel=Channel.CHAT,
        topic="sizing",
        difficulty=Difficulty.BASIC,
        resolved=True,
        escalated=False,
        rating_invited=False,
        **extra,
    )


def said(cid, who, at, by=None, *, start=T0):
    return Message(
        conversation_id=cid, sender=who, sent_at=start + at * S, sender_id=by
    )


LATE = T0.replace(hour=22, minute=58)
CONVERSATIONS = [
    talk("m1", "a1", reply=60, close=1000),
    talk("m2", "a1", reply=30, close=2000),
    talk("m3", "bot", transferred_to="a2", handed_over_at=T0 + 10 * S, reply=70),
    talk("m4", "a2", at=LATE, reply=200, close=900),
    talk("m5", "bot", reply=3, close=10),
]
MESSAGES = [
    # m1: 60 s; then two customer messages, one reply 300 s after the first
    said("m1", CUSTOMER, 0),
    said("m1", AGENT, 60, "a1"),
    said("m1", CUSTOMER, 100),
    said("m1", CUSTOMER, 200),
    said("m1", AGENT, 400, "a1"),
    # a second agent message answers nobody
    said("m1", AGENT, 420, "a1"),
    # m2: 30 s; the last customer message waits until closing (2000 - 1000)
    said("m2", CUSTOMER, 0),
    said("m2", AGENT, 30, "a1"),
    said("m2", CUSTOMER, 1000),
    # m3 (open): the bot answers in 4 s; the human 60 s after the hand-over
    # request; the last customer message is pending
    said("m3", CUSTOMER, 0),
    said("m3", BOT, 4, "bot"),
    said("m3", CUSTOMER, 10),
    said("m3", AGENT, 70, "a2"),
    said("m3", CUSTOMER, 100),
    # m4 opens at 22:58: 200 s, the wait starts inside 08:00-23:00
    said("m4", CUSTOMER, 0, start=LATE),
    said("m4", AGENT, 200, "a2", start=LATE),
    # m4: a wait from 23:05 to 23:06, outside the window
    said("m4", CUSTOMER, 420, start=LATE),
    said("m4", AGENT, 480, "a2", start=LATE),
    # m5: the bot alone, 3 s
    said("m5", CUSTOMER, 0),
    said("m5", BOT, 3, "bot"),
]


@pytest.fixture(scope="module")
def shop():
    table = ConversationTable.from_records(CONVERSATIONS, agents=ROSTER)
    return table.with_messages(MessageTable.from_records(MESSAGES))


class TestMessageTable:
    def test_records_arrays_and_pandas_build_equal_tables(self):
        """The three constructors agree; the table is sorted by conversation, time."""
        from_records = MessageTable.from_records(MESSAGES)
        from_dicts = MessageTable.from_records([m.to_dict() for m in MESSAGES])
        from_pandas = MessageTable.from_pandas(from_records.to_pandas())
        ids = sorted({m.conversation_id for m in MESSAGES})
        senders = ["a1", "a2", "bot"]
        from_arrays = MessageTable.from_arrays(
            conversation_id=[ids.index(m.conversation_id) for m in MESSAGES],
            conversation_ids=ids,
            sender=[m.sender.value for m in MESSAGES],
            sender_id=[
                -1 if m.sender_id is None else senders.index(m.sender_id)
                for m in MESSAGES
            ],
            sender_ids=senders,
            sent_at=np.array(
                [m.sent_at.astimezone(UTC).replace(tzinfo=None) for m in MESSAGES],
                dtype="datetime64[us]",
            ),
        )
        assert from_records == from_dicts == from_pandas == from_arrays
        assert len(from_records) == len(MESSAGES)
        assert list(from_records.ids("conversation_id")[:3]) == ["m1"] * 3

    @settings(max_examples=30, deadline=None)
    @given(st.permutations(MESSAGES))
    def test_input_order_does_not_matter(self, shuffled):
        """Any order of the same messages gives an equal table."""
        assert MessageTable.from_records(shuffled) == MessageTable.from_records(
            MESSAGES
        )

    @pytest.mark.parametrize(
        ("change", "field", "rule"),
        [
            ({"sender": "robot"}, "sender", "must be one of"),
            ({"sent_at": datetime(2026, 1, 1)}, "sent_at", "timezone-aware"),
            ({"conversation_id": " "}, "conversation_id", "blank"),
        ],
    )
    def test_bad_records_name_field_value_and_position(self, change, field, rule):
        """The first bad message raises with its field, rule and index."""
        bad = {**MESSAGES[0].to_dict(), **change}
        with pytest.raises(ValidationError, match=rule) as caught:
            MessageTable.from_records([MESSAGES[1], bad])
        assert (caught.value.field, caught.value.index) == (field, 1)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"conversation_id": [0, 5]}, "conversation_id"),
            ({"sender": [0, 7]}, "sender"),
            ({"sender": ["customer", "robot"]}, "sender"),
            ({"sender_id": [0, 3]}, "sender_id"),
            (
                {"sent_at": np.array(["2026-01-01", "NaT"], dtype="datetime64[us]")},
                "sent_at",
            ),
        ],
    )
    def test_bad_columns_name_the_row(self, change, field):
        """Column checks name the field and the first bad row."""
        columns = {
            "conversation_id": [0, 0],
            "conversation_ids": ["c"],
            "sender": [0, 1],
            "sender_id": [-1, 0],
            "sender_ids": ["a1"],
            "sent_at": np.array(["2026-01-01", "2026-01-02"], dtype="datetime64[us]"),
        }
        with pytest.raises(ValidationError) as caught:
            MessageTable.from_arrays(**{**columns, **change})
        assert (caught.value.field, caught.value.index) == (field, 1)

    def test_wrong_types_are_type_errors(self):
        with pytest.raises(WrongTypeError):
            MessageTable.from_arrays(
                conversation_id=[0],
                conversation_ids=["c"],
                sender=[0],
                sent_at=["2026-01-01"],
            )
        with pytest.raises(WrongTypeError):
            ConversationTable.from_records([talk("x", "a1")]).with_messages("m")

    def test_attached_messages_must_fit_their_conversations(self):
        """Unknown conversation, before opening, after closing: refused."""
        table = ConversationTable.from_records([talk("x", "a1", close=60)])
        for messages, error, rule in [
            ([said("y", CUSTOMER, 0)], UnknownKeyError, "not a conversation"),
            ([said("x", CUSTOMER, -1)], ValidationError, "before"),
            ([said("x", CUSTOMER, 61)], ValidationError, "after"),
        ]:
            with pytest.raises(error, match=rule):
                table.with_messages(MessageTable.from_records(messages))

    @settings(max_examples=20, deadline=None)
    @given(st.permutations(range(6)), st.integers(1, 6))
    def test_each_message_finds_its_conversation_row(self, order, kept):
        """Rows found through equal or different id lists name the right rows."""
        conversations = [talk(f"c{i}", "a1", close=600) for i in order]
        table = ConversationTable.from_records(conversations)
        every = [said(f"c{i}", CUSTOMER, 5 + i) for i in range(6)]
        for messages in (every, every[:kept]):
            attached = table.with_messages(MessageTable.from_records(messages))
            rows = message_rows(attached)
            ids = attached.vocabulary("conversation_id")[attached["conversation_id"]]
            said_in = attached.messages.vocabulary("conversation_id")[
                attached.messages["conversation_id"]
            ]
            assert ids[rows].tolist() == said_in.tolist()

    def test_messages_travel_with_filter_concat_and_pickle(self, shop):
        """filter keeps the messages of kept rows; + joins; pickling keeps them."""
        first = shop.filter(shop["agent_id"] == 0)
        rest = shop.filter(shop["agent_id"] != 0)
        assert set(first.messages.ids("conversation_id")) == {"m1", "m2"}
        assert len(first.messages) + len(rest.messages) == len(MESSAGES)
        assert (first + rest).messages == shop.messages
        assert pickle.loads(pickle.dumps(shop)) == shop
        assert shop != ConversationTable.from_records(CONVERSATIONS, agents=ROSTER)


class TestWaitsByHand:
    def test_reply_time(self, shop):
        """Human replies: m1 60, 300; m2 30; m3 60 (after the hand-over
        request); m4 200, 60. The bot's 4 s and 3 s are not human replies."""
        result = measure(shop, "reply_time", by="agent")
        a1 = result.get("reply_time", agent="a1")
        a2 = result.get("reply_time", agent="a2")
        assert (a1.value, a1.n) == ((60 + 300 + 30) / 3, 3)
        assert (a2.value, a2.n) == ((60 + 200 + 60) / 3, 3)
        with_bots = measure(shop, sqm.reply_time(include_bots=True), by="agent")
        assert with_bots.get("reply_time", agent="bot").value == 3

    def test_median_and_p90_within_the_stated_error(self, shop):
        """Order statistics ceil(q·n) of 30, 60, 60, 60, 200, 300."""
        error = sqm.QUANTILE_RELATIVE_ERROR
        median = measure(shop, sqm.reply_time(statistic="median")).get("reply_time")
        p90 = measure(shop, sqm.reply_time(statistic="p90")).get("reply_time")
        assert median.value == pytest.approx(60, rel=error)
        assert p90.value == pytest.approx(300, rel=error)

    def test_replied_within_counts_unanswered_waits_as_misses(self, shop):
        """a1: 60, 30 in time; 300 and m2's unanswered wait missed. a2: 60 and 60
        in time, 200 missed (the pending wait of m3 is not counted)."""
        result = measure(shop, "replied_within", by="agent")
        a1 = result.get("replied_within", agent="a1")
        a2 = result.get("replied_within", agent="a2")
        assert (a1.numerator, a1.denominator) == (2, 4)
        assert (a2.numerator, a2.denominator) == (2, 3)

    def test_service_window_counts_waits_that_start_inside(self, shop):
        """m4's second wait starts at 23:05: outside 08:00-23:00; m3's 60 s in
        time, m4's 200 s missed."""
        result = measure(
            shop, sqm.replied_within(service_window=DOUYIN), by="agent"
        ).get("replied_within", agent="a2")
        assert (result.numerator, result.denominator) == (1, 2)

    def test_business_clock(self, shop):
        """m4's first wait runs 22:58-23:01:20: 120 s of open time."""
        result = measure(
            shop, sqm.replied_within(timedelta(minutes=2), clock=DOUYIN), by="agent"
        ).get("replied_within", agent="a2")
        assert (result.numerator, result.denominator) == (3, 3)
        timed = measure(shop, sqm.reply_time(clock=DOUYIN), by="agent")
        assert timed.get("reply_time", agent="a2").value == (60 + 120 + 0) / 3

    def test_next_reply_sla(self, shop):
        """A 90 s next-reply target: a1 meets 60 and 30 of four waits."""
        sla = SLAPolicy(name="chat", next_reply=timedelta(seconds=90))
        (metric,) = sla.metrics()
        assert metric.name == "sla_chat_next_reply"
        assert SLAPolicy.from_dict(sla.to_dict()) == sla
        assert sla.to_dict() == {"name": "chat", "next_reply_seconds": 90.0}
        result = measure(shop, metric, by="agent").get(
            "sla_chat_next_reply", agent="a1"
        )
        assert (result.numerator, result.denominator) == (2, 4)

    def test_longest_customer_wait(self, shop):
        """a1: m2's unanswered wait of 1000 s; a2: 200 s."""
        result = measure(shop, "longest_customer_wait", by="agent")
        error = sqm.QUANTILE_RELATIVE_ERROR
        assert result.get("longest_customer_wait", agent="a1").value == pytest.approx(
            1000, rel=error
        )
        assert result.get("longest_customer_wait", agent="a2").value == pytest.approx(
            200, rel=error
        )

    def test_drill_down_to_the_messages(self, shop):
        """The conversations behind a1's misses, and their messages."""
        result = measure(shop, "replied_within", by="agent")
        cell = result.rows("replied_within", agent="a1")
        assert cell.ids == ("m1", "m2")
        assert len(cell.table.messages) == 9
        hits = result.rows("replied_within", part="numerator", agent="a1")
        assert hits.ids == ("m1", "m2")

    def test_no_messages_means_no_replies(self):
        """Without messages every reply metric rests on n = 0 (undefined)."""
        table = ConversationTable.from_records(CONVERSATIONS, agents=ROSTER)
        result = measure(table, ["reply_time", "replied_within"]).get("reply_time")
        assert (result.n, math.isnan(result.value), result.insufficient) == (
            0,
            True,
            True,
        )

    def test_options_are_checked(self):
        with pytest.raises(ValidationError, match="statistic"):
            sqm.reply_time(statistic="p99")
        with pytest.raises(ValidationError, match="positive timedelta"):
            sqm.replied_within(timedelta(0))
        with pytest.raises(ValidationError, match="ServiceHours"):
            sqm.reply_time(clock="08:00-23:00")
        with pytest.raises(ValidationError, match="limit"):
            sqm.ReplyMetric(name="x", statistic="mean", limit=timedelta(1))
        with pytest.raises(ValidationError, match="limit"):
            sqm.ReplyMetric(name="x", statistic="share")
        with pytest.raises(ValidationError, match="interval"):
            sqm.ReplyMetric(name="x", statistic="mean", interval="wilson")
        shares = sqm.ReplyMetric(name="x", statistic="share", limit=timedelta(1))
        assert shares.interval == "wilson"


def oracle_waits(table):
    """Every customer wait, by a plain state machine over each conversation."""
    conversations = table.to_pandas().set_index("conversation_id")
    messages = table.messages.to_pandas().sort_values(
        ["conversation_id", "sent_at"], kind="stable"
    )
    rows = []
    for cid, dialogue in messages.groupby("conversation_id", sort=False):
        waiting_since = None
        for sender, sent in zip(dialogue["sender"], dialogue["sent_at"], strict=True):
            if sender == "customer":
                waiting_since = waiting_since or sent
            elif waiting_since is not None:
                rows.append((cid, waiting_since, sent, sender))
                waiting_since = None
        closed = conversations.loc[cid, "closed_at"]
        if waiting_since is not None and not pd.isna(closed):
            rows.append((cid, waiting_since, closed, "none"))
    waits = pd.DataFrame(rows, columns=["conversation_id", "start", "end", "replier"])
    waits["seconds"] = [(end - start).total_seconds() for _, start, end, _ in rows]
    owners = conversations["transferred_to"].fillna(conversations["agent_id"])
    waits["agent"] = owners.loc[waits["conversation_id"]].to_numpy()
    return waits


def order_statistic(values, q):
    ordered = np.sort(np.asarray(values))
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1]


@pytest.fixture(scope="module")
def demo():
    return example_shop(4_000, seed=11, messages=True)


class TestAgainstPandas:
    def test_every_reply_metric_by_agent(self, demo):
        """Means, shares and counts equal pandas; quantiles and maxima are within
        the stated relative error of the exact order statistic."""
        waits = oracle_waits(demo)
        humans = waits[waits["agent"] != "bot"]
        replies = humans[humans["replier"] == "agent"]
        counted = humans[humans["replier"].isin(["agent", "none"])]
        result = measure(
            demo,
            [
                "reply_time",
                "replied_within",
                "longest_customer_wait",
                sqm.ReplyMetric(name="reply_p90", statistic="p90"),
            ],
            by="agent",
        )
        error = sqm.QUANTILE_RELATIVE_ERROR
        assert len(replies["agent"].unique()) == 13
        for agent, group in replies.groupby("agent"):
            mean = result.get("reply_time", agent=agent)
            assert (mean.n, mean.value) == (
                len(group),
                pytest.approx(group["seconds"].mean()),
            )
            p90 = result.get("reply_p90", agent=agent).value
            assert p90 == pytest.approx(
                order_statistic(group["seconds"], 0.9), rel=error
            )
        for agent, group in counted.groupby("agent"):
            within = result.get("replied_within", agent=agent)
            hits = ((group["replier"] == "agent") & (group["seconds"] <= 180)).sum()
            assert (within.numerator, within.denominator) == (hits, len(group))
            longest = result.get("longest_customer_wait", agent=agent).value
            assert longest == pytest.approx(group["seconds"].max(), rel=error)

    def test_bots_and_the_service_window(self, demo):
        """With bots and only waits that start 08:00-23:00 shop time."""
        waits = oracle_waits(demo)
        local_hour = waits["start"].dt.tz_convert(SHOP_TIMEZONE).dt.hour
        inside = waits[(local_hour >= 8) & (local_hour < 23)]
        window = ServiceHours.daily("08:00-23:00", tz=SHOP_TIMEZONE)
        result = measure(
            demo,
            sqm.replied_within(
                timedelta(seconds=60), include_bots=True, service_window=window
            ),
            by="agent",
        )
        for agent, group in inside.groupby("agent"):
            got = result.get("replied_within", agent=agent)
            hits = ((group["replier"] != "none") & (group["seconds"] <= 60)).sum()
            assert (got.numerator, got.denominator) == (hits, len(group))


class TestProperties:
    @settings(max_examples=20, deadline=None)
    @given(
        mask_seed=st.integers(0, 2**32 - 1),
        metric=st.sampled_from(
            [
                sqm.reply_time(),
                sqm.reply_time(statistic="median"),
                sqm.replied_within(include_bots=True),
                sqm.longest_customer_wait(),
            ]
        ),
    )
    def test_merge_equals_the_concatenation(self, demo, mask_seed, metric):
        """Any split by conversation, measured apart and merged, equals the whole."""
        keep = np.random.default_rng(mask_seed).random(len(demo)) < 0.5
        left, right = demo.filter(keep), demo.filter(~keep)
        merged = measure(left, metric, by="agent").merge(
            measure(right, metric, by="agent")
        )
        whole = measure(demo, metric, by="agent")
        assert merged.keys == whole.keys
        np.testing.assert_allclose(merged.state(metric.name), whole.state(metric.name))

    def test_streaming_by_conversation_equals_the_whole(self, demo):
        """An Accumulator fed tables that carry their messages equals measure."""
        metrics = ["reply_time", "replied_within", "longest_customer_wait"]
        stream = Accumulator(metrics, by="agent")
        for part in np.array_split(np.arange(len(demo)), 3):
            keep = np.zeros(len(demo), dtype=bool)
            keep[part] = True
            stream.update(demo.filter(keep))
        whole = measure(demo, metrics, by="agent")
        for name in metrics:
            np.testing.assert_allclose(stream.result().state(name), whole.state(name))

    @settings(max_examples=10, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1))
    def test_demo_dialogues_fit_their_conversations(self, seed):
        """Generated messages attach (no error) and the first staff message
        after the opening is the conversation's first response."""
        shop = example_shop(300, seed=seed, messages=True)
        frame = shop.messages.to_pandas()
        staff = frame[frame["sender"] != "customer"]
        first = staff.groupby("conversation_id")["sent_at"].min()
        conversations = shop.to_pandas().set_index("conversation_id")
        expected = conversations.loc[first.index, "first_response_at"]
        handed = conversations.loc[first.index, "handed_over_at"].notna()
        assert (first[~handed.to_numpy()] == expected[~handed.to_numpy()]).all()

    def test_messages_do_not_change_the_other_columns(self):
        """The demo with and without messages has the same conversations."""
        plain = example_shop(1_000, seed=5)
        talked = example_shop(1_000, seed=5, messages=True)
        assert talked.messages is not None
        for column in plain.column_names:
            assert np.array_equal(
                plain[column], talked[column], equal_nan=plain[column].dtype.kind == "M"
            ), column


@st.composite
def dialogues(draw):
    """A few conversations of two agents and a bot, each with a random dialogue.

    Senders and gaps (0 to 900 s) are drawn per message; conversations are
    closed after their last message or left open.
    """
    conversations, messages = [], []
    for number in range(draw(st.integers(1, 6))):
        cid = f"d{number}"
        agent = draw(st.sampled_from(["a1", "a2", "bot"]))
        handed = agent == "bot" and draw(st.booleans())
        senders = draw(
            st.lists(st.sampled_from([CUSTOMER, AGENT, BOT]), min_size=1, max_size=8)
        )
        gaps = draw(
            st.lists(st.integers(0, 900), min_size=len(senders), max_size=len(senders))
        )
        at = np.cumsum(gaps).tolist()
        close = draw(st.one_of(st.none(), st.integers(0, 900)))
        conversations.append(
            talk(
                cid,
                agent,
                transferred_to="a2" if handed else None,
                close=None if close is None else at[-1] + close,
            )
        )
        messages += [
            said(cid, who, when, None if who is CUSTOMER else "x")
            for who, when in zip(senders, at, strict=True)
        ]
    table = ConversationTable.from_records(conversations, agents=ROSTER)
    return table.with_messages(MessageTable.from_records(messages))


class TestDialogueProperties:
    @settings(max_examples=60, deadline=None)
    @given(dialogues(), st.sampled_from([None, timedelta(minutes=3)]))
    def test_any_dialogue_matches_the_state_machine(self, table, limit):
        """Counts, sums and shares per agent equal the plain state machine."""
        waits = oracle_waits(table)
        humans = waits[waits["agent"] != "bot"]
        replies = humans[humans["replier"] == "agent"]
        counted = humans[humans["replier"].isin(["agent", "none"])]
        result = measure(
            table,
            ["reply_time", sqm.replied_within(limit or timedelta(seconds=60))],
            by="agent",
        )
        seconds = (limit or timedelta(seconds=60)).total_seconds()
        for agent in ("a1", "a2"):
            mine = replies[replies["agent"] == agent]["seconds"]
            mine_counted = counted[counted["agent"] == agent]
            if agent not in {a for (a,) in result.keys}:
                assert mine.empty
                assert mine_counted.empty
                continue
            got = result.get("reply_time", agent=agent)
            assert (got.n, got.numerator) == (len(mine), pytest.approx(mine.sum()))
            share = result.get("replied_within", agent=agent)
            hits = (
                (mine_counted["replier"] == "agent")
                & (mine_counted["seconds"] <= seconds)
            ).sum()
            assert (share.numerator, share.denominator) == (hits, len(mine_counted))

    @settings(max_examples=60, deadline=None)
    @given(dialogues(), st.sampled_from(["median", "p90"]))
    def test_quantiles_stay_within_the_stated_error(self, table, statistic):
        """The histogram quantile is within 2 % (or 0.05 s) of the exact one."""
        waits = oracle_waits(table)
        replies = waits[(waits["agent"] != "bot") & (waits["replier"] == "agent")]
        got = measure(table, sqm.reply_time(statistic=statistic)).get("reply_time")
        if replies.empty:
            assert got.n == 0
            return
        exact = order_statistic(
            replies["seconds"], 0.5 if statistic == "median" else 0.9
        )
        if exact < 0.1:
            assert got.value <= 0.1
        else:
            assert got.value == pytest.approx(exact, rel=sqm.QUANTILE_RELATIVE_ERROR)

    @settings(max_examples=40, deadline=None)
    @given(dialogues(), st.randoms(use_true_random=False))
    def test_order_of_conversations_and_messages_does_not_matter(self, table, rnd):
        """Rows and messages in another order give the same states."""
        records = list(table.to_records().conversations)
        rnd.shuffle(records)
        messages = [
            Message(
                conversation_id=c,
                sender=Sender(s),
                sent_at=t.to_pydatetime(),
                sender_id=None if i is pd.NA else i,
            )
            for c, s, i, t in table.messages.to_pandas().itertuples(index=False)
        ]
        rnd.shuffle(messages)
        again = ConversationTable.from_records(records, agents=ROSTER).with_messages(
            MessageTable.from_records(messages)
        )
        metrics = ["reply_time", "replied_within", "longest_customer_wait"]
        first = measure(table, metrics, by="agent")
        second = measure(again, metrics, by="agent")
        assert first.keys == second.keys
        for name in metrics:
            np.testing.assert_allclose(first.state(name), second.state(name))
