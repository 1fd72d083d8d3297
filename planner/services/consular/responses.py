"""Answers to request batches: the rows of a verification import that name a batch reference.

The verification import (``planner.services.imports.verification``) hands every row whose
``reference`` looks like a batch reference (``planner.domain.requests.looks_like_reference``) to a
``Responses`` loaded once per import (three queries: batches, items, country rules); rows with a
free reference are not its business. The rules, each a line error naming the ``reference`` column
unless said otherwise:

- the reference must be well formed and name a stored batch of the row's ``nationality``;
- the person must be in the batch, and their request still OPEN in a batch not closed — except
  for a row identical to a stored verification (the importer leaves those unchanged, so
  re-importing a response file is a no-op);
- ``result`` must be an answer (CONFIRMED or NOT_CONFIRMED), ``verified_on`` not before the batch
  was sent; one request is answered once per file;
- verification batches (VR) close CONFIRMED / NOT_CONFIRMED on ``verified_on``;
- travel-document batches (TD) close ISSUED by a row with a document (of a type the country rule
  accepts, or the default rule's passport; answered on its issue date, else ``verified_on``; the item is linked to the document),
  REFUSED by NOT_CONFIRMED without a document; CONFIRMED without a document is an error.

``apply`` writes the closed items and the batches left with no OPEN item (``closed_at``) with bulk
statements, and returns the audit entries (``request_item.answer`` per item,
``request_batch.close`` per batch) for the importer to append with the rest of its events.

Same-day order: ``create_batch`` writes a PENDING verification on the sent date; an answer on that
day is appended after it, so it has the higher id and is the latest
(``planner.domain.eligibility.facts.verification_order_key``). ``is_request_row`` tells the
importer which stored rows those are, so they do not make a same-day answer "ambiguous".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from planner.domain.enums import RequestKind, RequestOutcome, VerificationResult
from planner.domain.requests import looks_like_reference, parse_reference
from planner.domain.wording import join_words, plural
from planner.persistence.audit import AuditEntry
from planner.persistence.bulk import bulk_update
from planner.persistence.models import CountryRule, RequestBatch, RequestItem, TravelDocument
from planner.services.reference import DEFAULT_ACCEPTED_DOCUMENTS

#: Person ids per query when looking up the documents an import created.
_LOOKUP_CHUNK = 5000

#: (person id, document type, number, issuing country), as the verification importer keys documents.
DocKey = tuple[int, str, str, str]


def is_request_row(result: str, reference: str) -> bool:
    """Whether a stored verification is the PENDING row a request batch wrote on its sent date."""
    return result == VerificationResult.PENDING.value and looks_like_reference(reference)


@dataclass(frozen=True, slots=True)
class Answer:
    """One import row naming a batch reference, as the importer parsed it."""

    line: int
    person_id: int | None  # None: the case number is not in the roster (already an error)
    case_number: str
    reference: str
    country: str  # the row's nationality
    result: str
    verified_on: date
    document_type: str | None
    document_number: str | None
    document_issued: date | None
    #: The row is identical to a stored verification (the importer leaves it unchanged).
    stored: bool

    @property
    def document_key(self) -> DocKey | None:
        if self.person_id is None or self.document_type is None or self.document_number is None:
            return None
        return (self.person_id, self.document_type, self.document_number, self.country)


@dataclass(frozen=True, slots=True)
class _Batch:
    id: int
    reference: str
    kind: RequestKind
    country: str
    sent_on: date
    people: int
    closed: bool


@dataclass(frozen=True, slots=True)
class _Item:
    id: int
    outcome: RequestOutcome
    answered_on: date | None


@dataclass(frozen=True, slots=True)
class Closing:
    """One OPEN request an answer closes."""

    answer: Answer
    batch: str  # reference
    item_id: int
    outcome: RequestOutcome
    answered_on: date


class Responses:
    """The batches and requests of the database, loaded once per import (``load``)."""

    def __init__(
        self,
        batches: Mapping[str, _Batch],
        items: Mapping[tuple[int, int], _Item],
        accepted: Mapping[str, frozenset[str]],
    ) -> None:
        self.batches = dict(batches)
        self.items = dict(items)
        self.accepted = dict(accepted)
        self.open_items: Counter[int] = Counter(
            batch_id for (batch_id, _pid), item in self.items.items() if item.outcome is RequestOutcome.OPEN
        )
        self.item_count: Counter[int] = Counter(batch_id for batch_id, _pid in self.items)
        self.closings: list[Closing] = []

    @classmethod
    def load(cls, session: Session) -> Responses:
        """Every batch, every request item and the countries' accepted document types."""
        batches = {
            reference: _Batch(
                bid, reference, RequestKind(kind), country, sent_on, people, closed_at is not None
            )
            for bid, reference, kind, country, sent_on, people, closed_at in session.execute(
                sa.select(
                    RequestBatch.id,
                    RequestBatch.reference,
                    RequestBatch.kind,
                    RequestBatch.country,
                    RequestBatch.sent_on,
                    RequestBatch.people,
                    RequestBatch.closed_at,
                )
            )
        }
        items = {
            (batch_id, pid): _Item(iid, RequestOutcome(outcome), answered_on)
            for iid, batch_id, pid, outcome, answered_on in session.execute(
                sa.select(
                    RequestItem.id,
                    RequestItem.batch_id,
                    RequestItem.person_id,
                    RequestItem.outcome,
                    RequestItem.answered_on,
                )
            )
        }
        accepted = {
            country: frozenset(t.strip() for t in (types or "").split(",") if t.strip())
            for country, types in session.execute(
                sa.select(CountryRule.country, CountryRule.accepted_document_types)
            )
        }
        return cls(batches, items, accepted)

    # ------------------------------------------------------------------------------- checks

    def check(self, answer: Answer) -> list[tuple[str, str]]:
        """``(column, message)`` errors of one row naming a batch reference."""
        reference = answer.reference.strip()
        parsed = parse_reference(reference)
        if parsed is None:
            return [
                ("reference", f"{reference!r} is not a batch reference (like VR-{answer.country}-2026-0007)")
            ]
        batch = self.batches.get(reference)
        if batch is None:
            return [("reference", f"no request batch {reference}")]
        if batch.country != answer.country:
            return [
                (
                    "reference",
                    f"batch {reference} asks {batch.country}, but the row's nationality is {answer.country}",
                )
            ]
        if answer.person_id is None:
            return []  # the unknown case number is the row's error
        item = self.items.get((batch.id, answer.person_id))
        if item is None:
            return [
                (
                    "reference",
                    f"{answer.case_number} is not in batch {reference} "
                    f"({plural(batch.people, 'person', 'people')} sent to {batch.country} on {batch.sent_on})",
                )
            ]
        if answer.stored:
            return []  # unchanged by the import: re-importing a response is a no-op
        errors: list[tuple[str, str]] = []
        if batch.closed:
            errors.append(
                ("reference", f"batch {reference} is closed (all {self.item_count[batch.id]} answered)")
            )
        elif item.outcome is not RequestOutcome.OPEN:
            on = f" on {item.answered_on}" if item.answered_on else ""
            errors.append(
                (
                    "reference",
                    f"{answer.case_number} in batch {reference} already answered {item.outcome}{on}",
                )
            )
        if answer.result not in (VerificationResult.CONFIRMED, VerificationResult.NOT_CONFIRMED):
            errors.append(
                (
                    "result",
                    f"an answer to batch {reference} must be CONFIRMED or NOT_CONFIRMED, not {answer.result}",
                )
            )
        if answer.verified_on < batch.sent_on:
            errors.append(
                (
                    "verified_on",
                    f"{answer.verified_on} is before batch {reference} was sent ({batch.sent_on})",
                )
            )
        if batch.kind is RequestKind.TRAVEL_DOCUMENT:
            errors.extend(self._check_document(answer, batch))
        return errors

    def _check_document(self, answer: Answer, batch: _Batch) -> list[tuple[str, str]]:
        reference = batch.reference
        if answer.document_type is None and answer.document_number is None:
            if answer.result == VerificationResult.CONFIRMED:
                return [
                    (
                        "result",
                        f"an answer to travel-document batch {reference} needs the document columns "
                        "(issued) or NOT_CONFIRMED (refused)",
                    )
                ]
            return []
        errors: list[tuple[str, str]] = []
        if answer.result == VerificationResult.NOT_CONFIRMED:
            errors.append(
                ("result", f"NOT_CONFIRMED with a document: batch {reference} needs CONFIRMED to issue it")
            )
        accepted = self.accepted.get(batch.country, frozenset(DEFAULT_ACCEPTED_DOCUMENTS))
        if answer.document_type is not None and answer.document_type not in accepted:
            allowed = join_words(sorted(accepted), "or") if accepted else "none"
            errors.append(
                (
                    "document_type",
                    f"{batch.country} does not accept {answer.document_type} (its rule accepts {allowed})",
                )
            )
        if answer.document_issued is not None and answer.document_issued < batch.sent_on:
            errors.append(
                (
                    "document_issued",
                    f"{answer.document_issued} is before batch {reference} was sent ({batch.sent_on})",
                )
            )
        return errors

    def check_all(self, answers: Sequence[Answer]) -> list[tuple[int, str, str]]:
        """``(line, column, message)``: a request answered by two rows of one file."""
        first: dict[tuple[str, int], int] = {}
        errors: list[tuple[int, str, str]] = []
        for answer in answers:
            if answer.stored or answer.person_id is None:
                continue
            seen = first.setdefault((answer.reference.strip(), answer.person_id), answer.line)
            if seen != answer.line:
                errors.append(
                    (
                        answer.line,
                        "reference",
                        f"{answer.case_number} in batch {answer.reference.strip()} is answered on line {seen} already",
                    )
                )
        return errors

    # --------------------------------------------------------------------------------- plan

    def plan(self, answers: Iterable[Answer]) -> list[Closing]:
        """The OPEN requests the (checked) answers close; remembered for ``apply``."""
        self.closings = []
        for answer in answers:
            batch = self.batches[answer.reference.strip()]
            assert answer.person_id is not None  # checked
            item = self.items[(batch.id, answer.person_id)]
            if item.outcome is not RequestOutcome.OPEN:
                continue  # a stored row re-imported
            if batch.kind is RequestKind.VERIFICATION:
                if answer.result not in (VerificationResult.CONFIRMED, VerificationResult.NOT_CONFIRMED):
                    continue  # a stored PENDING row re-imported
                outcome, answered_on = RequestOutcome(answer.result), answer.verified_on
            elif answer.document_key is not None and answer.result == VerificationResult.CONFIRMED:
                outcome = RequestOutcome.ISSUED
                answered_on = answer.document_issued or answer.verified_on
            elif answer.result == VerificationResult.NOT_CONFIRMED:
                outcome, answered_on = RequestOutcome.REFUSED, answer.verified_on
            else:
                continue  # a stored row re-imported
            self.closings.append(Closing(answer, batch.reference, item.id, outcome, answered_on))
        return self.closings

    def closed_batches(self) -> list[str]:
        """References of the batches the planned closings leave without an OPEN request."""
        closing = Counter(self.batches[c.batch].id for c in self.closings)
        return [
            b.reference
            for b in self.batches.values()
            if closing[b.id] and not b.closed and closing[b.id] >= self.open_items[b.id]
        ]

    def summary(self, *, done: bool) -> str:
        """``closed 12 requests (VR-CHN-2026-0007: 12 of 25 answered, batch still open)``; empty
        when the planned closings are none (``done`` False: "would close", for a dry run)."""
        if not self.closings:
            return ""
        per_batch = Counter(c.batch for c in self.closings)
        closed = set(self.closed_batches())
        parts = []
        for reference in sorted(per_batch):
            batch = self.batches[reference]
            total = self.item_count[batch.id]
            answered = total - self.open_items[batch.id] + per_batch[reference]
            state = "batch closed" if reference in closed else "batch still open"
            parts.append(f"{reference}: {answered} of {total} answered, {state}")
        verb = "closed" if done else "would close"
        return f"{verb} {plural(len(self.closings), 'request')} ({'; '.join(parts)})"

    # -------------------------------------------------------------------------------- apply

    def apply(
        self,
        session: Session,
        actor: str,
        source: str,
        now: datetime,
        documents: Mapping[DocKey, int],
    ) -> list[AuditEntry]:
        """Write the planned closings and close the batches left without an OPEN request; the
        audit entries to append. ``documents`` holds the ids of documents known before the import
        (the ones it created are looked up here, one query per ``_LOOKUP_CHUNK`` people)."""
        if not self.closings:
            return []
        document_ids = dict(documents)
        missing = {
            key
            for c in self.closings
            if (key := c.answer.document_key) is not None and key not in document_ids
        }
        document_ids.update(_document_ids(session, missing))
        rows = []
        entries = []
        for c in self.closings:
            key = c.answer.document_key if c.outcome is RequestOutcome.ISSUED else None
            document_id = document_ids[key] if key is not None else None
            where = f"{source}:{c.answer.line}"
            rows.append(
                {
                    "id": c.item_id,
                    "outcome": c.outcome.value,
                    "answered_on": c.answered_on,
                    "answered_at": now,
                    "answered_by": actor,
                    "answer_source": where[-300:],
                    "document_id": document_id,
                }
            )
            changes: dict[str, object] = {
                "outcome": [RequestOutcome.OPEN.value, c.outcome.value],
                "answered_on": [None, c.answered_on.isoformat()],
                "source": where,
            }
            if key is not None:
                changes["document"] = f"{key[1]} {key[2]} ({key[3]})"
            entries.append(
                AuditEntry(
                    actor, "request_item.answer", "request_item", f"{c.batch}/{c.answer.case_number}", changes
                )
            )
        bulk_update(session, RequestItem.__table__, rows)
        closed = self.closed_batches()
        if closed:
            bulk_update(
                session,
                RequestBatch.__table__,
                [{"id": self.batches[r].id, "closed_at": now} for r in closed],
            )
        for reference in closed:
            batch = self.batches[reference]
            entries.append(
                AuditEntry(
                    actor,
                    "request_batch.close",
                    "request_batch",
                    reference,
                    {
                        "closed_at": [None, now.isoformat()],
                        "answered": self.item_count[batch.id],
                        "source": source,
                    },
                )
            )
        return entries


def _document_ids(session: Session, keys: set[DocKey]) -> dict[DocKey, int]:
    """Ids of the documents ``keys`` name (their people's documents read in chunks)."""
    people = sorted({key[0] for key in keys})
    found: dict[DocKey, int] = {}
    d = TravelDocument
    for start in range(0, len(people), _LOOKUP_CHUNK):
        chunk = people[start : start + _LOOKUP_CHUNK]
        for did, pid, doc_type, number, country in session.execute(
            sa.select(d.id, d.person_id, d.doc_type, d.number, d.issuing_country).where(
                d.person_id.in_(chunk)
            )
        ):
            key = (pid, doc_type, number, country)
            if key in keys:
                found[key] = did
    return found


__all__ = ["Answer", "Closing", "Responses", "is_request_row"]
