"""Retention: anonymise people released or removed more than N days ago (admin).

A person qualifies when their custody status is RELEASED or REMOVED, their record has not changed
for ``days`` days (``updated_at``; the release or removal is the last change such a record gets)
and they are not anonymised yet. For each, in one transaction:

- family and given names, native-script name, place of birth and legal-hold text are replaced;
  the date of birth keeps its year only (1 January);
- the case number becomes the stable pseudonym ``X`` + the record id in 9 digits (never a valid
  case number, so it cannot collide with a real one, and the same on every run);
- travel-document numbers become ``ANON`` + the document id; verification references are cleared;
- ``anonymised_at`` is set, the version bumped.

Nationality, sex, facility, risk, custody status, plan history and counts stay, so aggregate
figures are unchanged. One audit event ``person.anonymise`` per person names only the record id
and which fields were replaced (no personal data). Running it again changes nothing (idempotent).

Not covered: personal data inside earlier audit events and manifest contents, which are
append-only and hash-protected by design.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from planner.domain.enums import CustodyStatus, Role
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import NationalityVerification, Person, TravelDocument, utc_now
from planner.persistence.uow import UnitOfWork, run_in_transaction
from planner.services.auth import Actor, authorize

log = logging.getLogger(__name__)

ANONYMISED_NAME = "ANONYMISED"
#: Fields of a person that retention replaces (as named in the audit event).
REPLACED_FIELDS = (
    "case_number",
    "family_name",
    "given_names",
    "native_name",
    "date_of_birth",
    "place_of_birth",
    "legal_hold_reason",
)
_LEFT = (CustodyStatus.RELEASED.value, CustodyStatus.REMOVED.value)


@dataclass(frozen=True)
class RetentionReport:
    days: int
    cutoff: datetime
    anonymised: int
    documents: int
    verifications: int
    dry_run: bool

    def summary(self) -> str:
        verb = "would be anonymised" if self.dry_run else "anonymised"
        return (
            f"{self.anonymised:,} people released or removed before {self.cutoff:%Y-%m-%d} {verb} "
            f"({self.documents:,} documents, {self.verifications:,} verification references)"
        )


def pseudonym(person_id: int) -> str:
    """The stable replacement case number of record ``person_id``."""
    return f"X{person_id:09d}"


def anonymise_expired(
    uow: UnitOfWork,
    actor: Actor,
    *,
    days: int,
    dry_run: bool = False,
    now: datetime | None = None,
) -> RetentionReport:
    """Admin: anonymise every qualifying person (see the module docstring) inside ``uow``;
    commits. ``dry_run`` only counts (nothing written, nothing committed). Raises ``ValueError``
    for negative ``days``."""
    authorize(uow, actor, Role.ADMIN, "retention.apply")
    if days < 0:
        raise ValueError("days must be zero or more")
    s = uow.session
    now = now or utc_now()
    cutoff = now - timedelta(days=days)
    people = (
        s.execute(
            sa.select(Person)
            .where(
                Person.custody_status.in_(_LEFT),
                Person.anonymised_at.is_(None),
                Person.updated_at < cutoff,
            )
            .order_by(Person.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    ids = [p.id for p in people]
    doc_count: dict[int, int] = {}
    ver_count: dict[int, int] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        doc_count.update(
            s.execute(
                sa.select(TravelDocument.person_id, sa.func.count())
                .where(TravelDocument.person_id.in_(chunk))
                .group_by(TravelDocument.person_id)
            ).all()
        )
        ver_count.update(
            s.execute(
                sa.select(NationalityVerification.person_id, sa.func.count())
                .where(NationalityVerification.person_id.in_(chunk), NationalityVerification.reference != "")
                .group_by(NationalityVerification.person_id)
            ).all()
        )
    report = RetentionReport(
        days, cutoff, len(ids), sum(doc_count.values()), sum(ver_count.values()), dry_run
    )
    if dry_run or not ids:
        return report
    entries: list[audit.AuditEntry] = []
    for person in people:
        replaced = [
            f for f in REPLACED_FIELDS if f != "legal_hold_reason" or person.legal_hold_reason is not None
        ]
        person.case_number = pseudonym(person.id)
        person.family_name = ANONYMISED_NAME
        person.given_names = ""
        person.native_name = ""
        person.date_of_birth = date(person.date_of_birth.year, 1, 1)
        person.place_of_birth = ""
        person.legal_hold_reason = None
        person.anonymised_at = now
        person.updated_at = now
        person.version += 1
        entries.append(
            audit.AuditEntry(
                actor.username,
                "person.anonymise",
                "person",
                str(person.id),
                {
                    "fields": replaced,
                    "documents": doc_count.get(person.id, 0),
                    "verification_references": ver_count.get(person.id, 0),
                    "retention_days": days,
                },
            )
        )
    s.flush()
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        s.execute(
            sa.update(TravelDocument)
            .where(TravelDocument.person_id.in_(chunk))
            .values(
                number=sa.literal("ANON") + sa.cast(TravelDocument.id, sa.String),
                version=TravelDocument.version + 1,
            )
        )
        s.execute(
            sa.update(NationalityVerification)
            .where(NationalityVerification.person_id.in_(chunk))
            .values(reference="")
        )
    audit.record_many(uow, entries, returning=False)
    uow.commit()
    log.info("retention: %d people anonymised (cutoff %s)", len(ids), cutoff.isoformat())
    return report


def apply_retention(
    ctx: AppContext,
    actor: Actor,
    *,
    days: int,
    dry_run: bool = False,
    now: datetime | None = None,
) -> RetentionReport:
    """``anonymise_expired`` in its own transaction of ``ctx``, committed (the whole transaction
    retried when the database is busy)."""
    return run_in_transaction(
        ctx.session_factory,
        lambda uow: anonymise_expired(uow, actor, days=days, dry_run=dry_run, now=now),
    )


__all__ = ["ANONYMISED_NAME", "RetentionReport", "anonymise_expired", "apply_retention", "pseudonym"]
