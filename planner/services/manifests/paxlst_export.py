"""PAXLST export of the manifest revision in force (UN/EDIFACT, for the carrier)."""

from __future__ import annotations

from datetime import datetime

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.manifests.paxlst import PaxlstError, transliterate, write_paxlst
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
    now: datetime | None = None,
) -> str:
    """Officer+: the PAXLST interchange of the revision in force (APPROVED or SIGNED; the carrier gets
    only what was approved). ``InvalidInput`` without one, or when ``sender`` (the office's party
    id, ``Settings.paxlst_sender``) is not UNOA text. Interchange reference ``M<id>R<revision>``;
    recipient the carrier's name in UNOA. Audited as ``manifest.paxlst``; commits that event.
    Refused (audited ``manifest.paxlst.refused``, ``ManifestRefused``) when somebody listed may no
    longer fly as the facts stand at ``now`` (:mod:`~planner.services.manifests.recheck`)."""
    authorize(uow, actor, Role.OFFICER, f"export the PAXLST of {flight_code}")
    now = _now(now)
    flight = _flight(uow, flight_code)
    in_force = next((m for m in _revisions(uow, flight.id) if m.status in IN_FORCE), None)
    if in_force is None:
        raise InvalidInput(f"{flight_code} has no approved manifest: approve it before sending PAXLST")
    unfit = listed_but_unfit(uow, flight, in_force, now)
    if unfit:
        refuse_transition(uow, actor, "paxlst", flight_code, refusal_message(flight_code, len(unfit)), unfit)
    content = stored_content(in_force)
    reference = f"M{in_force.id}R{in_force.revision}"[:14]
    recipient = transliterate(flight.carrier)[:35] or "CARRIER"
    try:
        text = write_paxlst(content, sender=sender, recipient=recipient, interchange_ref=reference, now=now)
    except PaxlstError as exc:
        raise InvalidInput(f"PAXLST of {flight_code}: {exc}") from None
    _record(
        uow,
        actor,
        "manifest.paxlst",
        in_force,
        flight_code,
        interchange_ref=reference,
        persons=content.person_count,
    )
    uow.commit()
    return text
