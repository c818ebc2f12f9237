"""Reply metrics from message events: every customer wait, not only the first.

A *wait* starts at a customer message that follows a staff message (or
opens the conversation's messages) and ends at the next staff message, its
*reply*; further customer messages in between do not restart it (as
Chatwoot's ``waiting_since``). A wait still open at the end of a closed
conversation is *unanswered* and lasts until closing; one at the end of an
open conversation is pending and not counted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs
import numpy as np

from servicequality import _validators as v
from servicequality._errors import ValidationError
from servicequality._hours import checked
from servicequality._messages import Sender, message_rows
from servicequality.metrics._base import (
    Interval,
    MeanMetric,
    MetricValues,
    Part,
    QuantileMetric,
    RateMetric,
    bucket_of,
    check_part,
    check_window,
    histogram_state,
)
from servicequality.metrics._common import every, population_of, positive_timedelta

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from servicequality._engine._grouping import Groups
    from servicequality._hours import ServiceHours
    from servicequality._table import ConversationTable

__all__ = [
    "ReplyMetric",
    "Waits",
    "longest_customer_wait",
    "replied_within",
    "reply_time",
    "waits_of",
]

ReplyStatistic = Literal["mean", "median", "p90", "max", "share"]
_QUANTILES = {"median": 0.5, "p90": 0.9, "max": 1.0}
_INTERVALS: dict[str, tuple[Interval, ...]] = {
    "mean": ("t",),
    "median": ("rank",),
    "p90": ("rank",),
    "max": ("rank",),
    "share": ("wilson", "jeffreys"),
}


@attrs.frozen(kw_only=True, eq=False)
class Waits:
    """Every customer wait of a table's messages (one entry per wait).

    Attributes:
        row: The table row of the wait's conversation.
        start: When the wait started (``datetime64[us]`` UTC).
        end: The reply, the closing of an unanswered wait, NaT if pending.
        replier: :class:`Sender` code of the reply; -1 if unanswered.
    """

    row: NDArray[np.intp]
    start: NDArray[np.datetime64]
    end: NDArray[np.datetime64]
    replier: NDArray[np.int8]


def _derive_waits(table: ConversationTable) -> Waits:
    messages = table.messages
    if messages is None or len(messages) == 0:
        empty = np.zeros(0, dtype="datetime64[us]")
        return Waits(
            row=np.zeros(0, np.intp),
            start=empty,
            end=empty,
            replier=np.zeros(0, np.int8),
        )
    rows = message_rows(table)
    sender, sent = messages["sender"], messages["sent_at"]
    conversation = messages["conversation_id"]
    customer = sender == Sender.CUSTOMER.code
    first = np.ones(len(sent), dtype=bool)
    first[1:] = conversation[1:] != conversation[:-1]
    previous_customer = np.zeros(len(sent), dtype=bool)
    previous_customer[1:] = customer[:-1]
    begins = customer & (first | ~previous_customer)
    started_at = np.maximum.accumulate(np.where(begins, np.arange(len(sent)), 0))
    reply = ~customer & ~first & previous_customer
    last = np.ones(len(sent), dtype=bool)
    last[:-1] = first[1:]
    unanswered = customer & last
    at = np.flatnonzero(reply | unanswered)
    answered = reply[at]
    starts = started_at[np.where(answered, at - 1, at)]
    closed = table["closed_at"][rows[at]]
    return Waits(
        row=rows[at],
        start=sent[starts],
        end=np.where(answered, sent[at], closed),
        replier=np.where(answered, sender[at], -1).astype(np.int8),
    )


def waits_of(table: ConversationTable) -> Waits:
    """The customer waits of ``table``'s attached messages (cached with the table).

    No messages: no waits.
    """
    waits: Waits = table.derived(("messages", "waits"), lambda: _derive_waits(table))
    return waits


def _optional_limit(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        positive_timedelta(value, type(instance).__name__, attribute.name)


def _finite(seconds: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(np.isnan(seconds), 0.0, seconds)


@attrs.frozen(kw_only=True)
class ReplyMetric:
    """A metric over customer waits from message events.

    Each wait is one observation; it adds to the group of its conversation
    (the agent the conversation counts for, its period, topic…), so replies
    group by every ``by=`` that conversations do. The state has the width of
    the matching shape: (n, sum, sum of squares) for a mean, (n, histogram
    buckets) for a median, p90 or maximum (within
    :data:`~servicequality.metrics.QUANTILE_RELATIVE_ERROR`, about 2 %, from
    0.1 s to 1e8 s), (numerator, denominator) for a share. A table without
    messages has no waits: every group has ``n`` 0.

    Attributes:
        name: Stable metric name.
        statistic: ``"mean"``, ``"median"``, ``"p90"``, ``"max"`` (seconds)
            or ``"share"`` (waits answered within ``limit``).
        limit: The longest wait that counts as answered in time (shares).
        unanswered: Count unanswered waits of closed conversations (until
            closing for times, as misses for shares).
        include_bots: Count bot replies and bot-handled conversations too;
            by default only human replies in conversations humans count for.
        clock: Measure waits in business time on these service hours.
        service_window: Count only waits that started inside these hours.
        confidence: Confidence level of the interval (0.95).
        interval: The interval: ``"wilson"`` (default) or ``"jeffreys"``
            for shares, ``"t"`` for means, ``"rank"`` for quantiles.
        description: One sentence for people.
    """

    reads: ClassVar[Literal["conversations"]] = "conversations"
    needs_history: ClassVar[bool] = False
    name: str = attrs.field(validator=v.python_name)
    statistic: ReplyStatistic = attrs.field(
        validator=v.one_of("mean", "median", "p90", "max", "share")
    )
    limit: timedelta | None = attrs.field(default=None, validator=_optional_limit)
    unanswered: bool = attrs.field(default=False, validator=v.boolean)
    include_bots: bool = attrs.field(default=False, validator=v.boolean)
    clock: ServiceHours | None = attrs.field(default=None, validator=check_window)
    service_window: ServiceHours | None = attrs.field(
        default=None, validator=check_window
    )
    confidence: float = attrs.field(default=0.95, validator=v.probability)
    interval: Interval = attrs.field(
        default=attrs.Factory(
            lambda self: _INTERVALS.get(self.statistic, ("t",))[0], takes_self=True
        ),
        validator=v.one_of("wilson", "jeffreys", "t", "rank"),
    )
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if (self.statistic == "share") != (self.limit is not None):
            v.fail(
                self, "limit", self.limit, "is required for shares and only for them"
            )
        allowed = _INTERVALS[self.statistic]
        if self.interval not in allowed:
            v.fail(self, "interval", self.interval, f"must be one of {allowed} here")

    @property
    def population(self) -> Literal["humans", "all"]:
        """``"all"`` with ``include_bots``, else ``"humans"``."""
        return population_of(self.include_bots)

    @property
    def unit(self) -> str:
        """``"share"`` or ``"seconds"``."""
        return "share" if self.statistic == "share" else "seconds"

    @property
    def higher_is_better(self) -> bool:
        """Shares: higher is better; waits: lower is."""
        return self.statistic == "share"

    def _shape(self) -> MeanMetric | QuantileMetric | RateMetric:
        if self.statistic == "mean":
            return MeanMetric(
                name=self.name, values=every, where=every, confidence=self.confidence
            )
        if self.statistic == "share":
            return RateMetric(
                name=self.name,
                numerator=every,
                denominator=every,
                confidence=self.confidence,
                interval=self.interval,  # type: ignore[arg-type]
            )
        return QuantileMetric(
            name=self.name,
            values=every,
            where=every,
            q=_QUANTILES[self.statistic],
            confidence=self.confidence,
        )

    @property
    def width(self) -> int:
        """Sums per group: that of the matching shape."""
        return self._shape().width

    @property
    def parts(self) -> tuple[str, ...]:
        """Names of the sums: those of the matching shape."""
        return self._shape().parts

    def _observed(
        self, table: ConversationTable
    ) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.bool_]]:
        """Counted waits: conversation row, seconds, within the limit."""
        waits = waits_of(table)
        human = waits.replier == Sender.AGENT.code
        answered = waits.replier >= 0
        counted = (answered if self.include_bots else human) | (
            ~answered & ~np.isnat(waits.end) & self.unanswered
        )
        if self.service_window is not None:
            counted &= self.service_window.contains(waits.start)
        start, end = waits.start[counted], waits.end[counted]
        if self.clock is None:
            seconds = (end - start) / np.timedelta64(1, "s")
        else:
            seconds = self.clock.business_seconds(start, end)
        seconds = np.asarray(seconds, dtype=np.float64)
        within = answered[counted]
        if self.limit is not None:
            within &= seconds <= self.limit / timedelta(seconds=1)
        return waits.row[counted], seconds, within

    def counted(
        self, table: ConversationTable, part: Part = "denominator"
    ) -> NDArray[np.bool_]:
        """Conversations with a counted wait (``"numerator"``: one in time)."""
        check_part(self.name, part)
        rows, _, within = self._observed(table)
        if part == "numerator" and self.statistic == "share":
            rows = rows[within]
        mask = np.zeros(len(table), dtype=bool)
        mask[rows] = True
        return mask

    def accumulate(
        self, table: ConversationTable, groups: Groups
    ) -> NDArray[np.float64]:
        """Per-group sums of the counted waits of each group's conversations."""
        rows, seconds, within = self._observed(table)
        group = groups.index[rows]
        keep = group >= 0
        group, seconds, within = group[keep], _finite(seconds[keep]), within[keep]

        def total(weights: NDArray[Any] | None) -> NDArray[np.float64]:
            return np.bincount(group, weights=weights, minlength=groups.count).astype(
                np.float64
            )

        if self.statistic == "share":
            return np.column_stack([total(within.astype(np.float64)), total(None)])
        if self.statistic == "mean":
            return np.column_stack(
                [total(None), total(seconds), total(seconds * seconds)]
            )
        return histogram_state(group, bucket_of(seconds), groups.count)

    def finalize(self, state: NDArray[np.float64]) -> MetricValues:
        """Values, counts and intervals from the matching shape."""
        return self._shape().finalize(state)


def reply_time(
    *,
    statistic: Literal["mean", "median", "p90"] = "mean",
    include_bots: bool = False,
    clock: ServiceHours | None = None,
) -> ReplyMetric:
    """平均响应时长: seconds from a customer's wait starting to its reply.

    Every reply counts, not only the first (Chatwoot's reply time, Douyin's
    average response time). Unanswered waits are left out (see
    :func:`replied_within` and :func:`longest_customer_wait`, which count
    them). ``"median"`` and ``"p90"`` come from the log-spaced histogram,
    within about 2 % of the exact order statistic.
    """
    if not isinstance(statistic, str) or statistic not in ("mean", "median", "p90"):
        raise ValidationError(
            "reply_time", "statistic", statistic, "must be 'mean', 'median' or 'p90'"
        )
    return ReplyMetric(
        name="reply_time",
        statistic=statistic,
        include_bots=include_bots,
        clock=checked("reply_time", "clock", clock),
        description="Seconds from a customer's message to the reply."
        + (f" Business time: {clock}." if clock else ""),
    )


def replied_within(
    limit: timedelta = timedelta(minutes=3),
    *,
    include_bots: bool = False,
    clock: ServiceHours | None = None,
    service_window: ServiceHours | None = None,
    name: str = "replied_within",
) -> ReplyMetric:
    """Waits answered within ``limit`` / waits (3分钟回复率, counted per reply).

    An unanswered wait of a closed conversation counts as a miss; one of an
    open conversation is pending and not counted.

    Args:
        limit: The longest wait that counts as answered in time.
        include_bots: Also count bot replies and bot-handled conversations.
        clock: Measure waits in business time on these service hours.
        service_window: Count only waits that started inside these hours
            (Douyin: 08:00–23:00).
        name: The metric name (``sla_hit_rate`` names its next-reply target).
    """
    limit = positive_timedelta(limit, "replied_within", "limit")
    return ReplyMetric(
        name=name,
        statistic="share",
        limit=limit,
        unanswered=True,
        include_bots=include_bots,
        clock=checked("replied_within", "clock", clock),
        service_window=service_window,
        description=f"Customer waits answered within {limit}.",
    )


def longest_customer_wait(
    *, include_bots: bool = False, clock: ServiceHours | None = None
) -> ReplyMetric:
    """The longest customer wait in seconds, answered or not (lower is better).

    An unanswered wait of a closed conversation lasts until closing. The
    maximum comes from the histogram: within about 2 % of the true longest
    wait (for waits from 0.1 s to 1e8 s), so it merges by addition.
    """
    return ReplyMetric(
        name="longest_customer_wait",
        statistic="max",
        unanswered=True,
        include_bots=include_bots,
        clock=checked("longest_customer_wait", "clock", clock),
        description="The longest wait of a customer for a reply.",
    )
