"""People, request batches and response files for the response tests, inserted directly (the batch
service is tested on its own; these tests are about the import that answers a batch).

``World.batch`` writes a batch the way ``create_batch`` leaves it: the items OPEN and, for a
verification batch, a PENDING verification on the sent date naming the reference, with audit events.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from planner.domain.enums import RequestKind
from planner.domain.requests import format_reference
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import (
    AuditEvent,
    Facility,
    NationalityVerification,
    Person,
    RequestBatch,
    RequestItem,
    TravelDocument,
)

#: The importer refuses answers dated in the future, so the world is dated from the real today.
TODAY = date.today()
SENT_ON = TODAY - timedelta(days=40)

#: The verification import's columns, in the order the response files write them.
RESPONSE_COLUMNS = (
    "reference",
    "case_number",
    "family_name",
    "given_names",
    "native_name",
    "date_of_birth",
    "nationality",
    "result",
    "document_type",
    "document_number",
    "document_issued",
    "document_expires",
    "authority",
    "verified_on",
)


@dataclass
class World:
    ctx: AppContext
    facility_id: int = 0
    #: case number -> (person id, family name, date of birth, nationality)
    people: dict[str, tuple[int, str, date, str]] = field(default_factory=dict)

    def setup(self) -> World:
        with self.ctx.uow() as uow:
            facility = Facility(code="HOU", name="Houston Processing Center", city="Houston")
            uow.session.add(facility)
            uow.session.flush()
            assert facility.id is not None
            self.facility_id = facility.id
            uow.commit()
        return self

    def add_people(self, count: int, country: str = "CHN", start: int = 0) -> list[str]:
        """``count`` people claiming ``country``, in custody with a final order; their case numbers."""
        cases = []
        with self.ctx.uow() as uow:
            for k in range(start, start + count):
                case = f"A{200000000 + k}"
                person = Person(
                    case_number=case,
                    family_name=f"FAMILY{k}",
                    given_names=f"Given {k}",
                    sex="MF"[k % 2],
                    date_of_birth=date(1970 + k % 30, 1 + k % 12, 1 + k % 28),
                    nationality=country,
                    facility_id=self.facility_id,
                    risk_level="LOW",
                    medical_need="NONE",
                    order_status="FINAL",
                    custody_status="IN_CUSTODY",
                )
                uow.session.add(person)
                uow.session.flush()
                assert person.id is not None
                self.people[case] = (person.id, person.family_name, person.date_of_birth, country)
                cases.append(case)
            uow.commit()
        return cases

    def batch(
        self,
        kind: RequestKind,
        country: str,
        cases: Sequence[str],
        *,
        sent_on: date = SENT_ON,
        number: int = 1,
    ) -> str:
        """A batch of ``cases`` as ``create_batch`` writes it; its reference."""
        reference = format_reference(kind, country, sent_on.year, number)
        with self.ctx.uow() as uow:
            s = uow.session
            batch = RequestBatch(
                reference=reference,
                kind=kind.value,
                country=country,
                year=sent_on.year,
                number=number,
                sent_on=sent_on,
                created_by="olivia",
                people=len(cases),
            )
            s.add(batch)
            s.flush()
            entries = [audit.AuditEntry("olivia", "request_batch.create", "request_batch", reference, {})]
            for case in cases:
                pid = self.people[case][0]
                verification_id = None
                if kind is RequestKind.VERIFICATION:
                    pending = NationalityVerification(
                        person_id=pid,
                        country=country,
                        result="PENDING",
                        verified_on=sent_on,
                        reference=reference,
                    )
                    s.add(pending)
                    s.flush()
                    verification_id = pending.id
                    entries.append(audit.AuditEntry("olivia", "verification.create", "person", case, {}))
                s.add(RequestItem(batch_id=batch.id, person_id=pid, verification_id=verification_id))
            s.flush()
            audit.record_many(uow, entries)
            uow.commit()
        return reference

    def close_batch(self, reference: str) -> None:
        with self.ctx.uow() as uow:
            uow.session.execute(
                sa.update(RequestBatch)
                .where(RequestBatch.reference == reference)
                .values(closed_at=datetime.now(UTC))
            )
            audit.record(
                uow, audit.AuditEntry("olivia", "request_batch.close", "request_batch", reference, {})
            )
            uow.commit()

    def row(self, case: str, reference: str, result: str = "CONFIRMED", **values: object) -> dict[str, str]:
        """One response row for ``case`` (answered 5 days ago unless ``verified_on`` is given)."""
        _pid, family, dob, country = self.people[case]
        row = dict.fromkeys(RESPONSE_COLUMNS, "")
        row.update(
            reference=reference,
            case_number=case,
            family_name=family,
            date_of_birth=dob.isoformat(),
            nationality=country,
            result=result,
            authority="Consulate",
            verified_on=(TODAY - timedelta(days=5)).isoformat(),
        )
        row.update({k: v.isoformat() if isinstance(v, date) else str(v) for k, v in values.items()})
        return row

    # ---- reads

    def items(self, reference: str) -> dict[str, tuple[str, date | None, int | None]]:
        """case number -> (outcome, answered_on, document id) of the batch's requests."""
        with self.ctx.uow(write=False) as uow:
            rows = uow.session.execute(
                sa.select(
                    Person.case_number, RequestItem.outcome, RequestItem.answered_on, RequestItem.document_id
                )
                .join(RequestItem, RequestItem.person_id == Person.id)
                .join(RequestBatch, RequestBatch.id == RequestItem.batch_id)
                .where(RequestBatch.reference == reference)
            ).all()
        return {case: (outcome, answered, doc) for case, outcome, answered, doc in rows}

    def closed_at(self, reference: str) -> datetime | None:
        with self.ctx.uow(write=False) as uow:
            return uow.session.execute(
                sa.select(RequestBatch.closed_at).where(RequestBatch.reference == reference)
            ).scalar_one()

    def document_id(self, case: str, number: str) -> int | None:
        with self.ctx.uow(write=False) as uow:
            return uow.session.execute(
                sa.select(TravelDocument.id).where(
                    TravelDocument.person_id == self.people[case][0], TravelDocument.number == number
                )
            ).scalar_one_or_none()


def response_csv(rows: Iterable[Mapping[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RESPONSE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def state(ctx: AppContext) -> tuple[object, ...]:
    """Everything an answer may change: requests, batches, verifications, documents, the audit length."""
    with ctx.uow(write=False) as uow:
        s = uow.session

        def rows(statement: sa.Select) -> list[tuple[object, ...]]:
            return sorted(tuple(map(repr, r)) for r in s.execute(statement))

        return (
            rows(sa.select(RequestItem.__table__)),
            rows(sa.select(RequestBatch.__table__)),
            rows(sa.select(NationalityVerification.__table__)),
            rows(sa.select(TravelDocument.__table__)),
            s.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one(),
        )


def audit_events(ctx: AppContext, action: str) -> list[tuple[str, str, dict]]:
    """(entity, entity id, changes) of every event of ``action``, in order."""
    with ctx.uow(write=False) as uow:
        return [
            (entity, entity_id, json.loads(changes))
            for entity, entity_id, changes in uow.session.execute(
                sa.select(AuditEvent.entity, AuditEvent.entity_id, AuditEvent.changes_json)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        ]


__all__ = ["RESPONSE_COLUMNS", "SENT_ON", "TODAY", "World", "audit_events", "response_csv", "state"]
