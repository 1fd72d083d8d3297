"""Request batches: who to ask a receiving state about, and the batch that asks (CSV + PDF letter).

**Candidates** (``request_candidates``, read-only) of a country, for one kind of request:

- everybody: claims the country's nationality, IN_CUSTODY, removal order FINAL or PENDING, not
  anonymised, and not in an OPEN request of the same kind for the country;
- ``VERIFICATION``: no verification row for the country at all (any result: a PENDING row is a
  request already made, an answer is an answer);
- ``TRAVEL_DOCUMENT`` (only for a country whose rule accepts a document issued on request: travel
  document, emergency travel document or laissez-passer): the latest verification for the country
  is CONFIRMED, or a verification request for it is OPEN, or the rule requires no verification; and
  no VALID document of an accepted type issued by the country that expires after
  ``today + min_validity_days``.

The country's rule is its stored rule or the conservative default (``reference.default_country_rule``).

**Order**: most urgent first — priority 1 first, then FINAL before PENDING, then the older order,
then the case number. The candidates of one family group travel as one unit ranked by its most
urgent member; ``limit`` counts people: units are taken in order while they fit, a unit that does
not fit is skipped and the next ones are still tried. A family is never split.

**A batch** (``create_batch``, officer, commits): reference ``VR-CHN-2026-0007`` (number drawn under
the audit chain's lock), one ``request_item`` per person, for verification one PENDING
``nationality_verification`` row per person carrying the reference, the CSV (the rule's layout,
UTF-8 with a byte-order mark so spreadsheet programs read native scripts) and the PDF cover letter
(``cover_letter``) beside it, both hashed on the batch and audited (``request_batch.create`` and a
``verification.create`` per PENDING row). Nobody to request: ``None``, nothing written.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from planner.domain.countries import country_name
from planner.domain.eligibility import CountryRuleFacts
from planner.domain.eligibility.facts import VerificationFacts, latest_verifications
from planner.domain.enums import (
    CustodyStatus,
    DocumentStatus,
    OrderStatus,
    RequestKind,
    Role,
    VerificationResult,
)
from planner.domain.errors import InvalidInput
from planner.domain.requests import (
    ON_REQUEST_DOCUMENT_TYPES,
    REQUEST_WORDS,
    LeadTime,
    due_on,
    format_reference,
    issues_on_request,
    parse_request_columns,
)
from planner.domain.wording import join_words, plural
from planner.files import output_target, write_output
from planner.persistence import audit
from planner.persistence.models import (
    CountryRule,
    Facility,
    NationalityVerification,
    Person,
    RequestBatch,
    RequestItem,
    TravelDocument,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.consular import records
from planner.services.reference import default_country_rule, stored_default_notice_days

log = logging.getLogger(__name__)

#: Document types a receiving state issues on request (eTD-style); a country whose rule accepts
#: none of them gets no travel-document request.
#: Columns a travel-document batch always carries: they hold the answer (the document issued).
TRAVEL_DOCUMENT_ANSWER_COLUMNS = ("document_type", "document_number", "document_issued", "document_expires")
#: Columns left empty in every request CSV: the receiving state fills them in.
VERIFICATION_ANSWER_COLUMNS = ("result", "verified_on", "authority")
#: What each kind asks, in words (letters, command-line output).
ORDERS = (OrderStatus.FINAL.value, OrderStatus.PENDING.value)


@dataclass(frozen=True)
class Candidate:
    """One person to request, with what the CSV and the letter print."""

    person_id: int
    case_number: str
    family_name: str
    given_names: str
    native_name: str
    sex: str
    date_of_birth: date
    place_of_birth: str
    nationality: str
    facility: str
    family_group: str | None
    priority: int
    document_type: str
    document_number: str
    document_issued: date | None
    document_expires: date | None


@dataclass(frozen=True)
class CreatedBatch:
    reference: str
    kind: RequestKind
    country: str
    people: int
    csv_path: Path
    pdf_path: Path
    csv_sha256: str
    pdf_sha256: str


@dataclass
class CandidateCounts:
    """Why people claiming a country are or are not candidates (each person counted once, under the
    first reason in this order): what the command line says when nobody is left to request."""

    kind: RequestKind
    country: str
    claiming: int = 0
    anonymised: int = 0
    not_in_custody_or_order: int = 0
    already_requested: int = 0
    already_verified: int = 0  # VERIFICATION: a verification row for the country exists
    not_confirmed: int = 0  # TRAVEL_DOCUMENT: neither confirmed nor an open verification request
    holding_document: int = 0  # TRAVEL_DOCUMENT: a valid accepted document already
    candidates: int = 0
    left_by_limit: int = 0
    limit: int | None = None

    def nobody_text(self) -> str:
        """One line: nobody to request of the country, and why."""
        name = country_name(self.country)
        head = f"nobody to request of {name} ({self.country}) for {REQUEST_WORDS[self.kind]}"
        if self.claiming == 0:
            return f"{head}: nobody claims {name} nationality"
        parts = [
            (self.already_verified, "already verified"),
            (self.not_confirmed, "neither confirmed nationals nor being verified"),
            (self.holding_document, "holding a valid document"),
            (self.already_requested, "already requested"),
            (self.not_in_custody_or_order, "not in custody or without a removal order"),
            (self.anonymised, "anonymised"),
        ]
        reasons = join_words(f"{count:,} {words}" for count, words in parts if count)
        if self.left_by_limit:
            reasons = join_words(
                [reasons, f"{self.left_by_limit:,} in families larger than --limit {self.limit}"]
            )
        return f"{head}: of {plural(self.claiming, 'person', 'people')} claiming it, {reasons}"


@dataclass
class _Selection:
    candidates: list[Candidate] = field(default_factory=list)
    counts: CandidateCounts | None = None


# ------------------------------------------------------------------------------------- country rule


def country_rule(uow: UnitOfWork, country: str) -> CountryRule:
    """The stored rule of ``country``, or the conservative default (not stored)."""
    stored = uow.session.get(CountryRule, country)
    if stored is not None:
        return stored
    return default_country_rule(country, stored_default_notice_days(uow))


def request_columns(rule: CountryRule, kind: RequestKind) -> tuple[str, ...]:
    """The CSV's columns: the rule's layout; a travel-document batch also carries the document
    columns (its answer), added before the answer columns where the layout lacks them."""
    try:
        columns = list(parse_request_columns(rule.request_columns or ""))
    except ValueError as exc:
        raise InvalidInput(f"the {rule.country} rule's request columns are wrong: {exc}") from None
    if kind is RequestKind.TRAVEL_DOCUMENT:
        missing = [c for c in TRAVEL_DOCUMENT_ANSWER_COLUMNS if c not in columns]
        at = next((i for i, c in enumerate(columns) if c in VERIFICATION_ANSWER_COLUMNS), len(columns))
        columns[at:at] = missing
    return tuple(columns)


def _check_issues_documents(rule: CountryRule) -> None:
    accepted = CountryRuleFacts.from_model(rule).accepted_document_types
    if not issues_on_request(accepted):
        only = join_words(sorted(accepted)) or "no document"
        raise InvalidInput(
            f"{rule.country} issues no travel documents on request: its rule accepts only {only}"
        )


# --------------------------------------------------------------------------------------- candidates


def _urgency(priority: int, order_status: str, order_date: date | None, case_number: str) -> tuple[Any, ...]:
    return (
        priority,
        0 if order_status == OrderStatus.FINAL.value else 1,
        order_date or date.max,
        case_number,
    )


def _select(
    uow: UnitOfWork, kind: RequestKind, country: str, rule: CountryRule, limit: int | None, today: date
) -> _Selection:
    """Candidates in order (limit applied) and the counts of who is not one and why."""
    session = uow.session
    facts = CountryRuleFacts.from_model(rule)
    counts = CandidateCounts(kind, country, limit=limit)
    p = Person
    people = session.execute(
        sa.select(
            p.id,
            p.case_number,
            p.family_name,
            p.given_names,
            p.native_name,
            p.sex,
            p.date_of_birth,
            p.place_of_birth,
            p.family_group,
            p.priority,
            p.order_status,
            p.order_date,
            p.custody_status,
            p.anonymised_at,
            Facility.name,
        )
        .outerjoin(Facility, Facility.id == p.facility_id)
        .where(p.nationality == country)
        .order_by(p.id)
    ).all()
    counts.claiming = len(people)
    ids = [row.id for row in people]
    verifications: dict[int, list[VerificationFacts]] = defaultdict(list)
    documents: dict[int, list[tuple[str, str, date | None, date]]] = defaultdict(list)
    if ids:
        v = NationalityVerification
        for pid, result, verified_on, vid in session.execute(
            sa.select(v.person_id, v.result, v.verified_on, v.id).where(
                v.country == country, v.person_id.in_(sa.select(p.id).where(p.nationality == country))
            )
        ):
            verifications[pid].append(VerificationFacts(country, result, verified_on, int(vid)))
        d = TravelDocument
        for pid, doc_type, number, issued, expires in session.execute(
            sa.select(d.person_id, d.doc_type, d.number, d.issued_on, d.expires_on).where(
                d.issuing_country == country,
                d.status == DocumentStatus.VALID.value,
                d.person_id.in_(sa.select(p.id).where(p.nationality == country)),
            )
        ):
            documents[pid].append((doc_type, number, issued, expires))
    open_same = {pid for pid, _c in records.open_request_people(session, kind, country)}
    open_verification = {
        pid for pid, _c in records.open_request_people(session, RequestKind.VERIFICATION, country)
    }
    valid_until = today + timedelta(days=facts.min_validity_days)
    chosen: list[tuple[tuple[Any, ...], Candidate]] = []
    for row in people:
        if row.anonymised_at is not None:
            counts.anonymised += 1
            continue
        if row.custody_status != CustodyStatus.IN_CUSTODY.value or row.order_status not in ORDERS:
            counts.not_in_custody_or_order += 1
            continue
        if row.id in open_same:
            counts.already_requested += 1
            continue
        docs = documents.get(row.id, [])
        if kind is RequestKind.VERIFICATION:
            if verifications.get(row.id):
                counts.already_verified += 1
                continue
            best = max(docs, key=lambda doc: (doc[0] in facts.accepted_document_types, doc[3]), default=None)
        else:
            latest = latest_verifications(verifications.get(row.id, ())).get(country)
            confirmed = latest is not None and latest.result == VerificationResult.CONFIRMED.value
            if facts.verification_required and not confirmed and row.id not in open_verification:
                counts.not_confirmed += 1
                continue
            if any(
                t in facts.accepted_document_types and expires > valid_until for t, _n, _i, expires in docs
            ):
                counts.holding_document += 1
                continue
            best = None  # the document columns hold the answer
        chosen.append(
            (
                _urgency(row.priority, row.order_status, row.order_date, row.case_number),
                Candidate(
                    person_id=int(row.id),
                    case_number=row.case_number,
                    family_name=row.family_name,
                    given_names=row.given_names,
                    native_name=row.native_name or "",
                    sex=row.sex,
                    date_of_birth=row.date_of_birth,
                    place_of_birth=row.place_of_birth or "",
                    nationality=country,
                    facility=row.name or "",
                    family_group=row.family_group or None,
                    priority=int(row.priority),
                    document_type=best[0] if best else "",
                    document_number=best[1] if best else "",
                    document_issued=best[2] if best else None,
                    document_expires=best[3] if best else None,
                ),
            )
        )
    counts.candidates = len(chosen)
    ordered = take_units(chosen, limit)
    counts.left_by_limit = len(chosen) - len(ordered)
    return _Selection(ordered, counts)


def take_units(chosen: list[tuple[tuple[Any, ...], Candidate]], limit: int | None) -> list[Candidate]:
    """Units (a family group's candidates together, or one person) in order of their most urgent
    member; with ``limit``, the units that fit, in order, skipping any that does not."""
    units: dict[str, list[tuple[tuple[Any, ...], Candidate]]] = defaultdict(list)
    for key, candidate in chosen:
        unit = (
            f"family:{candidate.family_group}" if candidate.family_group else f"person:{candidate.person_id}"
        )
        units[unit].append((key, candidate))
    ranked = sorted(
        (sorted(members, key=lambda m: m[0]) for members in units.values()), key=lambda m: m[0][0]
    )
    taken: list[Candidate] = []
    for members in ranked:
        if limit is not None and len(taken) + len(members) > limit:
            continue
        taken.extend(candidate for _key, candidate in members)
    return taken


def _prepare(
    uow: UnitOfWork, actor: Actor, kind: RequestKind, country: str, limit: int | None, action: str
) -> tuple[str, CountryRule]:
    authorize(uow, actor, Role.OFFICER, action)
    code = records.check_country(country)
    if limit is not None and limit < 1:
        raise InvalidInput(f"--limit must be 1 or more, not {limit}")
    rule = country_rule(uow, code)
    if kind is RequestKind.TRAVEL_DOCUMENT:
        _check_issues_documents(rule)
    return code, rule


def request_candidates(
    uow: UnitOfWork,
    actor: Actor,
    kind: RequestKind,
    country: str,
    limit: int | None = None,
    today: date | None = None,
) -> list[Candidate]:
    """The people a new ``kind`` batch for ``country`` would list, most urgent first, families
    whole, at most ``limit`` people. Read-only (officer). ``InvalidInput`` for an unknown country
    or a travel-document request to a country that issues none on request."""
    code, rule = _prepare(uow, actor, kind, country, limit, f"list {kind.value.lower()} request candidates")
    return _select(uow, kind, code, rule, limit, today or date.today()).candidates


def candidate_counts(
    uow: UnitOfWork,
    actor: Actor,
    kind: RequestKind,
    country: str,
    limit: int | None = None,
    today: date | None = None,
) -> CandidateCounts:
    """Who claims ``country`` and why they are or are not candidates (read-only, officer)."""
    code, rule = _prepare(uow, actor, kind, country, limit, f"list {kind.value.lower()} request candidates")
    counts = _select(uow, kind, code, rule, limit, today or date.today()).counts
    assert counts is not None
    return counts


# ----------------------------------------------------------------------------------------- the batch


def pdf_path_for(out_csv: Path) -> Path:
    """The cover letter's path: ``FILE.pdf`` beside ``FILE.csv``."""
    return Path(out_csv).with_suffix(".pdf")


def check_csv_target(out_csv: Path) -> tuple[Path, Path]:
    """The CSV and PDF targets; ``InvalidInput`` (one line) unless ``out_csv`` names a ``.csv`` file
    in an existing folder (and its ``.pdf`` sibling is not a folder)."""
    path = Path(out_csv)
    if path.suffix.lower() != ".csv":
        raise InvalidInput(
            f"{path}: the request list must be a .csv file (the letter goes beside it as .pdf)"
        )
    return output_target(path), output_target(pdf_path_for(path))


def _cell(candidate: Candidate, column: str, reference: str) -> str:
    if column == "reference":
        return reference
    if column in VERIFICATION_ANSWER_COLUMNS:
        return ""
    value = getattr(candidate, column)
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def request_csv(candidates: list[Candidate], columns: tuple[str, ...], reference: str) -> bytes:
    """The request list: a header of ``columns``, one row per person; UTF-8 with a byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for candidate in candidates:
        writer.writerow([_cell(candidate, column, reference) for column in columns])
    return buffer.getvalue().encode("utf-8-sig")


def expected_lead_time(uow: UnitOfWork, kind: RequestKind, country: str) -> LeadTime:
    """The expected lead time of ``kind`` requests to ``country`` (history median or the rule)."""
    return records.lead_times(uow.session, [country])[(kind, country)]


def create_batch(
    uow: UnitOfWork,
    actor: Actor,
    kind: RequestKind,
    country: str,
    out_csv: Path,
    *,
    limit: int | None = None,
    today: date | None = None,
) -> CreatedBatch | None:
    """Create a request batch of ``kind`` for ``country`` and write its CSV to ``out_csv`` and its
    cover letter beside it (``pdf_path_for``). Officer. Commits.

    Returns None, with nothing written or committed, when nobody is a candidate (see
    ``candidate_counts`` for why). ``InvalidInput`` for an unknown country, a travel-document request
    to a country that issues none, or an output path that is not a ``.csv`` file in an existing folder.
    When a file cannot be written, nothing is committed (and a file already written is removed)."""
    from planner.services.consular.cover_letter import LetterContent, cover_letter_pdf

    code, rule = _prepare(uow, actor, kind, country, limit, f"create {kind.value.lower()} request batches")
    csv_path, pdf_path = check_csv_target(out_csv)
    sent_on = today or date.today()
    candidates = _select(uow, kind, code, rule, limit, sent_on).candidates
    if not candidates:
        log.info("no %s candidates for %s", kind.value, code)
        return None
    session = uow.session
    audit.lock_head(uow)  # numbers are drawn one desk at a time
    number = records.next_batch_number(session, kind, code, sent_on.year)
    reference = format_reference(kind, code, sent_on.year, number)
    columns = request_columns(rule, kind)
    csv_bytes = request_csv(candidates, columns, reference)
    csv_sha = hashlib.sha256(csv_bytes).hexdigest()
    lead = expected_lead_time(uow, kind, code)
    pdf_bytes = cover_letter_pdf(
        LetterContent(
            reference=reference,
            kind=kind,
            country=code,
            country_name=country_name(code),
            sent_on=sent_on,
            due_on=due_on(sent_on, lead.days),
            lead=lead,
            people=tuple(candidates),
            csv_name=csv_path.name,
            csv_sha256=csv_sha,
            columns=columns,
            prepared_by=actor.display_name or actor.username,
            document_types=tuple(
                t
                for t in sorted(ON_REQUEST_DOCUMENT_TYPES)
                if t in CountryRuleFacts.from_model(rule).accepted_document_types
            ),
        )
    )
    pdf_sha = hashlib.sha256(pdf_bytes).hexdigest()
    batch = RequestBatch(
        reference=reference,
        kind=kind.value,
        country=code,
        year=sent_on.year,
        number=number,
        sent_on=sent_on,
        created_at=utc_now(),
        created_by=actor.username,
        people=len(candidates),
        csv_name=csv_path.name[-255:],
        csv_sha256=csv_sha,
        pdf_sha256=pdf_sha,
    )
    session.add(batch)
    session.flush()
    assert batch.id is not None
    entries = [
        audit.AuditEntry(
            actor.username,
            "request_batch.create",
            "request_batch",
            reference,
            {
                "kind": kind.value,
                "country": code,
                "people": len(candidates),
                "case_numbers": [c.case_number for c in candidates],
                "csv": csv_path.name,
                "csv_sha256": csv_sha,
                "pdf_sha256": pdf_sha,
            },
        )
    ]
    pending: dict[int, NationalityVerification] = {}
    if kind is RequestKind.VERIFICATION:
        now = utc_now()
        for line, c in enumerate(candidates, start=2):  # line 1 is the header
            pending[c.person_id] = NationalityVerification(
                person_id=c.person_id,
                country=code,
                result=VerificationResult.PENDING.value,
                authority="",
                verified_on=sent_on,
                reference=reference,
                source_file=csv_path.name[-255:],
                source_line=line,
                imported_by=actor.username,
                imported_at=now,
            )
        session.add_all(pending.values())
        session.flush()
        entries.extend(
            audit.AuditEntry(
                actor.username,
                "verification.create",
                "person",
                c.case_number,
                {
                    "country": code,
                    "result": VerificationResult.PENDING.value,
                    "verified_on": sent_on.isoformat(),
                    "reference": reference,
                    "authority": "",
                    "source": f"{csv_path.name}:{line}",
                },
            )
            for line, c in enumerate(candidates, start=2)
        )
    session.add_all(
        RequestItem(
            batch_id=batch.id,
            person_id=c.person_id,
            verification_id=pending[c.person_id].id if c.person_id in pending else None,
        )
        for c in candidates
    )
    session.flush()
    audit.record_many(uow, entries)
    _write_and_commit(uow, [(csv_path, csv_bytes), (pdf_path, pdf_bytes)])
    log.info("request batch %s: %d people, %s", reference, len(candidates), csv_path)
    return CreatedBatch(reference, kind, code, len(candidates), csv_path, pdf_path, csv_sha, pdf_sha)


def _write_and_commit(uow: UnitOfWork, files: list[tuple[Path, bytes]]) -> None:
    """Write every file, then commit; on any failure remove the files written and commit nothing."""
    written: list[Path] = []
    try:
        for path, data in files:
            write_output(path, data)
            written.append(path)
        uow.commit()
    except BaseException:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise


__all__ = [
    "Candidate",
    "CandidateCounts",
    "CreatedBatch",
    "candidate_counts",
    "check_csv_target",
    "country_rule",
    "create_batch",
    "expected_lead_time",
    "pdf_path_for",
    "request_candidates",
    "request_columns",
    "request_csv",
    "take_units",
]
