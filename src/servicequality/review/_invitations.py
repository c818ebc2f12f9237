"""Rating invitations: response and satisfaction by wording and by delay."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality import _display, _results
from servicequality import _validators as v
from servicequality._engine._facts import Rows
from servicequality._errors import ValidationError
from servicequality._table import ConversationTable
from servicequality.stats import benjamini_hochberg, fisher_exact_test, wilson_interval

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = ["DEFAULT_DELAYS", "InvitationReport", "InvitationRow", "invitation_report"]

DEFAULT_DELAYS = (
    timedelta(0),
    timedelta(minutes=5),
    timedelta(hours=1),
    timedelta(days=1),
)
"""Bucket edges of the delay from closing to invitation: 0, 5 min, 1 h, 24 h."""


@attrs.frozen(kw_only=True)
class InvitationRow:
    """Invited conversations of one wording variant or one delay bucket.

    Attributes:
        dimension: ``"variant"`` or ``"delay"``.
        label: The variant id (``None``: no variant recorded) or the delay
            bucket (``"0s–5m"``, ``"before closing"``, ``"unknown"``…).
        invited: Invited conversations in the group.
        rated: Those that received a rating.
        response_rate: ``rated / invited`` (NaN without invitations).
        response_low: Lower bound of its 95 % Wilson interval.
        response_high: Upper bound of that interval.
        response_p: Two-sided Fisher exact test of the group's response rate
            against the other invited conversations of the same dimension.
        response_q: Benjamini–Hochberg adjusted over every test of the report.
        satisfied: Satisfied ratings among ``rated``.
        satisfaction: ``satisfied / rated`` (NaN without ratings).
        satisfaction_low: Lower bound of its 95 % Wilson interval.
        satisfaction_high: Upper bound of that interval.
        satisfaction_p: Two-sided Fisher exact test against the rest.
        satisfaction_q: Benjamini–Hochberg adjusted, as ``response_q``.
    """

    dimension: str
    label: Any
    invited: int
    rated: int
    response_rate: float
    response_low: float
    response_high: float
    response_p: float
    response_q: float
    satisfied: int
    satisfaction: float
    satisfaction_low: float
    satisfaction_high: float
    satisfaction_p: float
    satisfaction_q: float


@attrs.frozen(kw_only=True, repr=False)
class InvitationReport:
    """Response and satisfaction of invited conversations, by variant and delay.

    Attributes:
        rows: Variants first (in vocabulary order, no-variant last), then
            delay buckets from earliest to latest, then ``"unknown"``.
        delays: The bucket edges used.
        alpha: The false-discovery rate :attr:`differences` are held to.
    """

    rows: tuple[InvitationRow, ...]
    delays: tuple[timedelta, ...]
    alpha: float

    @property
    def differences(self) -> tuple[InvitationRow, ...]:
        """Rows whose response or satisfaction differs from the rest (q ≤ alpha)."""
        return tuple(
            r
            for r in self.rows
            if r.response_q <= self.alpha or r.satisfaction_q <= self.alpha
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per row."""
        return [attrs.asdict(r, recurse=False) for r in self.rows]

    def to_pandas(self) -> Any:
        """:meth:`to_records` as a pandas DataFrame (the ``pandas`` extra)."""
        columns = [f.name for f in attrs.fields(InvitationRow)]
        return _results.frame(self.to_records(), columns)

    def __repr__(self) -> str:
        return (
            f"<InvitationReport: {len(self.rows)} row(s), "
            f"{len(self.differences)} difference(s)>"
        )

    def __str__(self) -> str:
        lines = [
            f"{r.dimension} {_display.label(r.label)}: response "
            f"{_display.number(r.response_rate, 'share')} of {r.invited} "
            f"(q = {r.response_q:.2g}), satisfaction "
            f"{_display.number(r.satisfaction, 'share')} of {r.rated} "
            f"(q = {r.satisfaction_q:.2g})"
            for r in self.rows
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """One table: response and satisfaction with intervals and q-values."""

        def shade(q: float) -> str:
            return _display.WORST if q <= self.alpha else ""

        rows: list[list[_display.Cell]] = [
            [
                r.dimension,
                _display.label(r.label),
                str(r.invited),
                (
                    f"{_display.number(r.response_rate, 'share')} "
                    f"{_display.interval(r.response_low, r.response_high, 'share')}",
                    shade(r.response_q),
                ),
                str(r.rated),
                (
                    f"{_display.number(r.satisfaction, 'share')} "
                    + _display.interval(
                        r.satisfaction_low, r.satisfaction_high, "share"
                    ),
                    shade(r.satisfaction_q),
                ),
            ]
            for r in self.rows
        ]
        return _display.table(
            ["by", "group", "invited", "response", "rated", "satisfaction"],
            rows,
            caption=f"Invitations (FDR {self.alpha:g}; shaded: differs from the rest)",
            right=range(2, 6),
        )


def _delay_labels(delays: Sequence[timedelta]) -> list[str]:
    def short(d: timedelta) -> str:
        seconds = int(d.total_seconds())
        for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
            if seconds and seconds % size == 0:
                return f"{seconds // size}{unit}"
        return f"{seconds}s"

    first = (
        "before closing" if delays[0] == timedelta(0) else f"under {short(delays[0])}"
    )
    middle = [f"{short(a)}–{short(b)}" for a, b in itertools.pairwise(delays)]
    return [first, *middle, f"{short(delays[-1])}+"]


def _check_delays(delays: object) -> tuple[timedelta, ...]:
    chosen = tuple(v.sequence("invitation_report", "delays", delays))
    if not chosen or not all(isinstance(d, timedelta) for d in chosen):
        raise ValidationError(
            "invitation_report", "delays", delays, "must be one or more timedeltas"
        )
    if any(b <= a for a, b in itertools.pairwise(chosen)):
        raise ValidationError(
            "invitation_report", "delays", delays, "must be strictly increasing"
        )
    return chosen


def _groups(
    dimension: str,
    labels: Sequence[Any],
    codes: NDArray[np.intp],
    *,
    invited: NDArray[np.bool_],
    rated: NDArray[np.bool_],
    satisfied: NDArray[np.bool_],
) -> list[dict[str, Any]]:
    """Counts, rates, intervals and tests per label (codes index ``labels``)."""
    size = len(labels)
    n = np.bincount(codes[invited], minlength=size).astype(np.float64)
    r = np.bincount(codes[invited & rated], minlength=size).astype(np.float64)
    s = np.bincount(codes[invited & satisfied], minlength=size).astype(np.float64)
    response_low, response_high = wilson_interval(r, n)
    satisfaction_low, satisfaction_high = wilson_interval(s, r)
    response_p = fisher_exact_test(r, n, r.sum() - r, n.sum() - n)
    satisfaction_p = fisher_exact_test(s, r, s.sum() - s, r.sum() - r)
    with np.errstate(invalid="ignore", divide="ignore"):
        response = np.where(n > 0, r / n, np.nan)
        satisfaction = np.where(r > 0, s / r, np.nan)
    return [
        {
            "dimension": dimension,
            "label": labels[i],
            "invited": int(n[i]),
            "rated": int(r[i]),
            "response_rate": float(response[i]),
            "response_low": float(response_low[i]),
            "response_high": float(response_high[i]),
            "response_p": float(response_p[i]),
            "satisfied": int(s[i]),
            "satisfaction": float(satisfaction[i]),
            "satisfaction_low": float(satisfaction_low[i]),
            "satisfaction_high": float(satisfaction_high[i]),
            "satisfaction_p": float(satisfaction_p[i]),
        }
        for i in range(size)
        if n[i] > 0
    ]


def invitation_report(
    table: ConversationTable,
    *,
    delays: Sequence[timedelta] = DEFAULT_DELAYS,
    alpha: float = 0.05,
    include_bots: bool = False,
) -> InvitationReport:
    """Compare invitation wordings and delays on response and satisfaction.

    Reads the invited conversations (``rating_invited``). By
    ``invitation_variant``: each variant's response rate (rated / invited,
    as :func:`~servicequality.metrics.response_rate`) and satisfaction
    (satisfied / rated) against the other invited conversations, by a
    two-sided Fisher exact test. By delay (``invited_at - closed_at``,
    bucketed at ``delays``): the same per bucket; an invitation sent before
    closing is ``"before closing"``, one without a sending or closing time
    ``"unknown"``. The p-values of every test in the report are adjusted
    together by Benjamini–Hochberg.

    A difference between variants chosen at random (an A/B test) is an
    effect of the wording; a difference between delays may also come from
    which conversations get invited late, so read it as a lead, not a proof.

    Args:
        table: The conversations.
        delays: Increasing bucket edges (default 0, 5 min, 1 h, 24 h).
        alpha: The false-discovery rate for :attr:`InvitationReport.differences`.
        include_bots: Also read conversations a bot handled alone.

    Raises:
        ValidationError: for bad delays or ``alpha``.
        WrongTypeError: for a table of the wrong type.
        UnknownKeyError: for a table without ``rating_invited`` (who was
            invited is what every rate here divides by).
    """
    v.instance_of("invitation_report", "table", table, ConversationTable)
    edges = _check_delays(delays)
    if not 0 < v.number("invitation_report", "alpha", alpha) < 1:
        raise ValidationError("invitation_report", "alpha", alpha, "must be in (0, 1)")
    rows = Rows.of(table)
    invited = np.asarray(rows["rating_invited"], dtype=bool)
    if not v.flag("invitation_report", "include_bots", include_bots):
        invited = invited & ~rows.handled_by_bot
    variant = table["invitation_variant"].astype(np.intp)
    variants = [*table.vocabulary("invitation_variant").tolist(), None]
    variant_codes = np.where(variant >= 0, variant, len(variants) - 1)
    sent, closed = table["invited_at"], table["closed_at"]
    unknown = np.isnat(sent) | np.isnat(closed)
    delay = (sent.astype("datetime64[us]") - closed.astype("datetime64[us]")).astype(
        np.int64
    )
    bounds = np.array([int(d / timedelta(microseconds=1)) for d in edges])
    buckets = _delay_labels(edges)
    delay_codes = np.where(
        unknown, len(buckets), np.searchsorted(bounds, delay, side="right")
    ).astype(np.intp)
    counted = {"invited": invited, "rated": rows.rated, "satisfied": rows.satisfied}
    found = _groups("variant", variants, variant_codes, **counted) + _groups(
        "delay", [*buckets, "unknown"], delay_codes, **counted
    )
    q = benjamini_hochberg(
        [g["response_p"] for g in found] + [g["satisfaction_p"] for g in found]
    ).tolist()
    half = len(found)
    return InvitationReport(
        rows=tuple(
            InvitationRow(**g, response_q=q[i], satisfaction_q=q[half + i])
            for i, g in enumerate(found)
        ),
        delays=edges,
        alpha=alpha,
    )
