"""from_frame: any dataframe, declared words and zones, nothing lost."""

import math
import pathlib
import runpy

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicequality import (
    Channel,
    ConversationTable,
    RatingScale,
    UnknownKeyError,
    ValidationError,
    WrongTypeError,
    measure,
)

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"
THREE = RatingScale.THREE_LEVEL
FIVE = RatingScale.FIVE_STAR


def minimal(**extra):
    """A three-row frame with the required columns only, plus ``extra``."""
    return pd.DataFrame(
        {
            "conversation_id": ["a", "b", "c"],
            "agent_id": ["amy", "amy", "bo"],
            "opened_at": pd.to_datetime(
                ["2025-11-03 09:00", "2025-11-03 10:00", "2025-11-03 11:00"]
            ).tz_localize("UTC"),
            "resolved": [True, False, True],
            **extra,
        }
    )


@pytest.fixture(scope="module")
def exports():
    """The two example exports, loaded as examples/load_exports.py loads them."""
    return runpy.run_path(str(EXAMPLES / "load_exports.py"), run_name="exports")


class TestAnyFrame:
    @pytest.mark.parametrize("library", ["pandas", "pyarrow", "polars", "duckdb"])
    def test_every_frame_library_gives_the_same_table(self, library):
        """pandas, Arrow, polars and DuckDB results load to equal tables."""
        frame = minimal(channel=["dm", "DM", "chat"], rating_score=[3, None, 1])
        expected = ConversationTable.from_frame(frame, rating_scale=THREE)
        if library == "pyarrow":
            native = pa.Table.from_pandas(frame, preserve_index=False)
        elif library == "polars":
            native = pytest.importorskip("polars").from_pandas(frame)
        elif library == "duckdb":
            duckdb = pytest.importorskip("duckdb")
            native = duckdb.from_arrow(pa.Table.from_pandas(frame))
        else:
            native = frame
        assert ConversationTable.from_frame(native, rating_scale=THREE) == expected
        assert expected["channel"].tolist() == [Channel.DM.code] * 2 + [
            Channel.CHAT.code
        ]

    def test_a_non_frame_is_a_wrong_type(self):
        with pytest.raises(WrongTypeError, match="dataframe"):
            ConversationTable.from_frame({"conversation_id": ["a"]})

    def test_absent_optional_columns_are_remembered(self):
        """A frame without channel: the metric that reads it is refused."""
        table = ConversationTable.from_frame(minimal())
        assert {"channel", "escalated", "customer_id"} <= table.absent_columns
        with pytest.raises(UnknownKeyError, match="escalated"):
            measure(table, "escalation_rate")

    def test_defaults_fill_an_absent_column_and_empty_cells(self):
        frame = minimal(channel=["chat", None, "DM"])
        table = ConversationTable.from_frame(
            frame, defaults={"channel": "phone", "escalated": False}
        )
        assert table["channel"].tolist() == [
            Channel.CHAT.code,
            Channel.PHONE.code,
            Channel.DM.code,
        ]
        assert not table["escalated"].any()
        assert not {"channel", "escalated"} & table.absent_columns


class TestColumnProblemsTogether:
    def test_every_missing_required_column_in_one_error(self):
        """Two missing columns, one error naming both."""
        frame = minimal().drop(columns=["agent_id", "resolved"])
        with pytest.raises(ValidationError) as caught:
            ConversationTable.from_frame(frame)
        assert caught.value.field == "columns"
        assert caught.value.value == ["agent_id", "resolved"]

    def test_a_mapped_column_that_is_not_there_is_named(self):
        with pytest.raises(ValidationError, match="'客服'") as caught:
            ConversationTable.from_frame(minimal(), columns={"channel": "客服"})
        assert caught.value.field == "客服"

    def test_every_unreadable_column_in_one_error(self):
        """Naive times without a zone and float ids: both in one error."""
        frame = minimal()
        frame["opened_at"] = frame["opened_at"].dt.tz_localize(None)
        frame["agent_id"] = [0.5, 1.5, 2.5]
        with pytest.raises(ValidationError) as caught:
            ConversationTable.from_frame(frame)
        assert caught.value.value == ["agent_id", "opened_at"]
        assert "timezone-aware" in caught.value.rule
        assert "ids must be" in caught.value.rule


class TestLocalTimes:
    def test_naive_timestamps_are_localised_only_with_tz(self):
        """09:00 in Shanghai is 01:00 UTC."""
        frame = minimal()
        frame["opened_at"] = frame["opened_at"].dt.tz_localize(None)
        table = ConversationTable.from_frame(frame, tz="Asia/Shanghai")
        assert table["opened_at"][0] == np.datetime64("2025-11-03T01:00", "us")

    def test_strings_need_a_format_or_a_zone(self):
        frame = minimal(closed_at=["2025-11-03 17:30", None, ""])
        with pytest.raises(ValidationError, match="nothing is guessed") as caught:
            ConversationTable.from_frame(frame)
        assert caught.value.field == "closed_at"
        table = ConversationTable.from_frame(
            frame,
            formats={"closed_at": "%Y-%m-%d %H:%M"},
            tz="Asia/Shanghai",
        )
        assert table["closed_at"][0] == np.datetime64("2025-11-03T09:30", "us")
        assert np.isnat(table["closed_at"][1:]).all()

    def test_a_format_without_offset_and_no_zone_is_refused(self):
        frame = minimal(closed_at=["2025/11/03 09:30", None, None])
        with pytest.raises(ValidationError, match="pass tz="):
            ConversationTable.from_frame(frame, formats={"closed_at": "%Y/%m/%d %H:%M"})

    def test_strings_with_offsets_keep_them_even_when_they_differ(self):
        """ISO strings with their own (different) offsets need no zone."""
        frame = minimal()
        frame["opened_at"] = [
            "2025-03-30T00:30:00+00:00",
            "2025-03-30T03:30:00+02:00",
            "2025-03-30T01:00:00Z",
        ]
        table = ConversationTable.from_frame(frame)
        assert table["opened_at"].astype("datetime64[m]").astype(str).tolist() == [
            "2025-03-30T00:30",
            "2025-03-30T01:30",
            "2025-03-30T01:00",
        ]

    def test_date_and_time_columns_are_joined(self):
        frame = minimal().drop(columns="opened_at")
        frame["day"] = ["03/11/2025"] * 3
        frame["clock"] = ["09:00:00", "10:00:00", "23:59:59"]
        table = ConversationTable.from_frame(
            frame,
            columns={"opened_at": ("day", "clock")},
            formats={"opened_at": "%d/%m/%Y %H:%M:%S"},
            tz="Europe/London",
        )
        assert str(table["opened_at"][2]) == "2025-11-03T23:59:59.000000"

    def test_a_local_time_that_does_not_exist_is_a_reject(self):
        """02:30 on the spring-forward night in Berlin never happened."""
        frame = minimal()
        frame["opened_at"] = pd.to_datetime(
            ["2025-03-30 01:30", "2025-03-30 02:30", "2025-03-30 03:30"]
        )
        table = ConversationTable.from_frame(
            frame, tz="Europe/Berlin", errors="collect"
        )
        assert len(table) == 2
        (reject,) = table.rejects
        assert reject.index == 1
        assert "Europe/Berlin" in reject.rule


class TestWordsAndLabels:
    def test_scale_labels_and_flag_words(self):
        """满意/一般/不满意 are scores; 是/否 are flags; no conversion by hand."""
        frame = minimal(
            resolved=["是", "否", " 是 "],
            escalated=["Y", "n", "N"],
            rating_score=["满意", None, "不满意"],
        )
        table = ConversationTable.from_frame(
            frame,
            rating_scale=THREE,
            true_values=["是", "y"],
            false_values=["否", "N"],
        )
        assert table["resolved"].tolist() == [True, False, True]
        assert table["escalated"].tolist() == [True, False, False]
        assert table["rating_scale"].tolist() == [0, -1, 0]
        assert table["rating_score"][[0, 2]].tolist() == [3, 1]

    def test_label_maps_for_enumerations(self):
        frame = minimal(channel=["电话", "Phone", "私信"])
        table = ConversationTable.from_frame(
            frame, labels={"channel": {"电话": "phone", "私信": Channel.DM}}
        )
        assert table["channel"].tolist() == [
            Channel.PHONE.code,
            Channel.PHONE.code,
            Channel.DM.code,
        ]

    def test_the_three_level_scale_knows_both_languages(self):
        assert THREE.score_of("满意") == THREE.score_of("Satisfied") == 3
        assert THREE.score_of(" 不满意 ") == THREE.score_of("dissatisfied") == 1
        with pytest.raises(UnknownKeyError, match="一般"):
            THREE.score_of("很好")

    @pytest.mark.parametrize(
        ("labels", "rule"),
        [
            ({"good": 9}, "score on the scale"),
            ({"good": 3, "GOOD ": 1}, "two scores"),
            ({" ": 1}, "blank"),
        ],
    )
    def test_scale_labels_are_checked(self, labels, rule):
        with pytest.raises(ValidationError, match=rule):
            RatingScale(
                name="s",
                low=1,
                high=3,
                satisfied_from=3,
                dissatisfied_to=1,
                labels=labels,
            )

    def test_labels_round_trip_and_do_not_change_equality(self):
        """A scale's labels survive to_dict; they name scores, not a new scale."""
        assert RatingScale.from_dict(THREE.to_dict()).labels == THREE.labels
        bare = RatingScale(
            name="three_level", low=1, high=3, satisfied_from=3, dissatisfied_to=1
        )
        assert bare == THREE

    def test_true_and_false_words_must_not_overlap(self):
        with pytest.raises(ValidationError, match="both true and false"):
            ConversationTable.from_frame(
                minimal(), true_values=["Y"], false_values=["y"]
            )


class TestDurations:
    def test_seconds_after_opening_stand_for_instants(self):
        """Wait 30 s, talk 120 s: reply at +30 s, closed at +150 s."""
        frame = minimal(wait=[30, None, 5.5], talk=[120, 60, None])
        table = ConversationTable.from_frame(
            frame,
            columns={"first_response_after": "wait", "handle_time": "talk"},
        )
        opened = table["opened_at"]
        seconds = (table["first_response_at"] - opened) / np.timedelta64(1, "s")
        assert seconds[0] == 30
        assert np.isnat(table["first_response_at"][1])
        assert seconds[2] == 5.5
        closed = (table["closed_at"] - opened) / np.timedelta64(1, "s")
        assert closed[0] == 150
        assert closed[1] == 60  # nobody replied: handle time runs from opening
        assert np.isnat(table["closed_at"][2])

    def test_a_duration_and_its_instant_together_are_refused(self):
        frame = minimal(wait=[1, 2, 3], first_response_at=[None] * 3)
        with pytest.raises(ValidationError, match="map one of the two"):
            ConversationTable.from_frame(
                frame,
                columns={"first_response_after": "wait", "first_response_at": "x"},
            )

    def test_a_duration_beside_its_instant_column_is_refused(self):
        """closed_at in the frame and handle_time mapped: which one? Refused."""
        frame = minimal(
            talk=[5, 5, 5],
            closed_at=pd.to_datetime(["2025-11-03 12:10"] * 3).tz_localize("UTC"),
        )
        with pytest.raises(ValidationError, match="also has"):
            ConversationTable.from_frame(frame, columns={"handle_time": "talk"})

    def test_negative_or_infinite_seconds_are_rejects(self):
        frame = minimal(wait=[-1.0, math.inf, 3.0])
        table = ConversationTable.from_frame(
            frame, columns={"first_response_after": "wait"}, errors="collect"
        )
        assert [r.index for r in table.rejects] == [0, 1]
        assert len(table) == 1


class TestNothingLost:
    def test_every_bad_cell_is_a_reject_naming_row_column_value_and_rule(self):
        """inf score, unknown channel, missing flag, year 9999, 2.5 stars."""
        frame = pd.DataFrame(
            {
                "conversation_id": ["a", "b", "c", "d", "e", "f"],
                "agent_id": ["amy"] * 6,
                "opened_at": ["2025-11-03T09:00:00+08:00"] * 3
                + ["9999-06-01T00:00:00+00:00"]
                + ["2025-11-03T10:00:00+08:00"] * 2,
                "resolved": [True] * 6,
                "channel": ["chat", "fax", "dm", "dm", "dm", "Chat"],
                "escalated": pd.array(
                    [True, False, None, False, False, False], dtype="boolean"
                ),
                "rating_score": [math.inf, 3, 3, 1, 2.5, None],
            }
        )
        table = ConversationTable.from_frame(
            frame, rating_scale=THREE, errors="collect"
        )
        assert len(table) + len(table.rejects) == len(frame)
        assert [(r.index, r.field) for r in table.rejects] == [
            (0, "rating_score"),
            (1, "channel"),
            (2, "escalated"),
            (3, "opened_at"),
            (4, "rating_score"),
        ]
        inf, fax, flag, far, half = table.rejects
        assert math.isinf(inf.value)
        assert (fax.value, fax.id) == ("fax", "b")
        assert (flag.value, flag.rule) == (None, "must not be missing")
        assert "9998" in far.rule
        assert far.value == "9999-06-01T00:00:00+00:00"
        assert half.value == 2.5
        assert half.rule.startswith("must be a whole number or a label (满意, 一般")
        assert table.vocabulary("conversation_id")[table["conversation_id"]] == "f"

    def test_raise_stops_at_the_first_bad_row_with_its_position(self):
        frame = minimal(channel=["chat", "fax", "dm"])
        with pytest.raises(ValidationError, match="must be one of") as caught:
            ConversationTable.from_frame(frame)
        assert (caught.value.index, caught.value.field) == (1, "channel")

    def test_blank_and_missing_ids_are_rejects(self):
        frame = minimal(conversation_id=["a", " ", None])
        table = ConversationTable.from_frame(frame, errors="collect")
        assert [(r.index, r.rule) for r in table.rejects] == [
            (1, "must not be missing"),
            (2, "must not be missing"),
        ]

    def test_ordering_messages_show_both_sides_in_the_input_zone(self):
        """The closing time is quoted, in the export's zone, with the hint."""
        frame = minimal(
            first_response_at=["2025-11-03 17:10:40", None, None],
            closed_at=["2025-11-03 17:10", None, None],
        )
        frame["opened_at"] = frame["opened_at"].dt.tz_convert("Asia/Shanghai")
        frame["opened_at"] = frame["opened_at"].dt.tz_localize(None)
        with pytest.raises(ValidationError) as caught:
            ConversationTable.from_frame(frame, tz="Asia/Shanghai")
        error = caught.value
        assert error.field == "first_response_at"
        assert error.value.isoformat() == "2025-11-03T17:10:40+08:00"
        assert "closed_at (2025-11-03T17:10:00+08:00)" in error.rule
        assert "cut to the minute" in error.rule


MESSY_CELLS = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "chat", "PHONE", "fax", "Y", "N", "是", "9999"]),
    st.integers(-3, 5),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.booleans(),
)


@st.composite
def messy_frames(draw):
    """Frames whose optional columns hold anything an export might hold."""
    n = draw(st.integers(1, 12))
    frame = {
        "conversation_id": [f"c{i % draw(st.integers(1, n))}" for i in range(n)],
        "agent_id": draw(
            st.lists(st.sampled_from(["amy", "bo", " "]), min_size=n, max_size=n)
        ),
        "opened_at": draw(
            st.lists(
                st.sampled_from(
                    [
                        "2025-11-03 09:00",
                        "2025-11-03 09:30",
                        "",
                        "garbage",
                        "9999-12-31 23:00",
                    ]
                ),
                min_size=n,
                max_size=n,
            )
        ),
    }
    for column in draw(
        st.sets(
            st.sampled_from(
                ["resolved", "channel", "escalated", "rating_score", "closed_at"]
            ),
            min_size=1,
        )
    ):
        frame[column] = pd.Series(
            draw(st.lists(MESSY_CELLS, min_size=n, max_size=n)), dtype=object
        )
    if "resolved" not in frame:
        frame["resolved"] = [True] * n
    if "closed_at" in frame:
        frame["closed_at"] = [
            None if not isinstance(x, str) else x for x in frame["closed_at"]
        ]
    return pd.DataFrame(frame)


@settings(max_examples=60, deadline=None)
@given(frame=messy_frames())
def test_accepted_plus_rejected_is_the_input(frame):
    """Over messy frames, every row is accepted or rejected, exactly once."""
    table = ConversationTable.from_frame(
        frame,
        rating_scale=FIVE,
        tz="Asia/Shanghai",
        true_values=["Y", "是"],
        false_values=["N"],
        errors="collect",
    )
    rejected = [r.index for r in table.rejects]
    assert len(set(rejected)) == len(rejected)
    assert len(table) + len(rejected) == len(frame)
    kept = sorted(set(range(len(frame))) - set(rejected))
    ids = table.vocabulary("conversation_id")[table["conversation_id"]].tolist()
    assert ids == frame["conversation_id"].iloc[kept].tolist()


class TestExampleExports:
    def test_the_douyin_export_against_pandas(self, exports):
        """Satisfaction per human and rows kept, computed straight from the CSV."""
        raw = pd.read_csv(EXAMPLES / "douyin_export.csv", dtype=str)
        good = raw.drop(index=[7, 12, 20])  # the planted bad rows
        table = exports["douyin"]
        assert [r.index for r in table.rejects] == [7, 12, 20]
        assert len(table) == len(good)
        handler = good["转人工客服"].fillna(good["客服账号"])
        rated = good[good["评价"].notna()]
        expected = (rated["评价"] == "满意").groupby(handler[rated.index]).mean()
        got = measure(table, "satisfaction_rate", by="agent").to_pandas()
        got = got.set_index("agent")["value"].dropna()
        assert got.to_dict() == pytest.approx(expected.to_dict())

    def test_the_call_centre_file_against_pandas(self, exports):
        """Satisfaction (4-5 stars) and mean answer time per agent, by pandas."""
        raw = pd.read_csv(EXAMPLES / "call_centre.csv")
        good = raw.drop(index=[9, 30])
        table = exports["calls"]
        assert [r.index for r in table.rejects] == [9, 30]
        rated = good[good["Satisfaction rating"].notna()]
        satisfied = (rated["Satisfaction rating"] >= 4).groupby(rated["Agent"]).mean()
        answer = good.groupby("Agent")["Speed of answer in seconds"].mean()
        got = measure(
            table, ["satisfaction_rate", "first_response_time"], by="agent"
        ).to_pandas()
        values = got.pivot(index="agent", columns="metric", values="value")
        assert values["satisfaction_rate"].to_dict() == pytest.approx(
            satisfied.to_dict()
        )
        assert values["first_response_time"].to_dict() == pytest.approx(
            answer.to_dict()
        )
        with pytest.raises(UnknownKeyError, match="customer_id"):
            measure(table, "first_contact_resolution")

    def test_the_files_are_what_the_generator_writes(self):
        make = runpy.run_path(str(EXAMPLES / "make_exports.py"), run_name="make")
        assert make["douyin"]() == (EXAMPLES / "douyin_export.csv").read_text("utf-8")
        assert make["call_centre"]() == (EXAMPLES / "call_centre.csv").read_text(
            "utf-8"
        )


class TestDeclarationsAreChecked:
    def test_score_labels_of_the_export(self):
        """labels={'rating_score': ...} adds the export's words to the scale's."""
        frame = minimal(rating_score=["好评", "差评", "4"])
        table = ConversationTable.from_frame(
            frame, rating_scale=FIVE, labels={"rating_score": {"好评": 5, "差评": 1}}
        )
        assert table["rating_score"].tolist() == [5, 1, 4]

    def test_timedelta_columns_are_durations(self):
        frame = minimal(wait=pd.to_timedelta([1.5, None, 60], unit="s"))
        table = ConversationTable.from_frame(
            frame, columns={"first_response_after": "wait"}
        )
        waited = (table["first_response_at"] - table["opened_at"]) / np.timedelta64(
            1, "s"
        )
        assert waited[0] == 1.5
        assert np.isnat(table["first_response_at"][1])
        assert waited[2] == 60

    @pytest.mark.parametrize(
        ("options", "error", "field"),
        [
            ({"tz": "Mars/Olympus"}, UnknownKeyError, "tz"),
            ({"tz": 8}, WrongTypeError, "tz"),
            ({"labels": {"colour": {"red": "dm"}}}, ValidationError, "labels"),
            ({"true_values": "Y"}, WrongTypeError, "true_values"),
            ({"rating_scale": "five_star"}, WrongTypeError, "rating_scale"),
            ({"columns": {"agent": "agent_id"}}, ValidationError, "columns"),
            ({"errors": "ignore"}, ValidationError, "errors"),
            ({"labels": 5}, WrongTypeError, "labels"),
            ({"formats": "%Y"}, WrongTypeError, "formats"),
            ({"formats": {"nope": "%Y"}}, ValidationError, "formats"),
            ({"formats": {5: "%Y"}}, WrongTypeError, "formats"),
            ({"columns": {"agent_id": 5}}, WrongTypeError, "columns['agent_id']"),
            ({"columns": ["agent_id"]}, WrongTypeError, "columns"),
        ],
    )
    def test_bad_declarations_are_named(self, options, error, field):
        with pytest.raises(error) as caught:
            ConversationTable.from_frame(minimal(), **options)
        assert caught.value.field == field

    def test_scores_without_a_scale_are_refused(self):
        with pytest.raises(ValidationError, match="RatingScale"):
            ConversationTable.from_frame(minimal(rating_score=[1, None, 2]))
        unrated = ConversationTable.from_frame(minimal(rating_score=[None] * 3))
        assert (unrated["rating_scale"] == -1).all()
        assert "rating_score" not in unrated.absent_columns
