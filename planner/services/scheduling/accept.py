"""``schedule accept``: missions of a stored proposal become PLANNED flights (supervisor), all in one
transaction, after which assignment planning works as for any flight.

Each mission ``M{n}`` of proposal ``P`` becomes flight ``S{P}-M{n}``, carrier "Charter (to book)",
the mission's aircraft and returnee seats; it departs from its first pickup at 08:00 local on its
date (``solver.schedule.cost.departure_instant``), later pickups leave when the cost model's leg
hours bring the aircraft there, and each stop's ``arrival_utc`` is the cost model's arrival
(``cost.stop_arrivals``). Escort officers: the mission's people x the office's ``escort_medium``,
rounded up; 2 medical and 2 wheelchair slots (edit the flight when the charter is booked). Each
flight is validated and audited by ``planner.services.flights.write_flight`` like an officer's
edit; the mission records its flight and the proposal becomes ACCEPTED (by whom, when), audited
``schedule.accept`` (mission -> flight code). Any error is one line and nothing is written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from planner.domain.enums import Role, ScheduleStatus
from planner.domain.errors import InvalidInput
from planner.domain.route import Pickup
from planner.domain.wording import plural
from planner.persistence import audit
from planner.persistence.models import Flight, FlightStop, ScheduleMission, ScheduleProposal, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings
from planner.services.auth import Actor, authorize
from planner.services.flights import FlightInput, write_flight
from planner.services.routes import pickups_text
from planner.services.scheduling.views import problem_from_json
from solver.schedule import cost
from solver.schedule.problem import ScheduleProblem

CARRIER = "Charter (to book)"
#: Medical and wheelchair slots of an accepted mission's flight (edited when the charter is booked).
MEDICAL_SLOTS = 2
WHEELCHAIR_SLOTS = 2


def flight_code(proposal_id: int, number: int) -> str:
    """The code of the flight mission ``number`` of proposal ``proposal_id`` becomes."""
    return f"S{proposal_id}-M{number}"


def _chosen(
    proposal_id: int, rows: Sequence[ScheduleMission], names: Sequence[str] | None
) -> list[ScheduleMission]:
    """The missions named (``M1`` …; default: every mission not accepted yet), or ``InvalidInput``."""
    by_name = {f"M{row.number}": row for row in rows}
    if names is None:
        chosen = [row for row in rows if row.flight_id is None]
        if not chosen:
            raise InvalidInput(f"schedule proposal {proposal_id} has no mission left to accept")
        return chosen
    wanted = list(dict.fromkeys(name.strip().upper() for name in names))
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        raise InvalidInput(
            f"schedule proposal {proposal_id} has no mission {', '.join(unknown)} "
            f"(it has {plural(len(rows), 'mission')}: M1–M{len(rows)})"
            if rows
            else f"schedule proposal {proposal_id} has no missions"
        )
    return [by_name[name] for name in wanted]


def _flight_input(
    problem: ScheduleProblem, row: ScheduleMission, code: str, escort_per_person: float
) -> tuple[FlightInput, list[datetime]]:
    """The flight of mission ``row`` and its stops' arrival instants (UTC)."""
    aircraft = problem.aircraft_named(row.aircraft)
    pickups, stops = row.pickups.split(";"), row.stops.split(";")
    day = (row.departure_date - problem.start).days
    places = problem.places
    departure = cost.departure_instant(problem.start, day, places[pickups[0]])
    later = []
    moment = departure
    for sequence in range(1, len(pickups)):
        moment += timedelta(
            hours=cost.leg_hours(
                places[pickups[sequence - 1]], places[pickups[sequence]], aircraft.cruise_kmh
            )
        )
        later.append(Pickup(sequence, pickups[sequence], moment))
    arrivals = cost.stop_arrivals(problem, aircraft, pickups, stops, day)
    data = FlightInput(
        code=code,
        carrier=CARRIER,
        aircraft=row.aircraft,
        departure_airport=pickups[0],
        departure_utc=departure,
        stops=tuple(stops),
        seats=row.seats,
        escort_officers=math.ceil(row.people * escort_per_person - 1e-9),
        medical_slots=min(MEDICAL_SLOTS, row.seats),
        wheelchair_slots=min(WHEELCHAIR_SLOTS, row.seats),
        pickups=pickups_text(later),
    )
    return data, arrivals


def accept(
    uow: UnitOfWork,
    actor: Actor,
    proposal_id: int,
    missions: Sequence[str] | None = None,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Supervisor: turn the named missions (``M1`` …; default: every one not accepted yet) of
    proposal ``proposal_id`` into PLANNED flights in one transaction (module docstring); returns
    their codes; commits. ``InvalidInput`` (one line, nothing written) for an unknown proposal or
    mission, a mission accepted already, a code taken, or a departure not in the future."""
    authorize(uow, actor, Role.SUPERVISOR, "schedule.accept")
    now = now or utc_now()
    s = uow.session
    proposal = s.get(ScheduleProposal, proposal_id)
    if proposal is None:
        raise InvalidInput(f"there is no schedule proposal {proposal_id}")
    rows = list(
        s.execute(
            sa.select(ScheduleMission)
            .where(ScheduleMission.proposal_id == proposal_id)
            .order_by(ScheduleMission.number)
        ).scalars()
    )
    chosen = _chosen(proposal_id, rows, missions)
    done = {row.flight_id: f"M{row.number}" for row in chosen if row.flight_id is not None}
    if done:
        codes = dict(s.execute(sa.select(Flight.id, Flight.code).where(Flight.id.in_(list(done)))).all())
        raise InvalidInput(
            "already accepted: "
            + ", ".join(f"{name} as flight {codes.get(fid, fid)}" for fid, name in done.items())
        )
    problem = problem_from_json(json.loads(proposal.parameters_json))
    escort = office_settings.load(uow).escort_medium
    planned = []
    for row in chosen:
        code = flight_code(proposal_id, row.number)
        data, arrivals = _flight_input(problem, row, code, escort)
        if data.departure_utc <= now:
            raise InvalidInput(
                f"M{row.number} departs {data.departure_utc:%Y-%m-%d %H:%M %Z}, not in the future: "
                "propose again from a later date"
            )
        planned.append((row, data, arrivals))
    taken = sorted(
        s.execute(sa.select(Flight.code).where(Flight.code.in_([d.code for _r, d, _a in planned]))).scalars()
    )
    if taken:
        raise InvalidInput(f"flight code {', '.join(taken)} is taken already: rename that flight first")
    accepted: dict[str, str] = {}
    for row, data, arrivals in planned:
        try:
            write_flight(uow, actor, data, now=now)
        except InvalidInput as exc:
            raise InvalidInput(f"M{row.number}: {exc}; {'; '.join(exc.details)}", exc.details) from None
        flight_id = s.execute(sa.select(Flight.id).where(Flight.code == data.code)).scalar_one()
        for sequence, arrival in enumerate(arrivals, 1):
            s.execute(
                sa.update(FlightStop)
                .where(FlightStop.flight_id == flight_id, FlightStop.sequence == sequence)
                .values(arrival_utc=arrival)
            )
        row.flight_id = flight_id
        accepted[f"M{row.number}"] = data.code
    proposal.status = ScheduleStatus.ACCEPTED.value
    proposal.accepted_at = now
    proposal.accepted_by = actor.username
    audit.record(
        uow,
        audit.AuditEntry(
            actor.username,
            "schedule.accept",
            "schedule_proposal",
            str(proposal_id),
            {"missions": accepted},
        ),
    )
    uow.commit()
    return list(accepted.values())
