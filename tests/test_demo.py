"""The example shop and the command line."""

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicequality import ConversationTable, Role, ValidationError, WrongTypeError
from servicequality.__main__ import main
from servicequality.demo import BOT_ID, TOPICS, example_roster, example_shop
from servicequality.demo._summary import summary


class TestExampleShop:
    def test_same_seed_same_table(self):
        """The generator is deterministic."""
        first, second = example_shop(500, seed=3), example_shop(500, seed=3)
        for name in first.column_names:
            np.testing.assert_array_equal(first[name], second[name])
        assert not np.array_equal(
            first["agent_id"], example_shop(500, seed=4)["agent_id"]
        )

    @pytest.mark.parametrize("size", [1, 10, 2_000])
    def test_any_size_builds_without_rejects(self, size):
        """Small and large shops pass every table rule."""
        table = example_shop(size)
        assert len(table) == size
        assert table.rejects == ()

    def test_the_shop_looks_like_the_seed_story(self):
        """Two teams, a supervisor, a bot that hands over, ratings, repeats."""
        table = example_shop(5_000)
        roster = example_roster()
        assert {a.team for a in roster if a.role is Role.AGENT} == {
            "presale",
            "aftersale",
        }
        assert sum(a.role is Role.AGENT for a in roster) == 12
        bot = list(table.vocabulary("agent_id")).index(BOT_ID)
        by_bot = table["agent_id"] == bot
        handed = by_bot & (table["transferred_to"] >= 0)
        assert 0.2 < handed.sum() / by_bot.sum() < 0.5
        rated = (table["rating_scale"] >= 0).mean()
        assert 0.2 < rated < 0.5
        assert set(np.unique(table["difficulty"]).tolist()) == {0, 1, 2, 3}
        assert table.vocabulary("topic").tolist() == list(TOPICS)
        customers = table["customer_id"]
        assert len(np.unique(customers)) < len(customers)
        assert 0 < table["escalated"].mean() < 0.15
        assert len(table.knowledge_tests["score"]) == 12

    @pytest.mark.parametrize(
        ("options", "field"),
        [
            ({"conversations": 0}, "conversations"),
            ({"month": 13}, "month"),
            ({"year": 1899}, "year"),
        ],
    )
    def test_out_of_range_arguments_are_rejected(self, options, field):
        """Sizes, years and months are checked."""
        with pytest.raises(ValidationError) as info:
            example_shop(**options)
        assert field == info.value.field

    @pytest.mark.parametrize(
        ("options", "field"),
        [({"conversations": "100"}, "conversations"), ({"month": 11.0}, "month")],
    )
    def test_arguments_of_the_wrong_type_are_rejected(self, options, field):
        """A string size or a float month is a WrongTypeError naming the field."""
        with pytest.raises(WrongTypeError) as info:
            example_shop(**options)
        assert field == info.value.field


def local_hours_and_weekdays(table):
    """Hour (0-23) and weekday (Monday 0) of each opening on UTC+08:00 clocks."""
    seconds = table["opened_at"].astype("datetime64[s]").astype(np.int64) + 8 * 3600
    return seconds % 86_400 // 3_600, (seconds // 86_400 + 3) % 7


class TestMonthsOfTheShop:
    @pytest.mark.parametrize(("year", "month"), [(2025, 11), (2025, 12), (2024, 2)])
    def test_every_conversation_opens_inside_its_month(self, year, month):
        """No conversation of a month opens before its first or after its last day."""
        zone = timezone(timedelta(hours=8))
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        opened = example_shop(5_000, year=year, month=month)["opened_at"]
        as_utc = [
            np.datetime64(t.astimezone(UTC).replace(tzinfo=None)) for t in (start, end)
        ]
        assert as_utc[0] <= opened.min()
        assert opened.max() < as_utc[1]

    @settings(max_examples=30)
    @given(
        size=st.integers(1, 400),
        seed=st.integers(0, 2**32 - 1),
        year=st.integers(1990, 2060),
        month=st.integers(1, 12),
    )
    def test_any_month_holds_only_its_own_conversations(self, size, seed, year, month):
        """For any size, seed and month: inside the month, ids unique and tagged."""
        zone = timezone(timedelta(hours=8))
        start = datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        table = example_shop(size, seed=seed, year=year, month=month)
        opened = table["opened_at"]
        assert np.datetime64(start.replace(tzinfo=None)) <= opened.min()
        assert opened.max() < np.datetime64(end.astimezone(UTC).replace(tzinfo=None))
        ids = table.vocabulary("conversation_id")
        assert len(set(ids.tolist())) == size
        assert all(i.startswith(f"C{year}-{month:02d}-") for i in ids.tolist())
        assert all(
            k.startswith(f"K{year}-{month:02d}-")
            for k in table.vocabulary("case_id").tolist()
        )
        assert table.rejects == ()

    def test_two_months_concatenate(self):
        """Ids carry the month, so October + November keeps every conversation."""
        october, november = example_shop(1_000, month=10), example_shop(1_500, month=11)
        both = ConversationTable.concat([october, november])
        assert len(both) == 2_500
        ids = both.vocabulary("conversation_id")
        assert sum(i.startswith("C2025-10-") for i in ids) == 1_000
        assert sum(i.startswith("C2025-11-") for i in ids) == 1_500
        cases = both.vocabulary("case_id")
        assert len(cases) == len(october.vocabulary("case_id")) + len(
            november.vocabulary("case_id")
        )

    def test_the_default_month_fills_the_heat_map(self):
        """At least nine in ten hour x weekday cells from 08:00 on have ten ratings."""
        table = example_shop()
        hours, weekdays = local_hours_and_weekdays(table)
        rated = table["rating_scale"] >= 0
        counts = np.zeros((7, 24), dtype=int)
        np.add.at(counts, (weekdays[rated], hours[rated]), 1)
        assert (counts[:, 8:] >= 10).mean() >= 0.9

    def test_a05_invites_selectively(self):
        """a05's conversations are rated far less often than the rest of pre-sale."""
        table = example_shop()
        agents = list(table.vocabulary("agent_id"))
        handler = np.where(
            table["transferred_to"] >= 0, table["transferred_to"], table["agent_id"]
        )
        rated = table["rating_scale"] >= 0
        a05 = handler == agents.index("a05")
        others = np.isin(handler, [agents.index(f"a0{i}") for i in (1, 2, 3, 4, 6)])
        assert rated[a05].mean() < rated[others].mean() - 0.1

    def test_the_evening_rush_is_the_hot_spot(self):
        """Satisfaction from 20:00 to 22:59 is far below the rest of the day."""
        table = example_shop()
        hours, _ = local_hours_and_weekdays(table)
        rated = table["rating_scale"] >= 0
        satisfied = rated & (table["rating_score"] == 3)
        rush = (hours >= 20) & (hours <= 22)
        day = (hours >= 8) & (hours < 20)
        rush_rate = satisfied[rush].sum() / rated[rush].sum()
        day_rate = satisfied[day].sum() / rated[day].sum()
        assert rush_rate < day_rate - 0.2


class TestCommandLine:
    def test_main_prints_a_summary(self, capsys):
        """python -m servicequality prints counts and shares of the shop."""
        assert main(["--conversations", "300"]) == 0
        out = capsys.readouterr().out
        assert "300 conversations" in out
        assert "satisfaction_rate" in out
        assert "By agent" in out

    def test_main_summarises_the_default_month(self, capsys):
        """Without options the summary is of example_shop() as it is by default."""
        assert main([]) == 0
        assert f"{len(example_shop()):,} conversations:" in capsys.readouterr().out

    def test_summary_header_agrees_with_its_counts(self):
        """People's conversations in the header are conversation_count's value."""
        table = example_shop(300)
        bot = list(table.vocabulary("agent_id")).index(BOT_ID)
        bot_alone = int(
            ((table["agent_id"] == bot) & (table["transferred_to"] < 0)).sum()
        )
        lines = summary(table).splitlines()
        assert lines[0] == (
            f"300 conversations: {300 - bot_alone} handled by people, "
            f"{bot_alone} by the bot alone"
        )
        (count,) = [
            line for line in lines if line.split()[:1] == ["conversation_count"]
        ]
        assert count.split()[1] == str(300 - bot_alone)

    def test_summary_of_an_empty_table_says_n_a(self):
        """No ratings is 'n/a', not 0 %."""
        table = example_shop(10)
        empty = table.filter(np.zeros(len(table), dtype=bool))
        lines = summary(empty).splitlines()
        (satisfaction,) = [
            line for line in lines if line.split()[:1] == ["satisfaction_rate"]
        ]
        assert "n/a" in satisfaction
