"""Services of the documents after the doors close (see :mod:`planner.services.manifests.as_flown`):
the as-flown manifest of a departed flight and the handover receipt of a stop. Each renders the PDF,
writes one audit event with the document's SHA-256 and commits it; a refusal is ``InvalidInput``
(exit 2) and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from io import BytesIO
from typing import Any

from planner.domain.enums import FlightStatus, Role
from planner.domain.errors import InvalidInput
from planner.persistence import audit
from planner.persistence.audit_anchors import record_anchor
from planner.persistence.models import Flight, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.manifests.as_flown import FlownDocument, StruckRow, build_flown, document_sha256
from planner.services.manifests.as_flown_pdf import render_flown_pdf
from planner.services.manifests.revisions import _display, _flight


@dataclass(frozen=True)
class FlownPdf:
    """A rendered as-flown manifest or handover receipt: the PDF, its hash and counts."""

    pdf: bytes
    sha256: str
    flight_code: str
    based_on_revision: int
    persons: int
    struck: int
    stop: str | None = None


def as_flown_manifest(
    uow: UnitOfWork, actor: Actor, flight_code: str, *, now: datetime | None = None
) -> FlownPdf:
    """Officer+: the as-flown manifest PDF of a DEPARTED flight; audited as ``manifest.as_flown``.

    ``NotFound``: no such flight; ``InvalidInput`` (nothing written): the flight has not departed
    or never had an approved manifest. Commits the audit event."""
    authorize(uow, actor, Role.OFFICER, f"print the as-flown manifest of {flight_code}")
    flight = _flight(uow, flight_code)
    if flight.status != FlightStatus.DEPARTED:
        raise InvalidInput(
            f"flight {flight.code} is {flight.status}: the as-flown manifest exists once the flight has departed"
        )
    doc = replace(
        build_flown(uow, actor, flight), printed_by=_display(uow, actor), printed_at=now or utc_now()
    )
    anchor = record_anchor(
        uow, "manifest.as_flown", f"{flight.code} as-flown", actor.username, now=doc.printed_at
    )
    doc = replace(doc, audit_anchor=anchor.text)
    return _render_and_audit(uow, actor, flight, doc)


def handover_receipt(
    uow: UnitOfWork, actor: Actor, flight_code: str, stop_airport: str, *, now: datetime | None = None
) -> FlownPdf:
    """Officer+: the handover receipt of stop ``stop_airport`` (IATA) of a closed or departed
    flight; audited as ``manifest.handover``.

    ``NotFound``: no such flight; ``InvalidInput`` (nothing written): doors not closed yet, the
    flight does not stop at ``stop_airport``, never had an approved manifest, or nobody boarded
    for that stop. Commits the audit event."""
    authorize(uow, actor, Role.OFFICER, f"print a handover receipt of {flight_code}")
    flight = _flight(uow, flight_code)
    if flight.status == FlightStatus.CANCELLED:
        raise InvalidInput(f"flight {flight.code} is CANCELLED")
    if flight.status != FlightStatus.DEPARTED and flight.closed_at is None:
        raise InvalidInput(
            f"flight {flight.code} is not closed yet: handover receipts list who boarded once the doors are closed"
        )
    iata = stop_airport.strip().upper()
    base = build_flown(uow, actor, flight)
    stop = next((s for s in base.manifest.stops if s.airport == iata), None)
    if stop is None:
        stops = ", ".join(s.airport for s in base.manifest.stops)
        raise InvalidInput(f"flight {flight.code} does not stop at {iata} (its stops: {stops})")
    doc = build_flown(uow, actor, flight, stop_sequence=stop.sequence)
    if doc.person_count == 0:
        raise InvalidInput(f"nobody boarded flight {flight.code} for stop {stop.sequence} {iata}")
    doc = replace(doc, printed_by=_display(uow, actor), printed_at=now or utc_now())
    return _render_and_audit(uow, actor, flight, doc)


def _render_and_audit(uow: UnitOfWork, actor: Actor, flight: Flight, doc: FlownDocument) -> FlownPdf:
    """Render ``doc``, record its audit event with the hash, commit."""
    buffer = BytesIO()
    render_flown_pdf(doc, buffer)
    digest = document_sha256(doc)
    stop = next(iter(doc.manifest.stops)) if doc.stop_sequence is not None else None
    changes: dict[str, Any] = {
        "sha256": digest,
        "based_on_revision": doc.based_on_revision,
        "persons": doc.person_count,
        "cases": sorted(doc.boarded),
    }
    if doc.audit_anchor:
        changes["anchor"] = doc.audit_anchor
    if stop is not None:
        changes["stop"] = f"{stop.sequence} {stop.airport}"
    else:
        changes["struck"] = {code: n for code, n in _count_reasons(doc.struck).items()}
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action="manifest.as_flown" if doc.stop_sequence is None else "manifest.handover",
            entity="flight",
            entity_id=flight.code,
            changes=changes,
        ),
    )
    uow.commit()
    return FlownPdf(
        pdf=buffer.getvalue(),
        sha256=digest,
        flight_code=flight.code,
        based_on_revision=doc.based_on_revision,
        persons=doc.person_count,
        struck=len(doc.struck),
        stop=None if stop is None else stop.airport,
    )


def _count_reasons(struck: tuple[StruckRow, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in struck:
        counts[s.reason] = counts.get(s.reason, 0) + 1
    return dict(sorted(counts.items()))


__all__ = ["FlownPdf", "as_flown_manifest", "handover_receipt"]
