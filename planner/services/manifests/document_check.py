"""Does a manifest PDF say what the database says? (``manifest check FLIGHT_ID --pdf FILE``)

Every manifest PDF (and as-flown manifest, handover receipt) carries its canonical content as an
embedded file (:data:`~planner.services.manifests.pdf_common.CONTENT_FILE_NAME`:
``{"kind", "sha256", "content"}``). :func:`check_document` reads it back and reports, one line each:

- the embedded content against itself: its recomputed hash against the hash it declares;
- a manifest: the embedded content against the stored revision with that hash (read through
  ``revisions.stored_content``, so an edited row is refused and audited): every flight, stop and
  person field that differs (which person, which field, stored vs in the file), people only on one
  side; lifecycle fields (status, prepared / approved / signed by and at, audit anchor) the file
  carries must be those stored (a copy printed before approval legitimately has fewer, and says so
  in a note);
- a manifest: the visible text of every page against the text of the PDF re-rendered from the stored
  content (with the lifecycle the file claims, once checked): catches a number edited on the page
  only;
- an as-flown manifest or handover receipt: its hash against the ``manifest.as_flown`` /
  ``manifest.handover`` audit events of the flight (their content is not stored, so the page text is
  not re-rendered);
- a signed PDF: whether each signature is intact and covers the whole file (pyHanko, integrity
  only: no trust decision).

A read (officer+): nothing is written, except the audited refusal of an edited stored row.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import sqlalchemy as sa

from planner.domain.enums import ManifestStatus, Role
from planner.domain.errors import InvalidInput
from planner.persistence.audit import canonical_json
from planner.persistence.models import AuditEvent, Manifest, ManifestSignature
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.manifests.content import (
    ManifestContent,
    content_from_json,
    content_to_json,
    hashed_dict,
)
from planner.services.manifests.pdf import render_manifest_pdf
from planner.services.manifests.pdf_common import CONTENT_FILE_NAME
from planner.services.manifests.revisions import _flight, _revisions, stored_content

log = logging.getLogger(__name__)

#: The step a status needs behind it (a file may not claim a step the record has not taken).
_STATUS_NEEDS = {"APPROVED": "approved_at", "SIGNED": "signed_at"}
#: At most this many differences are listed (the count says how many there were).
MAX_DIFFERENCES = 200


@dataclass(frozen=True)
class DocumentCheck:
    """Answer of :func:`check_document` (plain data). ``matches`` is True when ``differences`` is
    empty; ``notes`` say what legitimately differs (a copy printed before approval) or was not
    compared; ``signatures`` one line per signature found."""

    flight_code: str
    kind: str
    revision: int | None
    status: str | None
    sha256: str
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.differences

    @property
    def summary(self) -> str:
        what = f"{self.kind} of {self.flight_code}" + (
            f" revision {self.revision} ({self.status})" if self.revision is not None else ""
        )
        if self.matches:
            return f"MATCHES: this PDF is the {what}, SHA-256 {self.sha256}"
        count = len(self.differences)
        return f"DIFFERS: this PDF does not match the {what}: {count} difference{'s' * (count != 1)}"


# ---------------------------------------------------------------------------------------------
# reading the file


def embedded_content(pdf: bytes) -> dict[str, Any]:
    """The embedded ``{"kind", "sha256", "content"}`` of ``pdf``; ``InvalidInput`` (one line) when
    the file is not a readable PDF or carries no manifest content."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(BytesIO(pdf))
        files = reader.attachments
        data = files.get(CONTENT_FILE_NAME)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"this file is not a readable PDF ({exc.__class__.__name__})") from None
    if not data:
        raise InvalidInput(
            "this PDF carries no manifest content "
            "(made before documents carried their content, or not a manifest)"
        )
    try:
        loaded = json.loads(data[0].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput(f"the embedded {CONTENT_FILE_NAME} of this PDF is not JSON") from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("content"), dict):
        raise InvalidInput(f"the embedded {CONTENT_FILE_NAME} of this PDF is not manifest content")
    return loaded


def page_texts(pdf: bytes) -> list[str]:
    """The extracted text of every page (pypdf), for the visible-text comparison."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages]


def signature_lines(pdf: bytes) -> list[str]:
    """One line per signature in ``pdf``: intact or not, and whether it covers the whole file."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except Exception as exc:  # pyHanko raises many types on damaged files
        return [f"signatures could not be read: {exc.__class__.__name__}"]
    out: list[str] = []
    for sig in signatures:
        try:
            status = validate_pdf_signature(sig, ValidationContext(trust_roots=[]))  # integrity, no trust
        except Exception as exc:
            out.append(f"signature {sig.field_name}: cannot be validated ({exc.__class__.__name__})")
            continue
        if not (status.intact and status.valid):
            out.append(f"signature {sig.field_name}: BROKEN (the signed bytes were changed)")
        elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            out.append(f"signature {sig.field_name}: intact, but the file was changed after signing")
        else:
            out.append(f"signature {sig.field_name}: intact and covers the whole file")
    return out


# ---------------------------------------------------------------------------------------------
# comparing


def _rows(stop: Mapping[str, Any], key: str) -> dict[str, Mapping[str, Any]]:
    return {str(r.get("case_number")): r for r in stop.get(key, ()) if isinstance(r, Mapping)}


def content_differences(stored: Mapping[str, Any], in_file: Mapping[str, Any]) -> Iterator[str]:
    """Field-level differences between two hashed forms (``content.hashed_dict``), stored first."""
    for name in sorted(set(stored) | set(in_file)):
        if name != "stops" and stored.get(name) != in_file.get(name):
            yield f"{name}: stored {stored.get(name)!r}, in the file {in_file.get(name)!r}"
    stops_stored = {s.get("sequence"): s for s in stored.get("stops", ())}
    stops_file = {s.get("sequence"): s for s in in_file.get("stops", ()) if isinstance(s, Mapping)}
    for seq in sorted(set(stops_stored) | set(stops_file), key=str):
        here, there = stops_stored.get(seq), stops_file.get(seq)
        if here is None or there is None:
            yield f"stop {seq}: only {'in the file' if here is None else 'stored'}"
            continue
        for name in sorted(set(here) | set(there)):
            if name not in ("rows", "reserves") and here.get(name) != there.get(name):
                yield f"stop {seq} {name}: stored {here.get(name)!r}, in the file {there.get(name)!r}"
        for key, label in (("rows", "passenger"), ("reserves", "reserve")):
            mine, theirs = _rows(here, key), _rows(there, key)
            for case in sorted(set(mine) | set(theirs)):
                a, b = mine.get(case), theirs.get(case)
                if a is None or b is None:
                    yield f"stop {seq} {label} {case}: only {'in the file' if a is None else 'stored'}"
                    continue
                for name in sorted(set(a) | set(b)):
                    if a.get(name) != b.get(name):
                        yield (
                            f"stop {seq} {label} {case} {name}: stored {a.get(name)!r}, "
                            f"in the file {b.get(name)!r}"
                        )
            if key == "reserves" and list(mine) != list(theirs) and set(mine) == set(theirs):
                yield f"stop {seq}: the reserves are ranked differently"


def text_differences(stored_pages: list[str], file_pages: list[str]) -> Iterator[str]:
    """Line differences between the page texts of the stored rendering and of the file."""
    if len(stored_pages) != len(file_pages):
        yield f"page count: stored rendering {len(stored_pages)}, the file {len(file_pages)}"
    for number, (mine, theirs) in enumerate(zip(stored_pages, file_pages, strict=False), start=1):
        a, b = mine.splitlines(), theirs.splitlines()
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op == "equal":
                continue
            old, new = " / ".join(a[i1:i2]), " / ".join(b[j1:j2])
            if op == "replace":
                yield f"page {number} text: stored {old!r}, in the file {new!r}"
            elif op == "delete":
                yield f"page {number} text: {old!r} is missing from the file"
            else:
                yield f"page {number} text: {new!r} is not in the stored manifest"


def _lifecycle(stored: ManifestContent, claimed: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(differences, notes) between the stored lifecycle and the one the file claims."""
    stored_form = json.loads(content_to_json(stored))
    differences: list[str] = []
    notes: list[str] = []
    for name in _lifecycle_names(stored, claimed):
        value = claimed.get(name)
        if value is not None and value != stored_form.get(name):
            differences.append(f"{name}: stored {stored_form.get(name)!r}, in the file {value!r}")
    status = str(claimed.get("status"))
    needs = _STATUS_NEEDS.get(status)
    if status not in {s.value for s in ManifestStatus}:
        differences.append(f"status: the file says {status!r}, not a manifest status")
    elif needs and stored_form.get(needs) is None:
        differences.append(f"status: the file says {status}, but the revision was never {status.lower()}")
    elif status != stored.status:
        notes.append(f"printed while {status}; the revision is now {stored.status}")
    return differences, notes


def _lifecycle_names(stored: ManifestContent, claimed: Mapping[str, Any]) -> list[str]:
    """The stored form's fields outside the hash (who prepared / approved / signed, when, in which
    role, the audit anchor …) and any other field the file adds, status apart."""
    outside = set(json.loads(content_to_json(stored))) | set(claimed)
    return sorted(outside - set(hashed_dict(stored)) - {"status"})


def _as_printed(stored: ManifestContent, claimed: Mapping[str, Any]) -> ManifestContent:
    """``stored`` with the lifecycle the file claims (checked before): what was printed then."""
    lifecycle = {name: claimed.get(name) for name in _lifecycle_names(stored, claimed)}
    printed = content_from_json(canonical_json({**json.loads(content_to_json(stored)), **lifecycle}))
    return dataclasses.replace(printed, status=str(claimed.get("status") or stored.status))


def _render(content: ManifestContent) -> bytes:
    buffer = BytesIO()
    render_manifest_pdf(content, buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# the service


def check_document(uow: UnitOfWork, actor: Actor, flight_code: str, pdf: bytes) -> DocumentCheck:
    """Officer+: compare the PDF ``pdf`` with what is stored for ``flight_code`` (see the module
    doc). ``InvalidInput``: not a readable PDF, or no manifest content in it; ``NotFound``: no such
    flight; ``ManifestTampered`` (audited): the stored revision itself was edited."""
    authorize(uow, actor, Role.OFFICER, f"check a manifest of {flight_code}")
    flight = _flight(uow, flight_code)
    carried = embedded_content(pdf)
    kind = str(carried.get("kind") or "manifest")
    declared = str(carried.get("sha256") or "")
    body: Mapping[str, Any] = carried["content"]
    signatures = signature_lines(pdf)
    if kind != "manifest":
        return _check_flown(uow, flight.code, kind, declared, body, signatures)

    differences: list[str] = []
    notes: list[str] = []
    if body.get("flight_code") != flight.code:
        differences.append(f"this PDF is a manifest of {body.get('flight_code')!r}, not of {flight.code}")
    revisions = _revisions(uow, flight.id)
    match = next((m for m in revisions if m.sha256 == declared), None) or next(
        (m for m in revisions if m.revision == body.get("revision")), None
    )
    if match is None:
        differences.append(
            f"no revision of {flight.code} has the hash {declared} or revision {body.get('revision')}"
        )
        return DocumentCheck(flight.code, kind, None, None, declared, differences, notes, signatures)
    stored = stored_content(uow, actor, match, action="check a manifest PDF")
    stored_hashed = hashed_dict(stored)
    hashed = {k: v for k, v in body.items() if k in stored_hashed}
    recomputed = hashlib.sha256(canonical_json(hashed).encode("utf-8")).hexdigest()
    if recomputed != declared:
        differences.append(f"embedded content hashes to {recomputed}, the file declares {declared}")
    if declared != match.sha256:
        differences.append(
            f"the file declares the hash {declared}, revision {match.revision} has {match.sha256}"
        )
    differences += content_differences(stored_hashed, hashed)
    lifecycle_differences, lifecycle_notes = _lifecycle(stored, body)
    differences += lifecycle_differences
    notes += lifecycle_notes
    differences += _text_check(stored, body, pdf, notes)
    notes += _signed_copy_notes(uow, match, pdf, signatures)
    if len(differences) > MAX_DIFFERENCES:
        differences = [*differences[:MAX_DIFFERENCES], f"… and {len(differences) - MAX_DIFFERENCES} more"]
    return DocumentCheck(
        flight.code, kind, match.revision, match.status, match.sha256, differences, notes, signatures
    )


def _text_check(stored: ManifestContent, body: Mapping[str, Any], pdf: bytes, notes: list[str]) -> list[str]:
    """Differences between the file's page text and the stored content rendered as printed."""
    try:
        printed = _as_printed(stored, body)
    except (ValueError, KeyError, TypeError):
        notes.append("the file's lifecycle fields cannot be read: compared with the stored lifecycle")
        printed = stored
    return list(text_differences(page_texts(_render(printed)), page_texts(pdf)))


def _signed_copy_notes(uow: UnitOfWork, match: Manifest, pdf: bytes, signatures: list[str]) -> list[str]:
    stored = uow.session.get(ManifestSignature, match.id)
    if stored is None:
        return []
    if hashlib.sha256(pdf).hexdigest() == stored.pdf_sha256:
        return ["byte for byte the stored signed file"]
    if not signatures:
        return ["the stored revision is PAdES-signed; this copy carries no signature"]
    return ["the stored revision is PAdES-signed; this copy is not byte for byte the stored signed file"]


def _check_flown(
    uow: UnitOfWork,
    flight_code: str,
    kind: str,
    declared: str,
    body: Mapping[str, Any],
    signatures: list[str],
) -> DocumentCheck:
    """An as-flown manifest or handover receipt: its hash against itself and the audit log."""
    recomputed = hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()
    differences: list[str] = []
    manifest = body.get("manifest")
    carried_code = manifest.get("flight_code") if isinstance(manifest, Mapping) else None
    if carried_code != flight_code:
        differences.append(f"this PDF is a document of {carried_code!r}, not of {flight_code}")
    if recomputed != declared:
        differences.append(f"embedded content hashes to {recomputed}, the file declares {declared}")
    action = "manifest.handover" if kind == "handover" else "manifest.as_flown"
    recorded = {
        json.loads(text).get("sha256")
        for text in uow.session.execute(
            sa.select(AuditEvent.changes_json).where(
                AuditEvent.action == action,
                AuditEvent.entity == "flight",
                AuditEvent.entity_id == flight_code,
            )
        ).scalars()
    }
    if recomputed not in recorded:
        differences.append(f"no {action} of {flight_code} in the audit log has the hash {recomputed}")
    revision = body.get("based_on_revision")
    return DocumentCheck(
        flight_code,
        kind,
        revision if isinstance(revision, int) else None,
        None,
        recomputed,
        differences,
        ["the page text of an as-flown document is not re-rendered (its content is not stored)"],
        signatures,
    )


__all__ = [
    "CONTENT_FILE_NAME",
    "DocumentCheck",
    "check_document",
    "content_differences",
    "embedded_content",
    "page_texts",
    "signature_lines",
    "text_differences",
]
