"""End-to-end planning benchmark on ``demo`` data (issue 4).

For 10k/200, 50k/400 and 100k/800 (people/flights, seed 7) it prints the load / eligibility /
build / solve / explain / store seconds of ``planning.run_plan``, the objective, bound, gap and
the process's peak memory, then solves the same instance with the naive model (one Boolean per
person × compatible stop) under the same time limit and prints the ratio.

Run: ``pytest tests/bench/bench_plan.py -m bench -s`` or ``python -m tests.bench.bench_plan [SIZES]``
(e.g. ``10000x200``). Demo databases are cached in ``$CHARTER_BENCH_DIR`` (default a temp folder).
Each size runs in its own process so that peak memory is per instance.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pytest

SIZES = ((10_000, 200), (50_000, 400), (100_000, 800))
TIME_LIMIT = 10.0
#: Part of the cached database's name: a demo generator that draws different data gets new files
#: ("missions2": the aircraft catalog scaled to the office, the rules' mission limits; issue 17).
DEMO_VERSION = "missions2"
BENCH_DIR = Path(os.environ.get("CHARTER_BENCH_DIR", Path(tempfile.gettempdir()) / "charter-bench-plan"))


def _database(people: int, flights: int) -> str:
    from planner.demo import generate as demo
    from planner.domain.enums import Role
    from planner.services.auth import Actor
    from planner.settings import Settings
    from tests.conftest import make_initialised_context

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"demo-{DEMO_VERSION}-{people}x{flights}.db"
    ready = path.with_suffix(".ready")
    if not ready.exists():
        for stale in BENCH_DIR.glob(f"demo-{DEMO_VERSION}-{people}x{flights}.db*"):
            stale.unlink()
        ctx = make_initialised_context(Settings(db=str(path), data_dir=BENCH_DIR))
        with ctx.uow() as uow:
            demo.generate_demo(uow, Actor("admin", Role.ADMIN), people=people, flights=flights, seed=7)
            uow.commit()
        ctx.close()
        ready.touch()
    return str(path)


def _measure(people: int, flights: int, out: multiprocessing.Queue) -> None:
    """In a fresh process: the first plan of a copy of the demo database, then the naive model."""
    import shutil

    import solver
    from planner.domain.enums import Role
    from planner.persistence.context import build_context
    from planner.persistence.models import utc_now
    from planner.services import planning
    from planner.services.auth import Actor
    from planner.settings import Settings

    source = _database(people, flights)
    work = Path(tempfile.mkdtemp(prefix="bench-plan-")) / "plan.db"
    shutil.copy(source, work)  # a plain copy is fine here: nothing has the file open
    settings = Settings(db=str(work), data_dir=work.parent)
    ctx = build_context(settings)
    admin = Actor("admin", Role.ADMIN)
    now = utc_now()
    started = time.perf_counter()
    summary = planning.run_plan(ctx, admin, settings, time_limit=TIME_LIMIT, now=now)
    total = time.perf_counter() - started
    routes = _route_figures(summary.leg_loads)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The same instance through the naive Boolean-per-pair model.
    with ctx.uow(write=False) as uow:
        data = planning.load_input(uow, now=now)
    problem, _eligible = planning.prepare_problem(data, settings)
    problem = solver.Problem(
        people=tuple(
            solver.Person(**{**{f: getattr(p, f) for f in p.__slots__}, "draft_stop": None})
            for p in problem.people
        ),
        flights=problem.flights,
        stops=problem.stops,
        **({"pickups": problem.pickups} if hasattr(problem, "pickups") else {}),
    )
    naive_started = time.perf_counter()
    naive = solver.solve(problem, solver.SolveOptions(time_limit=TIME_LIMIT, aggregate=False))
    naive_seconds = time.perf_counter() - naive_started
    ctx.close()
    out.put(
        {
            "size": f"{people:,}/{flights}",
            "timings": summary.timings,
            "total": total,
            "status": summary.status,
            "objective": summary.objective,
            "bound": summary.bound,
            "gap": summary.gap,
            "placed": summary.placed,
            "eligible": summary.eligible,
            "peak_mb": peak_mb,
            "routes": routes,
            "naive": {
                "status": naive.status.value,
                "objective": naive.objective,
                "bound": naive.bound,
                "gap": naive.gap,
                "seconds": naive_seconds,
            },
        }
    )


def _route_figures(leg_loads: dict[str, dict[str, list]]) -> dict[str, float]:
    """Multi-pickup missions among the planned flights (``PlanSummary.leg_loads``): their number
    and share, and the share of seats used on the first leg (people boarding at the first pickup)."""
    flights = len(leg_loads)
    multi = [e for e in leg_loads.values() if len(e.get("pickups", [])) > 1]
    placed = sum(max(e.get("seats") or [0]) for e in multi)
    first_leg = sum((e.get("seats") or [0])[0] for e in multi)
    return {
        "flights": flights,
        "multi_pickup_flights": len(multi),
        "multi_pickup_share": len(multi) / flights if flights else 0.0,
        "first_pickup_share": first_leg / placed if placed else 0.0,
    }


def run(sizes: tuple[tuple[int, int], ...] = SIZES) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    results = []
    for people, flights in sizes:
        queue = context.Queue()
        process = context.Process(target=_measure, args=(people, flights, queue))
        process.start()
        result = queue.get(timeout=900)
        process.join()
        results.append(result)
        t = result["timings"]
        n = result["naive"]
        print(
            f"{result['size']:>12}: total {result['total']:5.2f} s (load {t.get('load', 0):.2f}, eligibility "
            f"{t.get('eligibility', 0):.2f}, build {t.get('build', 0):.2f}, solve {t.get('solve', 0):.2f}, explain "
            f"{t.get('explain', 0):.2f}, store {t.get('store', 0):.2f}); {result['status']}, objective "
            f"{result['objective']:,} / bound {result['bound']:,}, gap {100 * result['gap']:.4f} %, placed "
            f"{result['placed']:,} of {result['eligible']:,}; peak {result['peak_mb']:,.0f} MB",
            flush=True,
        )
        r = result["routes"]
        print(
            f"{'routes':>12}: {r['multi_pickup_flights']:,} of {r['flights']:,} planned flights pick up at several "
            f"airports ({100 * r['multi_pickup_share']:.0f} %); on those, {100 * r['first_pickup_share']:.0f} % "
            "of the people board at the first pickup",
            flush=True,
        )
        ratio = result["objective"] / n["objective"] if n["objective"] else float("inf")
        print(
            f"{'naive':>12}: {n['status']}, objective {n['objective']:,} / bound {n['bound']:,}, gap "
            f"{100 * n['gap']:.2f} % in {n['seconds']:.1f} s (same limit); aggregated/naive objective "
            f"{'∞' if ratio == float('inf') else f'{ratio:.3f}'}, solve time ratio "
            f"{t.get('solve', 0) / max(n['seconds'], 1e-9):.2f}",
            flush=True,
        )
    return results


@pytest.mark.bench
def test_plan_end_to_end_on_demo_data() -> None:
    results = run()
    print(json.dumps(results, indent=1, default=str))
    biggest = results[-1]
    assert biggest["gap"] <= 0.001
    assert biggest["peak_mb"] < 2048


if __name__ == "__main__":
    wanted = tuple(tuple(int(x) for x in arg.split("x")) for arg in sys.argv[1:]) or SIZES
    run(wanted)  # type: ignore[arg-type]
