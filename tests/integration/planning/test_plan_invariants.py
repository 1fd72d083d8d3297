"""The planner's promises, checked end to end on random small databases (hypothesis):

- nobody is placed who fails any eligibility rule at their stop (checked with the pure rules,
  independently of the vectorised evaluator and the solver);
- nobody is placed with a legal hold in force on the departure day, read as the local date at the
  departure airport or as the UTC date (an oracle in this test, not the rule); flights leave from
  hubs in zones from UTC+14 to UTC−11 at local times near midnight;
- families travel whole on one stop or not at all;
- seats, escorts, medical and wheelchair slots and country caps hold on every flight;
- everybody considered is either placed or has a reason, never both; a CAPACITY reason only for
  people eligible somewhere, any other reason only for people eligible nowhere, and a rule's code
  (any rule of ``planner.domain.eligibility.registry``) only where that rule fails at some stop;
- the audit chain still verifies;
- after random strike-offs (any reason) and departures (board, close, depart) and a re-plan: nobody
  REMOVED or on a departed flight is placed, nobody is placed again on a flight they were struck off,
  families stay whole and struck families came off whole.

Missions with several pickups (routes of 1–3 pickups and 1–3 stops):

Solver level (no database), on random routes with 1–3 pickups and 1–3 stops, random facilities
reaching random pickups, families and capacities:

- plans never exceed any leg's seats, escort officers, medical or wheelchair slots;
- every placed person boards at a pickup of their flight that their facility reaches in time;
- families stay together;
- ``solver.validate`` agrees with an independent check (``planner.domain.route.leg_loads``) on the
  solver's plans and on random, mostly broken, plans.

Mission scheduling (issue 17, SQLite and PostgreSQL): after a supervisor accepts every mission of
a schedule proposal made for a random world, the next plan places nobody ineligible and splits no
family (``_check``).

End to end (SQLite and PostgreSQL): the random worlds of ``test_plan_invariants`` with later
pickups at other hubs and random transfer hours; the stored plan keeps every promise of that
module (``_check``, with rule 7 per pickup), no leg is over its capacities counted from the stored
``Assignment.pickup_sequence``, every placed person's facility reaches their pickup in time (from
the rows: transfer hours, pickup departure), and the summary's per-leg seats are those loads.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import solver
from planner.persistence.models import (
    Airport,
    Assignment,
    Flight,
    FlightStop,
    Person,
    PlanExclusion,
    PlanRun,
)
from planner.services import office_settings, planning
from tests.integration.planning.invariant_worlds import (
    ADMIN,
    COUNTRIES,
    NOW,
    SUPERVISOR,
    World,
    _check,
    _check_after_departure,
    _fresh_database,
    _frozen_assignments,
    _join_family,
    _populate,
    country_rule_specs,
    departure_worlds,
    escort_loads,
    held_worlds,
    worlds,
)
from tests.integration.planning.pickup_worlds import (
    _add_pickups_and_transfers,
    _check_legs_and_pickups,
    independent_problems,
    problems,
)
from tests.integration.planning.request_worlds import (
    add_requests,
    answer_confirmed,
    check_only_the_confirmed_are_placed,
    check_the_answer_lifts_verification,
    request_specs,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds)
def test_every_plan_keeps_the_promises(request: pytest.FixtureRequest, backend: str, world: World) -> None:
    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        first = planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        event(f"placed: {'some' if first.placed else 'none'}")
        event(
            f"reasons: {'CAPACITY' if first.not_placed_by_reason.get(planning.CAPACITY) else 'no CAPACITY'}"
        )
        _check(ctx)
        # A second run over unchanged data keeps every promise too, and moves nobody.
        summary = planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        assert (summary.moves, summary.added, summary.dropped) == (0, 0, 0)
        _check(ctx)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds, loads=escort_loads)
def test_a_plan_run_uses_the_escort_load_stored_in_the_database(
    request: pytest.FixtureRequest, backend: str, world: World, loads: list[float]
) -> None:
    """Whatever escort load an admin stores, the run records exactly it and the escort capacity of
    every flight holds under it (``_check``); the summary shows it."""
    low, medium, high = loads
    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        with ctx.uow() as uow:
            version = office_settings.load(uow).version
            office_settings.update(
                uow, ADMIN, {"escort_low": low, "escort_medium": medium, "escort_high": high}, version
            )
        summary = planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        assert (summary.safety_settings["escort_low"], summary.safety_settings["escort_high"]) == (low, high)
        assert f"HIGH {high:g}" in summary.text()
        _check(ctx)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    world=worlds,
    clear_all=st.booleans(),
    rule_changes=st.dictionaries(st.sampled_from(COUNTRIES), country_rule_specs, max_size=len(COUNTRIES)),
)
def test_whatever_country_rules_are_stored_nobody_ineligible_under_them_is_placed(
    request: pytest.FixtureRequest,
    backend: str,
    world: World,
    clear_all: bool,
    rule_changes: dict[str, dict | None],
) -> None:
    """Issue 15: admins store any rules (or none: every shipped rule deleted, every country on the
    conservative default) through the service; the plan places nobody whom the rule of their stop's
    country — stored or the default — makes ineligible, keeps the caps (``_check``), and records
    the rule version it used for every planned stop's country ("default" without a rule)."""
    from planner.services import country_rules
    from planner.services.reference import DEFAULT_VERSION

    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        with ctx.uow(write=False) as uow:
            stored = {r.country: r.version for r in country_rules.list_rules(uow, ADMIN)}
        for country in sorted(stored if clear_all else set()):
            with ctx.uow() as uow:
                country_rules.delete_rule(uow, ADMIN, country, int(stored.pop(country)))
        for country, spec in sorted(rule_changes.items()):
            with ctx.uow() as uow:
                if spec is None and country in stored:
                    country_rules.delete_rule(uow, ADMIN, country, int(stored.pop(country)))
                elif spec is not None:
                    version = country_rules.save_rule(
                        uow, ADMIN, {"country": country, **spec}, int(stored.get(country, 0))
                    ).version
                    stored[country] = version
        event(f"countries on the default: {sum(c not in stored for c in COUNTRIES)}")
        planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        _check(ctx)
        with ctx.uow(write=False) as uow:
            plan_id = planning.current_draft_plan_id(uow)
            used = json.loads(uow.session.get(PlanRun, plan_id).settings_json)  # type: ignore[union-attr]
            planned = set(
                uow.session.execute(
                    sa.select(Airport.country)
                    .join(FlightStop, FlightStop.airport == Airport.iata)
                    .join(Flight, Flight.id == FlightStop.flight_id)
                    .where(Flight.departure_utc > NOW)
                ).scalars()
            )
        assert used["country_rules"] == {c: stored.get(c, DEFAULT_VERSION) for c in sorted(planned)}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=held_worlds)
def test_nobody_flies_under_a_hold_in_force_on_the_local_departure_day(
    request: pytest.FixtureRequest, backend: str, world: World
) -> None:
    """Issue 13: the oracle of ``assert_no_hold_in_force_on_the_departure_day`` (the departure's
    date at the departure airport and in UTC, computed here from the rows) on worlds where holds end
    on exactly those days, plus every other promise of ``_check``."""
    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        with ctx.uow(write=False) as uow:
            placed = dict(
                uow.session.execute(
                    sa.select(Assignment.person_id, Assignment.flight_stop_id).where(
                        Assignment.plan_run_id == planning.current_draft_plan_id(uow)
                    )
                ).all()
            )
            excluded = dict(
                uow.session.execute(
                    sa.select(PlanExclusion.person_id, PlanExclusion.reason).where(
                        PlanExclusion.plan_run_id == planning.current_draft_plan_id(uow)
                    )
                ).all()
            )
        event(f"placed: {'some' if placed else 'none'}")
        event(f"kept off by a hold: {'some' if 'LEGAL_HOLD' in excluded.values() else 'none'}")
        _check(ctx)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=departure_worlds, data=st.data())
def test_strike_offs_and_departures_keep_the_promises(
    request: pytest.FixtureRequest, backend: str, world: World, data: st.DataObject
) -> None:
    from planner.domain.enums import StrikeReason
    from planner.domain.errors import PlannerError
    from planner.services.departure.boarding import board, close
    from planner.services.departure.depart import depart
    from planner.services.departure.listing import DepartureRefused
    from planner.services.departure.strike import strike
    from planner.services.manifests import workflow as manifests

    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        with ctx.uow(write=False) as uow:
            rows = uow.session.execute(
                sa.select(Flight.code, Person.case_number)
                .join(FlightStop, FlightStop.flight_id == Flight.id)
                .join(Assignment, Assignment.flight_stop_id == FlightStop.id)
                .where(Assignment.plan_run_id == planning.current_draft_plan_id(uow))
                .order_by(Flight.code, Person.case_number)
                .join(Person, Person.id == Assignment.person_id)
            ).all()
        if not rows:
            event("nobody placed")
            return
        code = data.draw(st.sampled_from(sorted({c for c, _ in rows})), label="flight")
        cases = [case for c, case in rows if c == code]
        approved = False
        if data.draw(st.booleans(), label="approve"):
            try:
                with ctx.uow() as uow:
                    manifests.prepare_manifest(uow, ADMIN, code, now=NOW)
                with ctx.uow() as uow:
                    manifests.approve_manifest(uow, SUPERVISOR, code, now=NOW)
                approved = True
            except PlannerError:
                event("approval refused")
        victims = data.draw(st.lists(st.sampled_from(cases), max_size=2, unique=True), label="strike")
        for case in victims:
            reason = data.draw(st.sampled_from(list(StrikeReason)), label="reason")
            try:
                with ctx.uow() as uow:
                    strike(uow, ADMIN, code, case, reason.value, "random note", now=NOW)
            except PlannerError as exc:  # already struck with the family, or a refused revision
                event(f"strike refused: {type(exc).__name__}")
        plan_at = NOW
        if approved and data.draw(st.booleans(), label="depart"):
            with ctx.uow(write=False) as uow:
                flight = uow.session.execute(sa.select(Flight).where(Flight.code == code)).scalar_one()
                departure = flight.departure_utc
                from planner.services.departure.listing import in_force_revision, manifest_listing, struck_off

                listed = manifest_listing(uow, ADMIN, flight, in_force_revision(uow, flight.id))  # type: ignore[arg-type]
                gone = struck_off(uow, flight.id)
                aboard = [e.case_number for pid, e in listed.items() if pid not in gone]
            if aboard:
                with ctx.uow() as uow:
                    board(uow, ADMIN, code, aboard, now=departure - timedelta(hours=2))
            try:
                with ctx.uow() as uow:
                    close(uow, SUPERVISOR, code, now=departure - timedelta(hours=1))
            except DepartureRefused as refused:
                for line in refused.details:
                    try:
                        with ctx.uow() as uow:
                            strike(
                                uow,
                                ADMIN,
                                code,
                                line.split(":")[0],
                                "OTHER",
                                "ineligible at close",
                                now=departure - timedelta(hours=1),
                            )
                    except PlannerError:
                        pass
                with ctx.uow() as uow:
                    close(uow, SUPERVISOR, code, now=departure - timedelta(hours=1))
            with ctx.uow() as uow:
                depart(uow, SUPERVISOR, code, now=departure)
            plan_at = departure + timedelta(hours=1)
            event("departed")
        planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=plan_at)
        _check_after_departure(ctx, plan_at)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=departure_worlds, data=st.data())
def test_frozen_flights_never_stall_or_collapse_the_plan(
    request: pytest.FixtureRequest, backend: str, world: World, data: st.DataObject
) -> None:
    """Issue #12: after an approval, a newcomer to a frozen family, a departure time that passes
    unrecorded, or a departure recorded behind the planner's back (flight DEPARTED, its people
    REMOVED) never stops the next plan, never collapses it (INFEASIBLE) and never moves a frozen
    person; a newcomer who cannot join is excluded as FAMILY_ON_FROZEN_FLIGHT."""
    from planner.domain.errors import PlannerError
    from planner.services.manifests import workflow as manifests

    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        with ctx.uow(write=False) as uow:
            rows = uow.session.execute(
                sa.select(Flight.code, Flight.departure_utc, Person.id, Person.family_group)
                .join(FlightStop, FlightStop.flight_id == Flight.id)
                .join(Assignment, Assignment.flight_stop_id == FlightStop.id)
                .join(Person, Person.id == Assignment.person_id)
                .where(Assignment.plan_run_id == planning.current_draft_plan_id(uow))
                .order_by(Flight.code, Person.id)
            ).all()
        if not rows:
            event("nobody placed")
            return
        code = data.draw(st.sampled_from(sorted({r[0] for r in rows})), label="flight")
        try:
            with ctx.uow() as uow:
                manifests.prepare_manifest(uow, ADMIN, code, now=NOW)
            with ctx.uow() as uow:
                manifests.approve_manifest(uow, SUPERVISOR, code, now=NOW)
        except PlannerError:
            event("approval refused")
            return
        on_flight = [(pid, group, departure) for c, departure, pid, group in rows if c == code]
        frozen = _frozen_assignments(ctx)
        what = data.draw(st.sampled_from(["newcomer", "time passes", "departed"]), label="what")
        event(what)
        plan_at, newcomer = NOW, None
        if what == "newcomer":
            pid, group, _ = on_flight[0]
            newcomer = _join_family(ctx, pid, group or "NEWFAMILY")
            if group is None:
                with ctx.uow() as uow:
                    uow.session.execute(
                        sa.update(Person).where(Person.id == pid).values(family_group="NEWFAMILY")
                    )
                    uow.commit()
        elif what == "time passes":
            plan_at = on_flight[0][2] + timedelta(hours=1)
        else:
            plan_at = on_flight[0][2] + timedelta(hours=1)
            with ctx.uow() as uow:
                uow.session.execute(sa.update(Flight).where(Flight.code == code).values(status="DEPARTED"))
                uow.session.execute(
                    sa.update(Person)
                    .where(Person.id.in_([pid for pid, _, _ in on_flight]))
                    .values(custody_status="REMOVED")
                )
                uow.commit()

        summary = planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=plan_at)
        assert summary.status not in ("INFEASIBLE", "UNKNOWN", "MODEL_INVALID")
        after = _frozen_assignments(ctx)
        if what == "departed":
            assert not set(after) & {pid for pid, _, _ in on_flight}
        else:
            assert {p: s for p, s in after.items() if p in frozen} == frozen  # nobody frozen moved
        if newcomer is not None:
            with ctx.uow(write=False) as uow:
                reason = uow.session.execute(
                    sa.select(PlanExclusion.reason).where(
                        PlanExclusion.plan_run_id == planning.current_draft_plan_id(uow),
                        PlanExclusion.person_id == newcomer,
                    )
                ).scalar_one_or_none()
            assert reason in (None, planning.FAMILY_ON_FROZEN_FLIGHT)
            assert reason == planning.FAMILY_ON_FROZEN_FLIGHT or newcomer in after or reason is None
        if what == "departed":  # (a blocked newcomer's family is split by design: it stays as approved)
            _check_after_departure(ctx, plan_at)


@settings(max_examples=120, deadline=None)
@given(problem=problems())
def test_solver_plans_keep_every_leg_and_board_where_the_facility_reaches(problem: solver.Problem) -> None:
    plan = solver.solve(problem, solver.SolveOptions(time_limit=5))
    event(f"placed: {'some' if plan.placed else 'none'}")
    assert plan.status not in (solver.SolveStatus.INFEASIBLE, solver.SolveStatus.UNKNOWN)
    assert set(plan.pickup) == set(plan.assignment)
    assert independent_problems(problem, plan.assignment, plan.pickup) == []
    assert solver.validate(problem, plan) == []


@settings(max_examples=200, deadline=None)
@given(problem=problems(), data=st.data())
def test_the_validator_agrees_with_an_independent_check(problem: solver.Problem, data: st.DataObject) -> None:
    assignment: dict[int, int] = {}
    pickup: dict[int, int] = {}
    for p in problem.people:
        stop = data.draw(st.none() | st.sampled_from(problem.stops))
        if stop is None:
            continue
        assignment[p.id] = stop.id
        choices = [pk.id for pk in problem.pickups if pk.flight == stop.flight]
        pickup[p.id] = data.draw(st.sampled_from(choices))
    independent = independent_problems(problem, assignment, pickup)
    event(f"broken: {bool(independent)}")
    assert bool(solver.validate(problem, assignment, pickup)) == bool(independent), independent


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds, data=st.data())
def test_plans_with_several_pickups_keep_every_leg_and_reach_every_pickup(
    request: pytest.FixtureRequest, backend: str, world: World, data: st.DataObject
) -> None:
    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        _add_pickups_and_transfers(ctx, data)
        summary = planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        _check(ctx)
        _check_legs_and_pickups(ctx, summary)
        # the same data again: nobody moves, nobody changes pickup
        again = planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        assert (again.moves, again.added, again.dropped) == (0, 0, 0)
        assert again.leg_loads == summary.leg_loads


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds, specs=request_specs, data=st.data())
def test_open_or_refused_requests_never_fly_and_a_confirmation_lifts_verification(
    request: pytest.FixtureRequest, backend: str, world: World, specs: list[dict], data: st.DataObject
) -> None:
    """Issue 16: whatever requests are open or answered, nobody whose latest verification for a
    stop's country (which requires it) is PENDING or NOT_CONFIRMED is placed there; answering an
    open request CONFIRMED (with a valid passport) lifts verification for the next plan."""
    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        still_open = add_requests(ctx, world, specs)
        event(f"open requests: {'some' if still_open else 'none'}")
        planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        _check(ctx)
        check_only_the_confirmed_are_placed(ctx)
        if not still_open:
            return
        answered = data.draw(st.sampled_from(still_open), label="answered")
        answer_confirmed(ctx, answered)
        planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        _check(ctx)
        check_only_the_confirmed_are_placed(ctx)
        check_the_answer_lifts_verification(ctx, answered)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=departure_worlds)
def test_after_accepting_a_schedule_the_plan_keeps_the_promises(
    request: pytest.FixtureRequest, backend: str, world: World
) -> None:
    """Issue 17: the flights a schedule proposal's missions become are planned like any other:
    nobody ineligible is placed on them, no family is split, capacities hold (``_check``)."""
    from planner.services.imports import import_file
    from planner.services.scheduling import proposals
    from tests.integration.scheduling.world import CATALOG

    with _fresh_database(request, backend) as ctx:
        _populate(ctx, world)
        with ctx.uow() as uow:
            import_file(uow, ADMIN, "aircraft", CATALOG.encode(), name="aircraft.csv")
        with ctx.uow() as uow:
            # Leaving anyone behind costs far more than a mission: missions are proposed.
            costs = proposals.ScheduleCosts(122.0, 300.0, unserved_penalty=100_000.0)
            view = proposals.propose(
                uow, ADMIN, start=NOW.date(), weeks=2, time_limit=1, costs=costs, now=NOW
            )
        event(f"missions proposed: {'some' if view.missions else 'none'}")
        if view.missions:
            with ctx.uow() as uow:
                codes = proposals.accept(uow, SUPERVISOR, view.id, now=NOW)  # type: ignore[arg-type]
            assert len(codes) == len(view.missions)
        planning.run_plan(ctx, ADMIN, ctx.settings, time_limit=5, now=NOW)
        _check(ctx)
