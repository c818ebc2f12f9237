"""The standard catalogue by agent × week: servicequality against pandas and numpy.

In one run, from the same raw columns of the example shop:
- ``measure`` with every built-in metric (default options), by agent × week;
- an idiomatic pandas version: derived columns with pandas operations, cases
  by ``sort_values`` and ``groupby().diff()``, then ``groupby().sum()``;
- a hand-written numpy version: ``np.where`` derivations, cases by
  ``np.lexsort``, one ``np.bincount`` per sum.
All three are checked to give the same numerators and counts. Case
derivation alone is compared with a plain ``np.lexsort`` over
(customer, topic, time). Peak traced memory of ``measure`` is compared with
the bytes of the input columns.

Prints ratios only: absolute times vary on shared machines.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from datetime import timedelta

import numpy as np
import pandas as pd

from servicequality import Weekly, measure
from servicequality._engine._cases import derive_cases
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.metrics import standard_catalogue

WEEK = Weekly(SHOP_TIMEZONE)
OFFSET = np.timedelta64(8, "h")  # the example shop's fixed UTC+08:00
WINDOW_US = 7 * 86_400 * 1_000_000
COEFFICIENTS = np.array([1.0, 1.5, 2.0, 3.0])
BOT, NEGATIVE, NEUTRAL, CRISIS, BASIC = 2, 0, 1, 3, 0
SATISFIED, DISSATISFIED = 3, 1  # the example shop rates on the three-level scale

RATES = {
    # name: (numerator, denominator or None for all rows, population)
    "satisfaction_rate": ("satisfied", "rated", "human"),
    "dissatisfaction_rate": ("dissatisfied", "rated", "human"),
    "rating_rate": ("rated", None, "human"),
    "response_rate": ("rated", "invited", "human"),
    "first_contact_resolution": ("fcr", "first", "human"),
    "repeat_inquiry_rate": ("repeat", None, "human"),
    "escalation_rate": ("escalated", None, "human"),
    "resolution_rate": ("resolved", None, "human"),
    "reply_accuracy": ("accurate", "reviewed", "human"),
    "script_compliance": ("compliant", "reviewed", "human"),
    "emotion_conversion": ("better", "negative_known", "human"),
    "crisis_success": ("resolved", "crisis", "human"),
    "responded_within": ("within", None, "human"),
    "difficulty_mix": ("not_basic", None, "human"),
    "bot_containment": ("contained", None, "bot"),
    "transfer_rate": ("handed", None, "bot"),
}
MEANS = {
    "mean_rating": ("score", "rated"),
    "empathy_score": ("empathy", "reviewed"),
    "first_response_time": ("frt", "replied"),
    "resolution_time": ("rt", "closed"),
}


def best_of(repeats, function):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def raw_columns(table):
    columns = {name: table[name] for name in table.column_names}
    columns["agent_role"] = table.agent_roles
    columns["case_count"] = len(table.vocabulary("case_id"))
    columns["topic_count"] = len(table.vocabulary("topic"))
    columns["agent_count"] = len(table.vocabulary("agent_id"))
    for name in ("agent_id", "taken_at", "score", "max_score"):
        columns[f"test_{name}"] = table.knowledge_tests[name]
    return columns


def monday(instants):
    days = (instants + OFFSET).astype("datetime64[D]").astype(np.int64)
    return days - (days + 3) % 7


def seconds(later, earlier):
    elapsed = (later - earlier).astype(np.int64) / 1e6
    return np.where(np.isnat(later) | np.isnat(earlier), np.nan, elapsed)


def numpy_version(c):
    """Hand-written numpy from the raw columns."""
    agent, handed_to = c["agent_id"].astype(np.int64), c["transferred_to"]
    handler = np.where(handed_to >= 0, handed_to, agent)
    x = {
        "handed": handed_to >= 0,
        "resolved": c["resolved"],
        "escalated": c["escalated"],
    }
    x["human"] = c["agent_role"][handler] != BOT
    x["bot"] = c["agent_role"][agent] == BOT
    x["contained"] = ~x["handed"]
    x["rated"] = c["rating_scale"] >= 0
    x["satisfied"] = x["rated"] & (c["rating_score"] >= SATISFIED)
    x["dissatisfied"] = x["rated"] & (c["rating_score"] <= DISSATISFIED)
    x["score"] = c["rating_score"].astype(np.float64)
    x["invited"] = c["rating_invited"]
    x["reviewed"] = c["reviewer_id"] >= 0
    x["accurate"], x["compliant"] = c["review_accurate"], c["review_script_compliant"]
    x["empathy"] = c["review_empathy"].astype(np.float64)
    x["negative_known"] = (c["sentiment_start"] == NEGATIVE) & (c["sentiment_end"] >= 0)
    x["better"] = c["sentiment_end"] >= NEUTRAL
    x["crisis"] = c["difficulty"] == CRISIS
    x["not_basic"] = c["difficulty"] != BASIC
    x["frt"] = seconds(c["first_response_at"], c["opened_at"])
    x["rt"] = seconds(c["closed_at"], c["opened_at"])
    x["replied"], x["closed"] = ~np.isnan(x["frt"]), ~np.isnan(x["rt"])
    with np.errstate(invalid="ignore"):
        x["within"] = x["frt"] <= 180
    chain = c["case_id"] < 0
    key = np.where(
        chain,
        c["case_count"]
        + c["customer_id"].astype(np.int64) * (c["topic_count"] + 1)
        + c["topic"]
        + 1,
        c["case_id"],
    )
    opened = c["opened_at"].view(np.int64)
    order = np.lexsort((c["conversation_id"], opened, key))
    k, t = key[order], opened[order]
    new = np.ones(len(k), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (chain[order][1:] & (t[1:] - t[:-1] > WINDOW_US))
    case = np.cumsum(new) - 1
    size = np.bincount(case)[case]
    first = np.empty(len(k), dtype=bool)
    first[order] = new
    single = np.empty(len(k), dtype=bool)
    single[order] = size == 1
    x["first"], x["repeat"] = first, ~first
    x["fcr"] = first & x["resolved"] & single

    week_start = monday(c["opened_at"])
    low = min(week_start.min(), monday(c["test_taken_at"]).min())
    week = (week_start - low) // 7
    weeks = int(max(week.max(), ((monday(c["test_taken_at"]) - low) // 7).max())) + 1
    size = c["agent_count"] * weeks
    human_group = np.where(x["human"], handler * weeks + week, size)
    bot_group = np.where(x["bot"], agent * weeks + week, size)

    def count(group, mask):
        return np.bincount(np.where(mask, group, size), minlength=size + 1)[:size]

    out = {}
    for name, (numerator, denominator, population) in RATES.items():
        group = human_group if population == "human" else bot_group
        eligible = True if denominator is None else x[denominator]
        out[name] = (count(group, x[numerator] & eligible), count(group, eligible))
    for name, (values, where) in MEANS.items():
        total = np.bincount(human_group, np.where(x[where], x[values], 0.0), size + 1)
        out[name] = (total[:size], count(human_group, x[where]))
    out["conversation_count"] = (count(human_group, True), None)
    weight = COEFFICIENTS[c["difficulty"]]
    out["weighted_workload"] = (np.bincount(human_group, weight, size + 1)[:size], None)
    test_week = (monday(c["test_taken_at"]) - low) // 7
    test_group = c["test_agent_id"] * weeks + test_week
    share = c["test_score"] / c["test_max_score"]
    out["knowledge_score"] = (
        np.bincount(test_group, share, minlength=size),
        np.bincount(test_group, minlength=size),
    )
    return out, low, weeks


def pandas_version(c):
    """Idiomatic pandas from the raw columns."""
    skip = {"agent_role", "case_count", "topic_count", "agent_count"}
    frame = pd.DataFrame(
        {k: v for k, v in c.items() if k not in skip and not k.startswith("test_")}
    )
    roles = pd.Series(c["agent_role"])
    frame["handler"] = frame["transferred_to"].where(
        frame["transferred_to"] >= 0, frame["agent_id"]
    )
    frame["human"] = frame["handler"].map(roles) != BOT
    frame["bot"] = frame["agent_id"].map(roles) == BOT
    frame["handed"] = frame["transferred_to"] >= 0
    frame["contained"] = ~frame["handed"]
    frame["rated"] = frame["rating_scale"] >= 0
    frame["satisfied"] = frame["rated"] & (frame["rating_score"] >= SATISFIED)
    frame["dissatisfied"] = frame["rated"] & (frame["rating_score"] <= DISSATISFIED)
    frame["score"] = frame["rating_score"].astype(float)
    frame["invited"] = frame["rating_invited"]
    frame["reviewed"] = frame["reviewer_id"] >= 0
    frame["accurate"] = frame["review_accurate"]
    frame["compliant"] = frame["review_script_compliant"]
    frame["empathy"] = frame["review_empathy"].astype(float)
    frame["negative_known"] = (frame["sentiment_start"] == NEGATIVE) & (
        frame["sentiment_end"] >= 0
    )
    frame["better"] = frame["sentiment_end"] >= NEUTRAL
    frame["crisis"] = frame["difficulty"] == CRISIS
    frame["not_basic"] = frame["difficulty"] != BASIC
    frame["frt"] = (frame["first_response_at"] - frame["opened_at"]).dt.total_seconds()
    frame["rt"] = (frame["closed_at"] - frame["opened_at"]).dt.total_seconds()
    frame["replied"], frame["closed"] = frame["frt"].notna(), frame["rt"].notna()
    frame["within"] = frame["frt"] <= 180
    frame["chain"] = frame["case_id"] < 0
    frame["key"] = (
        c["case_count"]
        + frame["customer_id"] * (c["topic_count"] + 1)
        + frame["topic"]
        + 1
    ).where(frame["chain"], frame["case_id"])
    ordered = frame.sort_values(["key", "opened_at", "conversation_id"])
    gap = ordered.groupby("key")["opened_at"].diff()
    new = gap.isna() | (ordered["chain"] & (gap > pd.Timedelta(days=7)))
    case = new.cumsum()
    frame["first"] = new
    frame["single"] = case.map(case.value_counts()) == 1
    frame["repeat"] = ~frame["first"]
    frame["fcr"] = frame["first"] & frame["resolved"] & frame["single"]
    local = frame["opened_at"] + pd.Timedelta(hours=8)
    frame["week"] = local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, "D")
    frame["weight"] = frame["difficulty"].map(pd.Series(COEFFICIENTS))
    for name, (numerator, denominator, _) in RATES.items():
        eligible = True if denominator is None else frame[denominator]
        frame[f"{name}_num"] = frame[numerator] & eligible
    for values, where in MEANS.values():
        frame[f"{values}_in"] = frame[values].where(frame[where], 0.0)
    human = frame[frame["human"]]
    columns = [
        *[f"{n}_num" for n, (_, _, p) in RATES.items() if p == "human"],
        *[d for _, d, p in RATES.values() if d and p == "human"],
        *[f"{v}_in" for v, _ in MEANS.values()],
        *[w for _, w in MEANS.values()],
        "weight",
    ]
    sums = human.groupby(["handler", "week"])[list(dict.fromkeys(columns))].sum()
    sizes = human.groupby(["handler", "week"]).size()
    bots = frame[frame["bot"]].groupby(["agent_id", "week"])
    bot_sums = bots[["bot_containment_num", "transfer_rate_num"]].sum()
    test_local = pd.Series(c["test_taken_at"]) + pd.Timedelta(hours=8)
    tests = pd.DataFrame(
        {
            "agent": c["test_agent_id"],
            "week": test_local.dt.normalize()
            - pd.to_timedelta(test_local.dt.day_of_week, "D"),
            "share": c["test_score"] / c["test_max_score"],
        }
    )
    knowledge = tests.groupby(["agent", "week"])["share"].agg(["sum", "count"])
    result = {}
    for name, (_, denominator, population) in RATES.items():
        if population == "bot":
            result[name] = (bot_sums[f"{name}_num"], bots.size())
        else:
            eligible = sizes if denominator is None else sums[denominator]
            result[name] = (sums[f"{name}_num"], eligible)
    for name, (values, where) in MEANS.items():
        result[name] = (sums[f"{values}_in"], sums[where])
    result["conversation_count"] = (sizes, None)
    result["weighted_workload"] = (sums["weight"], None)
    result["knowledge_score"] = (knowledge["sum"], knowledge["count"])
    return result


def check_agreement(measured, agents, numpy_result, frame_result):
    """Numerators and counts agree across the three implementations."""
    baseline, low, weeks = numpy_result
    for name, (numerator, denominator) in baseline.items():
        ours_numerator = measured.column(name, "numerator")
        ours_n = measured.column(name, "n")
        frame_numerator, frame_denominator = frame_result[name]
        for row, (agent, period) in enumerate(measured.keys):
            start = pd.Timestamp(period.start.replace(tzinfo=None))
            code = agents.index(agent)
            cell = code * weeks + (start.value // 86_400_000_000_000 - low) // 7
            key = (code, start)
            assert np.isclose(ours_numerator[row], numerator[cell], rtol=1e-9), name
            assert np.isclose(frame_numerator.get(key, 0), numerator[cell], rtol=1e-9)
            if denominator is not None:
                assert ours_n[row] == denominator[cell], name
                assert frame_denominator.get(key, 0) == denominator[cell], name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    table = example_shop(arguments.rows, seed=1)
    catalogue = standard_catalogue()
    by = ("agent", WEEK)
    columns = raw_columns(table)
    input_bytes = sum(table[name].nbytes for name in table.column_names)

    def ours():
        table._cache.clear()  # from scratch: derived facts and cases included
        return measure(table, catalogue, by=by)

    ours_time, measured = best_of(arguments.repeats, ours)
    numpy_time, numpy_result = best_of(
        arguments.repeats, lambda: numpy_version(columns)
    )
    pandas_time, frame_result = best_of(
        arguments.repeats, lambda: pandas_version(columns)
    )
    agents = table.vocabulary("agent_id").tolist()
    check_agreement(measured, agents, numpy_result, frame_result)

    customer, topic = table["customer_id"], table["topic"]
    opened = table["opened_at"].view(np.int64)
    lexsort_time, _ = best_of(
        arguments.repeats, lambda: np.lexsort((opened, topic, customer))
    )
    cases_time, _ = best_of(
        arguments.repeats, lambda: derive_cases(table, timedelta(days=7))
    )
    table._cache.clear()
    tracemalloc.start()
    measure(table, catalogue, by=by)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(
        f"{len(table):,} conversations, {len(catalogue)} metrics, "
        f"{len(measured)} groups"
    )
    print("numbers agree: servicequality = numpy = pandas (numerators and counts)")
    print(f"pandas / measure: {pandas_time / ours_time:.2f}x")
    print(f"measure / hand-written numpy: {ours_time / numpy_time:.2f}x")
    print(f"np.lexsort / derive_cases: {lexsort_time / cases_time:.2f}x")
    print(
        f"peak traced memory of measure / input column bytes: {peak / input_bytes:.2f}"
    )


if __name__ == "__main__":
    main()
