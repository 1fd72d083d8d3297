"""Schedule proposals (issue 17): ``propose`` runs the mission scheduler on the problem read from
the database (``scheduling.problem.load_problem``) and, beside it, loads the flights already
scheduled over the same weeks (the "current" schedule) the best way they can be loaded; it stores
the proposal with its missions (``schedule_proposal``, ``schedule_mission``), audited
``schedule.propose``. ``store=False`` is a read-only what-if (the window's detention-cost
slider). ``accept`` (``scheduling.accept``) turns missions into PLANNED flights.

``propose`` is ``compute_proposal`` (read-only: load and solve) then ``store_proposal`` (one
write), so a caller holding no write transaction while the solver runs (the command line on
SQLite) can run the two in two units of work.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict, Unpack

import sqlalchemy as sa

from planner.domain.enums import Role, ScheduleStatus
from planner.domain.errors import InvalidInput
from planner.persistence import audit
from planner.persistence.models import Flight, ScheduleMission, ScheduleProposal, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings
from planner.services.auth import Actor, authorize
from planner.services.scheduling.accept import accept
from planner.services.scheduling.problem import LoadedProblem, ScheduleCosts, load_problem
from planner.services.scheduling.views import (
    MissionView,
    ProposalSummary,
    ProposalView,
    StoredInputs,
    in_day_order,
    mission_views,
    problem_json,
    totals_from_json,
)
from solver.callbacks import Progress, ShouldStop
from solver.schedule.explain import loading_notes
from solver.schedule.problem import Mission, ScheduleProblem, ScheduleSolution

log = logging.getLogger(__name__)

ENTITY = "schedule_proposal"
#: Longest the loading of the flights already scheduled may take (seconds).
CURRENT_TIME_LIMIT = 10.0


@dataclass(frozen=True)
class ComputedProposal:
    """A solved proposal not stored yet: the loaded problem, the scheduler's answer, the loading of
    the flights already scheduled, and the inputs besides the problem."""

    loaded: LoadedProblem
    solution: ScheduleSolution
    current: ScheduleSolution
    inputs: StoredInputs

    def view(self, proposal_id: int | None = None) -> ProposalView:
        problem = self.loaded.problem
        missions = in_day_order(self.solution.missions)
        return ProposalView(
            id=proposal_id,
            from_date=problem.start,
            weeks=self.inputs.weeks,
            bound=self.solution.bound,
            gap=self.solution.gap,
            seconds=self.solution.seconds,
            status=ScheduleStatus.PROPOSED.value,
            totals=self.solution.totals,
            current=self.current.totals,
            missions=mission_views(problem, missions),
            current_missions=self._current_views(),
            notes=[*self.loaded.notes, *_renumbered_notes(problem, self.solution.notes, missions)],
            costs=self.inputs.costs,
            solver_status=self.solution.status,
        )

    def _current_views(self) -> list[MissionView]:
        loaded = self.loaded
        missions = list(self.current.missions)
        if len(missions) != len(loaded.current):  # an evaluator that dropped missions: unloaded
            missions = list(loaded.current)
        return mission_views(
            loaded.problem, missions, seats=loaded.current_seats, codes=loaded.current_flights
        )


#: A solver note about one mission, which it names by its place in the solver's own order.
_MISSION_NOTE = re.compile(r"M[0-9]+ ")


def _renumbered_notes(
    problem: ScheduleProblem, notes: Sequence[str], missions: Sequence[Mission]
) -> list[str]:
    """The solver's notes with those about single missions (``M3 62% full: …``) told again for
    ``missions`` in the order the proposal numbers them."""
    general = [note for note in notes if not _MISSION_NOTE.match(note)]
    return [*general, *loading_notes(problem, missions)]


def _solve(
    loaded: LoadedProblem, time_limit: float, progress: Progress | None, should_stop: ShouldStop | None
) -> tuple[ScheduleSolution, ScheduleSolution]:
    """The scheduler's answer and the best loading of the flights already scheduled."""
    # the LP solver loads where a proposal is computed, not where stored ones are read (the window)
    from solver.schedule.evaluate import load_missions
    from solver.schedule.optimize import solve_schedule

    solution = solve_schedule(
        loaded.problem, time_limit=time_limit, progress=progress, should_stop=should_stop, workers=2
    )
    current = load_missions(
        loaded.problem,
        loaded.current,
        seats=loaded.current_seats,
        time_limit=min(CURRENT_TIME_LIMIT, time_limit),
    )
    return solution, current


class ProposeOptions(TypedDict, total=False):
    """The keyword options of ``propose`` and ``compute_proposal`` (each optional)."""

    #: First day of the horizon (default ``today``, else the current UTC date).
    start: date | None
    #: Horizon in weeks (default: the office setting ``schedule_weeks``).
    weeks: int | None
    #: Solver seconds (default: the office setting ``time_limit``).
    time_limit: float | None
    #: Detention costs and unserved penalty (default: the office settings).
    costs: ScheduleCosts | None
    progress: Progress | None
    should_stop: ShouldStop | None
    today: date | None
    #: The instant the rules and the notice are read at (default: the current time).
    now: datetime | None


def compute_proposal(uow: UnitOfWork, actor: Actor, **options: Unpack[ProposeOptions]) -> ComputedProposal:
    """Officer: load the problem and solve it (read-only; defaults: today, the office settings)."""
    authorize(uow, actor, Role.OFFICER, "schedule.propose")
    office = office_settings.load(uow)
    weeks = options.get("weeks") or office.schedule_weeks
    time_limit = options.get("time_limit") or office.time_limit
    if time_limit <= 0:
        raise InvalidInput(f"the time limit must be more than 0 seconds, not {time_limit:g}")
    costs = options.get("costs") or ScheduleCosts.from_settings(office)
    progress = options.get("progress")
    if progress is not None:
        progress(0.0, "loading people, rules, aircraft and flights")
    start = options.get("start") or options.get("today") or utc_now().date()
    loaded = load_problem(uow, start=start, weeks=weeks, costs=costs, now=options.get("now"))
    solution, current = _solve(loaded, time_limit, progress, options.get("should_stop"))
    return ComputedProposal(loaded, solution, current, StoredInputs(weeks, time_limit, costs, loaded.notes))


def store_proposal(uow: UnitOfWork, actor: Actor, computed: ComputedProposal) -> ProposalView:
    """Officer: store ``computed`` with its missions, audited ``schedule.propose``; commits."""
    authorize(uow, actor, Role.OFFICER, "schedule.propose")
    view = computed.view()
    problem = computed.loaded.problem
    proposal = ScheduleProposal(
        created_by=actor.username,
        from_date=view.from_date,
        weeks=view.weeks,
        status=ScheduleStatus.PROPOSED.value,
        bound=view.bound,
        gap=view.gap,
        solve_seconds=view.seconds,
        parameters_json=json.dumps(problem_json(problem, computed.inputs)),
        totals_json=json.dumps(
            {**view.totals.as_dict(), "solver_status": view.solver_status, "notes": view.notes}
        ),
        current_json=json.dumps(
            {
                "totals": view.current.as_dict(),
                "missions": [_mission_json(m) for m in view.current_missions],
            }
        ),
    )
    s = uow.session
    s.add(proposal)
    s.flush()
    assert proposal.id is not None
    s.add_all(
        ScheduleMission(
            proposal_id=proposal.id,
            number=m.number,
            departure_date=m.date,
            aircraft=m.aircraft,
            pickups=";".join(m.pickups),
            stops=";".join(m.stops),
            people_json=json.dumps(m.people),
            people=m.people_total,
            seats=m.seats,
            block_hours=m.block_hours,
            cost=m.cost,
        )
        for m in view.missions
    )
    audit.record(
        uow,
        audit.AuditEntry(
            actor.username,
            "schedule.propose",
            ENTITY,
            str(proposal.id),
            {
                "from": view.from_date.isoformat(),
                "weeks": view.weeks,
                "missions": len(view.missions),
                "total_cost": round(view.totals.cost, 2),
                "bound": view.bound,
                "gap": view.gap,
            },
        ),
    )
    uow.commit()
    log.info(
        "schedule proposal %s: %s missions, cost %.0f", proposal.id, len(view.missions), view.totals.cost
    )
    return computed.view(proposal.id)


def propose(
    uow: UnitOfWork, actor: Actor, *, store: bool = True, **options: Unpack[ProposeOptions]
) -> ProposalView:
    """Officer: propose the missions for ``weeks`` weeks from ``start`` (``ProposeOptions``;
    defaults: today and the office settings ``schedule_weeks``, ``time_limit`` and detention
    costs). ``store``: save the proposal and its missions, audited ``schedule.propose``, and
    commit; otherwise a read-only what-if (``id`` None)."""
    computed = compute_proposal(uow, actor, **options)
    return store_proposal(uow, actor, computed) if store else computed.view()


def _mission_json(m: MissionView) -> dict[str, object]:
    return {**m.as_json(), "number": m.number, "flight_code": m.flight_code}


def _mission_from_json(values: dict) -> MissionView:
    return MissionView(
        id=values["id"],
        number=values["number"],
        date=date.fromisoformat(values["date"]),
        aircraft=values["aircraft"],
        pickups=list(values["pickups"]),
        stops=list(values["stops"]),
        people=dict(values["people"]),
        seats=values["seats"],
        block_hours=values["block_hours"],
        cost=values["cost"],
        flight_code=values.get("flight_code"),
    )


def load_proposal(uow: UnitOfWork, actor: Actor, proposal_id: int) -> ProposalView:
    """Officer: a stored proposal as it was proposed, with the flights its accepted missions became."""
    authorize(uow, actor, Role.OFFICER, "schedule.view")
    s = uow.session
    proposal = s.get(ScheduleProposal, proposal_id)
    if proposal is None:
        raise InvalidInput(f"there is no schedule proposal {proposal_id}")
    rows = s.execute(
        sa.select(ScheduleMission, Flight.code)
        .outerjoin(Flight, Flight.id == ScheduleMission.flight_id)
        .where(ScheduleMission.proposal_id == proposal_id)
        .order_by(ScheduleMission.number)
    ).all()
    missions = [
        MissionView(
            id=f"M{m.number}",
            number=m.number,
            date=m.departure_date,
            aircraft=m.aircraft,
            pickups=m.pickups.split(";"),
            stops=m.stops.split(";"),
            people=json.loads(m.people_json),
            seats=m.seats,
            block_hours=m.block_hours,
            cost=m.cost,
            flight_code=code,
        )
        for m, code in rows
    ]
    totals = json.loads(proposal.totals_json)
    current = json.loads(proposal.current_json)
    parameters = json.loads(proposal.parameters_json)
    return ProposalView(
        id=proposal.id,
        from_date=proposal.from_date,
        weeks=proposal.weeks,
        bound=proposal.bound,
        gap=proposal.gap,
        seconds=proposal.solve_seconds,
        status=proposal.status,
        totals=totals_from_json(totals),
        current=totals_from_json(current["totals"]),
        missions=missions,
        current_missions=[_mission_from_json(m) for m in current["missions"]],
        notes=list(totals.get("notes", [])),
        costs=ScheduleCosts(**parameters["costs"]),
        solver_status=totals.get("solver_status", ""),
        accepted_by=proposal.accepted_by,
    )


def list_proposals(uow: UnitOfWork, actor: Actor) -> list[ProposalSummary]:
    """Officer: every stored proposal, newest first, with its mission counts and figures."""
    authorize(uow, actor, Role.OFFICER, "schedule.view")
    s = uow.session
    counts = {
        pid: (int(total), int(accepted or 0))
        for pid, total, accepted in s.execute(
            sa.select(
                ScheduleMission.proposal_id,
                sa.func.count(),
                sa.func.sum(sa.case((ScheduleMission.flight_id.is_not(None), 1), else_=0)),
            ).group_by(ScheduleMission.proposal_id)
        )
    }
    out = []
    for p in s.execute(sa.select(ScheduleProposal).order_by(ScheduleProposal.id.desc())).scalars():
        assert p.id is not None
        total, accepted = counts.get(p.id, (0, 0))
        out.append(
            ProposalSummary(
                id=p.id,
                created_at=p.created_at,
                created_by=p.created_by,
                from_date=p.from_date,
                weeks=p.weeks,
                status=p.status,
                missions=total,
                accepted=accepted,
                cost=json.loads(p.totals_json).get("cost"),
                bound=p.bound,
                gap=p.gap,
            )
        )
    return out


__all__ = [
    "ComputedProposal",
    "MissionView",
    "ProposalSummary",
    "ProposalView",
    "ProposeOptions",
    "ScheduleCosts",
    "accept",
    "compute_proposal",
    "list_proposals",
    "load_proposal",
    "propose",
    "store_proposal",
]
