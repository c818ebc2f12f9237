"""pandas and Arrow in and out, Accumulator merges, and Dask on a local cluster."""

import math
from decimal import Decimal

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from dask.distributed import Client, LocalCluster
from hypothesis import given, settings
from hypothesis import strategies as st

import servicequality.dask as sqd
from servicequality import (
    Accumulator,
    ConversationTable,
    Monthly,
    RatingScale,
    ValidationError,
    Weekly,
    measure,
)
from servicequality import metrics as sqm
from servicequality import strategies as sqst
from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.incentives import IncentivePlan, PerPoint
from servicequality.policy import classify, presets

THREE = RatingScale.THREE_LEVEL
CONVERSATION_METRICS = [
    m for m in sqm.standard_catalogue() if m.reads == "conversations"
]


@pytest.fixture(scope="module")
def shop():
    return example_shop(1500, seed=5)


@pytest.fixture(scope="module")
def frame(shop):
    return shop.to_pandas()


def same_states(a, b, *, rel=1e-9):
    """Equal keys; counts exactly equal, float sums within ``rel``."""
    assert a.keys == b.keys
    assert a.metric_names == b.metric_names
    for name in a.metric_names:
        left, right = a.state(name), b.state(name)
        assert left.shape == right.shape
        metric = a.metric(name)
        counts = (
            left.shape[1]
            if isinstance(metric, sqm.RateMetric | sqm.QuantileMetric)
            else 1  # means and sums: the count, then float sums
        )
        assert (left[:, :counts] == right[:, :counts]).all(), name
        assert np.allclose(left, right, rtol=rel, atol=0), name


class TestFromPandas:
    def test_round_trip_gives_the_same_conversations(self, shop, frame):
        back = ConversationTable.from_pandas(
            frame, rating_scale=THREE, agents=shop.agents
        )
        assert back.to_records().conversations == shop.to_records().conversations
        assert back.to_records().ratings == shop.to_records().ratings
        same_states(
            measure(shop, CONVERSATION_METRICS, by="agent"),
            measure(back, CONVERSATION_METRICS, by="agent"),
        )

    def test_a_number_and_a_string_id_that_read_alike_are_refused(self, shop, frame):
        """Agent 1 and agent "1" would become one agent: the load says so."""
        mixed = frame.iloc[:4].reset_index(drop=True)
        mixed["agent_id"] = pd.Series([1, "1", 2, 2], dtype=object)
        with pytest.raises(ValidationError, match="read as the same text"):
            ConversationTable.from_pandas(mixed, rating_scale=THREE)

    def test_repeated_ids_in_a_frame_are_rejected_not_merged(self, shop, frame):
        """Factorized ids skip the vocabulary sort, never the repeat check."""
        doubled = frame.iloc[[0, 1, 2, 1, 3]].reset_index(drop=True)
        table = ConversationTable.from_pandas(
            doubled, rating_scale=THREE, agents=shop.agents, errors="collect"
        )
        assert len(table) == 4
        assert [r.index for r in table.rejects] == [3]
        assert table.rejects[0].field == "conversation_id"
        assert "repeats the id" in table.rejects[0].reason

    def test_renamed_columns_integer_ids_and_other_zones(self, shop, frame):
        renamed = frame.rename(columns={"agent_id": "staff", "opened_at": "start"})
        renamed["start"] = renamed["start"].dt.tz_convert("America/New_York")
        renamed["customer_id"] = (
            renamed["customer_id"].str.slice(1).astype("int64")
        )  # "U000123" → 123
        renamed["staff"] = renamed["staff"].astype("category")
        table = ConversationTable.from_pandas(
            renamed,
            columns={"agent_id": "staff", "opened_at": "start"},
            rating_scale=THREE,
            agents=shop.agents,
        )
        assert (table["opened_at"] == shop["opened_at"]).all()
        assert table.vocabulary("customer_id")[table["customer_id"]][0] == str(
            int(frame["customer_id"][0][1:])
        )
        same_states(
            measure(shop, ["satisfaction_rate", "first_response_time"], by="agent"),
            measure(table, ["satisfaction_rate", "first_response_time"], by="agent"),
        )

    def test_minimal_frame_with_codes_and_strings(self):
        frame = pd.DataFrame(
            {
                "conversation_id": ["c1", "c2"],
                "agent_id": [7, 8],
                "customer_id": ["u1", "u2"],
                "opened_at": pd.to_datetime(
                    ["2025-11-03 09:00", "2025-11-03 10:00"]
                ).tz_localize("Asia/Shanghai"),
                "channel": ["chat", "dm"],
                "difficulty": [0, 1],
                "resolved": [True, False],
                "escalated": [False, False],
                "rating_invited": [True, True],
                "rating_score": pd.array([3, None], dtype="Int64"),
                "rated_at": pd.to_datetime(["2025-11-03 09:30", None]).tz_localize(
                    "Asia/Shanghai"
                ),
            }
        )
        table = ConversationTable.from_pandas(frame, rating_scale=THREE)
        assert len(table) == 2
        assert table.vocabulary("agent_id").tolist() == ["7", "8"]
        assert measure(table, "satisfaction_rate").get("satisfaction_rate").value == 1

    @pytest.mark.parametrize(
        ("change", "column", "rule"),
        [
            (lambda f: f.drop(columns="opened_at"), "opened_at", "is missing"),
            (
                lambda f: f.assign(opened_at=f["opened_at"].dt.tz_localize(None)),
                "opened_at",
                "timezone-aware",
            ),
            (
                lambda f: f.assign(
                    closed_at=f["closed_at"].dt.strftime("%Y-%m-%d %H:%M")
                ),
                "closed_at",
                "datetime",
            ),
            (lambda f: f.assign(resolved=1.5), "resolved", "booleans"),
            (lambda f: f.assign(channel="fax"), "channel", "must be one of"),
            (lambda f: f.assign(agent_id=0.5), "agent_id", "ids must be"),
            (
                lambda f: f.assign(
                    escalated=pd.array([None] * len(f), dtype="boolean")
                ),
                "escalated",
                "must not be missing",
            ),
        ],
    )
    def test_bad_frames_name_the_column(self, frame, change, column, rule):
        with pytest.raises(ValidationError, match=rule) as caught:
            ConversationTable.from_pandas(change(frame), rating_scale=THREE)
        assert caught.value.field == column

    def test_scores_need_a_scale_and_fields_must_exist(self, frame):
        with pytest.raises(ValidationError, match="RatingScale"):
            ConversationTable.from_pandas(frame)
        with pytest.raises(ValidationError, match="is not a field"):
            ConversationTable.from_pandas(frame, columns={"agent": "agent_id"})
        with pytest.raises(ValidationError, match="DataFrame"):
            ConversationTable.from_pandas(frame.to_dict(), rating_scale=THREE)

    def test_from_arrow(self, shop, frame):
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        table = ConversationTable.from_arrow(
            arrow, rating_scale=THREE, agents=shop.agents
        )
        assert table.to_records().conversations == shop.to_records().conversations
        with pytest.raises(ValidationError, match="pyarrow Table"):
            ConversationTable.from_arrow(frame, rating_scale=THREE)


class TestToPandas:
    def test_measurements_assessment_and_statement(self, shop):
        month = Monthly(tz=SHOP_TIMEZONE)
        measured = measure(
            shop, ["satisfaction_rate", "weighted_workload"], by=["agent", month]
        )
        frame = measured.to_pandas()
        assert len(frame) == len(measured) * 2
        assert list(frame.columns[:3]) == ["agent", "period", "metric"]
        row = frame[
            (frame.agent == "a01") & (frame.metric == "satisfaction_rate")
        ].iloc[0]
        assert (
            row["value"]
            == measured.get(
                "satisfaction_rate", agent="a01", period=row["period"]
            ).value
        )
        assessment = classify(measured, [presets.SATISFACTION])
        tiers = assessment.to_pandas()
        assert set(tiers["tier"]) <= {
            "excellent",
            "good",
            "warning",
            "insufficient_data",
        }
        period = month.period_of(shop.to_records().conversations[0].opened_at)
        statement = IncentivePlan(
            name="p", currency="CNY", rules=[PerPoint(name="points", rate="0.35")]
        ).apply(assessment, period)
        money = statement.to_pandas()
        assert all(isinstance(x, Decimal) for x in money["amount"])
        assert sum(money["amount"]) == statement.total_paid

    def test_empty_results_keep_their_columns(self):
        empty = measure(ConversationTable.from_records([]), "rating_rate", by="agent")
        frame = empty.to_pandas()
        assert len(frame) == 0
        assert "value" in frame.columns


ADDITIVE = [m for m in CONVERSATION_METRICS if not m.needs_history]


class TestAccumulatorMerges:
    @settings(max_examples=30, deadline=None)
    @given(
        sqst.tables(roster=True, scales=(THREE,)),
        st.integers(1, 5),
        st.randoms(use_true_random=False),
    )
    def test_any_split_grouping_and_order_equals_the_whole(self, table, pieces, rnd):
        """Rows dealt to workers in any way, merged in any order, equal measure."""
        customers = table["customer_id"]
        worker_of_customer = np.array(
            [
                rnd.randrange(pieces)
                for _ in range(len(table.vocabulary("customer_id")))
            ],
            dtype=np.int64,
        )
        worker = worker_of_customer[customers] if len(table) else np.array([], int)
        accumulators = []
        for w in range(pieces):
            accumulator = Accumulator(CONVERSATION_METRICS, by="agent")
            part = table.filter(worker == w)
            batches = np.array_split(np.arange(len(part)), rnd.randint(1, 3))
            for batch in batches:
                mask = np.zeros(len(part), dtype=bool)
                mask[batch] = True
                accumulator.update(part.filter(mask))
            accumulators.append(accumulator)
        rnd.shuffle(accumulators)
        while len(accumulators) > 1:
            i = rnd.randrange(len(accumulators) - 1)
            accumulators[i].merge(accumulators.pop(i + 1))
        merged = accumulators[0].result()
        whole = measure(table, CONVERSATION_METRICS, by="agent")
        additive = [m.name for m in ADDITIVE]
        kept = [k for k in whole.keys if k in set(merged.keys)]
        assert set(merged.keys) <= set(whole.keys)
        for key in kept:
            (agent,) = key
            for name in additive:
                a = whole.get(name, agent=agent)
                b = merged.get(name, agent=agent)
                assert a.n == b.n
                assert a.numerator == pytest.approx(b.numerator, rel=1e-9) or (
                    math.isnan(a.numerator) and math.isnan(b.numerator)
                )


@pytest.fixture(scope="module")
def cluster():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        Client(local) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """300 000 conversations, and a folder of 6 Parquet files holding them."""
    shop = example_shop(300_000, seed=2)
    folder = tmp_path_factory.mktemp("parquet")
    frame = shop.to_pandas()
    for number, rows in enumerate(np.array_split(np.arange(len(frame)), 6)):
        frame.iloc[rows].to_parquet(folder / f"part-{number}.parquet", index=False)
    return shop, folder


class TestDask:
    def test_equals_single_process_on_300k_rows(self, cluster, big):
        """The whole catalogue by agent and week: case metrics shuffle by customer."""
        shop, folder = big
        by = ["agent", Weekly(tz=SHOP_TIMEZONE)]
        ddf = dd.read_parquet(folder)
        assert ddf.npartitions == 6
        distributed = sqd.measure(
            ddf,
            CONVERSATION_METRICS,
            by=by,
            rating_scale=THREE,
            agents=shop.agents,
            split_every=3,
        )
        single = measure(shop, CONVERSATION_METRICS, by=by)
        same_states(single, distributed)
        assert distributed.agent_roles == single.agent_roles
        first = dict(zip(single.key_names, single.keys[0], strict=True))
        fcr = distributed.get("first_contact_resolution", **first)
        expected = single.get("first_contact_resolution", **first)
        assert (fcr.n, fcr.numerator) == (expected.n, expected.numerator)

    def test_renamed_columns_and_no_shuffle_for_additive_metrics(self, cluster, big):
        shop, folder = big
        ddf = dd.read_parquet(folder).rename(columns={"customer_id": "buyer"})
        distributed = sqd.measure(
            ddf,
            ["satisfaction_rate", "first_response_time", "repeat_inquiry_rate"],
            by="channel",
            columns={"customer_id": "buyer"},
            rating_scale=THREE,
            agents=shop.agents,
        )
        single = measure(
            shop,
            ["satisfaction_rate", "first_response_time", "repeat_inquiry_rate"],
            by="channel",
        )
        same_states(single, distributed)

    def test_refusals(self, frame):
        with pytest.raises(ValidationError, match="Dask DataFrame"):
            sqd.measure(frame, "rating_rate")
        ddf = dd.from_pandas(frame.head(10), npartitions=1)
        with pytest.raises(ValidationError, match="knowledge tests"):
            sqd.measure(ddf, "knowledge_score", rating_scale=THREE)
        with pytest.raises(ValidationError, match="split_every"):
            sqd.measure(ddf, "rating_rate", rating_scale=THREE, split_every=1)

    def test_drill_down_is_refused_on_distributed_results(self, cluster, frame):
        ddf = dd.from_pandas(frame, npartitions=2)
        result = sqd.measure(ddf, "rating_rate", by="agent", rating_scale=THREE)
        with pytest.raises(ValidationError, match="needs the measured table"):
            result.rows("rating_rate", agent="a01")
