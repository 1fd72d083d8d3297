"""Flights with several pickups on both backends: the editor service's route (later pickups as the
flights CSV writes them), its validation (each bad input one line, nothing written, no audit
event), the audit of pickups old -> new, per-leg loads of a hand-made plan (bulk: the list's query
count does not grow with the flights) and the plan export's fifth column ``pickup_airport``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from planner.domain.errors import Conflict, InvalidInput
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Airport,
    Assignment,
    AuditEvent,
    Flight,
    FlightPickup,
    FlightStop,
    Manifest,
    Person,
    PlanRun,
    utc_now,
)
from planner.services import dashboard, flights, planning
from planner.services.auth import Actor
from planner.services.flights import FlightInput

NOW = utc_now().replace(microsecond=0, second=0, minute=0)
DEPART = NOW + timedelta(days=20)


def _iso(moment: datetime, offset_hours: int = -6) -> str:
    from datetime import timezone

    return moment.astimezone(timezone(timedelta(hours=offset_hours))).isoformat(timespec="minutes")


def _input(code: str = "RF0200", **changes) -> FlightInput:
    values = dict(
        code=code,
        carrier="GlobalX",
        aircraft="A320",
        departure_airport="IAH",
        departure_utc=DEPART,
        stops=("GUA", "SAL"),
        seats=40,
        escort_officers=20,
        pickups=f"SAT@{_iso(DEPART + timedelta(hours=2))}",
    )
    values.update(changes)
    return FlightInput(**values)


def _save(ctx: AppContext, actor: Actor, data: FlightInput, version: int | None = None) -> flights.SaveResult:
    with ctx.uow() as uow:
        return flights.save_flight(uow, actor, data, expected_version=version, now=NOW)


def _events(ctx: AppContext) -> list[tuple[str, str, dict]]:
    with ctx.uow(write=False) as uow:
        return [
            (e.action, e.entity_id, json.loads(e.changes_json))
            for e in uow.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars()
        ]


def _pickup_rows(ctx: AppContext) -> list[tuple[str, int, str]]:
    with ctx.uow(write=False) as uow:
        return [
            tuple(r)
            for r in uow.session.execute(
                sa.select(Flight.code, FlightPickup.sequence, FlightPickup.airport)
                .join(Flight, Flight.id == FlightPickup.flight_id)
                .order_by(Flight.code, FlightPickup.sequence)
            )
        ]


def _plan(ctx: AppContext, code: str, journeys: list[tuple[int, int, int]]) -> None:
    """A draft plan placing, on flight ``code``, ``n`` new people boarding at pickup ``p`` and
    leaving at stop ``s`` for each ``(p, s, n)``."""
    with ctx.uow() as uow:
        s = uow.session
        run = PlanRun(created_by="admin", status="DRAFT", counts_json="{}")
        s.add(run)
        s.flush()
        stop_ids = dict(
            s.execute(
                sa.select(FlightStop.sequence, FlightStop.id)
                .join(Flight, Flight.id == FlightStop.flight_id)
                .where(Flight.code == code)
            ).all()
        )
        start = s.execute(sa.select(sa.func.count()).select_from(Person)).scalar_one()
        number = start
        for pickup, stop, n in journeys:
            people = []
            for _ in range(n):
                number += 1
                people.append(
                    Person(
                        case_number=f"A{number:09d}",
                        family_name="TEST",
                        given_names="PERSON",
                        sex="M",
                        date_of_birth=date(1990, 1, 1),
                        nationality="GTM",
                        risk_level="LOW",
                        medical_need="NONE",
                        order_status="FINAL",
                        custody_status="IN_CUSTODY",
                    )
                )
            s.add_all(people)
            s.flush()
            s.add_all(
                Assignment(
                    plan_run_id=run.id, person_id=p.id, flight_stop_id=stop_ids[stop], pickup_sequence=pickup
                )
                for p in people
            )
        uow.commit()


# ---------------------------------------------------------------- saving a route


def test_create_with_later_pickups_lists_the_route_with_local_times(ctx: AppContext, admin: Actor) -> None:
    sat = DEPART + timedelta(hours=2)
    result = _save(ctx, admin, _input())
    row = result.flight
    assert [(p.sequence, p.airport, p.departure_utc) for p in row.pickups] == [
        (0, "IAH", DEPART),
        (1, "SAT", sat),
    ]
    assert row.pickups[1].timezone == "America/Chicago"
    assert row.pickups[1].departure_local == sat
    assert row.route_text == "IAH → SAT → GUA · SAL"
    assert row.leg_names == ("IAH→SAT", "SAT→GUA", "GUA→SAL")
    assert row.leg_loads == (0, 0, 0) and row.legs_text == "0/40 · 0/40 · 0/40"
    assert row.later_pickups_text.startswith("SAT@") and row.later_pickups_text[-6:] in ("-06:00", "-05:00")
    assert _pickup_rows(ctx) == [("RF0200", 1, "SAT")]
    created = [e for e in _events(ctx) if e[0] == "flight.create"]
    assert created[-1][2]["pickups"] == [None, f"SAT@{sat.isoformat().replace('+00:00', 'Z')}"]
    # The editor's own text saves back unchanged.
    again = _save(ctx, admin, _input(pickups=row.later_pickups_text), version=1)
    assert again.changes == {}


def test_dataset_airports_and_countries_without_a_rule(ctx: AppContext, admin: Actor) -> None:
    """A pickup at MSY and a stop at PAP (neither in the office's table; Haiti has no rule): both
    copied in from the dataset, audited; the stop runs on the default notice."""
    result = _save(ctx, admin, _input(stops=("PAP",), pickups=f"MSY@{_iso(DEPART + timedelta(hours=3))}"))
    assert result.flight.route_text == "IAH → MSY → PAP"
    assert result.flight.stops[0].country == "HTI"
    with ctx.uow(write=False) as uow:
        added = dict(
            uow.session.execute(
                sa.select(Airport.iata, Airport.source).where(Airport.iata.in_(["MSY", "PAP"]))
            ).all()
        )
    assert added == {"MSY": "dataset", "PAP": "dataset"}
    copied = {e[1] for e in _events(ctx) if e[0] == "airport.create" and "dataset" in e[2]}
    assert copied == {"MSY", "PAP"}
    assert result.flight.stops[0].notice_days >= 14  # the default rule's notice


def test_update_audits_pickups_old_and_new(ctx: AppContext, admin: Actor) -> None:
    _save(ctx, admin, _input())
    sat, aex = DEPART + timedelta(hours=2), DEPART + timedelta(hours=4)
    text = f"SAT@{_iso(sat)};AEX@{_iso(aex)}"
    result = _save(ctx, admin, _input(pickups=text), version=1)
    z = lambda m: m.isoformat().replace("+00:00", "Z")  # noqa: E731
    assert result.changes == {"pickups": [f"SAT@{z(sat)}", f"SAT@{z(sat)};AEX@{z(aex)}"]}
    assert _events(ctx)[-1] == ("flight.update", "RF0200", result.changes)
    assert result.flight.route_text == "IAH → SAT → AEX → GUA · SAL"
    cleared = _save(ctx, admin, _input(pickups=""), version=2)
    assert cleared.changes == {"pickups": [f"SAT@{z(sat)};AEX@{z(aex)}", ""]}
    assert _pickup_rows(ctx) == [] and cleared.flight.route_text == "IAH → GUA · SAL"


@pytest.mark.parametrize(
    ("pickups", "message"),
    [
        ("XQZ@2030-01-01T10:00-06:00", "pickups: airport XQZ is not known; closest known: "),
        ("SAT@2030-01-01T10:00", "pickups: pickup SAT: "),
        ("SAT", "pickups: pickup 'SAT' must be IATA@TIME"),
        ("SAT@{t2};SAT@{t4}", "pickups: pickup SAT is listed twice"),
        ("GUA@{t2}", "pickups: pickup GUA is also a drop-off stop"),
        ("IAH@{t2}", "pickups: pickup IAH is listed twice"),
        ("SAT@{t_before}", "pickups: pickup SAT leaves at"),
        ("SAT@{t4};AEX@{t2}", "pickups: pickup AEX leaves at"),
        ("SAT@{t2};;", "has an empty pickup"),
    ],
)
def test_each_bad_pickup_is_one_line_and_nothing_is_written(
    ctx: AppContext, admin: Actor, pickups: str, message: str
) -> None:
    times = {
        "t2": _iso(DEPART + timedelta(hours=2)),
        "t4": _iso(DEPART + timedelta(hours=4)),
        "t_before": _iso(DEPART - timedelta(hours=1)),
    }
    before = _events(ctx)
    with pytest.raises(InvalidInput) as caught:
        _save(ctx, admin, _input(pickups=pickups.format(**times)))
    assert len(caught.value.details) == 1, caught.value.details
    assert caught.value.details[0].startswith(message) or message in caught.value.details[0], (
        caught.value.details
    )
    assert "\n" not in caught.value.details[0]
    assert _events(ctx) == before and _pickup_rows(ctx) == []
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(Flight.id).where(Flight.code == "RF0200")).first() is None
        assert uow.session.execute(sa.select(Airport.iata).where(Airport.iata == "XQZ")).first() is None


def test_a_pickup_after_the_first_stops_arrival_is_refused(ctx: AppContext, admin: Actor) -> None:
    _save(ctx, admin, _input())
    with ctx.uow() as uow:
        uow.session.execute(
            sa.update(FlightStop)
            .where(FlightStop.sequence == 1)
            .values(arrival_utc=DEPART + timedelta(hours=5))
        )
        uow.commit()
    before = _events(ctx)
    late = f"SAT@{_iso(DEPART + timedelta(hours=2))};AEX@{_iso(DEPART + timedelta(hours=6))}"
    with pytest.raises(InvalidInput) as caught:
        _save(ctx, admin, _input(pickups=late), version=1)
    assert (
        caught.value.details == [caught.value.details[0]]
        and "not before the arrival at the first stop GUA" in caught.value.details[0]
    )
    assert _events(ctx) == before and _pickup_rows(ctx) == [("RF0200", 1, "SAT")]


def test_a_pickup_people_board_at_cannot_go_and_a_signed_flight_cannot_change(
    ctx: AppContext, admin: Actor
) -> None:
    _save(ctx, admin, _input())
    _plan(ctx, "RF0200", [(1, 1, 2)])
    before = _events(ctx)
    with pytest.raises(InvalidInput) as caught:
        _save(ctx, admin, _input(pickups=""), version=1)
    assert caught.value.details == [
        "pickups: pickup SAT has 2 people of the plan boarding there; re-plan before removing or moving it"
    ]
    aex = f"AEX@{_iso(DEPART + timedelta(hours=1))}"
    with pytest.raises(InvalidInput, match="not saved"):  # SAT moved from 1 to 2
        _save(ctx, admin, _input(pickups=f"{aex};SAT@{_iso(DEPART + timedelta(hours=2))}"), version=1)
    assert _events(ctx) == before and _pickup_rows(ctx) == [("RF0200", 1, "SAT")]
    # Adding a pickup after SAT is fine.
    later = f"SAT@{_iso(DEPART + timedelta(hours=2))};AEX@{_iso(DEPART + timedelta(hours=3))}"
    assert _save(ctx, admin, _input(pickups=later), version=1).flight.version == 2
    with ctx.uow() as uow:
        flight_id = uow.session.execute(sa.select(Flight.id).where(Flight.code == "RF0200")).scalar_one()
        uow.session.add(
            Manifest(flight_id=flight_id, revision=1, status="APPROVED", sha256="0" * 64, prepared_by="admin")
        )
        uow.commit()
    with pytest.raises(Conflict, match="manifest is approved"):
        _save(ctx, admin, _input(pickups=""), version=2)


# ---------------------------------------------------------------- per-leg load


def test_per_leg_loads_of_a_hand_made_plan(ctx: AppContext, admin: Actor) -> None:
    """IAH → SAT → GUA · SAL: 3 board at IAH for GUA, 2 at SAT for GUA, 4 at SAT for SAL (2 frozen
    elsewhere do not matter): legs IAH→SAT 3, SAT→GUA 9, GUA→SAL 4."""
    _save(ctx, admin, _input(seats=10))
    _save(ctx, admin, _input(code="RF0201", pickups="", stops=("SAL",)))
    _plan(ctx, "RF0200", [(0, 1, 3), (1, 1, 2), (1, 2, 4)])
    with ctx.uow(write=False) as uow:
        rows = {r.code: r for r in flights.list_flights(uow, admin, now=NOW)}
    row = rows["RF0200"]
    assert row.leg_loads == (3, 9, 4)
    assert (row.placed, row.peak_load, row.fullest_leg, row.load_factor) == (9, 9, 1, 0.9)
    assert row.legs_text == "3/10 · 9/10 · 4/10"
    assert rows["RF0201"].leg_loads == (0,) and rows["RF0201"].route_text == "IAH → SAL"
    data = flights.as_dict(row)
    assert data["leg_loads"] == [3, 9, 4] and data["route"] == "IAH → SAT → GUA · SAL"


def test_the_list_query_count_does_not_grow_with_flights(ctx: AppContext, admin: Actor) -> None:
    def queries(count: int) -> int:
        with ctx.uow() as uow:
            uow.session.execute(sa.delete(FlightPickup))
            uow.session.execute(sa.delete(FlightStop))
            uow.session.execute(sa.delete(Flight))
            uow.commit()
        for i in range(count):
            _save(ctx, admin, _input(code=f"RF{i:04d}"))
        seen: list[str] = []
        with ctx.uow(write=False) as uow:
            engine = uow.session.get_bind()
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            sa.event.listen(engine, "before_cursor_execute", listener)
            try:
                assert len(flights.list_flights(uow, admin, now=NOW)) == count
            finally:
                sa.event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    assert queries(2) == queries(12)


def test_dashboard_judges_upcoming_flights_by_their_fullest_leg(ctx: AppContext, admin: Actor) -> None:
    soon = NOW + timedelta(days=5)
    _save(ctx, admin, _input(seats=10, departure_utc=soon, pickups=f"SAT@{_iso(soon + timedelta(hours=2))}"))
    _save(ctx, admin, _input(code="RF0201", departure_utc=soon, pickups="", stops=("SAL",)))
    _plan(ctx, "RF0200", [(0, 1, 3), (1, 1, 2), (1, 2, 4)])
    with ctx.uow(write=False) as uow:
        snapshot = dashboard.dashboard(uow, admin, now=NOW)
    upcoming = {r.code: r for r in snapshot.upcoming}
    assert upcoming["RF0200"].leg_loads == (3, 9, 4) and upcoming["RF0200"].load_factor == 0.9
    assert [r.code for r in snapshot.under_full] == ["RF0201"]
    assert snapshot.average_load == 9 / 50


# ---------------------------------------------------------------- export


def test_plan_export_has_pickup_airport_fifth(ctx: AppContext, admin: Actor) -> None:
    _save(ctx, admin, _input())
    _plan(ctx, "RF0200", [(0, 1, 1), (1, 2, 1)])
    with ctx.uow(write=False) as uow:
        rows = planning.assignments_for_export(uow, admin)
    assert [list(r) for r in rows] == [
        ["case_number", "flight_id", "stop_airport", "departure_utc", "pickup_airport"]
    ] * 2
    departure = DEPART.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert [(r["stop_airport"], r["departure_utc"], r["pickup_airport"]) for r in rows] == [
        ("GUA", departure, "IAH"),
        ("SAL", departure, "SAT"),
    ]


def test_cli_export_plan_csv_and_json(ctx: AppContext, admin: Actor, tmp_path, monkeypatch, capsys) -> None:
    import csv

    from planner.entrypoints.cli import main as cli
    from tests.conftest import ADMIN_PASSWORD

    _save(ctx, admin, _input())
    _plan(ctx, "RF0200", [(1, 2, 1)])
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    db = ctx.settings.database
    out_csv, out_json = tmp_path / "plan.csv", tmp_path / "plan.json"
    assert cli.run(["--db", db, "export", "plan", "--format", "csv", "--out", str(out_csv)]) == 0
    assert cli.run(["--db", db, "export", "plan", "--format", "json", "--out", str(out_json)]) == 0
    with out_csv.open(encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == ["case_number", "flight_id", "stop_airport", "departure_utc", "pickup_airport"]
    assert lines[1][1:] == ["RF0200", "SAL", DEPART.isoformat().replace("+00:00", "Z"), "SAT"]
    rows = json.loads(out_json.read_text(encoding="utf-8"))
    assert list(rows[0]) == lines[0] and rows[0]["pickup_airport"] == "SAT"
    assert "1 assignments written" in capsys.readouterr().out
