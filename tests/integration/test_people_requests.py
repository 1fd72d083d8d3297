"""Open requests in the People list and a person's detail, on both backends: the words
("requested (VR-…, sent …, answer expected by …)", "overdue by N days"), verification and travel
document requests, answered requests left out, and the list reading them in bulk (a fixed number of
queries per page however many people on it have requests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from planner.demo import generate as demo
from planner.domain.enums import RequestKind, RequestOutcome
from planner.domain.requests import format_reference
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import CountryRule, Person, RequestBatch, RequestItem
from planner.services import people
from planner.services.auth import Actor
from planner.services.consular.person_requests import open_requests

TODAY = date(2026, 12, 3)


def add_batch(
    ctx: AppContext,
    kind: RequestKind,
    country: str,
    number: int,
    sent_on: date,
    person_ids: list[int],
    outcome: RequestOutcome = RequestOutcome.OPEN,
) -> str:
    """A batch with one item per person (all with ``outcome``), audited as the pipeline would."""
    reference = format_reference(kind, country, sent_on.year, number)
    with ctx.uow() as uow:
        batch = RequestBatch(
            reference=reference,
            kind=kind.value,
            country=country,
            year=sent_on.year,
            number=number,
            sent_on=sent_on,
            created_by="admin",
            people=len(person_ids),
        )
        uow.session.add(batch)
        uow.session.flush()
        uow.session.add_all(
            RequestItem(
                batch_id=batch.id,
                person_id=pid,
                outcome=outcome.value,
                answered_on=None if outcome == RequestOutcome.OPEN else sent_on + timedelta(days=20),
            )
            for pid in person_ids
        )
        audit.record(uow, audit.AuditEntry("admin", "request_batch.create", "request_batch", reference))
        uow.commit()
    return reference


def clear_requests(ctx: AppContext) -> None:
    """Remove the demo's request history, so a test starts from known batches only."""
    with ctx.uow() as uow:
        uow.session.execute(sa.delete(RequestItem))
        uow.session.execute(sa.delete(RequestBatch))
        audit.record(uow, audit.AuditEntry("admin", "test.clear_requests", "request_batch", "all"))
        uow.commit()


@pytest.fixture
def office(ctx: AppContext, admin: Actor) -> AppContext:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=60, flights=2, seed=3)
    clear_requests(ctx)
    return ctx


def _ids(ctx: AppContext, n: int) -> list[int]:
    with ctx.uow() as uow:
        return list(uow.session.execute(sa.select(Person.id).order_by(Person.id).limit(n)).scalars())


def _rule_days(ctx: AppContext, country: str) -> int:
    with ctx.uow() as uow:
        days = uow.session.execute(
            sa.select(CountryRule.lead_time_days).where(CountryRule.country == country)
        ).scalar_one_or_none()
    return 30 if days is None else int(days)


def test_open_requests_in_words(office: AppContext, admin: Actor) -> None:
    a, b, c, d = _ids(office, 4)
    lead = _rule_days(office, "CHN")
    late_sent = TODAY - timedelta(days=lead + 12)
    fresh_sent = TODAY - timedelta(days=5)
    late = add_batch(office, RequestKind.VERIFICATION, "CHN", 3, late_sent, [a])
    fresh = add_batch(office, RequestKind.VERIFICATION, "CHN", 7, fresh_sent, [b, c])
    td_lead = _rule_days(office, "HTI")
    td = add_batch(office, RequestKind.TRAVEL_DOCUMENT, "HTI", 1, TODAY - timedelta(days=td_lead + 1), [c])
    add_batch(
        office, RequestKind.VERIFICATION, "CHN", 1, TODAY - timedelta(days=90), [d], RequestOutcome.CONFIRMED
    )

    with office.uow() as uow:
        rows = people.people_rows(uow, admin, [a, b, c, d], today=TODAY)
        detail_a = people.person_detail(uow, admin, a, today=TODAY)
        detail_c = people.person_detail(uow, admin, c, today=TODAY)
    fresh_due = fresh_sent + timedelta(days=lead)
    assert rows[a].request == (
        f"verification overdue by 12 days ({late}, sent {late_sent:%Y-%m-%d}, "
        f"answer was expected by {late_sent + timedelta(days=lead):%Y-%m-%d})"
    )
    assert rows[b].request == (
        f"verification requested ({fresh}, sent {fresh_sent:%Y-%m-%d}, answer expected by {fresh_due:%Y-%m-%d})"
    )
    assert rows[c].request.startswith(f"verification requested ({fresh}")
    assert rows[c].request.endswith(
        f"; travel document overdue by 1 day ({td}, sent "
        f"{TODAY - timedelta(days=td_lead + 1):%Y-%m-%d}, answer was expected by "
        f"{TODAY - timedelta(days=1):%Y-%m-%d})"
    )
    assert rows[d].request == ""  # answered: no longer open

    assert [(r.reference, r.overdue, r.days_overdue) for r in detail_a.open_requests] == [(late, True, 12)]
    assert [(r.kind, r.reference) for r in detail_c.open_requests] == [
        (RequestKind.VERIFICATION, fresh),
        (RequestKind.TRAVEL_DOCUMENT, td),
    ]
    assert detail_c.open_requests[0].due_on == fresh_due and not detail_c.open_requests[0].overdue

    # The due date is the day an answer is expected: overdue from the day after.
    with office.uow() as uow:
        assert not open_requests(uow.session, [b], fresh_due)[b][0].overdue
        assert open_requests(uow.session, [b], fresh_due + timedelta(days=1))[b][0].days_overdue == 1


def test_history_replaces_the_rule_lead_time(office: AppContext, admin: Actor) -> None:
    ids = _ids(office, 5)
    sent = TODAY - timedelta(days=100)
    # Three answers after 20 days each (add_batch answers 20 days after sending): median 20.
    add_batch(office, RequestKind.VERIFICATION, "MEX", 1, sent, ids[:3], RequestOutcome.NOT_CONFIRMED)
    reference = add_batch(office, RequestKind.VERIFICATION, "MEX", 2, TODAY - timedelta(days=22), ids[3:4])
    with office.uow() as uow:
        (request,) = open_requests(uow.session, ids[3:4], TODAY)[ids[3]]
    assert request.reference == reference and request.days_overdue == 2
    # The lead times are kept until the audit chain moves: a new answer (audited) is seen at once.
    add_batch(office, RequestKind.VERIFICATION, "MEX", 3, sent, ids[4:5], RequestOutcome.CONFIRMED)
    add_batch(
        office,
        RequestKind.VERIFICATION,
        "MEX",
        4,
        sent - timedelta(days=30),
        ids[4:5],
        RequestOutcome.CONFIRMED,
    )
    with office.uow() as uow:  # answers after 20, 20, 20, 20, 50 days: still median 20
        assert open_requests(uow.session, ids[3:4], TODAY)[ids[3]][0].days_overdue == 2
    with office.uow() as uow:
        uow.session.execute(
            sa.update(RequestItem)
            .where(RequestItem.outcome == RequestOutcome.NOT_CONFIRMED.value)
            .values(answered_on=sent + timedelta(days=60))
        )
        audit.record(uow, audit.AuditEntry("admin", "test.answer", "request_item", "mex"))
        uow.commit()
    with office.uow() as uow:  # 60, 60, 60, 20, 20 → median 60: not overdue any more
        assert open_requests(uow.session, ids[3:4], TODAY)[ids[3]][0].days_overdue == 0


@contextmanager
def counted(ctx: AppContext) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(ctx.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(ctx.engine, "before_cursor_execute", count)


def test_a_page_reads_requests_in_bulk(office: AppContext, admin: Actor) -> None:
    ids = _ids(office, 60)
    with office.uow() as uow, counted(office) as before:
        people.people_rows(uow, admin, ids, today=TODAY)
    add_batch(office, RequestKind.VERIFICATION, "CHN", 1, TODAY - timedelta(days=3), ids[:25])
    add_batch(office, RequestKind.TRAVEL_DOCUMENT, "MEX", 1, TODAY - timedelta(days=3), ids[20:50])
    with office.uow() as uow, counted(office) as first:
        rows = people.people_rows(uow, admin, ids, today=TODAY)
    assert sum(1 for r in rows.values() if r.request) == 50
    with office.uow() as uow, counted(office) as after:
        assert people.people_rows(uow, admin, ids, today=TODAY) == rows
    # The open requests, the audit head, and the first time the lead times (three queries).
    assert len(first) <= len(before) + 5
    # Then (the audit chain unchanged): the open requests and the audit head only.
    assert len(after) <= len(before) + 2
