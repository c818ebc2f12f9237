"""``python -m servicequality``: summarise the bundled example shop."""

from __future__ import annotations

import argparse

from servicequality.demo import SHOP_TIMEZONE, example_shop
from servicequality.demo._summary import summary


def main(argv: list[str] | None = None) -> int:
    """Print a summary of the example shop; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m servicequality",
        description="Summarise a month of the bundled example shop.",
    )
    parser.add_argument(
        "--conversations", type=int, help="size of the month (default: 10,000)"
    )
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args(argv)
    size = (
        {}
        if arguments.conversations is None
        else {"conversations": arguments.conversations}
    )
    table = example_shop(**size, seed=arguments.seed)
    print(f"Example shop, November 2025 ({SHOP_TIMEZONE.tzname(None)})")
    print(summary(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
