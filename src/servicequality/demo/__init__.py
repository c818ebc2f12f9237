"""A deterministic example shop to learn, test and benchmark with.

``example_shop()`` builds a realistic month of a small Douyin-style shop:
twelve agents in a pre-sale and an after-sale team, one supervisor, one bot
that hands conversations over to humans, four channels, all four
difficulties, three-level ratings, repeat contacts and escalations. Its
planted hot spots — a slow, unhappy evening rush and an agent who invites
ratings selectively — are what the heat map, the weekly review and the
data-quality report should find. Months of the shop concatenate.
"""

from servicequality.demo._shop import (
    BOT_ID,
    COMMENTS,
    SHOP_TIMEZONE,
    SUPERVISOR_ID,
    TOPICS,
    example_roster,
    example_shop,
)

__all__ = [
    "BOT_ID",
    "COMMENTS",
    "SHOP_TIMEZONE",
    "SUPERVISOR_ID",
    "TOPICS",
    "example_roster",
    "example_shop",
]
