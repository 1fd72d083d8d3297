"""The plan review services on a real database: history, per-flight loads, the unplaced with their
reasons, the changes between runs (checked against the stored assignments), consolidation advice."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest
import sqlalchemy as sa

from planner.demo import generate as demo
from planner.domain.enums import Role
from planner.domain.errors import NotFound, PermissionDenied
from planner.domain.reasons import resource_words, short_label
from planner.persistence.context import AppContext
from planner.persistence.models import Assignment, Flight, FlightStop, Person, PlanExclusion
from planner.services import office_settings, plan_results, planning
from planner.services.auth import Actor
from tests.conftest import add_user


@pytest.fixture
def demo_ctx(ctx: AppContext, admin: Actor) -> AppContext:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=800, flights=24, seed=7)
    return ctx


def _plan(ctx: AppContext, actor: Actor) -> planning.PlanSummary:
    return planning.run_plan(ctx, actor, ctx.settings, time_limit=10)


def _assignments(ctx: AppContext, run_id: int) -> dict[int, int]:
    with ctx.uow(write=False) as uow:
        return dict(
            uow.session.execute(
                sa.select(Assignment.person_id, Assignment.flight_stop_id).where(
                    Assignment.plan_run_id == run_id
                )
            ).all()
        )


def test_history_loads_and_unplaced(demo_ctx: AppContext) -> None:
    officer = add_user(demo_ctx, "olivia", Role.OFFICER)
    summary = _plan(demo_ctx, officer)
    with demo_ctx.uow(write=False) as uow:
        runs = plan_results.plan_runs(uow, officer)
        assert [r.id for r in runs] == [summary.plan_run_id]
        run = runs[0]
        assert (run.placed, run.eligible, run.created_by, run.status) == (
            summary.placed,
            summary.eligible,
            "olivia",
            "DRAFT",
        )
        assert run.not_placed_by_reason == summary.not_placed_by_reason
        assert run.objective == summary.objective and run.bound == summary.bound
        assert plan_results.plan_run(uow, officer, run.id) == run

        loads = plan_results.flight_loads(uow, officer, run.id)
        assert sum(f.placed for f in loads) == summary.placed
        escort_load = office_settings.load(uow).escort_load()
        placed_people = uow.session.execute(
            sa.select(FlightStop.flight_id, Person.risk_level, Person.medical_need)
            .join(Assignment, Assignment.flight_stop_id == FlightStop.id)
            .join(Person, Person.id == Assignment.person_id)
            .where(Assignment.plan_run_id == run.id)
        ).all()
        for f in loads:
            mine = [p for p in placed_people if p[0] == f.flight_id]
            assert f.placed == len(mine) <= f.seats
            assert f.load_factor == pytest.approx(len(mine) / f.seats)
            assert f.escorts_used == pytest.approx(sum(escort_load[r] for _, r, _ in mine))
            assert f.escorts_used <= f.escorts_available
            # Escort officers are whole people: the load rounded up, never a fraction.
            assert f.escorts_needed == math.ceil(round(f.escorts_used, 6)) <= f.escorts_available
            assert f.medical_used == sum(1 for *_, m in mine if m == "MEDICAL_ESCORT") <= f.medical_available
            assert (
                f.wheelchair_used == sum(1 for *_, m in mine if m == "WHEELCHAIR") <= f.wheelchair_available
            )
            assert f.stops

        everyone = plan_results.unplaced(uow, officer, run.id)
        assert len(everyone) == sum(summary.not_placed_by_reason.values())
        assert Counter(u.reason for u in everyone) == Counter(summary.not_placed_by_reason)
        assert [(u.priority, u.case_number) for u in everyone] == sorted(
            (u.priority, u.case_number) for u in everyone
        )
        assert all(u.detail for u in everyone)
        reason = max(summary.not_placed_by_reason, key=summary.not_placed_by_reason.get)
        some = plan_results.unplaced(uow, officer, run.id, reason=reason)
        assert {u.reason for u in some} == {reason} and len(some) == summary.not_placed_by_reason[reason]
        assert len(plan_results.unplaced(uow, officer, run.id, limit=5)) == 5
        # The CAPACITY detail names the full stops and what binds there.
        for u in everyone:
            if u.reason == planning.CAPACITY:
                raw = uow.session.execute(
                    sa.select(PlanExclusion.detail_json).where(
                        PlanExclusion.plan_run_id == run.id, PlanExclusion.person_id == u.person_id
                    )
                ).scalar_one()
                for block in json.loads(raw).get("stops", []):
                    # In words: "RF0003 to GUA is full: no wheelchair slots left", never the codes.
                    assert f"{block['stop'].replace('/', ' to ')} is full" in u.detail
                    assert all(resource_words(r) in u.detail for r in block["binding"])
                    assert not any(r in u.detail for r in block["binding"])
            else:
                assert "_" not in u.detail and u.reason_text == short_label(u.reason)


def test_changes_between_runs_match_the_stored_assignments(demo_ctx: AppContext, admin: Actor) -> None:
    first = _plan(demo_ctx, admin)
    with demo_ctx.uow(write=False) as uow:
        diff = plan_results.plan_diff(uow, admin, first.plan_run_id)
    assert diff.previous_run_id is None and diff.changes == []
    before = _assignments(demo_ctx, first.plan_run_id)
    # Cancel the busiest flight and release a few placed people: some move, some are dropped.
    with demo_ctx.uow() as uow:
        stop_flight = dict(uow.session.execute(sa.select(FlightStop.id, FlightStop.flight_id)).all())
        busiest = Counter(stop_flight[s] for s in before.values()).most_common(1)[0][0]
        uow.session.execute(sa.update(Flight).where(Flight.id == busiest).values(status="CANCELLED"))
        released = sorted(before)[:3]
        uow.session.execute(
            sa.update(Person).where(Person.id.in_(released)).values(custody_status="RELEASED")
        )
        uow.commit()
    second = _plan(demo_ctx, admin)
    after = _assignments(demo_ctx, second.plan_run_id)
    with demo_ctx.uow(write=False) as uow:
        diff = plan_results.plan_diff(uow, admin, second.plan_run_id)
        reasons = dict(
            uow.session.execute(
                sa.select(PlanExclusion.person_id, PlanExclusion.reason).where(
                    PlanExclusion.plan_run_id == second.plan_run_id
                )
            ).all()
        )
    assert diff.previous_run_id == first.plan_run_id
    expected = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    assert {c.person_id for c in diff.changes} == expected
    for c in diff.changes:
        if c.kind == "moved":
            assert c.person_id in before and c.person_id in after and c.from_stop and c.to_stop
        elif c.kind == "added":
            assert c.person_id not in before and not c.from_stop and c.to_stop
        else:
            assert c.kind == "dropped" and c.from_stop and not c.to_stop
            assert c.reason == reasons[c.person_id]
    assert (diff.count("moved"), diff.count("added"), diff.count("dropped")) == (
        second.moves,
        second.added,
        second.dropped,
    )
    assert {c.person_id: c.reason for c in diff.changes if c.person_id in released} == dict.fromkeys(
        released, "NOT_IN_CUSTODY"
    )
    assert diff.count("moved") > 0


def test_consolidation_advice_for_the_current_plan(demo_ctx: AppContext, admin: Actor) -> None:
    with pytest.raises(NotFound):
        plan_results.consolidation(demo_ctx, admin, demo_ctx.settings, time_limit=5)
    summary = _plan(demo_ctx, admin)
    advice = plan_results.consolidation(demo_ctx, admin, demo_ctx.settings, time_limit=10)
    assert advice.plan_run_id == summary.plan_run_id
    assert advice.cancellable, "the demo has under-used flights"
    assert advice.total_saved == pytest.approx(sum(c.cost_saved for c in advice.cancellable))
    loads = {f.flight_id: f for f in _loads(demo_ctx, admin, summary.plan_run_id)}
    for c in advice.cancellable:
        assert c.cost_saved == pytest.approx(c.hours * demo_ctx.settings.cost_per_flight_hour)
        assert c.people == loads[c.flight_id].placed and c.code == loads[c.flight_id].code


def _loads(ctx: AppContext, actor: Actor, run_id: int) -> list[plan_results.FlightLoad]:
    with ctx.uow(write=False) as uow:
        return plan_results.flight_loads(uow, actor, run_id)


def test_unknown_run_and_unknown_user_are_refused(ctx: AppContext, admin: Actor) -> None:
    with ctx.uow(write=False) as uow, pytest.raises(NotFound):
        plan_results.flight_loads(uow, admin, 999)
    stranger = Actor("nobody", Role.OFFICER)
    for call in (
        lambda uow: plan_results.plan_runs(uow, stranger),
        lambda uow: plan_results.unplaced(uow, stranger, 1),
        lambda uow: plan_results.plan_diff(uow, stranger, 1),
    ):
        with ctx.uow() as uow, pytest.raises(PermissionDenied):
            call(uow)
    with pytest.raises(PermissionDenied):
        plan_results.consolidation(ctx, stranger, ctx.settings)
