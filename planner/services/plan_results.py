"""Reading stored plan runs for review: history, per-flight loads, the people not placed and why,
the changes from the previous run, and consolidation advice (flights that could be cancelled).

Officer and above. Every function returns plain dataclasses (safe to hand to another thread);
none writes except the audit event of a refused ``authorize``.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from planner.domain.enums import FlightStatus, Role
from planner.domain.errors import NotFound
from planner.domain.reasons import reason_label, resource_words, short_label
from planner.domain.wording import join_words, plural
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Flight,
    FlightStop,
    Person,
    PlanExclusion,
    PlanRun,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings, planning
from planner.services.auth import Actor, authorize
from planner.settings import Settings
from solver.callbacks import Progress
from solver.consolidate import consolidation_advice

#: Rows fetched per batch from big results. SQLAlchemy builds a whole ``.all()`` in compiled code
#: that holds the GIL throughout (about 0.2 s for 60,000 rows), which stalls the window's thread;
#: in batches the interpreter can switch threads between them.
FETCH_BATCH = 1000

#: A plain-language line per headline reason (the one table, ``planner.domain.reasons``).
REASON_TEXT = planning.REASON_TEXT
reason_text = planning.reason_text
#: Escort load below a whole officer that is rounding noise, not another officer.
_ESCORT_EPSILON = 1e-6


# ---------------------------------------------------------------- history


@dataclass(frozen=True)
class PlanRunRow:
    id: int
    started_at: datetime
    finished_at: datetime | None
    created_by: str
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float | None
    placed: int
    eligible: int
    people_considered: int
    not_placed_by_reason: dict[str, int] = field(default_factory=dict)
    time_limit: float | None = None
    #: The office's safety settings the run used, as one line (see ``office_settings.recorded_summary``).
    safety_settings: str = ""

    @property
    def not_placed(self) -> int:
        return sum(self.not_placed_by_reason.values())


def _row(run: PlanRun) -> PlanRunRow:
    counts = json.loads(run.counts_json or "{}")
    used = json.loads(run.settings_json or "{}")
    return PlanRunRow(
        id=run.id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        created_by=run.created_by,
        status=run.status,
        objective=run.objective,
        bound=run.bound,
        gap=run.gap,
        seconds=run.solve_seconds,
        placed=int(counts.get("placed", 0)),
        eligible=int(counts.get("eligible", 0)),
        people_considered=int(counts.get("people_considered", 0)),
        not_placed_by_reason={k: int(v) for k, v in counts.get("not_placed_by_reason", {}).items()},
        time_limit=used.get("time_limit"),
        safety_settings=office_settings.recorded_summary(used),
    )


def plan_runs(uow: UnitOfWork, actor: Actor, *, limit: int = 200) -> list[PlanRunRow]:
    """The most recent plan runs, newest first."""
    authorize(uow, actor, Role.OFFICER, "plan.history")
    runs = uow.session.execute(sa.select(PlanRun).order_by(PlanRun.id.desc()).limit(limit)).scalars()
    return [_row(r) for r in runs]


def plan_run(uow: UnitOfWork, actor: Actor, plan_run_id: int) -> PlanRunRow:
    """One plan run; ``NotFound`` when there is none with that id."""
    authorize(uow, actor, Role.OFFICER, "plan.history")
    return _row(_get_run(uow, plan_run_id))


def _get_run(uow: UnitOfWork, plan_run_id: int) -> PlanRun:
    run = uow.session.get(PlanRun, plan_run_id)
    if run is None:
        raise NotFound(f"there is no plan run {plan_run_id}")
    return run


# ---------------------------------------------------------------- per-flight loads


@dataclass(frozen=True)
class FlightLoad:
    flight_id: int
    code: str
    departure_utc: datetime
    stops: str
    status: str
    seats: int
    placed: int
    load_factor: float  # placed / seats (0 for a flight without seats)
    #: Escort load of the people placed: the officers each needs by risk level (e.g. 1.5 for
    #: MEDIUM), summed; a fraction when half-officer loads add up to an odd number of halves.
    escorts_used: float
    escorts_available: int
    medical_used: int
    medical_available: int
    wheelchair_used: int
    wheelchair_available: int

    @property
    def escorts_needed(self) -> int:
        """Escort officers the placed people need: whole people, so the load rounded up."""
        return math.ceil(self.escorts_used - _ESCORT_EPSILON) if self.escorts_used > 0 else 0

    @property
    def escort_text(self) -> str:
        """``"29 of 30 (load 28.5)"``: officers needed of those on board, with the exact load
        when it is a fraction."""
        load = "" if self.escorts_used == self.escorts_needed else f" (load {self.escorts_used:g})"
        return f"{self.escorts_needed:,} of {self.escorts_available:,}{load}"


def flight_loads(uow: UnitOfWork, actor: Actor, plan_run_id: int) -> list[FlightLoad]:
    """Per flight the run could use (planned and departing after the run started, or carrying
    somebody in it): seats, people placed, load factor and the escort / medical / wheelchair use.
    Escort use applies the escort load per risk level the run was made with."""
    authorize(uow, actor, Role.OFFICER, "plan.view")
    s = uow.session
    run = _get_run(uow, plan_run_id)
    escort_load = (
        json.loads(run.settings_json or "{}").get("escort_load") or office_settings.load(uow).escort_load()
    )
    placed_rows = s.execute(
        sa.select(FlightStop.flight_id, Person.risk_level, Person.medical_need, sa.func.count())
        .join(Assignment, Assignment.flight_stop_id == FlightStop.id)
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.plan_run_id == plan_run_id)
        .group_by(FlightStop.flight_id, Person.risk_level, Person.medical_need)
    ).all()
    placed: Counter[int] = Counter()
    escorts: defaultdict[int, float] = defaultdict(float)
    medical: Counter[int] = Counter()
    wheelchair: Counter[int] = Counter()
    for flight_id, risk, need, n in placed_rows:
        placed[flight_id] += n
        escorts[flight_id] += n * float(escort_load.get(risk, 1.0))
        if need == "MEDICAL_ESCORT":
            medical[flight_id] += n
        elif need == "WHEELCHAIR":
            wheelchair[flight_id] += n
    # Plain columns in batches, not ORM objects in one ``.all()``: building hundreds of mapped
    # instances holds the interpreter lock in long stretches, and the window's thread waits.
    result = s.connection().execute(
        sa.select(
            Flight.id,
            Flight.code,
            Flight.departure_utc,
            Flight.status,
            Flight.seats,
            Flight.escort_officers,
            Flight.medical_slots,
            Flight.wheelchair_slots,
        )
        .where(
            sa.or_(
                sa.and_(Flight.status == FlightStatus.PLANNED.value, Flight.departure_utc > run.started_at),
                Flight.id.in_(list(placed)) if placed else sa.false(),
            )
        )
        .order_by(Flight.departure_utc, Flight.code)
        .execution_options(yield_per=FETCH_BATCH)
    )
    flights = [row for part in result.partitions(FETCH_BATCH) for row in part]
    stops: defaultdict[int, list[str]] = defaultdict(list)
    for flight_id, airport in s.execute(
        sa.select(FlightStop.flight_id, FlightStop.airport)
        .where(FlightStop.flight_id.in_([f.id for f in flights]))
        .order_by(FlightStop.flight_id, FlightStop.sequence)
    ):
        stops[flight_id].append(airport)
    return [
        FlightLoad(
            flight_id=f.id,
            code=f.code,
            departure_utc=f.departure_utc,
            stops=" → ".join(stops[f.id]),
            status=f.status,
            seats=f.seats,
            placed=placed[f.id],
            load_factor=placed[f.id] / f.seats if f.seats else 0.0,
            escorts_used=round(escorts[f.id], 2),
            escorts_available=f.escort_officers,
            medical_used=medical[f.id],
            medical_available=f.medical_slots,
            wheelchair_used=wheelchair[f.id],
            wheelchair_available=f.wheelchair_slots,
        )
        for f in flights
    ]


# ---------------------------------------------------------------- not placed


@dataclass(frozen=True)
class UnplacedRow:
    person_id: int
    case_number: str
    name: str
    nationality: str
    priority: int
    reason: str
    detail: str

    @property
    def reason_text(self) -> str:
        """The reason's short label (the one table of reason texts)."""
        return short_label(self.reason)


def _stop_words(stop: str) -> str:
    """``"RF0026/SAP"`` -> ``"RF0026 to SAP"``."""
    return stop.replace("/", " to ", 1)


def detail_summary(reason: str, detail: dict[str, Any]) -> str:
    """One line in words from an exclusion's ``detail_json``: the full stops and what ran out on
    each, or which rules fail at every / some of the candidate stops."""
    blocks = detail.get("stops") or []
    if blocks:
        return "; ".join(
            f"{_stop_words(str(b.get('stop', '?')))} is full: no "
            + (join_words(resource_words(r) for r in b.get("binding") or []) or "single resource")
            + " left"
            for b in blocks
        )
    every = [str(code) for code in detail.get("every_stop") or []]
    if not every:
        return reason_label(reason)
    some = [str(code) for code in detail.get("some_stops") or [] if code not in every]
    stops = int(detail.get("candidate_stops") or 0)
    where = (
        f"at every one of {plural(stops, 'stop')}"
        if stops > 1
        else "at the one stop"
        if stops
        else "everywhere"
    )
    text = f"{where}: {join_words(short_label(c) for c in every)}"
    if some:
        text += f"; at some: {join_words(short_label(c) for c in some)}"
    return text


def unplaced(
    uow: UnitOfWork,
    actor: Actor,
    plan_run_id: int,
    *,
    reason: str | None = None,
    limit: int | None = None,
) -> list[UnplacedRow]:
    """The people the run did not place (optionally one ``reason`` only), most urgent first
    (priority, then case number); at most ``limit`` rows when given."""
    authorize(uow, actor, Role.OFFICER, "plan.view")
    _get_run(uow, plan_run_id)
    query = (
        sa.select(
            Person.id,
            Person.case_number,
            Person.family_name,
            Person.given_names,
            Person.nationality,
            Person.priority,
            PlanExclusion.reason,
            PlanExclusion.detail_json,
        )
        .join(PlanExclusion, PlanExclusion.person_id == Person.id)
        .where(PlanExclusion.plan_run_id == plan_run_id)
        .order_by(Person.priority, Person.case_number)
    )
    if reason:
        query = query.where(PlanExclusion.reason == reason)
    if limit is not None:
        query = query.limit(limit)
    rows = []
    # Core rows in batches (not ORM loading): the window's thread never waits long on the GIL.
    result = uow.session.connection().execute(query.execution_options(yield_per=FETCH_BATCH))
    for pid, case, family, given, nationality, priority, why, detail_json in (
        row for part in result.partitions(FETCH_BATCH) for row in part
    ):
        detail = json.loads(detail_json) if detail_json and detail_json != "{}" else {}
        rows.append(
            UnplacedRow(
                pid, case, f"{family}, {given}", nationality, priority, why, detail_summary(why, detail)
            )
        )
    return rows


# ---------------------------------------------------------------- changes from the previous run


@dataclass(frozen=True)
class PlanChange:
    kind: str  # "moved" | "added" | "dropped"
    person_id: int
    case_number: str
    name: str
    from_stop: str  # "FLIGHT/AIRPORT" or ""
    to_stop: str
    reason: str  # for "dropped": the run's exclusion reason

    @property
    def reason_text(self) -> str:
        """The dropped person's reason in words ("" for moves and additions)."""
        return short_label(self.reason) if self.reason else ""


@dataclass(frozen=True)
class PlanDiff:
    plan_run_id: int
    previous_run_id: int | None  # None: the first run, nothing to compare with
    changes: list[PlanChange]
    #: Complete number of changes per kind (``changes`` may list only the first of each kind).
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        if kind in self.counts:
            return self.counts[kind]
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def complete(self) -> bool:
        """Whether ``changes`` lists every change (no ``limit`` cut it short)."""
        return all(self.count(kind) == sum(1 for c in self.changes if c.kind == kind) for kind in self.counts)


def plan_diff(uow: UnitOfWork, actor: Actor, plan_run_id: int, *, limit: int | None = None) -> PlanDiff:
    """Who moved (from → to), who was added and who was dropped (with the reason) compared with the
    run stored just before ``plan_run_id``. With ``limit``, at most that many changes of each kind
    are listed (by case number); ``counts`` is always complete."""
    authorize(uow, actor, Role.OFFICER, "plan.view")
    s = uow.session
    _get_run(uow, plan_run_id)
    previous_id = s.execute(
        sa.select(sa.func.max(PlanRun.id)).where(PlanRun.id < plan_run_id)
    ).scalar_one_or_none()
    if previous_id is None:
        return PlanDiff(plan_run_id, None, [])

    def assignments(run_id: int) -> dict[int, int]:
        if uow.dialect == "sqlite":
            # Two JSON arrays built by SQLite in one row (in the same row order): fetching 55,000
            # rows one by one would hand the interpreter lock back and forth 55,000 times.
            people_json, stops_json = (
                s.connection()
                .execute(
                    sa.select(
                        sa.func.json_group_array(Assignment.person_id),
                        sa.func.json_group_array(Assignment.flight_stop_id),
                    ).where(Assignment.plan_run_id == run_id)
                )
                .one()
            )
            return dict(zip(json.loads(people_json or "[]"), json.loads(stops_json or "[]"), strict=True))
        result = s.connection().execute(  # Core rows in batches: never hold the GIL for long
            sa.select(Assignment.person_id, Assignment.flight_stop_id)
            .where(Assignment.plan_run_id == run_id)
            .execution_options(yield_per=FETCH_BATCH)
        )
        return {pid: sid for part in result.partitions(FETCH_BATCH) for pid, sid in part}

    before, after = assignments(previous_id), assignments(plan_run_id)
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    kinds = Counter(
        "added" if p not in before else ("dropped" if p not in after else "moved") for p in changed
    )
    counts = {kind: kinds.get(kind, 0) for kind in ("moved", "added", "dropped")}
    if not changed:
        return PlanDiff(plan_run_id, previous_id, [], counts)
    if limit is not None and any(n > limit for n in counts.values()):
        changed = _first_by_case_number(uow, changed, before, after, limit)
    stop_ids = {before.get(p) for p in changed} | {after.get(p) for p in changed}
    stop_ids.discard(None)
    labels = {
        sid: f"{code}/{airport}"
        for sid, code, airport in s.execute(
            sa.select(FlightStop.id, Flight.code, FlightStop.airport)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .where(FlightStop.id.in_(stop_ids))
        )
    }
    people: dict[int, tuple[str, str]] = {}
    reasons: dict[int, str] = {}
    dropped = [p for p in changed if p not in after]
    for start in range(0, len(changed), 5000):
        chunk = changed[start : start + 5000]
        for pid, case, family, given in s.execute(
            sa.select(Person.id, Person.case_number, Person.family_name, Person.given_names).where(
                Person.id.in_(chunk)
            )
        ):
            people[pid] = (case, f"{family}, {given}")
    for start in range(0, len(dropped), 5000):
        chunk = dropped[start : start + 5000]
        reasons.update(
            s.execute(
                sa.select(PlanExclusion.person_id, PlanExclusion.reason).where(
                    PlanExclusion.plan_run_id == plan_run_id, PlanExclusion.person_id.in_(chunk)
                )
            ).all()
        )
    changes = []
    for pid in changed:
        old, new = before.get(pid), after.get(pid)
        kind = "added" if old is None else ("dropped" if new is None else "moved")
        case, name = people.get(pid, (str(pid), ""))
        changes.append(
            PlanChange(
                kind,
                pid,
                case,
                name,
                labels.get(old, "") if old else "",
                labels.get(new, "") if new else "",
                reasons.get(pid, "") if kind == "dropped" else "",
            )
        )
    changes.sort(key=lambda c: ({"dropped": 0, "moved": 1, "added": 2}[c.kind], c.case_number))
    return PlanDiff(plan_run_id, previous_id, changes, counts)


def _first_by_case_number(
    uow: UnitOfWork, changed: list[int], before: dict[int, int], after: dict[int, int], limit: int
) -> list[int]:
    """The ids of ``changed`` that are among the first ``limit`` of their kind by case number."""
    cases: dict[int, str] = {}
    for start in range(0, len(changed), 5000):
        chunk = changed[start : start + 5000]
        cases.update(
            uow.session.execute(sa.select(Person.id, Person.case_number).where(Person.id.in_(chunk))).all()
        )
    kept: list[int] = []
    for kind_of in (
        lambda p: p not in before,
        lambda p: p not in after,
        lambda p: p in before and p in after,
    ):
        of_kind = sorted((p for p in changed if kind_of(p)), key=lambda p: cases.get(p, str(p)))
        kept.extend(of_kind[:limit])
    return sorted(kept)


# ---------------------------------------------------------------- consolidation advice


@dataclass(frozen=True)
class CancellableFlightRow:
    flight_id: int
    code: str
    departure_utc: datetime
    hours: float
    cost_saved: float
    people: int


@dataclass(frozen=True)
class RouteMergeRow:
    """Merge flight ``absorbed_code`` into ``kept_code``: the kept flight then flies ``route``
    (pickups, then stops) and the absorbed one is cancelled."""

    kept_id: int
    kept_code: str
    absorbed_id: int
    absorbed_code: str
    route: str
    people_moved: int
    seats_used: int
    seats: int
    extra_hours: float
    cost_saved: float


@dataclass(frozen=True)
class Consolidation:
    plan_run_id: int
    cancellable: list[CancellableFlightRow]
    total_saved: float
    cost_per_flight_hour: float
    complete: bool  # false when the time limit stopped the search before every flight was tried
    seconds: float
    currency: str = "EUR"  # ISO 4217 code of the money figures (``Settings.currency``)
    #: Under-full missions to the same stops that can fly as one with both pickups (see
    #: ``solver.consolidate.route_merges``), on top of the cancellations.
    merges: list[RouteMergeRow] = field(default_factory=list)

    @property
    def merge_saved(self) -> float:
        return sum(m.cost_saved for m in self.merges)


def consolidation(
    ctx: AppContext,
    actor: Actor,
    settings: Settings,
    *,
    time_limit: float = 10.0,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Consolidation:
    """Which flights of the current draft plan could be cancelled with every placed person still
    placed, and the cost saved at ``settings.cost_per_flight_hour``. Reads in one read-only unit of
    work of ``ctx``, then thinks without the database; ``time_limit`` bounds the search.
    ``NotFound`` when no plan has been run."""
    report = progress or (lambda _f, _m: None)
    now = now or utc_now()
    report(0.0, "loading the current plan")
    with ctx.uow(write=False) as uow:
        authorize(uow, actor, Role.OFFICER, "plan.consolidate")
        data = planning.load_input(uow, now=now)
        if data.draft_plan_id is None:
            raise NotFound("there is no plan yet: run the plan first")
        departures = dict(uow.session.execute(sa.select(Flight.id, Flight.departure_utc)).all())
    report(0.2, "checking eligibility")
    problem, _eligible = planning.prepare_problem(data, settings)
    # The current plan as the assignment, limited to people and stops the problem still knows
    # (flights that departed since the run are gone).
    known = {p.id: p for p in problem.people}
    assignment = {
        pid: sid
        for pid, sid in {**data.draft, **data.frozen}.items()
        if pid in known and (sid in known[pid].eligible_stops or sid == known[pid].frozen_stop)
    }
    report(0.3, f"trying to cancel flights ({len(problem.flights):,} flights, at most {time_limit:.0f} s)")
    from planner.services.plan_legs import mission_routes

    advice = consolidation_advice(
        problem,
        assignment,
        settings.cost_per_flight_hour,
        time_limit=time_limit,
        routes=mission_routes(data.routes),
    )
    report(1.0, "done")
    code = {st.flight_id: st.flight_code for st in data.stops}
    rows = [
        CancellableFlightRow(
            c.flight, code.get(c.flight, str(c.flight)), departures[c.flight], c.hours, c.cost_saved, c.people
        )
        for c in advice.cancellable
    ]
    return Consolidation(
        plan_run_id=data.draft_plan_id,
        cancellable=rows,
        total_saved=advice.total_saved,
        cost_per_flight_hour=settings.cost_per_flight_hour,
        complete=advice.complete,
        seconds=advice.seconds,
        currency=settings.currency,
        merges=[
            RouteMergeRow(
                m.kept,
                code.get(m.kept, str(m.kept)),
                m.absorbed,
                code.get(m.absorbed, str(m.absorbed)),
                m.route,
                m.people_moved,
                m.seats_used,
                m.seats,
                m.extra_hours,
                m.cost_saved,
            )
            for m in advice.merges
        ],
    )


__all__ = [
    "REASON_TEXT",
    "CancellableFlightRow",
    "Consolidation",
    "FlightLoad",
    "PlanChange",
    "PlanDiff",
    "PlanRunRow",
    "RouteMergeRow",
    "UnplacedRow",
    "consolidation",
    "detail_summary",
    "flight_loads",
    "plan_diff",
    "plan_run",
    "plan_runs",
    "reason_text",
    "unplaced",
]
