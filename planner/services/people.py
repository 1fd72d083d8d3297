"""People for lists, detail views and the editor (officer and above).

The window's table keeps only the ordered ids of matching people and fetches row data page by
page with ``people_rows``; both calls are cheap enough to run on every keystroke (debounced).

Editing (``get_person`` / ``update_person``): most of a person's record comes from roster imports
only; an officer may change the fields of ``EDITABLE_FIELDS``, parsed by the columns the roster
import uses too (:mod:`planner.domain.person_fields`) with its rules: a hold end date needs a reason (a reason
without an end date is an open-ended hold), and a family group holds one nationality. Optimistic
locking as for flights: the editor sends back the ``version`` it read; a different current
version is refused with ``StaleVersion`` (a ``Conflict``) naming who changed the person and when
(the newest audit event for the case number, which roster imports write too). Audit:
``person.update``, entity ``person``, id the case number, ``{field: [old, new]}`` under the roster
import's names (``hold_until`` for ``legal_hold_until``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from planner.domain import person_fields as roster
from planner.domain.audit_text import action_words, summarize_changes
from planner.domain.enums import Role
from planner.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from planner.domain.fields import Column, parse_fields
from planner.domain.wording import plural
from planner.persistence import audit
from planner.persistence.db import fold_text
from planner.persistence.models import Facility, Person, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.consular.person_requests import OpenRequest, open_requests, requests_text

#: The audit events' ``entity`` for people (``entity_id``: the case number).
ENTITY = "person"
#: What ``update_person`` may change, each with the roster column that parses it.
EDITABLE_FIELDS: dict[str, Column] = {
    "custody_status": roster.CUSTODY_STATUS,
    "risk_level": roster.RISK_LEVEL,
    "medical_need": roster.MEDICAL_NEED,
    "priority": roster.PRIORITY,
    "legal_hold_reason": dataclasses.replace(roster.LEGAL_HOLD, name="legal_hold_reason"),
    "legal_hold_until": dataclasses.replace(roster.HOLD_UNTIL, name="legal_hold_until"),
    "family_group": roster.FAMILY_GROUP,
}
#: The ``Person`` column behind each editable field (also the name its changes are audited under).
_COLUMN = {name: name for name in EDITABLE_FIELDS} | {"legal_hold_until": "hold_until"}
_HOLD = ("legal_hold_reason", "legal_hold_until")

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
    #: Open requests to the receiving state, in words ("verification requested (VR-…, sent …,
    #: answer expected by …)"; "" when none): ``consular.person_requests.requests_text``.
    request: str = ""


def _apply_filter(query: sa.Select, people_filter: PeopleFilter) -> sa.Select:
    text = people_filter.text.strip()
    if text:
        # ``fold`` ignores case and accents on both backends: planner.persistence.db registers it on SQLite,
        # migration 0005 creates it on PostgreSQL.
        pattern = f"%{_escape_like(fold_text(text))}%"
        query = query.where(
            sa.or_(
                *(
                    sa.func.fold(column).like(pattern, escape="\\")
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
    query = _apply_filter(query, people_filter).order_by(order, Person.id)
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


def people_rows(
    uow: UnitOfWork, actor: Actor, ids: Sequence[int], *, today: date | None = None
) -> dict[int, PersonRow]:
    """Display rows for ``ids`` (at most a few hundred per call), keyed by id; ``request`` says
    which requests are open and whether they are overdue on ``today`` (default: today, UTC),
    read in bulk for all ``ids``."""
    authorize(uow, actor, Role.OFFICER, "people.read")
    if not ids:
        return {}
    requests = open_requests(uow.session, ids, today or utc_now().date())
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
            request=requests_text(requests.get(person.id, ())),
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
    #: The facility as an officer names it: "FAC003 (Montgomery Processing Center, Conroe, TX)".
    facility_label: str = ""
    #: Open requests to the receiving state (verification first), each with its due date.
    open_requests: tuple[OpenRequest, ...] = ()


def _source_text(source_file: str | None, source_line: int | None) -> str:
    """Where a verification came from: ``"list.csv line 12"``, ``"demo data"``, or ""."""
    if not source_file:
        return ""
    name = "demo data" if source_file == "demo" else source_file
    return f"{name} line {source_line}" if source_line is not None else name


def _facility_label(uow: UnitOfWork, facility_id: int | None) -> str:
    facility = uow.session.get(Facility, facility_id) if facility_id is not None else None
    if facility is None:
        return ""
    place = ", ".join(part for part in (facility.name, facility.city) if part)
    return f"{facility.code} ({place})" if place else facility.code


def person_detail(
    uow: UnitOfWork, actor: Actor, person_id: int, *, today: date | None = None
) -> PersonDetail:
    """Officer and above: documents, verification history (newest first), open requests (overdue
    as of ``today``, default today UTC), family members, the plan's decision with its explanation,
    and the person's audit trail."""
    from planner.persistence.models import AuditEvent, NationalityVerification, TravelDocument
    from planner.services import explain

    authorize(uow, actor, Role.OFFICER, "people.read")
    s = uow.session
    person = s.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}")
    today = today or utc_now().date()
    row = people_rows(uow, actor, [person_id], today=today)[person_id]
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
            "source": _source_text(v.source_file, v.source_line),
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
        {
            "id": e.id,
            "at": e.occurred_at,
            "actor": e.actor,
            "action": action_words(e.action),
            "changes": summarize_changes(e.changes_json, limit=400),
        }
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
        facility_label=_facility_label(uow, person.facility_id),
        open_requests=tuple(open_requests(s, [person_id], today).get(person_id, ())),
    )


# ---------------------------------------------------------------- editing


@dataclass(frozen=True)
class EditablePerson:
    """One person as the editor shows it: who it is, the ``EDITABLE_FIELDS`` and the ``version``
    to send back with a change (plain data). ``anonymised``: retention replaced the personal
    data; such a record is not edited any more."""

    id: int
    case_number: str
    family_name: str
    given_names: str
    nationality: str
    custody_status: str
    risk_level: str
    medical_need: str
    priority: int
    legal_hold_reason: str | None
    legal_hold_until: date | None
    family_group: str | None
    version: int
    updated_at: datetime
    anonymised: bool

    def values(self) -> dict[str, Any]:
        """The editable fields, as ``update_person`` takes them."""
        return {name: getattr(self, name) for name in EDITABLE_FIELDS}


def _person(uow: UnitOfWork, case_number: str) -> Person:
    case = (case_number or "").strip().upper()
    person = uow.session.execute(sa.select(Person).where(Person.case_number == case)).scalar_one_or_none()
    if person is None:
        raise NotFound(f"there is no person with case number {case_number!r}")
    return person


def _editable(person: Person) -> EditablePerson:
    return EditablePerson(
        id=person.id,
        case_number=person.case_number,
        family_name=person.family_name,
        given_names=person.given_names,
        nationality=person.nationality,
        custody_status=person.custody_status,
        risk_level=person.risk_level,
        medical_need=person.medical_need,
        priority=person.priority,
        legal_hold_reason=person.legal_hold_reason,
        legal_hold_until=person.hold_until,
        family_group=person.family_group,
        version=person.version,
        updated_at=person.updated_at,
        anonymised=person.anonymised_at is not None,
    )


def get_person(uow: UnitOfWork, actor: Actor, case_number: str) -> EditablePerson:
    """Officer+: one person's editable record by case number (case-insensitive); ``NotFound``
    when there is none."""
    authorize(uow, actor, Role.OFFICER, "people.read")
    return _editable(_person(uow, case_number))


def _as_text(value: Any) -> str:
    """A field value as the text an import file would hold (``None`` -> empty)."""
    if value is None:
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


def _family_problem(uow: UnitOfWork, person: Person, group: str) -> str | None:
    """The roster's rule for ``person`` joining ``group``: one nationality per family group."""
    others = uow.session.execute(
        sa.select(Person.case_number, Person.nationality)
        .where(Person.family_group == group, Person.id != person.id)
        .order_by(Person.case_number)
    ).all()
    if all(nationality == person.nationality for _case, nationality in others):
        return None
    where: dict[str, list[str]] = {person.nationality: [person.case_number]}
    for case, nationality in others:
        where.setdefault(nationality, []).append(f"{case} in the database")
    return roster.mixed_family_message(group, where)


def _validate(uow: UnitOfWork, person: Person, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The new ``Person`` column values of ``changes``, or ``InvalidInput`` listing every problem."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    errors = [f"{name}: not a field that can be edited here" for name in unknown]
    given = [name for name in EDITABLE_FIELDS if name in changes]
    held = [name for name in _HOLD if name in changes]
    if len(held) == 1:
        missing = _HOLD[1 - _HOLD.index(held[0])]
        errors.append(f"{missing}: give legal_hold_reason and legal_hold_until together")
    values: dict[str, Any] = {}  # the fields that parsed
    for name in given:
        parsed, problems = parse_fields({name: _as_text(changes[name])}, [EDITABLE_FIELDS[name]])
        values.update(parsed)
        errors += problems
    reason_cleared = "legal_hold_reason" in values and values["legal_hold_reason"] is None
    if reason_cleared and values.get("legal_hold_until") is not None:
        errors.append(f"legal_hold_until: {roster.HOLD_WITHOUT_REASON}")
    group = values.get("family_group")
    if group is not None and group != person.family_group:
        problem = _family_problem(uow, person, group)
        if problem:
            errors.append(f"family_group: {problem}")
    if errors:
        raise InvalidInput(
            f"person {person.case_number} was not saved: {plural(len(errors), 'problem')}", errors
        )
    return {_COLUMN[name]: value for name, value in values.items()}


def _changed_by_someone(uow: UnitOfWork, case_number: str, when: str) -> StaleVersion:
    who = audit.last_change(uow, ENTITY, case_number)
    return StaleVersion(
        f"person {case_number} was changed by {who} {when}; reload it and apply your change again"
    )


def update_person(
    uow: UnitOfWork,
    actor: Actor,
    case_number: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    now: datetime | None = None,
) -> EditablePerson:
    """Officer+: change some ``EDITABLE_FIELDS`` of one person; commits. Returns the record as
    stored (its version unchanged when every value equals the current one: nothing is written).

    Values may be typed (``date``, ``int``) or text as in a roster file; ``None`` or blank clears
    an optional field. ``legal_hold_reason`` and ``legal_hold_until`` come together. Raises
    ``InvalidInput`` (``details``: one ``field: message`` per problem, nothing written),
    ``StaleVersion`` (a ``Conflict``: stale ``expected_version``, naming who changed the person and
    when), ``Conflict`` (an anonymised person) or ``NotFound``."""
    authorize(uow, actor, Role.OFFICER, "people.edit")
    person = _person(uow, case_number)
    if person.anonymised_at is not None:
        raise Conflict(
            f"person {person.case_number} was anonymised on {person.anonymised_at:%Y-%m-%d} "
            "(retention) and cannot be edited"
        )
    if person.version != expected_version:
        since = f"since you opened it (version {person.version}, yours {expected_version})"
        raise _changed_by_someone(uow, person.case_number, since)
    new = _validate(uow, person, changes)
    changed = audit.changed_fields({column: getattr(person, column) for column in new}, new)
    if not changed:
        return _editable(person)
    table = Person.__table__
    updated: sa.CursorResult[Any] = uow.session.execute(  # type: ignore[assignment]  # DML: a CursorResult
        sa.update(table)
        .where(table.c.id == person.id, table.c.version == expected_version)
        .values(version=expected_version + 1, updated_at=now or utc_now(), **new)
    )
    if updated.rowcount != 1:  # changed between our read and our write
        raise _changed_by_someone(uow, person.case_number, "meanwhile")
    audit.record(uow, audit.AuditEntry(actor.username, "person.update", ENTITY, person.case_number, changed))
    uow.commit()
    uow.session.expire_all()
    return _editable(_person(uow, person.case_number))
