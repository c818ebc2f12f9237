"""Arrow input read in place, and frames read on several threads."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicequality import (
    ConversationTable,
    RatingScale,
    Sentiment,
    ValidationError,
    WrongTypeError,
)
from servicequality._arrow import arrow_strings
from servicequality._frames import _PARALLEL_ROWS
from servicequality.demo import example_shop

THREE = RatingScale.THREE_LEVEL
STRING = np.dtypes.StringDType()
TEXT = st.text(
    alphabet=st.sampled_from(["a", "b", "Z", "7", " ", "-", "é", "中", "文", "\x00"]),
    max_size=6,
)


def expected_strings(array):
    return np.array(array.to_pylist(), dtype=STRING)


class TestArrowStrings:
    @settings(max_examples=200, deadline=None)
    @given(
        values=st.lists(TEXT, max_size=30),
        large=st.booleans(),
        start=st.integers(0, 5),
    )
    def test_the_same_strings_as_through_python(self, values, large, start):
        """Any text, both offset widths, sliced arrays: the values Python reads."""
        array = pa.array(values, type=pa.large_string() if large else pa.string())
        array = array.slice(min(start, len(array)))
        got = arrow_strings(array)
        assert got.dtype == STRING
        assert got.tolist() == expected_strings(array).tolist()

    @pytest.mark.parametrize(
        "values",
        [
            ["c0001", "c0002", "c0003"],
            ["a", "bb", "", "ccc"],
            ["客服一", "b", "客服"],
            ["x" * 100_000, *("y" for _ in range(20))],
            ["", ""],
            [],
        ],
        ids=["same-length", "uneven", "non-ascii", "too-uneven", "empty", "none"],
    )
    def test_each_way_of_reading(self, values):
        """In place, one block, or through Python for lengths too uneven."""
        array = pa.array(values, type=pa.string())
        assert arrow_strings(array).tolist() == values


def decoded(table):
    """``table`` with every dictionary column as plain strings."""
    return pa.table(
        {
            name: column.cast(column.type.value_type)
            if pa.types.is_dictionary(column.type)
            else column
            for name, column in zip(table.column_names, table.columns, strict=True)
        }
    )


@pytest.fixture(scope="module")
def shop():
    return example_shop(600, seed=9)


@pytest.fixture(scope="module")
def arrow(shop):
    return pa.Table.from_pandas(shop.to_pandas(), preserve_index=False)


class TestArrowColumns:
    def test_dictionaries_plain_strings_and_views_give_one_table(self, shop, arrow):
        """Ids and enums as dictionaries, plain strings or string views: one table."""
        plain = decoded(arrow)
        encoded = pa.table(
            {
                name: column.dictionary_encode()
                if pa.types.is_string(column.type)
                else column
                for name, column in zip(plain.column_names, plain.columns, strict=True)
            }
        )
        views = pa.table(
            {
                name: column.cast(pa.string_view())
                if pa.types.is_string(column.type)
                else column
                for name, column in zip(plain.column_names, plain.columns, strict=True)
            }
        )
        tables = [
            ConversationTable.from_arrow(t, rating_scale=THREE, agents=shop.agents)
            for t in (plain, encoded, views)
        ]
        assert tables[0] == tables[1] == tables[2]
        assert tables[0].to_records().conversations == shop.to_records().conversations

    def test_dictionaries_that_repeat_differ_by_chunk_or_hold_unused_ids(self):
        """Repeated and unused dictionary entries, a different dictionary per chunk."""
        first = pa.DictionaryArray.from_arrays(
            pa.array([0, 1, 2, None], pa.int32()), pa.array(["amy", "bo", "amy", "zed"])
        )
        second = pa.DictionaryArray.from_arrays(
            pa.array([1, 0], pa.int32()), pa.array(["cy", "bo"])
        )
        opened = pd.date_range("2025-11-03 09:00", periods=6, freq="h", tz="UTC")
        table = pa.table(
            {
                "conversation_id": pa.array([f"c{i}" for i in range(6)]),
                "agent_id": pa.chunked_array([first, second]),
                "opened_at": pa.array(opened),
                "resolved": pa.array([True] * 6),
            }
        )
        with pytest.raises(ValidationError, match="must not be missing") as caught:
            ConversationTable.from_arrow(table)
        assert caught.value.field == "agent_id"
        built = ConversationTable.from_arrow(table, errors="collect")
        agents = built.vocabulary("agent_id")
        assert [agents[c] for c in built["agent_id"].tolist()] == [
            "amy",
            "bo",
            "amy",
            "bo",
            "cy",
        ]
        assert [r.index for r in built.rejects] == [3]
        assert len(set(agents.tolist())) == len(agents)

    def test_text_times_in_a_dictionary_are_decoded(self):
        """A dictionary column of time strings is read as the strings it holds."""
        table = pa.table(
            {
                "conversation_id": ["a", "b"],
                "agent_id": ["amy", "bo"],
                "opened_at": pa.array(
                    ["2025-11-03T09:00+08:00", "2025-11-03T10:00+08:00"]
                ).dictionary_encode(),
                "resolved": [True, False],
            }
        )
        built = ConversationTable.from_arrow(table)
        assert built["opened_at"].tolist() == [
            np.datetime64("2025-11-03T01:00", "us").item(),
            np.datetime64("2025-11-03T02:00", "us").item(),
        ]


def big_frame(rows=70_000):
    """A frame over the threshold from which columns are read on threads.

    A few cells in several columns are unreadable, so rejects come from more
    than one column.
    """
    opened = pd.Timestamp("2025-11-03", tz="UTC") + pd.to_timedelta(
        np.arange(rows), unit="s"
    )
    channel = np.array(["chat", "dm", "phone"], dtype=object)[np.arange(rows) % 3]
    channel[[5, 70]] = "fax"
    resolved = np.array(["yes", "no"], dtype=object)[np.arange(rows) % 2]
    resolved[[5, 9, 300]] = "maybe"
    return pd.DataFrame(
        {
            "conversation_id": pd.array([f"c{i:06d}" for i in range(rows)], "str"),
            "agent_id": pd.array([f"a{i % 97:03d}" for i in range(rows)], "str"),
            "opened_at": opened,
            "channel": channel,
            "resolved": resolved,
        }
    )


class TestThreads:
    @pytest.mark.parametrize("threads", [2, 3])
    def test_the_same_table_and_rejects_on_any_number_of_threads(self, threads):
        frame = big_frame()
        assert len(frame) >= _PARALLEL_ROWS  # the threads are used
        words = {"true_values": ["yes"], "false_values": ["no"]}
        one = ConversationTable.from_frame(frame, errors="collect", threads=1, **words)
        more = ConversationTable.from_frame(
            frame, errors="collect", threads=threads, **words
        )
        assert one == more
        assert one.rejects == more.rejects
        assert [(r.index, r.field) for r in one.rejects] == [
            (5, "channel"),
            (9, "resolved"),
            (70, "channel"),
            (300, "resolved"),
        ]

    def test_threads_is_a_whole_number_from_one(self):
        with pytest.raises(ValidationError, match="threads"):
            ConversationTable.from_frame(big_frame(400), threads=0)
        with pytest.raises(WrongTypeError, match="threads"):
            ConversationTable.from_frame(big_frame(400), threads="2")


class TestUnsignedDictionaries:
    def test_unsigned_indices_with_nulls(self):
        """polars' categoricals: uint32 indices, nulls in optional columns."""
        topics = pa.DictionaryArray.from_arrays(
            pa.array([0, None, 1, 0], pa.uint32()), pa.array(["退货", "物流"])
        )
        moods = pa.DictionaryArray.from_arrays(
            pa.array([1, 0, None, 1], pa.uint8()), pa.array(["neutral", "negative"])
        )
        table = pa.table(
            {
                "conversation_id": ["a", "b", "c", "d"],
                "agent_id": ["amy", "bo", "amy", "bo"],
                "opened_at": pa.array(
                    pd.date_range("2025-11-03", periods=4, freq="h", tz="UTC")
                ),
                "resolved": [True, False, True, True],
                "topic": topics,
                "sentiment_start": moods,
            }
        )
        built = ConversationTable.from_arrow(table)
        topic = built.vocabulary("topic")
        assert [topic[c] if c >= 0 else None for c in built["topic"].tolist()] == [
            "退货",
            None,
            "物流",
            "退货",
        ]
        assert built["sentiment_start"].tolist() == [
            Sentiment.NEGATIVE.code,
            Sentiment.NEUTRAL.code,
            -1,
            Sentiment.NEGATIVE.code,
        ]

    def test_a_polars_frame_with_categoricals(self, shop):
        pl = pytest.importorskip("polars")
        frame = pl.from_pandas(shop.to_pandas()).with_columns(
            pl.col("agent_id", "customer_id", "topic", "transferred_to").cast(
                pl.Categorical
            )
        )
        built = ConversationTable.from_frame(
            frame, rating_scale=THREE, agents=shop.agents
        )
        assert built.to_records().conversations == shop.to_records().conversations

    def test_a_null_dictionary_entry_is_a_missing_cell(self):
        agents = pa.DictionaryArray.from_arrays(
            pa.array([0, 1, 2, 3], pa.int8()), pa.array(["amy", None, "bo", "amy"])
        )
        table = pa.table(
            {
                "conversation_id": ["a", "b", "c", "d"],
                "agent_id": agents,
                "opened_at": pa.array(
                    pd.date_range("2025-11-03", periods=4, freq="h", tz="UTC")
                ),
                "resolved": [True] * 4,
            }
        )
        built = ConversationTable.from_arrow(table, errors="collect")
        assert built.vocabulary("agent_id").tolist() == ["amy", "bo"]
        assert built["agent_id"].tolist() == [0, 1, 0]
        assert [(r.index, r.field) for r in built.rejects] == [(1, "agent_id")]


@pytest.mark.parametrize(
    "arrow_type", [pa.string(), pa.large_string(), pa.string_view()], ids=str
)
def test_pandas_arrow_dtypes_read_like_plain_strings(arrow_type):
    """``ArrowDtype`` text columns, string views included, as plain strings do."""
    plain = pd.DataFrame(
        {
            "conversation_id": ["a", "b", None],
            "agent_id": ["x", "y", "x"],
            "opened_at": pd.date_range("2025-11-03", periods=3, freq="h", tz="UTC"),
            "resolved": [True, False, True],
            "channel": ["chat", "DM", "phone"],
        }
    )
    typed = plain.astype(
        {
            name: pd.ArrowDtype(arrow_type)
            for name in ("conversation_id", "agent_id", "channel")
        }
    )
    expected = ConversationTable.from_pandas(plain, errors="collect")
    built = ConversationTable.from_pandas(typed, errors="collect")
    assert built == expected
    assert built.rejects == expected.rejects
    assert [(r.index, r.field) for r in built.rejects] == [(2, "conversation_id")]
