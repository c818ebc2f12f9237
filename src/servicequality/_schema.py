"""The column schema of a conversation table and its vectorised checks."""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from servicequality import _validators as v
from servicequality._columns import MISSING, STRING, code_dtype, to_instants
from servicequality._errors import UnknownKeyError, ValidationError, WrongTypeError
from servicequality._model import (
    Agent,
    Channel,
    CodedEnum,
    Difficulty,
    KnowledgeTest,
    RatingScale,
    Role,
    Sentiment,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from numpy.typing import ArrayLike, NDArray

OWNER = "ConversationTable"


Kind = Literal["code", "enum", "bool", "time", "int"]


_KINDS = ("code", "enum", "bool", "time", "int")


def _kind(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or value not in _KINDS:
        v.fail(instance, attribute.name, value, f"must be one of {_KINDS}")


def _enum_class(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not (
        isinstance(value, type) and issubclass(value, CodedEnum)
    ):
        v.wrong_type(type(instance).__name__, attribute.name, value, "an enumeration")


def _names(value: Any) -> tuple[str, ...]:
    rule = "must be a tuple of metric or dimension names"
    if isinstance(value, str) or not isinstance(value, tuple | list):
        raise WrongTypeError("Column", "read_by", value, rule)
    for name in value:
        if not isinstance(name, str) or not name:
            raise WrongTypeError("Column", "read_by", name, rule)
    return tuple(value)


@attrs.frozen(kw_only=True)
class Column:
    """One declared per-conversation column of a :class:`ConversationTable`.

    :data:`SCHEMA` holds one per column, by name; every loader reads its
    input through it.

    Attributes:
        kind: How the column is stored: ``"code"`` (a string id, stored as a
            code into a vocabulary), ``"enum"`` (an enumeration member),
            ``"bool"``, ``"time"`` (an instant, ``datetime64[us]`` UTC) or
            ``"int"``.
        optional: Whether the input may lack the column altogether. The
            table remembers which optional columns were absent
            (:attr:`ConversationTable.absent_columns`).
        vocabulary: For ids, the vocabulary the codes index.
        enum: For enumerations, the enumeration.
        nullable: Whether a row may leave the cell empty (no id, no instant).
            Defaults to ``optional``; a column that may be absent but, when
            given, is given for every row (``channel``) is optional and not
            nullable.
        meaning: What the column says, in one sentence.
        read_by: The built-in metrics (and ``by=`` dimensions) that read it;
            :func:`~servicequality.measure` refuses them on a table that
            lacks the column.
    """

    kind: Kind = attrs.field(validator=_kind)
    optional: bool = attrs.field(default=False, validator=v.boolean)
    vocabulary: str | None = attrs.field(default=None, validator=v.optional_identifier)
    enum: type[CodedEnum] | None = attrs.field(default=None, validator=_enum_class)
    nullable: bool = attrs.field(
        default=attrs.Factory(lambda self: self.optional, takes_self=True),
        validator=v.boolean,
    )
    meaning: str = attrs.field(default="", validator=v.optional_text)
    read_by: tuple[str, ...] = attrs.field(default=(), converter=_names)

    @property
    def required(self) -> bool:
        """Whether every input must have the column."""
        return not self.optional


def Spec(kind: Kind, **declared: Any) -> Column:  # noqa: N802  # reads as a type
    """A :class:`Column` of ``kind``: ``Spec("time", optional=True)``."""
    return Column(kind=kind, **declared)


_RATED = ("satisfaction_rate", "dissatisfaction_rate", "mean_rating", "rating_rate")
_RESPONSE = ("first_response_time", "responded_within")

COLUMNS: dict[str, Column] = {
    "conversation_id": Spec(
        "code", vocabulary="conversation_id", meaning="Unique conversation id."
    ),
    "agent_id": Spec(
        "code",
        vocabulary="agent_id",
        meaning="Who took the conversation first (a bot, if a bot answered).",
        read_by=("agent", "team", "role"),
    ),
    "customer_id": Spec(
        "code",
        optional=True,
        nullable=False,
        vocabulary="customer_id",
        meaning="The customer; chains a customer's conversations into cases.",
        read_by=("first_contact_resolution", "repeat_inquiry_rate"),
    ),
    "opened_at": Spec("time", meaning="When the customer opened it."),
    "closed_at": Spec(
        "time",
        optional=True,
        meaning="When it was closed; empty while open.",
        read_by=("resolution_time",),
    ),
    "first_response_at": Spec(
        "time",
        optional=True,
        meaning="First reply by whoever the conversation counts for.",
        read_by=_RESPONSE,
    ),
    "channel": Spec(
        "enum",
        optional=True,
        nullable=False,
        enum=Channel,
        meaning="Where the customer reached the shop.",
        read_by=("channel",),
    ),
    "topic": Spec(
        "code",
        optional=True,
        vocabulary="topic",
        meaning="Product category or subject (free-form id).",
        read_by=("topic",),
    ),
    "difficulty": Spec(
        "enum",
        optional=True,
        nullable=False,
        enum=Difficulty,
        meaning="How hard the problem was (难度系数).",
        read_by=("difficulty", "crisis_success", "difficulty_mix", "weighted_workload"),
    ),
    "resolved": Spec(
        "bool",
        meaning="Whether the problem was solved in this conversation.",
        read_by=("resolution_rate", "first_contact_resolution", "crisis_success"),
    ),
    "escalated": Spec(
        "bool",
        optional=True,
        nullable=False,
        meaning="Whether it was escalated to a supervisor (投诉升级).",
        read_by=("escalation_rate",),
    ),
    "case_id": Spec(
        "code",
        optional=True,
        vocabulary="case_id",
        meaning="Groups the conversations about one customer problem.",
    ),
    "transferred_to": Spec(
        "code",
        optional=True,
        vocabulary="agent_id",
        meaning="The human a bot handed the conversation to (转接人工).",
        read_by=("bot_containment", "transfer_rate"),
    ),
    "handed_over_at": Spec(
        "time",
        optional=True,
        meaning="When a bot handed the conversation to transferred_to (转人工).",
        read_by=(
            "handover_response_time",
            "handover_responded_within",
            "bot_wait_time",
        ),
    ),
    "rating_invited": Spec(
        "bool",
        optional=True,
        nullable=False,
        meaning="Whether the customer was invited to rate (邀请评价).",
        read_by=("response_rate",),
    ),
    "sentiment_start": Spec(
        "enum",
        optional=True,
        enum=Sentiment,
        meaning="Customer mood at the start.",
        read_by=("emotion_conversion",),
    ),
    "sentiment_end": Spec(
        "enum",
        optional=True,
        enum=Sentiment,
        meaning="Customer mood at the end.",
        read_by=("emotion_conversion",),
    ),
    "rating_scale": Spec(
        "code",
        optional=True,
        vocabulary="rating_scale",
        meaning="The scale of the rating (a loader parameter for frames).",
    ),
    "rating_score": Spec(
        "int",
        optional=True,
        meaning="The customer's rating; empty when unrated. Labels allowed.",
        read_by=_RATED,
    ),
    "rated_at": Spec("time", optional=True, meaning="When the rating was given."),
    "rating_comment": Spec(
        "code",
        optional=True,
        vocabulary="rating_comment",
        meaning="The customer's words with the rating.",
    ),
    "reviewer_id": Spec(
        "code",
        optional=True,
        vocabulary="reviewer_id",
        meaning="Who reviewed the conversation (质检); empty when not reviewed.",
    ),
    "review_accurate": Spec(
        "bool",
        optional=True,
        meaning="Review: replies were accurate.",
        read_by=("reply_accuracy",),
    ),
    "review_script_compliant": Spec(
        "bool",
        optional=True,
        meaning="Review: the service script was followed.",
        read_by=("script_compliance",),
    ),
    "review_empathy": Spec(
        "int",
        optional=True,
        meaning="Review: empathy from 1 to 5.",
        read_by=("empathy_score",),
    ),
    "reviewed_at": Spec(
        "time",
        optional=True,
        meaning="When the review was recorded; empty when unknown.",
    ),
    "invited_at": Spec(
        "time",
        optional=True,
        meaning="When the rating invitation was sent (邀请评价).",
    ),
    "invitation_variant": Spec(
        "code",
        optional=True,
        vocabulary="invitation_variant",
        meaning="Which invitation wording was sent (free-form id).",
    ),
}
SCHEMA: Mapping[str, Column] = types.MappingProxyType(COLUMNS)
"""Every per-conversation column of a table, by name, in table order."""
VOCABULARIES = (
    "conversation_id",
    "agent_id",
    "customer_id",
    "topic",
    "case_id",
    "reviewer_id",
    "rating_comment",
    "invitation_variant",
)
RATING_PARTS = ("rating_score", "rated_at", "rating_comment")
REVIEW_PARTS = ("review_accurate", "review_script_compliant", "review_empathy")
RATING_COLUMNS = ("rating_scale", *RATING_PARTS)
REVIEW_COLUMNS = ("reviewer_id", *REVIEW_PARTS, "reviewed_at")


def sorted_scales(scales: Iterable[RatingScale]) -> tuple[RatingScale, ...]:
    """Distinct scales in a fixed order (by name, then bounds)."""
    return tuple(sorted(set(scales), key=attrs.astuple))


def enum_codes(values: Sequence[CodedEnum | None]) -> NDArray[np.int8]:
    return np.array([MISSING if x is None else x.code for x in values], dtype=np.int8)


def agent_roles(
    vocabulary: NDArray[Any], roster: Mapping[str, Agent]
) -> NDArray[np.int8]:
    return np.array(
        [
            roster[x].role.code if x in roster else Role.AGENT.code
            for x in vocabulary.tolist()
        ],
        dtype=np.int8,
    )


def lookup(vocabulary: NDArray[Any], ids: Sequence[str]) -> NDArray[Any]:
    position = {x: i for i, x in enumerate(vocabulary.tolist())}
    return np.array([position[x] for x in ids], dtype=code_dtype(len(vocabulary)))


def test_columns(
    tests: Sequence[KnowledgeTest], agent_codes: NDArray[Any]
) -> dict[str, NDArray[Any]]:
    return {
        "agent_id": np.asarray(agent_codes),
        "taken_at": to_instants([t.taken_at for t in tests]),
        "score": np.array([t.score for t in tests], dtype=np.float64),
        "max_score": np.array([t.max_score for t in tests], dtype=np.float64),
    }


def decode(vocabulary: NDArray[Any], codes: NDArray[Any]) -> list[str | None]:
    names = vocabulary.tolist()
    return [None if code < 0 else names[code] for code in codes.tolist()]


def require_together(
    given: Mapping[str, object],
    key: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> None:
    """Columns that only mean something together: ``key`` with its parts."""
    for part in (*required, *optional):
        if given.get(part) is not None and given.get(key) is None:
            raise ValidationError(OWNER, key, None, f"is required when {part} is given")
    if given.get(key) is not None:
        for part in required:
            if given.get(part) is None:
                raise ValidationError(
                    OWNER, part, None, f"is required when {key} is given"
                )


_DTYPE_KINDS = {
    "time": ("M", "must be datetime64 (UTC instants)"),
    "bool": ("b", "must be a boolean array"),
    "code": ("iu", "must be an integer array (codes)"),
    "enum": ("iu", "must be an integer array of codes or an array of values"),
    "int": ("iu", "must be an integer array"),
}


def _filled(spec: Column, n: int) -> NDArray[Any]:
    if spec.kind == "time":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if spec.kind in ("code", "enum"):
        return np.full(n, MISSING, dtype=np.int8 if spec.kind == "enum" else np.int32)
    return np.zeros(n, dtype=bool if spec.kind == "bool" else np.int8)


def coerce_column(name: str, value: ArrayLike | None, n: int) -> NDArray[Any]:
    """Check one input column's shape and dtype; fill an omitted optional one."""
    spec = COLUMNS[name]
    if value is None:
        if not spec.optional:
            raise ValidationError(OWNER, name, None, "is required")
        return _filled(spec, n)
    array = np.asarray(value)
    if array.shape != (n,):
        raise ValidationError(
            OWNER, name, array.shape, f"must be a 1-D array of length {n}"
        )
    strings = array.dtype.kind in "UO" or isinstance(array.dtype, type(STRING))
    if spec.enum is not None and strings:
        return enum_from_strings(name, spec.enum, array)
    kinds, rule = _DTYPE_KINDS[spec.kind]
    if array.dtype.kind not in kinds:
        raise ValidationError(OWNER, name, str(array.dtype), rule)
    if spec.kind == "time":
        return array.astype("datetime64[us]", copy=False)
    return array


def _repeats(ids: NDArray[Any], n: int) -> NDArray[np.bool_]:
    """Rows whose id an earlier row already has (codes are non-negative)."""
    rows = np.arange(n)
    if n == 0 or (ids < 0).any():
        _, first_rows = np.unique(ids, return_index=True)
        repeated = np.ones(n, dtype=bool)
        repeated[first_rows] = False
        return repeated
    counts = np.bincount(ids)
    if counts.max() <= 1:
        return np.zeros(n, dtype=bool)
    first = np.full(len(counts), n, dtype=np.int64)
    np.minimum.at(first, ids, rows)
    return np.asarray(first[ids] != rows)


def enum_from_strings(
    name: str, enum: type[CodedEnum], array: NDArray[Any]
) -> NDArray[np.int8]:
    values, inverse = np.unique(array.astype(object).astype(str), return_inverse=True)
    codes = []
    for value in values.tolist():
        try:
            codes.append(parse_enum(enum, value).code)
        except ValueError:
            known = ", ".join(repr(m.value) for m in enum)
            raise ValidationError(
                OWNER, name, value, f"must be one of {known}"
            ) from None
    return np.array(codes, dtype=np.int8)[inverse.reshape(-1)]


def display(
    columns: Mapping[str, NDArray[Any]],
    vocabularies: Mapping[str, NDArray[Any]],
    field: str,
    row: int,
    zone: tzinfo | None = None,
) -> Any:
    """The value of one cell as a user wrote it: ids, enum values, datetimes.

    Instants are aware datetimes in ``zone`` (UTC if none); one beyond
    Python's datetime range is shown as the ``datetime64`` it is.
    """
    spec = COLUMNS[field]
    value = columns[field][row]
    if spec.kind == "code":
        vocabulary = vocabularies[spec.vocabulary or field]
        code = int(value)
        return str(vocabulary[code]) if 0 <= code < len(vocabulary) else code
    if spec.kind == "enum" and spec.enum is not None:
        code = int(value)
        return spec.enum.from_code(code).value if 0 <= code < len(spec.enum) else code
    if spec.kind == "time":
        return shown_instant(value, zone)
    return value.item()


def shown_instant(value: np.datetime64, zone: tzinfo | None) -> Any:
    """An aware datetime in ``zone`` (UTC if none), or the raw value if it cannot be."""
    moment = value.astype("datetime64[us]").item()
    if not isinstance(moment, datetime):
        return None if np.isnat(value) else str(value)
    try:
        return moment.replace(tzinfo=UTC).astimezone(zone or UTC)
    except OverflowError:
        return moment.replace(tzinfo=UTC)


Check = tuple["NDArray[np.bool_]", str, str, "str | None"]
"""Rows that break a rule, the field, the rule in words, the other field it names."""


def _code_checks(
    columns: Mapping[str, NDArray[Any]],
    vocabularies: Mapping[str, NDArray[Any]],
    absent: frozenset[str],
) -> tuple[list[Check], dict[str, NDArray[np.bool_]]]:
    """Codes inside their list, and which rows hold a (non-missing) valid code."""
    checks: list[Check] = []
    valid: dict[str, NDArray[np.bool_]] = {}
    for name, spec in COLUMNS.items():
        if spec.kind not in ("code", "enum"):
            continue
        size = (
            len(spec.enum)
            if spec.enum is not None
            else len(vocabularies[spec.vocabulary or name])
        )
        codes = columns[name]
        empty = spec.nullable or name in absent
        valid[name] = _below(codes, size)
        ok = valid[name] | (codes == -1) if empty else valid[name]
        what = (
            f"{spec.enum.__name__} code"
            if spec.enum is not None
            else f"code into the {spec.vocabulary} list"
        )
        none = ", or -1 for none" if empty else ""
        checks.append((~ok, name, f"must be a {what} (0..{size - 1}{none})", None))
    return checks, valid


def _below(codes: NDArray[Any], size: int) -> NDArray[np.bool_]:
    """``0 <= codes < size`` in one pass: negative codes read as unsigned are huge."""
    unsigned = codes.view(np.dtype(f"u{codes.dtype.itemsize}"))
    return np.asarray(unsigned < size)


def _time_checks(columns: Mapping[str, NDArray[Any]]) -> list[Check]:
    """Opened, hand-over, first reply and closing in order."""
    opened = columns["opened_at"]
    closed, first = columns["closed_at"], columns["first_response_at"]
    handed = columns["handed_over_at"]
    return [
        (np.isnat(opened), "opened_at", "must be set", None),
        (closed < opened, "closed_at", "must not be before", "opened_at"),
        (first < opened, "first_response_at", "must not be before", "opened_at"),
        (first > closed, "first_response_at", "must not be after", "closed_at"),
        (
            ~np.isnat(handed) & (columns["transferred_to"] < 0),
            "handed_over_at",
            "needs transferred_to (a hand-over goes to someone)",
            None,
        ),
        (handed < opened, "handed_over_at", "must not be before", "opened_at"),
        (handed > first, "handed_over_at", "must not be after", "first_response_at"),
        (handed > closed, "handed_over_at", "must not be after", "closed_at"),
        (
            columns["invited_at"] < opened,
            "invited_at",
            "must not be before",
            "opened_at",
        ),
        (
            columns["reviewed_at"] < opened,
            "reviewed_at",
            "must not be before",
            "opened_at",
        ),
    ]


def _agent_checks(
    columns: Mapping[str, NDArray[Any]],
    vocabularies: Mapping[str, NDArray[Any]],
    agent_role: NDArray[np.int8],
    roster: Mapping[str, Agent],
    valid: Mapping[str, NDArray[np.bool_]],
) -> list[Check]:
    """Hand-overs go to someone else, a human; agents are on the roster."""
    agent, transferred = columns["agent_id"], columns["transferred_to"]
    handed = valid["transferred_to"]
    checks: list[Check] = [
        (
            (agent == transferred) & handed,
            "transferred_to",
            "must differ from agent_id",
            None,
        ),
        (
            _repeats(columns["conversation_id"], len(agent)),
            "conversation_id",
            "repeats the id of an earlier conversation",
            None,
        ),
    ]
    if roster:
        listed = np.array(
            [x in roster for x in vocabularies["agent_id"].tolist()], dtype=bool
        )
        for name in ("agent_id", "transferred_to"):
            codes = np.where(valid[name], columns[name], 0)
            checks.append(
                (valid[name] & ~listed[codes], name, "is not in the agent roster", None)
            )
        bot = handed & (agent_role[np.where(handed, transferred, 0)] == Role.BOT.code)
        checks.append((bot, "transferred_to", "must be a human agent, not a bot", None))
    return checks


def _score_checks(
    columns: Mapping[str, NDArray[Any]],
    scales: Sequence[RatingScale],
    valid: Mapping[str, NDArray[np.bool_]],
) -> list[Check]:
    """Rating scores on their scale, review empathy from 1 to 5."""
    checks: list[Check] = []
    rated = valid["rating_scale"]
    if scales:
        scale = np.where(rated, columns["rating_scale"], 0)
        lowest = np.array([s.low for s in scales])[scale]
        highest = np.array([s.high for s in scales])[scale]
        score = columns["rating_score"]
        outside = rated & ((score < lowest) | (score > highest))
        checks.append((outside, "rating_score", "must be on its rating scale", None))
    empathy = columns["review_empathy"]
    checks.append(
        (
            valid["reviewer_id"] & ((empathy < 1) | (empathy > 5)),
            "review_empathy",
            "must be between 1 and 5",
            None,
        )
    )
    checks.append(
        (
            ~valid["reviewer_id"] & ~np.isnat(columns["reviewed_at"]),
            "reviewed_at",
            "needs a review (reviewer_id) on the row",
            None,
        )
    )
    return checks


Problem = tuple[int, str, Any, str]
"""A bad row: its position, the field, the value shown and the rule in words."""


def row_problems(
    columns: Mapping[str, NDArray[Any]],
    vocabularies: Mapping[str, NDArray[Any]],
    agent_role: NDArray[np.int8],
    roster: Mapping[str, Agent],
    *,
    scales: Sequence[RatingScale],
    absent: frozenset[str] = frozenset(),
    zone: tzinfo | None = None,
) -> list[Problem]:
    """The first broken rule of each bad row, by row.

    A rule between two fields quotes the other field's value too; instants
    are shown in ``zone`` (UTC if none).
    """
    n = len(columns["opened_at"])
    checks, valid = _code_checks(columns, vocabularies, absent)
    checks += _time_checks(columns)
    checks += _agent_checks(columns, vocabularies, agent_role, roster, valid)
    checks += _score_checks(columns, scales, valid)
    first_rule = np.full(n, -1, dtype=np.int16)
    for position, (bad, _, _, _) in enumerate(checks):
        first_rule[(first_rule < 0) & bad] = position
    problems = []
    for row in np.flatnonzero(first_rule >= 0).tolist():
        _, field, rule, other = checks[first_rule[row]]
        value = display(columns, vocabularies, field, row, zone)
        if other is not None:
            rule = _ordering(columns, vocabularies, row, (field, rule, other), zone)
        problems.append((row, field, value, rule))
    return problems


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _ordering(
    columns: Mapping[str, NDArray[Any]],
    vocabularies: Mapping[str, NDArray[Any]],
    row: int,
    check: tuple[str, str, str],
    zone: tzinfo | None,
) -> str:
    """An ordering rule with both sides, and a hint for minute-truncated ends."""
    field, rule, other = check
    shown = display(columns, vocabularies, other, row, zone)
    text = f"{rule} {other} ({_iso(shown)})"
    later, earlier = (field, other) if rule.endswith("before") else (other, field)
    if later == "closed_at":
        end = columns["closed_at"][row].astype("datetime64[us]")
        gap = columns[earlier][row].astype("datetime64[us]") - end
        whole_minute = end == end.astype("datetime64[m]")
        if whole_minute and np.timedelta64(0) < gap < np.timedelta64(1, "m"):
            text += (
                "; closed_at is on a whole minute and less than a minute early: "
                "were end times cut to the minute in the export?"
            )
    return text


def absent_read(absent: Iterable[str], reader: str) -> str | None:
    """The first absent column that the metric or dimension ``reader`` reads."""
    lacking = set(absent)
    return next(
        (n for n, c in COLUMNS.items() if n in lacking and reader in c.read_by), None
    )


def refuse_absent(
    owner: str, absent: Iterable[str], metrics: Iterable[Any], by: Iterable[Any]
) -> None:
    """Refuse a metric or ``by=`` dimension that reads a column the table lacks.

    Raises:
        UnknownKeyError: naming the metric (or dimension) and the column.
    """
    readers = [(m.name, "metrics") for m in metrics]
    readers += [(d, "by") for d in by if isinstance(d, str)]
    for reader, field in readers:
        name = absent_read(absent, reader)
        if name is not None:
            raise UnknownKeyError(
                owner,
                field,
                reader,
                f"reads the column {name!r}, which the table does not have; "
                + absent_hint(name),
            )


PRESENCE = tuple(
    name for name, column in COLUMNS.items() if column.optional and not column.nullable
)
"""Optional columns that, once given, must be given for every row."""


def parse_enum(enum: type[CodedEnum], value: object) -> CodedEnum:
    """The member named by ``value`` (a member or its value, any case).

    Raises:
        ValueError: for anything else.
    """
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        return enum(value.strip().lower())
    raise ValueError(value)


_IDENTITIES = ("customer_id", "case_id")
DEFAULTABLE = tuple(
    name
    for name, column in COLUMNS.items()
    if column.optional
    and column.kind in ("code", "enum", "bool")
    and column.vocabulary in (None, name)
    and name not in ("rating_scale", "rating_comment", "reviewer_id", *_IDENTITIES)
    and not name.startswith("review_")
)
"""Optional columns a loader's ``defaults=`` may fill with one value."""


def absent_hint(name: str) -> str:
    """What to do about the absent column ``name``."""
    if name in DEFAULTABLE:
        return (
            f"load that column, or pass defaults={{{name!r}: ...}} to the loader "
            "if one value really holds for every row"
        )
    return "load that column"


def check_defaults(owner: str, defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    """``defaults`` with each value read as its column's kind.

    Raises:
        ValidationError: for a column that is not optional or cannot take a
            constant (instants, ratings, reviews, hand-overs), or a value of
            the wrong kind.
    """
    if defaults is None:
        return {}
    if not isinstance(defaults, Mapping):
        raise WrongTypeError(owner, "defaults", defaults, "must be a mapping")
    allowed = DEFAULTABLE
    parsed: dict[str, Any] = {}
    for name, value in defaults.items():
        if name in _IDENTITIES:
            rule = (
                "can take no default: one id for every row would make all "
                "conversations one customer's (or one case), a change of meaning"
            )
            raise ValidationError(owner, "defaults", name, rule)
        if name not in allowed:
            rule = f"can take no default; columns with defaults: {', '.join(allowed)}"
            raise ValidationError(owner, "defaults", name, rule)
        column = COLUMNS[name]
        if column.enum is not None:
            try:
                parsed[name] = parse_enum(column.enum, value)
            except ValueError:
                known = ", ".join(repr(m.value) for m in column.enum)
                raise ValidationError(
                    owner, f"defaults[{name!r}]", value, f"must be one of {known}"
                ) from None
        elif column.kind == "bool":
            if not isinstance(value, bool | np.bool_):
                raise WrongTypeError(
                    owner, f"defaults[{name!r}]", value, "must be True or False"
                )
            parsed[name] = bool(value)
        else:
            if not isinstance(value, str) or not value.strip():
                raise WrongTypeError(
                    owner, f"defaults[{name!r}]", value, "must be a non-blank id"
                )
            parsed[name] = value
    return parsed
