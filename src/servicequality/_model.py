"""The domain model: enumerations and immutable record types."""

from __future__ import annotations

import functools
import types
import typing
from datetime import datetime
from enum import Enum, StrEnum
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, ClassVar, Self, Union

import attrs

from servicequality import _validators as v
from servicequality._errors import UnknownKeyError, ValidationError, WrongTypeError
from servicequality._periods import check_instant

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Agent",
    "Channel",
    "Conversation",
    "Difficulty",
    "KnowledgeTest",
    "QualityReview",
    "Rating",
    "RatingScale",
    "Role",
    "Sentiment",
]


class CodedEnum(StrEnum):
    """A string enumeration whose members also have a dense integer code."""

    @property
    def code(self) -> int:
        """Position of the member in declaration order (the column code)."""
        return _codes(type(self))[self]

    @classmethod
    def from_code(cls, code: int) -> Self:
        """The member whose :attr:`code` is ``code``.

        Raises:
            WrongTypeError: for a code that is not an ``int``.
            UnknownKeyError: for a code outside ``0 .. len(members) - 1``.
        """
        members = tuple(cls)
        if isinstance(code, bool) or not isinstance(code, Integral):
            raise WrongTypeError(cls.__name__, "code", code, "must be a whole number")
        if not 0 <= code < len(members):
            raise UnknownKeyError(
                cls.__name__, "code", code, f"must be 0..{len(members) - 1}"
            )
        return members[int(code)]


@functools.cache
def _codes(enum: type[Enum]) -> dict[Enum, int]:
    return {member: i for i, member in enumerate(enum)}


class Role(CodedEnum):
    """What kind of worker handles a conversation (普通客服 / 客服主管 / 智能客服)."""

    AGENT = "agent"
    """A front-line human agent (普通客服)."""
    SUPERVISOR = "supervisor"
    """A supervisor who takes escalated complaints (客服主管)."""
    BOT = "bot"
    """An automated assistant that may hand over to a human (智能客服)."""


class Channel(CodedEnum):
    """Where the customer reached the shop."""

    CHAT = "chat"
    DM = "dm"
    COMMENT = "comment"
    EMAIL = "email"
    PHONE = "phone"
    OTHER = "other"


class Difficulty(CodedEnum):
    """How hard a conversation is; drives difficulty coefficients (难度系数)."""

    BASIC = "basic"
    """A routine question (基础咨询)."""
    COMPLEX = "complex"
    """A question that needs investigation (复杂咨询)."""
    COMPLAINT = "complaint"
    """A complaint (投诉处理)."""
    CRISIS = "crisis"
    """A public or high-stakes incident (危机公关)."""


class Sentiment(CodedEnum):
    """The customer's mood at the start or end of a conversation."""

    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


_EXACT = 2**53


def _float_exact(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not -_EXACT <= value <= _EXACT:
        v.fail(
            instance,
            attribute.name,
            value,
            "must lie within ±2**53 (exact as a float, as means are computed)",
        )


def _float_sized(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, Real) and not isinstance(value, bool):
        try:
            float(value)
        except (OverflowError, ValueError):
            v.fail(instance, attribute.name, value, "is too large for a float")


def _instant(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    v.aware_datetime(instance, attribute, value)
    check_instant(type(instance).__name__, attribute.name, value)


def _optional_instant(
    instance: Any, attribute: attrs.Attribute[Any], value: Any
) -> None:
    if value is not None:
        _instant(instance, attribute, value)


def _label_pairs(value: Any) -> tuple[tuple[str, int], ...]:
    """``(label, score)`` pairs from a mapping or pairs, in the order given."""
    if isinstance(value, typing.Mapping):
        value = value.items()
    if isinstance(value, str) or not isinstance(value, typing.Iterable):
        raise WrongTypeError(
            "RatingScale", "labels", value, "must map labels to scores"
        )
    pairs = []
    for pair in value:
        if (
            isinstance(pair, str)
            or not isinstance(pair, typing.Sequence)
            or len(pair) != 2
            or not isinstance(pair[0], str)
        ):
            raise WrongTypeError(
                "RatingScale", "labels", pair, "must be (label, score) pairs"
            )
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


@attrs.frozen(kw_only=True)
class RatingScale:
    """A customer rating scale: whole-number scores from ``low`` to ``high``.

    A score is *satisfied* when ``score >= satisfied_from`` and *dissatisfied*
    when ``score <= dissatisfied_to``; anything between is neutral.

    Attributes:
        name: A short name that identifies the scale (``"five_star"``).
        low: The lowest possible score.
        high: The highest possible score.
        satisfied_from: The lowest score that counts as satisfied.
        dissatisfied_to: The highest score that counts as dissatisfied.
        labels: Words that stand for scores in exports, as ``(label, score)``
            pairs (a mapping is accepted); matched without case by
            :meth:`score_of` and by the loaders. Labels name scores, they do
            not make a different scale: two scales that differ only in labels
            are equal.

    Every bound lies within ±2**53, so that each score, and the mean of
    scores, is exact as a float (a score of 10**20 is refused).

    Raises:
        ValidationError: unless ``low <= dissatisfied_to < satisfied_from <= high``,
            or for a bound beyond ±2**53.
    """

    THREE_LEVEL: ClassVar[RatingScale]
    """Douyin's votes: 1 不满意 dissatisfied, 2 一般 neutral, 3 满意 satisfied.

    Labelled 不满意/一般/满意 and dissatisfied/neutral/satisfied.
    """
    FIVE_STAR: ClassVar[RatingScale]
    """1 to 5 stars; 4 and 5 are satisfied, 1 and 2 dissatisfied, 3 neutral."""

    name: str = attrs.field(validator=v.identifier)
    low: int = attrs.field(validator=[v.integer, _float_exact])
    high: int = attrs.field(validator=[v.integer, _float_exact])
    satisfied_from: int = attrs.field(validator=[v.integer, _float_exact])
    dissatisfied_to: int = attrs.field(validator=[v.integer, _float_exact])
    labels: tuple[tuple[str, int], ...] = attrs.field(
        default=(), converter=_label_pairs, eq=False
    )

    def __attrs_post_init__(self) -> None:
        if self.high <= self.low:
            v.fail(self, "high", self.high, f"must be greater than low ({self.low})")
        if not self.low <= self.dissatisfied_to < self.satisfied_from <= self.high:
            v.fail(
                self,
                "satisfied_from",
                self.satisfied_from,
                "must satisfy low <= dissatisfied_to < satisfied_from <= high "
                f"(low={self.low}, dissatisfied_to={self.dissatisfied_to}, "
                f"high={self.high})",
            )
        seen: set[str] = set()
        for label, score in self.labels:
            if not label.strip():
                v.fail(self, "labels", label, "must not be blank")
            if isinstance(score, bool) or not isinstance(score, int):
                v.fail(self, "labels", (label, score), "must map to a whole number")
            if not self.low <= score <= self.high:
                v.fail(self, "labels", (label, score), "must name a score on the scale")
            if label.strip().casefold() in seen:
                v.fail(self, "labels", label, "names two scores (labels ignore case)")
            seen.add(label.strip().casefold())

    def score_of(self, label: str) -> int:
        """The score a label stands for, matched without case or outer spaces.

        Raises:
            UnknownKeyError: for a word that is not a label, listing the labels.
        """
        wanted = label.strip().casefold() if isinstance(label, str) else label
        for known, score in self.labels:
            if known.strip().casefold() == wanted:
                return score
        names = ", ".join(repr(x) for x, _ in self.labels) or "none"
        raise UnknownKeyError("RatingScale", "labels", label, f"labels: {names}")

    def contains(self, score: int) -> bool:
        """Whether ``score`` is a whole number on this scale."""
        return (
            isinstance(score, int)
            and not isinstance(score, bool)
            and self.low <= score <= self.high
        )

    def is_satisfied(self, score: int) -> bool:
        """Whether ``score`` counts as satisfied on this scale."""
        return score >= self.satisfied_from

    def is_dissatisfied(self, score: int) -> bool:
        """Whether ``score`` counts as dissatisfied on this scale."""
        return score <= self.dissatisfied_to

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> RatingScale:
        """Build a scale from :meth:`to_dict` output, or a preset's name."""
        if isinstance(data, str):
            for preset in (cls.THREE_LEVEL, cls.FIVE_STAR):
                if preset.name == data:
                    return preset
            raise ValidationError(
                "RatingScale",
                "name",
                data,
                "is not a preset; use 'three_level', 'five_star' or a mapping",
            )
        return _from_mapping(cls, data)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, accepted by :meth:`from_dict` (labels as a mapping)."""
        data = attrs.asdict(self)
        data["labels"] = dict(self.labels)
        return data


RatingScale.THREE_LEVEL = RatingScale(
    name="three_level",
    low=1,
    high=3,
    satisfied_from=3,
    dissatisfied_to=1,
    labels={
        "满意": 3,
        "一般": 2,
        "不满意": 1,
        "satisfied": 3,
        "neutral": 2,
        "dissatisfied": 1,
    },
)
RatingScale.FIVE_STAR = RatingScale(
    name="five_star", low=1, high=5, satisfied_from=4, dissatisfied_to=2
)


class PlainRecord:
    """Shared plain-data conversions of the record types."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the record from plain data (the output of :meth:`to_dict`).

        Enumerations may be given by value (``"dm"``), datetimes as ISO 8601
        strings with an offset, rating scales as a preset name or a mapping.

        Raises:
            ValidationError: for an unknown or missing key or a bad value.
        """
        return _from_mapping(cls, data)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: enums as values, datetimes as ISO 8601 strings."""
        return attrs.asdict(
            self,  # type: ignore[arg-type]  # subclasses are attrs classes
            value_serializer=_serialize,
        )


def _serialize(_inst: object, _field: object, value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, RatingScale):
        return value.to_dict()
    return value


@attrs.frozen(kw_only=True)
class Agent(PlainRecord):
    """A worker who handles conversations: a human agent, a supervisor or a bot.

    Attributes:
        id: Unique agent id.
        role: :class:`Role` of the worker.
        name: Display name, if known.
        team: Team id, if the shop has teams.
        employed_from: First instant of employment, if known (an incentive
            plan may pay a partial period pro rata).
        employed_until: First instant after employment ended, if it did.

    Raises:
        ValidationError: for a blank id, naive instants, or
            ``employed_until`` not after ``employed_from``.
    """

    id: str = attrs.field(validator=v.identifier)
    role: Role = attrs.field(validator=v.member_of(Role))
    name: str | None = attrs.field(default=None, validator=v.optional_text)
    team: str | None = attrs.field(default=None, validator=v.optional_identifier)
    employed_from: datetime | None = attrs.field(
        default=None, validator=_optional_instant
    )
    employed_until: datetime | None = attrs.field(
        default=None, validator=_optional_instant
    )

    def __attrs_post_init__(self) -> None:
        if (
            self.employed_from is not None
            and self.employed_until is not None
            and self.employed_until <= self.employed_from
        ):
            rule = f"must be after employed_from ({self.employed_from.isoformat()})"
            v.fail(self, "employed_until", self.employed_until, rule)


def _optional_flag(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        v.boolean(instance, attribute, value)


@attrs.frozen(kw_only=True)
class Conversation(PlainRecord):
    """One customer-service conversation.

    Attributes:
        id: Unique conversation id.
        agent_id: Who took the conversation first (a bot, if a bot answered).
        customer_id: The customer; ``None`` when the export has no customer
            ids (then metrics that follow a customer's history are refused).
        opened_at: When the customer opened it (timezone-aware).
        closed_at: When it was closed; ``None`` while open.
        first_response_at: The first reply by whoever the conversation counts
            for: the human it was handed to, if a bot handed it over, else
            ``agent_id``. ``None`` if nobody replied. Must lie within
            ``[opened_at, closed_at]``.
        channel: :class:`Channel` it came through, if recorded.
        topic: Product category or subject, free-form id (``"sizing"``).
        difficulty: :class:`Difficulty` of the problem, if recorded.
        resolved: Whether the problem was solved in this conversation.
        escalated: Whether it was escalated to a supervisor (投诉升级), if
            recorded.
        case_id: Groups the conversations about one customer problem.
        transferred_to: The human agent a bot handed this conversation to
            (转接人工); never the same as ``agent_id``.
        handed_over_at: When the bot handed it to ``transferred_to`` (转人工),
            if known. Needs ``transferred_to`` (a hand-over without a target
            is refused); a ``transferred_to`` without it is a hand-over at an
            unknown time, left out of hand-over timings. Must lie within
            ``[opened_at, first_response_at]`` and not after ``closed_at``.
        rating_invited: Whether the customer was invited to rate (邀请评价),
            if recorded.
        sentiment_start: Customer mood at the start, if assessed.
        sentiment_end: Customer mood at the end, if assessed.
        invited_at: When the rating invitation was sent, if known; not
            before ``opened_at``.
        invitation_variant: Which invitation wording was sent, a free-form
            id (``"short"``, ``"emoji"``), for comparing variants.

    Raises:
        ValidationError: for an empty id, a naive datetime, ``closed_at``
            before ``opened_at``, ``first_response_at`` outside
            ``[opened_at, closed_at]``, ``handed_over_at`` out of order or
            without ``transferred_to``, ``invited_at`` before ``opened_at``,
            or a self-transfer.
    """

    id: str = attrs.field(validator=v.identifier)
    agent_id: str = attrs.field(validator=v.identifier)
    customer_id: str | None = attrs.field(default=None, validator=v.optional_identifier)
    opened_at: datetime = attrs.field(validator=_instant)
    closed_at: datetime | None = attrs.field(default=None, validator=_optional_instant)
    first_response_at: datetime | None = attrs.field(
        default=None, validator=_optional_instant
    )
    channel: Channel | None = attrs.field(
        default=None, validator=v.member_of(Channel, optional=True)
    )
    topic: str | None = attrs.field(default=None, validator=v.optional_identifier)
    difficulty: Difficulty | None = attrs.field(
        default=None, validator=v.member_of(Difficulty, optional=True)
    )
    resolved: bool = attrs.field(validator=v.boolean)
    escalated: bool | None = attrs.field(default=None, validator=_optional_flag)
    case_id: str | None = attrs.field(default=None, validator=v.optional_identifier)
    transferred_to: str | None = attrs.field(
        default=None, validator=v.optional_identifier
    )
    handed_over_at: datetime | None = attrs.field(
        default=None, validator=_optional_instant
    )
    rating_invited: bool | None = attrs.field(default=None, validator=_optional_flag)
    sentiment_start: Sentiment | None = attrs.field(
        default=None, validator=v.member_of(Sentiment, optional=True)
    )
    sentiment_end: Sentiment | None = attrs.field(
        default=None, validator=v.member_of(Sentiment, optional=True)
    )
    invited_at: datetime | None = attrs.field(default=None, validator=_optional_instant)
    invitation_variant: str | None = attrs.field(
        default=None, validator=v.optional_identifier
    )

    def __attrs_post_init__(self) -> None:
        if self.invited_at is not None and self.invited_at < self.opened_at:
            v.fail(
                self,
                "invited_at",
                self.invited_at,
                f"must not be before opened_at ({self.opened_at.isoformat()})",
            )
        if self.closed_at is not None and self.closed_at < self.opened_at:
            v.fail(
                self,
                "closed_at",
                self.closed_at,
                f"must not be before opened_at ({self.opened_at.isoformat()})",
            )
        if self.first_response_at is not None:
            if self.first_response_at < self.opened_at:
                v.fail(
                    self,
                    "first_response_at",
                    self.first_response_at,
                    f"must not be before opened_at ({self.opened_at.isoformat()})",
                )
            if self.closed_at is not None and self.first_response_at > self.closed_at:
                v.fail(
                    self,
                    "first_response_at",
                    self.first_response_at,
                    f"must not be after closed_at ({self.closed_at.isoformat()})",
                )
        self._check_hand_over()
        if self.transferred_to == self.agent_id:
            v.fail(
                self,
                "transferred_to",
                self.transferred_to,
                "must differ from agent_id (a hand-over goes to someone else)",
            )

    def _check_hand_over(self) -> None:
        handed = self.handed_over_at
        if handed is None:
            return
        if self.transferred_to is None:
            v.fail(
                self,
                "handed_over_at",
                handed,
                "needs transferred_to (a hand-over goes to someone)",
            )
        if handed < self.opened_at:
            v.fail(
                self,
                "handed_over_at",
                handed,
                f"must not be before opened_at ({self.opened_at.isoformat()})",
            )
        for name in ("first_response_at", "closed_at"):
            bound = getattr(self, name)
            if bound is not None and handed > bound:
                v.fail(
                    self,
                    "handed_over_at",
                    handed,
                    f"must not be after {name} ({bound.isoformat()})",
                )

    @property
    def handler_id(self) -> str:
        """Who it counts for: ``transferred_to`` if set, else ``agent_id``."""
        return self.transferred_to if self.transferred_to is not None else self.agent_id


def _rating_scale(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, RatingScale):
        raise WrongTypeError(
            type(instance).__name__, attribute.name, value, "must be a RatingScale"
        )


@attrs.frozen(kw_only=True)
class Rating(PlainRecord):
    """A customer's rating of one conversation.

    Attributes:
        conversation_id: The rated conversation.
        score: A whole number on ``scale``.
        scale: The :class:`RatingScale` the customer used.
        rated_at: When the rating was given, if known (timezone-aware).
        comment: The customer's words, if any.

    Raises:
        ValidationError: for a score off its scale.
    """

    conversation_id: str = attrs.field(validator=v.identifier)
    score: int = attrs.field(validator=v.integer)
    scale: RatingScale = attrs.field(validator=_rating_scale)
    rated_at: datetime | None = attrs.field(default=None, validator=_optional_instant)
    comment: str | None = attrs.field(default=None, validator=v.optional_text)

    def __attrs_post_init__(self) -> None:
        if not self.scale.low <= self.score <= self.scale.high:
            v.fail(
                self,
                "score",
                self.score,
                f"must be on the {self.scale.name} scale "
                f"({self.scale.low}..{self.scale.high})",
            )

    @property
    def satisfied(self) -> bool:
        """Whether the score counts as satisfied on its scale."""
        return self.scale.is_satisfied(self.score)

    @property
    def dissatisfied(self) -> bool:
        """Whether the score counts as dissatisfied on its scale."""
        return self.scale.is_dissatisfied(self.score)


@attrs.frozen(kw_only=True)
class QualityReview(PlainRecord):
    """A quality review (质检) of one sampled conversation.

    Attributes:
        conversation_id: The reviewed conversation.
        reviewer_id: Who reviewed it.
        accurate: Whether the replies were accurate (回复准确).
        script_compliant: Whether the agent followed the service script (话术规范).
        empathy: Empathy score from 1 (none) to 5 (excellent) (同理心).
        reviewed_at: When the review was recorded, if known
            (timezone-aware); :func:`~servicequality.as_of` leaves out
            reviews recorded after its instant.
    """

    conversation_id: str = attrs.field(validator=v.identifier)
    reviewer_id: str = attrs.field(validator=v.identifier)
    accurate: bool = attrs.field(validator=v.boolean)
    script_compliant: bool = attrs.field(validator=v.boolean)
    empathy: int = attrs.field(validator=v.integer_between(1, 5))
    reviewed_at: datetime | None = attrs.field(
        default=None, validator=_optional_instant
    )


@attrs.frozen(kw_only=True)
class KnowledgeTest(PlainRecord):
    """An agent's result in a product-knowledge test (专业知识测试).

    Attributes:
        agent_id: Who took the test.
        taken_at: When (timezone-aware).
        score: Points scored, ``0 <= score <= max_score``.
        max_score: Points available, greater than 0.
    """

    agent_id: str = attrs.field(validator=v.identifier)
    taken_at: datetime = attrs.field(validator=_instant)
    score: float = attrs.field(validator=[_float_sized, v.non_negative_real])
    max_score: float = attrs.field(validator=[_float_sized, v.positive_real])

    def __attrs_post_init__(self) -> None:
        if self.score > self.max_score:
            v.fail(
                self,
                "score",
                self.score,
                f"must not exceed max_score ({self.max_score})",
            )


_T = typing.TypeVar("_T")


def _from_mapping(cls: type[_T], data: Mapping[str, Any]) -> _T:
    name = cls.__name__
    if not isinstance(data, typing.Mapping):
        raise WrongTypeError(name, "<record>", data, "must be a mapping")
    fields = attrs.fields_dict(cls)  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            raise ValidationError(
                name, str(key), value, f"unknown field; known: {', '.join(fields)}"
            )
        kwargs[key] = _parse(name, key, hints[key], value)
    for key, field in fields.items():
        if key not in kwargs and field.default is attrs.NOTHING:
            raise ValidationError(name, key, None, "is required")
    return cls(**kwargs)


def _parse(owner: str, key: str, hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
    if isinstance(hint, type):
        if issubclass(hint, Enum) and isinstance(value, str):
            try:
                return hint(value)
            except ValueError:
                known = ", ".join(repr(m.value) for m in hint)
                raise ValidationError(
                    owner, key, value, f"must be one of {known}"
                ) from None
        if hint is datetime and isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                raise ValidationError(
                    owner, key, value, "must be an ISO 8601 datetime with an offset"
                ) from None
        if hint is RatingScale and isinstance(value, str | typing.Mapping):
            return RatingScale.from_dict(value)
    return value
