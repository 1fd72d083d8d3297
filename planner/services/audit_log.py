"""Reading the audit log: verification of the chain and filtered listings (role-checked).

Functions take a unit of work and run on the thread that owns it; results are plain data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from planner.domain.audit_text import (
    ChangeLine,
    action_words,
    change_lines,
    pretty_changes,
    summarize_changes,
)
from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.domain.wording import field_words
from planner.persistence import audit_anchors
from planner.persistence.audit import ChainReport
from planner.persistence.audit_anchors import (
    Anchor,
    AnchorReport,
    parse_anchor_file,
    parse_anchor_text,
    signed_reference,
    verify_against_anchors,
)
from planner.persistence.models import AuditEvent, Flight, Manifest, ManifestSignature, Person
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize


def verify(uow: UnitOfWork, actor: Actor, anchors: Sequence[Anchor] = ()) -> AnchorReport:
    """Any signed-in user may check the chain: every hash recomputed, then every anchor checked
    against it — ``anchors`` (read from an anchors file with ``parse_anchor_file``), the stored
    ones and those the signed manifests carry (:mod:`planner.persistence.audit_anchors`)."""
    authorize(uow, actor, Role.OFFICER, "audit.verify")
    return verify_against_anchors(uow, anchors, documents=signed_pdf_anchors(uow))


def signed_pdf_anchors(uow: UnitOfWork) -> list[Anchor]:
    """The anchors inside the stored PAdES-signed PDFs (``manifest_signature``): the content each
    PDF embeds was signed with the supervisor's key, which whoever holds the database does not
    have. A PDF without readable embedded content (signed before documents carried it) gives none."""
    rows = uow.session.execute(
        sa.select(ManifestSignature.manifest_id, Flight.code, Manifest.revision)
        .join(Manifest, Manifest.id == ManifestSignature.manifest_id)
        .join(Flight, Flight.id == Manifest.flight_id)
        .order_by(Manifest.id)
    ).all()
    if not rows:
        return []  # nothing signed: the manifest modules (PDF library, eligibility) are not loaded
    from planner.services.manifests.document_check import embedded_content

    out: list[Anchor] = []
    for manifest_id, code, revision in rows:  # one PDF in memory at a time
        pdf = uow.session.execute(
            sa.select(ManifestSignature.pdf).where(ManifestSignature.manifest_id == manifest_id)
        ).scalar_one()
        try:
            text = embedded_content(pdf)["content"].get("audit_anchor")
        except InvalidInput:
            continue
        if not isinstance(text, str):
            continue
        try:
            event_id, event_hash = parse_anchor_text(text)
        except ValueError:
            event_id, event_hash = -1, text
        out.append(
            Anchor(
                "manifest.signed", signed_reference(code, revision), event_id, event_hash, source="signed PDF"
            )
        )
    return out


def read_anchor_file(path: str | Path) -> list[Anchor]:
    """The anchors of the anchors file at ``path`` (``parse_anchor_file``); ``InvalidInput`` (one
    line) when it cannot be read, is not text or is not an anchors file."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not an audit anchors file (not UTF-8 text)") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read the anchors file {path}: {exc.strerror or exc}") from None
    return parse_anchor_file(text)


def export_anchors(uow: UnitOfWork, actor: Actor, *, database: str = "") -> str:
    """Any signed-in user: the anchors file's text (every anchor plus the current head, which is
    stored and audited as ``audit.anchors_export``). Commits."""
    authorize(uow, actor, Role.OFFICER, "audit.anchors")
    text = audit_anchors.export_anchors(uow, actor.username, database=database)
    uow.commit()
    return text


@dataclass(frozen=True)
class AuditRow:
    id: int
    occurred_at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    changes_json: str
    #: What the event is about as an officer names it: the case number where the event recorded
    #: a person's database id, otherwise ``entity_id``.
    entity_label: str = ""

    @property
    def details(self) -> str:
        """The changes in words, one line (``"priority 5 → 2"``)."""
        return summarize_changes(self.changes_json)


#: Entities whose events may name the record by its database id (older events, assignments).
_CASE_NUMBER_ENTITIES = ("person",)


def _case_numbers(uow: UnitOfWork, events: Iterable[AuditEvent]) -> dict[str, str]:
    """Database id (as text) -> case number, for the person events that name a person by id."""
    ids = {int(e.entity_id) for e in events if e.entity in _CASE_NUMBER_ENTITIES and e.entity_id.isdigit()}
    if not ids:
        return {}
    rows = uow.session.execute(sa.select(Person.id, Person.case_number).where(Person.id.in_(ids)))
    return {str(pid): case for pid, case in rows}


def _label(event: AuditEvent, cases: dict[str, str]) -> str:
    if event.entity in _CASE_NUMBER_ENTITIES and event.entity_id in cases:
        return cases[event.entity_id]
    return event.entity_id


def list_events(
    uow: UnitOfWork,
    actor: Actor,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_name: str | None = None,
    action_prefix: str | None = None,
    limit: int = 1000,
    before_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditRow]:
    """Newest first, at most ``limit`` rows, optionally filtered; ``before_id`` pages back
    (pass the smallest id shown), ``since`` / ``until`` bound ``occurred_at`` (``since`` <= t <
    ``until``, aware datetimes)."""
    authorize(uow, actor, Role.OFFICER, "audit.read")
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if actor_name:
        query = query.where(AuditEvent.actor == actor_name)
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix))
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    events = list(uow.session.execute(query).scalars())
    cases = _case_numbers(uow, events)
    return [
        AuditRow(
            e.id, e.occurred_at, e.actor, e.action, e.entity, e.entity_id, e.changes_json, _label(e, cases)
        )
        for e in events
    ]


@dataclass(frozen=True)
class AuditFacets:
    """The distinct actors and entities in the log, for filter pick-lists."""

    actors: list[str]
    entities: list[str]


def facets(uow: UnitOfWork, actor: Actor) -> AuditFacets:
    """Distinct actors and entities (index scans; run it off the GUI thread)."""
    authorize(uow, actor, Role.OFFICER, "audit.read")
    actors = uow.session.execute(sa.select(AuditEvent.actor).distinct().order_by(AuditEvent.actor))
    entities = uow.session.execute(sa.select(AuditEvent.entity).distinct().order_by(AuditEvent.entity))
    return AuditFacets(list(actors.scalars()), list(entities.scalars()))


def event_heading(row: AuditRow) -> str:
    """``"Event 12 — 2026-12-02 13:02:04 UTC — user wang: person update on person A245549345"``."""
    target = f"{field_words(row.entity)} {row.entity_label}".strip()
    return (
        f"Event {row.id} — {row.occurred_at:%Y-%m-%d %H:%M:%S} UTC — user {row.actor}: "
        f"{action_words(row.action)}" + (f" on {target}" if target else "")
    )


def event_line(row: AuditRow) -> str:
    """One line for lists (the command line's ``audit list``): heading and the changes in words."""
    details = summarize_changes(row.changes_json)
    return event_heading(row) + (f" — {details}" if details else "")


__all__ = [
    "Anchor",
    "AnchorReport",
    "AuditFacets",
    "AuditRow",
    "ChainReport",
    "ChangeLine",
    "change_lines",
    "event_heading",
    "event_line",
    "export_anchors",
    "facets",
    "list_events",
    "parse_anchor_file",
    "pretty_changes",
    "read_anchor_file",
    "summarize_changes",
    "verify",
]
