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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

import solver
from planner.domain.eligibility.matrix import (
    DOCUMENT_TYPES,
    HOLD_INDEFINITE,
    HOLD_NONE,
    MEDICAL_NEEDS,
    NO_FLIGHT_CODE,
    NO_FLIGHT_TO_COUNTRY,
    NO_INDEX,
    REASON_CODES,
    VERIFICATION_RESULTS,
    DocumentsTable,
    EligibilityTables,
    EligiblePairs,
    PeopleTable,
    ReasonSummary,
    RulesTable,
    StopsTable,
    VerificationsTable,
    decode_reasons,
    encode,
    epoch_us,
    evaluate_with_reasons,
)
from planner.domain.eligibility.scalar import CountryRuleFacts
from planner.domain.enums import CustodyStatus, FlightStatus, MedicalNeed, Role
from planner.domain.errors import Conflict, NotFound
from planner.persistence import audit
from planner.persistence.bulk import bulk_insert
from planner.persistence.locks import PLAN_LOCK, LeaseLock
from planner.persistence.models import (
    Airport,
    Assignment,
    FacilityAirport,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    PlanExclusion,
    PlanRun,
    TravelDocument,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.current_plan import DRAFT, SUPERSEDED, current_draft_plan_id
from planner.services.manifests import workflow as manifests
from planner.services.reference import rule_facts
from planner.settings import Settings
from solver.consolidate import consolidation_advice
from solver.explain import explain_unplaced

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
ShouldStop = Callable[[], bool]

CAPACITY = "CAPACITY"
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


def _ordinal(values: Any) -> np.ndarray:
    return np.fromiter((v.toordinal() for v in values), np.int64)


def _index(values: Any) -> dict[str, int]:
    return {v: i for i, v in enumerate(values)}


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
        return (a.latitude, a.longitude) if a is not None and a.latitude is not None else None

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

    people = s.execute(
        sa.select(
            Person.id,
            Person.case_number,
            Person.custody_status,
            Person.order_status,
            Person.legal_hold_reason,
            Person.hold_until,
            Person.nationality,
            Person.facility_id,
            Person.medical_need,
            Person.family_group,
            Person.risk_level,
            Person.priority,
        )
        .where(Person.custody_status != CustodyStatus.REMOVED.value)
        .order_by(Person.id)
    ).all()
    cols = list(zip(*people, strict=True)) if people else [()] * 12
    (
        pid,
        case,
        custody,
        order,
        hold_reason,
        hold_until,
        nationality,
        facility_id,
        medical,
        family,
        risk,
        priority,
    ) = cols
    person_id = np.array(pid, np.int64)

    docs = s.execute(
        sa.select(
            TravelDocument.person_id,
            TravelDocument.doc_type,
            TravelDocument.issuing_country,
            TravelDocument.expires_on,
            TravelDocument.status,
        )
    ).all()
    vers = s.execute(
        sa.select(
            NationalityVerification.person_id,
            NationalityVerification.country,
            NationalityVerification.result,
            NationalityVerification.verified_on,
            NationalityVerification.id,
        )
    ).all()
    countries = sorted(
        set(nationality)
        | {d[2] for d in docs}
        | {v[1] for v in vers}
        | {st.country for st in stops}
        | set(rule_rows)
    )
    country_index = _index(countries)
    facility_links = s.execute(sa.select(FacilityAirport)).scalars().all()
    airport_codes = sorted(
        {st.airport for st in stops}
        | {f.departure_airport for f in flights_rows}
        | {link.airport for link in facility_links}
    )
    airport_index = _index(airport_codes)
    facility_ids = sorted({link.facility_id for link in facility_links})
    facility_index = _index(facility_ids)
    facility_hours = np.full((len(facility_ids), len(airport_codes)), np.inf)
    for link in facility_links:
        facility_hours[facility_index[link.facility_id], airport_index[link.airport]] = link.transfer_hours

    family_codes = _index(sorted({f for f in family if f}))
    hold = np.array(
        [
            HOLD_NONE
            if not (reason and reason.strip())
            else (HOLD_INDEFINITE if until is None else until.toordinal())
            for reason, until in zip(hold_reason, hold_until, strict=True)
        ],
        np.int64,
    )
    people_table = PeopleTable(
        person_id=person_id,
        in_custody=np.array([c == CustodyStatus.IN_CUSTODY.value for c in custody], bool),
        final_order=np.array([o == "FINAL" for o in order], bool),
        hold_until=hold,
        claimed_country=encode(nationality, country_index),
        facility=np.array([facility_index.get(f, NO_INDEX) for f in facility_id], np.int32),
        medical_need=encode(medical, _index(MEDICAL_NEEDS)).astype(np.int8),
        family=np.array([family_codes[f] if f else NO_INDEX for f in family], np.int32),
    )

    def rows_of(ids: Any) -> tuple[np.ndarray, np.ndarray]:
        ids = np.array(ids, np.int64)
        pos = np.searchsorted(person_id, ids)
        pos = np.minimum(pos, max(len(person_id) - 1, 0))
        known = (person_id[pos] == ids) if len(person_id) else np.zeros(len(ids), bool)
        return pos.astype(np.int32), known

    d_cols = list(zip(*docs, strict=True)) if docs else [()] * 5
    d_row, d_known = rows_of(d_cols[0])
    documents = DocumentsTable(
        person=d_row[d_known],
        doc_type=encode(d_cols[1], _index(DOCUMENT_TYPES)).astype(np.int8)[d_known],
        issuing_country=encode(d_cols[2], country_index)[d_known],
        expires_on=_ordinal(d_cols[3])[d_known],
        valid=np.array([v == "VALID" for v in d_cols[4]], bool)[d_known],
    )
    v_cols = list(zip(*vers, strict=True)) if vers else [()] * 5
    v_row, v_known = rows_of(v_cols[0])
    verifications = VerificationsTable(
        person=v_row[v_known],
        country=encode(v_cols[1], country_index)[v_known],
        result=encode(v_cols[2], _index(VERIFICATION_RESULTS)).astype(np.int8)[v_known],
        verified_on=_ordinal(v_cols[3])[v_known],
        sequence=np.array(v_cols[4], np.int64)[v_known],
    )
    stops_table = StopsTable(
        stop_id=np.array([st.stop_id for st in stops], np.int64),
        flight_id=np.array([st.flight_id for st in stops], np.int64),
        country=encode((st.country for st in stops), country_index),
        departure_airport=encode(
            (flight_by_id[st.flight_id].departure_airport for st in stops), airport_index
        ),
        departure_us=np.array([epoch_us(st.departure_utc) for st in stops], np.int64),
        medical_slots=np.array([flight_by_id[st.flight_id].medical_slots for st in stops], np.int32),
        wheelchair_slots=np.array([flight_by_id[st.flight_id].wheelchair_slots for st in stops], np.int32),
    )

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
    stop_row = {st.stop_id: i for i, st in enumerate(stops)}
    sent = [
        (p, stop_row[st])
        for st, people in manifests.sent_manifest_people(uow, flight_by_id).items()
        if st in stop_row
        for p in people
    ]
    s_rows, s_known = rows_of([p for p, _ in sent])
    tables = EligibilityTables(
        countries=tuple(countries),
        airports=tuple(airport_codes),
        people=people_table,
        documents=documents,
        verifications=verifications,
        facility_hours=facility_hours,
        stops=stops_table,
        rules=RulesTable.build(countries, rule_rows),
        sent_person=s_rows[s_known],
        sent_stop=np.array([r for _, r in sent], np.int32)[s_known],
    )
    return PlanningInput(
        now=now,
        tables=tables,
        case_number=np.array(case, object),
        priority=np.array(priority, np.int8),
        risk_level=np.array(risk, object),
        family_group=np.array([f or None for f in family], object),
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
class PlanOutcome:
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
            detail = {
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
) -> PlanOutcome:
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
    return PlanOutcome(data, problem, plan, eligible_people, exclusions, timings, advice, flagged)


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


def store_plan(uow: UnitOfWork, actor: Actor, outcome: PlanOutcome, settings_used: dict) -> PlanSummary:
    """Store ``outcome`` as the new draft plan (the previous one is SUPERSEDED), with one audit
    event for the run and one per person whose assignment changed. Caller commits."""
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
    stop_label = {st.stop_id: f"{st.flight_code}/{st.airport}" for st in data.stops}
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
    session_factory: Any,
    actor: Actor,
    settings: Settings,
    *,
    time_limit: float | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    now: datetime | None = None,
) -> PlanSummary:
    """Officer and above: solve and store a new draft plan (see the module docstring for the
    three transactions). ``session_factory`` is the application's; each step opens its own unit
    of work. Returns the stored run's summary. The whole run holds the plan lock (lease = time limit
    + ``settings.plan_lock_margin``); while another run holds it, raises ``Conflict`` naming who
    has been planning since when."""
    report = progress or (lambda _f, _m: None)
    now = now or utc_now()
    # One plan run at a time (planner.persistence.locks): a second officer is told who is planning since when.
    lease = (time_limit or settings.time_limit) + settings.plan_lock_margin
    with LeaseLock(session_factory, PLAN_LOCK, actor.username, lease_seconds=lease):
        started = time.perf_counter()
        report(0.0, "loading people, documents, verifications and flights")
        with UnitOfWork(session_factory, write=False) as uow:
            authorize(uow, actor, _OFFICER, "plan.run")
            data = load_input(uow, now=now)
        load_seconds = time.perf_counter() - started
        outcome = compute_plan(
            data, settings, time_limit=time_limit, progress=progress, should_stop=should_stop
        )
        outcome.timings = {"load": load_seconds, **outcome.timings}
        report(0.95, "storing the plan")
        t_store = time.perf_counter()
        with UnitOfWork(session_factory) as uow:
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
            uow.commit()
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
    "PlanOutcome",
    "PlanSummary",
    "PlanningInput",
    "assignments_for_export",
    "compute_plan",
    "load_input",
    "prepare_problem",
    "run_plan",
    "store_plan",
]
