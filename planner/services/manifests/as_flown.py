"""After the doors close: the **as-flown manifest** and the **handover receipt** of each stop.

Both are built from the database at the time of asking and hashed like manifests (SHA-256 of a
canonical JSON with a format tag, printed in every footer and carried by a QR code); producing one
is audited (``manifest.as_flown`` / ``manifest.handover``, with the hash and the counts), so the
hash on a printed copy can be found in the audit log. This module builds and hashes the content;
:mod:`~planner.services.manifests.as_flown_pdf` renders it and
:mod:`~planner.services.manifests.flown` holds the services.

- **As-flown** (``manifest FLIGHT --as-flown``): only the people who boarded (``boarding``), per
  stop, with the rows of the manifest revision in force (the newest APPROVED or SIGNED; a boarded
  person missing from it is taken from the newest revision that lists them); then, on its last
  page, everybody struck off the flight (``strike_off``) with the reason in words, the note, who
  and when. Refused (``InvalidInput``, nothing written) unless the flight has DEPARTED.
- **Handover receipt** (``handover FLIGHT --stop IATA``): the people who boarded for that stop,
  with signature blocks for the receiving officials (name, rank, signature, date/time) and the
  escort leader. Refused (``InvalidInput``) before the flight is closed (doors closed) or departed,
  for a stop the flight does not make, or when nobody boarded for it.

What the hashes cover: the flight header and the revision the document is based on, each person's
row and boarding (airport, time), the closing and departure times, and (as-flown) every strike-off.
Not covered: who printed it and when (shown on the page, recorded in the audit event).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from planner.domain.enums import StrikeReason
from planner.domain.errors import InvalidInput
from planner.persistence.audit import canonical_json
from planner.persistence.models import Boarding, Flight, Manifest, Person, StrikeOff
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from planner.services.manifests.content import ManifestContent, ManifestRow, hashed_dict
from planner.services.manifests.revisions import IN_FORCE, stored_content

AS_FLOWN_FORMAT = "charter-as-flown/1"
HANDOVER_FORMAT = "charter-handover/1"
AS_FLOWN_QR = "CHARTER-AS-FLOWN"
HANDOVER_QR = "CHARTER-HANDOVER"

#: The strike-off reasons in words (``strike_off.reason``).
STRIKE_REASON_TEXT: dict[str, str] = {
    StrikeReason.LEGAL_STAY.value: "Legal stay (court or legal hold)",
    StrikeReason.MEDICAL_UNFIT.value: "Medically unfit to fly",
    StrikeReason.NO_SHOW.value: "Did not board (no-show)",
    StrikeReason.REFUSED_BY_RECEIVING_STATE.value: "Refused by the receiving state",
    StrikeReason.DOCUMENT_PROBLEM.value: "Travel document problem",
    StrikeReason.DISRUPTIVE.value: "Disruptive",
    StrikeReason.OTHER.value: "Other",
}


@dataclass(frozen=True, slots=True)
class BoardingInfo:
    """Where and when a person boarded."""

    airport: str
    boarded_at: datetime


@dataclass(frozen=True, slots=True)
class StruckRow:
    """One person struck off the flight, with the coded reason and its note."""

    case_number: str
    family_name: str
    given_names: str
    native_name: str
    stop_sequence: int
    reason: str
    note: str
    struck_by: str
    struck_at: datetime
    manifest_revision: int | None

    @property
    def reason_text(self) -> str:
        return STRIKE_REASON_TEXT.get(self.reason, self.reason)


@dataclass(frozen=True)
class FlownDocument:
    """Content of an as-flown manifest (``stop_sequence`` None) or of one stop's handover receipt.

    ``manifest`` carries the flight header and, per stop, only the people who boarded (no
    reserves); ``based_on_revision`` is the manifest revision in force it was built from."""

    manifest: ManifestContent
    based_on_revision: int
    boarded: dict[str, BoardingInfo]
    closed_at: datetime | None
    closed_by: str | None
    departed_at: datetime | None
    struck: tuple[StruckRow, ...] = ()
    stop_sequence: int | None = None
    printed_by: str = ""
    printed_at: datetime | None = None
    #: The audit chain's head when it was printed, ``"<event id>:<hash>"`` (not hashed).
    audit_anchor: str = ""

    @property
    def kind(self) -> str:
        return "as-flown" if self.stop_sequence is None else "handover"

    @property
    def person_count(self) -> int:
        return self.manifest.person_count


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def document_dict(doc: FlownDocument) -> dict[str, Any]:
    """What the document's hash covers (see the module doc)."""
    return {
        "format": AS_FLOWN_FORMAT if doc.stop_sequence is None else HANDOVER_FORMAT,
        "manifest": hashed_dict(doc.manifest),
        "based_on_revision": doc.based_on_revision,
        "stop_sequence": doc.stop_sequence,
        "closed_at": _iso(doc.closed_at),
        "closed_by": doc.closed_by,
        "departed_at": _iso(doc.departed_at),
        "boarded": [
            {"case_number": case, "airport": info.airport, "boarded_at": _iso(info.boarded_at)}
            for case, info in sorted(doc.boarded.items())
        ],
        "struck": [
            {
                "case_number": s.case_number,
                "family_name": s.family_name,
                "given_names": s.given_names,
                "native_name": s.native_name,
                "stop_sequence": s.stop_sequence,
                "reason": s.reason,
                "note": s.note,
                "struck_by": s.struck_by,
                "struck_at": _iso(s.struck_at),
                "manifest_revision": s.manifest_revision,
            }
            for s in doc.struck
        ],
    }


def document_sha256(doc: FlownDocument) -> str:
    """Lower-case hex SHA-256 of the canonical JSON of :func:`document_dict`."""
    return hashlib.sha256(canonical_json(document_dict(doc)).encode("utf-8")).hexdigest()


def document_qr_payload(doc: FlownDocument) -> str:
    """``CHARTER-AS-FLOWN|flight|revision|sha256`` or ``CHARTER-HANDOVER|flight|stop|sha256``."""
    if doc.stop_sequence is None:
        return f"{AS_FLOWN_QR}|{doc.manifest.flight_code}|{doc.based_on_revision}|{document_sha256(doc)}"
    return f"{HANDOVER_QR}|{doc.manifest.flight_code}|{doc.stop_sequence}|{document_sha256(doc)}"


# ---------------------------------------------------------------------------------------------
# building from the database


def _revisions(uow: UnitOfWork, flight_id: int) -> list[Manifest]:
    return list(
        uow.session.execute(
            sa.select(Manifest).where(Manifest.flight_id == flight_id).order_by(Manifest.revision.desc())
        ).scalars()
    )


def build_flown(
    uow: UnitOfWork, actor: Actor, flight: Flight, *, stop_sequence: int | None = None
) -> FlownDocument:
    """The as-flown content of ``flight`` (or the handover content of stop ``stop_sequence``).

    ``InvalidInput`` when the flight never had an approved manifest; ``ManifestTampered`` (audited,
    for ``actor``) when a revision's stored content no longer matches its hash."""
    revisions = _revisions(uow, flight.id)
    in_force = next((m for m in revisions if m.status in IN_FORCE), None)
    if in_force is None:
        raise InvalidInput(f"flight {flight.code} has no approved manifest")
    base = stored_content(uow, actor, in_force, action="print the as-flown manifest")
    boardings = list(
        uow.session.execute(sa.select(Boarding).where(Boarding.flight_id == flight.id)).scalars()
    )
    strikes = list(
        uow.session.execute(
            sa.select(StrikeOff)
            .where(StrikeOff.flight_id == flight.id)
            .order_by(StrikeOff.struck_at, StrikeOff.id)
        ).scalars()
    )
    ids = {b.person_id for b in boardings} | {s.person_id for s in strikes}
    people = (
        {p.id: p for p in uow.session.execute(sa.select(Person).where(Person.id.in_(sorted(ids)))).scalars()}
        if ids
        else {}
    )
    boarded_cases = {people[b.person_id].case_number: b for b in boardings}
    struck_cases = {people[s.person_id].case_number for s in strikes}

    # where each boarded person is listed: the revision in force first, then older ones
    placed: dict[str, tuple[int, ManifestRow]] = {}
    for revision in [in_force, *(m for m in revisions if m is not in_force)]:
        content = (
            base
            if revision is in_force
            else stored_content(uow, actor, revision, action="print the as-flown manifest")
        )
        for stop in content.stops:
            for row in stop.rows:
                if row.case_number in boarded_cases and row.case_number not in placed:
                    placed[row.case_number] = (stop.sequence, row)
    stops = tuple(
        replace(
            stop,
            rows=tuple(
                row
                for seq, row in placed.values()
                if seq == stop.sequence and row.case_number not in struck_cases
            ),
            reserves=(),
        )
        for stop in base.stops
        if stop_sequence is None or stop.sequence == stop_sequence
    )
    flown_cases = {row.case_number for stop in stops for row in stop.rows}
    manifest = replace(base, stops=stops)
    struck = tuple(
        StruckRow(
            case_number=people[s.person_id].case_number,
            family_name=people[s.person_id].family_name,
            given_names=people[s.person_id].given_names,
            native_name=people[s.person_id].native_name or "",
            stop_sequence=s.stop_sequence,
            reason=s.reason,
            note=s.note,
            struck_by=s.struck_by,
            struck_at=s.struck_at,
            manifest_revision=s.manifest_revision,
        )
        for s in strikes
    )
    return FlownDocument(
        manifest=manifest,
        based_on_revision=in_force.revision,
        boarded={
            case: BoardingInfo(b.airport, b.boarded_at)
            for case, b in boarded_cases.items()
            if case in flown_cases
        },
        closed_at=flight.closed_at,
        closed_by=flight.closed_by,
        departed_at=flight.departed_at,
        struck=struck if stop_sequence is None else (),
        stop_sequence=stop_sequence,
    )


__all__ = [
    "STRIKE_REASON_TEXT",
    "BoardingInfo",
    "FlownDocument",
    "StruckRow",
    "build_flown",
    "document_dict",
    "document_qr_payload",
    "document_sha256",
]
