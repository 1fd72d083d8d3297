"""Solver benchmark on synthetic demo-shaped instances.

Run: ``pytest tests/bench/bench_solver.py -m bench -s``.  Prints build / solve seconds, objective, bound,
gap and status per size and escort variant (``realistic``: 2 officers per seat as in the sample schedule,
the target case; ``demo``: the demo command's mix, escorts bind on some flights; ``tight``: escorts bind
everywhere), and the naive Boolean-per-pair model on 10k/200 with the same time limit.
"""

from __future__ import annotations

import time

import pytest

from solver import SolveOptions, solve, validate
from tests.unit.solver.synthetic import synthetic_problem

TIME_LIMIT = 10.0
SIZES = [(10_000, 200), (50_000, 400), (100_000, 800)]
VARIANTS = ["realistic", "demo", "tight"]


def _row(label: str, n: int, f: int, plan, gen: float) -> str:
    s = plan.stats
    return (
        f"{label:10s} {n:>7d}/{f:<4d} gen {gen:5.2f}s build {s['build_seconds']:5.2f}s "
        f"solve {s['solve_seconds']:6.2f}s units {int(s['units']):>6d} cols {int(s['columns']):>7d} "
        f"comps {int(s['components']):>2d} placed {plan.placed:>6d} obj {plan.objective:>7d} bound {plan.bound:>7d} "
        f"gap {100 * plan.gap:6.3f}% {plan.status}"
    )


@pytest.mark.bench
@pytest.mark.parametrize("escorts", VARIANTS)
@pytest.mark.parametrize(("n", "f"), SIZES)
def test_bench_aggregated(n: int, f: int, escorts: str) -> None:
    t = time.monotonic()
    prob = synthetic_problem(n, f, seed=1, escorts=escorts)
    gen = time.monotonic() - t
    plan = solve(prob, SolveOptions(time_limit=TIME_LIMIT, num_workers=2))
    print("\n" + _row(escorts, n, f, plan, gen))
    assert validate(prob, plan) == []


@pytest.mark.bench
def test_bench_naive_vs_aggregated_10k() -> None:
    prob = synthetic_problem(10_000, 200, seed=1, escorts="realistic")
    agg = solve(prob, SolveOptions(time_limit=TIME_LIMIT, num_workers=2))
    naive = solve(prob, SolveOptions(time_limit=TIME_LIMIT, num_workers=2, aggregate=False))
    print("\n" + _row("aggregated", 10_000, 200, agg, 0.0))
    print(_row("naive", 10_000, 200, naive, 0.0))
    print(
        f"naive/aggregated: seconds {naive.seconds / agg.seconds:.2f}x, gap {100 * naive.gap:.3f}% vs "
        f"{100 * agg.gap:.3f}%, objective {naive.objective / max(agg.objective, 1):.4f}"
    )
    assert validate(prob, naive) == []
