"""The example shop generator: vectorised, seeded, any size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from servicequality._columns import STRING
from servicequality._errors import ValidationError, WrongTypeError
from servicequality._messages import MessageTable
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
_RUSH_HOURS = (20, 21, 22)
"""The evening rush: the shop is short-staffed, replies are slow and customers
less satisfied, worst at weekends (the hot spot the reviews should find)."""
_CHERRY_PICKER = 4
"""Position of a05, who invites only customers whose problem was solved."""
_SUPERVISOR, _BOT = 12, 13
"""Positions of the supervisor and the bot in :func:`example_roster`."""
_DAY = 86_400


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


def _customer_count(conversations: int) -> int:
    return max(1, int(conversations * 0.8))


def _check_arguments(
    conversations: int, year: int, month: int, rating_scale: RatingScale
) -> None:
    for field, value, low, high in (
        ("conversations", conversations, 1, 50_000_000),
        ("year", year, 1900, 9998),
        ("month", month, 1, 12),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise WrongTypeError("example_shop", field, value, "must be an int")
        if not low <= value <= high:
            raise ValidationError(
                "example_shop", field, value, f"must be {low:,} to {high:,}"
            )
    if rating_scale not in (RatingScale.THREE_LEVEL, RatingScale.FIVE_STAR):
        raise ValidationError(
            "example_shop",
            "rating_scale",
            rating_scale,
            "must be RatingScale.THREE_LEVEL or RatingScale.FIVE_STAR",
        )


class _Arrivals(NamedTuple):
    """Who writes in, when (seconds since the month's local start) and why."""

    seconds: NDArray[Any]
    customer: NDArray[Any]
    topic: NDArray[Any]
    channel: NDArray[Any]
    source: NDArray[Any]
    came_back: NDArray[Any]


def _arrivals(rng: np.random.Generator, n: int, days: int) -> _Arrivals:
    """Arrivals by hour of day; about 8 % follow up an earlier one.

    A follow-up comes one to four hours later, or one to three days later
    at about the same time of day.

    A follow-up keeps its first conversation's customer, topic and channel;
    one that would fall after the month's end stays a first contact, so the
    month holds only its own conversations.
    """
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    seconds = rng.integers(0, days, size=n) * _DAY + hour * 3_600
    seconds += rng.integers(0, 3_600, size=n)
    customer = rng.integers(0, _customer_count(n), size=n)
    topic = rng.choice(len(TOPICS), size=n, p=_TOPIC_WEIGHTS)
    channel = rng.choice(len(_CHANNELS), size=n, p=_CHANNEL_WEIGHTS)
    follow_up = rng.random(n) < 0.08
    follow_up[0] = False
    origin = rng.integers(0, n, size=n)
    origin = np.where(follow_up[origin], 0, origin)
    same_day = rng.integers(3_600, 4 * 3_600, size=n)
    days_later = rng.integers(1, 4, size=n) * _DAY + rng.integers(-3_600, 3_600, size=n)
    later = seconds[origin] + np.where(rng.random(n) < 0.4, same_day, days_later)
    follow_up &= (origin != np.arange(n)) & (later < days * _DAY)
    source = np.where(follow_up, origin, np.arange(n))
    came_back = np.zeros(n, dtype=bool)
    came_back[origin[follow_up]] = True
    return _Arrivals(
        seconds=np.where(follow_up, later, seconds),
        customer=customer[source],
        topic=topic[source],
        channel=channel[source],
        source=source,
        came_back=came_back,
    )


def _difficulty(rng: np.random.Generator, topic: NDArray[Any]) -> NDArray[Any]:
    """Mostly basic; after-sale topics turn a fifth of basic ones into complaints."""
    n = len(topic)
    difficulty = rng.choice(4, size=n, p=_DIFFICULTY_WEIGHTS)
    complaint = rng.choice([0, 2], size=n, p=[0.8, 0.2])
    return np.where((topic >= 4) & (difficulty == 0), complaint, difficulty)


class _Routing(NamedTuple):
    agent: NDArray[Any]
    transferred: NDArray[Any]
    handler: NDArray[Any]


def _routing(
    rng: np.random.Generator,
    topic: NDArray[Any],
    channel: NDArray[Any],
    difficulty: NDArray[Any],
) -> _Routing:
    """Who answers: pre-sale topics a01-a06, after-sale a07-a12, or the bot.

    The bot answers half the basic chats and DMs and hands a third of those
    over; a fifth of crises go straight to the supervisor.
    """
    n = len(topic)
    human = np.where(topic < 3, rng.integers(0, 6, size=n), rng.integers(6, 12, size=n))
    by_bot = (channel <= 1) & (difficulty == 0) & (rng.random(n) < 0.5)
    handed = by_bot & (rng.random(n) < 0.35)
    to_supervisor = (difficulty == 3) & (rng.random(n) < 0.2)
    agent = np.where(by_bot, _BOT, np.where(to_supervisor, _SUPERVISOR, human))
    return _Routing(
        agent=agent,
        transferred=np.where(handed, human, -1),
        handler=np.where(handed, human, agent),
    )


def _reply_seconds(
    rng: np.random.Generator,
    routing: _Routing,
    night: NDArray[Any],
    rush: NDArray[Any],
) -> NDArray[Any]:
    """About a minute by day, four times slower at night and in the rush."""
    n = len(night)
    slower = np.where(night | rush, 4.0, 1.0)
    response = rng.lognormal(np.log(50.0), 0.9, size=n) * slower
    response = np.where(routing.agent == _BOT, rng.uniform(1, 8, size=n), response)
    return np.where(routing.transferred >= 0, response + 30, response)


class _Outcome(NamedTuple):
    resolved: NDArray[Any]
    escalated: NDArray[Any]
    still_open: NDArray[Any]


def _outcome(
    rng: np.random.Generator,
    difficulty: NDArray[Any],
    skill: NDArray[Any],
    routing: _Routing,
    came_back: NDArray[Any],
) -> _Outcome:
    """Skilled agents solve more; complaints and crises escalate.

    Most conversations a customer came back about were not solved.
    """
    n = len(difficulty)
    still_open = rng.random(n) < 0.01
    solve = np.array([0.9, 0.75, 0.6, 0.5])[difficulty] * (0.75 + 0.3 * skill)
    resolved = (rng.random(n) < solve) & ~still_open
    resolved &= ~(came_back & (rng.random(n) < 0.8))
    escalate = np.where(difficulty == 3, 0.6, np.where(difficulty == 2, 0.25, 0.01))
    escalated = (rng.random(n) < escalate) & (routing.agent != _SUPERVISOR)
    return _Outcome(resolved=resolved, escalated=escalated, still_open=still_open)


def _sentiments(
    rng: np.random.Generator, difficulty: NDArray[Any], resolved: NDArray[Any]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Sentiment codes at start and end (-1: not assessed, for 30 %)."""
    n = len(difficulty)
    negative_start = rng.random(n) < np.where(difficulty >= 2, 0.8, 0.15)
    start = np.where(negative_start, 0, 1)
    end = np.where(
        resolved,
        np.where(rng.random(n) < 0.6, 2, 1),
        np.where(rng.random(n) < 0.7, 0, 1),
    )
    assessed = rng.random(n) < 0.7
    codes = np.array([-1, *(s.code for s in Sentiment)], dtype=np.int8)
    return codes[np.where(assessed, start, -1) + 1], codes[
        np.where(assessed, end, -1) + 1
    ]


class _Ratings(NamedTuple):
    invited: NDArray[Any]
    rated: NDArray[Any]
    score: NDArray[Any]
    comment: NDArray[Any]


def _ratings(
    rng: np.random.Generator,
    scale: RatingScale,
    *,
    routing: _Routing,
    skill: NDArray[Any],
    outcome: _Outcome,
    difficulty: NDArray[Any],
    response: NDArray[Any],
    night: NDArray[Any],
    rush: NDArray[Any],
    weekend: NDArray[Any],
) -> _Ratings:
    """Invited customers rate far more often; the score follows their mood.

    One agent, a05, invites only half the customers whose problem was solved.

    Mood follows skill, resolution, difficulty, slow replies, the night and
    the evening rush.
    """
    n = len(skill)
    invite = np.where(routing.agent == _BOT, 0.5, 0.75)
    picky = routing.handler == _CHERRY_PICKER
    invite = np.where(picky, np.where(outcome.resolved, 0.5, 0.0), invite)
    invited = rng.random(n) < invite
    rated = ~outcome.still_open & (rng.random(n) < np.where(invited, 0.45, 0.08))
    mood = (
        2.5
        + 1.2 * skill
        - 1.6 * ~outcome.resolved
        - 0.5 * (difficulty >= 2)
        - 0.7 * (response > 180)
        - 0.5 * night
        - np.where(rush, np.where(weekend, 2.2, 1.6), 0.0)
    )
    roll = rng.random(n)
    p_satisfied = _sigmoid(mood)
    satisfied = roll < p_satisfied
    unhappy = (roll - p_satisfied) / (1 - p_satisfied)
    if scale == RatingScale.FIVE_STAR:
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
    return _Ratings(invited=invited, rated=rated, score=score, comment=comment)


def _knowledge_tests(
    rng: np.random.Generator, roster: tuple[Agent, ...], taken_at: datetime
) -> tuple[KnowledgeTest, ...]:
    """One test per human agent, scored by skill give or take a few points."""
    return tuple(
        KnowledgeTest(
            agent_id=a.id,
            taken_at=taken_at,
            score=float(np.clip(np.rint(60 + 38 * s + rng.normal(0, 4)), 0, 100)),
            max_score=100.0,
        )
        for a, s in zip(roster[:12], _SKILL, strict=True)
    )


def _instants(
    origin: np.datetime64 | NDArray[Any], seconds: NDArray[Any]
) -> NDArray[Any]:
    micros = np.rint(np.asarray(seconds, dtype=np.float64) * 1e6).astype(np.int64)
    return np.asarray(origin + micros.astype("timedelta64[us]"))


class _Timeline(NamedTuple):
    opened: NDArray[Any]
    handed: NDArray[Any]
    replied: NDArray[Any]
    closed: NDArray[Any]
    slower: NDArray[Any]


def _hand_overs(
    rng: np.random.Generator, opened: NDArray[Any], routing: _Routing
) -> NDArray[Any]:
    """The bot hands over within its 30 s of a handed-over conversation."""
    bot_part = rng.uniform(5, 30, size=len(opened)) * 1e6
    handed = opened + bot_part.astype(np.int64).astype("timedelta64[us]")
    return np.where(routing.transferred >= 0, handed, np.datetime64("NaT"))


def _messages(
    rng: np.random.Generator,
    routing: _Routing,
    time: _Timeline,
    ids: NDArray[Any],
    agent_ids: NDArray[Any],
) -> MessageTable:
    """A dialogue per conversation that agrees with its timestamps.

    The customer writes first and the handler answers at the first reply;
    after a hand-over the bot greeted and the customer asked for a human at
    the hand-over instant; later exchanges end before closing.
    """
    n = len(time.opened)
    answered = ~np.isnat(time.replied)
    handed = ~np.isnat(time.handed)
    later = np.where(answered, np.minimum(rng.poisson(1.5, size=n), 4), 0)
    first = np.repeat(np.arange(n), later)
    gap = rng.uniform(10, 120, size=len(first))
    bot = routing.handler[first] == _BOT
    reply = np.where(
        bot,
        rng.uniform(1, 8, size=len(first)),
        rng.lognormal(np.log(40.0), 0.9, size=len(first)) * time.slower[first],
    )
    step = gap + reply
    ends = np.cumsum(later)
    total = np.cumsum(step)
    before = np.repeat(np.concatenate([[0.0], total])[ends - later], later)
    elapsed = total - before
    start = time.replied[first]
    customer_at = _instants(start, elapsed - reply)
    staff_at = _instants(start, elapsed)
    closed = time.closed[first]
    ask_kept = np.isnat(closed) | (customer_at <= closed)
    reply_kept = np.isnat(closed) | (staff_at <= closed)
    greeting = time.opened + (time.handed - time.opened) / 2
    handler = routing.handler
    parts = [
        (np.arange(n), time.opened, 0, -1),
        (np.flatnonzero(handed), greeting[handed], 2, _BOT),
        (np.flatnonzero(handed), time.handed[handed], 0, -1),
        (np.flatnonzero(answered), time.replied[answered], -1, handler[answered]),
        (first[ask_kept], customer_at[ask_kept], 0, -1),
        (first[reply_kept], staff_at[reply_kept], -1, handler[first[reply_kept]]),
    ]
    conversation = np.concatenate([p[0] for p in parts])
    sent = np.concatenate([p[1] for p in parts])
    sender_id = np.concatenate(
        [np.broadcast_to(np.asarray(p[3]), len(p[0])) for p in parts]
    )
    sender = np.concatenate(
        [np.broadcast_to(np.asarray(p[2]), len(p[0])) for p in parts]
    )
    staff = np.where(sender_id == _BOT, 2, 1)
    return MessageTable.from_arrays(
        conversation_id=conversation,
        conversation_ids=ids,
        sender=np.where(sender < 0, staff, sender).astype(np.int8),
        sender_id=sender_id,
        sender_ids=agent_ids,
        sent_at=sent,
    )


def example_shop(
    conversations: int = 10_000,
    *,
    seed: int = 7,
    year: int = 2025,
    month: int = 11,
    rating_scale: RatingScale = RatingScale.THREE_LEVEL,
    messages: bool = False,
) -> ConversationTable:
    """A month of the example shop, built with ``ConversationTable.from_arrays``.

    The same arguments always give the same table. Every conversation opens
    inside the month (in :data:`SHOP_TIMEZONE`); conversation and case ids
    carry the month (``C2025-11-000042``, ``K2025-11-000007``), so months of
    one shop concatenate; customer ids (``U000123``) repeat across months.

    About 30 % of chat and DM conversations are answered by the bot, a third
    of those handed over to a human; about 8 % are follow-ups of an earlier
    one (email follow-ups share a case); ratings come back from roughly a
    third; 5 % are quality-reviewed; every human agent takes one knowledge
    test. The planted hot spots: in the evening rush, 20:00 to 22:59, replies
    are four times slower and satisfaction is low, lowest at weekends; agent
    a05 invites few customers, and only those whose problem was solved. The
    default size fills most hour × weekday cells of the heat map with at
    least ten ratings. Every hand-over has its ``handed_over_at``, 5 to 30
    seconds after opening.

    With ``messages=True`` the table carries a dialogue per conversation
    (:meth:`ConversationTable.with_messages`): the customer opens, the
    handler's first message is ``first_response_at`` (after a hand-over the
    bot greets and the customer asks for a human at the hand-over instant),
    up to four more exchanges follow, nothing after closing. Hand-over
    instants and messages come from their own generator, so the other
    columns are the same with or without them.

    Args:
        conversations: Number of conversations, 1 to 50 million.
        seed: Seed of the random generator.
        year: Year of the month to generate, 1900 to 9998.
        month: Month to generate, 1 to 12.
        rating_scale: ``RatingScale.THREE_LEVEL`` (a Douyin-style shop, the
            default) or ``RatingScale.FIVE_STAR`` (an Instagram-style store);
            every other column is the same for both.
        messages: Attach generated message events.

    Raises:
        WrongTypeError: for a size, year or month that is not an int.
        ValidationError: for a size, year, month or rating scale out of range.
    """
    _check_arguments(conversations, year, month, rating_scale)
    rng = np.random.default_rng(seed)
    n = conversations
    roster = example_roster()
    start = datetime(year, month, 1, tzinfo=SHOP_TIMEZONE)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SHOP_TIMEZONE)
    days = (end - start).days

    arrivals = _arrivals(rng, n, days)
    local_hour = arrivals.seconds % _DAY // 3_600
    weekend = (start.weekday() + arrivals.seconds // _DAY) % 7 >= 5
    night = (local_hour < 8) | (local_hour >= 23)
    rush = np.isin(local_hour, _RUSH_HOURS)
    difficulty = _difficulty(rng, arrivals.topic)
    routing = _routing(rng, arrivals.topic, arrivals.channel, difficulty)
    skill = np.where(routing.handler < 12, _SKILL[np.minimum(routing.handler, 11)], 0.6)
    response = _reply_seconds(rng, routing, night, rush)
    handling = rng.lognormal(np.log(_HANDLING_MINUTES[difficulty] * 60), 0.6)
    outcome = _outcome(rng, difficulty, skill, routing, arrivals.came_back)
    sentiment_start, sentiment_end = _sentiments(rng, difficulty, outcome.resolved)
    ratings = _ratings(
        rng,
        rating_scale,
        routing=routing,
        skill=skill,
        outcome=outcome,
        difficulty=difficulty,
        response=response,
        night=night,
        rush=rush,
        weekend=weekend,
    )
    rated_after = rng.uniform(5, 600, size=n)
    no_reply = rng.random(n) < 0.01
    reviewed = (routing.handler < 12) & (rng.random(n) < 0.05)
    empathy = np.clip(np.rint(1 + 4 * skill + rng.normal(0, 0.8, size=n)), 1, 5)
    accurate = reviewed & (rng.random(n) < 0.7 + 0.28 * skill)
    compliant = reviewed & (rng.random(n) < 0.65 + 0.3 * skill)
    tests = _knowledge_tests(rng, roster, start + timedelta(days=14, hours=10))

    origin = np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "us")
    opened = _instants(origin, arrivals.seconds)
    replied = _instants(origin, arrivals.seconds + response)
    closed = _instants(origin, arrivals.seconds + response + handling)
    case = np.where(arrivals.channel == 3, arrivals.source, -1)
    case_sources, case_code = np.unique(case[case >= 0], return_inverse=True)
    case_id = np.full(n, -1, dtype=np.int64)
    case_id[case >= 0] = case_code.reshape(-1)
    month_tag = f"{year}-{month:02d}-"
    timing = np.random.default_rng([seed, 19])
    first_response = np.where(no_reply, np.datetime64("NaT"), replied)
    closed = np.where(outcome.still_open, np.datetime64("NaT"), closed)
    handed = _hand_overs(timing, opened, routing)
    ids = _numbered(f"C{month_tag}", n)
    agent_ids = np.array([a.id for a in roster], dtype=STRING)
    table = ConversationTable.from_arrays(
        conversation_id=np.arange(n, dtype=np.int64),
        conversation_ids=ids,
        agent_id=routing.agent.astype(np.int32),
        agent_ids=agent_ids,
        customer_id=arrivals.customer.astype(np.int64),
        customer_ids=_numbered("U", _customer_count(n)),
        opened_at=opened,
        closed_at=closed,
        first_response_at=first_response,
        channel=np.array([c.code for c in _CHANNELS], dtype=np.int8)[arrivals.channel],
        topic=arrivals.topic.astype(np.int32),
        topics=np.array(TOPICS, dtype=STRING),
        difficulty=difficulty.astype(np.int8),
        resolved=outcome.resolved,
        escalated=outcome.escalated,
        case_id=case_id,
        case_ids=_numbered(f"K{month_tag}", len(case_sources)),
        transferred_to=routing.transferred.astype(np.int32),
        handed_over_at=handed,
        rating_invited=ratings.invited,
        sentiment_start=sentiment_start,
        sentiment_end=sentiment_end,
        rating_scale=np.where(ratings.rated, 0, -1).astype(np.int8),
        rating_scales=(rating_scale,),
        rating_score=ratings.score.astype(np.int8),
        rated_at=_instants(
            origin, arrivals.seconds + response + handling + rated_after
        ),
        rating_comment=ratings.comment.astype(np.int32),
        rating_comments=np.array(COMMENTS, dtype=STRING),
        reviewer_id=np.where(reviewed, 0, -1).astype(np.int32),
        reviewer_ids=np.array([SUPERVISOR_ID], dtype=STRING),
        review_accurate=accurate,
        review_script_compliant=compliant,
        review_empathy=np.where(reviewed, empathy, 0).astype(np.int8),
        agents=roster,
        knowledge_tests=tests,
    )
    if not messages:
        return table
    timeline = _Timeline(
        opened=opened,
        handed=handed,
        replied=first_response,
        closed=closed,
        slower=np.where(night | rush, 4.0, 1.0),
    )
    return table.with_messages(_messages(timing, routing, timeline, ids, agent_ids))
