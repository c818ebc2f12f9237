"""Twelve metrics by agent × week: measure against numpy, pandas, polars, DuckDB.

Every contender starts from the same raw columns, handed over before timing:
- ``measure`` from its ``ConversationTable`` (derived facts dropped before
  every run, so they are recomputed);
- hand-written numpy (``np.bincount``) from the numpy arrays;
- idiomatic pandas (derived columns, ``groupby().sum()``) from a DataFrame;
- polars (``POLARS_MAX_THREADS=2``, lazy ``group_by().agg()``) from a polars
  DataFrame;
- DuckDB SQL (``SET threads=2``, ``GROUP BY``) over an Arrow table.

The metrics are those every contender computes exactly: satisfaction_rate,
dissatisfaction_rate, rating_rate, response_rate, escalation_rate,
resolution_rate, reply_accuracy, script_compliance, responded_within (3
minutes), first_response_time (mean), mean_rating and conversation_count,
for human handlers (a bot's own conversations are left out, a handed-over
conversation counts for the human who took it). Weeks start on Monday in
UTC+08:00.

Times are the best of ``--repeats`` interleaved runs (round-robin over the
contenders). Every contender's numerator and count of every metric is
checked against the numpy one on every group (counts exactly, sums within
1e-9 relative); a group on one side only is an error. Prints ratios of the
same run, the peak traced memory of ``measure`` against the bytes of the
table's columns, and at ``--size shop`` the latency of ``measure`` in ms.

Run: python benchmarks/measure_at_scale.py [--size shop|scale] [--rows N]
[--agents N] [--weeks N] [--order time|shuffled] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os

os.environ["POLARS_MAX_THREADS"] = "2"  # before polars is imported

import _data
import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
from _timing import forget_derived, interleaved, peak_traced

from servicequality import Role, measure

METRICS = {
    # name: (quantity in the numerator, quantity in n)
    "satisfaction_rate": ("satisfied", "rated"),
    "dissatisfaction_rate": ("dissatisfied", "rated"),
    "rating_rate": ("rated", "rows"),
    "response_rate": ("rated_invited", "invited"),
    "escalation_rate": ("escalated", "rows"),
    "resolution_rate": ("resolved", "rows"),
    "reply_accuracy": ("accurate", "reviewed"),
    "script_compliance": ("compliant", "reviewed"),
    "responded_within": ("within", "rows"),
    "first_response_time": ("wait_seconds", "replied"),
    "mean_rating": ("score", "rated"),
    "conversation_count": ("rows", "rows"),
}
SUMS = ("wait_seconds", "score")
"""Quantities that are sums of values (checked to 1e-9); the others are counts."""
QUANTITIES = tuple(dict.fromkeys(q for pair in METRICS.values() for q in pair))
FRAME_COLUMNS = (
    "agent_id",
    "transferred_to",
    "opened_at",
    "first_response_at",
    "rating_scale",
    "rating_score",
    "rating_invited",
    "escalated",
    "resolved",
    "reviewer_id",
    "review_accurate",
    "review_script_compliant",
)
SATISFIED = _data.SCALE.satisfied_from
DISSATISFIED = _data.SCALE.dissatisfied_to
LIMIT_US = 180 * 1_000_000
DAY_US = 86_400 * 1_000_000
OFFSET_US = _data.OFFSET_HOURS * 3_600 * 1_000_000
EPOCH = dt.date(1970, 1, 1)


def numpy_contender(c: dict) -> dict:
    """Hand-written numpy: derived masks, one ``np.bincount`` per quantity."""
    handed = c["transferred_to"]
    handler = np.where(handed >= 0, handed, c["agent_id"])
    local_day = (c["opened_at"].view(np.int64) + OFFSET_US) // DAY_US
    monday = local_day - (local_day + 3) % 7
    low = monday.min()
    week = (monday - low) // 7
    weeks = int(week.max()) + 1
    size = len(c["is_bot"]) * weeks
    group = handler * weeks + week
    group[c["is_bot"][handler]] = size  # one spare bin for the bots' own rows

    def count(mask):
        return np.bincount(group[mask], minlength=size + 1)[:size]

    def total(values):
        return np.bincount(group, values, minlength=size + 1)[:size]

    rated = c["rating_scale"] >= 0
    reviewed = c["reviewer_id"] >= 0
    replied = ~np.isnat(c["first_response_at"])
    wait = (c["first_response_at"] - c["opened_at"]).view(np.int64)
    out = {
        "rows": np.bincount(group, minlength=size + 1)[:size],
        "rated": count(rated),
        "satisfied": count(rated & (c["rating_score"] >= SATISFIED)),
        "dissatisfied": count(rated & (c["rating_score"] <= DISSATISFIED)),
        "invited": count(c["rating_invited"]),
        "rated_invited": count(rated & c["rating_invited"]),
        "escalated": count(c["escalated"]),
        "resolved": count(c["resolved"]),
        "reviewed": count(reviewed),
        "accurate": count(reviewed & c["review_accurate"]),
        "compliant": count(reviewed & c["review_script_compliant"]),
        "within": count(replied & (wait <= LIMIT_US)),
        "replied": count(replied),
        "wait_seconds": total(np.where(replied, wait / 1e6, 0.0)),
        "score": total(np.where(rated, c["rating_score"], 0).astype(np.float64)),
    }
    present = np.flatnonzero(out["rows"])
    return {
        "agent": present // weeks,
        "day": low + 7 * (present % weeks),
        **{name: values[present] for name, values in out.items()},
    }


def pandas_contender(frame: pd.DataFrame, bots: list[int]) -> pd.DataFrame:
    """Idiomatic pandas: derived columns, then ``groupby().sum()``."""
    handler = frame["transferred_to"].where(
        frame["transferred_to"] >= 0, frame["agent_id"]
    )
    local = frame["opened_at"] + pd.Timedelta(hours=_data.OFFSET_HOURS)
    wait = frame["first_response_at"] - frame["opened_at"]
    rated = frame["rating_scale"] >= 0
    reviewed = frame["reviewer_id"] >= 0
    facts = pd.DataFrame(
        {
            "handler": handler,
            "week": local.dt.normalize()
            - pd.to_timedelta(local.dt.day_of_week, unit="D"),
            "rows": 1,
            "rated": rated,
            "satisfied": rated & (frame["rating_score"] >= SATISFIED),
            "dissatisfied": rated & (frame["rating_score"] <= DISSATISFIED),
            "invited": frame["rating_invited"],
            "rated_invited": rated & frame["rating_invited"],
            "escalated": frame["escalated"],
            "resolved": frame["resolved"],
            "reviewed": reviewed,
            "accurate": reviewed & frame["review_accurate"],
            "compliant": reviewed & frame["review_script_compliant"],
            "within": wait <= pd.Timedelta(minutes=3),
            "replied": wait.notna(),
            "wait_seconds": wait.dt.total_seconds(),
            "score": frame["rating_score"].where(rated, 0),
        }
    )
    return facts[~handler.isin(bots)].groupby(["handler", "week"]).sum()


def polars_contender(frame: pl.DataFrame, bots: list[int]) -> pl.DataFrame:
    """polars: a lazy ``group_by().agg()`` of filtered sums."""
    wait = pl.col("first_response_at") - pl.col("opened_at")
    rated = pl.col("rating_scale") >= 0
    reviewed = pl.col("reviewer_id") >= 0
    handler = (
        pl.when(pl.col("transferred_to") >= 0)
        .then(pl.col("transferred_to"))
        .otherwise(pl.col("agent_id"))
    )
    local = pl.col("opened_at") + pl.duration(hours=_data.OFFSET_HOURS)
    return (
        frame.lazy()
        .with_columns(handler=handler)
        .filter(~pl.col("handler").is_in(bots))
        .group_by("handler", local.dt.truncate("1w").alias("week"))
        .agg(
            rows=pl.len(),
            rated=rated.sum(),
            satisfied=(rated & (pl.col("rating_score") >= SATISFIED)).sum(),
            dissatisfied=(rated & (pl.col("rating_score") <= DISSATISFIED)).sum(),
            invited=pl.col("rating_invited").sum(),
            rated_invited=(rated & pl.col("rating_invited")).sum(),
            escalated=pl.col("escalated").sum(),
            resolved=pl.col("resolved").sum(),
            reviewed=reviewed.sum(),
            accurate=(reviewed & pl.col("review_accurate")).sum(),
            compliant=(reviewed & pl.col("review_script_compliant")).sum(),
            within=(wait <= pl.duration(minutes=3)).sum(),
            replied=pl.col("first_response_at").count(),
            wait_seconds=(wait.dt.total_microseconds() / 1e6).sum(),
            score=pl.col("rating_score").filter(rated).sum(),
        )
        .collect()
    )


def duckdb_sql(bots: list[int]) -> str:
    """The DuckDB query over the table ``conversations``."""
    return f"""
    WITH facts AS (
        SELECT
            CASE WHEN transferred_to >= 0 THEN transferred_to ELSE agent_id END
                AS handler,
            date_trunc('week', opened_at + INTERVAL {_data.OFFSET_HOURS} HOUR)
                AS week,
            rating_scale >= 0 AS rated,
            reviewer_id >= 0 AS reviewed,
            date_diff('microsecond', opened_at, first_response_at) AS wait_us,
            *
        FROM conversations
    )
    SELECT
        handler,
        week,
        count(*) AS rows,
        count_if(rated) AS rated,
        count_if(rated AND rating_score >= {SATISFIED}) AS satisfied,
        count_if(rated AND rating_score <= {DISSATISFIED}) AS dissatisfied,
        count_if(rating_invited) AS invited,
        count_if(rated AND rating_invited) AS rated_invited,
        count_if(escalated) AS escalated,
        count_if(resolved) AS resolved,
        count_if(reviewed) AS reviewed,
        count_if(reviewed AND review_accurate) AS accurate,
        count_if(reviewed AND review_script_compliant) AS compliant,
        count_if(wait_us <= {LIMIT_US}) AS within,
        count(wait_us) AS replied,
        coalesce(sum(wait_us / 1e6), 0) AS wait_seconds,
        coalesce(sum(rating_score) FILTER (WHERE rated), 0) AS score
    FROM facts
    WHERE handler NOT IN ({", ".join(map(str, bots))})
    GROUP BY handler, week
    """


def days(weeks: object) -> np.ndarray:
    """Week starts (datetime-like values) as days since 1970-01-01."""
    starts = np.asarray(weeks, dtype="datetime64[us]")
    return starts.astype("datetime64[D]").astype(np.int64)


def library_quantities(measured, agent_ids) -> dict:
    """The numerators and counts of a ``measure`` result, by quantity."""
    position = {agent: code for code, agent in enumerate(agent_ids)}
    out = {
        "agent": np.array([position[a] for a in measured.key_column("agent")]),
        "day": np.array(
            [(p.start.date() - EPOCH).days for p in measured.key_column("period")]
        ),
    }
    for name, (numerator, n) in METRICS.items():
        out.setdefault(numerator, measured.column(name, "numerator"))
        out.setdefault(n, measured.column(name, "n"))
        assert np.array_equal(out[numerator], measured.column(name, "numerator")), name
        assert np.array_equal(out[n], measured.column(name, "n")), name
    return out


def frame_quantities(columns: dict) -> dict:
    """A contender's columns (handler, week, quantities) in the common shape."""
    return {
        "agent": np.asarray(columns["handler"], dtype=np.int64),
        "day": days(columns["week"]),
        **{q: np.asarray(columns[q], dtype=np.float64) for q in QUANTITIES},
    }


def check_same(expected: dict, got: dict, who: str) -> None:
    """Same groups, same counts, sums within 1e-9 relative; raise otherwise."""

    def ordered(result):
        key = result["agent"].astype(np.int64) * 1_000_000 + result["day"]
        order = np.argsort(key)
        return key[order], {q: np.asarray(result[q])[order] for q in QUANTITIES}

    keys, values = ordered(expected)
    their_keys, their_values = ordered(got)
    missing = np.setdiff1d(keys, their_keys)
    extra = np.setdiff1d(their_keys, keys)
    if len(missing) or len(extra) or len(keys) != len(their_keys):
        msg = (
            f"{who}: {len(missing)} groups missing (first {missing[:3]}), "
            f"{len(extra)} groups extra (first {extra[:3]}), as agent·1e6 + day"
        )
        raise AssertionError(msg)
    for q in QUANTITIES:
        a, b = values[q], their_values[q]
        same = np.allclose(a, b, rtol=1e-9, atol=0) if q in SUMS else (a == b).all()
        if not same:
            row = int(np.flatnonzero(~np.isclose(a, b, rtol=1e-9, atol=0))[0])
            msg = f"{who}: {q} differs for group {keys[row]}: {b[row]} != {a[row]}"
            raise AssertionError(msg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _data.add_size_options(parser)
    options = _data.parse_options(parser)
    arguments = _data.arguments_for(options)
    table = _data.table(arguments)
    del arguments
    metrics = list(METRICS)
    by = ("agent", _data.WEEK)
    roles = table.agent_roles
    bots = np.flatnonzero(roles == Role.BOT.code).tolist()
    raw = {name: table[name] for name in FRAME_COLUMNS}
    raw["is_bot"] = roles == Role.BOT.code
    frame = pd.DataFrame({name: raw[name] for name in FRAME_COLUMNS})
    arrow = pa.table({name: raw[name] for name in FRAME_COLUMNS})  # NaT: null
    polars_frame = pl.from_arrow(arrow)
    connection = duckdb.connect()
    connection.execute("SET threads=2")
    connection.register("conversations", arrow)
    query = duckdb_sql(bots)

    def ours():
        forget_derived(table)
        return measure(table, metrics, by=by)

    times, results = interleaved(
        {
            "measure": ours,
            "numpy": lambda: numpy_contender(raw),
            "pandas": lambda: pandas_contender(frame, bots),
            "polars": lambda: polars_contender(polars_frame, bots),
            "duckdb": lambda: connection.execute(query).fetchnumpy(),
        },
        options.repeats,
    )
    reference = results["numpy"]
    measured = results["measure"]
    check_same(
        reference, library_quantities(measured, table.vocabulary("agent_id")), "measure"
    )
    check_same(reference, frame_quantities(results["pandas"].reset_index()), "pandas")
    check_same(reference, frame_quantities(results["polars"].to_dict()), "polars")
    check_same(reference, frame_quantities(results["duckdb"]), "duckdb")
    input_bytes = sum(table[name].nbytes for name in table.column_names)
    peak = peak_traced(ours)

    print(_data.describe(options, table))
    print(
        f"{len(metrics)} metrics by agent x week, {len(measured):,} groups; "
        f"best of {options.repeats} interleaved; {os.cpu_count()} cores"
    )
    print("numbers agree on every group: measure = numpy = pandas = polars = duckdb")
    if options.size == "shop":
        print(f"measure latency: {times['measure'] * 1e3:.1f} ms")
    print(f"pandas / measure:            {times['pandas'] / times['measure']:6.2f}")
    print(f"measure / numpy:             {times['measure'] / times['numpy']:6.2f}")
    print(f"polars (2 threads) / measure:{times['polars'] / times['measure']:6.2f}")
    print(f"duckdb (2 threads) / measure:{times['duckdb'] / times['measure']:6.2f}")
    print(
        f"peak traced memory of measure / input column bytes: {peak / input_bytes:.2f}"
    )


if __name__ == "__main__":
    main()
