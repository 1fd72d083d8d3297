"""Proposals stored and audited with the issue's ``--json`` shape; what-ifs write nothing; accepted
missions become PLANNED flights the planner then fills with eligible people only; every refusal
of ``accept`` is one line and writes nothing (both backends)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from planner.domain.errors import InvalidInput, PermissionDenied
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    AuditEvent,
    Flight,
    FlightPickup,
    FlightStop,
    ScheduleMission,
    ScheduleProposal,
)
from planner.services import planning
from planner.services.auth import Actor
from planner.services.scheduling import proposals
from planner.services.scheduling.views import TOTALS_KEYS
from tests.integration.planning.invariant_worlds import ADMIN, NOW, _check
from tests.integration.scheduling.world import build, person

PEOPLE = [
    *(person("GTM") for _ in range(5)),
    person("GTM", facility=1),
    person("SLV", family="F1"),
    person("SLV", family="F1"),
    person("HND", order="PENDING"),  # not eligible: never placed
]
MISSION_KEYS = {"id", "date", "aircraft", "pickups", "stops", "people", "seats", "block_hours", "cost"}


def _propose(ctx: AppContext, actor: Actor, *, store: bool = True) -> proposals.ProposalView:
    with ctx.uow(write=store) as uow:
        return proposals.propose(uow, actor, start=NOW.date(), weeks=3, time_limit=3, store=store, now=NOW)


def _count(ctx: AppContext, model: type) -> int:
    with ctx.uow(write=False) as uow:
        return uow.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_a_proposal_is_stored_audited_and_printed_in_the_issue_shape(ctx: AppContext, officer: Actor) -> None:
    build(ctx, PEOPLE)
    what_if = _propose(ctx, officer, store=False)
    assert what_if.id is None
    assert _count(ctx, ScheduleProposal) == 0

    view = _propose(ctx, officer)
    shape = view.as_json()
    assert list(shape) == ["proposal_id", "bound", "gap", "totals", "current", "missions"]
    assert shape["proposal_id"] == view.id
    assert list(shape["totals"]) == list(TOTALS_KEYS) == list(shape["current"])
    assert all(set(m) == MISSION_KEYS for m in shape["missions"])
    json.dumps(shape)  # JSON-able as it is
    assert view.missions, "five people waiting at SAT are worth a mission"
    assert [m.id for m in view.missions] == [f"M{n}" for n in range(1, len(view.missions) + 1)]
    assert [m.date for m in view.missions] == sorted(m.date for m in view.missions)
    assert sum(m.people_total for m in view.missions) == view.totals.removed
    assert "HND" not in {c for m in view.missions for c in m.people}

    with ctx.uow(write=False) as uow:
        rows = [
            (r.number, r.aircraft, r.people, json.loads(r.people_json))
            for r in uow.session.execute(
                sa.select(ScheduleMission).order_by(ScheduleMission.number)
            ).scalars()
        ]
        stored = uow.session.get(ScheduleProposal, view.id)
        assert stored is not None
        parameters = json.loads(stored.parameters_json)
        event = uow.session.execute(
            sa.select(
                AuditEvent.actor, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.changes_json
            ).where(AuditEvent.action == "schedule.propose")
        ).one()
    assert rows == [(m.number, m.aircraft, m.people_total, m.people) for m in view.missions]
    assert {"costs", "weeks", "hubs", "aircraft", "countries", "demand", "time_limit", "places"} <= set(
        parameters
    )
    assert parameters["hubs"] == ["SAT", "MIA"] and parameters["weeks"] == 3 and parameters["time_limit"] == 3
    assert tuple(event[:3]) == ("olivia", "schedule_proposal", str(view.id))
    changes = json.loads(event[3])
    assert changes["missions"] == len(view.missions) and changes["weeks"] == 3
    assert set(changes) == {"from", "weeks", "missions", "total_cost", "bound", "gap"}

    with ctx.uow(write=False) as uow:
        again = proposals.load_proposal(uow, officer, view.id)  # type: ignore[arg-type]
        (summary,) = proposals.list_proposals(uow, officer)
    assert again.as_json()["missions"] == shape["missions"]
    assert again.totals == view.totals and again.current == view.current
    assert (summary.id, summary.missions, summary.accepted, summary.status) == (
        view.id,
        len(view.missions),
        0,
        "PROPOSED",
    )


def test_accepted_missions_become_planned_flights_the_planner_fills(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    build(ctx, PEOPLE)
    view = _propose(ctx, officer)
    assert view.id is not None and view.missions
    with ctx.uow() as uow:
        codes = proposals.accept(uow, supervisor, view.id, now=NOW)
    assert codes == [f"S{view.id}-{m.id}" for m in view.missions]
    with ctx.uow(write=False) as uow:
        s = uow.session
        flights = {f.code: f for f in s.execute(sa.select(Flight).where(Flight.code.in_(codes))).scalars()}
        first = view.missions[0]
        flight = flights[codes[0]]
        stops = s.execute(
            sa.select(FlightStop.airport, FlightStop.arrival_utc)
            .where(FlightStop.flight_id == flight.id)
            .order_by(FlightStop.sequence)
        ).all()
        later = (
            s.execute(sa.select(FlightPickup.airport).where(FlightPickup.flight_id == flight.id))
            .scalars()
            .all()
        )
        accepted = proposals.load_proposal(uow, officer, view.id)
        accept_changes = json.loads(
            s.execute(
                sa.select(AuditEvent.changes_json).where(AuditEvent.action == "schedule.accept")
            ).scalar_one()
        )
        s.expunge_all()  # keep the rows' loaded values after the unit of work ends
    assert (flight.status, flight.carrier, flight.aircraft, flight.seats) == (
        "PLANNED",
        "Charter (to book)",
        first.aircraft,
        first.seats,
    )
    assert (flight.medical_slots, flight.wheelchair_slots) == (2, 2)
    assert flight.escort_officers == -(
        -first.people_total * 3 // 2
    )  # people x 1.5 (escort_medium), rounded up
    assert flight.departure_airport == first.pickups[0] and list(later) == first.pickups[1:]
    assert [a for a, _ in stops] == first.stops
    assert all(arrival is not None and arrival > flight.departure_utc for _, arrival in stops)
    assert accepted.status == "ACCEPTED" and accepted.accepted_by == "sam"
    assert [m.flight_code for m in accepted.missions] == codes
    assert accept_changes == {"missions": {m.id: c for m, c in zip(view.missions, codes, strict=True)}}

    planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
    _check(ctx)  # nobody ineligible placed, families whole, capacities kept
    with ctx.uow(write=False) as uow:
        on_missions = uow.session.execute(
            sa.select(sa.func.count())
            .select_from(Assignment)
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .where(Assignment.plan_run_id == planning.current_draft_plan_id(uow), Flight.code.in_(codes))
        ).scalar_one()
    assert on_missions > 0


def test_accept_refusals_are_one_line_and_write_nothing(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    build(ctx, PEOPLE)
    view = _propose(ctx, officer)
    assert view.id is not None and view.missions
    flights_before = _count(ctx, Flight)

    def refused(actor: Actor, proposal_id: int, missions: list[str] | None, now=NOW) -> str:
        with ctx.uow() as uow, pytest.raises(InvalidInput) as caught:
            proposals.accept(uow, actor, proposal_id, missions, now=now)
        assert _count(ctx, Flight) == flights_before
        return str(caught.value)

    assert refused(supervisor, view.id + 1, None) == f"there is no schedule proposal {view.id + 1}"
    assert refused(supervisor, view.id, ["M1", "M98", "M99"]).startswith(
        f"schedule proposal {view.id} has no mission M98, M99"
    )
    late = NOW + timedelta(days=60)
    assert "not in the future" in refused(supervisor, view.id, None, now=late)
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        proposals.accept(uow, officer, view.id, now=NOW)
    assert _count(ctx, Flight) == flights_before

    with ctx.uow() as uow:
        assert proposals.accept(uow, supervisor, view.id, ["M1"], now=NOW) == [f"S{view.id}-M1"]
    flights_before += 1
    assert refused(supervisor, view.id, ["m1"]) == f"already accepted: M1 as flight S{view.id}-M1"
    if len(view.missions) == 1:
        assert (
            refused(supervisor, view.id, None) == f"schedule proposal {view.id} has no mission left to accept"
        )
