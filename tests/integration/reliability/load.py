"""A bounded load run: several processes edit flights, edit people, import rosters and plan at once.

Used by ``test_load.py`` (a few seconds, in CI, on both backends) and by
``tests/bench/bench_load.py`` (a longer soak). Every failure a worker meets must be a clean
``Conflict``; ``check`` then proves from the stored counters that no change was lost:

- flight edits: each successful save bumps that flight's version by one and writes one
  ``flight.update`` event;
- person edits and roster imports: each successful person edit and each person a successful
  import updated bumps that person's version by one and writes one ``person.update`` event;
  each successful import writes one ``import.roster`` event;
- plans: one ``plan_run`` row and one ``plan.run`` event per successful plan; one DRAFT plan;
- the audit chain verifies.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from planner.demo import generate as demo
from planner.domain.errors import Conflict
from planner.persistence import audit
from planner.persistence.context import AppContext, build_context
from planner.persistence.models import AuditEvent, Flight, FlightStop, Person, PlanRun
from planner.services import flights, people, planning, routes
from planner.services.imports import import_file
from planner.settings import Settings
from tests.conftest import admin_actor
from tests.integration.imports import synth

ROSTER_ROWS = 2_000
RISKS = ("LOW", "MEDIUM", "HIGH")


@dataclass(frozen=True)
class Workers:
    flight_editors: int = 2
    person_editors: int = 2
    importers: int = 1
    planners: int = 2

    def roles(self) -> list[str]:
        return (
            ["flight"] * self.flight_editors
            + ["person"] * self.person_editors
            + ["import"] * self.importers
            + ["plan"] * self.planners
        )


@dataclass
class LoadReport:
    seconds: float
    wall: float
    totals: dict[str, Counter[str]]
    errors: list[str]
    base: dict[str, Any]
    final: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        lines = [f"load for {self.seconds:.0f} s (wall {self.wall:.1f} s, including start-up):"]
        for role, counts in self.totals.items():
            lines.append(f"  {role:6}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        return "\n".join(lines)


def prepare(ctx: AppContext) -> None:
    """Demo flights and people plus a 2,000-person synthetic roster (the people that collide)."""
    admin = admin_actor()
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=3_000, flights=30, seed=2)
    with ctx.uow() as uow:
        import_file(uow, admin, "facilities", synth.facilities_csv().encode(), name="f.csv")
        roster = synth.to_csv(synth.ROSTER_HEADER, synth.roster_rows(ROSTER_ROWS, seed=1))
        import_file(uow, admin, "roster", roster.encode(), name="r.csv")


def _flight_input(ctx: AppContext, code: str) -> tuple[flights.FlightInput, int]:
    with ctx.uow(write=False) as uow:
        f = uow.session.execute(sa.select(Flight).where(Flight.code == code)).scalar_one()
        stops = uow.session.execute(
            sa.select(FlightStop.airport).where(FlightStop.flight_id == f.id).order_by(FlightStop.sequence)
        ).scalars()
        data = flights.FlightInput(
            code=f.code,
            carrier=f.carrier,
            aircraft=f.aircraft,
            departure_airport=f.departure_airport,
            departure_utc=f.departure_utc,
            stops=tuple(stops),
            seats=f.seats,
            escort_officers=f.escort_officers,
            medical_slots=f.medical_slots,
            wheelchair_slots=f.wheelchair_slots,
            pickups=routes.pickups_text(
                routes.route_of(uow, f.id).pickups
            ),  # the editor sends the whole route
        )
        return data, f.version


def _edit_flight(ctx: AppContext, rng: random.Random, codes: list[str]) -> None:
    data, version = _flight_input(ctx, rng.choice(codes))
    time.sleep(rng.uniform(0, 0.02))  # an officer looks at the form
    seats = data.seats + (1 if data.seats < 300 else -1)
    with ctx.uow() as uow:
        flights.save_flight(uow, admin_actor(), replace(data, seats=seats), expected_version=version)


def _edit_person(ctx: AppContext, rng: random.Random, cases: list[str]) -> None:
    case = rng.choice(cases)
    with ctx.uow(write=False) as uow:
        risk, version = uow.session.execute(
            sa.select(Person.risk_level, Person.version).where(Person.case_number == case)
        ).one()
    time.sleep(rng.uniform(0, 0.02))
    new_risk = rng.choice([r for r in RISKS if r != risk])  # always a real change
    with ctx.uow() as uow:
        people.update_person(uow, admin_actor(), case, {"risk_level": new_risk}, expected_version=version)


def _import_roster(ctx: AppContext, iteration: int, counts: Counter[str]) -> bool:
    """True when the import changed something (an import that changes nothing records nothing)."""
    rows = synth.roster_rows(ROSTER_ROWS, seed=1)
    for r in rows:
        r["priority"] = str(1 + (int(r["priority"]) + iteration) % 5)
    with ctx.uow() as uow:
        report = import_file(uow, admin_actor(), "roster", synth.to_csv(synth.ROSTER_HEADER, rows).encode())
    counts["rows_updated"] += report.updated
    return report.updated > 0


def _worker(role: str, index: int, settings: Settings, seconds: float, codes: list[str], out: Any) -> None:
    ctx = build_context(settings)
    cases = [r["case_number"] for r in synth.roster_rows(ROSTER_ROWS, seed=1)][:200]
    rng = random.Random(index)
    counts: Counter[str] = Counter()
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    iteration = 0
    while time.monotonic() < deadline:
        iteration += 1
        try:
            if role == "flight":
                _edit_flight(ctx, rng, codes)
            elif role == "person":
                _edit_person(ctx, rng, cases)
            elif role == "import":
                if not _import_roster(ctx, iteration, counts):
                    counts["unchanged"] += 1
                    continue
            else:
                planning.run_plan(ctx, admin_actor(), settings, time_limit=2.0)
            counts["ok"] += 1
        except Conflict as exc:
            counts["conflict"] += 1
            counts[f"conflict: {str(exc)[:30]}…"] += 1
            if role == "plan":
                time.sleep(0.2)  # the officer is told who is planning and tries again later
        except Exception as exc:
            errors.append(f"{role}: {type(exc).__name__}: {exc}"[:400])
    ctx.close()
    out.put((role, index, dict(counts), errors))


def _state(ctx: AppContext) -> dict[str, Any]:
    with ctx.uow(write=False) as uow:
        s = uow.session
        return {
            "flight_versions": dict(s.execute(sa.select(Flight.code, Flight.version)).all()),
            "person_versions": s.execute(sa.select(sa.func.sum(Person.version - 1))).scalar_one(),
            "events": Counter(s.execute(sa.select(AuditEvent.action)).scalars()),
            "plan_runs": s.execute(sa.select(sa.func.count()).select_from(PlanRun)).scalar_one(),
            "drafts": s.execute(sa.select(sa.func.count()).where(PlanRun.status == "DRAFT")).scalar_one(),
        }


def run_load(ctx: AppContext, seconds: float, workers: Workers = Workers()) -> LoadReport:
    """Run ``workers`` as separate processes against ``ctx``'s database for ``seconds``
    (``prepare`` it first); returns what they did and the stored counters before and after."""
    with ctx.uow(write=False) as uow:
        codes = list(uow.session.execute(sa.select(Flight.code).where(Flight.status == "PLANNED")).scalars())
    base = _state(ctx)
    mp = multiprocessing.get_context("spawn")
    queue = mp.Queue()
    procs = [
        mp.Process(target=_worker, args=(role, i, ctx.settings, seconds, codes[:6], queue))
        for i, role in enumerate(workers.roles())
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join(60)
    totals: dict[str, Counter[str]] = {role: Counter() for role in ("flight", "person", "import", "plan")}
    errors: list[str] = []
    for role, _i, counts, worker_errors in results:
        totals[role].update(counts)
        errors += worker_errors
    report = LoadReport(seconds, time.perf_counter() - started, totals, errors, base)
    report.final = _state(ctx)
    with ctx.uow(write=False) as uow:
        report.final["chain"] = audit.verify_chain(uow)
    return report


def check(report: LoadReport) -> None:
    """Assert that every failure was a clean conflict and that the counters add up."""
    assert report.errors == [], report.errors[:5]
    base, final, totals = report.base, report.final, report.totals

    def new_events(action: str) -> int:
        return final["events"][action] - base["events"][action]

    flight_edits = sum(v - base["flight_versions"].get(c, 1) for c, v in final["flight_versions"].items())
    assert flight_edits == totals["flight"]["ok"] == new_events("flight.update")
    person_changes = totals["person"]["ok"] + totals["import"]["rows_updated"]
    assert final["person_versions"] - base["person_versions"] == person_changes == new_events("person.update")
    assert new_events("import.roster") == totals["import"]["ok"]
    plans = final["plan_runs"] - base["plan_runs"]
    assert plans == totals["plan"]["ok"] == new_events("plan.run")
    assert final["drafts"] == (1 if final["plan_runs"] else 0)
    assert final["chain"].ok, final["chain"].message
