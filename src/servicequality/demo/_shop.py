"""The example shop generator: vectorised, seeded, any size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from servicequality._columns import STRING
from servicequality._errors import ValidationError
from servicequality._model import (
    Agent,
    Channel,
    KnowledgeTest,
    RatingScale,
    Role,
    Sentiment,
)
from servicequality._table import ConversationTable

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "BOT_ID",
    "COMMENTS",
    "SHOP_TIMEZONE",
    "SUPERVISOR_ID",
    "TOPICS",
    "example_roster",
    "example_shop",
]

SHOP_TIMEZONE = timezone(timedelta(hours=8), "China Standard Time")
"""The shop's clock: UTC+08:00, like Asia/Shanghai (which has no DST)."""

BOT_ID = "bot"
"""Id of the shop's bot (智能客服)."""

SUPERVISOR_ID = "s01"
"""Id of the shop's supervisor (客服主管)."""

TOPICS = ("sizing", "color", "pricing", "shipping", "returns", "quality")
"""Product categories; the first three go to pre-sale, the rest to after-sale."""

_NAMES = (
    "Lin",
    "Chen",
    "Wang",
    "Zhao",
    "Liu",
    "Yang",
    "Huang",
    "Zhou",
    "Wu",
    "Xu",
    "Sun",
    "Ma",
)
_SKILL = np.array([0.9, 0.6, 0.3, 0.75, 0.1, 0.5, 0.8, 0.4, 0.95, 0.2, 0.65, 0.55])
"""Hidden skill of agents a01..a12 in 0..1: it drives ratings and resolution."""

COMMENTS = (
    "Very patient, thank you!",
    "Solved my problem in one go.",
    "Fast and friendly reply.",
    "Took too long to answer.",
    "The problem is still not solved.",
    "Answers felt copied and pasted.",
)
"""Rating comments: the first three are praise, the last three complaints."""

_HOUR_WEIGHTS = np.array(
    [2, 1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 6, 8, 8, 7, 6, 6, 6, 6, 6, 7, 9, 10, 10, 8, 5]
)
_CHANNELS = (Channel.CHAT, Channel.DM, Channel.COMMENT, Channel.EMAIL)
_CHANNEL_WEIGHTS = np.array([0.35, 0.35, 0.15, 0.15])
_TOPIC_WEIGHTS = np.array([0.2, 0.1, 0.1, 0.25, 0.2, 0.15])
_DIFFICULTY_WEIGHTS = np.array([0.6, 0.25, 0.12, 0.03])
_HANDLING_MINUTES = np.array([4.0, 12.0, 25.0, 60.0])


def example_roster() -> tuple[Agent, ...]:
    """The example shop's workers: a01-a06 pre-sale, a07-a12 after-sale, s01, bot."""
    humans = tuple(
        Agent(
            id=f"a{i + 1:02d}",
            role=Role.AGENT,
            name=name,
            team="presale" if i < 6 else "aftersale",
        )
        for i, name in enumerate(_NAMES)
    )
    return (
        *humans,
        Agent(id=SUPERVISOR_ID, role=Role.SUPERVISOR, name="Guo"),
        Agent(id=BOT_ID, role=Role.BOT, name="Xiaodian"),
    )


def _numbered(prefix: str, count: int) -> NDArray[Any]:
    digits = max(len(str(count - 1)), 6)
    numbers = np.strings.zfill(np.arange(count).astype(STRING), digits)
    return np.asarray(np.strings.add(prefix, numbers))


def _sigmoid(x: NDArray[Any]) -> NDArray[Any]:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def example_shop(  # noqa: PLR0915  # one generative story, read top to bottom
    conversations: int = 3_000,
    *,
    seed: int = 7,
    year: int = 2025,
    month: int = 11,
    rating_scale: RatingScale = RatingScale.THREE_LEVEL,
) -> ConversationTable:
    """A month of the example shop, built with ``ConversationTable.from_arrays``.

    The same arguments always give the same table. About 30 % of chat and
    DM conversations are answered by the bot, a third of those handed over
    to a human; about 8 % of conversations are follow-ups of an earlier one
    (email follow-ups share a ``case_id``); ratings come back from roughly
    a third of conversations; 5 % are quality-reviewed; every
    human agent takes one knowledge test in the month.

    Args:
        conversations: Number of conversations, 1 to 50 million.
        seed: Seed of the random generator.
        year: Year of the month to generate.
        month: Month to generate, 1 to 12, in :data:`SHOP_TIMEZONE`.
        rating_scale: ``RatingScale.THREE_LEVEL`` (a Douyin-style shop, the
            default) or ``RatingScale.FIVE_STAR`` (an Instagram-style store);
            every other column is the same for both.

    Raises:
        ValidationError: for a size, month or rating scale out of range.
    """
    if not 1 <= conversations <= 50_000_000:
        raise ValidationError(
            "example_shop", "conversations", conversations, "must be 1 to 50,000,000"
        )
    if not 1 <= month <= 12:
        raise ValidationError("example_shop", "month", month, "must be 1 to 12")
    if rating_scale not in (RatingScale.THREE_LEVEL, RatingScale.FIVE_STAR):
        raise ValidationError(
            "example_shop",
            "rating_scale",
            rating_scale,
            "must be RatingScale.THREE_LEVEL or RatingScale.FIVE_STAR",
        )
    rng = np.random.default_rng(seed)
    n = conversations
    roster = example_roster()
    agent_ids = np.array([a.id for a in roster], dtype=STRING)
    bot, supervisor = len(roster) - 1, len(roster) - 2

    start = datetime(year, month, 1, tzinfo=SHOP_TIMEZONE)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SHOP_TIMEZONE)
    days = (end - start).days
    local_hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    seconds = (
        rng.integers(0, days, size=n) * 86_400
        + local_hour * 3_600
        + rng.integers(0, 3_600, size=n)
    )
    origin = np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "us")
    opened = origin + (seconds * 1_000_000).astype("timedelta64[us]")

    channel = rng.choice(4, size=n, p=_CHANNEL_WEIGHTS)
    topic = rng.choice(len(TOPICS), size=n, p=_TOPIC_WEIGHTS)
    difficulty = rng.choice(4, size=n, p=_DIFFICULTY_WEIGHTS)
    difficulty = np.where(
        (topic >= 4) & (difficulty == 0),
        rng.choice([0, 2], size=n, p=[0.8, 0.2]),
        difficulty,
    )
    human = np.where(topic < 3, rng.integers(0, 6, size=n), rng.integers(6, 12, size=n))

    live = (channel <= 1) & (difficulty == 0)
    by_bot = live & (rng.random(n) < 0.5)
    handed = by_bot & (rng.random(n) < 0.35)
    crisis_to_supervisor = (difficulty == 3) & (rng.random(n) < 0.2)
    agent = np.where(by_bot, bot, np.where(crisis_to_supervisor, supervisor, human))
    transferred = np.where(handed, human, -1)
    handler = np.where(handed, human, agent)
    skill = np.where(handler < 12, _SKILL[np.minimum(handler, 11)], 0.6)

    night = (local_hour < 8) | (local_hour >= 23)
    response_s = rng.lognormal(np.log(50.0), 0.9, size=n) * np.where(night, 4.0, 1.0)
    response_s = np.where(agent == bot, rng.uniform(1, 8, size=n), response_s)
    response_s = np.where(handed, response_s + 30, response_s)
    no_reply = rng.random(n) < 0.01
    handling_s = rng.lognormal(np.log(_HANDLING_MINUTES[difficulty] * 60), 0.6)
    still_open = rng.random(n) < 0.01
    first_response = opened + (response_s * 1e6).astype("timedelta64[us]")
    closed = first_response + (handling_s * 1e6).astype("timedelta64[us]")
    first_response = np.where(no_reply, np.datetime64("NaT"), first_response)
    closed = np.where(still_open, np.datetime64("NaT"), closed)

    resolve_p = np.array([0.9, 0.75, 0.6, 0.5])[difficulty] * (0.75 + 0.3 * skill)
    resolved = (rng.random(n) < resolve_p) & ~still_open
    escalated = np.where(
        difficulty >= 2,
        rng.random(n) < np.where(difficulty == 3, 0.6, 0.25),
        rng.random(n) < 0.01,
    )
    escalated &= agent != supervisor

    customer = rng.integers(0, max(1, int(n * 0.8)), size=n)
    follow_up = rng.random(n) < 0.08
    follow_up[0] = False
    origin_row = rng.integers(0, n, size=n)
    origin_row = np.where(follow_up[origin_row], 0, origin_row)
    follow_up &= origin_row != np.arange(n)
    source = np.where(follow_up, origin_row, np.arange(n))
    customer, topic, channel = customer[source], topic[source], channel[source]
    delay = (rng.uniform(1, 96, size=n) * 3.6e9).astype("timedelta64[us]")
    shift = np.where(
        follow_up, opened[source] + delay - opened, np.timedelta64(0, "us")
    )
    opened, first_response, closed = (
        opened + shift,
        first_response + shift,
        closed + shift,
    )
    came_back = np.zeros(n, dtype=bool)
    came_back[origin_row[follow_up]] = True
    resolved &= ~(came_back & (rng.random(n) < 0.8))
    case = np.where(channel[source] == 3, source, -1)
    case_sources, case_code = np.unique(case[case >= 0], return_inverse=True)
    case_id = np.full(n, -1, dtype=np.int64)
    case_id[case >= 0] = case_code.reshape(-1)

    sentiment_start = np.where(
        difficulty >= 2,
        np.where(rng.random(n) < 0.8, 0, 1),
        np.where(rng.random(n) < 0.15, 0, 1),
    )
    sentiment_end = np.where(
        resolved,
        np.where(rng.random(n) < 0.6, 2, 1),
        np.where(rng.random(n) < 0.7, 0, 1),
    )
    assessed = rng.random(n) < 0.7
    sentiment_start = np.where(assessed, sentiment_start, -1)
    sentiment_end = np.where(assessed, sentiment_end, -1)

    invited = rng.random(n) < np.where(agent == bot, 0.5, 0.75)
    rated = ~still_open & (rng.random(n) < np.where(invited, 0.45, 0.08))
    slow = response_s > 180
    mood = (
        1.6
        + 1.2 * skill
        - 1.6 * ~resolved
        - 0.5 * (difficulty >= 2)
        - 0.7 * slow
        - 0.5 * night
    )
    roll = rng.random(n)
    p_satisfied = _sigmoid(mood)
    satisfied = roll < p_satisfied
    unhappy = (roll - p_satisfied) / (1 - p_satisfied)
    if rating_scale == RatingScale.FIVE_STAR:
        score = np.where(
            satisfied,
            np.where(roll < p_satisfied**2, 5, 4),
            np.where(unhappy < 0.5, 3, np.where(unhappy < 0.75, 2, 1)),
        )
    else:
        score = np.where(satisfied, 3, np.where(unhappy < 0.5, 2, 1))
    comment = np.where(
        satisfied, rng.integers(0, 3, size=n), rng.integers(3, 6, size=n)
    )
    comment = np.where(rated & (rng.random(n) < 0.3), comment, -1)
    rated_at = closed + (rng.uniform(5, 600, size=n) * 1e6).astype("timedelta64[us]")

    reviewed = (handler < 12) & (rng.random(n) < 0.05)
    empathy = np.clip(np.rint(1 + 4 * skill + rng.normal(0, 0.8, size=n)), 1, 5)

    tests = tuple(
        KnowledgeTest(
            agent_id=a.id,
            taken_at=(start + timedelta(days=14, hours=10)),
            score=float(np.clip(np.rint(60 + 38 * s + rng.normal(0, 4)), 0, 100)),
            max_score=100.0,
        )
        for a, s in zip(roster[:12], _SKILL, strict=True)
    )

    return ConversationTable.from_arrays(
        conversation_id=np.arange(n, dtype=np.int64),
        conversation_ids=_numbered("C", n),
        agent_id=agent.astype(np.int32),
        agent_ids=agent_ids,
        customer_id=customer.astype(np.int64),
        customer_ids=_numbered("U", max(1, int(n * 0.8))),
        opened_at=opened,
        closed_at=closed,
        first_response_at=first_response,
        channel=np.array([c.code for c in _CHANNELS], dtype=np.int8)[channel],
        topic=topic.astype(np.int32),
        topics=np.array(TOPICS, dtype=STRING),
        difficulty=difficulty.astype(np.int8),
        resolved=resolved,
        escalated=escalated,
        case_id=case_id,
        case_ids=_numbered("K", len(case_sources)),
        transferred_to=transferred.astype(np.int32),
        rating_invited=invited,
        sentiment_start=np.array([-1, *(s.code for s in Sentiment)], dtype=np.int8)[
            sentiment_start + 1
        ],
        sentiment_end=np.array([-1, *(s.code for s in Sentiment)], dtype=np.int8)[
            sentiment_end + 1
        ],
        rating_scale=np.where(rated, 0, -1).astype(np.int8),
        rating_scales=(rating_scale,),
        rating_score=score.astype(np.int8),
        rated_at=rated_at,
        rating_comment=comment.astype(np.int32),
        rating_comments=np.array(COMMENTS, dtype=STRING),
        reviewer_id=np.where(reviewed, 0, -1).astype(np.int32),
        reviewer_ids=np.array([SUPERVISOR_ID], dtype=STRING),
        review_accurate=reviewed & (rng.random(n) < 0.7 + 0.28 * skill),
        review_script_compliant=reviewed & (rng.random(n) < 0.65 + 0.3 * skill),
        review_empathy=np.where(reviewed, empathy, 0).astype(np.int8),
        agents=roster,
        knowledge_tests=tests,
    )
