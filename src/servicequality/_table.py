"""The columnar, validated, read-only :class:`ConversationTable`."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any, cast

import attrs
import numpy as np

from servicequality import _arrays, _display, _frames, _history, _intake, _messages
from servicequality._columns import (
    MISSING,
    STRING,
    ReadOnly,
    code_dtype,
    fill_slots,
    from_instants,
    read_only,
    unique_strings,
)
from servicequality._errors import ValidationError, WrongTypeError
from servicequality._intake import Errors, Reject
from servicequality._messages import MessageTable
from servicequality._model import (
    Agent,
    Conversation,
    KnowledgeTest,
    QualityReview,
    Rating,
    RatingScale,
)
from servicequality._schema import (
    COLUMNS,
    VOCABULARIES,
    agent_roles,
    decode,
    sorted_scales,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
    from datetime import datetime, tzinfo

    from numpy.typing import ArrayLike, NDArray

    from servicequality._history import RatingExclusion

__all__ = ["ConversationTable", "Reject", "TableRecords"]

_TEST_COLUMNS = ("agent_id", "taken_at", "score", "max_score")


def _same_arrays(
    left: Mapping[str, NDArray[Any]], right: Mapping[str, NDArray[Any]]
) -> bool:
    return left.keys() == right.keys() and all(
        left[k].dtype == right[k].dtype
        and np.array_equal(left[k], right[k], equal_nan=left[k].dtype.kind in "fcmM")
        for k in left
    )


@attrs.frozen(kw_only=True)
class TableRecords:
    """The records a table holds, as value objects (see ``to_records``).

    Attributes:
        conversations: In table order.
        ratings: One per rated conversation, in table order.
        reviews: One per reviewed conversation, in table order.
        agents: The roster the table was built with.
        knowledge_tests: In input order.
    """

    conversations: tuple[Conversation, ...]
    ratings: tuple[Rating, ...] = ()
    reviews: tuple[QualityReview, ...] = ()
    agents: tuple[Agent, ...] = ()
    knowledge_tests: tuple[KnowledgeTest, ...] = ()

    def __repr__(self) -> str:
        return (
            f"<TableRecords: {len(self.conversations)} conversations, "
            f"{len(self.ratings)} ratings, {len(self.reviews)} reviews, "
            f"{len(self.agents)} agents, {len(self.knowledge_tests)} knowledge tests>"
        )


class ConversationTable(ReadOnly):
    """Conversations as read-only numpy columns, with ratings, reviews and agents.

    Each row is one conversation; its customer rating and quality review (if
    any) are folded into the row. String ids are integer codes into
    vocabularies (see :meth:`vocabulary`); optional codes use -1 for "none";
    timestamps are ``datetime64[us]`` UTC instants with NaT for "none";
    enumerations are their ``code`` (``Channel.DM.code``).

    Build one with :meth:`from_records` (value objects or plain mappings) or
    :meth:`from_arrays` (numpy columns). Every input record either enters the
    table or is listed in :attr:`rejects`.

    Without a roster (``agents=()``) every agent id counts as a human
    ``Role.AGENT``; pass the roster to measure bots and supervisors apart.
    """

    __slots__ = (
        "_absent",
        "_agent_role",
        "_cache",
        "_columns",
        "_messages",
        "_rejects",
        "_roster",
        "_scales",
        "_tests",
        "_vocabularies",
    )
    _absent: frozenset[str]
    _agent_role: NDArray[np.int8]
    _cache: dict[object, Any]
    _columns: Mapping[str, NDArray[Any]]
    _messages: MessageTable | None
    _rejects: tuple[Reject, ...]
    _roster: tuple[Agent, ...]
    _scales: tuple[RatingScale, ...]
    _tests: Mapping[str, NDArray[Any]]
    _vocabularies: Mapping[str, NDArray[Any]]

    def __init__(
        self,
        *,
        columns: Mapping[str, NDArray[Any]],
        vocabularies: Mapping[str, NDArray[Any]],
        scales: tuple[RatingScale, ...],
        roster: tuple[Agent, ...],
        agent_role: NDArray[np.int8],
        tests: Mapping[str, NDArray[Any]],
        rejects: tuple[Reject, ...] = (),
        messages: MessageTable | None = None,
        absent: frozenset[str] = frozenset(),
    ) -> None:
        """Assemble a table from validated parts; use the ``from_*`` constructors."""
        fill_slots(
            self,
            _absent=frozenset(absent),
            _columns=types.MappingProxyType(
                {name: read_only(columns[name]) for name in COLUMNS}
            ),
            _vocabularies=types.MappingProxyType(
                {name: read_only(vocabularies[name]) for name in VOCABULARIES}
            ),
            _scales=scales,
            _roster=roster,
            _agent_role=read_only(agent_role),
            _tests=types.MappingProxyType(
                {name: read_only(tests[name]) for name in _TEST_COLUMNS}
            ),
            _rejects=rejects,
            _messages=messages,
            _cache={},
        )

    def __len__(self) -> int:
        return len(self._columns["opened_at"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConversationTable):
            return NotImplemented
        return self is other or (
            self._scales == other._scales
            and self._roster == other._roster
            and self._rejects == other._rejects
            and self._absent == other._absent
            and _same_arrays(self._columns, other._columns)
            and _same_arrays(self._vocabularies, other._vocabularies)
            and _same_arrays(self._tests, other._tests)
            and np.array_equal(self._agent_role, other._agent_role)
            and self._messages == other._messages
        )

    __hash__ = None  # type: ignore[assignment]  # equal by content, not hashable

    def __getstate__(self) -> dict[str, Any]:
        return {
            "columns": dict(self._columns),
            "vocabularies": dict(self._vocabularies),
            "scales": self._scales,
            "roster": self._roster,
            "agent_role": self._agent_role,
            "tests": dict(self._tests),
            "rejects": self._rejects,
            "messages": self._messages,
            "absent": self._absent,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]  # rebuild the read-only views

    def derived(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A fact derived from this table, computed once and kept with it.

        Tables never change, so a derived fact (the engine's per-row facts,
        cases, business-time durations) stays valid for the table's life.
        ``compute`` is called only when ``key`` has not been derived yet;
        copies and pickles of the table start without derived facts.
        """
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = compute()
            return value

    def __getitem__(self, name: str) -> NDArray[Any]:
        """The read-only column ``name`` (see :attr:`column_names`).

        Raises:
            KeyError: naming the known columns.
        """
        try:
            return self._columns[name]
        except KeyError:
            known = ", ".join(self._columns)
            raise KeyError(f"no column {name!r}; columns: {known}") from None

    def __repr__(self) -> str:
        rated = int((self._columns["rating_scale"] >= 0).sum())
        return (
            f"<ConversationTable: {len(self)} conversations, "
            f"{len(self._vocabularies['agent_id'])} agents, {rated} rated, "
            f"{len(self._rejects)} rejected>"
        )

    def _repr_html_(self) -> str:
        """Notebook view: counts, the first conversations and rejects."""
        return _display.conversation_table(self)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the per-conversation columns, in a fixed order."""
        return tuple(self._columns)

    def vocabulary(self, name: str) -> NDArray[Any]:
        """The ids that the codes of vocabulary ``name`` index.

        ``name`` is one of ``conversation_id``, ``agent_id`` (also indexed by
        ``transferred_to`` and the knowledge tests), ``customer_id``,
        ``topic``, ``case_id``, ``reviewer_id`` or ``rating_comment``.

        Raises:
            KeyError: naming the known vocabularies.
        """
        try:
            return self._vocabularies[name]
        except KeyError:
            known = ", ".join(VOCABULARIES)
            raise KeyError(f"no vocabulary {name!r}; vocabularies: {known}") from None

    @property
    def agent_roles(self) -> NDArray[np.int8]:
        """:class:`Role` code of each id in ``vocabulary("agent_id")``."""
        return self._agent_role

    @property
    def agents(self) -> tuple[Agent, ...]:
        """The roster the table was built with (empty if none was given)."""
        return self._roster

    @property
    def rating_scales(self) -> tuple[RatingScale, ...]:
        """The scales that the ``rating_scale`` codes index."""
        return self._scales

    @property
    def knowledge_tests(self) -> Mapping[str, NDArray[Any]]:
        """Knowledge-test columns.

        ``agent_id`` (codes into ``vocabulary("agent_id")``), ``taken_at``
        (``datetime64[us]`` UTC), ``score`` and ``max_score`` (float64).
        """
        return self._tests

    @property
    def messages(self) -> MessageTable | None:
        """The attached message events (see :meth:`with_messages`), if any."""
        return self._messages

    def with_messages(self, messages: MessageTable) -> ConversationTable:
        """This table with ``messages`` attached, for the reply metrics.

        Messages travel with their conversations: :meth:`filter` keeps the
        messages of the kept rows, :meth:`concat` joins them, drill-down
        tables carry them.

        Raises:
            UnknownKeyError: for a message of a conversation not in the table.
            ValidationError: for a message sent before its conversation
                opened or after it closed (naming the message's row).
        """
        table = ConversationTable(**{**self._parts(), "messages": messages})
        _messages.attach(table, messages)
        return table

    @property
    def absent_columns(self) -> frozenset[str]:
        """Optional columns the input did not have (see :data:`SCHEMA`).

        An absent column is stored as "none" (code -1, NaT, ``False``) and
        :func:`~servicequality.measure` refuses every metric that reads it;
        a column that was given with every cell empty is not absent.
        """
        return self._absent

    @property
    def rejects(self) -> tuple[Reject, ...]:
        """Records left out of the table, by kind then input position."""
        return self._rejects

    @classmethod
    def from_records(
        cls,
        conversations: Iterable[Conversation | Mapping[str, Any]],
        *,
        ratings: Iterable[Rating | Mapping[str, Any]] = (),
        reviews: Iterable[QualityReview | Mapping[str, Any]] = (),
        agents: Iterable[Agent | Mapping[str, Any]] = (),
        knowledge_tests: Iterable[KnowledgeTest | Mapping[str, Any]] = (),
        errors: Errors = "raise",
        defaults: Mapping[str, Any] | None = None,
    ) -> ConversationTable:
        """Build a table from value objects or plain mappings (``to_dict`` form).

        Rows keep the input order; vocabularies are sorted, so they depend on
        the set of ids only. Rejected: a record that fails validation, a
        repeated conversation id (the first is kept), an ``agent_id`` or
        ``transferred_to`` missing from a non-empty roster, a hand-over to a
        bot, a rating or review of an unknown (or rejected) conversation, a
        second rating or review of one conversation, a repeated roster id, a
        knowledge test of an agent missing from a non-empty roster.

        Args:
            conversations: The conversations.
            ratings: At most one per conversation.
            reviews: Quality reviews, at most one per conversation.
            agents: The roster; empty means every id is a human agent.
            knowledge_tests: Knowledge-test results of the agents.
            errors: ``"raise"`` stops at the first bad record;
                ``"collect"`` keeps going and lists every bad record in
                :attr:`rejects`, so ``len(table) + rejected conversations``
                equals the number of conversations given.
            defaults: ``{column: value}`` for optional columns the records
                leave empty (``{"channel": "dm"}``): the value is then data.

        An optional field (``channel``, ``difficulty``, ``escalated``,
        ``rating_invited``, ``customer_id``) that no conversation gives is an
        absent column (:attr:`absent_columns`); one that only some give
        rejects the others.

        Raises:
            ValidationError: with ``errors="raise"``, for the first bad
                record, naming its class, field, value, rule and position.
        """
        return cls(
            **_intake.from_records(
                conversations,
                ratings=ratings,
                reviews=reviews,
                agents=agents,
                knowledge_tests=knowledge_tests,
                errors=errors,
                defaults=defaults,
            )
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        conversation_id: ArrayLike,
        conversation_ids: Sequence[str] | NDArray[Any],
        agent_id: ArrayLike,
        agent_ids: Sequence[str] | NDArray[Any],
        opened_at: ArrayLike,
        resolved: ArrayLike,
        customer_id: ArrayLike | None = None,
        customer_ids: Sequence[str] | NDArray[Any] = (),
        channel: ArrayLike | None = None,
        difficulty: ArrayLike | None = None,
        escalated: ArrayLike | None = None,
        rating_invited: ArrayLike | None = None,
        closed_at: ArrayLike | None = None,
        first_response_at: ArrayLike | None = None,
        topic: ArrayLike | None = None,
        topics: Sequence[str] | NDArray[Any] = (),
        case_id: ArrayLike | None = None,
        case_ids: Sequence[str] | NDArray[Any] = (),
        transferred_to: ArrayLike | None = None,
        handed_over_at: ArrayLike | None = None,
        sentiment_start: ArrayLike | None = None,
        sentiment_end: ArrayLike | None = None,
        rating_scale: ArrayLike | None = None,
        rating_scales: Sequence[RatingScale] = (),
        rating_score: ArrayLike | None = None,
        rated_at: ArrayLike | None = None,
        rating_comment: ArrayLike | None = None,
        rating_comments: Sequence[str] | NDArray[Any] = (),
        reviewer_id: ArrayLike | None = None,
        reviewer_ids: Sequence[str] | NDArray[Any] = (),
        review_accurate: ArrayLike | None = None,
        review_script_compliant: ArrayLike | None = None,
        review_empathy: ArrayLike | None = None,
        reviewed_at: ArrayLike | None = None,
        invited_at: ArrayLike | None = None,
        invitation_variant: ArrayLike | None = None,
        invitation_variants: Sequence[str] | NDArray[Any] = (),
        agents: Sequence[Agent] = (),
        knowledge_tests: Sequence[KnowledgeTest] = (),
        errors: Errors = "raise",
        defaults: Mapping[str, Any] | None = None,
    ) -> ConversationTable:
        """Build a table from numpy columns, checked without a Python row loop.

        Ids are integer codes into code-to-id lists (``agent_id`` and
        ``transferred_to`` both index ``agent_ids``); optional codes use -1
        for "none". Enumerations are codes (``Channel.DM.code``) or value
        strings (``"dm"``). Timestamps are ``datetime64`` UTC instants, NaT
        for "none". A row is rated where ``rating_scale >= 0`` (a code into
        ``rating_scales``; ``rating_score`` then required) and reviewed where
        ``reviewer_id >= 0`` (the three ``review_*`` columns then required).

        Columns are not copied when no row is rejected and timestamps are
        already ``datetime64[us]``: the table holds read-only views of your
        arrays, so do not modify them afterwards.

        Rows are rejected for the same rules as :meth:`from_records`, plus a
        code outside its list and a rating score off its scale.

        An optional column left out (``None``) is absent
        (:attr:`absent_columns`); ``defaults={"channel": "dm"}`` gives the
        value of an absent column and of its empty cells (code -1).

        Raises:
            ValidationError: for a missing or mis-shaped column, a wrong dtype,
                a blank or repeated id in a code-to-id list, and (with
                ``errors="raise"``) for the first bad row, naming the row.
        """
        given = {
            "conversation_id": conversation_id,
            "agent_id": agent_id,
            "customer_id": customer_id,
            "opened_at": opened_at,
            "closed_at": closed_at,
            "first_response_at": first_response_at,
            "channel": channel,
            "topic": topic,
            "difficulty": difficulty,
            "resolved": resolved,
            "escalated": escalated,
            "case_id": case_id,
            "transferred_to": transferred_to,
            "handed_over_at": handed_over_at,
            "rating_invited": rating_invited,
            "sentiment_start": sentiment_start,
            "sentiment_end": sentiment_end,
            "rating_scale": rating_scale,
            "rating_score": rating_score,
            "rated_at": rated_at,
            "rating_comment": rating_comment,
            "reviewer_id": reviewer_id,
            "review_accurate": review_accurate,
            "review_script_compliant": review_script_compliant,
            "review_empathy": review_empathy,
            "reviewed_at": reviewed_at,
            "invited_at": invited_at,
            "invitation_variant": invitation_variant,
        }
        id_lists = {
            "conversation_id": conversation_ids,
            "agent_id": agent_ids,
            "customer_id": customer_ids,
            "topic": topics,
            "case_id": case_ids,
            "reviewer_id": reviewer_ids,
            "rating_comment": rating_comments,
            "invitation_variant": invitation_variants,
        }
        return cls(
            **_arrays.from_arrays(
                given,
                id_lists,
                rating_scales=rating_scales,
                agents=agents,
                knowledge_tests=knowledge_tests,
                errors=errors,
                defaults=defaults,
            )
        )

    @classmethod
    def from_frame(
        cls,
        frame: Any,
        *,
        columns: Mapping[str, str | tuple[str, ...]] | None = None,
        rating_scale: RatingScale | None = None,
        labels: Mapping[str, Mapping[Any, Any]] | None = None,
        true_values: Iterable[str] = (),
        false_values: Iterable[str] = (),
        tz: str | tzinfo | None = None,
        formats: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        agents: Sequence[Agent] = (),
        knowledge_tests: Sequence[KnowledgeTest] = (),
        errors: Errors = "raise",
        threads: int | None = None,
    ) -> ConversationTable:
        """Build a table from any dataframe, one conversation per row.

        Takes pandas, polars, pyarrow tables, DuckDB results and whatever
        else Narwhals knows (the ``pandas`` extra; other libraries also need
        ``pyarrow``). Columns are read as :data:`SCHEMA` declares; nothing is
        guessed, everything is declared.

        Args:
            frame: The conversations.
            columns: ``{field: frame column}`` for columns named differently
                (``{"agent_id": "客服"}``); a tuple of columns is joined with
                spaces (``{"opened_at": ("date", "time")}``). Besides the
                schema's fields, ``first_response_after`` (seconds from
                opening to the first reply) and ``handle_time`` (seconds from
                the first reply, or from opening if none, to closing) stand
                for ``first_response_at`` and ``closed_at``. Other fields are
                looked up under their own name; optional ones may be absent.
            rating_scale: The scale of ``rating_score``; rows with a score
                are rated. Scores may be numbers or the scale's labels
                (``"满意"``).
            labels: ``{field: {word: value}}`` for enumerations and scores
                written in the export's words
                (``{"channel": {"电话": "phone"}}``).
            true_values: Words that mean ``True`` in flag columns (``"是"``,
                ``"Y"``); compared without case or surrounding spaces.
            false_values: Words that mean ``False``.
            tz: The zone of naive timestamps and of strings without an
                offset (``"Asia/Shanghai"``). Without it such columns are
                refused.
            formats: ``{field: strptime format}`` for time strings
                (``"%Y/%m/%d %H:%M"``); ISO 8601 without one.
            defaults: ``{column: value}`` for an optional column the frame
                lacks, or its empty cells (``{"channel": "phone"}``).
            agents: The roster (without one, everyone is a human agent).
            knowledge_tests: As in :meth:`from_records`.
            errors: ``"raise"`` or ``"collect"``. With ``"collect"`` every
                row with a cell that cannot be read (an unknown word, a
                missing flag, a fractional score, an instant out of range)
                or that breaks a rule of :meth:`from_arrays` is in
                :attr:`rejects`, so ``len(table) + rejected == len(frame)``.
            threads: Threads to read the columns of frames over 65,536 rows
                on, one column per thread at a time (Arrow and numpy release
                the GIL there); ``None`` uses the cores available. The table
                is the same whatever the number.

        Enumeration values match without case; integer columns of codes are
        taken as codes. Messages show instants in ``tz`` (or the zone of the
        first aware time column).

        Raises:
            ValidationError: naming every missing required column and every
                column that cannot be read at all, in one error; an unknown
                field; rating scores without ``rating_scale``; with
                ``errors="raise"``, the first bad row.
            WrongTypeError: for a ``frame`` that is not a dataframe.
        """
        return cls(
            **_frames.from_frame(
                frame,
                columns=columns,
                rating_scale=rating_scale,
                labels=labels,
                true_values=true_values,
                false_values=false_values,
                tz=tz,
                formats=formats,
                defaults=defaults,
                agents=agents,
                knowledge_tests=knowledge_tests,
                errors=errors,
                threads=threads,
            )
        )

    @classmethod
    def from_pandas(cls, frame: Any, **options: Any) -> ConversationTable:
        """Build a table from a pandas DataFrame (the ``pandas`` extra).

        The same as :meth:`from_frame`, with the same ``options``, for a
        pandas frame only.

        Raises:
            WrongTypeError: for a ``frame`` that is not a pandas DataFrame.
        """
        return cls(**_frames.from_pandas(frame, **options))

    @classmethod
    def from_arrow(cls, table: Any, **options: Any) -> ConversationTable:
        """Build a table from a ``pyarrow.Table`` (the ``arrow`` extra).

        The same as :meth:`from_frame`, with the same ``options``, for an
        Arrow table only.

        Raises:
            WrongTypeError: for a ``table`` that is not a ``pyarrow.Table``.
        """
        return cls(**_frames.from_arrow(table, **options))

    def to_pandas(self) -> Any:
        """One DataFrame row per conversation (the ``pandas`` extra).

        Ids are strings (missing: ``<NA>``), timestamps UTC-aware,
        enumerations categorical values, ``rating_score`` nullable. Reading
        it back with ``from_pandas(frame, rating_scale=...)`` gives an equal
        table when the ratings use one scale.
        """
        return _frames.table_frame(self)

    def _parts(self) -> dict[str, Any]:
        return {
            "columns": self._columns,
            "vocabularies": self._vocabularies,
            "scales": self._scales,
            "roster": self._roster,
            "agent_role": self._agent_role,
            "tests": self._tests,
            "absent": self._absent,
        }

    def filter(self, mask: ArrayLike) -> ConversationTable:
        """The rows where the boolean ``mask`` is true, in order.

        Vocabularies, the roster and knowledge tests are kept whole; rejects
        are not carried over.

        Raises:
            ValidationError: unless ``mask`` is a boolean array of ``len(self)``.
        """
        keep = np.asarray(mask)
        if keep.dtype != np.bool_ or keep.shape != (len(self),):
            raise ValidationError(
                "ConversationTable",
                "mask",
                f"{keep.dtype}{keep.shape}",
                f"must be a boolean array of shape ({len(self)},)",
            )
        columns = {name: array[keep] for name, array in self._columns.items()}
        messages = self._messages
        if messages is not None:
            rows = _messages.message_rows(self)
            messages = messages.filter(keep[rows] & (rows >= 0))
        return ConversationTable(
            **{**self._parts(), "columns": columns, "messages": messages}
        )

    @classmethod
    def concat(cls, tables: Iterable[ConversationTable]) -> ConversationTable:
        """One table with the rows of ``tables``, in order.

        Vocabularies become sorted unions, rosters and rating scales unions;
        knowledge tests and attached messages are concatenated; rejects are
        not carried over; a column absent from any non-empty table is absent
        from the result.
        ``a + b`` is ``ConversationTable.concat([a, b])``.

        Raises:
            ValidationError: for no tables, a conversation id in two tables,
                or an agent with two different roster entries.
        """
        try:
            parts = list(tables)
        except TypeError:
            raise WrongTypeError(
                "ConversationTable", "tables", tables, "must be an iterable of tables"
            ) from None
        if not parts:
            raise ValidationError(
                "ConversationTable", "tables", parts, "needs at least one table"
            )
        for part in parts:
            if not isinstance(part, ConversationTable):
                raise WrongTypeError(
                    "ConversationTable", "tables", part, "must hold ConversationTables"
                )
        roster: dict[str, Agent] = {}
        for table in parts:
            for agent in table.agents:
                if roster.setdefault(agent.id, agent) != agent:
                    raise ValidationError(
                        "ConversationTable",
                        "agents",
                        agent,
                        f"conflicts with {roster[agent.id]!r}",
                    )
        scales = sorted_scales(s for t in parts for s in t.rating_scales)
        vocabularies: dict[str, NDArray[Any]] = {}
        remaps: list[dict[str, NDArray[Any]]] = [{} for _ in parts]
        for name in VOCABULARIES:
            pieces = [t.vocabulary(name) for t in parts]
            if name == "agent_id":
                pieces.append(np.array(list(roster), dtype=STRING))
            union, inverse = unique_strings(np.concatenate(pieces))
            vocabularies[name] = union
            positions = inverse.reshape(-1).astype(code_dtype(len(union)))
            ends = np.cumsum([len(piece) for piece in pieces])
            for remap, piece in zip(
                remaps, np.split(positions, ends[:-1]), strict=False
            ):
                remap[name] = piece
        for remap, table in zip(remaps, parts, strict=True):
            remap["rating_scale"] = np.array(
                [scales.index(s) for s in table.rating_scales], dtype=np.int8
            )
        columns = {
            name: np.concatenate(
                [
                    _recode(t[name], remap.get(spec.vocabulary or ""))
                    for remap, t in zip(remaps, parts, strict=True)
                ]
            )
            for name, spec in COLUMNS.items()
        }
        ids = np.sort(columns["conversation_id"])
        repeated = ids[1:][ids[1:] == ids[:-1]]
        if len(repeated):
            raise ValidationError(
                "ConversationTable",
                "conversation_id",
                str(vocabularies["conversation_id"][repeated[0]]),
                "occurs in more than one table",
            )
        tests = {
            name: np.concatenate(
                [
                    _recode(t.knowledge_tests[name], r["agent_id"])
                    if name == "agent_id"
                    else t.knowledge_tests[name]
                    for r, t in zip(remaps, parts, strict=True)
                ]
            )
            for name in _TEST_COLUMNS
        }
        return cls(
            columns=columns,
            vocabularies=vocabularies,
            scales=scales,
            roster=tuple(roster.values()),
            agent_role=agent_roles(vocabularies["agent_id"], roster),
            tests=tests,
            messages=_joined_messages(parts),
            absent=frozenset().union(*(t.absent_columns for t in parts if len(t))),
        )

    def __add__(self, other: object) -> ConversationTable:
        if not isinstance(other, ConversationTable):
            return NotImplemented
        return ConversationTable.concat((self, other))

    def to_records(self) -> TableRecords:
        """The table as value objects, equal to the records it was built from.

        Datetimes come back in UTC (equal instants compare equal). Ratings
        and reviews come in table order.
        """
        c = self._columns
        text: dict[str, list[Any]] = {
            name: decode(self._vocabularies[spec.vocabulary or name], c[name])
            for name, spec in COLUMNS.items()
            if spec.kind == "code" and spec.vocabulary != "rating_scale"
        }
        times: dict[str, list[Any]] = {
            name: from_instants(c[name])
            for name, spec in COLUMNS.items()
            if spec.kind == "time"
        }
        enums: dict[str, list[Any]] = {
            name: [None if x < 0 else spec.enum.from_code(x) for x in c[name].tolist()]
            for name, spec in COLUMNS.items()
            if spec.enum is not None
        }
        flags: dict[str, list[Any]] = {
            name: c[name].tolist()
            for name, spec in COLUMNS.items()
            if spec.kind in ("bool", "int")
        }
        for name in self._absent & {"escalated", "rating_invited"}:
            flags[name] = [None] * len(self)
        conversations = tuple(
            Conversation(
                id=text["conversation_id"][row],
                agent_id=text["agent_id"][row],
                customer_id=text["customer_id"][row],
                opened_at=times["opened_at"][row],
                closed_at=times["closed_at"][row],
                first_response_at=times["first_response_at"][row],
                channel=enums["channel"][row],
                topic=text["topic"][row],
                difficulty=enums["difficulty"][row],
                resolved=flags["resolved"][row],
                escalated=flags["escalated"][row],
                case_id=text["case_id"][row],
                transferred_to=text["transferred_to"][row],
                handed_over_at=times["handed_over_at"][row],
                rating_invited=flags["rating_invited"][row],
                sentiment_start=enums["sentiment_start"][row],
                sentiment_end=enums["sentiment_end"][row],
                invited_at=times["invited_at"][row],
                invitation_variant=text["invitation_variant"][row],
            )
            for row in range(len(self))
        )
        ratings = tuple(
            Rating(
                conversation_id=text["conversation_id"][row],
                score=flags["rating_score"][row],
                scale=self._scales[code],
                rated_at=times["rated_at"][row],
                comment=text["rating_comment"][row],
            )
            for row, code in enumerate(c["rating_scale"].tolist())
            if code >= 0
        )
        reviews = tuple(
            QualityReview(
                conversation_id=text["conversation_id"][row],
                reviewer_id=reviewer,
                accurate=flags["review_accurate"][row],
                script_compliant=flags["review_script_compliant"][row],
                empathy=flags["review_empathy"][row],
                reviewed_at=times["reviewed_at"][row],
            )
            for row, reviewer in enumerate(text["reviewer_id"])
            if reviewer is not None
        )
        tests: tuple[KnowledgeTest, ...] = tuple(
            KnowledgeTest(agent_id=agent, taken_at=when, score=score, max_score=top)
            for agent, when, score, top in zip(
                cast(
                    "list[Any]",
                    decode(self._vocabularies["agent_id"], self._tests["agent_id"]),
                ),
                cast("list[Any]", from_instants(self._tests["taken_at"])),
                self._tests["score"].tolist(),
                self._tests["max_score"].tolist(),
                strict=True,
            )
        )
        return TableRecords(
            conversations=conversations,
            ratings=ratings,
            reviews=reviews,
            agents=self._roster,
            knowledge_tests=tests,
        )

    def as_of(
        self, at: datetime, *, exclusions: Iterable[RatingExclusion] = ()
    ) -> ConversationTable:
        """This table as known at ``at``; see :func:`servicequality.as_of`."""
        return _history.as_of(self, at, exclusions=exclusions)

    def excluding(
        self, exclusions: Iterable[RatingExclusion], *, at: datetime
    ) -> ConversationTable:
        """Without the excluded ratings: :func:`servicequality.exclude_ratings`."""
        return _history.exclude_ratings(self, exclusions, at=at)


def _joined_messages(tables: Sequence[ConversationTable]) -> MessageTable | None:
    """The messages of every table that has them (None if none has)."""
    attached = [t.messages for t in tables if t.messages is not None]
    return MessageTable.concat(attached) if attached else None


def _recode(codes: NDArray[Any], mapping: NDArray[Any] | None) -> NDArray[Any]:
    """Codes translated through ``mapping``; -1 stays -1; no mapping: as is."""
    if mapping is None:
        return codes
    if len(mapping) == 0:
        return np.full(len(codes), MISSING, dtype=np.int32)
    return np.where(codes >= 0, mapping[np.maximum(codes, 0)], MISSING)
