"""Per-reply metrics by agent × day: ``measure`` against idiomatic pandas.

Data: the example shop's month with generated messages
(``example_shop(--rows, messages=True)``: about 4.4 messages per
conversation), its human conversations spread over ``--agents`` agents
(seeded), so that agent × day gives hundreds of thousands of groups (the
default: 8,000 agents × 30 days). Both contenders start from what they
would be handed, built outside the timing: ``measure`` from the
``ConversationTable`` with its messages attached (derived facts dropped
before every run, so waits are found again); pandas from a conversations
DataFrame and a messages DataFrame in the order the table keeps them
(conversation, time, customer first at the same instant).

Metrics, for human handlers (a bot's own conversations left out, a
handed-over conversation counts for the human who took it), by agent and
local day (UTC+08:00, by the conversation's opening):
- ``reply_time`` (mean): count and sum of seconds of human replies;
- ``replied_within`` (3 minutes): replies in time / human replies plus
  unanswered waits of closed conversations;
- ``longest_customer_wait``: pandas takes the exact maximum, ``measure``
  reads its histogram (within ``QUANTILE_RELATIVE_ERROR``).

Counts are asserted equal and sums within 1e-9 relative on every group,
maxima within the histogram's stated error; a group on one side only is an
error. Times are the best of ``--repeats`` interleaved runs; the ratio is
of the same run.

Run: python benchmarks/replies.py [--rows N] [--repeats 3] [--seed 7]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _timing import forget_derived, interleaved

from servicequality import Agent, ConversationTable, Daily, Role, measure
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.metrics import QUANTILE_RELATIVE_ERROR

METRICS = ["reply_time", "replied_within", "longest_customer_wait"]
LIMIT = 180.0


def pandas_contender(
    conversations: pd.DataFrame, messages: pd.DataFrame
) -> pd.DataFrame:
    """Every wait with shifts and a forward fill; then one groupby."""
    m = messages
    conversation = m["conversation_id"]
    customer = m["sender"] == "customer"
    first = conversation != conversation.shift()
    last = conversation != conversation.shift(-1)
    previous_customer = customer.shift(fill_value=False) & ~first
    begins = customer & (first | ~previous_customer)
    start = m["sent_at"].where(begins).ffill()
    answered = ~customer & previous_customer
    unanswered = customer & last
    owners = conversations.set_index("conversation_id")
    handler = owners["transferred_to"].fillna(owners["agent_id"])
    local = owners["opened_at"].dt.tz_convert(SHOP_TIMEZONE).dt.tz_localize(None)
    day = local.dt.normalize()
    waits = pd.DataFrame(
        {
            "conversation_id": conversation,
            "start": start,
            "end": m["sent_at"].where(answered),
            "human": answered & (m["sender"] == "agent"),
        }
    )[(answered & (m["sender"] == "agent")) | unanswered]
    closed = owners["closed_at"].reindex(waits["conversation_id"]).to_numpy()
    waits["end"] = waits["end"].where(waits["human"], closed)
    waits = waits.dropna(subset=["end"])
    waits["seconds"] = (waits["end"] - waits["start"]).dt.total_seconds()
    waits["agent"] = handler.reindex(waits["conversation_id"]).to_numpy()
    waits["day"] = day.reindex(waits["conversation_id"]).to_numpy()
    waits = waits[waits["agent"] != "bot"]
    replies = waits["seconds"].where(waits["human"])
    facts = pd.DataFrame(
        {
            "agent": waits["agent"],
            "day": waits["day"],
            "replies": waits["human"].astype(np.int64),
            "reply_seconds": replies.fillna(0.0),
            "within": (waits["human"] & (waits["seconds"] <= LIMIT)).astype(np.int64),
            "waits": 1,
            "longest": waits["seconds"],
        }
    )
    return facts.groupby(["agent", "day"]).agg(
        replies=("replies", "sum"),
        reply_seconds=("reply_seconds", "sum"),
        within=("within", "sum"),
        waits=("waits", "sum"),
        longest=("longest", "max"),
    )


def measure_contender(table: object) -> pd.DataFrame:
    forget_derived(table)
    measured = measure(table, METRICS, by=["agent", Daily(tz=SHOP_TIMEZONE)])
    codes, periods = measured.key_codes("period")
    starts = pd.DatetimeIndex([p.start.replace(tzinfo=None) for p in periods])
    agents, names = measured.key_codes("agent")
    frame = pd.DataFrame(
        {
            "agent": np.asarray(names, dtype=object)[agents],
            "day": starts[codes],
            "replies": measured.column("reply_time", "n"),
            "reply_seconds": measured.column("reply_time", "numerator"),
            "within": measured.column("replied_within", "numerator"),
            "waits": measured.column("replied_within", "denominator"),
            "longest": measured.column("longest_customer_wait"),
        }
    )
    counted = (frame["replies"] > 0) | (frame["waits"] > 0)
    return frame[counted].set_index(["agent", "day"]).sort_index()


def check(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    """Equal groups; equal counts; sums to 1e-9; maxima within the histogram error."""
    expected = expected.sort_index()
    assert expected.index.equals(got.index), "the contenders found different groups"
    for column in ("replies", "within", "waits"):
        assert np.array_equal(expected[column].to_numpy(), got[column].to_numpy()), (
            column
        )
    np.testing.assert_allclose(
        got["reply_seconds"], expected["reply_seconds"], rtol=1e-9
    )
    np.testing.assert_allclose(
        got["longest"], expected["longest"], rtol=QUANTILE_RELATIVE_ERROR + 1e-12
    )


def spread(table: ConversationTable, agents: int, seed: int) -> ConversationTable:
    """``table`` with its human handlers drawn from ``agents`` agents (seeded)."""
    frame = table.to_pandas()
    rng = np.random.default_rng(seed)
    names = np.array([f"h{i:05d}" for i in range(agents)], dtype=object)
    bots = {a.id for a in table.agents if a.role.value == "bot"}
    for column in ("agent_id", "transferred_to"):
        human = frame[column].notna() & ~frame[column].isin(bots)
        frame.loc[human, column] = names[rng.integers(0, agents, int(human.sum()))]
    roster = [a for a in table.agents if a.id in bots]
    roster += [Agent(id=name, role=Role.AGENT) for name in names]
    spread_table = ConversationTable.from_pandas(
        frame, rating_scale=table.rating_scales[0], agents=roster
    )
    assert table.messages is not None
    return spread_table.with_messages(table.messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=8_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    shop = example_shop(options.rows, seed=options.seed, messages=True)
    table = spread(shop, options.agents, options.seed)
    conversations = table.to_pandas()[
        ["conversation_id", "agent_id", "transferred_to", "opened_at", "closed_at"]
    ]
    assert table.messages is not None
    messages = table.messages.to_pandas()
    reference = pandas_contender(conversations, messages)

    def verify(name: str, result: pd.DataFrame) -> None:
        check(reference, result)
        print(f"{name}: {len(result)} groups equal to pandas")

    best, _ = interleaved(
        {
            "measure": lambda: measure_contender(table),
            "pandas": lambda: pandas_contender(conversations, messages),
        },
        options.repeats,
        check=verify,
    )
    print(
        f"{options.rows:,} conversations, {len(table.messages):,} messages: "
        f"measure {best['measure']:.3f} s, pandas {best['pandas']:.3f} s, "
        f"pandas / measure = {best['pandas'] / best['measure']:.1f}×"
    )


if __name__ == "__main__":
    main()
