"""Case derivation against a plain-Python oracle."""

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from servicequality import Channel, Conversation, ConversationTable, Difficulty
from servicequality._engine import _cases
from servicequality._engine._cases import (
    _boundaries,
    _in_time_order,
    _pack,
    derive_cases,
    radix_order,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def conversation(cid, customer, at, topic="sizing", case_id=None):
    return Conversation(
        id=cid,
        agent_id="a1",
        customer_id=customer,
        opened_at=at,
        channel=Channel.DM,
        topic=topic,
        difficulty=Difficulty.BASIC,
        resolved=True,
        escalated=False,
        case_id=case_id,
        rating_invited=False,
    )


def oracle(conversations, window):
    """Cases the slow, obvious way: group, sort, walk."""
    groups = {}
    for c in conversations:
        key = ("case", c.case_id) if c.case_id else ("chain", c.customer_id, c.topic)
        groups.setdefault(key, []).append(c)
    first, size = {}, {}
    for key, members in groups.items():
        members.sort(key=lambda c: (c.opened_at, c.id))
        chains = [[members[0]]]
        for previous, current in itertools.pairwise(members):
            if key[0] == "chain" and current.opened_at - previous.opened_at > window:
                chains.append([])
            chains[-1].append(current)
        for chain in chains:
            for position, c in enumerate(chain):
                first[c.id] = position == 0
                size[c.id] = len(chain)
    return first, size


TIMES = st.integers(0, 40).map(lambda h: T0 + timedelta(hours=h * 7))
WIDE_TIMES = st.integers(-3_000_000, 3_000_000).map(lambda d: T0 + timedelta(hours=d))


@st.composite
def histories(draw, times=TIMES):
    count = draw(st.integers(0, 25))
    return [
        conversation(
            f"c{i}",
            draw(st.sampled_from(["u1", "u2", "u3"])),
            draw(times),
            topic=draw(st.sampled_from(["sizing", "returns", None])),
            case_id=draw(st.none() | st.sampled_from(["k1", "k2"])),
        )
        for i in range(count)
    ]


class TestCases:
    @given(histories(), st.sampled_from([timedelta(days=1), timedelta(days=7)]))
    def test_equals_the_oracle(self, conversations, window):
        """Vectorised cases match the walk over sorted histories."""
        table = ConversationTable.from_records(conversations)
        cases = derive_cases(table, window)
        first, size = oracle(conversations, window)
        ids = [c.id for c in table.to_records().conversations]
        assert [first[i] for i in ids] == cases.first.tolist()
        assert [size[i] for i in ids] == cases.size.tolist()

    @given(
        histories(),
        st.sampled_from([timedelta(days=1), timedelta(days=7)]),
        st.integers(1, 5),
        st.booleans(),
    )
    def test_blocks_on_two_threads_equal_the_oracle(
        self, conversations, window, block, logged
    ):
        """Reads and writes in small blocks, on two threads, change no case."""
        if logged:
            conversations = sorted(conversations, key=lambda c: (c.opened_at, c.id))
        table = ConversationTable.from_records(conversations)
        saved = _cases._BLOCK, _cases._PARALLEL_ROWS
        _cases._BLOCK, _cases._PARALLEL_ROWS = block, 0
        try:
            cases = derive_cases(table, window)
        finally:
            _cases._BLOCK, _cases._PARALLEL_ROWS = saved
        first, size = oracle(conversations, window)
        ids = [c.id for c in table.to_records().conversations]
        assert [first[i] for i in ids] == cases.first.tolist()
        assert [size[i] for i in ids] == cases.size.tolist()

    @given(histories(), st.sampled_from([timedelta(days=1), timedelta(days=7)]))
    def test_rows_in_time_order_take_the_key_sort_and_equal_the_oracle(
        self, conversations, window
    ):
        """Logs in (time, id) order skip the time sort and give the same cases."""
        logged = sorted(conversations, key=lambda c: (c.opened_at, c.id))
        table = ConversationTable.from_records(logged)
        times = table["opened_at"].view(np.int64)
        assert _in_time_order(times, table["conversation_id"])
        cases = derive_cases(table, window)
        first, size = oracle(logged, window)
        ids = [c.id for c in table.to_records().conversations]
        assert [first[i] for i in ids] == cases.first.tolist()
        assert [size[i] for i in ids] == cases.size.tolist()

    @given(st.lists(st.integers(0, 2**40), max_size=60), st.integers(40, 48))
    def test_radix_order_is_a_stable_sort(self, values, bits):
        """The radix order equals numpy's stable argsort, ties in input order."""
        array = np.array(values, dtype=np.int64)
        assert radix_order(array, bits).tolist() == (
            np.argsort(array, kind="stable").tolist()
        )

    @given(histories(WIDE_TIMES))
    def test_wide_time_spans_fall_back_to_lexsort(self, conversations):
        """Spans too wide to pack still give the oracle's answer."""
        table = ConversationTable.from_records(conversations)
        cases = derive_cases(table, timedelta(days=7))
        first, _ = oracle(conversations, timedelta(days=7))
        assert [
            first[c.id] for c in table.to_records().conversations
        ] == cases.first.tolist()

    def test_same_instant_ties_go_to_the_smaller_id(self):
        """Two conversations opened at once: the smaller id is first, in any order."""
        a, b = conversation("c2", "u1", T0), conversation("c1", "u1", T0)
        for order in ([a, b], [b, a]):
            table = ConversationTable.from_records(order)
            cases = derive_cases(table, timedelta(days=7))
            firsts = {
                c.id
                for c, f in zip(
                    table.to_records().conversations, cases.first, strict=True
                )
                if f
            }
            assert firsts == {"c1"}

    def test_case_id_ignores_the_window(self):
        """A case id keeps a month-later follow-up in the same case."""
        table = ConversationTable.from_records(
            [
                conversation("c1", "u1", T0, case_id="k1"),
                conversation("c2", "u1", T0 + timedelta(days=30), case_id="k1"),
            ]
        )
        assert derive_cases(table, timedelta(days=7)).first.tolist() == [True, False]


class TestTies:
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["u1", "u2"]),
                st.sampled_from(["sizing", "returns"]),
                st.integers(0, 3),
            ),
            max_size=30,
        )
    )
    def test_many_ties_in_adjacent_keys(self, draws):
        """Runs of equal instants next to each other still order by key, time, id."""
        conversations = [
            conversation(
                f"c{i:02d}", customer, T0 + timedelta(minutes=minute), topic=topic
            )
            for i, (customer, topic, minute) in enumerate(draws)
        ]
        table = ConversationTable.from_records(conversations)
        cases = derive_cases(table, timedelta(minutes=1))
        first, size = oracle(conversations, timedelta(minutes=1))
        ids = [c.id for c in table.to_records().conversations]
        assert [first[i] for i in ids] == cases.first.tolist()
        assert [size[i] for i in ids] == cases.size.tolist()


class TestCoarsePacking:
    @given(
        st.lists(
            st.tuples(
                st.sampled_from([0, 1, 2**21]),
                st.integers(-3, 3).map(
                    lambda micros: 2**44 + 7 * 86_400_000_000 + micros
                ),
                st.booleans(),
            ),
            min_size=1,
            max_size=20,
        )
    )
    def test_gaps_a_hair_from_the_window_are_exact(self, rows):
        """Packed at a coarse unit, gaps near the window stay exact."""
        keys = np.array([k for k, _, _ in rows] + [2**21], dtype=np.int64)
        times = np.array(
            [t if late else t - 7 * 86_400_000_000 for _, t, late in rows] + [0],
            dtype=np.int64,
        )
        ids = np.arange(len(keys))
        limit = 7 * 86_400_000_000
        assert _pack(keys, times)[2] > 1
        order, new = _boundaries(keys, times, ids, 0, limit)
        expected = np.lexsort((ids, times, keys))
        assert order.tolist() == expected.tolist()
        k, t = keys[expected], times[expected]
        starts = [True] + [
            bool(k[i] != k[i - 1] or t[i] - t[i - 1] > limit) for i in range(1, len(k))
        ]
        assert starts == new.tolist()

    @given(
        st.lists(
            st.tuples(st.sampled_from([0, 2**45, 2**51]), st.integers(0, 2**52)),
            min_size=1,
            max_size=20,
        )
    )
    def test_keys_and_spans_too_wide_to_pack_use_lexsort(self, rows):
        """Wide keys pack with coarse times, wider ones fall back to lexsort: exact."""
        keys = np.array([k for k, _ in rows], dtype=np.int64)
        times = np.array([t for _, t in rows], dtype=np.int64)
        ids = np.arange(len(keys))
        limit = 10**9
        order, new = _boundaries(keys, times, ids, 0, limit)
        expected = np.lexsort((ids, times, keys))
        assert order.tolist() == expected.tolist()
        k, t = keys[expected], times[expected]
        starts = [True] + [
            bool(k[i] != k[i - 1] or t[i] - t[i - 1] > limit) for i in range(1, len(k))
        ]
        assert starts == new.tolist()

    def test_pack_gives_up_when_keys_leave_no_room_for_time(self):
        """Keys of 52 bits leave fewer than 12 bits for time: no packing."""
        keys = np.array([0, 2**51], dtype=np.int64)
        times = np.array([0, 2**52], dtype=np.int64)
        assert _pack(keys, times) is None
