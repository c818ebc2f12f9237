"""The example shop and the command line."""

import numpy as np
import pytest

from servicequality import Role, ValidationError
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
        [({"conversations": 0}, "conversations"), ({"month": 13}, "month")],
    )
    def test_out_of_range_arguments_are_rejected(self, options, field):
        """Sizes and months are checked."""
        with pytest.raises(ValidationError) as info:
            example_shop(**options)
        assert field == info.value.field


class TestCommandLine:
    def test_main_prints_a_summary(self, capsys):
        """python -m servicequality prints counts and shares of the shop."""
        assert main(["--conversations", "300"]) == 0
        out = capsys.readouterr().out
        assert "300 conversations" in out
        assert "satisfaction_rate" in out
        assert "By agent" in out

    def test_summary_of_an_empty_table_says_n_a(self):
        """No ratings is 'n/a', not 0 %."""
        table = example_shop(10)
        empty = table.filter(np.zeros(len(table), dtype=bool))
        lines = summary(empty).splitlines()
        (satisfaction,) = [
            line for line in lines if line.split()[:1] == ["satisfaction_rate"]
        ]
        assert "n/a" in satisfaction
