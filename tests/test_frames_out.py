"""Results back into the user's frame library: to_frame."""

import pandas as pd
import pyarrow as pa
import pytest

from servicequality import (
    ConversationTable,
    Monthly,
    RatingScale,
    UnknownKeyError,
    ValidationError,
    WrongTypeError,
    measure,
    to_frame,
)
from servicequality.demo import SHOP_TIMEZONE, example_shop


@pytest.fixture(scope="module")
def shop():
    return example_shop(400, seed=3)


@pytest.fixture(scope="module")
def measured(shop):
    return measure(
        shop,
        ["satisfaction_rate", "mean_rating"],
        by=("agent", Monthly(tz=SHOP_TIMEZONE)),
    )


class TestToFrame:
    def test_pandas_is_to_pandas(self, measured):
        pd.testing.assert_frame_equal(to_frame(measured), measured.to_pandas())

    def test_polars_holds_the_same_values_with_period_labels(self, measured):
        pl = pytest.importorskip("polars")
        frame = to_frame(measured, "polars")
        assert isinstance(frame, pl.DataFrame)
        expected = measured.to_pandas(period_labels=True)
        assert frame.columns == list(expected.columns)
        assert frame["period"].to_list() == expected["period"].tolist()
        assert frame["value"].to_list() == pytest.approx(
            expected["value"].tolist(), nan_ok=True
        )

    def test_arrow_and_a_table_round_trip(self, shop):
        """A table to Arrow and back through from_frame is the same table."""
        arrow = to_frame(shop, "pyarrow")
        assert isinstance(arrow, pa.Table)
        back = ConversationTable.from_frame(
            arrow, rating_scale=RatingScale.THREE_LEVEL, agents=shop.agents
        )
        assert back.to_records().conversations == shop.to_records().conversations

    def test_refusals(self, measured):
        with pytest.raises(UnknownKeyError, match="polars"):
            to_frame(measured, "spark")
        with pytest.raises(WrongTypeError, match="to_pandas"):
            to_frame([1, 2], "pandas")
        with pytest.raises(ValidationError, match="Period objects"):
            to_frame(measured, "pyarrow", period_labels=False)


def test_absent_columns_stay_absent_through_a_frame():
    """A table without escalations does not come back with 'never escalated'."""
    frame = pd.DataFrame(
        {
            "conversation_id": ["a", "b"],
            "agent_id": ["amy", "bo"],
            "opened_at": pd.to_datetime(["2025-11-03 09:00"] * 2).tz_localize("UTC"),
            "resolved": [True, False],
        }
    )
    table = ConversationTable.from_frame(frame)
    back = ConversationTable.from_frame(to_frame(table))
    assert "escalated" not in to_frame(table).columns
    assert back == table


def test_notebook_view_of_a_table_without_channels():
    """Absent enumerations show as a dash, not a crash."""
    frame = pd.DataFrame(
        {
            "conversation_id": ["a"],
            "agent_id": ["amy"],
            "opened_at": pd.to_datetime(["2025-11-03 09:00"]).tz_localize("UTC"),
            "resolved": [True],
        }
    )
    html = ConversationTable.from_frame(frame)._repr_html_()
    row = html[html.index(">a</td>") :].split("</tr>")[0]
    cells = [cell.split(">")[-1] for cell in row.split("</td>")[:-1]]
    assert cells == ["a", "amy", "2025-11-03 09:00", "—", "—", "—", "yes", "—"]
