"""``allocate`` on many agents against the exact-``Fraction`` reference.

Splits one pool by random float scores (the pool-share case), by random
integer weights and by equal weights (every remainder tied), each as a numpy
array and as a Python list. Prints the time of ``allocate``, the ratio of the
``Fraction`` reference's time to it on a smaller run (the reference needs
about 20 s for a million agents), checks both give the same shares there,
and prints the absolute time for the full run. The target is at most 2 s
for 1,000,000 agents on the development machine.

Run: python benchmarks/allocate.py [--agents 1000000] [--reference 100000]
"""

from __future__ import annotations

import argparse
import math
import time
from decimal import Decimal
from fractions import Fraction

import numpy as np

from servicequality.incentives import Currency, allocate

CNY = Currency.of("CNY")
POOL = Decimal("12345678.91")


def reference(pool: Decimal, weights: list[object]) -> tuple[Decimal, ...]:
    """The exact-Fraction allocator the library started with."""
    exact = [Fraction(w) for w in weights]  # type: ignore[arg-type]
    total = sum(exact, Fraction(0))
    units = int(pool / CNY.quantum)
    quotas = [units * w / total for w in exact]
    floors = [math.floor(q) for q in quotas]
    left = units - sum(floors)
    order = sorted(
        range(len(exact)), key=lambda i: (-(quotas[i] - floors[i]), -exact[i], i)
    )
    for i in order[:left]:
        floors[i] += 1
    return tuple(CNY.quantum * f for f in floors)


def inputs(agents: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "float scores": rng.random(agents) * 100,
        "integer weights": rng.integers(0, 1000, agents),
        "equal weights": np.ones(agents, dtype=np.int64),
    }


def timed(weights: object) -> tuple[float, tuple[Decimal, ...]]:
    start = time.perf_counter()
    shares = allocate(POOL, weights, currency=CNY)  # type: ignore[arg-type]
    return time.perf_counter() - start, shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1_000_000)
    parser.add_argument("--reference", type=int, default=100_000)
    args = parser.parse_args()
    small = inputs(args.reference, seed=1)
    large = inputs(args.agents, seed=2)
    print(f"pool {POOL} CNY; reference run {args.reference:,} agents")
    for name, array in small.items():
        fast, shares = timed(array)
        start = time.perf_counter()
        expected = reference(POOL, array.tolist())
        slow = time.perf_counter() - start
        assert shares == expected, f"{name}: allocate differs from the reference"
        print(f"  {name:16} Fraction reference / allocate = {slow / fast:6.1f}x")
    print(f"full run {args.agents:,} agents")
    for name, array in large.items():
        for form, weights in (("array", array), ("list", array.tolist())):
            seconds, shares = timed(weights)
            assert sum(shares) == POOL
            print(f"  {name:16} {form:5} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
