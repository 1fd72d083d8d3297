"""Flights import: the world's airports (copied in from the dataset when a file names them) and the
optional ``pickups`` column (later pickups of a route), with its line-numbered errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import (
    Airport,
    Assignment,
    AuditEvent,
    Flight,
    FlightPickup,
    FlightStop,
    Manifest,
    PlanRun,
)
from planner.services.auth import Actor
from planner.services.imports import ImportRejected

from .conftest import do_import, snapshot
from .synth import ROSTER_HEADER, facilities_csv, roster_rows, to_csv

HEADER = (
    "flight_id,carrier,aircraft,departure_airport,departure_time,seats,escort_officers,"
    "medical_slots,wheelchair_slots,stops,status"
)
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "flights-pickups.csv"


def flights(*rows: str, pickups: bool = True) -> bytes:
    """A flights file: ``rows`` are the fields before ``pickups`` (``…,stops,status``) then, when
    ``pickups``, ``|`` and the pickups field."""
    header = HEADER + (",pickups" if pickups else "")
    lines = []
    for row in rows:
        fields, _bar, later = row.partition("|")
        lines.append(f'{fields},"{later}"' if pickups else fields)
    return ("\n".join([header, *lines]) + "\n").encode()


PAP_FLIGHT = "RF0100,iAero,A320,SAT,2027-03-17T09:00:00-05:00,135,270,3,1,PAP,PLANNED"


def full_snapshot(ctx: AppContext) -> dict[str, object]:
    """The import tests' snapshot plus the airport and pickup tables."""
    out = snapshot(ctx)
    with ctx.uow(write=False) as uow:
        for model in (Airport, FlightPickup):
            table = model.__table__
            out[table.name] = sorted(map(repr, uow.session.execute(sa.select(table)).all()))
    return out


def rejected(ctx: AppContext, admin: Actor, data: bytes) -> list[tuple[int, str, str]]:
    before = full_snapshot(ctx)
    with pytest.raises(ImportRejected) as info:
        do_import(ctx, admin, "flights", data)
    assert full_snapshot(ctx) == before
    return [(e.line, e.column, e.message) for e in info.value.report.errors]


def events(ctx: AppContext, action: str) -> list[tuple[str, dict]]:
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(AuditEvent.entity_id, AuditEvent.changes_json)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).all()
    return [(entity_id, json.loads(changes)) for entity_id, changes in rows]


def pickups_of(ctx: AppContext, code: str) -> list[tuple[int, str, datetime]]:
    with ctx.uow(write=False) as uow:
        return [
            (seq, airport, when)
            for seq, airport, when in uow.session.execute(
                sa.select(FlightPickup.sequence, FlightPickup.airport, FlightPickup.departure_utc)
                .join(Flight, Flight.id == FlightPickup.flight_id)
                .where(Flight.code == code)
                .order_by(FlightPickup.sequence)
            )
        ]


def test_flight_to_pap_with_a_pickup_imports_on_a_fresh_database(ctx: AppContext, admin: Actor) -> None:
    """Acceptance: PAP and the pickup airport MSY are not among the shipped rows of a fresh
    database; the import copies them in from the dataset, audited, and writes the pickup."""
    with ctx.uow(write=False) as uow:
        assert uow.session.get(Airport, "PAP") is None and uow.session.get(Airport, "MSY") is None
    seeded = len(events(ctx, "airport.create"))  # the shipped rows of a fresh database
    report = do_import(ctx, admin, "flights", flights(PAP_FLIGHT + "|MSY@2027-03-17T11:30:00-05:00"))
    assert report.new == 1
    with ctx.uow(write=False) as uow:
        pap = uow.session.get(Airport, "PAP")
        assert pap is not None
        assert (pap.city, pap.country, pap.timezone, pap.source) == (
            "Port-au-Prince",
            "HTI",
            "America/Port-au-Prince",
            "dataset",
        )
    assert pickups_of(ctx, "RF0100") == [(1, "MSY", datetime(2027, 3, 17, 16, 30, tzinfo=UTC))]
    created = dict(events(ctx, "airport.create")[seeded:])
    assert set(created) == {"MSY", "PAP"} and created["PAP"]["source"] == "dataset"
    assert events(ctx, "flight.create")[0][1]["pickups"] == [None, "MSY@2027-03-17T16:30:00Z"]
    # the same file again: nothing changes, nothing is copied again
    report = do_import(ctx, admin, "flights", flights(PAP_FLIGHT + "|MSY@2027-03-17T11:30:00-05:00"))
    assert (report.new, report.updated, report.unchanged) == (0, 0, 1)
    assert len(events(ctx, "airport.create")) == seeded + 2


def test_a_file_without_the_column_imports_as_before_and_keeps_pickups(ctx: AppContext, admin: Actor) -> None:
    do_import(
        ctx, admin, "flights", flights(PAP_FLIGHT + "|MSY@2027-03-17T11:30-05:00;MIA@2027-03-17T14:00-05:00")
    )
    report = do_import(ctx, admin, "flights", flights(PAP_FLIGHT, pickups=False))
    assert (report.updated, report.unchanged) == (0, 1)
    assert [a for _s, a, _t in pickups_of(ctx, "RF0100")] == ["MSY", "MIA"]
    # changed seats without the column: the pickups stay, the audit names seats only
    do_import(ctx, admin, "flights", flights(PAP_FLIGHT.replace(",135,", ",120,"), pickups=False))
    assert events(ctx, "flight.update")[-1] == ("RF0100", {"seats": [135, 120]})
    assert [a for _s, a, _t in pickups_of(ctx, "RF0100")] == ["MSY", "MIA"]
    # with the column: reorder and drop a pickup, audited in pickups_text form
    do_import(
        ctx, admin, "flights", flights(PAP_FLIGHT.replace(",135,", ",120,") + "|MIA@2027-03-17T14:00-05:00")
    )
    assert events(ctx, "flight.update")[-1] == (
        "RF0100",
        {"pickups": ["MSY@2027-03-17T16:30:00Z;MIA@2027-03-17T19:00:00Z", "MIA@2027-03-17T19:00:00Z"]},
    )
    # an empty field clears them
    do_import(ctx, admin, "flights", flights(PAP_FLIGHT.replace(",135,", ",120,") + "|"))
    assert pickups_of(ctx, "RF0100") == []


def test_a_file_without_the_column_must_keep_the_stored_route_valid(ctx: AppContext, admin: Actor) -> None:
    do_import(ctx, admin, "flights", flights(PAP_FLIGHT + "|MSY@2027-03-17T11:30-05:00"))
    later = PAP_FLIGHT.replace("09:00:00-05:00", "12:00:00-05:00")
    errors = rejected(ctx, admin, flights(later, pickups=False))
    assert errors == [
        (2, "pickups", "pickup MSY leaves at 2027-03-17 16:30 UTC, not after SAT (2027-03-17 17:00 UTC)")
    ]


BAD_PICKUPS = [
    ("MSY@2027-03-17T11:30:00", "pickup MSY: '2027-03-17T11:30:00' is not a date and time with offset"),
    ("MSY@2027-03-17T11:30-05:00;MSY@2027-03-17T12:30-05:00", "pickup MSY is listed twice"),
    ("SAT@2027-03-17T11:30-05:00", "pickup SAT is listed twice"),
    ("PAP@2027-03-17T11:30-05:00", "pickup PAP is also a drop-off stop"),
    ("MSY@2027-03-17T09:00-05:00", "pickup MSY leaves at 2027-03-17 14:00 UTC, not after SAT"),
    (
        "MSY@2027-03-17T11:30-05:00;MIA@2027-03-17T11:00-05:00",
        "pickup MIA leaves at 2027-03-17 16:00 UTC, not after MSY",
    ),
    ("QQQ@2027-03-17T11:30-05:00", "airport QQQ is not known; closest known: "),
    ("MSY 2027-03-17T11:30-05:00", "must be IATA@TIME"),
    ("MSY@2027-03-17T11:30-05:00;", "has an empty pickup"),
]


@pytest.mark.parametrize(("pickups", "message"), BAD_PICKUPS)
def test_bad_pickups_are_line_numbered_and_nothing_is_written(
    ctx: AppContext, admin: Actor, pickups: str, message: str
) -> None:
    good = "RF0101,iAero,A320,SAT,2027-03-18T09:00:00-05:00,135,270,3,1,MEX,PLANNED|"
    errors = rejected(ctx, admin, flights(good, PAP_FLIGHT + "|" + pickups))
    assert [(line, column) for line, column, _m in errors] == [(3, "pickups")]
    assert message in errors[0][2]


def test_a_pickup_after_the_first_stops_known_arrival_is_refused(ctx: AppContext, admin: Actor) -> None:
    do_import(ctx, admin, "flights", flights(PAP_FLIGHT + "|"))
    with ctx.uow() as uow:
        uow.session.execute(
            sa.update(FlightStop)
            .where(FlightStop.airport == "PAP")
            .values(arrival_utc=datetime(2027, 3, 17, 19, 0, tzinfo=UTC))
        )
        uow.commit()
    assert do_import(ctx, admin, "flights", flights(PAP_FLIGHT + "|MSY@2027-03-17T13:30-05:00")).updated == 1
    errors = rejected(ctx, admin, flights(PAP_FLIGHT + "|MSY@2027-03-17T14:30-05:00"))
    assert errors == [
        (
            2,
            "pickups",
            "pickup MSY leaves at 2027-03-17 19:30 UTC, not before the arrival at the first stop PAP",
        )
    ]


def test_approved_manifest_locks_the_pickups(ctx: AppContext, admin: Actor) -> None:
    do_import(ctx, admin, "flights", flights(PAP_FLIGHT + "|MSY@2027-03-17T11:30-05:00"))
    with ctx.uow() as uow:
        fid = uow.session.execute(sa.select(Flight.id).where(Flight.code == "RF0100")).scalar_one()
        uow.session.add(
            Manifest(flight_id=fid, revision=1, status="APPROVED", sha256="0" * 64, prepared_by="x")
        )
        uow.commit()
    assert (
        do_import(ctx, admin, "flights", flights(PAP_FLIGHT + "|MSY@2027-03-17T11:30-05:00")).unchanged == 1
    )
    errors = rejected(ctx, admin, flights(PAP_FLIGHT + "|MSY@2027-03-17T12:30-05:00"))
    assert errors == [
        (
            2,
            "flight_id",
            "flight RF0100 has an APPROVED manifest and cannot be changed by import (would change pickups)",
        )
    ]


def test_a_pickup_people_board_at_cannot_be_removed_or_moved(ctx: AppContext, admin: Actor) -> None:
    do_import(ctx, admin, "facilities", facilities_csv().encode())
    do_import(ctx, admin, "roster", to_csv(ROSTER_HEADER, roster_rows(1)).encode())
    two = "|MSY@2027-03-17T11:30-05:00;MIA@2027-03-17T14:00-05:00"
    do_import(ctx, admin, "flights", flights(PAP_FLIGHT + two))
    with ctx.uow() as uow:
        stop_id = uow.session.execute(
            sa.select(FlightStop.id).where(FlightStop.airport == "PAP")
        ).scalar_one()
        run = PlanRun(created_by="admin")
        uow.session.add(run)
        uow.session.flush()
        person_id = uow.session.execute(sa.text("SELECT min(id) FROM person")).scalar_one()
        uow.session.add(
            Assignment(plan_run_id=run.id, person_id=person_id, flight_stop_id=stop_id, pickup_sequence=2)
        )
        uow.commit()
    # a later time for MIA (same place in the order): fine
    assert do_import(ctx, admin, "flights", flights(PAP_FLIGHT + two.replace("14:00", "14:30"))).updated == 1
    for changed in ("|MSY@2027-03-17T11:30-05:00", "|MIA@2027-03-17T11:30-05:00;MSY@2027-03-17T14:00-05:00"):
        errors = rejected(ctx, admin, flights(PAP_FLIGHT + changed))
        assert errors == [
            (
                2,
                "pickups",
                "flight RF0100: pickup MIA has 1 person of the plan boarding there; "
                "re-plan before removing or moving it",
            )
        ]


def test_the_sample_with_pickups_imports(ctx: AppContext, admin: Actor) -> None:
    report = do_import(ctx, admin, "flights", SAMPLE.read_bytes())
    assert report.new >= 3 and not report.errors
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(sa.func.count()).select_from(FlightPickup)).scalar_one() >= 3


def test_facilities_may_reach_dataset_airports(ctx: AppContext, admin: Actor) -> None:
    text = "facility_code,name,city,airports\nFAC90,Centre,New Orleans,MSY:2;SAT:3\n"
    seeded = len(events(ctx, "airport.create"))
    assert do_import(ctx, admin, "facilities", text.encode()).new == 1
    assert [entity for entity, _c in events(ctx, "airport.create")[seeded:]] == ["MSY"]
    with ctx.uow(write=False) as uow:
        assert uow.session.get(Airport, "MSY") is not None
