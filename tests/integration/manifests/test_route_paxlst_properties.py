"""Properties of route content and its PAXLST (pure, no database): for any route of 1–3 pickups
and 1–3 stops and any placement of people on it, the content round-trips through its stored JSON
with the same hash; a route with several pickups gets exactly one message per international leg,
each counting (``CNT+42``) and naming the people aboard that leg — the leg's load
(``planner.domain.route.leg_loads``) — with each person's own pickup as ``LOC+178``; a one-pickup
flight gets the one message it always had, and its content stays format 1."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.domain.route import leg_loads
from planner.services.manifests.content import (
    CANONICAL_FORMAT,
    ManifestContent,
    ManifestRow,
    PickupSection,
    StopSection,
    content_from_json,
    content_sha256,
    content_to_json,
    hashed_dict,
)
from planner.services.manifests.deadlines import api_deadlines
from planner.services.manifests.paxlst import (
    CrewMember,
    international_legs,
    parse_paxlst,
    write_crew_paxlst,
    write_leg_paxlsts,
    write_paxlst,
)

T = datetime(2030, 3, 31, 12, 0, tzinfo=UTC)
#: airport -> (country, zone); pickups from the first four, stops from the rest.
AIRPORTS = {
    "IAH": ("USA", "America/Chicago"),
    "SAT": ("USA", "America/Chicago"),
    "MEX": ("MEX", "America/Mexico_City"),
    "ELP": ("USA", "America/Denver"),
    "GUA": ("GTM", "America/Guatemala"),
    "SAL": ("SLV", "America/El_Salvador"),
    "SAP": ("HND", "America/Tegucigalpa"),
    "GDL": ("MEX", "America/Mexico_City"),
}


def _row(case: str, pickup: int, nationality: str) -> ManifestRow:
    return ManifestRow(
        case_number=case,
        family_name="DOE",
        given_names="JANE",
        native_name="",
        sex="F",
        date_of_birth=date(1990, 1, 1),
        nationality=nationality,
        document_type="PASSPORT",
        document_number=f"P{case}",
        document_expires=date(2035, 1, 1),
        verification_reference="",
        verified_on=None,
        risk_level="LOW",
        medical_need="NONE",
        pickup_sequence=pickup,
    )


@st.composite
def contents(draw: st.DrawFn) -> ManifestContent:
    pickups = draw(
        st.lists(st.sampled_from(["IAH", "SAT", "MEX", "ELP"]), min_size=1, max_size=3, unique=True)
    )
    stops = draw(st.lists(st.sampled_from(["GUA", "SAL", "SAP", "GDL"]), min_size=1, max_size=3, unique=True))
    journeys = draw(
        st.lists(st.tuples(st.integers(0, len(pickups) - 1), st.integers(1, len(stops))), max_size=12)
    )
    sections = tuple(
        PickupSection(i, code, code, AIRPORTS[code][0], AIRPORTS[code][1], T + timedelta(hours=2 * i))
        for i, code in enumerate(pickups)
    )
    arrival = T + timedelta(hours=2 * len(pickups) + 1)
    stop_sections = tuple(
        StopSection(
            sequence=j,
            airport=code,
            airport_name=code,
            country=AIRPORTS[code][0],
            rows=tuple(
                _row(f"C{k:04d}", pickup, AIRPORTS[code][0])
                for k, (pickup, stop) in enumerate(journeys)
                if stop == j
            ),
            timezone=AIRPORTS[code][1],
            arrival_utc=arrival + timedelta(hours=j) if draw(st.booleans()) else None,
        )
        for j, code in enumerate(stops, 1)
    )
    return ManifestContent(
        flight_code="RF0100",
        revision=1,
        status="APPROVED",
        carrier="SKY CHARTER",
        aircraft="B737",
        departure_airport=pickups[0],
        departure_airport_name=pickups[0],
        departure_utc=T,
        departure_timezone=AIRPORTS[pickups[0]][1],
        stops=stop_sections,
        pickups=sections if len(sections) > 1 else (),
    )


@settings(max_examples=150, deadline=None)
@given(contents())
def test_route_content_and_paxlst_per_leg(content: ManifestContent) -> None:
    again = content_from_json(content_to_json(content))
    assert again == content and content_sha256(again) == content_sha256(content)
    args = {"sender": "OFFICE", "recipient": "SKY", "interchange_ref": "M1R1", "now": T}
    messages = write_leg_paxlsts(content, **args)  # type: ignore[arg-type]
    if not content.has_route:
        assert hashed_dict(content)["format"] == CANONICAL_FORMAT
        assert [m.text for m in messages] == [write_paxlst(content, **args)]  # type: ignore[arg-type]
        return
    route = content.route()
    loads = leg_loads(route, [(r.pickup_sequence, s.sequence) for s in content.stops for r in s.rows])
    legs = international_legs(content)
    assert [(m.origin, m.destination) for m in messages] == [(leg.origin, leg.destination) for leg in legs]
    for message, leg in zip(messages, legs, strict=True):
        segments = parse_paxlst(message.text)
        count = next(s for s in segments if s.tag == "CNT")
        assert int(count.element(0, 1)) == loads[leg.index] == message.persons
        aboard = {
            r.case_number: content.pickup(r.pickup_sequence).airport
            for _s, r in content.rows_aboard(leg.index)
        }
        cases = [s.element(0, 1) for s in segments if s.tag == "RFF" and s.element(0) == "ABO"]
        embark = [s.element(1) for s in segments if s.tag == "LOC" and s.element(0) == "178"]
        assert sorted(cases) == sorted(aboard)
        assert embark == [aboard[c] for c in cases]
        assert next(s for s in segments if s.tag == "LOC" and s.element(0) == "125").element(1) == leg.origin


def _mexico_route() -> ManifestContent:
    """IAH → MEX (a pickup in another country) → GUA: two international legs."""
    return ManifestContent(
        flight_code="RF0200",
        revision=1,
        status="APPROVED",
        carrier="SKY CHARTER",
        aircraft="B737",
        departure_airport="IAH",
        departure_airport_name="IAH",
        departure_utc=T,
        departure_timezone="America/Chicago",
        stops=(
            StopSection(
                1, "GUA", "GUA", "GTM", (_row("C1", 0, "GTM"), _row("C2", 1, "GTM")), "America/Guatemala"
            ),
        ),
        pickups=(
            PickupSection(0, "IAH", "IAH", "USA", "America/Chicago", T),
            PickupSection(1, "MEX", "MEX", "MEX", "America/Mexico_City", T + timedelta(hours=3)),
        ),
    )


def test_api_deadlines_per_leg_arrival() -> None:
    """An international leg into a pickup needs the data too (before the previous pickup's
    departure); a stop without a known arrival counts back from the last pickup's departure."""
    clock = api_deadlines(_mexico_route(), {"MEX": 60, "GTM": 120}, T - timedelta(days=1))
    assert [(d.airport, d.pickup_sequence, d.due_utc) for d in clock] == [
        ("MEX", 1, T - timedelta(minutes=60)),
        ("GUA", None, T + timedelta(hours=3) - timedelta(minutes=120)),
    ]


def test_crew_list_flies_every_leg_of_a_route() -> None:
    crew = [
        CrewMember("ROE", "RICHARD", "M", date(1980, 1, 1), "USA", "PASSPORT", "X1", date(2035, 1, 1), "USA")
    ]
    text = write_crew_paxlst(
        _mexico_route(), crew, sender="OFFICE", recipient="SKY", interchange_ref="C1", now=T
    )
    legs = [(s.tag, s.element(0), s.element(1)) for s in parse_paxlst(text) if s.tag == "LOC"]
    assert legs[:4] == [
        ("LOC", "125", "IAH"),
        ("LOC", "87", "MEX"),
        ("LOC", "125", "MEX"),
        ("LOC", "87", "GUA"),
    ]
