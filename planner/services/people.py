"""Queries over people for lists and detail views (officer and above).

The window's table keeps only the ordered ids of matching people and fetches row data page by
page with ``people_rows``; both calls are cheap enough to run on every keystroke (debounced).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from planner.auth import Actor, authorize
from planner.db import fold_text
from planner.domain import Role
from planner.models import Facility, Person
from planner.uow import UnitOfWork

#: Columns a list may sort by, with the database expression behind each.
SORTABLE = {
    "case_number": Person.case_number,
    "family_name": Person.family_name,
    "given_names": Person.given_names,
    "nationality": Person.nationality,
    "date_of_birth": Person.date_of_birth,
    "priority": Person.priority,
    "custody_status": Person.custody_status,
    "order_status": Person.order_status,
    "risk_level": Person.risk_level,
    "facility": Facility.code,
}


@dataclass(frozen=True)
class PeopleFilter:
    """Every field optional; ``text`` matches case number, names and native name (case-insensitive)."""

    text: str = ""
    nationality: str = ""
    custody_status: str = ""
    facility: str = ""


@dataclass(frozen=True)
class PersonRow:
    id: int
    case_number: str
    family_name: str
    given_names: str
    native_name: str
    sex: str
    date_of_birth: date
    nationality: str
    facility: str
    risk_level: str
    medical_need: str
    family_group: str
    order_status: str
    custody_status: str
    legal_hold: str
    priority: int


def _apply_filter(query: sa.Select, people_filter: PeopleFilter, dialect: str) -> sa.Select:
    text = people_filter.text.strip()
    if text:
        # SQLite gets planner.db's accent- and case-insensitive ``fold``; PostgreSQL's lower()
        # is Unicode-aware (case only).
        fold = sa.func.fold if dialect == "sqlite" else sa.func.lower
        key = fold_text(text) if dialect == "sqlite" else text.lower()
        pattern = f"%{_escape_like(key)}%"
        query = query.where(
            sa.or_(
                *(
                    fold(column).like(pattern, escape="\\")
                    for column in (Person.case_number, Person.family_name, Person.given_names)
                ),
                Person.native_name.like(f"%{_escape_like(text)}%", escape="\\"),
            )
        )
    if people_filter.nationality:
        query = query.where(Person.nationality == people_filter.nationality.upper())
    if people_filter.custody_status:
        query = query.where(Person.custody_status == people_filter.custody_status)
    if people_filter.facility:
        query = query.where(Facility.code == people_filter.facility)
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def person_ids(
    uow: UnitOfWork,
    actor: Actor,
    people_filter: PeopleFilter = PeopleFilter(),
    *,
    sort_by: str = "case_number",
    descending: bool = False,
) -> list[int]:
    """Ids of the people matching ``people_filter``, in display order."""
    authorize(uow, actor, Role.OFFICER, "people.read")
    if sort_by not in SORTABLE:
        raise ValueError(f"cannot sort by {sort_by!r}")
    order = SORTABLE[sort_by].desc() if descending else SORTABLE[sort_by].asc()
    query = sa.select(Person.id).outerjoin(Facility, Person.facility_id == Facility.id)
    query = _apply_filter(query, people_filter, uow.dialect).order_by(order, Person.id)
    if uow.dialect == "sqlite":
        # One row holding every id as a JSON array, built by SQLite: fetching 100,000 rows one by
        # one hands the interpreter lock back and forth 100,000 times (SQLite's Python module
        # releases it around every step), which keeps the window's thread waiting for it. The
        # rows of an ordered subquery reach the aggregate in that order.
        ordered = query.subquery()
        packed = uow.session.connection().execute(sa.select(sa.func.json_group_array(ordered.c.id))).scalar()
        return json.loads(packed) if packed else []
    # Plain Core rows fetched in batches: a 100,000-row answer never holds the interpreter lock
    # for long (the window's thread waits on it otherwise).
    result = uow.session.connection().execute(query.execution_options(yield_per=5_000)).scalars()
    return [person_id for batch in result.partitions() for person_id in batch]


def people_rows(uow: UnitOfWork, actor: Actor, ids: Sequence[int]) -> dict[int, PersonRow]:
    """Display rows for ``ids`` (at most a few hundred per call), keyed by id."""
    authorize(uow, actor, Role.OFFICER, "people.read")
    if not ids:
        return {}
    query = (
        sa.select(Person, Facility.code)
        .outerjoin(Facility, Person.facility_id == Facility.id)
        .where(Person.id.in_(list(ids)))
    )
    rows = {}
    for person, facility_code in uow.session.execute(query):
        rows[person.id] = PersonRow(
            id=person.id,
            case_number=person.case_number,
            family_name=person.family_name,
            given_names=person.given_names,
            native_name=person.native_name,
            sex=person.sex,
            date_of_birth=person.date_of_birth,
            nationality=person.nationality,
            facility=facility_code or "",
            risk_level=person.risk_level,
            medical_need=person.medical_need,
            family_group=person.family_group or "",
            order_status=person.order_status,
            custody_status=person.custody_status,
            legal_hold=person.legal_hold_reason or "",
            priority=person.priority,
        )
    return rows


def nationalities(uow: UnitOfWork, actor: Actor) -> list[str]:
    """Distinct nationalities present, for filter choices."""
    authorize(uow, actor, Role.OFFICER, "people.read")
    return list(
        uow.session.execute(sa.select(Person.nationality).distinct().order_by(Person.nationality)).scalars()
    )


@dataclass(frozen=True)
class PersonDetail:
    """Everything the detail panel shows about one person (plain data)."""

    row: PersonRow
    place_of_birth: str
    order_date: date | None
    hold_until: date | None
    documents: list[dict]
    verifications: list[dict]
    family: list[PersonRow]
    explanation: str
    audit: list[dict]


def person_detail(uow: UnitOfWork, actor: Actor, person_id: int) -> PersonDetail:
    """Officer and above: documents, verification history (newest first), family members,
    the plan's decision with its explanation, and the person's audit trail."""
    from planner.errors import NotFound
    from planner.models import AuditEvent, NationalityVerification, TravelDocument
    from planner.services import explain

    authorize(uow, actor, Role.OFFICER, "people.read")
    s = uow.session
    person = s.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}")
    row = people_rows(uow, actor, [person_id])[person_id]
    documents = [
        {
            "type": d.doc_type,
            "number": d.number,
            "issuing_country": d.issuing_country,
            "issued_on": d.issued_on,
            "expires_on": d.expires_on,
            "status": d.status,
        }
        for d in s.execute(
            sa.select(TravelDocument)
            .where(TravelDocument.person_id == person_id)
            .order_by(TravelDocument.expires_on.desc())
        ).scalars()
    ]
    verifications = [
        {
            "country": v.country,
            "result": v.result,
            "verified_on": v.verified_on,
            "authority": v.authority,
            "reference": v.reference,
            "source": f"{v.source_file}:{v.source_line}" if v.source_file else "",
            "imported_by": v.imported_by,
        }
        for v in s.execute(
            sa.select(NationalityVerification)
            .where(NationalityVerification.person_id == person_id)
            .order_by(NationalityVerification.verified_on.desc(), NationalityVerification.id.desc())
        ).scalars()
    ]
    family: list[PersonRow] = []
    if person.family_group:
        member_ids = list(
            s.execute(
                sa.select(Person.id).where(Person.family_group == person.family_group, Person.id != person_id)
            ).scalars()
        )
        family = sorted(people_rows(uow, actor, member_ids).values(), key=lambda r: r.date_of_birth)
    explanation = explain.explain(uow, actor, person.case_number).text()
    audit = [
        {"id": e.id, "at": e.occurred_at, "actor": e.actor, "action": e.action, "changes": e.changes_json}
        for e in s.execute(
            sa.select(AuditEvent)
            .where(
                AuditEvent.entity == "person", AuditEvent.entity_id.in_([str(person_id), person.case_number])
            )
            .order_by(AuditEvent.id.desc())
            .limit(200)
        ).scalars()
    ]
    return PersonDetail(
        row=row,
        place_of_birth=person.place_of_birth,
        order_date=person.order_date,
        hold_until=person.hold_until,
        documents=documents,
        verifications=verifications,
        family=family,
        explanation=explanation,
        audit=audit,
    )
