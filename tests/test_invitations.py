"""Invitation columns on records and tables, and the invitation report."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from servicequality import (
    Agent,
    Channel,
    Conversation,
    ConversationTable,
    Difficulty,
    RatingScale,
    Role,
    UnknownKeyError,
    ValidationError,
)
from servicequality.review import invitation_report

VARIANTS = ["long", "short"]
START = np.datetime64("2026-05-04T00:00", "us")


def invited_shop(seed, n=3_000, response=(0.3, 0.6)):
    """Conversations invited with one of two wordings, after a random delay.

    ``response`` is each variant's chance of a rating; satisfaction is 0.8
    whatever the variant; every tenth invitation has no sending time.
    """
    rng = np.random.default_rng(seed)
    opened = START + rng.integers(0, 7 * 86_400, n).astype("timedelta64[s]")
    closed = opened + rng.integers(60, 3_600, n).astype("timedelta64[s]")
    invited = rng.random(n) < 0.7
    variant = np.where(invited, rng.integers(0, 2, n), -1)
    delay = rng.choice([-30, 10, 600, 7_200, 100_000], n).astype("timedelta64[s]")
    sent = np.maximum(closed + delay, opened)
    sent = np.where(invited & (rng.random(n) > 0.1), sent, np.datetime64("NaT"))
    chance = np.where(variant == 1, response[1], response[0])
    rated = invited & (rng.random(n) < chance)
    return ConversationTable.from_arrays(
        conversation_id=np.arange(n),
        conversation_ids=[f"c{i}" for i in range(n)],
        agent_id=rng.integers(0, 3, n),
        agent_ids=["a0", "a1", "a2"],
        customer_id=np.arange(n),
        customer_ids=[f"u{i}" for i in range(n)],
        opened_at=opened,
        closed_at=closed,
        channel=np.zeros(n, dtype=np.int8),
        difficulty=np.zeros(n, dtype=np.int8),
        resolved=np.ones(n, dtype=bool),
        escalated=np.zeros(n, dtype=bool),
        rating_invited=invited,
        rating_scale=np.where(rated, 0, -1).astype(np.int8),
        rating_scales=(RatingScale.THREE_LEVEL,),
        rating_score=np.where(rng.random(n) < 0.8, 3, 1).astype(np.int8),
        invited_at=sent,
        invitation_variant=variant,
        invitation_variants=VARIANTS,
        agents=[Agent(id=a, role=Role.AGENT) for a in ("a0", "a1", "a2")],
    )


def oracle(table):
    """Invited rows with pandas-computed delay buckets, from the table's frame."""
    frame = table.to_pandas()
    frame = frame[frame["rating_invited"]].copy()
    frame["rated"] = frame["rating_score"].notna()
    frame["satisfied"] = frame["rating_score"] >= 3
    delay = frame["invited_at"] - frame["closed_at"]
    frame["bucket"] = pd.cut(
        delay.dt.total_seconds(),
        [-np.inf, 0, 300, 3_600, 86_400, np.inf],
        right=False,
        labels=["before closing", "0s–5m", "5m–1h", "1h–1d", "1d+"],
    ).astype(object)
    frame.loc[delay.isna(), "bucket"] = "unknown"
    return frame


class TestRecords:
    def test_round_trip(self):
        """Invitation time and variant survive records → table → records."""
        t0 = datetime(2026, 5, 1, tzinfo=UTC)
        record = Conversation(
            id="c1",
            agent_id="a",
            customer_id="u",
            opened_at=t0,
            closed_at=t0 + timedelta(minutes=5),
            channel=Channel.DM,
            difficulty=Difficulty.BASIC,
            resolved=True,
            escalated=False,
            rating_invited=True,
            invited_at=t0 + timedelta(minutes=6),
            invitation_variant="short",
        )
        table = ConversationTable.from_records([record])
        assert table.to_records().conversations == (record,)
        assert table.vocabulary("invitation_variant").tolist() == ["short"]

    def test_invited_before_opening_is_refused(self):
        """An invitation cannot precede the conversation."""
        t0 = datetime(2026, 5, 1, tzinfo=UTC)
        with pytest.raises(ValidationError, match="invited_at"):
            Conversation(
                id="c1",
                agent_id="a",
                customer_id="u",
                opened_at=t0,
                channel=Channel.DM,
                difficulty=Difficulty.BASIC,
                resolved=True,
                escalated=False,
                rating_invited=True,
                invited_at=t0 - timedelta(seconds=1),
            )

    def test_array_row_check(self):
        """The same rule rejects a row of arrays, naming it."""
        shop = invited_shop(1, n=20)
        frame = shop.to_pandas()
        frame.loc[3, "invited_at"] = frame.loc[3, "opened_at"] - pd.Timedelta("1s")
        with pytest.raises(ValidationError, match="invited_at"):
            ConversationTable.from_pandas(frame, rating_scale=RatingScale.THREE_LEVEL)


class TestReport:
    def test_matches_pandas(self):
        """Counts, rates and Fisher p-values equal a pandas + scipy computation."""
        table = invited_shop(2)
        report = invitation_report(table)
        frame = oracle(table)
        assert all(row.label is not None for row in report.rows)
        for row in report.rows:
            key = "invitation_variant" if row.dimension == "variant" else "bucket"
            group = frame[frame[key] == row.label]
            rest = frame[frame[key] != row.label]
            assert len(group) == row.invited
            assert group["rated"].sum() == row.rated
            assert group["satisfied"].sum() == row.satisfied
            assert group["rated"].mean() == pytest.approx(row.response_rate)
            _, p = scipy_stats.fisher_exact(
                [
                    [group["rated"].sum(), (~group["rated"]).sum()],
                    [rest["rated"].sum(), (~rest["rated"]).sum()],
                ]
            )
            assert p == pytest.approx(row.response_p, rel=1e-6)
        buckets = [r.label for r in report.rows if r.dimension == "delay"]
        assert buckets == [
            b
            for b in ["before closing", "0s–5m", "5m–1h", "1h–1d", "1d+", "unknown"]
            if (frame["bucket"] == b).any()
        ]

    def test_planted_wording_effect_is_found(self):
        """A wording twice as effective differs; satisfaction does not."""
        report = invitation_report(invited_shop(3))
        variants = {r.label: r for r in report.rows if r.dimension == "variant"}
        assert variants["short"].response_rate > variants["long"].response_rate
        assert variants["short"].response_q <= 0.05
        assert variants["short"].satisfaction_q > 0.05
        assert variants["short"] in report.differences

    def test_no_effect_no_wording_difference(self):
        """Equal wordings: the variant rows show no difference at 5 %."""
        report = invitation_report(invited_shop(4, response=(0.5, 0.5)))
        assert not [r for r in report.differences if r.dimension == "variant"]

    def test_counts_add_up(self):
        """Each dimension's groups partition the invited conversations."""
        table = invited_shop(5)
        report = invitation_report(table)
        invited = int(table["rating_invited"].sum())
        for dimension in ("variant", "delay"):
            rows = [r for r in report.rows if r.dimension == dimension]
            assert sum(r.invited for r in rows) == invited

    def test_records_frame_and_html(self):
        """Records, frame and notebook view show every row."""
        report = invitation_report(invited_shop(6, n=500))
        assert len(report.to_pandas()) == len(report.rows) == len(report.to_records())
        assert report._repr_html_().count("<tr>") == len(report.rows) + 1
        assert "InvitationReport" in repr(report)

    @pytest.mark.parametrize(
        "delays", [[], [timedelta(hours=1), timedelta(0)], [5], "1h"]
    )
    def test_bad_delays(self, delays):
        """Delays must be increasing timedeltas."""
        with pytest.raises(ValidationError, match="delays"):
            invitation_report(invited_shop(1, n=20), delays=delays)


def test_a_table_without_invitation_flags_is_refused():
    """Who was invited is the denominator: no column, no report (not zero rows)."""
    shop = invited_shop(3)
    frame = shop.to_pandas().drop(columns=["rating_invited"])
    table = ConversationTable.from_pandas(
        frame, rating_scale=shop.rating_scales[0], agents=shop.agents
    )
    with pytest.raises(UnknownKeyError, match="rating_invited"):
        invitation_report(table)
