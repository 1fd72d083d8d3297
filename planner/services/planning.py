"""Planning: load people, documents, verifications, flights and rules; compute eligibility with
numpy; solve with ``solver``; store the result as the new draft plan (PlanRun + Assignments +
PlanExclusions), audited.

Three transactions, so the database is never locked while the solver thinks:
1. read everything (read-only unit of work),
2. solve (no database),
3. store (write unit of work) — refused with ``Conflict`` when another plan was stored since
   step 1, so two officers never overwrite each other's plan unseen. When any planning input
   changed since step 1 (an audited change after the newest audit event read in step 1, see
   ``planner.services.input_changes``), the plan is checked against the data as it stands (read
   under the audit chain's lock, so nothing changes meanwhile): stored, with a note, if it still
   keeps every rule, family and capacity there; otherwise refused (audited, ``InputsChanged``),
   after which :func:`run_plan` loads and solves again (at most ``RESOLVES`` times). Refused
   (audited) when the solver found no valid plan (INFEASIBLE, UNKNOWN): the previous draft is kept.

People with custody status REMOVED have left and take no part (not even in their family's rule);
everybody else is considered, and every person not placed gets an exclusion with a reason.
Departed and cancelled flights are not planned; their people leave planning (REMOVED) or come
back to it. People frozen on a PLANNED flight whose departure time has passed are *held* there
(stored unchanged, never placed elsewhere) until the departure is recorded or the flight is
cancelled. A person whose family is frozen on an approved flight they cannot join is left out with
``FAMILY_ON_FROZEN_FLIGHT`` (the family stays as it is).

The safety settings (escort officers per returnee by risk, the solver's time limit, the reserve
fraction) are the office's, read from the database with the data
(:mod:`planner.services.office_settings`); every run records them (``PlanRun.settings_json``) and
its summary shows them. It also records the version of the country rule each planned stop's
country was planned under (``country_rules``: ``{country: version | "default"}``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

import numpy as np
import sqlalchemy as sa

import solver
from planner.domain import reasons
from planner.domain.eligibility import (
    MEDICAL_NEEDS,
    NO_FLIGHT_CODE,
    NO_FLIGHT_TO_COUNTRY,
    REASON_CODES,
    EligiblePairs,
    ReasonSummary,
    decode_reasons,
    evaluate_with_reasons,
)
from planner.domain.enums import MedicalNeed, Role
from planner.domain.errors import Conflict
from planner.domain.wording import grouped_lines
from planner.persistence import audit
from planner.persistence.bulk import bulk_insert
from planner.persistence.context import AppContext
from planner.persistence.locks import PLAN_LOCK, LeaseLock
from planner.persistence.models import (
    Assignment,
    PlanExclusion,
    PlanRun,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings, plan_pickups
from planner.services.auth import Actor, authorize
from planner.services.current_plan import DRAFT, SUPERSEDED, current_draft_plan_id
from planner.services.input_changes import describe, lock_and_list_changes
from planner.services.manifests import workflow as manifests
from planner.services.office_settings import OfficeSettings
from planner.services.plan_export import assignments_for_export
from planner.services.plan_input import (
    BLOCK_OVERHEAD_HOURS,
    CRUISE_KMH,
    PlanningInput,
    StopInfo,
    flight_hours,
    load_input,
)
from planner.services.reference import rule_versions
from planner.settings import Settings
from solver.callbacks import Progress, ShouldStop
from solver.consolidate import consolidation_advice
from solver.explain import explain_unplaced

log = logging.getLogger(__name__)


CAPACITY = "CAPACITY"
#: A person eligible only on flights they were struck off (``strike_off``).
STRUCK_OFF = "STRUCK_OFF"
FAMILY_ON_FROZEN_FLIGHT = "FAMILY_ON_FROZEN_FLIGHT"
#: How many times :func:`run_plan` loads and solves again when the data changed while it solved.
RESOLVES = 2
#: The words for every headline reason a plan run records: the one table of reason texts
#: (``planner.domain.reasons``: the eligibility rules' own words plus the planner's).
REASON_TEXT = reasons.REASON_LABELS


def reason_text(reason: str) -> str:
    """The words for headline ``reason`` (an unknown code spelled out in lower case)."""
    return reasons.reason_label(reason)


_OFFICER = Role.OFFICER


class InputsChanged(Conflict):
    """Planning inputs changed while the plan was computed; the store was refused (audited)."""


# ---------------------------------------------------------------- problem and solve


def _open_stops(stops: np.ndarray, closed: np.ndarray) -> tuple[int, ...]:
    return tuple((stops[~np.isin(stops, closed)] if closed.size else stops).tolist())


def build_problem(
    data: PlanningInput,
    pairs_person: np.ndarray,
    pairs_stop_row: np.ndarray,
    escort_load: dict[str, float],
    blocked: dict[int, int] | None = None,
) -> solver.Problem:
    """People with an eligible stop, a draft stop or a frozen stop become solver people, except the
    held (see :class:`PlanningInput`) and those whose family is frozen on a stop they may not join:
    those are left out and listed in ``blocked`` (person id -> the family's frozen stop id)."""
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
    family_stop = _frozen_family_stops(data, row_of_id, known_stops)
    frozen_pickups = plan_pickups.frozen_pickups(data)
    people = []
    for row in sorted(rows):
        pid = int(person_ids[row])
        if pid in data.held:
            continue
        frozen = data.frozen.get(pid)
        draft = data.draft.get(pid)
        eligible = tuple(
            sid
            for sid in _open_stops(stop_sorted[starts[row] : starts[row + 1]], closed_stops)
            if sid not in data.struck.get(pid, ())
        )
        if frozen not in known_stops and family_stop.get(data.family_group[row], -1) not in (-1, *eligible):
            continue  # their family is frozen where they may not go: listed in ``blocked`` below
        people.append(
            solver.Person(
                id=pid,
                priority=int(data.priority[row]),
                escort_load=escort_load[data.risk_level[row]],
                eligible_stops=eligible,
                needs_medical=bool(medical[row] == medical_escort),
                needs_wheelchair=bool(medical[row] == wheelchair),
                family=data.family_group[row],
                draft_stop=draft if draft in known_stops else None,
                frozen_stop=frozen if frozen in known_stops else None,
                facility=plan_pickups.facility_of(data, row),
                frozen_pickup=frozen_pickups.get(pid),
            )
        )
    if blocked is not None and family_stop:
        blocked.update(_blocked(data, {p.id for p in people}, family_stop, known_stops))
    return solver.Problem(
        people=tuple(people),
        flights=tuple(data.flights.values()),
        stops=tuple(
            solver.Stop(
                id=st.stop_id,
                flight=st.flight_id,
                country=st.country,
                country_cap=data.rules[st.country].max_per_flight,
                order=st.sequence,
            )
            for st in data.stops
        ),
        pickups=plan_pickups.solver_pickups(data),
    )


def _blocked(
    data: PlanningInput, in_problem: set[int], family_stop: dict[str, int], known_stops: set[int]
) -> dict[int, int]:
    """Members of the families of ``family_stop`` who are neither frozen, held nor in the problem:
    person id -> their family's frozen stop."""
    person_ids = data.tables.people.person_id
    out: dict[int, int] = {}
    for row in np.flatnonzero(np.isin(data.family_group, list(family_stop))).tolist():
        pid = int(person_ids[row])
        if pid not in in_problem and pid not in data.held and data.frozen.get(pid) not in known_stops:
            out[pid] = family_stop[data.family_group[row]]
    return out


def _frozen_family_stops(
    data: PlanningInput, row_of_id: dict[int, int], known_stops: set[int]
) -> dict[str, int]:
    """family group -> the stop its frozen members are on (families with a frozen member only)."""
    out: dict[str, int] = {}
    for pid, stop in sorted(data.frozen.items()):
        row = row_of_id.get(pid)
        if row is not None and stop in known_stops and data.family_group[row]:
            out.setdefault(data.family_group[row], stop)
    return out


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
    data: PlanningInput, escort_load: dict[str, float], timings: dict[str, float] | None = None
) -> tuple[solver.Problem, int, ReasonSummary, list[int], dict[int, int]]:
    t0 = time.perf_counter()
    pairs, reasons = evaluate_with_reasons(data.tables, now=data.now)
    t1 = time.perf_counter()
    blocked: dict[int, int] = {}
    problem = build_problem(data, pairs.person, pairs.stop, escort_load, blocked)
    eligible_people = len(np.unique(pairs.person))
    if timings is not None:
        timings["eligibility"] = t1 - t0
        timings["build"] = time.perf_counter() - t1
    return problem, eligible_people, reasons, frozen_but_ineligible(data, pairs), blocked


def prepare_problem(
    data: PlanningInput, settings: Settings, timings: dict[str, float] | None = None
) -> tuple[solver.Problem, int]:
    """Eligibility (vectorised) and the solver problem for ``data``: ``(problem, people eligible for
    at least one stop)``, with the office's escort load read with ``data`` (``data.office``). Fills
    ``timings["eligibility"]`` and ``timings["build"]`` when given."""
    problem, eligible_people, _reasons, _flagged, _blocked = _prepare(
        data, data.office.escort_load(), timings
    )
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
    blocked: dict[int, int] = field(default_factory=dict)  # person id -> their family's frozen stop
    escort_load: dict[str, float] = field(default_factory=dict)  # the settings' escort load per risk
    #: The office's safety settings this run used (``time_limit``: the one actually given to the solver).
    office: OfficeSettings = field(default_factory=OfficeSettings)


def _exclusions(
    data: PlanningInput,
    problem: solver.Problem,
    plan: solver.Plan,
    reasons: ReasonSummary,
    blocked: dict[int, int] | None = None,
) -> dict[int, tuple[str, dict]]:
    """A reason for everybody not placed: CAPACITY (with the binding resources per stop) for the
    eligible; FAMILY_ON_FROZEN_FLIGHT for ``blocked``; otherwise the headline rule (the first that
    fails at every stop to the person's countries, else at some), with the rules failing at every /
    some stop as detail. Held people (``data.held``) stay where they are and need none."""
    in_problem = {p.id: p for p in problem.people}
    blocks = explain_unplaced(problem, plan)
    stop_code = {st.stop_id: f"{st.flight_code}/{st.airport}" for st in data.stops}
    headline = reasons.headline_codes()
    binding_names = functools.cache(lambda binding: [r.value for r in binding])
    out: dict[int, tuple[str, dict]] = {}
    stop_info = {st.stop_id: st for st in data.stops}
    for row, pid in enumerate(data.tables.people.person_id.tolist()):
        if pid in plan.assignment or pid in data.held:
            continue
        if blocked and pid in blocked:
            info = stop_info[blocked[pid]]
            out[pid] = (
                FAMILY_ON_FROZEN_FLIGHT,
                {
                    "flight": info.flight_code,
                    "stop": stop_code[info.stop_id],
                    "family": data.family_group[row],
                },
            )
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
        if code < 0 and pid in data.struck:  # eligible only where they were struck off
            flights = sorted({stop_info[s].flight_code for s in data.struck[pid] if s in stop_info})
            out[pid] = (STRUCK_OFF, {"flights": flights})
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
    """Eligibility + solve + explanations, all in memory (no database). Progress 0.05 → 0.95.

    The escort load and the default ``time_limit`` are the office's (``data.office``, read from the
    database with the data); ``settings`` gives the seed and the cost per flight hour."""
    report = progress or (lambda _f, _m: None)
    timings: dict[str, float] = {}
    report(0.05, "checking eligibility")
    office = dataclasses.replace(data.office, time_limit=time_limit or data.office.time_limit)
    escort_load = office.escort_load()
    problem, eligible_people, reasons, flagged, blocked = _prepare(data, escort_load, timings)
    report(0.15, f"{eligible_people:,} people eligible; solving")

    def solver_progress(fraction: float, message: str) -> None:
        report(0.15 + 0.75 * min(max(fraction, 0.0), 1.0), message)

    t1 = time.perf_counter()
    plan = solver.solve(
        problem,
        solver.SolveOptions(time_limit=office.time_limit, seed=settings.seed),
        progress=solver_progress,
        should_stop=should_stop,
    )
    timings["solve"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    exclusions = _exclusions(data, problem, plan, reasons, blocked)
    timings["explain"] = time.perf_counter() - t2
    advice = None
    if with_advice and not plan.stopped:
        report(0.92, "looking for flights that could be cancelled")
        from planner.services.plan_legs import mission_routes

        advice = consolidation_advice(
            problem,
            plan,
            settings.cost_per_flight_hour,
            time_limit=10.0,
            routes=mission_routes(data.routes),
        )
    return ComputedPlan(
        data,
        problem,
        plan,
        eligible_people,
        exclusions,
        timings,
        advice,
        flagged,
        blocked,
        escort_load,
        office,
    )


def still_valid_on_current_data(uow: UnitOfWork, outcome: ComputedPlan) -> ComputedPlan | None:
    """``outcome``'s plan over the data as it stands now (read in ``uow``): a new ``ComputedPlan``
    with the current data's problem and exclusions when the plan keeps every rule, family, frozen
    place and capacity there (``solver.validate``), else None (it must be computed again)."""
    fresh = load_input(uow, now=outcome.data.now)
    if fresh.draft_plan_id != outcome.data.draft_plan_id:
        return None
    problem, eligible, reasons, flagged, blocked = _prepare(fresh, outcome.escort_load)
    if solver.validate(problem, outcome.plan):
        return None
    exclusions = _exclusions(fresh, problem, outcome.plan, reasons, blocked)
    return dataclasses.replace(
        outcome,
        data=fresh,
        problem=problem,
        eligible_people=eligible,
        exclusions=exclusions,
        frozen_ineligible=flagged,
        blocked=blocked,
    )


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
    #: The office's safety settings the run used (``OfficeSettings.values()``; {} for old callers).
    safety_settings: dict[str, Any] = field(default_factory=dict)
    #: flight code -> ``{"pickups": [IATA…], "stops": [IATA…], "seats": [people aboard each leg]}``
    #: for every planned flight (leg k flies from point k to point k + 1 of pickups + stops)
    leg_loads: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def text(self) -> str:
        lines = [
            f"plan {self.plan_run_id} ({self.status}{', stopped early' if self.stopped else ''}): "
            f"{self.placed:,} placed of {self.eligible:,} eligible ({self.people_considered:,} people considered)",
            f"objective {self.objective:,} (priority-weighted), bound {self.bound:,}, gap {100 * self.gap:.3f} %",
            f"changes from the previous draft: {self.moves:,} moved, {self.added:,} added, {self.dropped:,} dropped",
            "not placed:" + ("" if self.not_placed_by_reason else " nobody"),
            *(
                f"  {n:>7,}  {reasons.reason_label(r)}"
                for r, n in sorted(self.not_placed_by_reason.items(), key=lambda kv: -kv[1])
            ),
            f"{self.seconds:.2f} s (" + ", ".join(f"{k} {v:.2f}" for k, v in self.timings.items()) + ")",
        ]
        if self.safety_settings:
            lines.append("safety settings: " + OfficeSettings(**self.safety_settings).summary())
        lines += plan_pickups.leg_lines(self.leg_loads)
        lines += [f"warning: {m}" for m in grouped_lines(self.messages)]
        return "\n".join(lines)


_NO_PLAN = (solver.SolveStatus.INFEASIBLE, solver.SolveStatus.UNKNOWN, solver.SolveStatus.MODEL_INVALID)


def _refuse_store(uow: UnitOfWork, actor: Actor, error: Conflict, details: dict[str, Any]) -> NoReturn:
    audit.refuse(
        uow,
        audit.AuditEntry(
            actor.username, "plan.store.refused", "plan_run", "*", {"reason": str(error), **details}
        ),
        error,
    )


def _checked(uow: UnitOfWork, actor: Actor, outcome: ComputedPlan) -> tuple[ComputedPlan, list[str]]:
    """Refuse (audited) a plan the solver did not complete, and one whose inputs changed since they
    were read unless it still holds on the current data (then that outcome, with a note)."""
    data, plan = outcome.data, outcome.plan
    if plan.status in _NO_PLAN:
        _refuse_store(
            uow,
            actor,
            Conflict(
                f"the solver found no valid plan ({plan.status.value}"
                + (f": {'; '.join(plan.messages)}" if plan.messages else "")
                + "); the previous draft plan is kept"
            ),
            {"status": plan.status.value},
        )
    notes: list[str] = []
    changes = lock_and_list_changes(uow, data.input_mark)
    if changes:
        fresh = still_valid_on_current_data(uow, outcome)
        if fresh is None:
            who = sorted({c.actor for c in changes})
            _refuse_store(
                uow,
                actor,
                InputsChanged(
                    f"the data changed while the plan was computed ({describe(changes)}) and the plan no "
                    "longer holds; it was not stored: run it again"
                ),
                {"changes": [c.text() for c in changes[:50]], "by": who, "since_event": data.input_mark},
            )
        outcome, data = fresh, fresh.data
        notes.append(
            f"the data changed while the plan was computed ({describe(changes, limit=3)}); the plan was "
            "checked against the current data and still holds (run it again for the best plan)"
        )
    return outcome, notes


def store_plan(uow: UnitOfWork, actor: Actor, outcome: ComputedPlan, settings_used: dict) -> PlanSummary:
    """Store ``outcome`` as the new draft plan (the previous one is SUPERSEDED), with one audit
    event for the run and one per person whose assignment changed; commits.

    Refused, the previous draft kept: ``Conflict`` when another plan was stored since the data was
    read; audited ``Conflict`` when the solver found no valid plan; audited ``InputsChanged`` when
    planning inputs changed since the data was read and the plan no longer holds on the current
    data (naming what changed and who)."""
    authorize(uow, actor, _OFFICER, "plan.store")
    s = uow.session
    data, plan = outcome.data, outcome.plan
    current = current_draft_plan_id(uow)
    if current != data.draft_plan_id:
        raise Conflict("another plan was stored while this one was computed; run the plan again")
    outcome, notes = _checked(uow, actor, outcome)
    data = outcome.data
    if current is not None:
        s.execute(sa.update(PlanRun).where(PlanRun.id == current).values(status=SUPERSEDED))
    counts: dict[str, Any] = {
        "people_considered": len(data.tables.people),
        "eligible": outcome.eligible_people,
        "placed": plan.placed,
        "not_placed_by_reason": dict(Counter(reason for reason, _ in outcome.exclusions.values())),
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
    previous = data.previous or {**data.draft, **data.frozen}
    assignment = {**plan.assignment, **data.held}
    sequences = plan_pickups.pickup_sequences(data, plan)
    if assignment:
        bulk_insert(
            s,
            Assignment.__table__,
            [
                {
                    "plan_run_id": run.id,
                    "person_id": pid,
                    "flight_stop_id": sid,
                    "frozen": pid in data.frozen or pid in data.held,
                    "pickup_sequence": sequences.get(pid, 0),
                }
                for pid, sid in assignment.items()
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
    for pid in sorted(set(previous) | set(assignment)):
        before, after = previous.get(pid), assignment.get(pid)
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
    entries += plan_pickups.pickup_changes(data, actor.username, assignment, previous, sequences)
    audit.record_many(uow, entries)
    uow.commit()
    return PlanSummary(
        plan_run_id=run.id,
        status=plan.status.value,
        people_considered=len(data.tables.people),
        eligible=outcome.eligible_people,
        placed=plan.placed,
        not_placed_by_reason=counts["not_placed_by_reason"],
        objective=plan.objective,
        bound=plan.bound,
        gap=plan.gap,
        moves=moved,
        added=added,
        dropped=dropped,
        seconds=plan.seconds,
        stopped=plan.stopped,
        timings=outcome.timings,
        safety_settings=outcome.office.values(),
        leg_loads=plan_pickups.flight_leg_loads(data, assignment, sequences),
        messages=list(plan.messages)
        + [
            f"{data.case_number[row_of[pid]]} stays on an approved manifest but is no longer eligible there: "
            "review it (explain) and remove them with a new manifest revision"
            for pid in outcome.frozen_ineligible
            if pid in row_of
        ]
        + data.held_notes
        + _blocked_notes(data, outcome.blocked, row_of)
        + notes,
    )


def _blocked_notes(data: PlanningInput, blocked: dict[int, int], row_of: dict[int, int]) -> list[str]:
    """One warning per family whose frozen flight a newcomer cannot join."""
    per_family: dict[tuple[str, int], list[str]] = defaultdict(list)
    for pid, stop in sorted(blocked.items()):
        row = row_of[pid]
        per_family[(data.family_group[row], stop)].append(str(data.case_number[row]))
    flight_of = {st.stop_id: st.flight_code for st in data.stops}
    return [
        f"family {family} is on {flight_of[stop]} whose manifest is approved, but {', '.join(cases)} "
        f"cannot join them: reopen {flight_of[stop]} for additions or strike the family off "
        f"(charter-planner strike {flight_of[stop]} CASE --reason CODE)"
        for (family, stop), cases in sorted(per_family.items())
    ]


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
    with ctx.uow(write=False) as uow:
        office = office_settings.load(uow)
    lease = (time_limit or office.time_limit) + settings.plan_lock_margin
    with LeaseLock(ctx.session_factory, PLAN_LOCK, actor.username, lease_seconds=lease):
        started = time.perf_counter()
        for attempt in range(RESOLVES + 1):
            t_load = time.perf_counter()
            report(0.0, "loading people, documents, verifications and flights")
            with ctx.uow(write=False) as uow:
                authorize(uow, actor, _OFFICER, "plan.run")
                data = load_input(uow, now=now)
                # The rule version of each planned stop's country ("default": no rule stored).
                rules_used = rule_versions(uow, {stop.country for stop in data.stops})
            load_seconds = time.perf_counter() - t_load
            outcome = compute_plan(
                data, settings, time_limit=time_limit, progress=progress, should_stop=should_stop
            )
            outcome.timings = {"load": load_seconds, **outcome.timings}
            report(0.95, "storing the plan")
            t_store = time.perf_counter()
            try:
                with ctx.uow() as uow:
                    summary = store_plan(
                        uow,
                        actor,
                        outcome,
                        {
                            "time_limit": outcome.office.time_limit,
                            "seed": settings.seed,
                            "escort_load": outcome.office.escort_load(),
                            "reserve_fraction": outcome.office.reserve_fraction,
                            "office_settings": outcome.office.values(),
                            "office_settings_version": outcome.office.version,
                            "country_rules": rules_used,
                            "now": now.isoformat(),
                        },
                    )
                break
            except InputsChanged as exc:
                if attempt == RESOLVES or (should_stop is not None and should_stop()):
                    raise
                log.info("plan run: %s; computing it again", exc)
                report(0.0, "the data changed meanwhile; computing the plan again")
        summary.timings["store"] = time.perf_counter() - t_store
        summary.timings["total"] = time.perf_counter() - started
        report(1.0, "plan stored")
        return summary


__all__ = [
    "BLOCK_OVERHEAD_HOURS",
    "CAPACITY",
    "CRUISE_KMH",
    "FAMILY_ON_FROZEN_FLIGHT",
    "NO_FLIGHT_TO_COUNTRY",
    "REASON_TEXT",
    "RESOLVES",
    "ComputedPlan",
    "InputsChanged",
    "PlanSummary",
    "PlanningInput",
    "StopInfo",
    "assignments_for_export",
    "compute_plan",
    "flight_hours",
    "load_input",
    "prepare_problem",
    "reason_text",
    "run_plan",
    "store_plan",
]
