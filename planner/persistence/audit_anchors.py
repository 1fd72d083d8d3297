"""Audit anchors: the chain's head written down outside the chain.

An anchor is ``(event id, event hash)`` of the audit chain at the moment a document or copy left
the database: a signed manifest, an as-flown manifest, a backup, an anchors export. The anchor is
stored in ``audit_anchor`` and carried by the document itself (the signed manifest's content and
PDF, the as-flown PDF, the backup report line, the exported anchors file). Whoever rewrites the
chain — recomputing every hash, deleting its tail, reordering events — cannot make an anchored
event come back with the hash the anchor remembers, so :func:`verify_against_anchors` finds:

- an anchored event that is missing (the chain was truncated or emptied),
- an anchored event whose hash differs (the chain was recomputed or reordered),
- a chain head behind an anchor.

The anchors in the database can be rewritten together with the chain by whoever holds the file;
the ones that count are those kept elsewhere: the exported file (``audit anchors --out``), the
printed or delivered documents, and the PAdES-signed PDFs (their text is covered by a signature
the file's holder cannot redo).

Anchors file (``export_anchors`` / ``parse_anchor_file``): JSON lines; the first line is the
header ``{"format": "charter-audit-anchors/1", ...}``, then one anchor per line
``{"kind", "reference", "event_id", "event_hash", "recorded_at", "recorded_by"}``; the last line is
the head at the export (kind ``export``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from planner.domain.errors import InvalidInput
from planner.persistence import audit
from planner.persistence.audit import GENESIS_HASH, ChainReport, verify_chain
from planner.persistence.models import (
    AUDIT_ANCHOR_KINDS,
    AuditAnchor,
    AuditEvent,
    AuditHead,
    Flight,
    Manifest,
    utc_now,
)
from planner.persistence.uow import UnitOfWork

ANCHORS_FORMAT = "charter-audit-anchors/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: How a document carries its anchor: ``"<event id>:<full hash>"``.
_ANCHOR_TEXT = re.compile(r"(\d+):([0-9a-f]{64})")


@dataclass(frozen=True)
class Anchor:
    """The chain head ``event_id`` / ``event_hash`` when ``kind`` ``reference`` was made."""

    kind: str
    reference: str
    event_id: int
    event_hash: str
    recorded_at: datetime | None = None
    recorded_by: str = ""
    #: Where a carried anchor was read (``"signed PDF"``); "" for the anchor table and files.
    source: str = ""

    @property
    def short(self) -> str:
        """``"event 42 · 3f9a0c1d2e4b5a69"``: what a printed page shows (first 16 hex of the hash)."""
        return f"event {self.event_id} · {self.event_hash[:16]}"

    @property
    def text(self) -> str:
        """``"42:<full hash>"``: what a document's embedded data carries (see :func:`parse_anchor_text`)."""
        return f"{self.event_id}:{self.event_hash}"

    @property
    def label(self) -> str:
        where = f" ({self.source})" if self.source else ""
        return f"{self.kind} {self.reference}".strip() + where


@dataclass(frozen=True)
class AnchorReport:
    """The chain check (``chain``) plus the anchor checks: ``problems`` empty = intact."""

    chain: ChainReport
    anchors_checked: int
    problems: tuple[str, ...] = ()
    first_broken_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems

    @property
    def events_checked(self) -> int:
        return self.chain.events_checked

    @property
    def message(self) -> str:
        parts = [] if self.chain.ok else [self.chain.message]
        parts += list(self.problems[:3])
        if len(self.problems) > 3:
            parts.append(f"and {len(self.problems) - 3} more")
        return (
            "; ".join(parts)
            if parts
            else f"{self.chain.message}; checked against {self.anchors_checked} anchors"
        )


def parse_anchor_text(text: str) -> tuple[int, str]:
    """``(event id, hash)`` from ``"42:<64 hex>"``; ``ValueError`` when malformed."""
    match = _ANCHOR_TEXT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an audit anchor: {text!r}")
    return int(match.group(1)), match.group(2)


def current_head(uow: UnitOfWork) -> Anchor:
    """The chain's head as this transaction sees it (``event_id`` 0 and the genesis hash when
    the chain is empty); kind ``export``, no reference."""
    head = uow.session.execute(sa.select(AuditHead).where(AuditHead.id == 1)).scalar_one_or_none()
    if head is None:
        return Anchor("export", "", 0, GENESIS_HASH)
    return Anchor("export", "", head.last_event_id, head.last_hash)


def record_anchor(
    uow: UnitOfWork, kind: str, reference: str, actor: str, *, now: datetime | None = None
) -> Anchor:
    """Store the head this transaction sees as the anchor of ``kind`` ``reference`` (no commit:
    it is committed with the document's own change, so it is the head the document was made at).
    ``ValueError`` for an unknown ``kind``."""
    if kind not in AUDIT_ANCHOR_KINDS:
        raise ValueError(f"unknown audit anchor kind {kind!r}")
    head = current_head(uow)
    recorded_at = now or utc_now()
    anchor = Anchor(kind, reference[:200], head.event_id, head.event_hash, recorded_at, actor)
    uow.session.add(
        AuditAnchor(
            kind=anchor.kind,
            reference=anchor.reference,
            event_id=anchor.event_id,
            event_hash=anchor.event_hash,
            recorded_at=recorded_at,
            recorded_by=actor,
        )
    )
    uow.session.flush()
    return anchor


def stored_anchors(uow: UnitOfWork) -> list[Anchor]:
    """Every anchor in ``audit_anchor``, oldest first."""
    rows = uow.session.execute(sa.select(AuditAnchor).order_by(AuditAnchor.id)).scalars()
    return [Anchor(r.kind, r.reference, r.event_id, r.event_hash, r.recorded_at, r.recorded_by) for r in rows]


def _json_line(anchor: Anchor) -> str:
    return json.dumps(
        {
            "kind": anchor.kind,
            "reference": anchor.reference,
            "event_id": anchor.event_id,
            "event_hash": anchor.event_hash,
            "recorded_at": None if anchor.recorded_at is None else anchor.recorded_at.isoformat(),
            "recorded_by": anchor.recorded_by,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def export_anchors(uow: UnitOfWork, actor: str, *, database: str = "", now: datetime | None = None) -> str:
    """The anchors file: a header line, every stored anchor, then the current head, which is also
    stored (kind ``export``) and audited as ``audit.anchors_export``. No commit (the caller's)."""
    now = now or utc_now()
    head = record_anchor(uow, "export", f"anchors file {now:%Y-%m-%d %H:%M:%S} UTC", actor, now=now)
    audit.record(
        uow,
        audit.AuditEntry(actor, "audit.anchors_export", "audit", "", {"anchor": head.text}),
    )
    header = {
        "format": ANCHORS_FORMAT,
        "what": "audit chain anchors of a Charter Planner database: keep this file away from the database",
        "database": database,
        "exported_at": now.isoformat(),
        "exported_by": actor,
    }
    lines = [json.dumps(header, ensure_ascii=False, sort_keys=True)]
    lines += [_json_line(a) for a in stored_anchors(uow)]
    return "\n".join(lines) + "\n"


def parse_anchor_file(text: str) -> list[Anchor]:
    """The anchors of an anchors file (see the module doc). ``InvalidInput`` (one line, naming the
    line) when it is not one or a line is malformed; an empty list is refused too."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InvalidInput("the anchors file is empty")
    try:
        header = json.loads(lines[0])
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != ANCHORS_FORMAT:
        raise InvalidInput(f"not an audit anchors file (its first line must say format {ANCHORS_FORMAT!r})")
    anchors: list[Anchor] = []
    for number, line in enumerate(lines[1:], start=2):
        anchors.append(_parse_line(number, line))
    if not anchors:
        raise InvalidInput("the anchors file holds no anchors")
    return anchors


def _parse_line(number: int, line: str) -> Anchor:
    try:
        data = json.loads(line)
    except ValueError:
        raise InvalidInput(f"anchors file line {number}: not JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"anchors file line {number}: not an anchor")
    kind, event_id, event_hash = data.get("kind"), data.get("event_id"), data.get("event_hash")
    if kind not in AUDIT_ANCHOR_KINDS:
        raise InvalidInput(f"anchors file line {number}: unknown kind {kind!r}")
    if not isinstance(event_id, int) or isinstance(event_id, bool) or event_id < 0:
        raise InvalidInput(f"anchors file line {number}: event_id must be a whole number >= 0")
    if not isinstance(event_hash, str) or not _HEX64.fullmatch(event_hash):
        raise InvalidInput(f"anchors file line {number}: event_hash must be 64 lower-case hex digits")
    recorded_at = None
    if isinstance(data.get("recorded_at"), str):
        try:
            recorded_at = datetime.fromisoformat(data["recorded_at"]).astimezone(UTC)
        except ValueError:
            raise InvalidInput(f"anchors file line {number}: recorded_at is not a date and time") from None
    return Anchor(
        kind,
        str(data.get("reference", "")),
        event_id,
        event_hash,
        recorded_at,
        str(data.get("recorded_by", "")),
    )


def document_anchors(uow: UnitOfWork) -> list[Anchor]:
    """The anchors the stored signed manifests carry in their content (``audit_anchor``), one per
    signed revision that has one (revisions signed before anchors existed carry none)."""
    rows = uow.session.execute(
        sa.select(Flight.code, Manifest.revision, Manifest.content_json)
        .join(Flight, Flight.id == Manifest.flight_id)
        .where(Manifest.signed_at.is_not(None))
        .order_by(Manifest.id)
    ).all()
    out: list[Anchor] = []
    for code, revision, content_json in rows:
        try:
            text = json.loads(content_json).get("audit_anchor")
        except ValueError:
            text = None
        reference = signed_reference(code, revision)
        if not isinstance(text, str):
            continue
        try:
            event_id, event_hash = parse_anchor_text(text)
        except ValueError:
            out.append(Anchor("manifest.signed", reference, -1, text))
            continue
        out.append(Anchor("manifest.signed", reference, event_id, event_hash))
    return out


def signed_reference(flight_code: str, revision: int) -> str:
    """The ``reference`` of a signed manifest's anchor: ``"RF0001 rev 2"``."""
    return f"{flight_code} rev {revision}"


def _check(uow: UnitOfWork, anchors: Iterable[Anchor], head_id: int) -> tuple[list[str], int | None, int]:
    """Problems of ``anchors`` against the chain, the lowest event that does not fit, and how many
    anchors were checked."""
    anchors = list(anchors)
    ids = sorted({a.event_id for a in anchors if a.event_id > 0})
    hashes: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        hashes.update(
            uow.session.execute(
                sa.select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id.in_(ids[start : start + 900]))
            ).all()
        )
    problems: list[str] = []
    broken: list[int] = []
    for anchor in anchors:
        if anchor.event_id < 0:
            problems.append(f"{anchor.label} carries a malformed anchor")
            continue
        if anchor.event_id == 0:
            if anchor.event_hash != GENESIS_HASH:
                problems.append(f"{anchor.label} anchors event 0 with a hash that is not the genesis hash")
            continue
        found = hashes.get(anchor.event_id)
        if found is None:
            behind = f" (the chain's head is event {head_id})" if head_id < anchor.event_id else ""
            problems.append(
                f"event {anchor.event_id} anchored by {anchor.label} is missing{behind}: the chain was truncated"
            )
            broken.append(anchor.event_id)
        elif found != anchor.event_hash:
            problems.append(
                f"event {anchor.event_id} differs from its anchor ({anchor.label}): the chain was rewritten"
            )
            broken.append(anchor.event_id)
    return problems, (min(broken) if broken else None), len(anchors)


def verify_against_anchors(
    uow: UnitOfWork, anchors: Sequence[Anchor] | None = None, *, documents: Sequence[Anchor] = ()
) -> AnchorReport:
    """:func:`planner.persistence.audit.verify_chain`, then every anchor: ``anchors`` (an anchors
    file), the anchors stored in ``audit_anchor``, those carried by stored signed manifests and
    ``documents`` (anchors the caller read from stored documents, e.g. signed PDFs). Also reports a
    signed manifest whose carried anchor the anchor table does not hold."""
    chain = verify_chain(uow)
    head = current_head(uow)
    stored = stored_anchors(uow)
    carried = [*document_anchors(uow), *documents]
    distinct = {(a.event_id, a.event_hash, a.label): a for a in [*(anchors or ()), *stored, *carried]}
    problems, broken, checked = _check(uow, distinct.values(), head.event_id)
    if anchors:
        newest = max(a.event_id for a in anchors)
        if head.event_id < newest:
            problems.insert(
                0, f"the chain's head (event {head.event_id}) is behind the anchors file (event {newest})"
            )
            broken = min(broken or head.event_id + 1, head.event_id + 1)
    by_reference = {(a.reference, a.event_id, a.event_hash) for a in stored if a.kind == "manifest.signed"}
    for anchor in carried:
        if (anchor.reference, anchor.event_id, anchor.event_hash) not in by_reference:
            problems.append(f"{anchor.label} carries an anchor the anchor table does not hold")
            if anchor.event_id > 0:
                broken = anchor.event_id if broken is None else min(broken, anchor.event_id)
    if broken is None and not chain.ok:
        broken = chain.first_broken_id
    elif broken is not None and chain.first_broken_id is not None:
        broken = min(broken, chain.first_broken_id)
    return AnchorReport(chain, checked, tuple(dict.fromkeys(problems)), broken)


__all__ = [
    "ANCHORS_FORMAT",
    "Anchor",
    "AnchorReport",
    "current_head",
    "document_anchors",
    "export_anchors",
    "parse_anchor_file",
    "parse_anchor_text",
    "record_anchor",
    "signed_reference",
    "stored_anchors",
    "verify_against_anchors",
]
