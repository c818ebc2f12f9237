"""The declared schema: rendered in the docs, and what measure refuses."""

import pathlib
from datetime import UTC, datetime

import attrs
import numpy as np
import pytest

from servicequality import (
    SCHEMA,
    Channel,
    Column,
    Conversation,
    ConversationTable,
    UnknownKeyError,
    ValidationError,
    WrongTypeError,
    measure,
)
from servicequality import metrics as sqm

ROOT = pathlib.Path(__file__).parent.parent
OPTIONAL = ("channel", "difficulty", "escalated", "rating_invited", "customer_id")


def schema_rows():
    """The schema as the Markdown rows of the reference table."""
    for name, column in SCHEMA.items():
        kind = (
            column.kind
            if column.enum is None
            else (f"{column.kind} ({column.enum.__name__})")
        )
        readers = ", ".join(f"`{r}`" for r in column.read_by) or "—"
        yield (
            f"| `{name}` | {kind} | {'yes' if column.required else 'no'} | "
            f"{'allowed' if column.nullable else 'no'} | {column.meaning} | "
            f"{readers} |"
        )


def conversation(number, **fields):
    opened = datetime(2025, 11, 3, 9, tzinfo=UTC)
    return Conversation(
        id=f"c{number}", agent_id="amy", opened_at=opened, resolved=True, **fields
    )


class TestDeclaredSchema:
    def test_reference_page_shows_the_schema(self):
        """The table in docs/reference/table.md is the schema, row for row."""
        page = (ROOT / "docs" / "reference" / "table.md").read_text(encoding="utf-8")
        body = page.split("<!-- schema:start -->")[1].split("<!-- schema:end -->")[0]
        shown = body.strip().splitlines()[2:]
        assert shown == list(schema_rows())

    def test_every_column_is_declared_with_a_meaning(self):
        """Each column has a kind, a meaning, and an enum or vocabulary as needed."""
        for name, column in SCHEMA.items():
            assert isinstance(column, Column)
            assert column.meaning, name
            assert (column.kind == "enum") == (column.enum is not None), name
            if column.kind == "code":
                assert column.vocabulary is not None, name

    def test_the_exports_optional_columns_may_be_absent_but_not_empty(self):
        """Channel, difficulty, flags and customer may be absent, not half-given."""
        for name in OPTIONAL:
            assert not SCHEMA[name].required
            assert not SCHEMA[name].nullable
        for name in ("conversation_id", "agent_id", "opened_at", "resolved"):
            assert SCHEMA[name].required

    def test_every_reader_is_a_catalogue_metric_or_a_dimension(self):
        """A name in read_by that no metric has would refuse nothing."""
        known = {*sqm.metric_names(), "agent", "team", "role", "channel", "topic"}
        known.add("difficulty")
        for column in SCHEMA.values():
            assert set(column.read_by) <= known


class TestAbsentColumns:
    def test_records_without_a_field_leave_the_column_absent(self):
        """No conversation gives a channel: absent, not 'every channel missing'."""
        table = ConversationTable.from_records([conversation(1), conversation(2)])
        assert table.absent_columns == frozenset(OPTIONAL)
        assert table.to_records().conversations[0].escalated is None

    def test_measure_refuses_a_metric_that_reads_an_absent_column(self):
        """Escalation rate without escalations is refused by name, not 0 %."""
        table = ConversationTable.from_records([conversation(1)])
        with pytest.raises(UnknownKeyError, match="'escalated'") as caught:
            measure(table, ["resolution_rate", "escalation_rate"])
        assert caught.value.value == "escalation_rate"
        assert caught.value.field == "metrics"
        assert measure(table, "resolution_rate").get("resolution_rate").value == 1

    def test_a_custom_metric_reading_an_absent_column_is_refused(self):
        """A metric the schema does not list is refused when it reads the column."""
        table = ConversationTable.from_records([conversation(1)])
        escalations = sqm.RateMetric(
            name="my_escalations",
            numerator=lambda rows: rows["escalated"],
            denominator=lambda rows: np.ones(len(rows), dtype=bool),
        )
        with pytest.raises(UnknownKeyError, match="absent") as caught:
            measure(table, [escalations])
        assert caught.value.value == "escalated"
        resolved = sqm.RateMetric(
            name="my_resolved",
            numerator=lambda rows: rows["resolved"],
            denominator=lambda rows: np.ones(len(rows), dtype=bool),
        )
        assert measure(table, [resolved]).get("my_resolved").value == 1

    def test_first_contact_resolution_needs_customers(self):
        """Without customer ids FCR would silently become the resolution rate."""
        table = ConversationTable.from_records([conversation(1), conversation(2)])
        with pytest.raises(UnknownKeyError, match="customer_id"):
            measure(table, "first_contact_resolution")
        with pytest.raises(UnknownKeyError, match="customer_id"):
            measure(table, "repeat_inquiry_rate")

    def test_grouping_by_an_absent_column_is_refused(self):
        """by='channel' on a table without channels names the column."""
        table = ConversationTable.from_records([conversation(1)])
        with pytest.raises(UnknownKeyError, match="'channel'") as caught:
            measure(table, "resolution_rate", by="channel")
        assert caught.value.field == "by"

    def test_defaults_make_a_constant_explicit(self):
        """defaults={'channel': 'DM'} is data: the column is present."""
        table = ConversationTable.from_records(
            [conversation(1), conversation(2, channel=Channel.CHAT)],
            defaults={"channel": "DM", "escalated": False},
        )
        assert "channel" not in table.absent_columns
        assert table["channel"].tolist() == [Channel.DM.code, Channel.CHAT.code]
        assert measure(table, "escalation_rate").get("escalation_rate").value == 0
        groups = measure(table, "resolution_rate", by="channel")
        assert len(groups) == 2

    def test_a_column_some_records_give_rejects_the_others(self):
        """Half the rows with a channel: the others are rejects, never 'no channel'."""
        table = ConversationTable.from_records(
            [conversation(1, channel=Channel.DM), conversation(2)], errors="collect"
        )
        assert len(table) == 1
        (reject,) = table.rejects
        assert (reject.index, reject.field, reject.value) == (1, "channel", None)
        assert "other conversations give it" in reject.rule

    def test_arrays_left_out_are_absent_and_defaults_fill_them(self):
        """from_arrays: an omitted optional column is absent; a default fills it."""
        opened = np.array(["2025-11-03T09:00", "2025-11-03T10:00"], "datetime64[us]")
        common = {
            "conversation_id": np.array([0, 1]),
            "conversation_ids": ["a", "b"],
            "agent_id": np.array([0, 0]),
            "agent_ids": ["amy"],
            "opened_at": opened,
            "resolved": np.array([True, False]),
        }
        bare = ConversationTable.from_arrays(**common)
        assert {"channel", "escalated", "customer_id"} <= bare.absent_columns
        filled = ConversationTable.from_arrays(
            **common, defaults={"rating_invited": True, "channel": "chat"}
        )
        assert filled["rating_invited"].tolist() == [True, True]
        assert filled["channel"].tolist() == [Channel.CHAT.code] * 2
        assert "channel" not in filled.absent_columns
        assert "customer_id" in filled.absent_columns

    def test_concat_and_filter_keep_absent_columns(self):
        """A column absent from one part is absent from the whole."""
        with_channel = ConversationTable.from_records(
            [conversation(1, channel=Channel.DM)]
        )
        without = ConversationTable.from_records([conversation(2)])
        assert "channel" in (with_channel + without).absent_columns
        assert "channel" not in with_channel.absent_columns
        assert without.filter(np.array([True])).absent_columns == (
            without.absent_columns
        )

    @pytest.mark.parametrize(
        ("defaults", "error"),
        [
            ({"opened_at": "x"}, ValidationError),
            ({"channel": "fax"}, ValidationError),
            ({"escalated": "no"}, WrongTypeError),
            ({"customer_id": "walk-in"}, ValidationError),
            ({"topic": " "}, WrongTypeError),
            (["channel"], WrongTypeError),
        ],
    )
    def test_bad_defaults_are_refused(self, defaults, error):
        """Only optional columns take a default, and only a value of their kind."""
        with pytest.raises(error, match="defaults"):
            ConversationTable.from_records([conversation(1)], defaults=defaults)


def test_dask_refuses_an_absent_column_before_computing():
    """The Dask path names the metric and column before any partition runs."""
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    from servicequality import dask as sqd

    frame = pd.DataFrame(
        {
            "conversation_id": ["a", "b"],
            "agent_id": ["amy", "bo"],
            "opened_at": pd.to_datetime(["2025-11-03 09:00"] * 2).tz_localize("UTC"),
            "resolved": [True, False],
        }
    )
    lazy = dd.from_pandas(frame, npartitions=1)
    with pytest.raises(UnknownKeyError, match="customer_id"):
        sqd.measure(lazy, "first_contact_resolution")
    with pytest.raises(UnknownKeyError, match="'channel'"):
        sqd.measure(lazy, "resolution_rate", by="channel")


class TestNoSilentChangeOfMeaning:
    def test_a_renamed_case_metric_without_customers_is_refused(self):
        """Cases need customers, whatever the metric that asks is called."""
        table = ConversationTable.from_records([conversation(1), conversation(2)])
        renamed = attrs.evolve(sqm.get_metric("first_contact_resolution"), name="fcr2")
        with pytest.raises(UnknownKeyError, match="customer_id"):
            measure(table, [renamed])

    def test_customer_and_case_ids_take_no_default(self):
        """One id for every row would make all conversations one customer's."""
        for name in ("customer_id", "case_id"):
            with pytest.raises(ValidationError, match="no default"):
                ConversationTable.from_records(
                    [conversation(1)], defaults={name: "everyone"}
                )

    def test_the_hint_offers_defaults_only_where_they_are_allowed(self):
        """FCR without customers says 'load that column', not 'pass defaults'."""
        table = ConversationTable.from_records([conversation(1)])
        with pytest.raises(UnknownKeyError) as caught:
            measure(table, "first_contact_resolution")
        assert "defaults" not in caught.value.rule
        with pytest.raises(UnknownKeyError) as caught:
            measure(table, "escalation_rate")
        assert "defaults={'escalated'" in caught.value.rule
