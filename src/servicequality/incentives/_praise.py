"""Recognition without money (S4 §3.2): best cases and praise that reaches people."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from servicequality._engine._facts import Rows
from servicequality._errors import UnknownKeyError, ValidationError
from servicequality._model import Difficulty, Role, Sentiment
from servicequality._periods import Calendar
from servicequality._results import Results
from servicequality._table import ConversationTable
from servicequality.incentives._development import (
    MIN_SAMPLE,
    NotRecognised,
    check_min_sample,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from servicequality._periods import Period

__all__ = [
    "BestCase",
    "Praise",
    "best_cases",
    "best_cases_excluded",
    "praise_digest",
]

BEST_CASE = "best case"


@attrs.frozen(kw_only=True)
class BestCase:
    """A conversation worth showing the team, and why it was picked.

    Attributes:
        period: The period it was picked for.
        conversation_id: The conversation.
        agent_id: The agent who handled it (after any hand-over).
        difficulty: Its difficulty.
        emotion_turned: The customer opened negative and closed neutral or
            positive.
        reason: One sentence: why this one.
    """

    period: Period
    conversation_id: str
    agent_id: str
    difficulty: Difficulty
    emotion_turned: bool
    reason: str


@attrs.frozen(kw_only=True)
class Praise:
    """The positive comments one agent's customers left in one period.

    Attributes:
        agent_id: The agent praised (after any hand-over).
        period: The period.
        comments: The customers' words, in the order the conversations opened.
        conversation_ids: The conversation of each comment.
    """

    agent_id: str
    period: Period
    comments: tuple[str, ...]
    conversation_ids: tuple[str, ...]


def _check(owner: str, table: object, calendar: object) -> None:
    if not isinstance(table, ConversationTable):
        raise ValidationError(owner, "table", table, "must be a ConversationTable")
    if not isinstance(calendar, Calendar):
        raise ValidationError(
            owner,
            "calendar",
            calendar,
            "must be a calendar (Daily, Weekly, Monthly, Quarterly or Yearly)",
        )


def _by_humans(rows: Rows) -> NDArray[np.bool_]:
    """Satisfied ratings of conversations that ended with a human."""
    return np.asarray(rows.satisfied & (rows.handler_role != Role.BOT.code))


def _required(owner: str, calendar: Calendar | None) -> Calendar:
    if calendar is None:
        rule = (
            "is required: give one in the shop's zone, e.g. Weekly(tz='Asia/Shanghai')"
        )
        raise ValidationError(owner, "calendar", None, rule)
    return calendar


def _samples(
    table: ConversationTable, rows: Rows, calendar: Calendar
) -> tuple[dict[tuple[Period, int], int], list[tuple[Period, int]]]:
    """Rated conversations per (period, human handler), by period then handler."""
    human = np.flatnonzero(rows.handler_role != Role.BOT.code)
    if not len(human):
        return {}, []
    codes, periods = calendar.assign(table["opened_at"][human])
    handler = rows.handler[human].astype(np.int64)
    size = int(handler.max()) + 1
    pairs, inverse = np.unique(
        codes.astype(np.int64) * size + handler, return_inverse=True
    )
    rated = np.bincount(
        inverse.reshape(-1), weights=np.asarray(rows.rated)[human], minlength=len(pairs)
    )
    counts = {
        (periods[pair // size], pair % size): int(n)
        for pair, n in zip(pairs.tolist(), rated.tolist(), strict=True)
    }
    return counts, list(counts)


def best_cases_excluded(
    table: ConversationTable,
    *,
    calendar: Calendar | None = None,
    min_sample: int = MIN_SAMPLE,
) -> tuple[NotRecognised, ...]:
    """The agents :func:`best_cases` did not consider in a period, and why.

    An agent's conversations are candidates in a period only when the agent
    handled at least ``min_sample`` rated conversations there.

    Returns:
        One per period and human agent below ``min_sample``, by period then
        agent id.

    Raises:
        ValidationError: for a bad table, a missing or bad calendar or
            ``min_sample``.
    """
    chosen = _required("best_cases_excluded", calendar)
    _check("best_cases_excluded", table, chosen)
    check_min_sample("best_cases_excluded", min_sample, ValidationError)
    counts, order = _samples(table, Rows.of(table), chosen)
    agents = table.vocabulary("agent_id")
    short = [
        NotRecognised(
            agent_id=str(agents[agent]),
            title=BEST_CASE,
            period=period,
            reason=(
                f"{counts[period, agent]} rated conversation(s) in "
                f"{period.label} < min_sample {min_sample}"
            ),
        )
        for period, agent in order
        if counts[period, agent] < min_sample
    ]
    return tuple(sorted(short, key=lambda n: (n.period, n.agent_id)))


def best_cases(
    table: ConversationTable,
    *,
    calendar: Calendar | None = None,
    per_period: int = 1,
    min_sample: int = MIN_SAMPLE,
) -> Results[BestCase]:
    """The hardest resolved, satisfied conversations of each period (S4 §3.2).

    Candidates are resolved conversations rated satisfied and handled by a
    human who handled at least ``min_sample`` rated conversations in the
    period (:func:`best_cases_excluded` lists the others, with the reason).
    They rank by difficulty (crisis first), then by a mood turned from
    negative to neutral or positive, then earliest opened, then conversation
    id, so the pick is deterministic.

    Args:
        table: The conversations.
        calendar: Periods by ``opened_at``, e.g. ``Weekly(tz="Asia/Shanghai")``;
            required (there is no default zone).
        per_period: Cases per period (at least 1); fewer where fewer qualify.
        min_sample: Fewest rated conversations of the agent in the period
            (default :data:`~servicequality.incentives.MIN_SAMPLE`, 30).

    Returns:
        Cases in time order, best first within a period; empty when nothing
        qualifies.

    Raises:
        ValidationError: for a bad table, calendar, ``per_period`` or
            ``min_sample``.
        UnknownKeyError: for a table without the ``difficulty`` column.
    """
    chosen = _required("best_cases", calendar)
    _check("best_cases", table, chosen)
    if (
        isinstance(per_period, bool)
        or not isinstance(per_period, int)
        or per_period < 1
    ):
        raise ValidationError(
            "best_cases", "per_period", per_period, "must be a whole number >= 1"
        )
    check_min_sample("best_cases", min_sample, ValidationError)
    if "difficulty" in table.absent_columns:
        raise UnknownKeyError(
            "best_cases",
            "table",
            "difficulty",
            "ranks cases by difficulty, which the table does not have; load that "
            "column, or pass defaults={'difficulty': ...} to the loader if one "
            "value really holds for every row",
        )
    rows = Rows.of(table)
    picked = np.flatnonzero(_by_humans(rows) & table["resolved"])
    if not len(picked):
        return Results()
    counts, _ = _samples(table, rows, chosen)
    codes, periods = chosen.assign(table["opened_at"][picked])
    enough = np.array(
        [
            counts[periods[code], agent] >= min_sample
            for code, agent in zip(
                codes.tolist(), rows.handler[picked].tolist(), strict=True
            )
        ],
        dtype=bool,
    )
    picked = picked[enough]
    if not len(picked):
        return Results()
    codes, periods = chosen.assign(table["opened_at"][picked])
    difficulty = table["difficulty"][picked].astype(np.int64)
    turned = (table["sentiment_start"][picked] == Sentiment.NEGATIVE.code) & (
        table["sentiment_end"][picked] >= Sentiment.NEUTRAL.code
    )
    order = np.lexsort(
        (
            table["conversation_id"][picked],
            table["opened_at"][picked],
            ~turned,
            -difficulty,
            codes,
        )
    )
    sizes = np.bincount(codes, minlength=len(periods))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    ids = table.vocabulary("conversation_id")
    agents = table.vocabulary("agent_id")
    cases = []
    for code, period in enumerate(periods):
        first = starts[code]
        for rank, at in enumerate(order[first : first + min(per_period, sizes[code])]):
            row = int(picked[at])
            level = Difficulty.from_code(int(difficulty[at]))
            mood = (
                f"; the customer's mood turned from negative to "
                f"{Sentiment.from_code(int(table['sentiment_end'][row]))}"
                if turned[at]
                else ""
            )
            cases.append(
                BestCase(
                    period=period,
                    conversation_id=str(ids[table["conversation_id"][row]]),
                    agent_id=str(agents[rows.handler[row]]),
                    difficulty=level,
                    emotion_turned=bool(turned[at]),
                    reason=(
                        f"#{rank + 1} of {sizes[code]} resolved, satisfied "
                        f"conversations in {period.label}: a {level} case"
                        f"{mood}"
                    ),
                )
            )
    return Results(cases)


def praise_digest(
    table: ConversationTable, *, calendar: Calendar | None = None
) -> Results[Praise]:
    """Each agent's positive rating comments per period, so praise reaches them.

    A comment counts when its rating is satisfied and the conversation ended
    with a human (the agent after any hand-over); bots get no digest.

    Args:
        table: The conversations.
        calendar: Periods by ``opened_at``, e.g. ``Weekly(tz="Asia/Shanghai")``;
            required (there is no default zone).

    Returns:
        One digest per period and agent with at least one such comment, by
        period then agent id; empty when there is none.

    Raises:
        ValidationError: for a bad table or calendar.
    """
    chosen = _required("praise_digest", calendar)
    _check("praise_digest", table, chosen)
    rows = Rows.of(table)
    picked = np.flatnonzero(_by_humans(rows) & (table["rating_comment"] >= 0))
    if not len(picked):
        return Results()
    codes, periods = chosen.assign(table["opened_at"][picked])
    handler = rows.handler[picked]
    order = np.lexsort(
        (table["conversation_id"][picked], table["opened_at"][picked], handler, codes)
    )
    ids = table.vocabulary("conversation_id")
    comments = table.vocabulary("rating_comment")
    agents = table.vocabulary("agent_id")
    groups: dict[tuple[int, int], list[Any]] = {}
    for at in order.tolist():
        row = int(picked[at])
        groups.setdefault((int(codes[at]), int(handler[at])), []).append(row)
    return Results(
        Praise(
            agent_id=str(agents[agent]),
            period=periods[code],
            comments=tuple(str(comments[table["rating_comment"][r]]) for r in members),
            conversation_ids=tuple(
                str(ids[table["conversation_id"][r]]) for r in members
            ),
        )
        for (code, agent), members in groups.items()
    )
