"""Mission-scheduler benchmark on ``demo`` databases, end to end through the service (issue 17).

For 10k people / 8 weeks and 100k people / 12 weeks (the demo databases of ``bench_plan``: 10k/200
and 100k/800 flights, seed 7, SQLite, built once and cached) it runs ``schedule propose`` through
the service (``planner.services.scheduling.proposals.propose``, stored like the command does) and
evaluates two baselines the same way, on the same problem (``scheduling.problem.load_problem``)
with ``solver.schedule.evaluate.load_missions``: the flights already in the data
(``LoadedProblem.current`` with their own seats) and one mission per country per week on the
largest aircraft (``solver.schedule.baselines.weekly_cadence``). The proposal starts on the day
the demo was generated (its ``demo.generate`` event), so a cached database gives the same figures.
(The solver alone on synthetic problems: ``bench_schedule_synthetic.py``.)

Per size it prints a table — cost per removal, load factor, mean wait days, gap, seconds, missions,
removed — the ratio of the proposal's cost per removal to the better baseline's, the proposed
missions under 80 % full with the notes that explain them (``M3 62% full: <rule>``; "no rule forces
it" counts as unexplained), and PASS/MISS per target (ratio <= 0.80, gap <= 2 %, under 60 s at
100k, no unexplained mission under 80 %). The targets are soft: a MISS is printed, not failed; the
test fails only when the pipeline itself breaks.

Run: ``pytest tests/bench/bench_schedule.py -m bench -s`` or ``python -m tests.bench.bench_schedule
[SIZES]`` (e.g. ``10000x8``: people x weeks). ``$CHARTER_SCHEDULE_TIME_LIMIT`` sets the solver's
time limit (default 40 s). Each size runs in its own process.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

#: (people, weeks) and the demo's flights for that many people (``bench_plan``'s sizes).
SIZES: tuple[tuple[int, int], ...] = ((10_000, 8), (100_000, 12))
FLIGHTS_FOR = {10_000: 200, 50_000: 400, 100_000: 800}
TIME_LIMIT = float(os.environ.get("CHARTER_SCHEDULE_TIME_LIMIT", "40"))
#: Targets of the issue.
RATIO_TARGET = 0.80
GAP_TARGET = 0.02
SECONDS_TARGET = 60.0
SECONDS_TARGET_PEOPLE = 100_000
FULL_ENOUGH = 0.80
#: A note of ``solver.schedule.explain.loading_notes``: ``M3 62% full: <why>``.
NOTE = re.compile(r"^(M\d+) (\d+)% full: (.*)$")
#: The note of a mission no rule forces under 80 % (it counts as unexplained).
NOT_FORCED = "no rule forces it"


@dataclass(frozen=True)
class Row:
    """One schedule's figures in the table."""

    name: str
    cost_per_removal: float | None
    load_factor: float | None
    mean_wait_days: float | None
    gap: float | None
    seconds: float
    missions: int
    removed: int
    cost: float

    def cells(self) -> list[str]:
        def money(v: float | None) -> str:
            return "-" if v is None else f"${v:,.0f}"

        def pct(v: float | None, digits: int = 1) -> str:
            return "-" if v is None else f"{100 * v:.{digits}f} %"

        return [
            self.name,
            money(self.cost_per_removal),
            pct(self.load_factor),
            "-" if self.mean_wait_days is None else f"{self.mean_wait_days:.1f}",
            pct(self.gap, 2),
            f"{self.seconds:.1f}",
            f"{self.missions:,}",
            f"{self.removed:,}",
            money(self.cost),
        ]


HEADER = [
    "schedule",
    "cost/removal",
    "load factor",
    "mean wait d",
    "gap",
    "seconds",
    "missions",
    "removed",
    "total cost",
]


def _row(name: str, totals: Any, gap: float | None, seconds: float, missions: int) -> dict[str, Any]:
    """A table row (as a plain dict, to cross the process boundary) from ``Totals``."""
    return Row(
        name=name,
        cost_per_removal=totals.cost_per_removal,
        load_factor=totals.load_factor,
        mean_wait_days=totals.mean_wait_days,
        gap=gap,
        seconds=seconds,
        missions=missions,
        removed=totals.removed,
        cost=totals.cost,
    ).__dict__


def _demo_day(ctx: Any) -> date:
    """The day the demo was generated (its dates are relative to it)."""
    import sqlalchemy as sa

    from planner.persistence.models import AuditEvent

    with ctx.uow(write=False) as uow:
        changes = uow.session.execute(
            sa.select(AuditEvent.changes_json).where(AuditEvent.action == "demo.generate").limit(1)
        ).scalar_one()
    return datetime.fromisoformat(json.loads(changes)["now"]).date()


def explained(mission_id: str, notes: list[str]) -> list[str]:
    """The notes that name the mission (``M3 62% full: …``)."""
    return [n for n in notes if (m := NOTE.match(n)) and m.group(1) == mission_id]


def forced(mission_notes: list[str]) -> bool:
    """True when a note names a rule that forces the mission under 80 % full."""
    return any(NOT_FORCED not in n for n in mission_notes)


def numbering_mismatches(notes: list[str], load_factors: dict[str, float | None]) -> list[str]:
    """Notes whose ``M<n> <x>% full`` does not match the proposal's mission ``M<n>`` (the solver
    and the service numbering missions differently)."""
    wrong = []
    for note in notes:
        m = NOTE.match(note)
        if m is None:
            continue
        factor = load_factors.get(m.group(1))
        if factor is None or abs(100 * factor - int(m.group(2))) > 1:
            wrong.append(note)
    return wrong


def _measure(people: int, weeks: int, out: Any) -> None:
    """In a fresh process: propose on a copy of the cached demo database, then both baselines."""
    from planner.domain.enums import Role
    from planner.persistence.context import build_context
    from planner.services.auth import Actor
    from planner.services.scheduling.problem import load_problem
    from planner.services.scheduling.proposals import propose
    from planner.settings import Settings
    from solver.schedule.baselines import weekly_cadence
    from solver.schedule.evaluate import load_missions
    from tests.bench.bench_plan import _database

    source = _database(people, FLIGHTS_FOR.get(people, max(10, people // 125)))
    work = Path(tempfile.mkdtemp(prefix="bench-schedule-")) / "schedule.db"
    shutil.copy(source, work)  # nothing has the cached file open
    ctx = build_context(Settings(db=str(work), data_dir=work.parent))
    actor = Actor("admin", Role.ADMIN)
    start = _demo_day(ctx)
    started = time.perf_counter()
    with ctx.uow() as uow:
        proposal = propose(
            uow, actor, start=start, weeks=weeks, time_limit=TIME_LIMIT, store=True, today=start
        )
    wall = time.perf_counter() - started
    rows = [_row("proposal", proposal.totals, proposal.gap, wall, len(proposal.missions))]
    with ctx.uow(write=False) as uow:
        loaded = load_problem(uow, start=start, weeks=weeks)
    problem = loaded.problem
    baselines = (
        ("flights in the data", list(loaded.current), list(loaded.current_seats)),
        ("weekly cadence", weekly_cadence(problem), None),
    )
    for name, missions, seats in baselines:
        began = time.perf_counter()
        solution = load_missions(problem, missions, seats=seats, time_limit=TIME_LIMIT)
        rows.append(_row(name, solution.totals, solution.gap, time.perf_counter() - began, len(missions)))
    notes = list(proposal.notes)
    under = [
        {
            "id": m.id,
            "date": str(m.date),
            "aircraft": m.aircraft,
            "people": dict(m.people),
            "seats": m.seats,
            "load_factor": m.load_factor,
            "notes": explained(m.id, notes),
        }
        for m in proposal.missions
        if m.load_factor is not None and m.load_factor < FULL_ENOUGH
    ]
    mismatched = numbering_mismatches(notes, {m.id: m.load_factor for m in proposal.missions})
    ctx.close()
    out.put(
        {
            "people": people,
            "weeks": weeks,
            "start": str(start),
            "demand_people": sum(g.people for g in problem.demand),
            "status": proposal.status,
            "solver_seconds": proposal.seconds,
            "rows": rows,
            "under_80": under,
            "mismatched_notes": mismatched,
            "notes": notes,
            "load_notes": list(loaded.notes),
        }
    )


def targets(result: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """``(target, met or None when it does not apply, figure)`` for one size."""
    proposal, *baselines = (Row(**r) for r in result["rows"])
    costs = [b.cost_per_removal for b in baselines if b.cost_per_removal is not None]
    ratio = (
        proposal.cost_per_removal / min(costs)
        if costs and proposal.cost_per_removal is not None and min(costs) > 0
        else None
    )
    if ratio is not None:
        cheaper: tuple[bool | None, str] = (ratio <= RATIO_TARGET, f"ratio {ratio:.3f}")
    elif costs:  # the baselines remove people, the proposal nobody
        cheaper = (False, "the proposal removes nobody")
    else:
        cheaper = (None, "no baseline removes anybody")
    unexplained = [m["id"] for m in result["under_80"] if not forced(m["notes"])]
    return [
        (f"cost per removal <= {RATIO_TARGET:.0%} of the better baseline", *cheaper),
        (
            f"gap <= {GAP_TARGET:.0%}",
            None if proposal.gap is None else proposal.gap <= GAP_TARGET,
            "no bound" if proposal.gap is None else f"gap {100 * proposal.gap:.2f} %",
        ),
        (
            f"under {SECONDS_TARGET:.0f} s at {SECONDS_TARGET_PEOPLE:,} people",
            proposal.seconds < SECONDS_TARGET if result["people"] >= SECONDS_TARGET_PEOPLE else None,
            f"{proposal.seconds:.1f} s",
        ),
        (
            "no unexplained mission under 80 % full",
            not unexplained,
            f"{len(result['under_80'])} under 80 %, unexplained: {', '.join(unexplained) or 'none'}",
        ),
    ]


def report(result: dict[str, Any]) -> str:
    """The table, the ratio, the missions under 80 % and PASS/MISS per target, as text."""
    rows = [HEADER] + [Row(**r).cells() for r in result["rows"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = [
        f"schedule benchmark: {result['people']:,} people / {result['weeks']} weeks from {result['start']} "
        f"({result['demand_people']:,} people in the demand; proposal {result['status']}, solver "
        f"{result['solver_seconds']:.1f} s, limit {TIME_LIMIT:g} s)"
    ]
    for r in rows:
        cells = (c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        lines.append("  " + "  ".join(cells))
    under = result["under_80"]
    lines.append(f"  proposed missions under 80 % full: {len(under)}")
    for m in under:
        why = "; ".join(m["notes"]) or "NO NOTE"
        why += "" if forced(m["notes"]) else "  <- not forced by a rule"
        lines.append(
            f"    {m['id']} {m['date']} {m['aircraft']} {sum(m['people'].values())}/{m['seats']} "
            f"({100 * m['load_factor']:.0f} %) {m['people']}: {why}"
        )
    if result["mismatched_notes"]:
        lines.append(
            f"  WARNING: {len(result['mismatched_notes'])} notes do not match the mission they name "
            f"(numbering differs?): {' | '.join(result['mismatched_notes'][:5])}"
        )
    if result["notes"]:
        lines.append("  proposal notes: " + " | ".join(result["notes"][:12]))
    for target, met, figure in targets(result):
        verdict = "n/a " if met is None else ("PASS" if met else "MISS")
        lines.append(f"  {verdict}  {target}: {figure}")
    return "\n".join(lines)


def _result(process: Any, queue: Any, timeout: float = 1800.0) -> dict[str, Any]:
    """What the size's process put in ``queue``; ``RuntimeError`` when it died without a result."""
    import queue as queues

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return dict(queue.get(timeout=2.0))
        except queues.Empty:
            if not process.is_alive():
                raise RuntimeError(
                    f"the benchmark process ended (exit code {process.exitcode}) without a result"
                ) from None
    process.terminate()
    raise RuntimeError(f"no result within {timeout:g} s")


def run(sizes: tuple[tuple[int, int], ...] = SIZES) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    results = []
    for people, weeks in sizes:
        queue = context.Queue()
        process = context.Process(target=_measure, args=(people, weeks, queue))
        process.start()
        result = _result(process, queue)
        process.join()
        results.append(result)
        print(report(result), flush=True)
    return results


@pytest.mark.bench
def test_schedule_against_both_baselines_on_demo_data() -> None:
    results = run()
    for result in results:
        names = [r["name"] for r in result["rows"]]
        assert names == ["proposal", "flights in the data", "weekly cadence"]
        assert all(r["cost"] >= 0 for r in result["rows"])


if __name__ == "__main__":
    wanted = tuple(tuple(int(x) for x in arg.split("x")) for arg in sys.argv[1:]) or SIZES
    run(wanted)  # type: ignore[arg-type]
