"""Benchmark data: a large realistic service log, and the example shop.

``generate`` draws the raw columns of a year of customer service, seeded and
vectorised (no Python loop per row): human agents with a hidden skill, a
few bots that hand some conversations over, customers who come back on the
same topic within days (so cases chain), e-mail threads with a ``case_id``,
three-level ratings on 30-70 % of conversations, quality reviews on a
sample, reply and close times. ``table`` builds a ``ConversationTable``
from them with ``from_arrays``; the contenders read the same arrays.

Times are UTC instants; the shop's weeks are Monday to Monday in UTC+08:00
(no daylight saving), so every contender can compute them with a fixed
offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from servicequality import Agent, ConversationTable, RatingScale, Role, Weekly
from servicequality.demo import SHOP_TIMEZONE, example_shop

if TYPE_CHECKING:
    import argparse

SCALE = RatingScale.THREE_LEVEL
WEEK = Weekly(tz=SHOP_TIMEZONE)
OFFSET_HOURS = 8
"""UTC+08:00, the shop's fixed offset."""
START = datetime(2025, 1, 6, tzinfo=SHOP_TIMEZONE)
"""A Monday, 00:00 local: the first day of the generated year."""
STRING = np.dtypes.StringDType()
TOPICS = 40
REVIEWERS = 60
SHOP_REPEATS = 25
"""Runs of a few milliseconds need more repeats than 3 for a stable best."""
COMMENTS = ("Thanks!", "Quick and kind.", "Solved.", "Slow.", "Not solved.", "Rude.")
_HOUR_WEIGHTS = np.array(
    [2, 1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 6, 8, 8, 7, 6, 6, 6, 6, 6, 7, 9, 10, 10, 8, 5]
)
_DIFFICULTY = np.array([0.6, 0.25, 0.12, 0.03])
_HANDLING_MINUTES = np.array([4.0, 12.0, 25.0, 60.0])
CODE_COLUMNS = {
    "conversation_id": "conversation_ids",
    "agent_id": "agent_ids",
    "customer_id": "customer_ids",
    "topic": "topics",
    "case_id": "case_ids",
    "reviewer_id": "reviewer_ids",
    "rating_comment": "rating_comments",
}
"""Code columns and the code-to-id list each indexes (``transferred_to``: agents)."""


def numbered(prefix: str, count: int) -> np.ndarray:
    """``prefix`` + zero-padded numbers: ids that sort like their numbers."""
    digits = max(len(str(count - 1)), 6)
    return np.strings.add(
        prefix, np.strings.zfill(np.arange(count).astype(STRING), digits)
    )


def roster(agents: int, bots: int) -> tuple[Agent, ...]:
    """``agents`` humans (1 % supervisors, at least one) then ``bots`` bots."""
    supervisors = max(1, agents // 100)
    return (
        *(Agent(id=f"a{i:05d}", role=Role.AGENT) for i in range(agents - supervisors)),
        *(Agent(id=f"s{i:04d}", role=Role.SUPERVISOR) for i in range(supervisors)),
        *(Agent(id=f"bot{i}", role=Role.BOT) for i in range(bots)),
    )


def _follow_ups(
    rng: np.random.Generator, opened: np.ndarray, share: float, parent: np.ndarray
) -> np.ndarray:
    """Make ``share`` of rows come back 1 h to 6 days after a random other row.

    Writes into ``opened`` and returns the row each row copies its customer
    and topic from (itself when it is no follow-up).
    """
    n = len(opened)
    follow = rng.random(n) < share
    origin = rng.integers(0, n, size=n)
    follow &= origin != np.arange(n)
    rows = np.flatnonzero(follow)
    delay = (rng.uniform(1, 144, size=len(rows)) * 3.6e9).astype("timedelta64[us]")
    opened[rows] = opened[origin[rows]] + delay
    source = parent.copy()
    source[rows] = parent[origin[rows]]
    return source


def generate(
    rows: int, *, agents: int = 5_000, bots: int = 3, weeks: int = 52, seed: int = 1
) -> dict[str, Any]:
    """Keyword arguments of ``ConversationTable.from_arrays``, rows in time order."""
    rng = np.random.default_rng(seed)
    n = rows
    team = roster(agents, bots)
    humans = agents
    bot_codes = np.arange(humans, humans + bots)
    skill = rng.beta(4, 2, size=humans)
    load = rng.lognormal(0, 0.4, size=humans)

    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    seconds = (
        rng.integers(0, 7 * weeks, size=n) * 86_400
        + hour * 3_600
        + rng.integers(0, 3_600, size=n)
    )
    origin = np.datetime64(START.astimezone(UTC).replace(tzinfo=None), "us")
    opened = origin + (seconds * 1_000_000).astype("timedelta64[us]")

    customers = max(1, int(n * 0.35))
    customer = (customers * rng.random(n) ** 1.5).astype(np.int64)
    topic = rng.choice(TOPICS, size=n, p=np.arange(TOPICS, 0, -1) / (TOPICS * 20.5))
    channel = rng.choice(4, size=n, p=[0.35, 0.35, 0.15, 0.15])
    source = np.arange(n)
    for share in (0.12, 0.05):  # follow-ups, then follow-ups of those
        source = _follow_ups(rng, opened, share, source)
    customer, topic, channel = customer[source], topic[source], channel[source]
    case_root = np.where(channel == 3, source, -1)  # e-mail threads share a case
    roots, case_code = np.unique(case_root[case_root >= 0], return_inverse=True)
    case_id = np.full(n, -1, dtype=np.int32)
    case_id[case_root >= 0] = case_code

    difficulty = rng.choice(4, size=n, p=_DIFFICULTY)
    human = rng.choice(humans, size=n, p=load / load.sum())
    by_bot = (channel <= 1) & (difficulty == 0) & (rng.random(n) < 0.3)
    handed = by_bot & (rng.random(n) < 0.35)
    agent = np.where(by_bot, rng.choice(bot_codes, size=n), human)
    transferred = np.where(handed, human, -1)
    handler = np.where(by_bot & ~handed, -1, human)
    talent = np.where(handler >= 0, skill[handler], 0.6)

    response_s = rng.lognormal(np.log(60.0), 1.0, size=n)
    response_s = np.where(by_bot & ~handed, rng.uniform(1, 8, size=n), response_s)
    handling_s = rng.lognormal(np.log(_HANDLING_MINUTES[difficulty] * 60), 0.6)
    first_response = opened + (response_s * 1e6).astype("timedelta64[us]")
    closed = first_response + (handling_s * 1e6).astype("timedelta64[us]")
    still_open = rng.random(n) < 0.01
    first_response[rng.random(n) < 0.01] = np.datetime64("NaT")
    closed[still_open] = np.datetime64("NaT")

    resolved = ~still_open & (rng.random(n) < (0.55 + 0.4 * talent) - 0.1 * difficulty)
    escalated = rng.random(n) < np.array([0.01, 0.03, 0.25, 0.6])[difficulty]
    invited = rng.random(n) < 0.6
    week = (opened - origin).astype("timedelta64[D]").astype(np.int64) // 7
    mood = rng.uniform(0.75, 1.6, size=weeks + 2)[np.minimum(week, weeks + 1)]
    rated = ~still_open & (rng.random(n) < np.where(invited, 0.55, 0.25) * mood)
    p_satisfied = 1 / (1 + np.exp(-(0.2 + 2.5 * talent - 1.5 * ~resolved)))
    roll = rng.random(n)
    score = np.where(
        roll < p_satisfied, 3, np.where(roll < (1 + p_satisfied) / 2, 2, 1)
    )
    comment = np.where(score == 3, rng.integers(0, 3, n), rng.integers(3, 6, n))
    comment = np.where(rated & (rng.random(n) < 0.2), comment, -1)
    rated_at = closed + (rng.uniform(5, 900, size=n) * 1e6).astype("timedelta64[us]")
    reviewed = (handler >= 0) & (rng.random(n) < 0.03)
    empathy = np.clip(np.rint(1 + 4 * talent + rng.normal(0, 0.8, size=n)), 1, 5)
    start = np.where(rng.random(n) < 0.2 + 0.15 * difficulty, 0, 1)
    end = np.where(resolved, np.where(rng.random(n) < 0.6, 2, 1), 0)
    assessed = rng.random(n) < 0.7

    order = np.argsort(opened, kind="stable")  # logs come in time order
    columns: dict[str, Any] = {
        "agent_id": agent.astype(np.int32),
        "customer_id": customer.astype(np.int32),
        "opened_at": opened,
        "closed_at": closed,
        "first_response_at": first_response,
        "channel": channel.astype(np.int8),
        "topic": topic.astype(np.int32),
        "difficulty": difficulty.astype(np.int8),
        "resolved": resolved,
        "escalated": escalated,
        "case_id": case_id,
        "transferred_to": transferred.astype(np.int32),
        "rating_invited": invited,
        "sentiment_start": np.where(assessed, start, -1).astype(np.int8),
        "sentiment_end": np.where(assessed, end, -1).astype(np.int8),
        "rating_scale": np.where(rated, 0, -1).astype(np.int8),
        "rating_score": np.where(rated, score, 0).astype(np.int8),
        "rated_at": np.where(rated, rated_at, np.datetime64("NaT")),
        "rating_comment": comment.astype(np.int32),
        "reviewer_id": np.where(
            reviewed, rng.integers(0, REVIEWERS, size=n), -1
        ).astype(np.int32),
        "review_accurate": reviewed & (rng.random(n) < 0.7 + 0.25 * talent),
        "review_script_compliant": reviewed & (rng.random(n) < 0.6 + 0.35 * talent),
        "review_empathy": np.where(reviewed, empathy, 0).astype(np.int8),
    }
    columns = {name: column[order] for name, column in columns.items()}
    columns["conversation_id"] = np.arange(n, dtype=np.int32)
    return {
        **columns,
        "conversation_ids": numbered("C", n),
        "agent_ids": np.array([a.id for a in team], dtype=STRING),
        "customer_ids": numbered("U", customers),
        "topics": numbered("T", TOPICS),
        "case_ids": numbered("K", len(roots)),
        "reviewer_ids": numbered("R", REVIEWERS),
        "rating_comments": np.array(COMMENTS, dtype=STRING),
        "rating_scales": (SCALE,),
        "agents": team,
    }


LISTS = frozenset({*CODE_COLUMNS.values(), "rating_scales", "agents"})
"""``from_arrays`` arguments that are not row columns."""


def shuffled(arguments: dict[str, Any], seed: int = 2) -> dict[str, Any]:
    """The same conversations with their rows in a random order."""
    order = np.random.default_rng(seed).permutation(len(arguments["opened_at"]))
    return {
        name: value if name in LISTS else value[order]
        for name, value in arguments.items()
    }


def in_time_order(arguments: dict[str, Any]) -> dict[str, Any]:
    """The same conversations with their rows sorted by ``opened_at``."""
    order = np.argsort(arguments["opened_at"], kind="stable")
    return {
        name: value if name in LISTS else value[order]
        for name, value in arguments.items()
    }


def shop_arguments(rows: int = 3_000) -> dict[str, Any]:
    """The example shop (14 workers, one month) as ``from_arrays`` arguments."""
    table = example_shop(rows, seed=1)
    arguments: dict[str, Any] = {name: table[name] for name in table.column_names}
    for column, parameter in CODE_COLUMNS.items():
        arguments[parameter] = table.vocabulary(column)
    arguments["rating_scales"] = table.rating_scales
    arguments["agents"] = table.agents
    return arguments


def add_size_options(parser: argparse.ArgumentParser) -> None:
    """``--size shop|scale`` and the knobs that scale ``scale`` down."""
    parser.add_argument("--size", choices=("shop", "scale"), default="scale")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--agents", type=int, default=5_000)
    parser.add_argument("--bots", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--shop-rows", type=int, default=3_000)
    parser.add_argument("--order", choices=("time", "shuffled"), default="time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeats", type=int, help="best of how many runs (scale: 3, shop: 25)"
    )


def parse_options(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The options, with the default number of repeats for the size."""
    options = parser.parse_args()
    if options.repeats is None:
        options.repeats = SHOP_REPEATS if options.size == "shop" else 3
    return options


def arguments_for(options: argparse.Namespace) -> dict[str, Any]:
    """The ``from_arrays`` arguments the options ask for."""
    if options.size == "shop":
        arguments = shop_arguments(options.shop_rows)
    else:
        arguments = generate(
            options.rows,
            agents=options.agents,
            bots=options.bots,
            weeks=options.weeks,
            seed=options.seed,
        )
    if options.order == "shuffled":
        return shuffled(arguments)
    return in_time_order(arguments)


def describe(options: argparse.Namespace, table: ConversationTable) -> str:
    """One line naming the data."""
    if options.size == "shop":
        what = "example shop"
    else:
        what = (
            f"generated, {options.agents:,} agents + {options.bots} bots, "
            f"{options.weeks} weeks"
        )
    return f"{len(table):,} conversations ({what}, rows in {options.order} order)"


def table(arguments: dict[str, Any]) -> ConversationTable:
    """The table ``from_arrays`` builds from ``arguments``."""
    return ConversationTable.from_arrays(**arguments)
