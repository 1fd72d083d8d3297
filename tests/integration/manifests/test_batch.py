"""The batch: every PLANNED flight's current manifest into a folder, with progress and cancel."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from pypdf import PdfReader

from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Flight, FlightStop, Manifest
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from planner.services.manifests.batch import render_all_manifests
from tests.integration.manifests.world import DEPARTURE, T0, World


def _two_flights(ctx: AppContext) -> World:
    world = World(ctx).setup()
    with ctx.uow() as uow:
        flight = Flight(
            code="RF0002",
            carrier="Sky Charter",
            aircraft="A320",
            departure_airport="IAH",
            departure_utc=DEPARTURE,
            seats=100,
            escort_officers=30,
        )
        uow.session.add(flight)
        uow.session.flush()
        uow.session.add(FlightStop(flight_id=flight.id, sequence=1, airport="PEK"))
        uow.session.add(Flight(**{**flight.model_dump(exclude={"id"}), "code": "RF0003"}))  # nobody on it
        uow.session.flush()
        second = uow.session.execute(
            sa.select(FlightStop.id).where(FlightStop.flight_id == flight.id)
        ).scalar_one()
        uow.commit()
    for i in range(5):
        world.person(f"A{10000001 + i}", "CHN")
    world.person("A10000009", "CHN", legal_hold_reason="court stay")
    world.stop_ids[9] = second  # pseudo-sequence 9 = RF0002's only stop
    world.plan({"A10000001": 1, "A10000002": 1, "A10000003": 9, "A10000004": 9, "A10000005": 9})
    return world


def test_batch_prepares_and_renders_every_flight_with_people(
    ctx: AppContext, officer: Actor, tmp_path: Path
) -> None:
    _two_flights(ctx)
    seen: list[float] = []
    report = render_all_manifests(
        ctx, officer, tmp_path / "out", now=T0, progress=lambda f, _m: seen.append(f), workers=1
    )
    assert [p.name for p in report.files] == ["RF0001_rev1.pdf", "RF0002_rev1.pdf"]
    assert (report.prepared, report.cancelled, report.skipped) == (2, False, {})
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    text = PdfReader(report.files[1]).pages[0].extract_text()
    assert all(c in text for c in ("A10000003", "A10000004", "A10000005"))
    # Again: nothing new to prepare, the same files.
    again = render_all_manifests(ctx, officer, tmp_path / "out", now=T0, workers=1)
    assert again.prepared == 0 and len(again.files) == 2
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(sa.func.count()).select_from(Manifest)).scalar_one() == 2


def test_batch_skips_refused_flights_audited_and_stops_on_cancel(
    ctx: AppContext, officer: Actor, tmp_path: Path
) -> None:
    world = _two_flights(ctx)
    world.plan({"A10000001": 1, "A10000009": 1, "A10000003": 9})
    report = render_all_manifests(ctx, officer, tmp_path, now=T0, workers=1)
    assert list(report.skipped) == ["RF0001"] and "LEGAL_HOLD" in report.skipped["RF0001"][0]
    assert [p.name for p in report.files] == ["RF0002_rev1.pdf"]
    with ctx.uow(write=False) as uow:
        actions = list(uow.session.execute(sa.select(AuditEvent.action)).scalars())
    assert "manifest.batch.refused" in actions

    world.plan({"A10000001": 1, "A10000002": 1, "A10000003": 9})
    calls = iter([False, True])
    cancelled = render_all_manifests(
        ctx, officer, tmp_path / "c", now=T0, should_stop=lambda: next(calls, True), workers=1
    )
    assert cancelled.cancelled and len(cancelled.files) == 1
    assert not list((tmp_path / "c").glob("*.part"))
    with ctx.uow(write=False) as uow:
        # The revision prepared before the cancel stays committed.
        assert manifests.current_manifest(uow, officer, "RF0001").person_count == 2
