"""Properties of responses to request batches, for random response files against a verification
batch and a travel-document batch: a file with any bad row changes nothing; a good file closes
exactly the requests it names, with the outcomes it gives, and a batch is closed exactly when no
request of it is left open. Random files on SQLite; one fixed file on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.domain.enums import RequestKind
from planner.persistence.context import AppContext
from planner.persistence.models import NationalityVerification, RequestBatch, RequestItem, TravelDocument
from planner.services.imports import ImportRejected, import_file
from tests.conftest import admin_actor
from tests.integration.consular.response_world import SENT_ON, TODAY, World, response_csv, state

VR_PEOPLE = range(0, 5)  # in the verification batch
TD_PEOPLE = range(3, 7)  # in the travel-document batch (3 and 4 are in both)
OUTSIDER = 7  # in no batch
#: What a good row answers: verification CONFIRMED / NOT_CONFIRMED; travel document ISSUED / REFUSED.
VR_ANSWERS = ("CONFIRMED", "NOT_CONFIRMED")
TD_ANSWERS = ("ISSUED", "REFUSED")
BAD_ROWS = (
    "malformed",
    "unknown batch",
    "not in batch",
    "pending",
    "before sent",
    "td confirmed without document",
    "td document not accepted",
    "answered twice",
)


@dataclass
class Base:
    world: World
    cases: list[str]
    vr: str
    td: str
    verification_id: int
    document_id: int


_BASES: dict[int, Base] = {}


def _base(ctx: AppContext) -> Base:
    """The people and the two batches, built once per database."""
    if id(ctx) not in _BASES:
        world = World(ctx).setup()
        cases = world.add_people(8)
        vr = world.batch(RequestKind.VERIFICATION, "CHN", [cases[i] for i in VR_PEOPLE])
        td = world.batch(RequestKind.TRAVEL_DOCUMENT, "CHN", [cases[i] for i in TD_PEOPLE])
        with ctx.uow(write=False) as uow:
            top_v = uow.session.execute(sa.select(sa.func.max(NationalityVerification.id))).scalar_one()
            top_d = uow.session.execute(sa.select(sa.func.max(TravelDocument.id))).scalar_one()
        _BASES[id(ctx)] = Base(world, cases, vr, td, top_v or 0, top_d or 0)
    return _BASES[id(ctx)]


def _reset(ctx: AppContext, base: Base) -> None:
    """Every request OPEN again, the answers and documents of the last example gone."""
    with ctx.uow() as uow:
        s = uow.session
        s.execute(
            sa.update(RequestItem).values(
                outcome="OPEN",
                answered_on=None,
                answered_at=None,
                answered_by=None,
                answer_source="",
                document_id=None,
            )
        )
        s.execute(sa.update(RequestBatch).values(closed_at=None))
        s.execute(sa.delete(NationalityVerification).where(NationalityVerification.id > base.verification_id))
        s.execute(sa.delete(TravelDocument).where(TravelDocument.id > base.document_id))
        uow.commit()


@st.composite
def response_files(draw: st.DrawFn) -> tuple[list[tuple[str, int, str, int]], list[str]]:
    """(good answers ``(batch "vr"/"td", person, outcome, days after sending)``, bad row kinds)."""
    items = [("vr", p) for p in VR_PEOPLE] + [("td", p) for p in TD_PEOPLE]
    chosen = draw(st.lists(st.sampled_from(items), unique=True, max_size=len(items)))
    answers = [
        (
            batch,
            person,
            draw(st.sampled_from(VR_ANSWERS if batch == "vr" else TD_ANSWERS)),
            # Verification answers on even days, travel documents on odd ones: two different results
            # for one person on one day are an error of their own (the latest would be ambiguous).
            2 * draw(st.integers(0, (TODAY - SENT_ON).days // 2 - 1)) + (batch == "td"),
        )
        for batch, person in chosen
    ]
    bad = draw(st.lists(st.sampled_from(BAD_ROWS), max_size=2))
    if not answers:
        bad = [kind for kind in bad if kind != "answered twice"]
    return draw(st.permutations(answers)), bad


def _good_row(base: Base, batch: str, person: int, outcome: str, days: int) -> dict[str, str]:
    case, reference = base.cases[person], base.vr if batch == "vr" else base.td
    on = SENT_ON + timedelta(days=days)
    if outcome == "ISSUED":
        return base.world.row(
            case,
            reference,
            "CONFIRMED",
            verified_on=on,
            document_type="TRAVEL_DOCUMENT",
            document_number=f"ETD{person:04d}",
            document_issued=on,
            document_expires=TODAY + timedelta(days=365),
        )
    result = "NOT_CONFIRMED" if outcome in ("NOT_CONFIRMED", "REFUSED") else "CONFIRMED"
    return base.world.row(case, reference, result, verified_on=on)


def _bad_row(base: Base, kind: str, answers: list[tuple[str, int, str, int]]) -> dict[str, str]:
    w, c = base.world, base.cases
    if kind == "malformed":
        return w.row(c[0], "VR-CHN-1")
    if kind == "unknown batch":
        return w.row(c[0], f"VR-CHN-{SENT_ON.year}-0042")
    if kind == "not in batch":
        return w.row(c[OUTSIDER], base.vr)
    if kind == "pending":
        return w.row(c[0], base.vr, "PENDING", verified_on=TODAY)
    if kind == "before sent":
        return w.row(c[1], base.vr, verified_on=SENT_ON - timedelta(days=1))
    if kind == "td confirmed without document":
        return w.row(c[5], base.td, "CONFIRMED")
    if kind == "td document not accepted":
        return w.row(
            c[6],
            base.td,
            verified_on=TODAY,
            document_type="LAISSEZ_PASSER",
            document_number="LP0001",
            document_expires=TODAY + timedelta(days=30),
        )
    assert kind == "answered twice"
    batch, person, outcome, days = answers[0]
    other = {
        "CONFIRMED": "NOT_CONFIRMED",
        "NOT_CONFIRMED": "CONFIRMED",
        "ISSUED": "REFUSED",
        "REFUSED": "REFUSED",
    }
    return _good_row(
        base, batch, person, other[outcome], min(days + 1, (TODAY - SENT_ON).days) if days else 1
    )


def check_response(ctx: AppContext, answers: list[tuple[str, int, str, int]], bad: list[str]) -> None:
    """The property for one response file (the database reset first)."""
    base = _base(ctx)
    _reset(ctx, base)
    rows = [_good_row(base, *a) for a in answers] + [_bad_row(base, kind, answers) for kind in bad]
    data = response_csv(rows)
    before = state(ctx)
    if bad:
        with pytest.raises(ImportRejected), ctx.uow() as uow:
            import_file(uow, admin_actor(), "verification", data, name="answer.csv")
        assert state(ctx) == before
        return
    with ctx.uow() as uow:
        report = import_file(uow, admin_actor(), "verification", data, name="answer.csv")
    assert report.details["requests_closed"] == len(answers)
    expected = {(b, p): (o, SENT_ON + timedelta(days=d)) for b, p, o, d in answers}
    for batch, reference, people in (("vr", base.vr, VR_PEOPLE), ("td", base.td, TD_PEOPLE)):
        items = base.world.items(reference)
        for person in people:
            outcome, answered_on, document_id = items[base.cases[person]]
            if (batch, person) in expected:
                assert (outcome, answered_on) == expected[(batch, person)]
                assert (document_id is not None) == (outcome == "ISSUED")
            else:
                assert (outcome, answered_on, document_id) == ("OPEN", None, None)
        all_answered = all((batch, p) in expected for p in people)
        assert (base.world.closed_at(reference) is not None) == all_answered
    # The same file again changes nothing.
    again = state(ctx)
    with ctx.uow() as uow:
        assert import_file(uow, admin_actor(), "verification", data, name="answer.csv").changes == 0
    assert state(ctx) == again


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=response_files())
def test_random_response_files(
    sqlite_ctx: AppContext, case: tuple[list[tuple[str, int, str, int]], list[str]]
) -> None:
    answers, bad = case
    check_response(sqlite_ctx, answers, bad)


def test_one_response_file_on_postgresql(pg_ctx: AppContext) -> None:
    answers = [
        ("vr", 0, "CONFIRMED", 3),
        ("td", 3, "ISSUED", 10),
        ("td", 5, "REFUSED", 0),
        ("vr", 4, "NOT_CONFIRMED", 40),
    ]
    check_response(pg_ctx, answers, ["td document not accepted", "answered twice"])
    check_response(pg_ctx, answers, [])
    everything = [("vr", p, "CONFIRMED", 1) for p in VR_PEOPLE] + [("td", p, "REFUSED", 2) for p in TD_PEOPLE]
    check_response(pg_ctx, everything, [])
