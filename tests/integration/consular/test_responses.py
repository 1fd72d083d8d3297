"""Responses to request batches through the verification import: rows naming a batch reference close
those requests (``planner.services.consular.responses``); every bad answer is a line error and
nothing is written; re-importing a response changes nothing. Both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from planner.domain.eligibility.facts import verification_order_key
from planner.domain.enums import RequestKind
from planner.persistence.context import AppContext
from planner.services import eligibility_facts
from planner.services.auth import Actor
from planner.services.imports import ImportRejected, ImportReport, import_file
from tests.integration.consular.response_world import SENT_ON, TODAY, World, audit_events, response_csv, state

VR = RequestKind.VERIFICATION
TD = RequestKind.TRAVEL_DOCUMENT
ANSWERED = TODAY - timedelta(days=5)


@pytest.fixture
def world(ctx: AppContext) -> World:
    return World(ctx).setup()


def _import(ctx: AppContext, admin: Actor, data: bytes, *, dry_run: bool = False) -> ImportReport:
    with ctx.uow() as uow:
        return import_file(uow, admin, "verification", data, name="answer.csv", dry_run=dry_run)


def _rejected(ctx: AppContext, admin: Actor, data: bytes) -> list[str]:
    """Import ``data``, expect a rejection that wrote nothing; the error lines."""
    before = state(ctx)
    with pytest.raises(ImportRejected) as caught:
        _import(ctx, admin, data)
    assert state(ctx) == before
    return caught.value.details


# ------------------------------------------------------------------------------- verification


def test_a_response_closes_the_requests_it_names_with_their_answers(
    ctx: AppContext, admin: Actor, world: World
) -> None:
    cases = world.add_people(4)
    ref = world.batch(VR, "CHN", cases)
    rows = [
        world.row(cases[0], ref, "CONFIRMED"),
        world.row(cases[1], ref, "NOT_CONFIRMED", verified_on=ANSWERED - timedelta(days=1)),
        world.row(cases[2], ref, "CONFIRMED"),
    ]
    dry = _import(ctx, admin, response_csv(rows), dry_run=True)
    assert "would close 3 requests" in dry.summary()
    report = _import(ctx, admin, response_csv(rows))
    assert report.details["requests_closed"] == 3
    assert report.notes == (f"closed 3 requests ({ref}: 3 of 4 answered, batch still open)",)
    assert f"closed 3 requests ({ref}: 3 of 4 answered, batch still open)" in report.summary()
    items = world.items(ref)
    assert items[cases[0]] == ("CONFIRMED", ANSWERED, None)
    assert items[cases[1]] == ("NOT_CONFIRMED", ANSWERED - timedelta(days=1), None)
    assert items[cases[2]] == ("CONFIRMED", ANSWERED, None)
    assert items[cases[3]] == ("OPEN", None, None)
    assert world.closed_at(ref) is None
    events = audit_events(ctx, "request_item.answer")
    assert [(e, i) for e, i, _ in events] == [("request_item", f"{ref}/{c}") for c in cases[:3]]
    assert events[1][2] == {
        "outcome": ["OPEN", "NOT_CONFIRMED"],
        "answered_on": [None, (ANSWERED - timedelta(days=1)).isoformat()],
        "source": "answer.csv:3",
    }
    assert not audit_events(ctx, "request_batch.close")
    with ctx.uow(write=False) as uow:
        from planner.persistence.models import RequestItem

        sources = set(uow.session.execute(sa.select(RequestItem.answer_source)).scalars())
        answered_by = set(uow.session.execute(sa.select(RequestItem.answered_by)).scalars())
    assert sources == {"", "answer.csv:2", "answer.csv:3", "answer.csv:4"}
    assert answered_by == {None, admin.username}


def test_answering_the_last_request_closes_the_batch_and_reimporting_changes_nothing(
    ctx: AppContext, admin: Actor, world: World
) -> None:
    cases = world.add_people(3)
    ref = world.batch(VR, "CHN", cases)
    first = response_csv([world.row(cases[0], ref)])
    _import(ctx, admin, first)
    rest = response_csv([world.row(cases[1], ref), world.row(cases[2], ref, "NOT_CONFIRMED")])
    report = _import(ctx, admin, rest)
    assert report.notes == (f"closed 2 requests ({ref}: 3 of 3 answered, batch closed)",)
    assert world.closed_at(ref) is not None
    closes = audit_events(ctx, "request_batch.close")
    assert [(e, i) for e, i, _ in closes] == [("request_batch", ref)]
    assert closes[0][2]["answered"] == 3
    # The same files again: unchanged, no errors, nothing written.
    before = state(ctx)
    for data in (first, rest):
        again = _import(ctx, admin, data)
        assert (again.changes, again.errors, again.notes) == (0, (), ())
        assert "nothing to change" in again.summary()
    assert state(ctx) == before


def test_the_answer_on_the_sent_date_is_not_ambiguous_and_is_the_latest(
    ctx: AppContext, admin: Actor, world: World
) -> None:
    cases = world.add_people(2)
    ref = world.batch(VR, "CHN", cases)
    _import(
        ctx,
        admin,
        response_csv(
            [
                world.row(cases[0], ref, verified_on=SENT_ON),
                world.row(cases[1], ref, "NOT_CONFIRMED", verified_on=SENT_ON),
            ]
        ),
    )
    assert world.items(ref) == {
        cases[0]: ("CONFIRMED", SENT_ON, None),
        cases[1]: ("NOT_CONFIRMED", SENT_ON, None),
    }
    with ctx.uow(write=False) as uow:
        facts = eligibility_facts.load_person_facts(uow, [world.people[c][0] for c in cases])
    for case, result in ((cases[0], "CONFIRMED"), (cases[1], "NOT_CONFIRMED")):
        history = facts[world.people[case][0]].verifications
        assert sorted(v.result for v in history) == sorted(["PENDING", result])
        assert all(v.verified_on == SENT_ON for v in history)
        latest = max(history, key=verification_order_key)
        assert latest.result == result, "same day: the answer (higher id) is the latest"
    assert facts[world.people[cases[0]][0]].confirmed_nationalities() == frozenset({"CHN"})
    assert facts[world.people[cases[1]][0]].confirmed_nationalities() == frozenset()


def test_rows_with_a_free_reference_behave_as_before(ctx: AppContext, admin: Actor, world: World) -> None:
    cases = world.add_people(2)
    ref = world.batch(VR, "CHN", cases)
    report = _import(ctx, admin, response_csv([world.row(cases[0], "LIST-2026-11"), world.row(cases[1], "")]))
    assert (report.new, report.details["requests_closed"], report.notes) == (2, 0, ())
    assert world.items(ref) == {c: ("OPEN", None, None) for c in cases}
    assert not audit_events(ctx, "request_item.answer")


# ------------------------------------------------------------------------------------- errors

Edit = Callable[[World, list[str], str], list[dict[str, str]]]


def _closed_batch(world: World, cases: list[str], ref: str) -> list[dict[str, str]]:
    world.close_batch(ref)
    return [world.row(cases[0], ref)]


def _answered_before(world: World, cases: list[str], ref: str) -> list[dict[str, str]]:
    data = response_csv([world.row(cases[0], ref, "CONFIRMED", verified_on=ANSWERED - timedelta(days=3))])
    with world.ctx.uow() as uow:
        from tests.conftest import admin_actor

        import_file(uow, admin_actor(), "verification", data, name="first.csv")
    return [world.row(cases[0], ref, "NOT_CONFIRMED")]


ERRORS: dict[str, tuple[Edit, str]] = {
    "malformed": (
        lambda w, c, r: [w.row(c[0], "VR-CHN-26-1")],
        "answer.csv:2: reference: 'VR-CHN-26-1' is not a batch reference (like VR-CHN-2026-0007)",
    ),
    "unknown batch": (
        lambda w, c, r: [w.row(c[0], f"VR-CHN-{SENT_ON.year}-0099")],
        f"answer.csv:2: reference: no request batch VR-CHN-{SENT_ON.year}-0099",
    ),
    "other country": (
        lambda w, c, r: [w.row(c[3], r)],
        "answer.csv:2: reference: batch {ref} asks CHN, but the row's nationality is VNM",
    ),
    "not in batch": (
        lambda w, c, r: [w.row(c[2], r)],
        "answer.csv:2: reference: {c2} is not in batch {ref} (2 people sent to CHN on {sent})",
    ),
    "closed batch": (
        _closed_batch,
        "answer.csv:2: reference: batch {ref} is closed (all 2 answered)\n"
        "answer.csv:3: reference: batch {ref} is closed (all 2 answered)",
    ),
    "already answered": (
        _answered_before,
        "answer.csv:2: reference: {c0} in batch {ref} already answered CONFIRMED on {earlier}",
    ),
    "pending": (
        lambda w, c, r: [w.row(c[0], r, "PENDING")],
        "answer.csv:2: result: an answer to batch {ref} must be CONFIRMED or NOT_CONFIRMED, not PENDING",
    ),
    "before sent": (
        lambda w, c, r: [w.row(c[0], r, verified_on=SENT_ON - timedelta(days=1))],
        "answer.csv:2: verified_on: {before} is before batch {ref} was sent ({sent})",
    ),
    "answered twice": (
        lambda w, c, r: [
            w.row(c[0], r),
            w.row(c[0], r, "NOT_CONFIRMED", verified_on=ANSWERED + timedelta(days=1)),
        ],
        "answer.csv:3: reference: {c0} in batch {ref} is answered on line 2 already",
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_answers_are_line_errors_and_nothing_is_written(
    ctx: AppContext, admin: Actor, world: World, case: str
) -> None:
    cases = world.add_people(3) + world.add_people(1, country="VNM", start=10)
    ref = world.batch(VR, "CHN", cases[:2])
    edit, expected = ERRORS[case]
    rows = edit(world, cases, ref)
    good = world.row(cases[1], ref)  # a good row beside the bad one is not written either
    errors = _rejected(ctx, admin, response_csv([*rows, good]))
    assert errors == expected.format(
        ref=ref,
        c0=cases[0],
        c2=cases[2],
        sent=SENT_ON,
        before=SENT_ON - timedelta(days=1),
        earlier=ANSWERED - timedelta(days=3),
    ).split("\n")
    assert world.items(ref)[cases[1]][0] == "OPEN"


# ---------------------------------------------------------------------------- travel documents


def test_travel_document_answers_issue_refuse_or_are_errors(
    ctx: AppContext, admin: Actor, world: World
) -> None:
    cases = world.add_people(4)
    ref = world.batch(TD, "CHN", cases)
    issued = SENT_ON + timedelta(days=10)
    document = {
        "document_type": "TRAVEL_DOCUMENT",
        "document_number": "ETD0001",
        "document_issued": issued,
        "document_expires": TODAY + timedelta(days=365),
    }
    # Errors first: a confirmation without a document, a type China does not accept, a refusal
    # carrying a document.
    errors = _rejected(
        ctx,
        admin,
        response_csv(
            [
                world.row(cases[0], ref, "CONFIRMED"),
                world.row(cases[1], ref, **{**document, "document_type": "EMERGENCY_TRAVEL_DOCUMENT"}),
                world.row(cases[2], ref, "NOT_CONFIRMED", **{**document, "document_number": "ETD0009"}),
            ]
        ),
    )
    assert errors == [
        f"answer.csv:2: result: an answer to travel-document batch {ref} needs the document columns "
        "(issued) or NOT_CONFIRMED (refused)",
        "answer.csv:3: document_type: CHN does not accept EMERGENCY_TRAVEL_DOCUMENT (its rule accepts "
        "PASSPORT or TRAVEL_DOCUMENT)",
        f"answer.csv:4: result: NOT_CONFIRMED with a document: batch {ref} needs CONFIRMED to issue it",
    ]
    # A document issued (new), one known already (updated), a refusal.
    with ctx.uow() as uow:
        from planner.persistence.models import TravelDocument

        uow.session.add(
            TravelDocument(
                person_id=world.people[cases[1]][0],
                doc_type="PASSPORT",
                number="E7000001",
                issuing_country="CHN",
                expires_on=TODAY + timedelta(days=100),
            )
        )
        uow.commit()
    report = _import(
        ctx,
        admin,
        response_csv(
            [
                world.row(cases[0], ref, **document),
                world.row(
                    cases[1],
                    ref,
                    document_type="PASSPORT",
                    document_number="E7000001",
                    document_expires=TODAY + timedelta(days=3000),
                ),
                world.row(cases[2], ref, "NOT_CONFIRMED"),
            ]
        ),
    )
    assert report.notes == (f"closed 3 requests ({ref}: 3 of 4 answered, batch still open)",)
    items = world.items(ref)
    assert items[cases[0]] == ("ISSUED", issued, world.document_id(cases[0], "ETD0001"))
    assert items[cases[1]] == ("ISSUED", ANSWERED, world.document_id(cases[1], "E7000001"))
    assert items[cases[2]] == ("REFUSED", ANSWERED, None)
    assert items[cases[3]] == ("OPEN", None, None)
    assert None not in (items[cases[0]][2], items[cases[1]][2])
    events = {i: ch for _e, i, ch in audit_events(ctx, "request_item.answer")}
    assert events[f"{ref}/{cases[0]}"]["document"] == "TRAVEL_DOCUMENT ETD0001 (CHN)"
    assert events[f"{ref}/{cases[2]}"]["outcome"] == ["OPEN", "REFUSED"]


# --------------------------------------------------------------------------------------- bulk


def test_a_large_response_costs_the_same_queries_as_a_small_one(
    ctx: AppContext, admin: Actor, world: World
) -> None:
    counts = []
    for n, number, start in ((5, 1, 0), (300, 2, 100)):
        cases = world.add_people(n, start=start)
        ref = world.batch(VR, "CHN", cases, number=number)
        data = response_csv(
            world.row(c, ref, "CONFIRMED" if k % 3 else "NOT_CONFIRMED") for k, c in enumerate(cases)
        )
        statements: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)  # noqa: B023 - the list of this round

        engine = ctx.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            report = _import(ctx, admin, data)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert report.details["requests_closed"] == n
        assert world.closed_at(ref) is not None
        counts.append(len(statements))
    assert counts[1] == counts[0], counts


def test_a_known_document_may_come_back_without_its_dates(
    ctx: AppContext, admin: Actor, world: World
) -> None:
    """A filled-in request list names the person's known document (type and number) without its
    dates: accepted and left as stored; an unknown document still needs its expiry."""
    from planner.persistence.models import TravelDocument

    cases = world.add_people(1)
    ref = world.batch(VR, "CHN", cases)
    with ctx.uow() as uow:
        uow.session.add(
            TravelDocument(
                person_id=world.people[cases[0]][0],
                doc_type="PASSPORT",
                number="E1234567",
                issuing_country="CHN",
                expires_on=TODAY + timedelta(days=900),
            )
        )
        uow.commit()
    unknown = world.row(cases[0], ref, document_type="PASSPORT", document_number="E7654321")
    assert _rejected(ctx, admin, response_csv([unknown])) == [
        "answer.csv:2: document_expires: is required when a document is given"
    ]
    known = world.row(cases[0], ref, document_type="PASSPORT", document_number="E1234567")
    before = state(ctx)[3]
    report = _import(ctx, admin, response_csv([known]))
    assert (report.new, report.details["documents_updated"], report.details["requests_closed"]) == (1, 0, 1)
    assert state(ctx)[3] == before
