"""Building manifest content from the database: the current plan's people for a flight.

Pure reads, in bulk (a handful of queries for any number of flights), used by the manifest
workflow (:mod:`planner.services.manifests.workflow`) and the batch (:mod:`planner.services.manifests.batch`).

Per row (docs/design.md, Manifests):

- the document is the VALID one of a type the stop's country accepts, issued by that country, with
  the latest expiry (ties: the highest id);
- the verification reference and date are those of the latest CONFIRMED verification for the stop's
  country (``""`` / ``None`` when there is none — only possible where the country needs no
  verification);
- the nationality is the one the receiving country confirmed, never merely the claimed one where
  they differ (:func:`confirmed_nationality`); the claimed one is kept as ``claimed_nationality``
  when it differs, and the document's issuing country and issue date are listed with it;
- the departure time zone is the departure airport's ``Airport.timezone``;
- on a route with several pickups (``planner.services.routes``) the content lists every pickup and
  each row the pickup the person boards at (``Assignment.pickup_sequence``); a one-pickup flight's
  content has no pickups (format 1, as before routes existed).

Besides the content, a build lists *problems*: people the manifest may not carry as they stand now
(rules 1–6 and 8 re-checked at the time of preparing; rule 7 is the planner's business and rule 9 is
checked against the sent manifest by the workflow) and family groups split across stops or flights.
A manifest with problems is never prepared or approved.

Each stop also lists its ranked **reserves** (:func:`planner.services.reserves.reserves_for_flights`
for the same plan at the same ``now``), as rows like the passengers' in rank order; they are
eligible by construction and are never frozen.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from planner.domain.eligibility import (
    CountryRuleFacts,
    StopFacts,
    check_person,
    latest_verifications,
    reason_label,
)
from planner.domain.enums import DocumentStatus, ManifestStatus, ReasonCode, VerificationResult
from planner.domain.names import unoa_problem
from planner.domain.route import Route
from planner.persistence.models import (
    Airport,
    Assignment,
    Flight,
    FlightStop,
    Manifest,
    NationalityVerification,
    Person,
    TravelDocument,
)
from planner.persistence.uow import UnitOfWork
from planner.services.eligibility_facts import (
    CHUNK,
    person_facts_of,
    rows_in,
    rule_facts,
    stop_facts,
    verification_facts,
)
from planner.services.manifests.content import ManifestContent, ManifestRow, PickupSection, StopSection
from planner.services.reserves import FlightReserves, reserves_for_flights
from planner.services.routes import routes_of

#: Rules not re-checked when a manifest is prepared (see the module doc).
_NOT_RECHECKED = frozenset({ReasonCode.FACILITY_CANNOT_REACH, ReasonCode.AFTER_NOTICE_CUTOFF})


@dataclass(frozen=True)
class BuiltManifest:
    """The content for one flight plus what the database ids behind it are.

    ``person_ids`` maps case number -> person id (passengers); ``stop_ids`` maps stop sequence ->
    flight stop id; ``problems`` are one-line messages (empty when the manifest may be prepared);
    ``reserve_ids`` maps the reserves' case numbers -> person ids.
    """

    flight_id: int
    content: ManifestContent
    person_ids: dict[str, int] = field(default_factory=dict)
    stop_ids: dict[int, int] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    reserve_ids: dict[str, int] = field(default_factory=dict)


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    values = sorted(set(ids))
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def planned_people(
    uow: UnitOfWork, plan_run_id: int | None, stop_ids: Iterable[int]
) -> dict[int, list[tuple[int, bool]]]:
    """flight stop id -> [(person id, frozen)] in the plan ``plan_run_id`` (empty without a plan)."""
    out: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    if plan_run_id is None:
        return out
    for chunk in _chunks(stop_ids):
        rows = uow.session.execute(
            sa.select(Assignment.flight_stop_id, Assignment.person_id, Assignment.frozen).where(
                Assignment.plan_run_id == plan_run_id, Assignment.flight_stop_id.in_(chunk)
            )
        ).all()
        for stop_id, person_id, frozen in rows:
            out[stop_id].append((person_id, bool(frozen)))
    return out


def pickup_sequences(uow: UnitOfWork, plan_run_id: int | None, stop_ids: Iterable[int]) -> dict[int, int]:
    """person id -> the pickup sequence they board at in the plan ``plan_run_id``, for the people
    on ``stop_ids`` (empty without a plan)."""
    out: dict[int, int] = {}
    if plan_run_id is None:
        return out
    for chunk in _chunks(stop_ids):
        rows = uow.session.execute(
            sa.select(Assignment.person_id, Assignment.pickup_sequence).where(
                Assignment.plan_run_id == plan_run_id, Assignment.flight_stop_id.in_(chunk)
            )
        ).all()
        out.update({int(pid): int(seq or 0) for pid, seq in rows})
    return out


def _pickup_sections(airports: dict[str, Airport], flight_route: Route | None) -> tuple[PickupSection, ...]:
    """The content's pickups of a route with several (empty for one pickup: format 1 content)."""
    if flight_route is None or len(flight_route.pickups) < 2:
        return ()
    return tuple(
        PickupSection(
            sequence=p.sequence,
            airport=p.airport,
            airport_name=airports[p.airport].name,
            country=airports[p.airport].country,
            timezone=airports[p.airport].timezone,
            departure_utc=p.departure_utc,
        )
        for p in flight_route.pickups
    )


def build_contents(
    uow: UnitOfWork,
    flights: Sequence[Flight],
    *,
    plan_run_id: int | None,
    revisions: dict[int, int],
    now: datetime,
    prepared_by: str = "",
) -> dict[int, BuiltManifest]:
    """Content of revision ``revisions[flight.id]`` for each flight from the plan ``plan_run_id``.

    The content is a DRAFT with ``prepared_by``/``now`` as preparer; the hash does not depend on them.
    """
    session = uow.session
    flight_ids = [f.id for f in flights]
    stops_by_flight: dict[int, list[FlightStop]] = defaultdict(list)
    for stop in rows_in(uow, FlightStop, FlightStop.flight_id, flight_ids):
        stops_by_flight[stop.flight_id].append(stop)
    airports = {a.iata: a for a in session.execute(sa.select(Airport)).scalars()}
    rules = rule_facts(uow, {a.country for a in airports.values()})
    all_stop_ids = [s.id for stops in stops_by_flight.values() for s in stops]
    assigned = planned_people(uow, plan_run_id, all_stop_ids)
    routes = routes_of(uow, flight_ids)
    boards_at = pickup_sequences(uow, plan_run_id, all_stop_ids)
    reserves = reserves_for_flights(uow, flights, now=now, plan_run_id=plan_run_id)
    person_ids = {pid for rows in assigned.values() for pid, _ in rows}
    person_ids |= {pid for r in reserves.values() for u in r.units for pid in u.person_ids}
    people = {p.id: p for p in rows_in(uow, Person, Person.id, person_ids)}
    documents: dict[int, list[TravelDocument]] = defaultdict(list)
    for doc in rows_in(uow, TravelDocument, TravelDocument.person_id, person_ids):
        documents[doc.person_id].append(doc)
    verifications: dict[int, list[NationalityVerification]] = defaultdict(list)
    for ver in rows_in(uow, NationalityVerification, NationalityVerification.person_id, person_ids):
        verifications[ver.person_id].append(ver)
    family_place = _family_places(uow, people.values(), assigned)

    built: dict[int, BuiltManifest] = {}
    for flight in flights:
        departure = airports[flight.departure_airport]
        pickups = _pickup_sections(airports, routes.get(flight.id))
        pickup_numbers = {p.sequence for p in pickups} or {0}
        sections: list[StopSection] = []
        problems: list[str] = []
        case_to_id: dict[str, int] = {}
        reserve_ids: dict[str, int] = {}
        for stop in sorted(stops_by_flight.get(flight.id, []), key=lambda s: s.sequence):
            airport = airports[stop.airport]
            country = airport.country
            rule = rules[country]
            facts = stop_facts(flight, stop.id, country)
            rows: list[ManifestRow] = []
            for person_id, _frozen in assigned.get(stop.id, []):
                person = people[person_id]
                case_to_id[person.case_number] = person_id
                reasons = _recheck(person, documents[person_id], verifications[person_id], facts, rule, now)
                if reasons:
                    problems.append(
                        f"{person.case_number} (stop {stop.sequence} {stop.airport}): "
                        + ", ".join(reason_label(r) for r in reasons)
                    )
                if person.family_group:
                    places = family_place.get(person.family_group, set())
                    if len(places) > 1:
                        problems.append(
                            f"{person.case_number}: family group {person.family_group} is not together "
                            f"on stop {stop.sequence} {stop.airport}"
                        )
                row = _row(person, documents[person_id], verifications[person_id], country, rule)
                if row is None:
                    problems.append(
                        f"{person.case_number} (stop {stop.sequence} {stop.airport}): no valid "
                        f"{country} document of an accepted type"
                    )
                    continue
                pickup = boards_at.get(person_id, 0)
                if pickup not in pickup_numbers:
                    problems.append(
                        f"{person.case_number} (stop {stop.sequence} {stop.airport}): boards at pickup "
                        f"{pickup}, which the flight no longer has; re-plan"
                    )
                    continue
                rows.append(replace(row, pickup_sequence=pickup))
            sections.append(
                StopSection(
                    sequence=stop.sequence,
                    airport=stop.airport,
                    airport_name=airport.name,
                    country=country,
                    rows=tuple(rows),
                    timezone=airport.timezone,
                    arrival_utc=stop.arrival_utc,
                    reserves=_reserve_rows(
                        reserves[flight.id],
                        stop.sequence,
                        people,
                        documents,
                        verifications,
                        rule,
                        reserve_ids,
                    ),
                )
            )
        content = ManifestContent(
            flight_code=flight.code,
            revision=revisions[flight.id],
            status=ManifestStatus.DRAFT.value,
            carrier=flight.carrier,
            aircraft=flight.aircraft,
            departure_airport=flight.departure_airport,
            departure_airport_name=departure.name,
            departure_utc=flight.departure_utc,
            departure_timezone=departure.timezone,
            stops=tuple(sections),
            prepared_by=prepared_by,
            prepared_at=now,
            pickups=pickups,
        )
        built[flight.id] = BuiltManifest(
            flight_id=flight.id,
            content=content,
            person_ids=case_to_id,
            stop_ids={s.sequence: s.id for s in stops_by_flight.get(flight.id, [])},
            problems=tuple(dict.fromkeys(problems)),
            reserve_ids=reserve_ids,
        )
    return built


def _reserve_rows(
    reserves: FlightReserves,
    sequence: int,
    people: dict[int, Person],
    documents: dict[int, list[TravelDocument]],
    verifications: dict[int, list[NationalityVerification]],
    rule: CountryRuleFacts,
    reserve_ids: dict[str, int],
) -> tuple[ManifestRow, ...]:
    """The manifest rows of stop ``sequence``'s reserves in rank order (members of a family together)."""
    stop = reserves.stop(sequence)
    if stop is None:
        return ()
    rows: list[ManifestRow] = []
    for unit in stop.units:
        for pid in unit.person_ids:
            row = _row(people[pid], documents[pid], verifications[pid], stop.country, rule)
            if row is not None:  # eligible reserves always have a document; defensive
                rows.append(row)
                reserve_ids[row.case_number] = pid
    return tuple(rows)


def _family_places(
    uow: UnitOfWork, people: Iterable[Person], assigned: dict[int, list[tuple[int, bool]]]
) -> dict[str, set[int | None]]:
    """family group -> the set of flight stop ids its members are on (None = a member not placed)."""
    groups = {p.family_group for p in people if p.family_group}
    if not groups:
        return {}
    stop_of = {pid: stop_id for stop_id, rows in assigned.items() for pid, _ in rows}
    places: dict[str, set[int | None]] = defaultdict(set)
    values = sorted(groups)
    for start in range(0, len(values), CHUNK):
        rows = uow.session.execute(
            sa.select(Person.id, Person.family_group).where(
                Person.family_group.in_(values[start : start + CHUNK])
            )
        ).all()
        for pid, group in rows:
            assert group is not None  # selected by family_group IN (…)
            places[group].add(stop_of.get(pid))
    # Members on stops outside the flights being built count as elsewhere too.
    return places


def _recheck(
    person: Person,
    docs: list[TravelDocument],
    vers: list[NationalityVerification],
    stop: StopFacts,
    rule: CountryRuleFacts,
    now: datetime,
) -> tuple[ReasonCode, ...]:
    """Rules 1–6 and 8 for ``person`` at ``stop`` as the facts stand at ``now``."""
    reasons = check_person(person_facts_of(person, docs, vers), stop, rule, now=now, on_sent_manifest=True)
    return tuple(r for r in reasons if r not in _NOT_RECHECKED)


def chosen_document(docs: Iterable[Any], country: str, accepted_types: Collection[str]) -> Any | None:
    """The document a manifest lists for a stop in ``country``: VALID, of an accepted type, issued by
    that country, the latest expiry (then the newest record). ``None`` when there is none.
    Works on ``TravelDocument`` rows or any record with the same attributes."""
    candidates = [
        d
        for d in docs
        if d.status == DocumentStatus.VALID and d.issuing_country == country and d.doc_type in accepted_types
    ]
    return max(candidates, key=lambda d: (d.expires_on, d.id or 0)) if candidates else None


def confirmed_nationality(
    claimed: str,
    country: str,
    *,
    latest_result: str | None,
    verification_required: bool,
    document_issuing_country: str | None,
) -> str:
    """The nationality a manifest row for a stop in ``country`` states.

    - ``country`` when that country's *latest* verification of the person (``latest_result``) is
      CONFIRMED — the receiving state's own word, whatever the person claims;
    - where the country's rule does not require verification: ``document_issuing_country`` when it
      equals ``country`` (the document the manifest lists attests it), else ``claimed``;
    - otherwise ``claimed`` (such a person fails rule 4 and the manifest lists the problem).
    """
    if latest_result == VerificationResult.CONFIRMED:
        return country
    if not verification_required and document_issuing_country == country:
        return country
    return claimed


def _row(
    person: Person,
    docs: list[TravelDocument],
    vers: list[NationalityVerification],
    country: str,
    rule: CountryRuleFacts,
) -> ManifestRow | None:
    doc = chosen_document(docs, country, rule.accepted_document_types)
    if doc is None:
        return None
    confirmed = [v for v in vers if v.country == country and v.result == VerificationResult.CONFIRMED]
    ver = max(confirmed, key=lambda v: (v.verified_on, v.id or 0)) if confirmed else None
    latest = latest_verifications(verification_facts(v) for v in vers).get(country)
    nationality = confirmed_nationality(
        person.nationality,
        country,
        latest_result=latest.result if latest else None,
        verification_required=rule.verification_required,
        document_issuing_country=doc.issuing_country,
    )
    return ManifestRow(
        case_number=person.case_number,
        family_name=person.family_name,
        given_names=person.given_names,
        native_name=person.native_name or "",
        sex=person.sex,
        date_of_birth=person.date_of_birth,
        nationality=nationality,
        document_type=doc.doc_type,
        document_number=doc.number,
        document_expires=doc.expires_on,
        verification_reference=ver.reference if ver else "",
        verified_on=ver.verified_on if ver else None,
        risk_level=person.risk_level,
        medical_need=person.medical_need,
        family_group=person.family_group,
        claimed_nationality=person.nationality if person.nationality != nationality else None,
        document_issuing_country=doc.issuing_country,
        document_issued_on=doc.issued_on,
    )


#: Row values the PAXLST writes as free text (codes such as sex and nationality are checked on entry).
_PAXLST_TEXT = (
    ("case_number", "case number"),
    ("family_name", "family name"),
    ("given_names", "given names"),
    ("document_number", "document number"),
)


def unoa_problems(content: ManifestContent) -> list[str]:
    """One line per passenger or reserve value the PAXLST could not write in UNOA even after
    transliteration (:func:`planner.domain.names.unoa_problem`), naming the case number; empty when
    the whole manifest can be sent."""
    out: list[str] = []
    for stop in content.stops:
        for role, rows in (("passenger", stop.rows), ("reserve", stop.reserves)):
            for row in rows:
                for name, label in _PAXLST_TEXT:
                    value = getattr(row, name)
                    bad = unoa_problem(value)
                    if bad is not None:
                        out.append(
                            f"{row.case_number} ({role}, stop {stop.sequence} {stop.airport}): {label} "
                            f"{value!r} has characters with no Latin (UNOA) form: {bad}"
                        )
    return out


def sent_revision(uow: UnitOfWork, flight_id: int) -> Manifest | None:
    """The revision last sent to the receiving countries: the newest one ever approved, or None."""
    return uow.session.execute(
        sa.select(Manifest)
        .where(Manifest.flight_id == flight_id, Manifest.approved_at.is_not(None))
        .order_by(Manifest.revision.desc())
        .limit(1)
    ).scalar_one_or_none()


def case_numbers_by_stop(content_json: str) -> dict[int, set[str]]:
    """stop sequence -> case numbers (passengers), read straight from a stored ``content_json``."""
    data = json.loads(content_json)
    return {s["sequence"]: {r["case_number"] for r in s["rows"]} for s in data.get("stops", [])}


def reserve_case_numbers_by_stop(content_json: str) -> dict[int, set[str]]:
    """stop sequence -> case numbers listed as reserves, from a stored ``content_json`` (a revision
    stored before reserves existed has none)."""
    data = json.loads(content_json)
    return {s["sequence"]: {r["case_number"] for r in s.get("reserves", ())} for s in data.get("stops", [])}
