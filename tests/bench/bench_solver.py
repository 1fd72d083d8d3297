"""Solver benchmark on synthetic demo-shaped instances.

Run: ``pytest tests/bench/bench_solver.py -m bench -s``.  Prints build / solve seconds, objective, bound,
gap and status per size and escort variant (``realistic``: 2 officers per seat as in the sample schedule,
the target case; ``demo``: the demo command's mix, escorts bind on some flights; ``tight``: escorts bind
everywhere), and the naive Boolean-per-pair model on 10k/200 with the same time limit.

``test_bench_real_instance`` uses ``/tmp/demo100k_problem.pkl`` (or ``$SOLVER_BENCH_PROBLEM``) when it
exists: a pickled :class:`solver.Problem` built by the planning service from ``demo --people 100000
--flights 800 --seed 7`` after a first plan was stored (people carry draft stops: the re-plan case); the
first-plan case is the same problem with every draft stop removed.  It prints the solve seconds with
the stage that took them, explain seconds, gap, moves and earliness, and checks the plan is valid.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import time
from pathlib import Path

import pytest

from solver import SolveOptions, explain_unplaced, solve, validate
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


@pytest.mark.bench
def test_bench_good_enough_stops_early() -> None:
    """The instance of ``tests/unit/solver/test_run_control.py::test_good_enough_plan_stops_early…``
    (3,000 people, 60 flights, demo escorts) with a 30 s limit: a plan within ``primary_gap`` of its
    bound ends the search, so the solve should take well under the limit (it used to be asserted under
    15 s in the unit test; the figure depends on the machine, hence reported here)."""
    prob = synthetic_problem(3000, 60, seed=4, escorts="demo")
    opts = SolveOptions(time_limit=30.0, num_workers=2)
    plan = solve(prob, opts)
    print(
        f"\ngood enough stops early: solve {plan.seconds:.2f}s of {opts.time_limit:.0f}s "
        f"(load avg {os.getloadavg()[0]:.1f}) gap {100 * plan.gap:.3f}% {plan.status}"
    )
    assert validate(prob, plan) == []
    assert not plan.stopped and plan.gap <= opts.primary_gap


REAL_PROBLEM = Path(os.environ.get("SOLVER_BENCH_PROBLEM", "/tmp/demo100k_problem.pkl"))


def make_real_problem(
    out: Path = REAL_PROBLEM,
    *,
    people: int = 100_000,
    flights: int = 800,
    seed: int = 7,
    time_limit: float = TIME_LIMIT,
) -> Path:
    """Build the real-instance pickle ``out``: a new SQLite database in a temp folder, removed afterwards
    (as ``init --admin admin``), ``demo --people … --flights … --seed …``, the first plan stored by
    :func:`planner.services.planning.run_plan` (as ``plan --time-limit``), then the re-plan problem exactly
    as the planning service builds it (``load_input`` + ``prepare_problem``: people carry that plan's
    draft stops), pickled.  The drafts come from the solver at hand, so a file made by another version
    gives slightly different figures."""
    import shutil
    import tempfile

    from planner.demo import generate as demo
    from planner.domain.enums import Role
    from planner.persistence.context import build_context
    from planner.persistence.models import utc_now
    from planner.services import planning, setup
    from planner.services.auth import Actor
    from planner.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="solver-bench-"))
    settings = Settings(db=str(folder / "demo.db"), data_dir=folder, time_limit=time_limit)
    ctx = build_context(settings)
    try:
        setup.initialize(ctx, admin="admin", password="bench-admin-password")
        admin = Actor("admin", Role.ADMIN)
        with ctx.uow() as uow:
            demo.generate_demo(uow, admin, people=people, flights=flights, seed=seed)
            uow.commit()
        summary = planning.run_plan(ctx, admin, settings, time_limit=time_limit)
        print(summary.text())
        with ctx.uow(write=False) as uow:
            data = planning.load_input(uow, now=utc_now())
        problem, _eligible = planning.prepare_problem(data, settings)
    finally:
        ctx.close()
        shutil.rmtree(folder, ignore_errors=True)
    with out.open("wb") as fh:
        pickle.dump(problem, fh, protocol=pickle.HIGHEST_PROTOCOL)
    drafts = sum(p.draft_stop is not None for p in problem.people)
    print(f"{out}: {len(problem.people)} people ({drafts} with a draft stop), {len(problem.flights)} flights")
    return out


@pytest.mark.bench
@pytest.mark.parametrize("case", ["replan", "first"])
def test_bench_real_instance(case: str) -> None:
    if not REAL_PROBLEM.exists():
        pytest.skip(f"{REAL_PROBLEM} not found")
    with REAL_PROBLEM.open("rb") as fh:
        prob = pickle.load(fh)
    if case == "first":
        people = tuple(dataclasses.replace(p, draft_stop=None) for p in prob.people)
        prob = dataclasses.replace(prob, people=people)
    load = os.getloadavg()[0]
    plan = solve(prob, SolveOptions(time_limit=TIME_LIMIT, num_workers=2))
    t = time.monotonic()
    reasons = explain_unplaced(prob, plan)
    explain = time.monotonic() - t
    s = plan.stats
    print(
        f"\nreal {case:6s} people {len(prob.people)} flights {len(prob.flights)} (load avg {load:.1f}): "
        f"build {s['build_seconds']:.2f}s relax {s['relax_seconds']:.2f}s primary {s['primary_seconds']:.2f}s "
        f"stages 2/3 {s['stages_seconds']:.2f}s "
        f"solve {plan.seconds:.2f}s explain {explain:.2f}s | obj {plan.objective} bound {plan.bound} "
        f"gap {100 * plan.gap:.4f}% moves {plan.moves} (≥ {int(s['moves_bound'])}) earliness {plan.earliness} "
        f"(gap {100 * s['earliness_gap']:.2f}%) {plan.status} unplaced {len(reasons)}"
    )
    assert validate(prob, plan) == []
    assert plan.gap <= SolveOptions().primary_gap


def _perturbed(prob, lose: int, seed: int = 1):
    """The re-plan after data changes: ``lose`` random placed people (fixed seed) lose their draft stop
    and one whole flight (past its notice cut-off) leaves everybody's eligible stops.  Returns (problem,
    people whose draft stop is no longer eligible)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    flights = sorted({s.flight for s in prob.stops})
    gone_flight = flights[int(np.random.default_rng(seed + 1000).integers(len(flights)))]
    gone = {s.id for s in prob.stops if s.flight == gone_flight}
    placed = [i for i, p in enumerate(prob.people) if p.draft_stop is not None and p.frozen_stop is None]
    pick = set(rng.choice(placed, size=lose, replace=False).tolist()) if lose else set()
    people = []
    for i, p in enumerate(prob.people):
        elig = tuple(s for s in p.eligible_stops if s not in gone and not (i in pick and s == p.draft_stop))
        people.append(p if elig == p.eligible_stops else dataclasses.replace(p, eligible_stops=elig))
    lost = sum(
        1
        for p in people
        if p.draft_stop is not None and p.frozen_stop is None and p.draft_stop not in p.eligible_stops
    )
    return dataclasses.replace(prob, people=tuple(people)), lost


@pytest.mark.bench
@pytest.mark.parametrize("lose", [0, 20, 231, 2000])
def test_bench_real_replan_perturbed(lose: int) -> None:
    """Re-plan after ``lose`` people lost their draft stop and one flight was cut: moves should stay
    close to the people who lost their draft stop (it used to reshuffle 10k–45k people, and still 12k for
    ``lose=2000`` before the lexicographic relaxation and the MIP neighbourhoods).  Prints the moves
    with their proven lower bound and the earliness gap (``Plan.stats``)."""
    if not REAL_PROBLEM.exists():
        pytest.skip(f"{REAL_PROBLEM} not found")
    with REAL_PROBLEM.open("rb") as fh:
        prob = pickle.load(fh)
    prob, lost = _perturbed(prob, lose)
    plan = solve(prob, SolveOptions(time_limit=TIME_LIMIT, num_workers=2))
    s = plan.stats
    print(
        f"\nreal replan lose {lose:5d}: lost draft {lost:5d} moves {plan.moves:6d} (≥ {int(s['moves_bound'])}) "
        f"obj {plan.objective} bound {plan.bound} gap {100 * plan.gap:.4f}% {plan.status} "
        f"(earliness gap {100 * s['earliness_gap']:.2f}%) solve {plan.seconds:.2f}s "
        f"(relax {s['relax_seconds']:.2f}s primary {s['primary_seconds']:.2f}s stages {s['stages_seconds']:.2f}s)"
    )
    assert validate(prob, plan) == []
    assert plan.gap <= SolveOptions().primary_gap
    assert plan.moves <= 2 * lost + 100


if __name__ == "__main__":
    import sys

    if len(sys.argv) >= 2 and sys.argv[1] == "make-problem":
        make_real_problem(Path(sys.argv[2]) if len(sys.argv) > 2 else REAL_PROBLEM)
    else:
        sys.exit("usage: python -m tests.bench.bench_solver make-problem [PATH]")
