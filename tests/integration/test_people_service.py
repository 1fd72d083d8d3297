"""The people service on both backends: the ordered id list (read in one packed row on SQLite)
matches a plain ordered query for every sort key and direction and for filters; editing one
person — validation with the roster import's rules, audit, optimistic locking proven with real
concurrent sessions, the role gate — and the planner honouring an edit."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from planner.demo import generate as demo
from planner.domain.enums import Role
from planner.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StaleVersion,
)
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    AuditEvent,
    Facility,
    Person,
    PlanExclusion,
    User,
    utc_now,
)
from planner.services import explain, people, planning, users
from planner.services.auth import Actor
from planner.services.imports.framework import run_import
from planner.services.imports.roster import PERSON_FIELDS, RosterImporter
from planner.services.people import SORTABLE, EditablePerson, PeopleFilter
from tests.conftest import add_user


@pytest.fixture
def demo_ctx(ctx: AppContext, admin: Actor) -> AppContext:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=400, flights=6, seed=5)
    return ctx


@pytest.mark.parametrize("sort_by", sorted(SORTABLE))
@pytest.mark.parametrize("descending", [False, True])
def test_ids_come_in_the_requested_order(
    demo_ctx: AppContext, admin: Actor, sort_by: str, descending: bool
) -> None:
    column = SORTABLE[sort_by]
    expected_query = (
        sa.select(Person.id)
        .outerjoin(Facility, Person.facility_id == Facility.id)
        .order_by(column.desc() if descending else column.asc(), Person.id)
    )
    with demo_ctx.uow(write=False) as uow:
        expected = list(uow.session.execute(expected_query).scalars())
        assert people.person_ids(uow, admin, sort_by=sort_by, descending=descending) == expected


def test_filters_narrow_the_ids(demo_ctx: AppContext, admin: Actor) -> None:
    with demo_ctx.uow(write=False) as uow:
        everyone = people.person_ids(uow, admin)
        chinese = people.person_ids(uow, admin, PeopleFilter(nationality="CHN"))
        expected = list(
            uow.session.execute(
                sa.select(Person.id)
                .where(Person.nationality == "CHN")
                .order_by(Person.case_number, Person.id)
            ).scalars()
        )
        assert chinese == expected and set(chinese) < set(everyone)
        assert people.person_ids(uow, admin, PeopleFilter(text="no such name at all")) == []


# ---------------------------------------------------------------- editing one person

NOW = utc_now().replace(microsecond=0)
HOLD_UNTIL = date(2031, 1, 1)


def _person(case_number: str, nationality: str, family_group: str | None = None) -> Person:
    return Person(
        case_number=case_number,
        family_name="TEST",
        given_names="PERSON",
        sex="F",
        date_of_birth=date(1990, 1, 1),
        nationality=nationality,
        risk_level="LOW",
        medical_need="NONE",
        family_group=family_group,
        order_status="FINAL",
        custody_status="IN_CUSTODY",
        priority=3,
    )


@pytest.fixture
def three(ctx: AppContext) -> AppContext:
    """A100000001 (SLV, no family) and the GTM family F-1 (A100000002, A100000003)."""
    with ctx.uow() as uow:
        uow.session.add_all(
            [
                _person("A100000001", "SLV"),
                _person("A100000002", "GTM", "F-1"),
                _person("A100000003", "GTM", "F-1"),
            ]
        )
        uow.commit()
    return ctx


def _get(ctx: AppContext, actor: Actor, case: str) -> EditablePerson:
    with ctx.uow(write=False) as uow:
        return people.get_person(uow, actor, case)


def _update(ctx: AppContext, actor: Actor, case: str, changes: dict, version: int) -> EditablePerson:
    with ctx.uow() as uow:
        return people.update_person(uow, actor, case, changes, expected_version=version, now=NOW)


def _events(ctx: AppContext, case: str) -> list[tuple[str, str, dict]]:
    """(action, actor, changes) of the person's audit events, oldest first."""
    with ctx.uow(write=False) as uow:
        return [
            (e.action, e.actor, json.loads(e.changes_json))
            for e in uow.session.execute(
                sa.select(AuditEvent)
                .where(AuditEvent.entity == "person", AuditEvent.entity_id == case)
                .order_by(AuditEvent.id)
            ).scalars()
        ]


def _snapshot(ctx: AppContext) -> tuple[list[tuple], int]:
    """Every person row and the number of audit events."""
    with ctx.uow(write=False) as uow:
        s = uow.session
        rows = [tuple(r) for r in s.execute(sa.select(Person.__table__).order_by(Person.id)).all()]
        return rows, s.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()


def test_edit_changes_audits_and_bumps_the_version(three: AppContext, officer: Actor) -> None:
    before = _get(three, officer, "a100000001")  # case-insensitive
    assert (before.case_number, before.version, before.legal_hold_reason) == ("A100000001", 1, None)
    changes = {
        "priority": 1,
        "risk_level": "high",  # enumerations as the roster accepts them
        "legal_hold_reason": "Court stay",
        "legal_hold_until": HOLD_UNTIL,
    }
    after = _update(three, officer, "A100000001", changes, version=1)
    assert (after.version, after.priority, after.risk_level) == (2, 1, "HIGH")
    assert (after.legal_hold_reason, after.legal_hold_until, after.updated_at) == (
        "Court stay",
        HOLD_UNTIL,
        NOW,
    )
    assert _get(three, officer, "A100000001") == after
    expected = {
        "priority": [3, 1],
        "risk_level": ["LOW", "HIGH"],
        "legal_hold_reason": [None, "Court stay"],
        "hold_until": [None, "2031-01-01"],
    }
    assert _events(three, "A100000001") == [("person.update", "olivia", expected)]

    # The same values again (as text, the way a roster file holds them): nothing written.
    again = {
        "priority": "1",
        "risk_level": "HIGH",
        "legal_hold_reason": "Court stay",
        "legal_hold_until": "2031-01-01",
    }
    assert _update(three, officer, "A100000001", again, version=2) == after
    assert len(_events(three, "A100000001")) == 1

    # An open-ended hold (no end date), then no hold at all; other fields stay.
    open_ended = _update(
        three, officer, "A100000001", {"legal_hold_reason": "Appeal", "legal_hold_until": None}, version=2
    )
    assert (open_ended.version, open_ended.legal_hold_until, open_ended.priority) == (3, None, 1)
    cleared = _update(
        three, officer, "A100000001", {"legal_hold_reason": "", "legal_hold_until": ""}, version=3
    )
    assert (cleared.version, cleared.legal_hold_reason, cleared.legal_hold_until) == (4, None, None)
    joined = _update(
        three, officer, "A100000002", {"family_group": "", "custody_status": "released"}, version=1
    )
    assert (joined.family_group, joined.custody_status) == (None, "RELEASED")
    assert _events(three, "A100000002")[-1][2] == {
        "family_group": ["F-1", None],
        "custody_status": ["IN_CUSTODY", "RELEASED"],
    }


def test_stale_version_is_refused_naming_who_and_when(
    three: AppContext, officer: Actor, admin: Actor
) -> None:
    _update(three, officer, "A100000001", {"priority": 2}, version=1)
    with pytest.raises(
        StaleVersion,
        match=r"A100000001 was changed by olivia at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(person\.update\) since "
        r"you opened it \(version 2, yours 1\); reload it",
    ):
        _update(three, admin, "A100000001", {"priority": 5}, version=1)
    assert _get(three, admin, "A100000001").priority == 2

    # A roster import changes the person too: an edit based on the version before it is refused,
    # naming the importing admin.
    with three.uow(write=False) as uow:
        person = uow.session.execute(sa.select(Person).where(Person.case_number == "A100000001")).scalar_one()
        row = {name: getattr(person, name) for name in PERSON_FIELDS if name != "facility_code"}
    row.update(facility_code="", legal_hold=row.pop("legal_hold_reason"), custody_status="REMOVED")
    header = [name if name != "legal_hold_reason" else "legal_hold" for name in PERSON_FIELDS]
    line = ",".join("" if row[name] is None else str(row[name]) for name in header)
    with three.uow() as uow:
        run_import(RosterImporter, uow, admin, f"{','.join(header)}\n{line}\n".encode())
    with pytest.raises(
        StaleVersion, match=r"changed by admin at .* UTC \(person\.update\) .*version 3, yours 2"
    ):
        _update(three, officer, "A100000001", {"priority": 4}, version=2)
    assert _get(three, officer, "A100000001").custody_status == "REMOVED"


@pytest.mark.parametrize(
    ("changes", "details"),
    [
        (
            {
                "priority": 9,
                "custody_status": "GONE",
                "medical_need": None,
                "family_group": "bad group!",
                "shoe_size": 42,
            },
            [
                "shoe_size: not a field that can be edited here",
                "custody_status: 'GONE' is not one of IN_CUSTODY, RELEASED, REMOVED",
                "medical_need: is required",
                "priority: 9 is outside 1–5",
                "family_group: 'bad group!' is not a family group id (letters, digits, _ . - /)",
            ],
        ),
        (
            {"legal_hold_until": HOLD_UNTIL},
            ["legal_hold_reason: give legal_hold_reason and legal_hold_until together"],
        ),
        (
            {"legal_hold_reason": None, "legal_hold_until": HOLD_UNTIL},
            ["legal_hold_until: a hold end date needs a legal_hold reason"],
        ),
        (
            {"legal_hold_reason": "Stay\x07", "legal_hold_until": datetime(2031, 1, 1, 12, 0)},
            [
                "legal_hold_reason: U+0007 CONTROL CHARACTER is not allowed",
                "legal_hold_until: '2031-01-01 12:00:00' is not a date in the form YYYY-MM-DD",
            ],
        ),
        (
            {"legal_hold_reason": "x" * 201, "legal_hold_until": "2031-02-30", "priority": True},
            [
                "priority: 'True' is not a whole number",
                "legal_hold_reason: is 201 characters long (at most 200)",
                "legal_hold_until: '2031-02-30' is not a calendar date",
            ],
        ),
        (
            {"family_group": "F-1"},  # a GTM family; A100000001 is SLV
            [
                "family_group: family group F-1 mixes nationalities (GTM: A100000002 in the database, "
                "A100000003 in the database; SLV: A100000001); a family travels together"
            ],
        ),
    ],
)
def test_invalid_input_lists_every_problem_and_changes_nothing(
    three: AppContext, officer: Actor, changes: dict, details: list[str]
) -> None:
    before = _snapshot(three)
    with pytest.raises(InvalidInput, match=r"A100000001 was not saved") as caught:
        _update(three, officer, "A100000001", changes, version=1)
    assert caught.value.details == details
    assert _snapshot(three) == before


def test_who_may_edit(three: AppContext, officer: Actor, supervisor: Actor, admin: Actor) -> None:
    """Officer is the least role, so every role may edit; an unknown or deactivated account may not."""
    for version, actor in enumerate((officer, supervisor, admin), 1):
        assert (
            _update(three, actor, "A100000001", {"priority": version}, version=version).version == version + 1
        )
    with three.uow() as uow:
        olivia = uow.session.execute(sa.select(User).where(User.username == "olivia")).scalar_one()
        users.update_user(uow, admin, "olivia", active=False, expected_version=olivia.version)
        uow.commit()
    before = _snapshot(three)[0]
    for actor in (officer, Actor("nobody", Role.OFFICER)):
        with pytest.raises(PermissionDenied, match=r"may not people\.edit: needs officer"):
            _update(three, actor, "A100000001", {"priority": 5}, version=4)
        with pytest.raises(PermissionDenied):
            _get(three, actor, "A100000001")
    assert _snapshot(three)[0] == before


def test_unknown_and_anonymised_people(three: AppContext, officer: Actor) -> None:
    with pytest.raises(NotFound, match="A999999999"):
        _update(three, officer, "A999999999", {"priority": 1}, version=1)
    with three.uow() as uow:
        uow.session.execute(
            sa.update(Person.__table__)
            .where(Person.__table__.c.case_number == "A100000001")
            .values(anonymised_at=NOW, version=2)
        )
        uow.commit()
    assert _get(three, officer, "A100000001").anonymised
    before = _snapshot(three)
    with pytest.raises(Conflict, match=r"A100000001 was anonymised on .* cannot be edited") as refused:
        _update(three, officer, "A100000001", {"priority": 1}, version=2)
    assert not isinstance(refused.value, StaleVersion)  # reloading would not help
    assert _snapshot(three) == before


def test_two_sessions_read_the_same_version_the_second_save_is_refused(
    three: AppContext, officer: Actor, admin: Actor
) -> None:
    """Two editors' sessions, both open, both read version 1; the first saves, the second is told
    who changed the person and when, and the first change stays (no lost update)."""
    with three.uow(write=False) as first_read, three.uow(write=False) as second_read:
        first = people.get_person(first_read, officer, "A100000001")
        second = people.get_person(second_read, admin, "A100000001")
        assert first.version == second.version == 1
        _update(three, officer, "A100000001", {"priority": 1}, version=first.version)
        with pytest.raises(StaleVersion, match=r"changed by olivia at .* UTC \(person\.update\)"):
            _update(three, admin, "A100000001", {"priority": 5}, version=second.version)
    final = _get(three, admin, "A100000001")
    assert (final.priority, final.version) == (1, 2)


def test_concurrent_saves_exactly_one_lands(three: AppContext, officer: Actor, admin: Actor) -> None:
    """Two threads save changes to the same version at the same moment, each in its own session."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def edit(actor: Actor, change: dict) -> None:
        barrier.wait()
        try:
            outcomes[actor.username] = _update(three, actor, "A100000001", change, version=1)
        except Conflict as exc:
            outcomes[actor.username] = exc

    threads = [
        threading.Thread(target=edit, args=(admin, {"priority": 5})),
        threading.Thread(target=edit, args=(officer, {"risk_level": "HIGH"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    refused = [name for name, result in outcomes.items() if isinstance(result, Conflict)]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    winner = ({"admin", "olivia"} - set(refused)).pop()
    assert f"changed by {winner}" in str(outcomes[refused[0]])
    final = _get(three, admin, "A100000001")
    assert final.version == 2
    assert (final.priority, final.risk_level) == ((5, "LOW") if winner == "admin" else (3, "HIGH"))
    assert [e[1] for e in _events(three, "A100000001")] == [winner]


def test_write_sessions_interleaved_on_postgresql(pg_ctx: AppContext, admin: Actor) -> None:
    """PostgreSQL lets two write transactions overlap: both load version 1, the first commits, the
    second's guarded UPDATE matches no row and it is refused naming the first."""
    officer = add_user(pg_ctx, "olivia", Role.OFFICER)
    with pg_ctx.uow() as uow:
        uow.session.add(_person("A100000001", "SLV"))
        uow.commit()
    with pg_ctx.uow() as first, pg_ctx.uow() as second:
        assert people.get_person(first, officer, "A100000001").version == 1
        # The second transaction holds the row as it read it (as one that read just before the
        # first committed would), so only the guarded UPDATE can notice the change.
        loaded = second.session.execute(
            sa.select(Person).where(Person.case_number == "A100000001")
        ).scalar_one()
        assert loaded.version == 1
        people.update_person(first, officer, "A100000001", {"priority": 1}, expected_version=1)
        with pytest.raises(StaleVersion, match=r"changed by olivia at .* UTC \(person\.update\) meanwhile"):
            people.update_person(second, admin, "A100000001", {"priority": 5}, expected_version=1)
    final = _get(pg_ctx, admin, "A100000001")
    assert (final.priority, final.version) == (1, 2)


def test_the_planner_respects_a_legal_hold_set_here(ctx: AppContext, officer: Actor, admin: Actor) -> None:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=120, flights=6, seed=5, now=NOW)
    first = planning.run_plan(ctx, officer, ctx.settings, time_limit=20, now=NOW)
    with ctx.uow(write=False) as uow:
        case = uow.session.execute(
            sa.select(Person.case_number)
            .join(Assignment, Assignment.person_id == Person.id)
            .where(Assignment.plan_run_id == first.plan_run_id, Person.family_group.is_(None))
            .order_by(Person.case_number)
            .limit(1)
        ).scalar_one()
    version = _get(ctx, officer, case).version
    _update(
        ctx, officer, case, {"legal_hold_reason": "Court stay", "legal_hold_until": None}, version=version
    )

    second = planning.run_plan(ctx, officer, ctx.settings, time_limit=20, now=NOW)
    with ctx.uow(write=False) as uow:
        s = uow.session
        person_id = s.execute(sa.select(Person.id).where(Person.case_number == case)).scalar_one()
        placed = s.execute(
            sa.select(Assignment.id).where(
                Assignment.plan_run_id == second.plan_run_id, Assignment.person_id == person_id
            )
        ).first()
        reason = s.execute(
            sa.select(PlanExclusion.reason).where(
                PlanExclusion.plan_run_id == second.plan_run_id, PlanExclusion.person_id == person_id
            )
        ).scalar_one()
        shown = explain.explain(uow, officer, case, now=NOW)
    assert placed is None and reason == "LEGAL_HOLD"
    assert shown.stops and all("LEGAL_HOLD" in v.reasons for v in shown.stops)


# ---------------------------------------------------------------- property: edit or nothing

_ANY_TEXT = st.text(max_size=12)


def _mostly(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """Valid values three times in four, so that many examples get saved."""
    return st.one_of(valid, valid, valid, invalid)


_FIELD_VALUES = {
    "custody_status": _mostly(st.sampled_from(["IN_CUSTODY", "RELEASED", "REMOVED"]), _ANY_TEXT),
    "risk_level": _mostly(st.sampled_from(["LOW", "MEDIUM", "HIGH"]), _ANY_TEXT),
    "medical_need": _mostly(st.sampled_from(["NONE", "MEDICAL_ESCORT", "WHEELCHAIR"]), _ANY_TEXT),
    "priority": _mostly(st.integers(1, 5) | st.sampled_from(["1", " 3 "]), st.integers(-2, 8) | st.none()),
    "legal_hold_reason": _mostly(
        st.sampled_from(["court stay", None]), st.sampled_from(["", "x" * 201]) | _ANY_TEXT
    ),
    "legal_hold_until": _mostly(
        st.dates(date(2026, 1, 1), date(2030, 1, 1)) | st.none(), st.sampled_from(["2027-02-30", "soon", ""])
    ),
    "family_group": _mostly(
        st.sampled_from(["F-1", "F-2", None]), st.sampled_from(["", "bad group!"]) | _ANY_TEXT
    ),
}
_HOLD_FIELDS = ("legal_hold_reason", "legal_hold_until")


def _changes(names: set[str]) -> st.SearchStrategy:
    """Values for ``names``; the two hold fields mostly come together, as the dialog sends them."""
    wanted = set(names)
    if wanted & set(_HOLD_FIELDS):
        wanted |= set(_HOLD_FIELDS)
    return st.fixed_dictionaries({name: _FIELD_VALUES[name] for name in sorted(wanted)})


_CHANGES = st.one_of(
    st.sets(st.sampled_from(sorted(_FIELD_VALUES)), max_size=4).flatmap(_changes),
    st.sets(st.sampled_from(sorted(_FIELD_VALUES)), max_size=3).flatmap(
        lambda names: st.fixed_dictionaries({name: _FIELD_VALUES[name] for name in sorted(names)})
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=_CHANGES, case=st.sampled_from(["A100000001", "A100000002"]))
def test_any_edit_is_applied_whole_or_refused_with_nothing_written(
    three: AppContext, officer: Actor, changes: dict, case: str
) -> None:
    """Whatever is typed: either ``InvalidInput`` and nothing written, or exactly the changed
    columns written, one audit event naming them old -> new, version + 1, others untouched,
    and the family rule (one nationality per group) still holds."""
    before_rows, before_events = _snapshot(three)
    version = _get(three, officer, case).version
    try:
        _update(three, officer, case, changes, version)
    except InvalidInput as exc:
        event(f"refused: {sorted({d.split(':')[0] for d in exc.details})}")
        assert exc.details, "every refusal lists its problems"
        assert _snapshot(three) == (before_rows, before_events)
        return
    after_rows, after_events = _snapshot(three)
    columns = list(Person.__table__.c.keys())
    index = columns.index("case_number")
    before = {row[index]: dict(zip(columns, row, strict=True)) for row in before_rows}
    after = {row[index]: dict(zip(columns, row, strict=True)) for row in after_rows}
    assert {c: r for c, r in after.items() if c != case} == {c: r for c, r in before.items() if c != case}
    changed = {k for k in columns if after[case][k] != before[case][k]} - {"version", "updated_at"}
    event("saved" if changed else "nothing to change")
    if not changed:
        assert (after_rows, after_events) == (before_rows, before_events)
        return
    assert after[case]["version"] == version + 1 and after_events == before_events + 1
    action, actor, audited = _events(three, case)[-1]
    assert (action, actor) == ("person.update", officer.username)
    assert set(audited) == changed
    with three.uow(write=False) as uow:
        groups = uow.session.execute(
            sa.select(Person.family_group, sa.func.count(sa.distinct(Person.nationality)))
            .where(Person.family_group.is_not(None))
            .group_by(Person.family_group)
        ).all()
    assert all(count == 1 for _group, count in groups)
