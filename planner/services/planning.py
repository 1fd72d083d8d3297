"""Planning: load people, documents, verifications, flights and rules; compute eligibility with
numpy; solve with ``solver``; store the result as the new draft plan (PlanRun + Assignments +
PlanExclusions), audited.

Three transactions, so the database is never locked while the solver thinks:
1. read everything (read-only unit of work),
2. solve (no database),
3. store (write unit of work) — refused with ``Conflict`` when another plan was stored since
   step 1, so two officers never overwrite each other's plan unseen.

People with custody status REMOVED have left and take no part (not even in their family's rule);
everybody else is considered, and every person not placed gets an exclusion with a reason.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

import solver
from planner.domain import eligibility
from planner.domain.eligibility import (
    MEDICAL_NEEDS,
    NO_FLIGHT_CODE,
    NO_FLIGHT_TO_COUNTRY,
    REASON_CODES,
    CountryRuleFacts,
    EligibilityTables,
    EligiblePairs,
    ReasonSummary,
    decode_reasons,
    encode_tables,
    evaluate_with_reasons,
)
from planner.domain.enums import FlightStatus, MedicalNeed, Role
from planner.domain.errors import Conflict, NotFound
from planner.persistence import audit
from planner.persistence.bulk import bulk_insert
from planner.persistence.context import AppContext
from planner.persistence.locks import PLAN_LOCK, LeaseLock
from planner.persistence.models import (
    Airport,
    Assignment,
    Flight,
    FlightStop,
    Person,
    PlanExclusion,
    PlanRun,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.current_plan import DRAFT, SUPERSEDED, current_draft_plan_id
from planner.services.eligibility_facts import load_planning_people, stop_facts
from planner.services.manifests import workflow as manifests
from planner.services.reference import rule_facts
from planner.settings import Settings
from solver.callbacks import Progress, ShouldStop
from solver.consolidate import consolidation_advice
from solver.explain import explain_unplaced

log = logging.getLogger(__name__)


CAPACITY = "CAPACITY"
#: The words for every headline reason a plan run records: the eligibility rules' own
#: (``planner.domain.eligibility.registry``) plus the planner's.
REASON_TEXT: dict[str, str] = {
    CAPACITY: "eligible, but every compatible flight is full (seats, escorts, slots or country cap)",
    NO_FLIGHT_TO_COUNTRY: "no planned flight goes to the person's country",
    **eligibility.REASON_TEXT,
    "INELIGIBLE_AT_EVERY_STOP": "ineligible at every stop for a combination of rules (see the explanation)",
}


def reason_text(reason: str) -> str:
    """The words for headline ``reason`` (an unknown code spelled out in lower case)."""
    return REASON_TEXT.get(reason, reason.replace("_", " ").lower())


_OFFICER = Role.OFFICER
#: Cruise speed and fixed overhead used to estimate flight hours from great-circle distance.
CRUISE_KMH, BLOCK_OVERHEAD_HOURS = 800.0, 0.75


# ---------------------------------------------------------------- loaded data


@dataclass(frozen=True)
class StopInfo:
    stop_id: int
    flight_id: int
    flight_code: str
    sequence: int
    airport: str
    country: str
    departure_utc: datetime


@dataclass
class PlanningInput:
    """Everything one plan run needs, as plain data (safe to hand to another thread)."""

    now: datetime
    tables: EligibilityTables
    case_number: np.ndarray  # object[N]
    priority: np.ndarray  # int8[N]
    risk_level: np.ndarray  # object[N]
    family_group: np.ndarray  # object[N] (None = no family)
    stops: list[StopInfo]
    flights: dict[int, solver.Flight]
    rules: dict[str, CountryRuleFacts]
    draft: dict[int, int]  # person id -> stop id in the current draft plan (unfrozen)
    frozen: dict[int, int]  # person id -> stop id, frozen by an approved manifest
    draft_plan_id: int | None
    frozen_flights: set[int] = field(default_factory=set)  # newest manifest approved/signed


def flight_hours(departure: tuple[float, float] | None, stops: list[tuple[float, float] | None]) -> float:
    """Estimated block hours: great-circle legs at ``CRUISE_KMH`` plus ``BLOCK_OVERHEAD_HOURS`` per
    leg; 0 when coordinates are unknown."""
    points = [departure, *stops]
    if any(p is None for p in points):
        return 0.0
    hours = 0.0
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(points):  # type: ignore[misc]
        p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
        cos_angle = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
        km = 6371.0 * math.acos(max(-1.0, min(1.0, cos_angle)))
        hours += km / CRUISE_KMH + BLOCK_OVERHEAD_HOURS
    return round(hours, 2)


def load_input(uow: UnitOfWork, *, now: datetime) -> PlanningInput:
    """Read the planning data in a handful of bulk queries (no per-person query)."""
    s = uow.session
    airports = {a.iata: a for a in s.execute(sa.select(Airport)).scalars()}
    flights_rows = (
        s.execute(
            sa.select(Flight)
            .where(Flight.status == FlightStatus.PLANNED.value, Flight.departure_utc > now)
            .order_by(Flight.departure_utc, Flight.id)
        )
        .scalars()
        .all()
    )
    flight_by_id = {f.id: f for f in flights_rows}
    stop_rows = (
        s.execute(
            sa.select(FlightStop)
            .where(FlightStop.flight_id.in_(list(flight_by_id)) if flight_by_id else sa.false())
            .order_by(FlightStop.flight_id, FlightStop.sequence)
        )
        .scalars()
        .all()
    )
    stops = [
        StopInfo(
            st.id,
            st.flight_id,
            flight_by_id[st.flight_id].code,
            st.sequence,
            st.airport,
            airports[st.airport].country,
            flight_by_id[st.flight_id].departure_utc,
        )
        for st in stop_rows
    ]
    stops_of_flight: dict[int, list[str]] = defaultdict(list)
    for st in stops:
        stops_of_flight[st.flight_id].append(st.airport)

    def coords(code: str) -> tuple[float, float] | None:
        a = airports.get(code)
        if a is None or a.latitude is None or a.longitude is None:
            return None
        return (a.latitude, a.longitude)

    flights = {
        f.id: solver.Flight(
            id=f.id,
            seats=f.seats,
            escort_officers=f.escort_officers,
            medical_slots=f.medical_slots,
            wheelchair_slots=f.wheelchair_slots,
            departure=f.departure_utc.timestamp(),
            hours=flight_hours(coords(f.departure_airport), [coords(a) for a in stops_of_flight[f.id]]),
        )
        for f in flights_rows
    }
    rule_rows = rule_facts(uow, {st.country for st in stops})
    people = load_planning_people(uow)
    draft_plan_id = current_draft_plan_id(uow)
    draft: dict[int, int] = {}
    frozen: dict[int, int] = {}
    if draft_plan_id is not None:
        for person, stop, is_frozen in s.execute(
            sa.select(Assignment.person_id, Assignment.flight_stop_id, Assignment.frozen).where(
                Assignment.plan_run_id == draft_plan_id
            )
        ):
            (frozen if is_frozen else draft)[person] = stop
    sent = {
        (person, stop)
        for stop, on_manifest in manifests.sent_manifest_people(uow, flight_by_id).items()
        for person in on_manifest
    }
    tables = encode_tables(
        people.facts,
        [stop_facts(flight_by_id[st.flight_id], st.stop_id, st.country) for st in stops],
        rule_rows,
        sent_manifest=sent,
        airports=[f.departure_airport for f in flights_rows],
    )
    return PlanningInput(
        now=now,
        tables=tables,
        case_number=np.array(people.case_number, object),
        priority=np.array(people.priority, np.int8),
        risk_level=np.array(people.risk_level, object),
        family_group=np.array([f or None for f in people.facts.family_group], object),
        stops=stops,
        flights=flights,
        rules=rule_rows,
        draft=draft,
        frozen=frozen,
        draft_plan_id=draft_plan_id,
        frozen_flights=manifests.frozen_flight_ids(uow) & set(flight_by_id),
    )


# ---------------------------------------------------------------- problem and solve


def _open_stops(stops: np.ndarray, closed: np.ndarray) -> tuple[int, ...]:
    return tuple((stops[~np.isin(stops, closed)] if closed.size else stops).tolist())


def build_problem(
    data: PlanningInput, pairs_person: np.ndarray, pairs_stop_row: np.ndarray, escort_load: dict[str, float]
) -> solver.Problem:
    """People with an eligible stop, a draft stop or a frozen stop become solver people."""
    stop_ids = data.tables.stops.stop_id
    order = np.argsort(pairs_person, kind="stable")
    person_sorted, stop_sorted = pairs_person[order], stop_ids[pairs_stop_row[order]]
    starts = np.searchsorted(person_sorted, np.arange(len(data.tables.people) + 1))
    person_ids = data.tables.people.person_id
    medical = data.tables.people.medical_need
    medical_escort = MEDICAL_NEEDS.index(MedicalNeed.MEDICAL_ESCORT)
    wheelchair = MEDICAL_NEEDS.index(MedicalNeed.WHEELCHAIR)
    known_stops = {st.stop_id for st in data.stops}
    # Nobody new joins a flight whose manifest is approved: that needs a new revision first.
    closed_stops = np.array(
        [st.stop_id for st in data.stops if st.flight_id in data.frozen_flights], np.int64
    )
    rows = set(np.flatnonzero(np.diff(starts) > 0).tolist())
    row_of_id = {int(p): i for i, p in enumerate(person_ids.tolist())}
    rows |= {row_of_id[p] for p in (*data.draft, *data.frozen) if p in row_of_id}
    people = []
    for row in sorted(rows):
        pid = int(person_ids[row])
        frozen = data.frozen.get(pid)
        draft = data.draft.get(pid)
        people.append(
            solver.Person(
                id=pid,
                priority=int(data.priority[row]),
                escort_load=escort_load[data.risk_level[row]],
                eligible_stops=_open_stops(stop_sorted[starts[row] : starts[row + 1]], closed_stops),
                needs_medical=bool(medical[row] == medical_escort),
                needs_wheelchair=bool(medical[row] == wheelchair),
                family=data.family_group[row],
                draft_stop=draft if draft in known_stops else None,
                frozen_stop=frozen if frozen in known_stops else None,
            )
        )
    stops = tuple(
        solver.Stop(
            id=st.stop_id,
            flight=st.flight_id,
            country=st.country,
            country_cap=data.rules[st.country].max_per_flight,
        )
        for st in data.stops
    )
    return solver.Problem(people=tuple(people), flights=tuple(data.flights.values()), stops=stops)


def frozen_but_ineligible(data: PlanningInput, pairs: EligiblePairs) -> list[int]:
    """People frozen on a flight by an approved manifest who no longer pass the rules there. The
    planner keeps them where they are (only a new manifest revision may take them off) and flags
    them to the officer."""
    row_of = {int(p): i for i, p in enumerate(data.tables.people.person_id.tolist())}
    stop_row = {st.stop_id: i for i, st in enumerate(data.stops)}
    flagged = []
    for person, stop in sorted(data.frozen.items()):
        row, srow = row_of.get(person), stop_row.get(stop)
        if row is None or srow is None:
            flagged.append(person)
            continue
        people = pairs.for_stop(srow)
        at = int(np.searchsorted(people, row))
        if at >= len(people) or people[at] != row:
            flagged.append(person)
    return flagged


def _prepare(
    data: PlanningInput, settings: Settings, timings: dict[str, float] | None = None
) -> tuple[solver.Problem, int, ReasonSummary, list[int]]:
    t0 = time.perf_counter()
    pairs, reasons = evaluate_with_reasons(data.tables, now=data.now)
    t1 = time.perf_counter()
    problem = build_problem(data, pairs.person, pairs.stop, settings.escort_load())
    eligible_people = len(np.unique(pairs.person))
    if timings is not None:
        timings["eligibility"] = t1 - t0
        timings["build"] = time.perf_counter() - t1
    return problem, eligible_people, reasons, frozen_but_ineligible(data, pairs)


def prepare_problem(
    data: PlanningInput, settings: Settings, timings: dict[str, float] | None = None
) -> tuple[solver.Problem, int]:
    """Eligibility (vectorised) and the solver problem for ``data``: ``(problem, people eligible for
    at least one stop)``. Fills ``timings["eligibility"]`` and ``timings["build"]`` when given."""
    problem, eligible_people, _reasons, _flagged = _prepare(data, settings, timings)
    return problem, eligible_people


@dataclass
class ComputedPlan:
    """What a plan run produced, before it is stored (plain data)."""

    data: PlanningInput
    problem: solver.Problem
    plan: solver.Plan
    eligible_people: int
    exclusions: dict[int, tuple[str, dict]]  # person id -> (reason, detail)
    timings: dict[str, float] = field(default_factory=dict)
    advice: Any = None
    frozen_ineligible: list[int] = field(default_factory=list)


def _exclusions(
    data: PlanningInput, problem: solver.Problem, plan: solver.Plan, reasons: ReasonSummary
) -> dict[int, tuple[str, dict]]:
    """A reason for everybody not placed: CAPACITY (with the binding resources per stop) for the
    eligible; otherwise the headline rule (the first that fails at every stop to the person's
    countries, else at some), with the rules failing at every / some stop as detail."""
    in_problem = {p.id: p for p in problem.people}
    blocks = explain_unplaced(problem, plan)
    stop_code = {st.stop_id: f"{st.flight_code}/{st.airport}" for st in data.stops}
    headline = reasons.headline_codes()
    binding_names = functools.cache(lambda binding: [r.value for r in binding])
    out: dict[int, tuple[str, dict]] = {}
    for row, pid in enumerate(data.tables.people.person_id.tolist()):
        if pid in plan.assignment:
            continue
        person = in_problem.get(pid)
        if person is not None and person.eligible_stops:
            detail: dict[str, Any] = {
                "stops": [
                    {"stop": stop_code.get(b.stop, str(b.stop)), "binding": binding_names(b.binding)}
                    for b in blocks.get(pid, ())
                ]
            }
            out[pid] = (CAPACITY, detail)
            continue
        code = int(headline[row])
        if code == NO_FLIGHT_CODE:
            out[pid] = (NO_FLIGHT_TO_COUNTRY, {})
            continue
        reason = REASON_CODES[code].value if code >= 0 else "FROZEN_ELSEWHERE"
        detail = {
            "every_stop": [r.value for r in decode_reasons(int(reasons.all_mask[row]))],
            "some_stops": [r.value for r in decode_reasons(int(reasons.any_mask[row]))],
            "candidate_stops": int(reasons.candidate_stops[row]),
        }
        out[pid] = (reason, detail)
    return out


def compute_plan(
    data: PlanningInput,
    settings: Settings,
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    with_advice: bool = False,
) -> ComputedPlan:
    """Eligibility + solve + explanations, all in memory (no database). Progress 0.05 → 0.95."""
    report = progress or (lambda _f, _m: None)
    timings: dict[str, float] = {}
    report(0.05, "checking eligibility")
    problem, eligible_people, reasons, flagged = _prepare(data, settings, timings)
    report(0.15, f"{eligible_people:,} people eligible; solving")

    def solver_progress(fraction: float, message: str) -> None:
        report(0.15 + 0.75 * min(max(fraction, 0.0), 1.0), message)

    t1 = time.perf_counter()
    plan = solver.solve(
        problem,
        solver.SolveOptions(time_limit=time_limit or settings.time_limit, seed=settings.seed),
        progress=solver_progress,
        should_stop=should_stop,
    )
    timings["solve"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    exclusions = _exclusions(data, problem, plan, reasons)
    timings["explain"] = time.perf_counter() - t2
    advice = None
    if with_advice and not plan.stopped:
        report(0.92, "looking for flights that could be cancelled")
        advice = consolidation_advice(problem, plan, settings.cost_per_flight_hour, time_limit=10.0)
    return ComputedPlan(data, problem, plan, eligible_people, exclusions, timings, advice, flagged)


# ---------------------------------------------------------------- store


@dataclass(frozen=True)
class PlanSummary:
    plan_run_id: int
    status: str
    people_considered: int
    eligible: int
    placed: int
    not_placed_by_reason: dict[str, int]
    objective: int
    bound: int
    gap: float
    moves: int
    added: int
    dropped: int
    seconds: float
    stopped: bool
    timings: dict[str, float]
    messages: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def text(self) -> str:
        lines = [
            f"plan {self.plan_run_id} ({self.status}{', stopped early' if self.stopped else ''}): "
            f"{self.placed:,} placed of {self.eligible:,} eligible ({self.people_considered:,} people considered)",
            f"objective {self.objective:,} (priority-weighted), bound {self.bound:,}, gap {100 * self.gap:.3f} %",
            f"changes from the previous draft: {self.moves:,} moved, {self.added:,} added, {self.dropped:,} dropped",
            "not placed: "
            + (
                ", ".join(
                    f"{r} {n:,}" for r, n in sorted(self.not_placed_by_reason.items(), key=lambda kv: -kv[1])
                )
                or "nobody"
            ),
            f"{self.seconds:.2f} s (" + ", ".join(f"{k} {v:.2f}" for k, v in self.timings.items()) + ")",
        ]
        lines += [f"warning: {m}" for m in self.messages]
        return "\n".join(lines)


def store_plan(uow: UnitOfWork, actor: Actor, outcome: ComputedPlan, settings_used: dict) -> PlanSummary:
    """Store ``outcome`` as the new draft plan (the previous one is SUPERSEDED), with one audit
    event for the run and one per person whose assignment changed; commits."""
    authorize(uow, actor, _OFFICER, "plan.store")
    s = uow.session
    data, plan = outcome.data, outcome.plan
    current = current_draft_plan_id(uow)
    if current != data.draft_plan_id:
        raise Conflict("another plan was stored while this one was computed; run the plan again")
    if current is not None:
        s.execute(sa.update(PlanRun).where(PlanRun.id == current).values(status=SUPERSEDED))
    reasons = Counter(reason for reason, _ in outcome.exclusions.values())
    counts = {
        "people_considered": len(data.tables.people),
        "eligible": outcome.eligible_people,
        "placed": plan.placed,
        "not_placed_by_reason": dict(reasons),
    }
    run = PlanRun(
        created_by=actor.username,
        started_at=data.now,
        finished_at=utc_now(),
        settings_json=audit.canonical_json(settings_used),
        status=DRAFT,
        objective=float(plan.objective),
        bound=float(plan.bound),
        gap=plan.gap,
        solve_seconds=plan.seconds,
        counts_json=audit.canonical_json(counts),
    )
    s.add(run)
    s.flush()
    previous = {**data.draft, **data.frozen}
    if plan.assignment:
        bulk_insert(
            s,
            Assignment.__table__,
            [
                {"plan_run_id": run.id, "person_id": pid, "flight_stop_id": sid, "frozen": pid in data.frozen}
                for pid, sid in plan.assignment.items()
            ],
        )
    if outcome.exclusions:
        bulk_insert(
            s,
            PlanExclusion.__table__,
            [
                {
                    "plan_run_id": run.id,
                    "person_id": pid,
                    "reason": reason,
                    "detail_json": json.dumps(detail, separators=(",", ":")) if detail else "{}",
                }
                for pid, (reason, detail) in outcome.exclusions.items()
            ],
        )
    s.flush()
    manifests.check_frozen_flights(uow, actor, plan_run_id=run.id)
    stop_label: dict[int | None, str] = {st.stop_id: f"{st.flight_code}/{st.airport}" for st in data.stops}
    row_of = {int(p): i for i, p in enumerate(data.tables.people.person_id.tolist())}
    entries = [
        audit.AuditEntry(
            actor.username,
            "plan.run",
            "plan_run",
            str(run.id),
            {
                **counts,
                "objective": plan.objective,
                "bound": plan.bound,
                "gap": plan.gap,
                "status": plan.status.value,
                "superseded": current,
            },
        )
    ]
    moved = added = dropped = 0
    for pid in sorted(set(previous) | set(plan.assignment)):
        before, after = previous.get(pid), plan.assignment.get(pid)
        if before == after:
            continue
        if before is None:
            added += 1
        elif after is None:
            dropped += 1
        else:
            moved += 1
        change: dict[str, Any] = {"stop": [stop_label.get(before), stop_label.get(after)]}
        if after is None:
            change["reason"] = outcome.exclusions.get(pid, ("?", {}))[0]
        entries.append(audit.AuditEntry(actor.username, "assignment.change", "person", str(pid), change))
    audit.record_many(uow, entries)
    uow.commit()
    return PlanSummary(
        plan_run_id=run.id,
        status=plan.status.value,
        people_considered=len(data.tables.people),
        eligible=outcome.eligible_people,
        placed=plan.placed,
        not_placed_by_reason=dict(reasons),
        objective=plan.objective,
        bound=plan.bound,
        gap=plan.gap,
        moves=moved,
        added=added,
        dropped=dropped,
        seconds=plan.seconds,
        stopped=plan.stopped,
        timings=outcome.timings,
        messages=list(plan.messages)
        + [
            f"{data.case_number[row_of[pid]]} stays on an approved manifest but is no longer eligible there: "
            "review it (explain) and remove them with a new manifest revision"
            for pid in outcome.frozen_ineligible
            if pid in row_of
        ],
    )


def run_plan(
    ctx: AppContext,
    actor: Actor,
    settings: Settings,
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    now: datetime | None = None,
) -> PlanSummary:
    """Officer and above: solve and store a new draft plan (see the module docstring for the
    three transactions, each a unit of work of ``ctx``; ``settings`` are the solver's, usually
    ``ctx.settings``). Returns the stored run's summary. The whole run holds the plan lock
    (lease = time limit + ``settings.plan_lock_margin``); while another run holds it, raises
    ``Conflict`` naming who has been planning since when."""
    report = progress or (lambda _f, _m: None)
    now = now or utc_now()
    # One plan run at a time (planner.persistence.locks): a second officer is told who is planning since when.
    lease = (time_limit or settings.time_limit) + settings.plan_lock_margin
    with LeaseLock(ctx.session_factory, PLAN_LOCK, actor.username, lease_seconds=lease):
        started = time.perf_counter()
        report(0.0, "loading people, documents, verifications and flights")
        with ctx.uow(write=False) as uow:
            authorize(uow, actor, _OFFICER, "plan.run")
            data = load_input(uow, now=now)
        load_seconds = time.perf_counter() - started
        outcome = compute_plan(
            data, settings, time_limit=time_limit, progress=progress, should_stop=should_stop
        )
        outcome.timings = {"load": load_seconds, **outcome.timings}
        report(0.95, "storing the plan")
        t_store = time.perf_counter()
        with ctx.uow() as uow:
            summary = store_plan(
                uow,
                actor,
                outcome,
                {
                    "time_limit": time_limit or settings.time_limit,
                    "seed": settings.seed,
                    "escort_load": settings.escort_load(),
                    "now": now.isoformat(),
                },
            )
        summary.timings["store"] = time.perf_counter() - t_store
        summary.timings["total"] = time.perf_counter() - started
        report(1.0, "plan stored")
        return summary


def assignments_for_export(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The current draft plan as rows ``case_number, flight_id, stop_airport, departure_utc``."""
    authorize(uow, actor, _OFFICER, "plan.export")
    plan_id = current_draft_plan_id(uow)
    if plan_id is None:
        raise NotFound("there is no plan yet: run 'plan' first")
    rows = uow.session.execute(
        sa.select(Person.case_number, Flight.code, FlightStop.airport, Flight.departure_utc)
        .join(Assignment, Assignment.person_id == Person.id)
        .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
        .join(Flight, Flight.id == FlightStop.flight_id)
        .where(Assignment.plan_run_id == plan_id)
        .order_by(Flight.departure_utc, Flight.code, FlightStop.sequence, Person.case_number)
    ).all()
    return [
        {
            "case_number": c,
            "flight_id": f,
            "stop_airport": a,
            "departure_utc": d.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
        for c, f, a, d in rows
    ]


__all__ = [
    "CAPACITY",
    "NO_FLIGHT_TO_COUNTRY",
    "REASON_TEXT",
    "ComputedPlan",
    "PlanSummary",
    "PlanningInput",
    "assignments_for_export",
    "compute_plan",
    "load_input",
    "prepare_problem",
    "reason_text",
    "run_plan",
    "store_plan",
]
