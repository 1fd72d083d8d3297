"""Mission-scheduler benchmark on synthetic demo-shaped problems (``solver.schedule.synthetic``).

Run: ``pytest tests/bench/bench_schedule_synthetic.py -m bench -s`` (or ``python -m tests.bench.bench_schedule_synthetic``).
Prints, per size, the proposal (seconds, gap, cost per removal, load factor, mean wait, missions
under 80 % full) beside the weekly-cadence baseline loaded optimally, and checks the proposal with
the validator. (The end-to-end benchmark on demo databases through the service, against both
baselines, is ``bench_schedule.py``.)
"""

from __future__ import annotations

import logging
import time

import pytest

from solver.schedule.baselines import weekly_cadence
from solver.schedule.evaluate import load_missions
from solver.schedule.optimize import solve_schedule
from solver.schedule.problem import ScheduleSolution
from solver.schedule.synthetic import synthetic_schedule_problem
from solver.schedule.validate import check_schedule

SIZES = [(10_000, 8), (100_000, 12)]
TIME_LIMIT = 60.0


def _row(label: str, s: ScheduleSolution) -> str:
    t = s.totals
    gap = f"{100 * s.gap:6.2f}%" if s.gap is not None else "   n/a"
    under = sum(1 for n in s.notes if " full: " in n)
    return (
        f"{label:9s} cost/removal {t.cost_per_removal or 0:9.0f} load {100 * (t.load_factor or 0):5.1f}% "
        f"wait {t.mean_wait_days or 0:5.1f} d removed {t.removed:>6d} unserved {t.unserved:>6d} "
        f"missions {t.missions:>4d} (<80 %: {under:>3d}) gap {gap} {s.seconds:6.1f}s"
    )


def run(people: int, weeks: int, time_limit: float = TIME_LIMIT) -> tuple[ScheduleSolution, ScheduleSolution]:
    problem = synthetic_schedule_problem(people, weeks)
    started = time.monotonic()
    proposal = solve_schedule(problem, time_limit=time_limit, workers=2)
    print(f"{people:,} people / {weeks} weeks ({len(problem.demand):,} demand groups)")
    print(_row("proposal", proposal), f"(wall {time.monotonic() - started:.1f}s)")
    cadence = load_missions(problem, weekly_cadence(problem), time_limit=time_limit)
    print(_row("cadence", cadence))
    assert check_schedule(problem, proposal) == []
    return proposal, cadence


@pytest.mark.bench
@pytest.mark.parametrize(("people", "weeks"), SIZES)
def test_bench_schedule(people: int, weeks: int) -> None:
    run(people, weeks)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for size in SIZES:
        run(*size)
