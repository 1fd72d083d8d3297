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

Never touched (counted as *skipped*): people listed (as passengers or reserves) on a manifest in
force (APPROVED or SIGNED) of a flight that has not departed, and people placed by the current plan
on a flight that has not departed — their case numbers are what the manifests, the receiving
countries and the planner's frozen-flight guard refer to (issue #12).

Nationality, sex, facility, risk, custody status, plan history and counts stay, so aggregate
figures are unchanged. One audit event ``person.anonymise`` per person names only the record id
and which fields were replaced (no personal data). Running it again changes nothing (idempotent).

Not covered: personal data inside earlier audit events and manifest contents, which are
append-only and hash-protected by design.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from planner.domain.enums import CustodyStatus, FlightStatus, ManifestStatus, Role
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    Flight,
    FlightStop,
    Manifest,
    NationalityVerification,
    Person,
    TravelDocument,
    utc_now,
)
from planner.persistence.uow import UnitOfWork, run_in_transaction
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id

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
    #: Qualifying people left untouched: on a manifest in force or placed on a flight not departed.
    skipped: int = 0

    def summary(self) -> str:
        verb = "would be anonymised" if self.dry_run else "anonymised"
        skipped = (
            f"; {self.skipped:,} skipped: still on a manifest in force or placed on a flight not yet departed"
            if self.skipped
            else ""
        )
        return (
            f"{self.anonymised:,} people released or removed before {self.cutoff:%Y-%m-%d} {verb} "
            f"({self.documents:,} documents, {self.verifications:,} verification references){skipped}"
        )


def still_needed(uow: UnitOfWork) -> set[int]:
    """Ids of the people retention must not touch (see the module docstring)."""
    s = uow.session
    cases: set[str] = set()
    for content_json in s.execute(
        sa.select(Manifest.content_json)
        .join(Flight, Flight.id == Manifest.flight_id)
        .where(
            Manifest.status.in_([ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value]),
            Flight.status != FlightStatus.DEPARTED.value,
        )
    ).scalars():
        for stop in json.loads(content_json).get("stops", []):
            cases.update(r["case_number"] for r in (*stop.get("rows", []), *stop.get("reserves", [])))
    ids: set[int] = set()
    values = sorted(cases)
    for start in range(0, len(values), 900):
        ids.update(
            s.execute(
                sa.select(Person.id).where(Person.case_number.in_(values[start : start + 900]))
            ).scalars()
        )
    plan = current_draft_plan_id(uow)
    if plan is not None:
        ids.update(
            s.execute(
                sa.select(Assignment.person_id)
                .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
                .join(Flight, Flight.id == FlightStop.flight_id)
                .where(Assignment.plan_run_id == plan, Flight.status != FlightStatus.DEPARTED.value)
            ).scalars()
        )
    return ids


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
    needed = still_needed(uow)
    skipped = sum(1 for p in people if p.id in needed)
    people = [p for p in people if p.id not in needed]
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
        days, cutoff, len(ids), sum(doc_count.values()), sum(ver_count.values()), dry_run, skipped
    )
    if dry_run or not ids:
        return report
    entries: list[audit.AuditEntry] = []
    if skipped:
        entries.append(
            audit.AuditEntry(
                actor.username,
                "retention.skipped",
                "person",
                "*",
                {"skipped": skipped, "retention_days": days},
            )
        )
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


__all__ = [
    "ANONYMISED_NAME",
    "RetentionReport",
    "anonymise_expired",
    "apply_retention",
    "pseudonym",
    "still_needed",
]
