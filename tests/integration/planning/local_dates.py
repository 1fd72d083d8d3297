"""Local departure dates in the plan invariants (issue 13): departure hubs in zones from UTC+14 to
UTC−11, departures at local times near midnight, holds that end on exactly the days where the local
and the UTC reading of a departure disagree, and the oracle that nobody placed flies under a hold
in force on the departure day — computed here from the rows, not by the eligibility rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from hypothesis import event

from planner.persistence.models import Airport, Assignment, Flight, FlightStop, Person
from planner.services import planning

#: Departure hubs and their zones: two shipped airports plus test airports far from UTC.
HUB_ZONES = {
    "SAT": "America/Chicago",
    "MIA": "America/New_York",
    "PEK": "Asia/Shanghai",
    "CXI": "Pacific/Kiritimati",
    "PPG": "Pacific/Pago_Pago",
}
HUBS = tuple(HUB_ZONES)
TEST_AIRPORTS = {"CXI": ("Cassidy International", "KIR"), "PPG": ("Pago Pago International", "ASM")}
#: Local departure times at the hub, near midnight (and a few ordinary ones).
LOCAL_TIMES = (time(0, 0), time(0, 30), time(3, 0), time(7, 0), time(20, 0), time(23, 30), time(23, 59))


def departure_of(f: dict, today: date) -> datetime:
    """A generated flight's departure: ``local_time`` at its hub, ``days_ahead`` + 1 days from today
    (always after now, even at UTC+14)."""
    day = today + timedelta(days=f["days_ahead"] + 1)
    return datetime.combine(day, f.get("local_time", time(3, 0)), ZoneInfo(HUB_ZONES[f["hub"]])).astimezone(
        UTC
    )


def hold_until_of(p: dict, flights: list[dict], nationality: str, today: date) -> date | None:
    """A generated person's hold end date (None: no hold); ``hold_near`` picks among the flights
    to the person's country (any flight when none goes there)."""
    if p.get("hold_near") is not None and p["hold_until"] is not None:
        index, reading, shift = p["hold_near"]
        candidates = [f for f in flights if nationality in f["stops"]] or flights
        flight = candidates[index % len(candidates)]
        departure = departure_of(flight, today)
        if reading == "local":
            departure = departure.astimezone(ZoneInfo(HUB_ZONES[flight["hub"]]))
        return departure.date() + timedelta(days=shift)
    return today + timedelta(days=p["hold_until"]) if p["hold_until"] is not None else None


def holds_of_the_placed(
    uow, placed: dict[int, int]
) -> list[tuple[int, str | None, date | None, datetime, str]]:
    """(person, hold reason, hold end, departure instant, departure airport zone) of everybody placed,
    straight from the rows."""
    rows = uow.session.execute(
        sa.select(
            Person.id, Person.legal_hold_reason, Person.hold_until, Flight.departure_utc, Airport.timezone
        )
        .join(Assignment, Assignment.person_id == Person.id)
        .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
        .join(Flight, Flight.id == FlightStop.flight_id)
        .join(Airport, Airport.iata == Flight.departure_airport)
        .where(Assignment.plan_run_id == planning.current_draft_plan_id(uow))
    ).all()
    assert {r[0] for r in rows} == set(placed)
    return [tuple(r) for r in rows]  # type: ignore[misc]


def assert_no_hold_in_force_on_the_departure_day(holds) -> None:
    """The oracle, independent of the rule: a hold (non-blank reason) with no end or an end on or
    after the departure's date — at the departure airport or in UTC — keeps a person off."""
    for person, reason, until, departure, zone in holds:
        if not (reason or "").strip():
            continue
        local_day = departure.astimezone(ZoneInfo(zone)).date()
        utc_day = departure.astimezone(UTC).date()
        event(f"hold vs departure: local {'≠' if local_day != utc_day else '='} UTC date")
        assert until is not None, f"person {person} placed with an open-ended hold"
        assert until < local_day, (
            f"person {person} placed with a hold until {until}, leaving {local_day} local"
        )
        assert until < utc_day, f"person {person} placed with a hold until {until}, leaving {utc_day} UTC"
