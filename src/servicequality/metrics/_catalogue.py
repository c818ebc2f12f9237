"""The built-in metrics of the seed documents, and the registry of names."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from servicequality._coefficients import DifficultyCoefficients
from servicequality._errors import ValidationError
from servicequality._hours import checked
from servicequality._model import Difficulty, RatingScale, Sentiment
from servicequality.metrics._base import (
    MeanMetric,
    Metric,
    QuantileMetric,
    RateMetric,
    SumMetric,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

    from servicequality._engine._facts import Rows
    from servicequality._hours import ServiceHours
    from servicequality._sla import SLAPolicy

__all__ = [
    "bot_containment",
    "conversation_count",
    "crisis_success",
    "difficulty_mix",
    "dissatisfaction_rate",
    "emotion_conversion",
    "empathy_score",
    "escalation_rate",
    "first_contact_resolution",
    "first_response_time",
    "get_metric",
    "knowledge_score",
    "mean_rating",
    "metric_names",
    "rating_rate",
    "repeat_inquiry_rate",
    "reply_accuracy",
    "resolution_rate",
    "resolution_time",
    "responded_within",
    "response_rate",
    "satisfaction_rate",
    "script_compliance",
    "sla_hit_rate",
    "standard_catalogue",
    "transfer_rate",
    "weighted_workload",
]

Statistic = Literal["mean", "median", "p90"]
_DEFAULT_WINDOW = timedelta(days=7)


def _population(include_bots: bool) -> Literal["humans", "all"]:  # noqa: FBT001
    return "all" if include_bots else "humans"


def _every(rows: Rows) -> NDArray[np.bool_]:
    return rows.every


def _rated(rows: Rows) -> NDArray[np.bool_]:
    return rows.rated


def _satisfied(rows: Rows) -> NDArray[np.bool_]:
    return rows.satisfied


def _dissatisfied(rows: Rows) -> NDArray[np.bool_]:
    return rows.dissatisfied


def _rated_not_neutral(rows: Rows) -> NDArray[np.bool_]:
    return rows.rated & ~rows.neutral


def satisfaction_rate(
    *,
    neutral: Literal["count", "exclude"] = "count",
    include_bots: bool = False,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """客服满意度: satisfied ratings / ratings, a share in 0..1.

    Args:
        neutral: ``"count"`` keeps neutral ratings in the denominator (the
            platform's definition); ``"exclude"`` drops them, giving
            satisfied / (satisfied + dissatisfied).
        include_bots: Also count conversations that a bot handled alone.
        service_window: Count only conversations opened inside these hours.
    """
    if neutral not in ("count", "exclude"):
        raise ValidationError(
            "satisfaction_rate", "neutral", neutral, "must be 'count' or 'exclude'"
        )
    return RateMetric(
        name="satisfaction_rate",
        numerator=_satisfied,
        denominator=_rated if neutral == "count" else _rated_not_neutral,
        population=_population(include_bots),
        description="Satisfied ratings among ratings.",
        service_window=service_window,
    )


def dissatisfaction_rate(
    *, include_bots: bool = False, service_window: ServiceHours | None = None
) -> RateMetric:
    """Dissatisfied ratings / ratings, a share in 0..1 (lower is better).

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="dissatisfaction_rate",
        numerator=_dissatisfied,
        denominator=_rated,
        higher_is_better=False,
        population=_population(include_bots),
        description="Dissatisfied ratings among ratings.",
        service_window=service_window,
    )


@attrs.frozen
class _OnScale:
    """Rated rows on ``scale`` (any scale when ``None``, if all share a range)."""

    scale: RatingScale | None

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        scales = rows.table.rating_scales
        if self.scale is not None:
            if self.scale not in scales:
                return np.zeros(len(rows), dtype=bool)
            return np.asarray(
                rows["rating_scale"] == scales.index(self.scale), dtype=bool
            )
        if len({(s.low, s.high) for s in scales}) > 1:
            names = ", ".join(s.name for s in scales)
            raise ValidationError(
                "mean_rating",
                "scale",
                None,
                f"ratings mix scales ({names}); pass scale= to pick one",
            )
        return rows.rated


def _score(rows: Rows) -> NDArray[np.float64]:
    return rows["rating_score"].astype(np.float64)


def mean_rating(
    *, scale: RatingScale | None = None, include_bots: bool = False
) -> MeanMetric:
    """Mean score on the rating scale (the 4.5-of-5 bonus bar reads this).

    Args:
        scale: Only ratings on this scale count. Without it, a table whose
            ratings use scales of different ranges is an error naming them.
        include_bots: Also count conversations that a bot handled alone.
    """
    return MeanMetric(
        name="mean_rating",
        values=_score,
        where=_OnScale(scale),
        unit="score",
        population=_population(include_bots),
        description="Mean customer rating score.",
    )


def rating_rate(
    *, include_bots: bool = False, service_window: ServiceHours | None = None
) -> RateMetric:
    """评价率: rated conversations / conversations, a share in 0..1.

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="rating_rate",
        numerator=_rated,
        denominator=_every,
        population=_population(include_bots),
        description="Conversations that received a rating.",
        service_window=service_window,
    )


def _invited(rows: Rows) -> NDArray[np.bool_]:
    return rows["rating_invited"]


def response_rate(
    *, include_bots: bool = False, service_window: ServiceHours | None = None
) -> RateMetric:
    """Rated invited conversations / invited conversations (邀请评价 response).

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="response_rate",
        numerator=_rated,
        denominator=_invited,
        population=_population(include_bots),
        description="Invited conversations that received a rating.",
        service_window=service_window,
    )


@attrs.frozen
class _FirstOfCase:
    """The first conversation of each case (cases chained within ``window``)."""

    window: timedelta

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        return rows.cases(self.window).first


@attrs.frozen
class _SolvedFirstTime:
    """First conversations of one-conversation cases that were resolved."""

    window: timedelta

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        cases = rows.cases(self.window)
        return np.asarray(
            cases.first & rows["resolved"] & (cases.size == 1), dtype=bool
        )


@attrs.frozen
class _Repeat:
    """Conversations that are not the first of their case."""

    window: timedelta

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        return ~rows.cases(self.window).first


def _window(window: timedelta, name: str) -> timedelta:
    return _limit(window, name, "window")


def first_contact_resolution(
    *,
    window: timedelta = _DEFAULT_WINDOW,
    include_bots: bool = False,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """首次解决率: cases solved in their first conversation / cases.

    A case is ``case_id`` where given, else a chain of conversations by the
    same customer on the same topic, each within ``window`` of the previous
    one. A case counts as solved first time when its first conversation is
    resolved and no further conversation follows. Counted for the handler,
    period and attributes of the case's first conversation.

    ``service_window`` counts only conversations opened inside it.
    """
    window = _window(window, "first_contact_resolution")
    return RateMetric(
        name="first_contact_resolution",
        numerator=_SolvedFirstTime(window),
        denominator=_FirstOfCase(window),
        population=_population(include_bots),
        description="Cases solved in their first conversation.",
        service_window=service_window,
        needs_history=True,
    )


def repeat_inquiry_rate(
    *,
    window: timedelta = _DEFAULT_WINDOW,
    include_bots: bool = False,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """重复咨询率: conversations that are not the first of their case / conversations.

    Cases as in :func:`first_contact_resolution`. The flag needs a
    customer's whole history, so it is derived over the whole table given.

    ``service_window`` counts only conversations opened inside it.
    """
    window = _window(window, "repeat_inquiry_rate")
    return RateMetric(
        name="repeat_inquiry_rate",
        numerator=_Repeat(window),
        denominator=_every,
        higher_is_better=False,
        population=_population(include_bots),
        description="Conversations that repeat an earlier one of the same case.",
        service_window=service_window,
        needs_history=True,
    )


def _escalated(rows: Rows) -> NDArray[np.bool_]:
    return rows["escalated"]


def escalation_rate(
    *, include_bots: bool = False, service_window: ServiceHours | None = None
) -> RateMetric:
    """投诉升级率: conversations escalated to a supervisor / conversations.

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="escalation_rate",
        numerator=_escalated,
        denominator=_every,
        higher_is_better=False,
        population=_population(include_bots),
        description="Conversations escalated to a supervisor.",
        service_window=service_window,
    )


def _resolved(rows: Rows) -> NDArray[np.bool_]:
    return rows["resolved"]


def resolution_rate(
    *, include_bots: bool = False, service_window: ServiceHours | None = None
) -> RateMetric:
    """Resolved conversations / conversations, a share in 0..1.

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="resolution_rate",
        numerator=_resolved,
        denominator=_every,
        population=_population(include_bots),
        description="Conversations resolved.",
        service_window=service_window,
    )


def _reviewed(rows: Rows) -> NDArray[np.bool_]:
    return rows.reviewed


def _accurate(rows: Rows) -> NDArray[np.bool_]:
    return rows["review_accurate"]


def _compliant(rows: Rows) -> NDArray[np.bool_]:
    return rows["review_script_compliant"]


def reply_accuracy() -> RateMetric:
    """回复准确率: reviewed conversations with accurate replies / reviewed."""
    return RateMetric(
        name="reply_accuracy",
        numerator=_accurate,
        denominator=_reviewed,
        description="Reviewed conversations whose replies were accurate.",
    )


def script_compliance() -> RateMetric:
    """话术规范执行率: reviewed conversations that followed the script / reviewed."""
    return RateMetric(
        name="script_compliance",
        numerator=_compliant,
        denominator=_reviewed,
        description="Reviewed conversations that followed the service script.",
    )


def _test_share(rows: Rows) -> NDArray[np.float64]:
    tests = rows.table.knowledge_tests
    return np.asarray(tests["score"] / tests["max_score"])


def _every_test(rows: Rows) -> NDArray[np.bool_]:
    return np.ones(len(rows.table.knowledge_tests["score"]), dtype=bool)


def knowledge_score() -> MeanMetric:
    """专业知识测试得分: mean of score / max_score over knowledge tests, in 0..1.

    Grouped by the agent tested and, for calendars, by ``taken_at``.
    """
    return MeanMetric(
        name="knowledge_score",
        values=_test_share,
        where=_every_test,
        unit="share",
        reads="knowledge_tests",
        description="Mean share of knowledge-test points scored.",
    )


def _opened_negative(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(
        (rows["sentiment_start"] == Sentiment.NEGATIVE.code)
        & (rows["sentiment_end"] >= 0),
        dtype=bool,
    )


def _closed_better(rows: Rows) -> NDArray[np.bool_]:
    return rows["sentiment_end"] >= Sentiment.NEUTRAL.code


def emotion_conversion() -> RateMetric:
    """客户情绪转化率: opened negative and closed neutral or positive / opened negative.

    Only conversations with a known closing sentiment count.
    """
    return RateMetric(
        name="emotion_conversion",
        numerator=_closed_better,
        denominator=_opened_negative,
        description="Negative openings turned neutral or positive.",
    )


def _crisis(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(rows["difficulty"] == Difficulty.CRISIS.code, dtype=bool)


def crisis_success() -> RateMetric:
    """危机处理成功率: resolved crisis conversations / crisis conversations."""
    return RateMetric(
        name="crisis_success",
        numerator=_resolved,
        denominator=_crisis,
        description="Crisis conversations resolved.",
    )


def _empathy(rows: Rows) -> NDArray[np.float64]:
    return rows["review_empathy"].astype(np.float64)


def empathy_score() -> MeanMetric:
    """同理心评分: mean review empathy, 1 to 5."""
    return MeanMetric(
        name="empathy_score",
        values=_empathy,
        where=_reviewed,
        unit="score",
        description="Mean empathy score of quality reviews.",
    )


def _replied(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(~np.isnat(rows["first_response_at"]), dtype=bool)


def _closed(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(~np.isnat(rows["closed_at"]), dtype=bool)


@attrs.frozen
class _Elapsed:
    """Seconds from opening to ``column`` on ``clock`` (calendar time if None)."""

    column: str
    clock: ServiceHours | None

    def __call__(self, rows: Rows) -> NDArray[np.float64]:
        return rows.elapsed(self.column, self.clock)


def _duration_metric(  # noqa: PLR0917  # private helper, every argument distinct
    name: str,
    statistic: Statistic,
    column: str,
    where: Callable[[Rows], NDArray[np.bool_]],
    population: Literal["humans", "all"],
    description: str,
    clock: ServiceHours | None,
) -> Metric:
    values = _Elapsed(column, checked(name, "clock", clock))
    if clock is not None:
        description = f"{description} Business time: {clock}."
    if statistic == "mean":
        return MeanMetric(
            name=name,
            values=values,
            where=where,
            unit="seconds",
            higher_is_better=False,
            population=population,
            description=description,
        )
    quantiles = {"median": 0.5, "p90": 0.9}
    if statistic not in quantiles:
        raise ValidationError(
            name, "statistic", statistic, "must be 'mean', 'median' or 'p90'"
        )
    return QuantileMetric(
        name=name,
        values=values,
        where=where,
        q=quantiles[statistic],
        population=population,
        description=description,
    )


def first_response_time(
    *,
    statistic: Statistic = "mean",
    include_bots: bool = False,
    clock: ServiceHours | None = None,
) -> Metric:
    """响应时长: seconds from opening to the first reply (lower is better).

    Conversations without a reply are left out (see :func:`responded_within`
    for a measure that counts them). ``"median"`` and ``"p90"`` come from a
    log-spaced histogram, within about 2 % of the exact order statistic.
    With ``clock=ServiceHours(...)`` only open service time counts, and a
    conversation opened outside service starts its clock when service opens.
    """
    return _duration_metric(
        "first_response_time",
        statistic,
        "first_response_at",
        _replied,
        _population(include_bots),
        "Seconds to the first reply.",
        clock,
    )


@attrs.frozen
class _Within:
    """Rows whose ``column`` came within ``limit`` of opening, on ``clock``."""

    column: str
    limit: timedelta
    clock: ServiceHours | None

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        with np.errstate(invalid="ignore"):
            return rows.elapsed(self.column, self.clock) <= (
                self.limit / timedelta(seconds=1)
            )


def _limit(limit: object, owner: str, field: str) -> timedelta:
    if not isinstance(limit, timedelta) or limit <= timedelta(0):
        raise ValidationError(owner, field, limit, "must be a positive timedelta")
    return limit


def responded_within(
    limit: timedelta = timedelta(minutes=3),
    *,
    include_bots: bool = False,
    clock: ServiceHours | None = None,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """Conversations first answered within ``limit`` / conversations (3分钟回复率).

    A conversation nobody answered counts as not within the limit.

    Args:
        limit: The longest wait that counts as answered in time.
        include_bots: Also count conversations that a bot handled alone.
        clock: Measure the wait in business time on these service hours
            (calendar time by default).
        service_window: Count only conversations opened inside these hours,
            as platforms do (Douyin: 08:00–23:00).
    """
    limit = _limit(limit, "responded_within", "limit")
    clock = checked("responded_within", "clock", clock)
    return RateMetric(
        name="responded_within",
        numerator=_Within("first_response_at", limit, clock),
        denominator=_every,
        population=_population(include_bots),
        description=f"Conversations first answered within {limit}.",
        service_window=service_window,
    )


def resolution_time(
    *,
    statistic: Statistic = "mean",
    include_bots: bool = False,
    clock: ServiceHours | None = None,
) -> Metric:
    """Seconds from opening to closing (lower is better); open ones are left out.

    ``clock`` measures business time as in :func:`first_response_time`.
    """
    return _duration_metric(
        "resolution_time",
        statistic,
        "closed_at",
        _closed,
        _population(include_bots),
        "Seconds from opening to closing.",
        clock,
    )


@attrs.frozen
class _PendingExcluded:
    """Rows where ``column`` is set or the conversation is closed."""

    column: str

    def __call__(self, rows: Rows) -> NDArray[np.bool_]:
        done = ~np.isnat(rows[self.column])
        return np.asarray(done | _closed(rows), dtype=bool)


SLATarget = Literal["first_response", "resolution"]


def sla_hit_rate(
    sla: SLAPolicy,
    target: SLATarget = "first_response",
    *,
    include_bots: bool = False,
    service_window: ServiceHours | None = None,
) -> RateMetric:
    """Conversations that met one target of ``sla`` / conversations it applies to.

    Named ``sla_<sla.name>_<target>`` so that several SLAs and targets can be
    measured, tiered and paid on side by side.

    * ``"first_response"``: met when the first reply came within the target
      on the SLA's clock. A conversation closed without a reply missed it; a
      conversation still open and unanswered is pending and not counted.
    * ``"resolution"``: met when it closed within the target; open
      conversations are pending and not counted.

    Raises:
        ValidationError: if ``sla`` is not an :class:`SLAPolicy` or sets no
            ``target``.
    """
    from servicequality._sla import SLAPolicy  # noqa: PLC0415  # import cycle

    if not isinstance(sla, SLAPolicy):
        raise ValidationError("sla_hit_rate", "sla", sla, "must be an SLAPolicy")
    if target not in ("first_response", "resolution"):
        raise ValidationError(
            "sla_hit_rate", "target", target, "must be 'first_response' or 'resolution'"
        )
    limit = getattr(sla, target)
    if limit is None:
        raise ValidationError(
            "sla_hit_rate", "target", target, f"is not set in SLA {sla.name!r}"
        )
    column = "first_response_at" if target == "first_response" else "closed_at"
    return RateMetric(
        name=f"sla_{sla.name}_{target}",
        numerator=_Within(column, limit, sla.clock),
        denominator=_PendingExcluded(column),
        population=_population(include_bots),
        description=(
            f"Conversations meeting the {target.replace('_', ' ')} target of "
            f"SLA {sla.name} ({limit}"
            + (f", business time: {sla.clock})." if sla.clock else ").")
        ),
        service_window=service_window,
    )


def _handed_over(rows: Rows) -> NDArray[np.bool_]:
    return rows["transferred_to"] >= 0


def _contained(rows: Rows) -> NDArray[np.bool_]:
    return rows["transferred_to"] < 0


def bot_containment(*, service_window: ServiceHours | None = None) -> RateMetric:
    """智能客服: bot conversations not handed to a human / bot conversations.

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="bot_containment",
        numerator=_contained,
        denominator=_every,
        population="bots",
        description="Bot conversations the bot finished without a human.",
        service_window=service_window,
    )


def transfer_rate(*, service_window: ServiceHours | None = None) -> RateMetric:
    """转接人工: bot conversations handed to a human / bot conversations.

    Lower is better.

    ``service_window`` counts only conversations opened inside it.
    """
    return RateMetric(
        name="transfer_rate",
        numerator=_handed_over,
        denominator=_every,
        higher_is_better=False,
        population="bots",
        description="Bot conversations handed over to a human.",
        service_window=service_window,
    )


def _ones(rows: Rows) -> NDArray[np.bool_]:
    return rows.every


def conversation_count(*, include_bots: bool = False) -> SumMetric:
    """Number of conversations, a count (0 is a real value, never undefined)."""
    return SumMetric(
        name="conversation_count",
        values=_ones,
        where=_every,
        unit="count",
        population=_population(include_bots),
        description="Conversations handled.",
    )


@attrs.frozen
class _Weights:
    """The difficulty coefficient of each row."""

    coefficients: DifficultyCoefficients

    def __call__(self, rows: Rows) -> NDArray[np.float64]:
        return np.asarray(self.coefficients.by_code()[rows["difficulty"]])


def weighted_workload(
    coefficients: DifficultyCoefficients | None = None, *, include_bots: bool = False
) -> SumMetric:
    """Sum of difficulty coefficients (难度系数), in points.

    With the defaults, 20 basic + 10 complex + 5 complaints + 1 crisis
    conversations are 20 + 15 + 10 + 3 = 48 points.
    """
    chosen = DifficultyCoefficients() if coefficients is None else coefficients
    if not isinstance(chosen, DifficultyCoefficients):
        raise ValidationError(
            "weighted_workload",
            "coefficients",
            chosen,
            "must be DifficultyCoefficients",
        )
    return SumMetric(
        name="weighted_workload",
        values=_Weights(chosen),
        where=_every,
        unit="points",
        population=_population(include_bots),
        description="Difficulty-weighted conversations.",
    )


def _not_basic(rows: Rows) -> NDArray[np.bool_]:
    return np.asarray(rows["difficulty"] != Difficulty.BASIC.code, dtype=bool)


def difficulty_mix(*, include_bots: bool = False) -> RateMetric:
    """Conversations that are not BASIC / conversations, a share in 0..1."""
    return RateMetric(
        name="difficulty_mix",
        numerator=_not_basic,
        denominator=_every,
        population=_population(include_bots),
        description="Conversations harder than a basic question.",
    )


_REGISTRY: dict[str, Callable[..., Any]] = {
    "bot_containment": bot_containment,
    "conversation_count": conversation_count,
    "crisis_success": crisis_success,
    "difficulty_mix": difficulty_mix,
    "dissatisfaction_rate": dissatisfaction_rate,
    "emotion_conversion": emotion_conversion,
    "empathy_score": empathy_score,
    "escalation_rate": escalation_rate,
    "first_contact_resolution": first_contact_resolution,
    "first_response_time": first_response_time,
    "knowledge_score": knowledge_score,
    "mean_rating": mean_rating,
    "rating_rate": rating_rate,
    "repeat_inquiry_rate": repeat_inquiry_rate,
    "reply_accuracy": reply_accuracy,
    "resolution_rate": resolution_rate,
    "resolution_time": resolution_time,
    "responded_within": responded_within,
    "response_rate": response_rate,
    "satisfaction_rate": satisfaction_rate,
    "script_compliance": script_compliance,
    "transfer_rate": transfer_rate,
    "weighted_workload": weighted_workload,
}


def metric_names() -> tuple[str, ...]:
    """Names of the built-in metrics, sorted."""
    return tuple(sorted(_REGISTRY))


def get_metric(name: str, **options: Any) -> Metric:
    """The built-in metric ``name``, built with ``options``.

    Raises:
        ValidationError: for an unknown name, listing the known ones.
    """
    try:
        factory = _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValidationError(
            "get_metric",
            "name",
            name,
            f"is not a metric; known: {', '.join(metric_names())}",
        ) from None
    metric: Metric = factory(**options)
    return metric


def standard_catalogue() -> tuple[Metric, ...]:
    """Every built-in metric with its default options, in registry order.

    ``sla_hit_rate`` is not in the registry: it needs an :class:`SLAPolicy`.
    """
    return tuple(get_metric(name) for name in metric_names())
