"""Record intake for ``ConversationTable.from_records``: parse, check, fold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from servicequality._columns import STRING, code_dtype, encode_strings, to_instants
from servicequality._errors import ValidationError, WrongTypeError
from servicequality._model import (
    Agent,
    Conversation,
    KnowledgeTest,
    QualityReview,
    Rating,
)
from servicequality._schema import (
    PRESENCE,
    RATING_COLUMNS,
    REVIEW_COLUMNS,
    agent_roles,
    check_defaults,
    coerce_column,
    enum_codes,
    row_problems,
    sorted_scales,
    test_columns,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = ["Errors", "Intake", "RecordKind", "Reject", "check_errors"]

Errors = Literal["raise", "collect"]
RecordKind = Literal["agent", "conversation", "rating", "review", "knowledge_test"]
_KINDS: tuple[RecordKind, ...] = (
    "agent",
    "conversation",
    "rating",
    "review",
    "knowledge_test",
)
_FIELD_OF_COLUMN = {"conversation_id": "id"}


@attrs.frozen(kw_only=True)
class Reject:
    """An input record that did not enter the table, and why.

    Attributes:
        kind: Which input it came from: ``"conversation"``, ``"rating"``,
            ``"review"``, ``"agent"`` or ``"knowledge_test"``.
        index: Its position in that input (0-based).
        id: Its id (the conversation id for ratings and reviews), if readable.
        field: The field that broke a rule.
        reason: The whole message: field, row, value and rule.
        value: The offending value, as given (or as stored, for a rule
            checked after loading).
        rule: The rule it broke, in words.
        column: The input column the value came from, where a frame loader
            read it under another name (``"是否解决"``), else ``None``.
    """

    kind: RecordKind
    index: int
    id: str | None
    field: str
    reason: str
    value: Any = None
    rule: str = ""
    column: str | None = None


def check_errors(errors: str) -> None:
    """Reject an ``errors=`` argument other than ``"raise"`` or ``"collect"``."""
    if errors not in ("raise", "collect"):
        raise ValidationError(
            "ConversationTable", "errors", errors, "must be 'raise' or 'collect'"
        )


def _record_id(kind: RecordKind, item: object) -> str | None:
    if not isinstance(item, Mapping):
        return None
    key = "conversation_id" if kind in ("rating", "review") else "id"
    if kind == "knowledge_test":
        key = "agent_id"
    value = item.get(key)
    return value if isinstance(value, str) else None


@attrs.define
class Intake:
    """Parses bulk records, raising or collecting every rejected one."""

    errors: Errors
    rejects: list[Reject] = attrs.field(factory=list)

    def reject(
        self,
        kind: RecordKind,
        index: int,
        record_id: str | None,
        error: ValidationError,
        column: str | None = None,
    ) -> None:
        """Raise ``error`` for row ``index`` or keep it as a :class:`Reject`."""
        located = ValidationError(
            error.owner, error.field, error.value, error.rule, index
        )
        if self.errors == "raise":
            raise located from None
        self.rejects.append(
            Reject(
                kind=kind,
                index=index,
                id=record_id,
                field=error.field,
                reason=str(located),
                value=error.value,
                rule=error.rule,
                column=column,
            )
        )

    def parse(
        self, kind: RecordKind, record_type: Any, items: Iterable[Any]
    ) -> list[tuple[int, Any]]:
        """``(index, record)`` for each item that is or becomes a valid record."""
        parsed = []
        for index, item in enumerate(items):
            try:
                record = (
                    item
                    if isinstance(item, record_type)
                    else record_type.from_dict(item)
                )
            except ValidationError as error:
                self.reject(kind, index, _record_id(kind, item), error)
            else:
                parsed.append((index, record))
        return parsed

    def roster(self, agents: Iterable[Agent | Mapping[str, Any]]) -> dict[str, Agent]:
        """The roster by id; a repeated id is rejected."""
        roster: dict[str, Agent] = {}
        for index, agent in self.parse("agent", Agent, agents):
            if agent.id in roster:
                error = ValidationError(
                    "Agent", "id", agent.id, "repeats an agent id of the roster"
                )
                self.reject("agent", index, agent.id, error)
            else:
                roster[agent.id] = agent
        return roster

    def knowledge_tests(
        self,
        tests: Iterable[KnowledgeTest | Mapping[str, Any]],
        roster: Mapping[str, Agent],
    ) -> list[KnowledgeTest]:
        """Valid tests; with a roster, only those of agents on it."""
        kept = []
        for index, test in self.parse("knowledge_test", KnowledgeTest, tests):
            if roster and test.agent_id not in roster:
                error = ValidationError(
                    "KnowledgeTest", "agent_id", test.agent_id, "is not in the roster"
                )
                self.reject("knowledge_test", index, test.agent_id, error)
            else:
                kept.append(test)
        return kept

    def link(
        self,
        kind: Literal["rating", "review"],
        record_type: type[Rating] | type[QualityReview],
        items: Iterable[Any],
        row_of: Mapping[str, int],
    ) -> dict[int, Any]:
        """Records by table row; unknown or second records are rejected."""
        linked: dict[int, Any] = {}
        for index, record in self.parse(kind, record_type, items):
            row = row_of.get(record.conversation_id)
            if row is None:
                rule = "names no conversation in the table"
            elif row in linked:
                rule = f"already has a {kind} (one per conversation)"
            else:
                linked[row] = record
                continue
            error = ValidationError(
                record_type.__name__, "conversation_id", record.conversation_id, rule
            )
            self.reject(kind, index, record.conversation_id, error)
        return linked

    def sorted_rejects(self) -> tuple[Reject, ...]:
        """Rejects by input kind, then input position."""
        return tuple(
            sorted(self.rejects, key=lambda r: (_KINDS.index(r.kind), r.index))
        )


def encode_conversations(
    rows: Sequence[Conversation],
    roster: Mapping[str, Agent],
    tests: Sequence[KnowledgeTest],
) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], NDArray[Any]]:
    """Columns and vocabularies of ``rows`` (no rating or review yet).

    The agent vocabulary covers the roster, the conversations' agents and
    hand-over targets and the tested agents; the knowledge tests' agent codes
    are returned third.
    """
    n = len(rows)
    agent_codes, agent_vocabulary = encode_strings(
        [
            *roster,
            *(c.agent_id for c in rows),
            *(c.transferred_to for c in rows),
            *(t.agent_id for t in tests),
        ]
    )
    first = len(roster)
    columns: dict[str, NDArray[Any]] = {
        "agent_id": agent_codes[first : first + n],
        "transferred_to": agent_codes[first + n : first + 2 * n],
        "opened_at": to_instants([c.opened_at for c in rows]),
        "closed_at": to_instants([c.closed_at for c in rows]),
        "first_response_at": to_instants([c.first_response_at for c in rows]),
        "handed_over_at": to_instants([c.handed_over_at for c in rows]),
        "invited_at": to_instants([c.invited_at for c in rows]),
        "channel": enum_codes([c.channel for c in rows]),
        "difficulty": enum_codes([c.difficulty for c in rows]),
        "resolved": np.array([c.resolved for c in rows], dtype=bool),
        "escalated": np.array([c.escalated is True for c in rows], dtype=bool),
        "rating_invited": np.array(
            [c.rating_invited is True for c in rows], dtype=bool
        ),
        "sentiment_start": enum_codes([c.sentiment_start for c in rows]),
        "sentiment_end": enum_codes([c.sentiment_end for c in rows]),
    }
    vocabularies: dict[str, NDArray[Any]] = {"agent_id": agent_vocabulary}
    for name, values in (
        ("conversation_id", [c.id for c in rows]),
        ("customer_id", [c.customer_id for c in rows]),
        ("topic", [c.topic for c in rows]),
        ("case_id", [c.case_id for c in rows]),
        ("invitation_variant", [c.invitation_variant for c in rows]),
    ):
        columns[name], vocabularies[name] = encode_strings(values)
    for name in (*RATING_COLUMNS, *REVIEW_COLUMNS):
        columns[name] = coerce_column(name, None, n)
    for name in ("rating_scale", "rating_comment", "reviewer_id"):
        vocabularies[name] = np.array([], dtype=STRING)
    return columns, vocabularies, agent_codes[first + 2 * n :]


def fold_ratings(
    columns: dict[str, NDArray[Any]],
    vocabularies: dict[str, NDArray[Any]],
    ratings: Mapping[int, Rating],
) -> tuple[Any, ...]:
    """Write the rating columns for rows ``ratings`` maps; return the scales."""
    size = len(columns["opened_at"])
    scales = sorted_scales(r.scale for r in ratings.values())
    scale_code = {scale: code for code, scale in enumerate(scales)}
    rows = np.fromiter(ratings, dtype=np.intp, count=len(ratings))
    values = list(ratings.values())
    rating_scale = np.full(size, -1, dtype=code_dtype(len(scales)))
    rating_scale[rows] = [scale_code[r.scale] for r in values]
    rating_score = np.zeros(size, dtype=np.int64)
    rating_score[rows] = [r.score for r in values]
    rated_at = np.full(size, np.datetime64("NaT"), dtype="datetime64[us]")
    rated_at[rows] = to_instants([r.rated_at for r in values])
    comments: list[str | None] = [None] * size
    for row, rating in ratings.items():
        comments[row] = rating.comment
    columns["rating_scale"] = rating_scale
    columns["rating_score"] = rating_score
    columns["rated_at"] = rated_at
    columns["rating_comment"], vocabularies["rating_comment"] = encode_strings(comments)
    return scales


def fold_reviews(
    columns: dict[str, NDArray[Any]],
    vocabularies: dict[str, NDArray[Any]],
    reviews: Mapping[int, QualityReview],
) -> None:
    """Write the review columns for rows ``reviews`` maps."""
    size = len(columns["opened_at"])
    rows = np.fromiter(reviews, dtype=np.intp, count=len(reviews))
    values = list(reviews.values())
    reviewers: list[str | None] = [None] * size
    for row, review in reviews.items():
        reviewers[row] = review.reviewer_id
    columns["reviewer_id"], vocabularies["reviewer_id"] = encode_strings(reviewers)
    for name, attribute, dtype in (
        ("review_accurate", "accurate", np.bool_),
        ("review_script_compliant", "script_compliant", np.bool_),
        ("review_empathy", "empathy", np.int8),
    ):
        column = np.zeros(size, dtype=dtype)
        column[rows] = [getattr(r, attribute) for r in values]
        columns[name] = column
    reviewed_at = np.full(size, np.datetime64("NaT"), dtype="datetime64[us]")
    reviewed_at[rows] = to_instants([r.reviewed_at for r in values])
    columns["reviewed_at"] = reviewed_at


def from_records(
    conversations: Iterable[Conversation | Mapping[str, Any]],
    *,
    ratings: Iterable[Rating | Mapping[str, Any]],
    reviews: Iterable[QualityReview | Mapping[str, Any]],
    agents: Iterable[Agent | Mapping[str, Any]],
    knowledge_tests: Iterable[KnowledgeTest | Mapping[str, Any]],
    errors: Errors,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Table parts from records; see ``ConversationTable.from_records``."""
    check_errors(errors)
    constants = check_defaults("from_records", defaults)
    for field, given in (
        ("conversations", conversations),
        ("ratings", ratings),
        ("reviews", reviews),
        ("agents", agents),
        ("knowledge_tests", knowledge_tests),
    ):
        if isinstance(given, str | bytes) or not isinstance(given, Iterable):
            raise WrongTypeError(
                "from_records", field, given, "must be an iterable of records"
            )
    intake = Intake(errors)
    roster = intake.roster(agents)
    parsed, absent = _present(
        intake, intake.parse("conversation", Conversation, conversations), constants
    )
    tests = intake.knowledge_tests(knowledge_tests, roster)
    rows = [record for _, record in parsed]
    columns, vocabularies, test_codes = encode_conversations(rows, roster, tests)
    roles = agent_roles(vocabularies["agent_id"], roster)

    accepted = np.ones(len(rows), dtype=bool)
    for row, column, value, rule in row_problems(
        columns, vocabularies, roles, roster, scales=(), absent=absent
    ):
        accepted[row] = False
        field = _FIELD_OF_COLUMN.get(column, column)
        error = ValidationError("Conversation", field, value, rule)
        intake.reject("conversation", parsed[row][0], rows[row].id, error)
    if not accepted.all():
        columns = {name: array[accepted] for name, array in columns.items()}
    row_of = {
        conversation.id: row
        for row, conversation in enumerate(
            c for c, ok in zip(rows, accepted, strict=True) if ok
        )
    }
    scales = fold_ratings(
        columns, vocabularies, intake.link("rating", Rating, ratings, row_of)
    )
    fold_reviews(
        columns, vocabularies, intake.link("review", QualityReview, reviews, row_of)
    )
    return {
        "columns": columns,
        "vocabularies": vocabularies,
        "scales": scales,
        "roster": tuple(roster.values()),
        "agent_role": roles,
        "tests": test_columns(tests, test_codes),
        "rejects": intake.sorted_rejects(),
        "absent": absent,
    }


def _present(
    intake: Intake, parsed: list[tuple[int, Conversation]], defaults: Mapping[str, Any]
) -> tuple[list[tuple[int, Conversation]], frozenset[str]]:
    """Conversations with defaults filled in, and the columns none of them gives.

    A column that only some conversations give rejects the others: a metric
    over it would otherwise count them as "no".
    """
    if defaults:
        parsed = [
            (
                index,
                attrs.evolve(
                    record,
                    **{k: x for k, x in defaults.items() if getattr(record, k) is None},
                ),
            )
            for index, record in parsed
        ]
    given = {
        name: [getattr(record, name) is not None for _, record in parsed]
        for name in PRESENCE
    }
    absent = frozenset(n for n in PRESENCE if parsed and not any(given[n]))
    partial = [name for name in PRESENCE if name not in absent]
    kept = []
    for position, (index, record) in enumerate(parsed):
        lacking = next((n for n in partial if not given[n][position]), None)
        if lacking is None:
            kept.append((index, record))
            continue
        error = ValidationError(
            "Conversation",
            lacking,
            None,
            "is missing, but other conversations give it: give it for every "
            f"conversation or for none (or pass defaults={{{lacking!r}: ...}})",
        )
        intake.reject("conversation", index, record.id, error)
    return kept, absent
