"""Airports: an admin adds a private or missing airport (service and ``airports add``), everyone
searches the database's and the dataset's airports (``airports list`` / ``show``)."""

from __future__ import annotations

import dataclasses
import json

import pytest
import sqlalchemy as sa

from planner.domain.errors import InvalidInput, PermissionDenied
from planner.entrypoints.cli.main import run
from planner.persistence.context import AppContext
from planner.persistence.models import Airport, AuditEvent
from planner.services import airports
from planner.services.auth import Actor
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD

PRIVATE = airports.NewAirport(
    "QXP",
    name="Camp Ridge Airstrip",
    city="Ridge",
    country="USA",
    timezone="America/Chicago",
    latitude="30.5",
    longitude="-97.25",
)


def airport_events(ctx: AppContext) -> list[tuple[str, str, dict]]:
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(AuditEvent.entity_id, AuditEvent.actor, AuditEvent.changes_json)
            .where(AuditEvent.action == "airport.create")
            .order_by(AuditEvent.id)
        ).all()
    return [(entity, actor, json.loads(changes)) for entity, actor, changes in rows]


def test_admin_adds_a_private_airport_audited(ctx: AppContext, admin: Actor) -> None:
    before = len(airport_events(ctx))
    with ctx.uow() as uow:
        added = airports.add_airport(uow, admin, PRIVATE)
    assert (added.iata, added.source, added.latitude) == ("QXP", "admin", 30.5)
    with ctx.uow(write=False) as uow:
        row = uow.session.get(Airport, "QXP")
        assert row is not None and (row.name, row.country, row.source) == (
            "Camp Ridge Airstrip",
            "USA",
            "admin",
        )
        found = airports.search_airports(uow, admin, "ridge")
    assert found[0].iata == "QXP" and found[0].source == "admin"
    events = airport_events(ctx)[before:]
    assert events == [
        (
            "QXP",
            "admin",
            {
                "iata": [None, "QXP"],
                "name": [None, "Camp Ridge Airstrip"],
                "city": [None, "Ridge"],
                "country": [None, "USA"],
                "timezone": [None, "America/Chicago"],
                "latitude": [None, 30.5],
                "longitude": [None, -97.25],
                "source": [None, "admin"],
            },
        )
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"iata": "PAP"},
            "PAP (Toussaint Louverture International Airport, Port-au-Prince, HTI) is in the shipped",
        ),
        ({"iata": "SAT"}, "airport SAT (San Antonio International Airport"),
        ({"iata": "Q1P"}, "iata: 'Q1P' is not a three-letter IATA-like code"),
        ({"country": "US"}, "country: 'US' is not an ISO 3166-1 alpha-3 country code"),
        ({"timezone": "Mars/Olympus"}, "timezone: 'Mars/Olympus' is not an IANA time zone"),
        ({"latitude": "91"}, "latitude: 91 is outside -90–90"),
        ({"longitude": ""}, "longitude: give the longitude too (or neither)"),
        ({"name": " "}, "name: must not be empty"),
    ],
)
def test_bad_airports_are_refused_one_line_nothing_written(
    ctx: AppContext, admin: Actor, change: dict[str, str], message: str
) -> None:
    before = len(airport_events(ctx))
    with ctx.uow() as uow, pytest.raises(InvalidInput) as info:
        airports.add_airport(uow, admin, dataclasses.replace(PRIVATE, **change))
    assert message in str(info.value) and "\n" not in str(info.value)
    assert len(airport_events(ctx)) == before


def test_only_an_admin_adds_airports(ctx: AppContext, officer: Actor) -> None:
    with ctx.uow() as uow, pytest.raises(PermissionDenied):
        airports.add_airport(uow, officer, PRIVATE)
    with ctx.uow(write=False) as uow:
        assert uow.session.get(Airport, "QXP") is None
        assert [a.iata for a in airports.search_airports(uow, officer, "port-au-prince")][:1] == ["PAP"]


def test_cli_add_list_show(
    ctx: AppContext, officer: Actor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    add = ["airports", "add", "QXP", "--name", "Camp Ridge Airstrip", "--city", "Ridge", "--country", "usa"]
    add += ["--timezone", "America/Chicago", "--lat", "30.5", "--lon", "-97.25"]
    assert run(add, settings=ctx.settings) == 0
    assert "airport QXP (Camp Ridge Airstrip, Ridge, USA) added" in capsys.readouterr().out
    assert run(add, settings=ctx.settings) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "charter-planner: airport QXP (Camp Ridge Airstrip, Ridge, USA) is already in the database"
    ]
    assert (
        run(["airports", "add", "QXQ", *add[3:9], "--timezone", "Nowhere/Land"], settings=ctx.settings) == 2
    )
    assert capsys.readouterr().err.strip() == (
        "charter-planner: timezone: 'Nowhere/Land' is not an IANA time zone (e.g. America/Port-au-Prince)"
    )
    monkeypatch.setenv("CHARTER_USER", officer.username)
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    assert run(["airports", "list", "ridge"], settings=ctx.settings) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("QXP* USA") and lines[-1] == "* added by an admin"
    assert run(["airports", "list", "haiti", "--limit", "0"], settings=ctx.settings) == 0
    assert run(["airports", "list", "HTI"], settings=ctx.settings) == 0
    out = capsys.readouterr().out
    assert "PAP  HTI" in out and "Port-au-Prince" in out
    assert run(["airports", "show", "pap"], settings=ctx.settings) == 0
    out = capsys.readouterr().out
    assert "America/Port-au-Prince" in out and "in the shipped table" in out
    assert run(["airports", "show", "QQQ"], settings=ctx.settings) == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .startswith("charter-planner: airport QQQ is not known; closest known:")
    )
    assert run(["airports", "add", "QXR", *add[3:9], "--timezone", "UTC"], settings=ctx.settings) == 1
    assert "may not airports.add: needs admin" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        run(["airports", "list", "--limit", "x"], settings=ctx.settings)
    assert usage.value.code == 2
    assert capsys.readouterr().err.strip().endswith("argument --limit: 'x' is not a whole number")
