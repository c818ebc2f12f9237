"""The engine: columnar results, shared counts, threads, travel, declarations."""

import contextlib
import copy
import pickle
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicequality import (
    ConversationTable,
    Daily,
    DayOfWeek,
    HourOfDay,
    Measurements,
    Monthly,
    RatingScale,
    UnknownKeyError,
    Weekly,
    WrongTypeError,
    measure,
)
from servicequality import metrics as sqm
from servicequality._engine import _grouping
from servicequality._engine._grouping import Groups
from servicequality.demo import SHOP_TIMEZONE, example_shop

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def shop():
    return example_shop(1_500, seed=3)


CONVERSATION_METRICS = [
    m for m in sqm.standard_catalogue() if m.reads == "conversations"
]


def states(result):
    return {name: result.state(name) for name in result.metric_names}


class TestColumnarResults:
    def test_keys_come_sorted_labels_then_time(self, shop):
        """Groups are in key order: agent ids alphabetically, periods in time order."""
        result = measure(shop, ["rating_rate"], by=("agent", Weekly(tz=SHOP_TIMEZONE)))
        keys = list(result.keys)
        assert keys == sorted(keys, key=lambda k: (k[0], k[1].start))
        assert len(set(keys)) == len(keys)

    def test_key_codes_index_their_labels(self, shop):
        """labels[codes[i]] is group i's label, for every key."""
        result = measure(shop, ["rating_rate"], by=("agent", Monthly(tz=SHOP_TIMEZONE)))
        for position, name in enumerate(result.key_names):
            codes, labels = result.key_codes(name)
            assert [labels[c] for c in codes] == [k[position] for k in result.keys]
            assert result.key_column(name) == tuple(labels[c] for c in codes)

    def test_get_finds_every_group_and_refuses_unknown_ones(self, shop):
        """get is a lookup: each key finds its own row; others are LookupErrors."""
        result = measure(shop, ["rating_rate"], by=("agent", "channel"))
        numerators = result.column("rating_rate", "numerator")
        for row, (agent, channel) in enumerate(result.keys):
            cell = result.get("rating_rate", agent=agent, channel=channel)
            assert cell.numerator == numerators[row]
        with pytest.raises(UnknownKeyError) as raised:
            result.get("rating_rate", agent="nobody", channel=result.keys[0][1])
        assert isinstance(raised.value, LookupError)
        with pytest.raises(LookupError):
            result.get("no_such_metric", agent="a01", channel=result.keys[0][1])

    def test_constructor_sorts_label_tuples(self):
        """Groups given by label tuples in any order come out in key order."""
        metric = sqm.conversation_count()
        result = Measurements(
            key_names=("agent",),
            keys=[("b",), ("a",), ("c",)],
            metrics=[metric],
            states={metric.name: np.array([[2.0, 2.0], [1.0, 1.0], [3.0, 3.0]])},
        )
        assert result.keys == (("a",), ("b",), ("c",))
        assert result.column("conversation_count").tolist() == [1.0, 2.0, 3.0]

    def test_state_parts_are_named(self, shop):
        """state_part reads a named column of the state, as the metric declares."""
        result = measure(shop, ["satisfaction_rate", "mean_rating"], by="agent")
        assert np.array_equal(
            result.state_part("satisfaction_rate", "denominator"),
            result.column("satisfaction_rate", "denominator"),
        )
        assert np.array_equal(
            result.state_part("mean_rating", "n"), result.column("mean_rating", "n")
        )
        with pytest.raises(UnknownKeyError):
            result.state_part("mean_rating", "numerator")

    def test_to_pandas_has_integer_counts_and_period_labels(self, shop):
        """n is an integer column; period_labels gives '2025-11'-style text."""
        result = measure(shop, ["rating_rate"], by=("agent", Monthly(tz=SHOP_TIMEZONE)))
        frame = result.to_pandas(period_labels=True)
        assert frame["n"].dtype == np.int64
        assert frame["n"].tolist() == result.column("rating_rate", "n").tolist()
        expected = [f"{k[1].start.year}-{k[1].start.month:02d}" for k in result.keys]
        assert frame["period"].tolist() == expected
        plain = result.to_pandas()
        assert plain["period"].tolist() == [k[1] for k in result.keys]

    def test_merge_recodes_labels_of_both_sides(self, shop):
        """Merging results over different agents equals measuring both tables."""
        agents = shop.vocabulary("agent_id")
        first = shop.filter(np.isin(shop["agent_id"], [0, 1, 2]))
        rest = shop.filter(~np.isin(shop["agent_id"], [0, 1, 2]))
        metrics = ["rating_rate", "conversation_count", "mean_rating"]
        merged = measure(rest, metrics, by="agent").merge(
            measure(first, metrics, by="agent")
        )
        whole = measure(shop, metrics, by="agent")
        assert merged.keys == whole.keys
        assert {k[0] for k in merged.keys} <= set(agents.tolist())
        for name in metrics:
            assert np.allclose(merged.state(name), whole.state(name), rtol=1e-12)

    def test_merge_adds_groups_both_sides_hold(self, shop):
        """Two halves split by time share agents and weeks: their states add up."""
        opened = shop["opened_at"]
        middle = np.sort(opened)[len(opened) // 2]
        early, late = shop.filter(opened < middle), shop.filter(opened >= middle)
        metrics = ["rating_rate", "conversation_count", "mean_rating"]
        by = ("agent", Monthly(tz=SHOP_TIMEZONE))
        merged = measure(early, metrics, by=by).merge(measure(late, metrics, by=by))
        whole = measure(shop, metrics, by=by)
        shared = set(measure(early, metrics, by=by).keys) & set(
            measure(late, metrics, by=by).keys
        )
        assert shared
        assert merged.keys == whole.keys
        for name in metrics:
            assert np.allclose(merged.state(name), whole.state(name), rtol=1e-12)


class TestSharedCounts:
    def test_one_mask_object_is_counted_once(self):
        """count_where remembers a mask by identity within a Groups."""
        tasks = []

        class Tracking(ThreadPoolExecutor):
            def submit(self, function, /, *args, **kwargs):
                tasks.append(function.__name__)
                return super().submit(function, *args, **kwargs)

        with Tracking(2) as pool:
            groups = Groups(np.array([1, 2, 2, 0, 1]), 2, pool=pool)
            mask = np.array([True, True, False, True, True])
            assert groups.count_where(mask).tolist() == [2.0, 1.0]
            assert groups.count_where(mask).tolist() == [2.0, 1.0]
            assert tasks == ["_total"]
            other = mask.copy()
            groups.announce([mask, other, ~mask, other])
            assert groups.count_where(other).tolist() == [2.0, 1.0]
            assert groups.count_where(~mask).tolist() == [0.0, 1.0]
            assert tasks == ["_total", "_counts", "_total"]

    @settings(max_examples=60, deadline=None)
    @given(
        data=st.data(),
        rows=st.integers(0, 300),
        count=st.integers(0, 12),
        masks=st.integers(1, 19),
    )
    def test_packed_counts_equal_one_count_per_mask(self, data, rows, count, masks):
        """Masks counted several to a pass give each mask's own bincount."""
        seed = data.draw(st.integers(0, 2**32 - 1))
        rng = np.random.default_rng(seed)
        crowded = data.draw(st.booleans())
        shifted = (
            np.full(rows, min(count, 1), dtype=np.intp)
            if crowded
            else rng.integers(0, count + 1, rows).astype(np.intp)
        )
        arrays = [rng.random(rows) < rng.random() for _ in range(masks)]
        arrays.append(rng.normal(size=rows))
        groups = Groups(shifted, count)
        groups.prefetch(arrays)
        for array in arrays:
            expected = np.bincount(shifted, weights=array, minlength=count + 1)[1:]
            assert np.array_equal(groups.sum(array), expected)

    def test_masks_per_pass_fit_the_largest_group_in_a_float(self):
        """Fields are as wide as the largest group; wider than 26 bits: one."""
        assert _grouping.masks_per_pass(0) == 8
        assert _grouping.masks_per_pass(255) == 6
        assert _grouping.masks_per_pass(256) == 5
        assert _grouping.masks_per_pass(2**26 - 1) == 2
        assert _grouping.masks_per_pass(2**26) == 1

    def test_metrics_sharing_masks_equal_metrics_measured_alone(self, shop):
        """Shared masks change nothing: each metric equals its own measurement."""
        together = measure(shop, CONVERSATION_METRICS, by=("agent", "channel"))
        for metric in CONVERSATION_METRICS[::3]:
            alone = measure(shop, [metric], by=("agent", "channel"))
            rows = [together.keys.index(k) for k in alone.keys]
            assert np.array_equal(
                together.state(metric.name)[rows], alone.state(metric.name)
            )


class TestThreads:
    @settings(max_examples=5, deadline=None)
    @given(threads=st.integers(2, 8))
    def test_threads_give_the_same_bits(self, shop, threads):
        """Any number of threads gives bit-identical states (one task per sum)."""
        by = ("agent", Weekly(tz=SHOP_TIMEZONE))
        with parallel_from(0):
            one = measure(shop, CONVERSATION_METRICS, by=by, threads=1)
            many = measure(shop, CONVERSATION_METRICS, by=by, threads=threads)
        assert one.keys == many.keys
        for name in one.metric_names:
            assert one.state(name).tobytes() == many.state(name).tobytes()

    @settings(max_examples=8, deadline=None)
    @given(block=st.integers(1, 600), dense=st.booleans())
    def test_blocks_of_rows_change_nothing(self, shop, block, dense):
        """Group numbers built in blocks on threads give the same results."""
        by = (
            ("agent", "topic", "channel", "difficulty", Daily(tz=SHANGHAI))
            if dense
            else ("agent", Weekly(tz=SHOP_TIMEZONE))
        )
        whole = measure(shop, CONVERSATION_METRICS, by=by, threads=1)
        original = _grouping.BLOCK
        _grouping.BLOCK = block
        try:
            with parallel_from(0):
                blocked = measure(shop, CONVERSATION_METRICS, by=by, threads=2)
        finally:
            _grouping.BLOCK = original
        assert blocked.keys == whole.keys
        for name in whole.metric_names:
            assert blocked.state(name).tobytes() == whole.state(name).tobytes()

    def test_threads_must_be_a_positive_whole_number(self, shop):
        """threads=0 and threads='2' are refused."""
        with pytest.raises(ValueError, match="at least 1"):
            measure(shop, ["rating_rate"], threads=0)
        with pytest.raises(WrongTypeError):
            measure(shop, ["rating_rate"], threads="2")


@contextlib.contextmanager
def parallel_from(rows):
    original = _grouping.PARALLEL_ROWS
    _grouping.PARALLEL_ROWS = rows
    try:
        yield
    finally:
        _grouping.PARALLEL_ROWS = original


class TestTravel:
    def test_tables_and_results_pickle_and_deep_copy(self, shop):
        """Tables and measurements (with their metrics) pickle to equal objects."""
        result = measure(
            shop, CONVERSATION_METRICS, by=("agent", Weekly(tz=SHOP_TIMEZONE))
        )
        for value in (shop, result):
            assert pickle.loads(pickle.dumps(value)) == value
            assert copy.deepcopy(value) == value
        back = pickle.loads(pickle.dumps(result))
        row = back.keys[0]
        assert back.rows("rating_rate", agent=row[0], period=row[1]).ids == (
            result.rows("rating_rate", agent=row[0], period=row[1]).ids
        )

    def test_tables_and_results_are_read_only(self, shop):
        """Neither a table nor its measurements take new values after construction."""
        result = measure(shop, ["rating_rate"], by="agent")
        for value, slot in ((shop, "_columns"), (result, "_states")):
            with pytest.raises(AttributeError):
                setattr(value, slot, {})
            with pytest.raises(AttributeError):
                delattr(value, slot)
        assert result.keys == measure(shop, ["rating_rate"], by="agent").keys

    def test_table_records_repr_counts_instead_of_dumping(self, shop):
        """The records of a whole shop print as one line of counts."""
        records = shop.to_records()
        text = repr(records)
        assert text.startswith("<TableRecords: ")
        assert f"{len(records.conversations)} conversations" in text
        assert len(text) < 200

    def test_every_catalogue_metric_pickles_to_an_equal_metric(self):
        """Built-in metrics hold no closures: they pickle and compare by value."""
        for metric in sqm.standard_catalogue():
            assert pickle.loads(pickle.dumps(metric)) == metric


class TestDeclarations:
    def test_case_metrics_declare_their_history_need(self):
        """Exactly the case-based metrics need a customer's whole history."""
        needing = {m.name for m in sqm.standard_catalogue() if m.needs_history}
        assert needing == {"first_contact_resolution", "repeat_inquiry_rate"}

    def test_parts_name_every_state_column(self, shop):
        """Every metric names each column of its state."""
        result = measure(shop, sqm.standard_catalogue())
        for metric in sqm.standard_catalogue():
            assert (
                len(metric.parts) == metric.width == result.state(metric.name).shape[1]
            )

    def test_rates_take_the_jeffreys_interval_on_request(self, shop):
        """interval='jeffreys' changes the bounds, never the value."""
        wilson = sqm.satisfaction_rate()
        jeffreys = sqm.RateMetric(
            name="satisfaction_jeffreys",
            numerator=wilson.numerator,
            denominator=wilson.denominator,
            interval="jeffreys",
        )
        result = measure(shop, [wilson, jeffreys], by="agent")
        assert np.array_equal(
            result.column("satisfaction_rate"),
            result.column("satisfaction_jeffreys"),
            equal_nan=True,
        )
        assert not np.allclose(
            result.column("satisfaction_rate", "low"),
            result.column("satisfaction_jeffreys", "low"),
            equal_nan=True,
        )

    def test_the_call_can_choose_the_share_interval(self, shop):
        """measure(interval='jeffreys') equals Jeffreys metrics; means keep t."""
        metrics = ["satisfaction_rate", "mean_rating"]
        called = measure(shop, metrics, by="agent", interval="jeffreys")
        own = measure(
            shop,
            [
                sqm.RateMetric(
                    **{**attrs_fields(sqm.satisfaction_rate()), "interval": "jeffreys"}
                ),
                "mean_rating",
            ],
            by="agent",
        )
        for name in metrics:
            for field in ("low", "high"):
                assert np.array_equal(
                    called.column(name, field), own.column(name, field), equal_nan=True
                )
        assert called.metric("satisfaction_rate").interval == "jeffreys"
        assert called.metric("mean_rating").interval == "t"
        with pytest.raises(ValueError, match="interval"):
            measure(shop, metrics, interval="exact")


def attrs_fields(metric):
    import attrs

    return {f.name: getattr(metric, f.name) for f in attrs.fields(type(metric))}


def test_hour_of_day_groups_count_the_local_hours(shop):
    """HourOfDay keys are the local hours 0–23, each with its own conversations."""
    result = measure(
        shop,
        [sqm.conversation_count(include_bots=True)],
        by=HourOfDay(tz=SHOP_TIMEZONE),
    )
    local = [
        instant.astimezone(SHOP_TIMEZONE).hour
        for instant in (c.opened_at for c in shop.to_records().conversations)
    ]
    expected = {hour: local.count(hour) for hour in sorted(set(local))}
    counts = result.column("conversation_count").tolist()
    assert dict(zip((k[0] for k in result.keys), counts, strict=True)) == expected


class TestDailyAndDayOfWeek:
    """Daily periods and weekday buckets group like any other calendar."""

    @staticmethod
    def local_opened(shop):
        return [
            (c.transferred_to or c.agent_id, c.opened_at.astimezone(SHOP_TIMEZONE))
            for c in shop.to_records().conversations
        ]

    def test_weekday_groups_count_the_local_weekdays(self, shop):
        """Bucket d holds every conversation opened on local ISO weekday d."""
        result = measure(
            shop,
            [sqm.conversation_count(include_bots=True)],
            by=DayOfWeek(tz=SHOP_TIMEZONE),
        )
        weekdays = [opened.isoweekday() for _, opened in self.local_opened(shop)]
        expected = {d: weekdays.count(d) for d in sorted(set(weekdays))}
        counts = result.column("conversation_count").tolist()
        assert result.key_names == ("weekday",)
        assert dict(zip((k[0] for k in result.keys), counts, strict=True)) == expected

    def test_agent_by_day_counts_and_labels(self, shop):
        """(agent, local day) groups count their conversations; labels are ISO days."""
        result = measure(
            shop,
            [sqm.conversation_count(include_bots=True)],
            by=("agent", Daily(tz=SHOP_TIMEZONE)),
        )
        pairs = [(agent, opened.date()) for agent, opened in self.local_opened(shop)]
        expected = {p: pairs.count(p) for p in set(pairs)}
        got = {
            (agent, day.start.date()): count
            for (agent, day), count in zip(
                result.keys, result.column("conversation_count").tolist(), strict=True
            )
        }
        assert got == expected
        frame = result.to_pandas(period_labels=True)
        first_agent, first_day = min(expected)
        assert frame["period"].iloc[0] == first_day.isoformat()
        assert frame["agent"].iloc[0] == first_agent

    def test_merged_weekdays_stay_monday_first(self, shop):
        """Merging halves keeps the buckets in weekday order and adds their counts."""
        clock = DayOfWeek(tz=SHOP_TIMEZONE)
        half = np.arange(len(shop)) < len(shop) // 2
        parts = [
            measure(shop.filter(mask), ["rating_rate"], by=clock)
            for mask in (half, ~half)
        ]
        merged = parts[0].merge(parts[1])
        whole = measure(shop, ["rating_rate"], by=clock)
        assert merged.keys == whole.keys == tuple((d,) for d in range(1, 8))
        assert (merged.state("rating_rate") == whole.state("rating_rate")).all()

    def test_trend_plot_draws_one_point_per_day(self, shop):
        """metric_trend takes daily periods like weekly ones: a point per day."""
        plt = pytest.importorskip("matplotlib.pyplot")
        from servicequality.plot import metric_trend

        daily = measure(shop, ["rating_rate"], by=Daily(tz=SHOP_TIMEZONE))
        figure = metric_trend(daily, "rating_rate")
        (line,) = figure.axes[0].get_lines()
        plt.close(figure)
        assert (
            len(line.get_xdata())
            == len(daily)
            == len({opened.date() for _, opened in self.local_opened(shop)})
        )

    def test_dask_path_groups_by_day_and_weekday(self, shop):
        """servicequality.dask.measure by Daily and DayOfWeek equals measure."""
        dask = pytest.importorskip("dask")
        dd = pytest.importorskip("dask.dataframe")
        import servicequality.dask as sqd

        frame = dd.from_pandas(shop.to_pandas(), npartitions=3)
        for by in (("agent", Daily(tz=SHOP_TIMEZONE)), DayOfWeek(tz=SHOP_TIMEZONE)):
            with dask.config.set(scheduler="synchronous"):
                distributed = sqd.measure(
                    frame,
                    ["rating_rate", "first_response_time"],
                    by=by,
                    rating_scale=RatingScale.THREE_LEVEL,
                    agents=shop.agents,
                )
            single = measure(shop, ["rating_rate", "first_response_time"], by=by)
            assert distributed.keys == single.keys
            for name in single.metric_names:
                np.testing.assert_allclose(
                    distributed.state(name), single.state(name), rtol=1e-12
                )


def test_empty_table_measures_no_groups(shop):
    """An empty table gives no groups by a dimension and one empty whole-table group."""
    empty = ConversationTable.concat([shop.filter(np.zeros(len(shop), dtype=bool))])
    assert len(measure(empty, ["rating_rate"], by="agent")) == 0
    whole = measure(empty, ["rating_rate"])
    assert len(whole) == 1
    assert whole.get("rating_rate").n == 0
