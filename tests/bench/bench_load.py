"""Load test on PostgreSQL: several processes edit flights, import rosters and plan at once for a
bounded time (``CHARTER_LOAD_SECONDS``, default 30, at most 60). Every failure must be a clean
``Conflict``; the final counters prove no change was lost:

- flight edits: each successful save bumps the flight's version by one, so the sum of
  (version - 1) equals the successful edits, and each has one ``flight.update`` audit event;
- imports: each successful roster import changes every person's priority, so the person versions
  add up to the rows updated, and each import has one ``import.roster`` event;
- plans: one ``plan_run`` row and one ``plan.run`` event per successful plan; one DRAFT plan;
- the audit chain verifies.

Run with ``pytest -m bench -s tests/bench/bench_load.py``.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from planner.context import AppContext, build_context
from planner.errors import Conflict
from planner.imports import import_file
from planner.models import AuditEvent, Flight, FlightStop, Person, PlanRun
from planner.services import audit, demo, flights, planning
from planner.settings import Settings
from tests.conftest import admin_actor
from tests.integration.imports import synth

SECONDS = min(60.0, float(os.environ.get("CHARTER_LOAD_SECONDS", "30")))
EDITORS, IMPORTERS, PLANNERS = 3, 1, 2
ROSTER_ROWS = 2_000


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
        )
        return data, f.version


def _worker(role: str, index: int, settings: Settings, codes: list[str], out: Any) -> None:
    ctx = build_context(settings)
    actor = admin_actor()
    rng = random.Random(index)
    counts: Counter[str] = Counter()
    errors: list[str] = []
    deadline = time.monotonic() + SECONDS
    iteration = 0
    while time.monotonic() < deadline:
        iteration += 1
        try:
            if role == "edit":
                code = rng.choice(codes)
                data, version = _flight_input(ctx, code)
                time.sleep(rng.uniform(0, 0.02))  # an officer looks at the form
                seats = data.seats + (1 if data.seats < 300 else -1)
                with ctx.uow() as uow:
                    flights.save_flight(uow, actor, replace(data, seats=seats), expected_version=version)
                counts["ok"] += 1
            elif role == "import":
                rows = synth.roster_rows(ROSTER_ROWS, seed=1)
                for r in rows:
                    r["priority"] = str(1 + (int(r["priority"]) + iteration) % 5)
                text = synth.to_csv(synth.ROSTER_HEADER, rows)
                with ctx.uow() as uow:
                    report = import_file(uow, actor, "roster", text.encode(), name="roster.csv")
                    uow.commit()
                counts["ok"] += 1
                counts["rows_updated"] += report.updated
            else:
                planning.run_plan(ctx.session_factory, actor, settings, time_limit=2.0)
                counts["ok"] += 1
        except Conflict as exc:
            counts["conflict"] += 1
            counts[f"conflict: {str(exc)[:25]}…"] += 1
            if role == "plan":
                time.sleep(0.2)  # the officer is told who is planning and tries again later
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
    ctx.close()
    out.put((role, index, dict(counts), errors))


@pytest.mark.bench
@pytest.mark.postgres
def test_load_editing_importing_planning(pg_ctx: AppContext) -> None:
    admin = admin_actor()
    with pg_ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=3_000, flights=30, seed=2)
        uow.commit()
    with pg_ctx.uow() as uow:
        import_file(uow, admin, "facilities", synth.facilities_csv().encode(), name="f.csv")
        import_file(
            uow,
            admin,
            "roster",
            synth.to_csv(synth.ROSTER_HEADER, synth.roster_rows(ROSTER_ROWS, seed=1)).encode(),
            name="r.csv",
        )
        uow.commit()
    with pg_ctx.uow(write=False) as uow:
        codes = list(uow.session.execute(sa.select(Flight.code).where(Flight.status == "PLANNED")).scalars())
        base_versions = dict(uow.session.execute(sa.select(Flight.code, Flight.version)).all())
        base_person_versions = uow.session.execute(sa.select(sa.func.sum(Person.version - 1))).scalar_one()
        base_events = Counter(uow.session.execute(sa.select(AuditEvent.action)).scalars())
    codes = codes[:6]  # few flights: plenty of collisions
    mp = multiprocessing.get_context("spawn")
    queue = mp.Queue()
    roles = ["edit"] * EDITORS + ["import"] * IMPORTERS + ["plan"] * PLANNERS
    procs = [
        mp.Process(target=_worker, args=(role, i, pg_ctx.settings, codes, queue))
        for i, role in enumerate(roles)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=SECONDS + 300) for _ in procs]
    for p in procs:
        p.join(60)
    wall = time.perf_counter() - started
    totals: dict[str, Counter[str]] = {"edit": Counter(), "import": Counter(), "plan": Counter()}
    all_errors = []
    for role, _i, counts, errors in results:
        totals[role].update(counts)
        all_errors += errors
    print(f"\nload test: {len(procs)} processes for {SECONDS:.0f} s (wall {wall:.1f} s)")
    for role, counts in totals.items():
        print(f"  {role:6}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    assert all_errors == [], all_errors[:5]

    with pg_ctx.uow(write=False) as uow:
        s = uow.session
        versions = dict(s.execute(sa.select(Flight.code, Flight.version)).all())
        events = Counter(s.execute(sa.select(AuditEvent.action)).scalars())
        person_versions = s.execute(sa.select(sa.func.sum(Person.version - 1))).scalar_one()
        plan_runs = s.execute(sa.select(sa.func.count()).select_from(PlanRun)).scalar_one()
        drafts = s.execute(sa.select(sa.func.count()).where(PlanRun.status == "DRAFT")).scalar_one()
        chain = audit.verify_chain(uow)
    edits = sum(versions[c] - base_versions[c] for c in versions)
    assert edits == totals["edit"]["ok"] == events["flight.update"] - base_events["flight.update"]
    assert person_versions - base_person_versions == totals["import"]["rows_updated"]
    assert events["import.roster"] - base_events["import.roster"] == totals["import"]["ok"]
    assert plan_runs == totals["plan"]["ok"] == events["plan.run"] - base_events["plan.run"]
    assert drafts == (1 if plan_runs else 0)
    assert chain.ok, chain.message
    print(
        f"  final: {edits} flight edits, {totals['import']['rows_updated']} person updates by "
        f"{totals['import']['ok']} imports, {plan_runs} plans; audit chain {chain.events_checked} events intact"
    )
