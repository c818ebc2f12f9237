"""Composite hypothesis strategies for the domain model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from servicequality._model import (
    Agent,
    Channel,
    Conversation,
    Difficulty,
    KnowledgeTest,
    QualityReview,
    Rating,
    RatingScale,
    Role,
    Sentiment,
)
from servicequality._table import ConversationTable, TableRecords

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "agents",
    "aware_datetimes",
    "conversations",
    "knowledge_tests",
    "quality_reviews",
    "rating_scales",
    "ratings",
    "table_records",
    "tables",
]

_EARLIEST = datetime(2020, 1, 1)
_LATEST = datetime(2030, 1, 1)
_ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=8)),
        timezone(timedelta(hours=-5)),
        timezone(timedelta(hours=5, minutes=45)),
    ]
)
_ROLE_OF = {"bot": Role.BOT, "s1": Role.SUPERVISOR}
_IDS = st.text(alphabet="abcdefghijkmnpqrstuvwxyz0123456789-_", min_size=1, max_size=8)


def aware_datetimes(
    min_value: datetime = _EARLIEST, max_value: datetime = _LATEST
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes between two naive bounds, in a few UTC offsets."""
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=_ZONES)


@st.composite
def rating_scales(draw: st.DrawFn) -> RatingScale:
    """The two presets or a valid custom scale."""
    preset = draw(
        st.sampled_from([RatingScale.THREE_LEVEL, RatingScale.FIVE_STAR, None])
    )
    if preset is not None:
        return preset
    low = draw(st.integers(0, 5))
    high = draw(st.integers(low + 1, low + 10))
    dissatisfied_to = draw(st.integers(low, high - 1))
    satisfied_from = draw(st.integers(dissatisfied_to + 1, high))
    return RatingScale(
        name=f"custom_{low}_{high}_{dissatisfied_to}_{satisfied_from}",
        low=low,
        high=high,
        satisfied_from=satisfied_from,
        dissatisfied_to=dissatisfied_to,
    )


@st.composite
def agents(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str] = _IDS,
    roles: st.SearchStrategy[Role] | None = None,
) -> Agent:
    """An agent with an optional name and team."""
    return Agent(
        id=draw(ids),
        role=draw(st.sampled_from(Role) if roles is None else roles),
        name=draw(st.none() | st.text(max_size=10)),
        team=draw(st.none() | st.sampled_from(["presale", "aftersale"])),
    )


@st.composite
def conversations(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str] = _IDS,
    agent_ids: st.SearchStrategy[str] = _IDS,
    customer_ids: st.SearchStrategy[str] = _IDS,
    transfer_targets: st.SearchStrategy[str | None] | None = None,
) -> Conversation:
    """A valid conversation: consistent times, any optional field set or not."""
    opened = draw(aware_datetimes())
    closed = draw(
        st.none()
        | st.timedeltas(timedelta(0), timedelta(days=3)).map(lambda d: opened + d)
    )
    limit = (closed - opened) if closed is not None else timedelta(days=1)
    first = draw(
        st.none() | st.timedeltas(timedelta(0), limit).map(lambda d: opened + d)
    )
    agent_id = draw(agent_ids)
    transferred_to = None if transfer_targets is None else draw(transfer_targets)
    return Conversation(
        id=draw(ids),
        agent_id=agent_id,
        customer_id=draw(customer_ids),
        opened_at=opened,
        closed_at=closed,
        first_response_at=first,
        channel=draw(st.sampled_from(Channel)),
        topic=draw(st.none() | st.sampled_from(["sizing", "shipping", "returns"])),
        difficulty=draw(st.sampled_from(Difficulty)),
        resolved=draw(st.booleans()),
        escalated=draw(st.booleans()),
        case_id=draw(st.none() | st.sampled_from(["k1", "k2", "k3"])),
        transferred_to=transferred_to if transferred_to != agent_id else None,
        rating_invited=draw(st.booleans()),
        sentiment_start=draw(st.none() | st.sampled_from(Sentiment)),
        sentiment_end=draw(st.none() | st.sampled_from(Sentiment)),
    )


@st.composite
def ratings(
    draw: st.DrawFn,
    *,
    conversation_ids: st.SearchStrategy[str] = _IDS,
    scales: st.SearchStrategy[RatingScale] | None = None,
) -> Rating:
    """A rating with a score on its scale (any scale unless ``scales`` says)."""
    scale = draw(rating_scales() if scales is None else scales)
    return Rating(
        conversation_id=draw(conversation_ids),
        score=draw(st.integers(scale.low, scale.high)),
        scale=scale,
        rated_at=draw(st.none() | aware_datetimes()),
        comment=draw(st.none() | st.text(max_size=20)),
    )


@st.composite
def quality_reviews(
    draw: st.DrawFn, *, conversation_ids: st.SearchStrategy[str] = _IDS
) -> QualityReview:
    """A quality review with empathy 1 to 5."""
    return QualityReview(
        conversation_id=draw(conversation_ids),
        reviewer_id=draw(st.sampled_from(["s01", "qa"])),
        accurate=draw(st.booleans()),
        script_compliant=draw(st.booleans()),
        empathy=draw(st.integers(1, 5)),
    )


@st.composite
def knowledge_tests(
    draw: st.DrawFn, *, agent_ids: st.SearchStrategy[str] = _IDS
) -> KnowledgeTest:
    """A knowledge-test result with ``0 <= score <= max_score``."""
    max_score = draw(st.sampled_from([10.0, 50.0, 100.0]))
    return KnowledgeTest(
        agent_id=draw(agent_ids),
        taken_at=draw(aware_datetimes()),
        score=draw(st.floats(0, max_score, allow_nan=False)),
        max_score=max_score,
    )


@st.composite
def table_records(
    draw: st.DrawFn,
    *,
    min_size: int = 0,
    max_size: int = 12,
    scales: Sequence[RatingScale] = (RatingScale.THREE_LEVEL, RatingScale.FIVE_STAR),
    roster: bool | None = None,
) -> TableRecords:
    """A consistent set of records that ``from_records`` accepts whole.

    Unique conversation ids; a roster of humans, a supervisor and a bot
    (or none, when ``roster`` is false); bots hand over only to humans;
    at most one rating and one review per conversation; knowledge tests of
    rostered agents.
    """
    humans = [f"a{i}" for i in range(draw(st.integers(1, 5)))]
    crew = [*humans, "s1", "bot"]
    with_roster = draw(st.booleans()) if roster is None else roster
    staff = (
        tuple(
            Agent(
                id=agent_id,
                role=_ROLE_OF.get(agent_id, Role.AGENT),
                team=draw(st.none() | st.sampled_from(["presale", "aftersale"]))
                if agent_id in humans
                else None,
            )
            for agent_id in crew
        )
        if with_roster
        else ()
    )
    count = draw(st.integers(min_size, max_size))
    ids = [f"c{i}" for i in range(count)]
    items: list[Conversation] = []
    for conversation_id in ids:
        agent_id = draw(st.sampled_from(crew))
        target = st.none() | st.sampled_from(humans) if agent_id == "bot" else st.none()
        items.append(
            draw(
                conversations(
                    ids=st.just(conversation_id),
                    agent_ids=st.just(agent_id),
                    customer_ids=st.sampled_from(["u1", "u2", "u3", "u4"]),
                    transfer_targets=target,
                )
            )
        )
    rated = draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
    reviewed = draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
    scale_choice = st.sampled_from(list(scales))
    return TableRecords(
        conversations=tuple(items),
        ratings=tuple(
            draw(ratings(conversation_ids=st.just(c), scales=scale_choice))
            for c in rated
        ),
        reviews=tuple(
            draw(quality_reviews(conversation_ids=st.just(c))) for c in reviewed
        ),
        agents=staff,
        knowledge_tests=tuple(
            draw(
                st.lists(knowledge_tests(agent_ids=st.sampled_from(humans)), max_size=3)
            )
        ),
    )


@st.composite
def tables(draw: st.DrawFn, /, **kwargs: Any) -> ConversationTable:
    """A :class:`ConversationTable` built from :func:`table_records` (same options)."""
    records = draw(table_records(**kwargs))
    return ConversationTable.from_records(
        records.conversations,
        ratings=records.ratings,
        reviews=records.reviews,
        agents=records.agents,
        knowledge_tests=records.knowledge_tests,
    )


def _register() -> None:
    for value_type, strategy in (
        (RatingScale, rating_scales()),
        (Agent, agents()),
        (Conversation, conversations()),
        (Rating, ratings()),
        (QualityReview, quality_reviews()),
        (KnowledgeTest, knowledge_tests()),
        (TableRecords, table_records()),
        (ConversationTable, tables()),
    ):
        st.register_type_strategy(value_type, strategy)


_register()
