"""The column schema of a conversation table and its vectorised checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from servicequality._columns import MISSING, STRING, code_dtype, to_instants
from servicequality._errors import ValidationError
from servicequality._model import (
    Agent,
    Channel,
    Difficulty,
    KnowledgeTest,
    RatingScale,
    Role,
    Sentiment,
    _Coded,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from numpy.typing import ArrayLike, NDArray

OWNER = "ConversationTable"


@attrs.frozen
class Spec:
    """How a per-conversation column is stored and checked."""

    kind: Literal["code", "enum", "bool", "time", "int"]
    optional: bool = False
    vocabulary: str | None = None
    enum: type[_Coded] | None = None


COLUMNS: dict[str, Spec] = {
    "conversation_id": Spec("code", vocabulary="conversation_id"),
    "agent_id": Spec("code", vocabulary="agent_id"),
    "customer_id": Spec("code", vocabulary="customer_id"),
    "opened_at": Spec("time"),
    "closed_at": Spec("time", optional=True),
    "first_response_at": Spec("time", optional=True),
    "channel": Spec("enum", enum=Channel),
    "topic": Spec("code", optional=True, vocabulary="topic"),
    "difficulty": Spec("enum", enum=Difficulty),
    "resolved": Spec("bool"),
    "escalated": Spec("bool"),
    "case_id": Spec("code", optional=True, vocabulary="case_id"),
    "transferred_to": Spec("code", optional=True, vocabulary="agent_id"),
    "rating_invited": Spec("bool"),
    "sentiment_start": Spec("enum", optional=True, enum=Sentiment),
    "sentiment_end": Spec("enum", optional=True, enum=Sentiment),
    "rating_scale": Spec("code", optional=True, vocabulary="rating_scale"),
    "rating_score": Spec("int", optional=True),
    "rated_at": Spec("time", optional=True),
    "rating_comment": Spec("code", optional=True, vocabulary="rating_comment"),
    "reviewer_id": Spec("code", optional=True, vocabulary="reviewer_id"),
    "review_accurate": Spec("bool", optional=True),
    "review_script_compliant": Spec("bool", optional=True),
    "review_empathy": Spec("int", optional=True),
    "invited_at": Spec("time", optional=True),
    "invitation_variant": Spec("code", optional=True, vocabulary="invitation_variant"),
}
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
REVIEW_COLUMNS = ("reviewer_id", *REVIEW_PARTS)


def sorted_scales(scales: Iterable[RatingScale]) -> tuple[RatingScale, ...]:
    """Distinct scales in a fixed order (by name, then bounds)."""
    return tuple(sorted(set(scales), key=attrs.astuple))


def enum_codes(values: Sequence[_Coded | None]) -> NDArray[np.int8]:
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
        if given[part] is not None and given[key] is None:
            raise ValidationError(OWNER, key, None, f"is required when {part} is given")
    if given[key] is not None:
        for part in required:
            if given[part] is None:
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


def _filled(spec: Spec, n: int) -> NDArray[Any]:
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
    name: str, enum: type[_Coded], array: NDArray[Any]
) -> NDArray[np.int8]:
    values, inverse = np.unique(array.astype(object).astype(str), return_inverse=True)
    codes = []
    for value in values.tolist():
        try:
            codes.append(enum(value).code)
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
) -> Any:
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
        return str(value)
    return value.item()


Check = tuple["NDArray[np.bool_]", str, str]
"""Rows that break a rule, the field, and the rule in words."""


def _code_checks(
    columns: Mapping[str, NDArray[Any]], vocabularies: Mapping[str, NDArray[Any]]
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
        low = -1 if spec.optional else 0
        ok = (codes >= low) & (codes < size)
        valid[name] = ok & (codes >= 0)
        what = (
            f"{spec.enum.__name__} code"
            if spec.enum is not None
            else f"code into the {spec.vocabulary} list"
        )
        none = ", or -1 for none" if spec.optional else ""
        checks.append((~ok, name, f"must be a {what} (0..{size - 1}{none})"))
    return checks, valid


def _time_checks(columns: Mapping[str, NDArray[Any]]) -> list[Check]:
    """Opened, first reply and closing in order."""
    opened = columns["opened_at"]
    closed, first = columns["closed_at"], columns["first_response_at"]
    return [
        (np.isnat(opened), "opened_at", "must be set"),
        (closed < opened, "closed_at", "must not be before opened_at"),
        (first < opened, "first_response_at", "must not be before opened_at"),
        (first > closed, "first_response_at", "must not be after closed_at"),
        (columns["invited_at"] < opened, "invited_at", "must not be before opened_at"),
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
        ),
        (
            _repeats(columns["conversation_id"], len(agent)),
            "conversation_id",
            "repeats the id of an earlier conversation",
        ),
    ]
    if roster:
        listed = np.array(
            [x in roster for x in vocabularies["agent_id"].tolist()], dtype=bool
        )
        for name in ("agent_id", "transferred_to"):
            codes = np.where(valid[name], columns[name], 0)
            checks.append(
                (valid[name] & ~listed[codes], name, "is not in the agent roster")
            )
        bot = handed & (agent_role[np.where(handed, transferred, 0)] == Role.BOT.code)
        checks.append((bot, "transferred_to", "must be a human agent, not a bot"))
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
        checks.append((outside, "rating_score", "must be on its rating scale"))
    empathy = columns["review_empathy"]
    checks.append(
        (
            valid["reviewer_id"] & ((empathy < 1) | (empathy > 5)),
            "review_empathy",
            "must be between 1 and 5",
        )
    )
    return checks


def row_problems(
    columns: Mapping[str, NDArray[Any]],
    vocabularies: Mapping[str, NDArray[Any]],
    agent_role: NDArray[np.int8],
    roster: Mapping[str, Agent],
    *,
    scales: Sequence[RatingScale],
) -> list[tuple[int, str, str]]:
    """The first broken rule of each bad row, as ``(row, field, rule)``, by row."""
    n = len(columns["opened_at"])
    checks, valid = _code_checks(columns, vocabularies)
    checks += _time_checks(columns)
    checks += _agent_checks(columns, vocabularies, agent_role, roster, valid)
    checks += _score_checks(columns, scales, valid)
    first_rule = np.full(n, -1, dtype=np.int16)
    for position, (bad, _, _) in enumerate(checks):
        first_rule[(first_rule < 0) & bad] = position
    rows = np.flatnonzero(first_rule >= 0)
    return [
        (int(row), checks[first_rule[row]][1], checks[first_rule[row]][2])
        for row in rows
    ]
