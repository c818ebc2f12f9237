"""from_arrays and from_records keep every row or reject it, whatever the input."""

from datetime import UTC, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from servicequality import Channel, ConversationTable, RatingScale


@st.composite
def messy_columns(draw):
    """Columns with codes off their lists, NaT, reversed times and bad scores."""
    n = draw(st.integers(1, 30))

    def codes(low, high):
        return draw(hnp.arrays(np.int64, n, elements=st.integers(low, high)))

    opened = np.datetime64("2025-11-03T09:00", "us") + codes(0, 100).astype(
        "timedelta64[m]"
    )
    opened[codes(0, 9) == 0] = np.datetime64("NaT")
    closed = opened + codes(-5, 60).astype("timedelta64[m]")
    columns = {
        "conversation_id": codes(-1, n + 1),
        "conversation_ids": [f"c{i}" for i in range(n)],
        "agent_id": codes(-1, 3),
        "agent_ids": ["amy", "bo", "cy"],
        "opened_at": opened,
        "closed_at": closed,
        "resolved": codes(0, 1).astype(bool),
        "channel": codes(-1, len(Channel)),
        "transferred_to": codes(-2, 3),
        "rating_scale": codes(-1, 1),
        "rating_scales": [RatingScale.FIVE_STAR],
        "rating_score": codes(-1, 7),
    }
    if draw(st.booleans()):
        columns["customer_id"] = codes(-1, 2)
        columns["customer_ids"] = ["u1", "u2"]
    return columns


@settings(max_examples=80, deadline=None)
@given(columns=messy_columns())
def test_from_arrays_accepted_plus_rejected_is_the_input(columns):
    """Every row is in the table or rejected once, never dropped or doubled."""
    table = ConversationTable.from_arrays(**columns, errors="collect")
    rejected = [r.index for r in table.rejects]
    n = len(columns["opened_at"])
    assert len(rejected) == len(set(rejected))
    assert len(table) + len(rejected) == n
    assert all(r.rule and r.field for r in table.rejects)
    if "customer_id" not in columns:
        assert "customer_id" in table.absent_columns


@settings(max_examples=60, deadline=None)
@given(
    given_channel=st.lists(st.booleans(), min_size=1, max_size=12),
    defaults=st.sampled_from([None, {"channel": "Chat"}]),
)
def test_from_records_with_partial_columns(given_channel, defaults):
    """Conversations that lack a column others give are rejects unless defaulted."""
    rows = [
        {
            "id": f"c{i}",
            "agent_id": "amy",
            "opened_at": datetime(2025, 11, 3, 9, i, tzinfo=UTC).isoformat(),
            "resolved": True,
            **({"channel": "dm"} if has else {}),
        }
        for i, has in enumerate(given_channel)
    ]
    table = ConversationTable.from_records(rows, errors="collect", defaults=defaults)
    assert len(table) + len(table.rejects) == len(rows)
    if defaults or all(given_channel) or not any(given_channel):
        assert not table.rejects
    else:
        assert [r.index for r in table.rejects] == [
            i for i, has in enumerate(given_channel) if not has
        ]
    assert ("channel" in table.absent_columns) == (
        not any(given_channel) and defaults is None
    )
