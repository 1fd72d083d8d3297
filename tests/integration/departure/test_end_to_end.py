"""Issue #12's end-to-end test, on both backends, with the clock moved by passing ``now``:

plan -> approve with reserves -> a stay arrives (person edit) -> ``sign`` refuses -> strike
LEGAL_STAY -> the reserve moves up -> approve, sign -> board all but one -> ``close`` refuses ->
strike NO_SHOW -> close -> depart -> the next ``plan`` succeeds, nobody who flew appears in it, the
no-show is planned again, ``audit verify`` passes.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Flight,
    FlightStop,
    Person,
    PlanExclusion,
    PlanRun,
    StrikeOff,
)
from planner.services import people as people_service
from planner.services import planning
from planner.services.departure.boarding import board, close
from planner.services.departure.depart import depart
from planner.services.departure.listing import DepartureRefused
from planner.services.departure.strike import strike
from planner.services.manifests import workflow as manifests
from planner.services.manifests.workflow import ManifestRefused
from tests.conftest import add_user
from tests.integration.departure.world import BOARDING, CLOSING, DEPARTURE, T0, add, departure_world, staff

#: RF0002 leaves three weeks after RF0001, so after RF0001 has gone its China cut-off is still ahead.
LATER = DEPARTURE + timedelta(days=21)
STAY_DAY = T0 + timedelta(days=1)


def _placed(ctx: AppContext, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """case -> flight code in the current plan."""
    case = {pid: c for c, pid in world.person_ids.items()}
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(Assignment.person_id, Flight.code)
            .join(PlanRun, PlanRun.id == Assignment.plan_run_id)
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .where(PlanRun.status == "DRAFT")
        ).all()
    return {case[pid]: code for pid, code in rows if pid in case}


def _listed(ctx: AppContext, officer, revision: int | None = None) -> tuple[set[str], set[str]]:  # type: ignore[no-untyped-def]
    """(passengers, reserves) of a revision of RF0001 (default the newest)."""
    with ctx.uow(write=False) as uow:
        content = manifests.manifest_content(uow, officer, "RF0001", revision=revision)
    passengers = {r.case_number for s in content.stops for r in s.rows}
    reserves = {r.case_number for s in content.stops for r in getattr(s, "reserves", ())}
    return passengers, reserves


def test_departure_day_end_to_end(ctx: AppContext) -> None:
    world = departure_world(ctx, later=LATER)
    officer, supervisor = staff(ctx)
    signer = add_user(ctx, "sue", Role.SUPERVISOR)  # four eyes: sam approves, sue signs
    for i in range(1, 5):
        add(world, f"A1000000{i}", priority=1)
    add(world, "A10000005", priority=3)

    # plan: the four most urgent on RF0001 (4 seats), the fifth on RF0002.
    summary = planning.run_plan(ctx, officer, ctx.settings, time_limit=10, now=T0)
    assert summary.placed == 5
    assert _placed(ctx, world) == {
        "A10000001": "RF0001",
        "A10000002": "RF0001",
        "A10000003": "RF0001",
        "A10000004": "RF0001",
        "A10000005": "RF0002",
    }

    # approve with reserves: the fifth is RF0001's reserve for Beijing.
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    passengers, reserves = _listed(ctx, officer)
    assert passengers == {"A10000001", "A10000002", "A10000003", "A10000004"}
    assert reserves == {"A10000005"}

    # a court stay arrives for A10000002 (person edit).
    with ctx.uow(write=False) as uow:
        version = people_service.get_person(uow, officer, "A10000002").version
    with ctx.uow() as uow:
        people_service.update_person(
            uow,
            officer,
            "A10000002",
            {"legal_hold_reason": "court stay", "legal_hold_until": date(2031, 1, 1)},
            expected_version=version,
            now=STAY_DAY,
        )

    # sign refuses, naming the person and pointing to the strike-off.
    with ctx.uow() as uow, pytest.raises(ManifestRefused) as refused:
        manifests.sign_manifest(uow, signer, "RF0001", now=STAY_DAY)
    text = str(refused.value) + "\n".join(refused.value.details)
    assert "A10000002" in text and "strike" in text

    # strike LEGAL_STAY: the reserve moves up (from RF0002) into the new draft.
    with ctx.uow() as uow:
        struck = strike(uow, officer, "RF0001", "A10000002", "LEGAL_STAY", "stay until 2031", now=STAY_DAY)
    assert struck.moved_up == ("A10000005 -> stop 1 PEK (from RF0002)",)
    assert struck.manifest is not None and struck.manifest.status == "DRAFT"
    assert _placed(ctx, world)["A10000005"] == "RF0001" and "A10000002" not in _placed(ctx, world)

    # approve, sign.
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=STAY_DAY)
    with ctx.uow() as uow:
        signed = manifests.sign_manifest(uow, signer, "RF0001", now=STAY_DAY)
    assert signed.status == "SIGNED"
    passengers, _ = _listed(ctx, officer)
    assert passengers == {"A10000001", "A10000003", "A10000004", "A10000005"}

    # board all but one; close refuses naming the one.
    with ctx.uow() as uow:
        board(uow, officer, "RF0001", ["A10000001", "A10000003", "A10000005"], now=BOARDING)
    with ctx.uow() as uow, pytest.raises(DepartureRefused) as open_cases:
        close(uow, supervisor, "RF0001", now=CLOSING)
    assert [d.split(":")[0] for d in open_cases.value.details] == ["A10000004"]

    # strike NO_SHOW (too late for any reserve: nobody reaches the airport in time), close, depart.
    with ctx.uow() as uow:
        no_show = strike(uow, officer, "RF0001", "A10000004", "NO_SHOW", now=BOARDING)
    assert no_show.moved_up == ()
    with ctx.uow() as uow:
        close(uow, supervisor, "RF0001", now=CLOSING)
    with ctx.uow() as uow:
        departed = depart(uow, supervisor, "RF0001", now=DEPARTURE)
    assert departed.removed == ("A10000001", "A10000003", "A10000005")

    # the next plan succeeds; nobody who flew is in it; the no-show is planned again.
    after = planning.run_plan(ctx, officer, ctx.settings, time_limit=10, now=DEPARTURE + timedelta(hours=1))
    placed = _placed(ctx, world)
    assert placed == {"A10000004": "RF0002"}
    assert after.placed == 1
    flown = {world.person_ids[c] for c in departed.removed}
    with ctx.uow(write=False) as uow:
        plan = uow.session.execute(sa.select(PlanRun.id).where(PlanRun.status == "DRAFT")).scalar_one()
        excluded = dict(
            uow.session.execute(
                sa.select(PlanExclusion.person_id, PlanExclusion.reason).where(
                    PlanExclusion.plan_run_id == plan
                )
            ).all()
        )
        assert not flown & set(excluded)
        assert excluded[world.person_ids["A10000002"]] == "LEGAL_HOLD"
        custody = dict(uow.session.execute(sa.select(Person.case_number, Person.custody_status)).all())
        assert {c for c, s in custody.items() if s == "REMOVED"} == set(departed.removed)
        reasons = sorted(uow.session.execute(sa.select(StrikeOff.reason)).scalars())
        assert reasons == ["LEGAL_STAY", "NO_SHOW"]
        assert audit.verify_chain(uow).ok
