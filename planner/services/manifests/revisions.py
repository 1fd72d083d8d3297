"""Manifest revisions as stored: the value types, the reads and the helpers the workflow shares.

Reads (officer+, never committing): :func:`list_manifests`, :func:`current_manifest`,
:func:`manifest_content`, :func:`manifest_pdf` and :func:`check_manifest_hash`. Helpers for the
planning service (no role check): :func:`frozen_flight_ids` and :func:`sent_manifest_people`.
:func:`refuse_transition` is the one way the workflow refuses: ``audit.refuse`` with a
``manifest.<action>.refused`` event, raising ``ManifestRefused``. The workflow itself is
:mod:`planner.services.manifests.workflow`, which re-exports everything public here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import NoReturn

import sqlalchemy as sa

from planner.domain.enums import ManifestStatus, Role
from planner.domain.errors import InvalidInput, NotFound, PlannerError
from planner.persistence import audit
from planner.persistence.models import Flight, FlightStop, Manifest, ManifestSignature, Person, User, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.manifests.build import case_numbers_by_stop
from planner.services.manifests.content import ManifestContent, content_from_json, content_to_json
from planner.services.manifests.pdf import render_manifest_pdf

log = logging.getLogger(__name__)

ACTIVE = (ManifestStatus.DRAFT.value, ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value)
IN_FORCE = (ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value)


class ManifestRefused(PlannerError):
    """The workflow refused a transition; the refusal is audited. ``details`` lists the reasons."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details: list[str] = list(details)


@dataclass(frozen=True)
class ManifestInfo:
    """One manifest revision as the window and the CLI show it (plain data, thread-safe)."""

    manifest_id: int
    flight_code: str
    revision: int
    status: str
    sha256: str
    person_count: int
    prepared_by: str
    prepared_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    signed_by: str | None
    signed_at: datetime | None
    pades_signed: bool
    #: True when this call wrote a new revision (False: an existing one was returned).
    created: bool = False


@dataclass(frozen=True)
class HashCheck:
    """Answer of :func:`check_manifest_hash`. ``verdict`` is ``current``, ``superseded`` or ``unknown``;
    ``current`` covers the newest revision and an approved/signed one still in force."""

    verdict: str
    flight_code: str
    revision: int | None
    status: str | None
    message: str

    @property
    def known(self) -> bool:
        return self.verdict != "unknown"


# ---------------------------------------------------------------------------------------------
# helpers


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utc_now()
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now


def _flight(uow: UnitOfWork, flight_code: str) -> Flight:
    flight = uow.session.execute(sa.select(Flight).where(Flight.code == flight_code)).scalar_one_or_none()
    if flight is None:
        raise NotFound(f"no flight {flight_code}")
    return flight


def _revisions(uow: UnitOfWork, flight_id: int) -> list[Manifest]:
    """All revisions of a flight, newest first."""
    return list(
        uow.session.execute(
            sa.select(Manifest).where(Manifest.flight_id == flight_id).order_by(Manifest.revision.desc())
        ).scalars()
    )


def _latest(uow: UnitOfWork, flight_id: int) -> Manifest | None:
    revisions = _revisions(uow, flight_id)
    return revisions[0] if revisions else None


def _display(uow: UnitOfWork, actor: Actor) -> str:
    name = uow.session.execute(
        sa.select(User.display_name).where(User.username == actor.username)
    ).scalar_one_or_none()
    return name or actor.display_name or actor.username


def _has_signature(uow: UnitOfWork, manifest_id: int) -> bool:
    return (
        uow.session.execute(
            sa.select(ManifestSignature.manifest_id).where(ManifestSignature.manifest_id == manifest_id)
        ).scalar_one_or_none()
        is not None
    )


def _info(uow: UnitOfWork, manifest: Manifest, flight_code: str, *, created: bool = False) -> ManifestInfo:
    content = content_from_json(manifest.content_json)
    return ManifestInfo(
        manifest_id=manifest.id,
        flight_code=flight_code,
        revision=manifest.revision,
        status=manifest.status,
        sha256=manifest.sha256,
        person_count=content.person_count,
        prepared_by=manifest.prepared_by,
        prepared_at=manifest.prepared_at,
        approved_by=manifest.approved_by,
        approved_at=manifest.approved_at,
        signed_by=manifest.signed_by,
        signed_at=manifest.signed_at,
        pades_signed=_has_signature(uow, manifest.id),
        created=created,
    )


def stored_content(manifest: Manifest) -> ManifestContent:
    """The revision's content with its status and lifecycle metadata as they stand in the row."""
    return content_from_json(manifest.content_json)


def _set_content(manifest: Manifest, content: ManifestContent) -> None:
    manifest.content_json = content_to_json(content)
    manifest.status = content.status
    manifest.version += 1


def _record(
    uow: UnitOfWork, actor: Actor, action: str, manifest: Manifest, flight_code: str, **changes: object
) -> None:
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action=action,
            entity="manifest",
            entity_id=str(manifest.id),
            changes={
                "flight": flight_code,
                "revision": manifest.revision,
                "sha256": manifest.sha256,
                **changes,
            },
        ),
    )


def refuse_transition(
    uow: UnitOfWork, actor: Actor, action: str, flight_code: str, message: str, details: Sequence[str] = ()
) -> NoReturn:
    """Refuse a workflow transition through ``audit.refuse``: roll back, audit
    ``manifest.<action>.refused`` (entity flight) in its own commit, raise ``ManifestRefused``."""
    log.warning("manifest %s refused for %s: %s", action, flight_code, message)
    audit.refuse(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action=f"manifest.{action}.refused",
            entity="flight",
            entity_id=flight_code,
            changes={"reason": message, "details": list(details)[:200]},
        ),
        ManifestRefused(message, details),
    )


# ---------------------------------------------------------------------------------------------
# reads


def list_manifests(uow: UnitOfWork, actor: Actor, flight_code: str) -> list[ManifestInfo]:
    """Officer+: every revision of the flight, newest first."""
    authorize(uow, actor, Role.OFFICER, f"read the manifests of {flight_code}")
    flight = _flight(uow, flight_code)
    return [_info(uow, m, flight_code) for m in _revisions(uow, flight.id)]


def current_manifest(uow: UnitOfWork, actor: Actor, flight_code: str) -> ManifestInfo | None:
    """Officer+: the newest revision of the flight, or None."""
    authorize(uow, actor, Role.OFFICER, f"read the manifest of {flight_code}")
    latest = _latest(uow, _flight(uow, flight_code).id)
    return _info(uow, latest, flight_code) if latest else None


def manifest_content(
    uow: UnitOfWork, actor: Actor, flight_code: str, *, revision: int | None = None
) -> ManifestContent:
    """Officer+: the stored content of a revision (default the newest); ``NotFound`` when absent."""
    authorize(uow, actor, Role.OFFICER, f"read the manifest of {flight_code}")
    return stored_content(_revision(uow, flight_code, revision))


def _revision(uow: UnitOfWork, flight_code: str, revision: int | None) -> Manifest:
    flight = _flight(uow, flight_code)
    revisions = _revisions(uow, flight.id)
    for m in revisions:
        if revision is None or m.revision == revision:
            return m
    raise NotFound(
        f"{flight_code} has no manifest" + (f" revision {revision}" if revision is not None else "")
    )


def manifest_pdf(uow: UnitOfWork, actor: Actor, flight_code: str, *, revision: int | None = None) -> bytes:
    """Officer+: the PDF of a revision (default the newest). A PAdES-signed revision returns the
    stored signed file byte for byte; any other is rendered from the stored content (deterministic)."""
    authorize(uow, actor, Role.OFFICER, f"read the manifest of {flight_code}")
    manifest = _revision(uow, flight_code, revision)
    stored = uow.session.get(ManifestSignature, manifest.id)
    if stored is not None:
        return stored.pdf
    buffer = BytesIO()
    render_manifest_pdf(stored_content(manifest), buffer)
    return buffer.getvalue()


def check_manifest_hash(uow: UnitOfWork, actor: Actor, flight_code: str, sha256: str) -> HashCheck:
    """Officer+: is a printed copy with ``sha256`` the current revision, a superseded one, or unknown?"""
    authorize(uow, actor, Role.OFFICER, f"check a manifest of {flight_code}")
    digest = sha256.strip().lower()
    flight = _flight(uow, flight_code)
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise InvalidInput("the hash must be 64 hexadecimal digits")
    revisions = _revisions(uow, flight.id)
    for index, m in enumerate(revisions):
        if m.sha256 != digest:
            continue
        if index == 0:
            return HashCheck(
                "current",
                flight_code,
                m.revision,
                m.status,
                f"current revision {m.revision} of {flight_code} ({m.status})",
            )
        if m.status in IN_FORCE:
            return HashCheck(
                "current",
                flight_code,
                m.revision,
                m.status,
                f"revision {m.revision} of {flight_code} ({m.status}) is still in force; "
                f"draft revision {revisions[0].revision} awaits approval",
            )
        newest = revisions[0]
        return HashCheck(
            "superseded",
            flight_code,
            m.revision,
            m.status,
            f"SUPERSEDED: revision {m.revision} of {flight_code}; the current one is revision {newest.revision} ({newest.status})",
        )
    return HashCheck(
        "unknown", flight_code, None, None, f"UNKNOWN: no revision of {flight_code} has this hash"
    )


def frozen_flight_ids(uow: UnitOfWork) -> set[int]:
    """Flights whose newest manifest revision is APPROVED or SIGNED: the planner may not change
    who is on them (a new revision is needed). No role check: a helper for the planning service."""
    newest = (
        sa.select(Manifest.flight_id, sa.func.max(Manifest.revision).label("revision"))
        .group_by(Manifest.flight_id)
        .subquery()
    )
    query = (
        sa.select(Manifest.flight_id)
        .join(newest, (newest.c.flight_id == Manifest.flight_id) & (newest.c.revision == Manifest.revision))
        .where(Manifest.status.in_(IN_FORCE))
    )
    return set(uow.session.execute(query).scalars())


def sent_manifest_people(
    uow: UnitOfWork, flight_ids: Iterable[int] | None = None
) -> dict[int, frozenset[int]]:
    """For rule 9 (``on_sent_manifest``): flight stop id -> person ids on the manifest last sent
    (newest revision ever approved) of each flight in ``flight_ids`` (default: every flight). No
    role check: a helper for the planning service, which has checked the role already."""
    query = sa.select(Manifest).where(Manifest.approved_at.is_not(None))
    if flight_ids is not None:
        query = query.where(Manifest.flight_id.in_(list(flight_ids)))
    newest: dict[int, Manifest] = {}
    for m in uow.session.execute(query).scalars():
        if m.flight_id not in newest or m.revision > newest[m.flight_id].revision:
            newest[m.flight_id] = m
    if not newest:
        return {}
    stop_of = {
        (fid, seq): sid
        for sid, fid, seq in uow.session.execute(
            sa.select(FlightStop.id, FlightStop.flight_id, FlightStop.sequence).where(
                FlightStop.flight_id.in_(list(newest))
            )
        ).all()
    }
    by_stop = {
        (fid, seq): cases
        for fid, m in newest.items()
        for seq, cases in case_numbers_by_stop(m.content_json).items()
    }
    wanted = {c for cases in by_stop.values() for c in cases}
    ids: dict[str, int] = {}
    values = sorted(wanted)
    for start in range(0, len(values), 900):
        ids.update(
            {
                c: pid
                for c, pid in uow.session.execute(
                    sa.select(Person.case_number, Person.id).where(
                        Person.case_number.in_(values[start : start + 900])
                    )
                ).all()
            }
        )
    return {
        stop_of[key]: frozenset(ids[c] for c in cases if c in ids)
        for key, cases in by_stop.items()
        if key in stop_of
    }
