"""Eligibility facts from the database: the one conversion of rows (people, travel documents,
verifications, facility transfers, flight stops, country rules) into the facts of
``planner.domain.eligibility``. Planning (in bulk, as columns), explanations, manifest building
and the dashboard all read their facts here, so they never disagree about a person.

A stop's facts carry its departure airport's IANA zone (``Airport.timezone``), which the rules need
to read the departure's local date, and the flight's pickups (rule 7 is per pickup: the departure,
then its ``flight_pickup`` rows); ``stop_facts`` looks both up in the session the flight row came
from, unless the caller gives them (the planner reads every route in bulk: ``pickup_facts``).

Country rules come from ``planner.services.reference.rule_facts`` (re-exported as ``rule_facts``):
a country without a row gets the conservative default rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import UnmappedInstanceError

from planner.domain.eligibility import (
    DocumentFacts,
    PeopleColumns,
    PersonFacts,
    PickupFacts,
    StopFacts,
    VerificationFacts,
)
from planner.domain.enums import CustodyStatus
from planner.domain.route import Route
from planner.persistence.models import (
    Airport,
    FacilityAirport,
    FlightPickup,
    NationalityVerification,
    Person,
    TravelDocument,
)
from planner.persistence.uow import UnitOfWork
from planner.services.reference import rule_facts

#: Ids per ``IN (…)`` list (well under SQLite's and PostgreSQL's parameter limits).
CHUNK = 900


class FlightLike(Protocol):
    """What a stop's facts need of its flight (a ``Flight`` row)."""

    id: int
    departure_airport: str
    departure_utc: datetime
    medical_slots: int
    wheelchair_slots: int


#: ``Session.info`` key of the cached airport -> IANA zone map (one query per session).
_ZONES_KEY = "eligibility_facts.airport_zones"
#: The zone of a departure airport nobody can look up: unknown, read conservatively by the rules.
UNKNOWN_ZONE = ""


def airport_zones(session: Session) -> dict[str, str]:
    """Every airport's IANA zone (``Airport.timezone``), read once per session."""
    zones: dict[str, str] | None = session.info.get(_ZONES_KEY)
    if zones is None:
        zones = {iata: zone for iata, zone in session.execute(sa.select(Airport.iata, Airport.timezone))}
        session.info[_ZONES_KEY] = zones
    return zones


def departure_timezone(flight: FlightLike) -> str:
    """The IANA zone of ``flight``'s departure airport from the Airport table of the session the
    flight row belongs to; ``UNKNOWN_ZONE`` when it is not attached to one or the airport is missing."""
    session = object_session(flight)
    if session is None:
        return UNKNOWN_ZONE
    zones = airport_zones(session)
    if flight.departure_airport not in zones:  # added in this session after the first read
        session.info.pop(_ZONES_KEY, None)
        zones = airport_zones(session)
    return zones.get(flight.departure_airport, UNKNOWN_ZONE)


def pickup_facts(route: Route, zones: Mapping[str, str]) -> tuple[PickupFacts, ...]:
    """A route's pickups as facts (``zones``: airport -> IANA zone, ``UNKNOWN_ZONE`` when missing)."""
    return tuple(
        PickupFacts(p.sequence, p.airport, p.departure_utc, zones.get(p.airport, UNKNOWN_ZONE))
        for p in route.pickups
    )


def flight_pickups(flight: FlightLike) -> tuple[PickupFacts, ...]:
    """``flight``'s pickups (its departure, then its ``flight_pickup`` rows) read in the session the
    flight row belongs to; empty (= just the departure) when it is not attached to one or has no
    later pickup."""
    try:
        session = object_session(flight)
    except UnmappedInstanceError:  # plain data, not a row
        return ()
    if session is None or flight.id is None:
        return ()
    later = session.execute(
        sa.select(FlightPickup.sequence, FlightPickup.airport, FlightPickup.departure_utc)
        .where(FlightPickup.flight_id == flight.id)
        .order_by(FlightPickup.sequence)
    ).all()
    if not later:
        return ()
    zones = airport_zones(session)
    first = PickupFacts(0, flight.departure_airport, flight.departure_utc, departure_timezone(flight))
    return (first, *(PickupFacts(seq, a, when, zones.get(a, UNKNOWN_ZONE)) for seq, a, when in later))


def stop_facts(
    flight: FlightLike,
    stop_id: int,
    country: str,
    *,
    timezone: str | None = None,
    pickups: Sequence[PickupFacts] | None = None,
) -> StopFacts:
    """The facts of flight stop ``stop_id`` of ``flight`` whose airport is in ``country``.
    ``timezone``: the departure airport's IANA zone; by default read from the Airport table.
    ``pickups``: the flight's pickups (``pickup_facts``); by default read from its session."""
    return StopFacts(
        flight_id=flight.id,
        stop_id=stop_id,
        departure_airport=flight.departure_airport,
        departure_utc=flight.departure_utc,
        country=country,
        medical_slots=flight.medical_slots,
        wheelchair_slots=flight.wheelchair_slots,
        departure_timezone=departure_timezone(flight) if timezone is None else timezone,
        pickups=tuple(flight_pickups(flight) if pickups is None else pickups),
    )


def document_facts(doc: Any) -> DocumentFacts:
    """A ``TravelDocument`` row (or any record with its attributes) as facts."""
    return DocumentFacts(doc.doc_type, doc.issuing_country, doc.expires_on, doc.status)


def verification_facts(ver: Any) -> VerificationFacts:
    """A ``NationalityVerification`` row as facts; its id orders entries of the same day."""
    return VerificationFacts(ver.country, ver.result, ver.verified_on, ver.id or 0)


def person_facts_of(
    person: Person,
    documents: Iterable[Any],
    verifications: Iterable[Any],
    transfer_hours: Mapping[str, float] | None = None,
) -> PersonFacts:
    """A ``Person`` row with its document and verification rows as facts; ``transfer_hours`` maps
    airport -> hours of the person's facility (None or empty: no facility known)."""
    return PersonFacts(
        person_id=person.id,
        custody_status=person.custody_status,
        order_status=person.order_status,
        nationality=person.nationality,
        legal_hold_reason=person.legal_hold_reason,
        hold_until=person.hold_until,
        facility_transfer_hours=dict(transfer_hours or {}),
        medical_need=person.medical_need,
        family_group=person.family_group,
        documents=tuple(document_facts(d) for d in documents),
        verifications=tuple(verification_facts(v) for v in verifications),
    )


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    values = sorted(set(ids))
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def rows_in(uow: UnitOfWork, entity: type, column: Any, ids: Iterable[int]) -> list[Any]:
    """Every ``entity`` row whose ``column`` is in ``ids`` (queried in chunks)."""
    out: list[Any] = []
    for chunk in _chunks(ids):
        out.extend(uow.session.execute(sa.select(entity).where(column.in_(chunk))).scalars().all())
    return out


def transfer_hours(uow: UnitOfWork, facility_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    """facility id -> {airport: transfer hours}."""
    hours: dict[int, dict[str, float]] = defaultdict(dict)
    for link in rows_in(uow, FacilityAirport, FacilityAirport.facility_id, facility_ids):
        hours[link.facility_id][link.airport] = link.transfer_hours
    return hours


def load_person_facts(uow: UnitOfWork, person_ids: Iterable[int]) -> dict[int, PersonFacts]:
    """Eligibility facts of the given people (documents, verifications, facility transfers)."""
    ids = list(person_ids)
    people = rows_in(uow, Person, Person.id, ids)
    docs: dict[int, list[TravelDocument]] = defaultdict(list)
    for doc in rows_in(uow, TravelDocument, TravelDocument.person_id, ids):
        docs[doc.person_id].append(doc)
    vers: dict[int, list[NationalityVerification]] = defaultdict(list)
    for ver in rows_in(uow, NationalityVerification, NationalityVerification.person_id, ids):
        vers[ver.person_id].append(ver)
    hours = transfer_hours(uow, {p.facility_id for p in people if p.facility_id is not None})
    return {
        p.id: person_facts_of(p, docs[p.id], vers[p.id], hours.get(p.facility_id) if p.facility_id else None)
        for p in people
    }


@dataclass(frozen=True, eq=False)
class PlanningPeople:
    """Everybody the planner considers (custody status not REMOVED), ordered by id: the facts as
    columns plus the columns the solver needs besides them."""

    facts: PeopleColumns
    case_number: Sequence[str]
    priority: Sequence[int]
    risk_level: Sequence[str]


def load_planning_people(uow: UnitOfWork) -> PlanningPeople:
    """The planner's people in a handful of bulk queries (no per-person query)."""
    s = uow.session
    rows = s.execute(
        sa.select(
            Person.id,
            Person.custody_status,
            Person.order_status,
            Person.nationality,
            Person.legal_hold_reason,
            Person.hold_until,
            Person.facility_id,
            Person.medical_need,
            Person.family_group,
            Person.case_number,
            Person.priority,
            Person.risk_level,
        )
        .where(Person.custody_status != CustodyStatus.REMOVED.value)
        .order_by(Person.id)
    ).all()
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 12
    documents = s.execute(
        sa.select(
            TravelDocument.person_id,
            TravelDocument.doc_type,
            TravelDocument.issuing_country,
            TravelDocument.expires_on,
            TravelDocument.status,
        )
    ).all()
    verifications = s.execute(
        sa.select(
            NationalityVerification.person_id,
            NationalityVerification.country,
            NationalityVerification.result,
            NationalityVerification.verified_on,
            NationalityVerification.id,
        )
    ).all()
    transfers = s.execute(
        sa.select(FacilityAirport.facility_id, FacilityAirport.airport, FacilityAirport.transfer_hours)
    ).all()
    facts = PeopleColumns(
        person_id=columns[0],
        custody_status=columns[1],
        order_status=columns[2],
        nationality=columns[3],
        legal_hold_reason=columns[4],
        hold_until=columns[5],
        facility=columns[6],
        medical_need=columns[7],
        family_group=columns[8],
        documents=documents,
        verifications=verifications,
        transfers=transfers,
    )
    return PlanningPeople(facts, case_number=columns[9], priority=columns[10], risk_level=columns[11])


__all__ = [
    "UNKNOWN_ZONE",
    "PlanningPeople",
    "airport_zones",
    "departure_timezone",
    "document_facts",
    "flight_pickups",
    "load_person_facts",
    "load_planning_people",
    "person_facts_of",
    "pickup_facts",
    "rows_in",
    "rule_facts",
    "stop_facts",
    "transfer_hours",
    "verification_facts",
]
