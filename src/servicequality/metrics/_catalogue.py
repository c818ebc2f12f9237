"""The registry of built-in metrics: names to factories, and the standard catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from servicequality._errors import ValidationError
from servicequality.metrics._automation import (
    bot_containment,
    transfer_rate,
)
from servicequality.metrics._quality import (
    emotion_conversion,
    empathy_score,
    knowledge_score,
    reply_accuracy,
    script_compliance,
)
from servicequality.metrics._replies import (
    longest_customer_wait,
    replied_within,
    reply_time,
)
from servicequality.metrics._resolution import (
    crisis_success,
    escalation_rate,
    first_contact_resolution,
    repeat_inquiry_rate,
    resolution_rate,
)
from servicequality.metrics._responsiveness import (
    bot_wait_time,
    first_response_time,
    handover_responded_within,
    handover_response_time,
    resolution_time,
    responded_within,
    sla_hit_rate,
)
from servicequality.metrics._satisfaction import (
    dissatisfaction_rate,
    mean_rating,
    rating_rate,
    response_rate,
    satisfaction_rate,
)
from servicequality.metrics._workload import (
    conversation_count,
    difficulty_mix,
    weighted_workload,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from servicequality.metrics._base import Metric

__all__ = [
    "bot_containment",
    "bot_wait_time",
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
    "handover_responded_within",
    "handover_response_time",
    "knowledge_score",
    "longest_customer_wait",
    "mean_rating",
    "metric_names",
    "rating_rate",
    "repeat_inquiry_rate",
    "replied_within",
    "reply_accuracy",
    "reply_time",
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

_REGISTRY: dict[str, Callable[..., Any]] = {
    "bot_containment": bot_containment,
    "bot_wait_time": bot_wait_time,
    "conversation_count": conversation_count,
    "crisis_success": crisis_success,
    "difficulty_mix": difficulty_mix,
    "dissatisfaction_rate": dissatisfaction_rate,
    "emotion_conversion": emotion_conversion,
    "empathy_score": empathy_score,
    "escalation_rate": escalation_rate,
    "first_contact_resolution": first_contact_resolution,
    "first_response_time": first_response_time,
    "handover_responded_within": handover_responded_within,
    "handover_response_time": handover_response_time,
    "knowledge_score": knowledge_score,
    "longest_customer_wait": longest_customer_wait,
    "mean_rating": mean_rating,
    "rating_rate": rating_rate,
    "repeat_inquiry_rate": repeat_inquiry_rate,
    "replied_within": replied_within,
    "reply_accuracy": reply_accuracy,
    "reply_time": reply_time,
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
