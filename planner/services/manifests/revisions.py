"""Manifest revisions as stored: the value types, the reads and the helpers the workflow shares.

Reads (officer+, never committing): :func:`list_manifests`, :func:`current_manifest`,
:func:`manifest_content`, :func:`manifest_pdf` and :func:`check_manifest_hash`. Every read of a
revision's stored content goes through :func:`stored_content`, which recomputes its hash and
refuses (audited ``manifest.tampered``, ``ManifestTampered``) when the row was edited. Helpers for the
planning service (no role check): :func:`frozen_flight_ids` and :func:`sent_manifest_people`.
:func:`refuse_transition` is the one way the workflow refuses: ``audit.refuse`` with a
``manifest.<action>.refused`` event, raising ``ManifestRefused``. The workflow itself is
:mod:`planner.services.manifests.workflow`, which re-exports everything public here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
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
from planner.persistence.models import (
    AuditEvent,
    Flight,
    FlightStop,
    Manifest,
    ManifestSignature,
    Person,
    User,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.manifests.build import case_numbers_by_stop
from planner.services.manifests.content import (
    ManifestContent,
    content_from_json,
    content_sha256,
    content_to_json,
)
from planner.services.manifests.pdf import render_manifest_pdf

log = logging.getLogger(__name__)

ACTIVE = (ManifestStatus.DRAFT.value, ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value)
IN_FORCE = (ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value)


class ManifestTampered(PlannerError):
    """A revision's stored content no longer matches its recorded hash (edited outside the
    program); the refusal is audited as ``manifest.tampered``."""


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


@dataclass(frozen=True)
class Tampered:
    """A stored revision that no longer matches its record: what ``manifest.tampered`` lists.
    ``recomputed_sha256`` is ``""`` when the content cannot even be read."""

    flight_code: str
    revision: int
    stored_sha256: str
    recomputed_sha256: str
    reason: str


def verify_stored(
    flight_code: str, revision: int, content_json: str, sha256: str, status: str
) -> ManifestContent | Tampered:
    """The content of a stored revision when ``content_json`` parses, hashes to ``sha256`` (the
    row's recorded hash) and carries the row's ``status``; otherwise what is wrong. Pure: the one
    comparison every read of stored content makes (also in the batch, before its workers render)."""
    try:
        content = content_from_json(content_json)
    except (ValueError, KeyError, TypeError) as exc:
        return Tampered(flight_code, revision, sha256, "", f"unreadable content ({exc.__class__.__name__})")
    digest = content_sha256(content)
    if digest != sha256:
        return Tampered(
            flight_code,
            revision,
            sha256,
            digest,
            f"content hashes to {digest[:12]}…, recorded {sha256[:12]}…",
        )
    if content.status != status:
        return Tampered(flight_code, revision, sha256, digest, f"content says {content.status}, row {status}")
    return content


def audited_hashes(uow: UnitOfWork, manifest_ids: Iterable[int]) -> dict[int, str]:
    """manifest id -> the SHA-256 its ``manifest.prepare`` audit event recorded (revisions without
    one, e.g. inserted by an import of old data, are absent). A row whose ``sha256`` was rewritten
    together with its content no longer matches it; the audit chain protects the events."""
    ids = [str(i) for i in manifest_ids]
    out: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        for entity_id, changes in uow.session.execute(
            sa.select(AuditEvent.entity_id, AuditEvent.changes_json)
            .where(
                AuditEvent.entity == "manifest",
                AuditEvent.action == "manifest.prepare",
                AuditEvent.entity_id.in_(ids[start : start + 900]),
            )
            .order_by(AuditEvent.id.desc())  # the first event wins
        ).all():
            try:
                digest = json.loads(changes).get("sha256")
            except (ValueError, AttributeError):
                digest = None
            if isinstance(digest, str):
                out[int(entity_id)] = digest
    return out


def audit_mismatch(
    result: ManifestContent | Tampered, sha256: str, audited: str | None
) -> ManifestContent | Tampered:
    """``result`` of :func:`verify_stored`, or the ``Tampered`` its row becomes when its recorded
    ``sha256`` is not the one its ``manifest.prepare`` event ``audited``."""
    if isinstance(result, Tampered) or audited is None or audited == sha256:
        return result
    return Tampered(
        result.flight_code,
        result.revision,
        sha256,
        sha256,
        f"recorded hash {sha256[:12]}… is not the audited {audited[:12]}…",
    )


def refuse_tampered(uow: UnitOfWork, actor: Actor, tampered: Sequence[Tampered], *, action: str) -> NoReturn:
    """Refuse through ``audit.refuse``: roll back, commit one ``manifest.tampered`` event (flight,
    revision, stored and recomputed hash of each revision in ``tampered``, and ``action``, what was
    refused), raise ``ManifestTampered`` (one line, naming the first revision)."""
    first = tampered[0]
    more = f" (and {len(tampered) - 1} more revisions)" if len(tampered) > 1 else ""
    message = (
        f"revision {first.revision} of {first.flight_code} was altered outside the program "
        f"({first.reason}): refusing to {action}{more}"
    )
    log.info("manifest tampered (audited, refused): %s", message)
    audit.refuse(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action="manifest.tampered",
            entity="flight",
            entity_id=first.flight_code if len({t.flight_code for t in tampered}) == 1 else "*",
            changes={
                "refused": action,
                "revisions": [
                    {
                        "flight": t.flight_code,
                        "revision": t.revision,
                        "stored_sha256": t.stored_sha256,
                        "recomputed_sha256": t.recomputed_sha256,
                        "reason": t.reason,
                    }
                    for t in tampered[:200]
                ],
            },
        ),
        ManifestTampered(message),
    )


def stored_content(
    uow: UnitOfWork, actor: Actor, manifest: Manifest, *, action: str = "read the manifest"
) -> ManifestContent:
    """The revision's content with its status and lifecycle metadata as they stand in the row —
    the one way to read stored content. Recomputes the hash of ``content_json`` and compares it
    (and the status) with the row, and the row's hash with its audited one (:func:`audited_hashes`);
    on a mismatch refuses (``refuse_tampered``: audited
    ``manifest.tampered``, everything pending rolled back, ``ManifestTampered``)."""
    result = audit_mismatch(
        verify_stored("", manifest.revision, manifest.content_json, manifest.sha256, manifest.status),
        manifest.sha256,
        audited_hashes(uow, [manifest.id]).get(manifest.id),
    )
    if isinstance(result, ManifestContent):
        return result
    code = uow.session.execute(sa.select(Flight.code).where(Flight.id == manifest.flight_id)).scalar_one()
    refuse_tampered(uow, actor, [dataclasses.replace(result, flight_code=code)], action=action)


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
    log.info("manifest %s refused for %s: %s", action, flight_code, message)
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
    return stored_content(uow, actor, _revision(uow, flight_code, revision))


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
    content = stored_content(uow, actor, manifest, action="print the manifest")
    stored = uow.session.get(ManifestSignature, manifest.id)
    if stored is not None:
        digest = hashlib.sha256(stored.pdf).hexdigest()
        if digest != stored.pdf_sha256:
            reason = f"signed PDF hashes to {digest[:12]}…, recorded {stored.pdf_sha256[:12]}…"
            tampered = Tampered(flight_code, manifest.revision, manifest.sha256, manifest.sha256, reason)
            refuse_tampered(uow, actor, [tampered], action="print the manifest")
        return stored.pdf
    buffer = BytesIO()
    render_manifest_pdf(content, buffer)
    return buffer.getvalue()


def check_manifest_hash(uow: UnitOfWork, actor: Actor, flight_code: str, sha256: str) -> HashCheck:
    """Officer+: is a printed copy with ``sha256`` the current revision, a superseded one, or unknown?
    The revision found is read through :func:`stored_content` (an edited row is refused, audited);
    ``manifest check --pdf`` (``document_check``) compares a whole PDF."""
    authorize(uow, actor, Role.OFFICER, f"check a manifest of {flight_code}")
    digest = sha256.strip().lower()
    flight = _flight(uow, flight_code)
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise InvalidInput("the hash must be 64 hexadecimal digits")
    revisions = _revisions(uow, flight.id)
    for index, m in enumerate(revisions):
        if m.sha256 != digest:
            continue
        stored_content(uow, actor, m, action="check a printed hash")  # the row must still match it
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
