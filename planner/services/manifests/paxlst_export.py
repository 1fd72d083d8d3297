"""PAXLST exports (UN/EDIFACT, for the carrier): the passenger list of the manifest revision in
force — one per international leg on a route with several pickups
(:func:`~planner.services.manifests.paxlst.write_leg_paxlsts`) — and the crew list of the flight's
escort list (escort officers, crew, medical staff)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.persistence import audit
from planner.persistence.models import FlightEscort
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.manifests.deadlines import flight_itinerary
from planner.services.manifests.paxlst import (
    CrewMember,
    LegMessage,
    PaxlstError,
    ReportingContact,
    transliterate,
    write_crew_paxlst,
    write_leg_paxlsts,
)
from planner.services.manifests.recheck import listed_but_unfit, refusal_message
from planner.services.manifests.revisions import (
    IN_FORCE,
    _flight,
    _now,
    _record,
    _revisions,
    refuse_transition,
    stored_content,
)

#: PAXLST interchange sender (UNB/UNG, NAD+MS).
PAXLST_SENDER = "CHARTER PLANNER"


def export_paxlst(
    uow: UnitOfWork,
    actor: Actor,
    flight_code: str,
    *,
    sender: str = PAXLST_SENDER,
    contact: ReportingContact | None = None,
    now: datetime | None = None,
) -> str:
    """The one PAXLST interchange of ``flight_code`` (see :func:`export_paxlst_legs`);
    ``InvalidInput`` (nothing audited) when its route has several international legs — export
    those with :func:`export_paxlst_legs`."""
    return _export(uow, actor, flight_code, sender=sender, contact=contact, now=now, single=True)[0].text


def export_paxlst_legs(
    uow: UnitOfWork,
    actor: Actor,
    flight_code: str,
    *,
    sender: str = PAXLST_SENDER,
    contact: ReportingContact | None = None,
    now: datetime | None = None,
) -> tuple[LegMessage, ...]:
    """Officer+: the PAXLST interchanges of the revision in force (APPROVED or SIGNED; the carrier
    gets only what was approved): one for a flight that leaves from one airport, one per
    international leg of a route with several pickups (each with that leg's departure airport and
    time, listing the people aboard it). ``InvalidInput`` without an approved revision, when the
    route has no international leg, or when ``sender`` (the office's party id,
    ``Settings.paxlst_sender``) is not UNOA text, or ``contact`` (``Settings.reporting_phone`` /
    ``reporting_email``) is malformed. Interchange reference ``M<id>R<revision>`` (``…L<leg>`` per
    leg); recipient the carrier's name in UNOA. Audited as ``manifest.paxlst`` (with the legs);
    commits that event. Refused (audited ``manifest.paxlst.refused``, ``ManifestRefused``) when
    somebody listed may no longer fly as the facts stand at ``now``
    (:mod:`~planner.services.manifests.recheck`)."""
    return _export(uow, actor, flight_code, sender=sender, contact=contact, now=now, single=False)


def leg_path(out: str, label: str) -> str:
    """``rf1.edi`` + ``IAH-GUA`` -> ``rf1-IAH-GUA.edi`` (same folder): the file of one leg's PAXLST."""
    path = Path(out)
    return str(path.with_name(f"{path.stem}-{label}{path.suffix or '.edi'}"))


def _export(
    uow: UnitOfWork,
    actor: Actor,
    flight_code: str,
    *,
    sender: str,
    contact: ReportingContact | None,
    now: datetime | None,
    single: bool,
) -> tuple[LegMessage, ...]:
    authorize(uow, actor, Role.OFFICER, f"export the PAXLST of {flight_code}")
    now = _now(now)
    flight = _flight(uow, flight_code)
    in_force = next((m for m in _revisions(uow, flight.id) if m.status in IN_FORCE), None)
    if in_force is None:
        raise InvalidInput(f"{flight_code} has no approved manifest: approve it before sending PAXLST")
    content = stored_content(uow, actor, in_force, action="export the PAXLST")
    unfit = listed_but_unfit(uow, flight, content, now)
    if unfit:
        refuse_transition(uow, actor, "paxlst", flight_code, refusal_message(flight_code, len(unfit)), unfit)
    reference = f"M{in_force.id}R{in_force.revision}"[:14]
    recipient = transliterate(flight.carrier)[:35] or "CARRIER"
    try:
        messages = write_leg_paxlsts(
            content, sender=sender, recipient=recipient, interchange_ref=reference, now=now, contact=contact
        )
    except PaxlstError as exc:
        raise InvalidInput(f"PAXLST of {flight_code}: {exc}") from None
    if not messages:
        raise InvalidInput(f"{flight_code} has no international leg: no PAXLST is due")
    if single and len(messages) > 1:
        legs = ", ".join(m.label for m in messages)
        raise InvalidInput(
            f"{flight_code} has {len(messages)} international legs ({legs}): export one PAXLST per leg"
        )
    details: dict[str, object] = {"interchange_ref": reference, "persons": content.person_count}
    if content.has_route:
        details["legs"] = {m.label: m.persons for m in messages}
    _record(uow, actor, "manifest.paxlst", in_force, flight_code, **details)
    uow.commit()
    return messages


def escort_list(uow: UnitOfWork, flight_id: int) -> list[FlightEscort]:
    """The flight's escort list in list order."""
    return list(
        uow.session.execute(
            sa.select(FlightEscort).where(FlightEscort.flight_id == flight_id).order_by(FlightEscort.sequence)
        ).scalars()
    )


def export_crew_paxlst(
    uow: UnitOfWork,
    actor: Actor,
    flight_code: str,
    *,
    sender: str = PAXLST_SENDER,
    contact: ReportingContact | None = None,
    now: datetime | None = None,
) -> str:
    """Officer+: the PAXLST crew list (``BGM+250``) of ``flight_code``'s escort list (imported with
    ``import escorts``), itinerary from the flight as it stands. ``InvalidInput`` when the list is
    empty or a value cannot be written (e.g. a name with no UNOA form). Interchange reference
    ``C<flight id><MMDDHHMM>`` (UTC). Audited as ``flight.crew_paxlst``; commits that event."""
    authorize(uow, actor, Role.OFFICER, f"export the crew list of {flight_code}")
    now = _now(now)
    flight = _flight(uow, flight_code)
    escorts = escort_list(uow, flight.id or 0)
    if not escorts:
        raise InvalidInput(
            f"{flight_code} has no escort list: import one with 'charter-planner import escorts FILE'"
        )
    crew = [
        CrewMember(
            family_name=e.family_name,
            given_names=e.given_names,
            sex=e.sex,
            date_of_birth=e.date_of_birth,
            nationality=e.nationality,
            document_type=e.document_type,
            document_number=e.document_number,
            document_expires=e.document_expires,
            issuing_country=e.issuing_country,
            role=e.role,
        )
        for e in escorts
    ]
    reference = f"C{flight.id}{now:%m%d%H%M}"[:14]
    recipient = transliterate(flight.carrier)[:35] or "CARRIER"
    try:
        text = write_crew_paxlst(
            flight_itinerary(uow, flight),
            crew,
            sender=sender,
            recipient=recipient,
            interchange_ref=reference,
            now=now,
            contact=contact,
        )
    except PaxlstError as exc:
        raise InvalidInput(f"crew list of {flight_code}: {exc}") from None
    audit.record(
        uow,
        audit.AuditEntry(
            actor.username,
            "flight.crew_paxlst",
            "flight",
            flight_code,
            {"interchange_ref": reference, "persons": len(crew)},
        ),
    )
    uow.commit()
    return text
