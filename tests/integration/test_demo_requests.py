"""The demo's history of requests to receiving states (issue 16): batches with well-formed
references, answers consistent with the verification rows, lead times around each country's rule,
open and overdue requests, travel-document batches, audit. SQLite for the shape, both backends for
the writes."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
import sqlalchemy as sa

from planner.demo import names as demo_names
from planner.domain.enums import RequestKind
from planner.domain.requests import REFERENCE_PATTERN, FunnelStage, parse_reference
from planner.persistence.audit import verify_chain
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Airport,
    CountryRule,
    CustodyEvent,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    RequestBatch,
    RequestItem,
    TravelDocument,
)
from planner.services.auth import Actor
from planner.services.consular.funnel import funnel
from planner.services.consular.records import answered_lead_days
from tests.integration.test_demo import TODAY, as_date, big, generate, rows

__all__ = ["big"]


def _all(ctx: AppContext, model: type) -> list:
    with ctx.uow(write=False) as uow:
        found: list = list(uow.session.execute(sa.select(model)).scalars())
        uow.session.expunge_all()
        return found


@pytest.fixture(scope="module")
def history(big: AppContext) -> dict:
    return {
        "batches": {b.id: b for b in _all(big, RequestBatch)},
        "items": _all(big, RequestItem),
        "verifications": {v.id: v for v in _all(big, NationalityVerification)},
        "documents": {d.id: d for d in _all(big, TravelDocument)},
        "rules": {r.country: r for r in _all(big, CountryRule)},
    }


def test_batches_have_well_formed_numbered_references_and_consistent_counts(history: dict) -> None:
    batches, items = history["batches"], history["items"]
    assert len(batches) > 50
    by_batch = defaultdict(list)
    for item in items:
        by_batch[item.batch_id].append(item)
    kinds = Counter(b.kind for b in batches.values())
    assert kinds["VERIFICATION"] > 0 and kinds["TRAVEL_DOCUMENT"] > 0
    for batch in batches.values():
        parsed = parse_reference(batch.reference)
        assert parsed is not None and REFERENCE_PATTERN.match(batch.reference), batch.reference
        assert (parsed.kind.value, parsed.country, parsed.year, parsed.number) == (
            batch.kind,
            batch.country,
            batch.year,
            batch.number,
        )
        assert batch.year == batch.sent_on.year and TODAY - timedelta(days=340) < batch.sent_on < TODAY
        assert batch.sent_on.weekday() < 5  # sent on a working day
        assert batch.people == len(by_batch[batch.id]) > 0
        still_open = any(i.outcome == "OPEN" for i in by_batch[batch.id])
        assert (batch.closed_at is None) == still_open
    per_series = defaultdict(list)
    for batch in sorted(batches.values(), key=lambda b: b.sent_on):
        per_series[(batch.kind, batch.country, batch.year)].append(batch.number)
    assert all(numbers == sorted(set(numbers)) for numbers in per_series.values())
    assert len({(i.batch_id, i.person_id) for i in items}) == len(items)


def test_answers_match_the_verification_rows_and_open_requests_are_the_latest_pending(history: dict) -> None:
    batches, verifications = history["batches"], history["verifications"]
    by_person: dict[tuple[int, str], list] = defaultdict(list)
    for v in verifications.values():
        by_person[(v.person_id, v.country)].append(v)
    open_people: Counter[tuple[int, str, str]] = Counter()
    checked: Counter[str] = Counter()
    for item in history["items"]:
        batch = batches[item.batch_id]
        if batch.kind != "VERIFICATION":
            continue
        pending = verifications[item.verification_id]
        assert (pending.person_id, pending.country, pending.result) == (
            item.person_id,
            batch.country,
            "PENDING",
        )
        assert (pending.reference, pending.verified_on) == (batch.reference, batch.sent_on)
        history_rows = by_person[(item.person_id, batch.country)]
        if item.outcome == "OPEN":
            open_people[(item.person_id, batch.kind, batch.country)] += 1
            latest = max(history_rows, key=lambda v: (v.verified_on, v.id))
            assert latest.id == pending.id and item.answered_on is None
        else:
            answers = [v for v in history_rows if v.reference == batch.reference and v.result == item.outcome]
            assert [v.verified_on for v in answers] == [item.answered_on]
            assert batch.sent_on < item.answered_on < TODAY
        checked[item.outcome] += 1
    assert set(checked) == {"OPEN", "CONFIRMED", "NOT_CONFIRMED"}
    assert max(open_people.values()) == 1  # one open request per person and country


def test_lead_times_spread_around_each_countrys_lead_time_and_some_requests_are_overdue(
    big: AppContext,
    history: dict,
) -> None:
    with big.uow(write=False) as uow:
        leads = answered_lead_days(uow.session)
    rules = history["rules"]
    all_days: list[int] = []
    for (kind, country), days in leads.items():
        if kind.value != "VERIFICATION" or len(days) < 20:
            continue
        expected = (rules[country].lead_time_days if country in rules else 30) * demo_names.ANSWER_SPEED.get(
            country, 1.0
        )
        median = statistics.median(days)
        assert 0.7 * expected <= median <= 1.4 * expected, (country, median, expected)
        all_days += days
    assert min(all_days) <= 7  # some fast
    assert max(all_days) > 2.5 * statistics.median(all_days)  # some slow
    assert statistics.mean(all_days) > statistics.median(all_days)  # right-skewed
    batches = history["batches"]
    open_items = [i for i in history["items"] if i.outcome == "OPEN"]
    overdue = [
        i
        for i in open_items
        if batches[i.batch_id].sent_on
        + timedelta(
            days=round(
                statistics.median(leads[(RequestKind(batches[i.batch_id].kind), batches[i.batch_id].country)])
            )
        )
        < TODAY
    ]
    assert 0 < len(overdue) < 0.5 * len(open_items)


def test_travel_document_batches_issue_the_documents_people_hold(history: dict) -> None:
    batches, documents, rules = history["batches"], history["documents"], history["rules"]
    outcomes: Counter[str] = Counter()
    for item in history["items"]:
        batch = batches[item.batch_id]
        if batch.kind != "TRAVEL_DOCUMENT":
            continue
        accepted = (
            set(rules[batch.country].accepted_document_types.split(",")) if batch.country in rules else set()
        )
        assert accepted & set(demo_names.ON_REQUEST_DOCUMENTS)
        outcomes[item.outcome] += 1
        if item.outcome == "ISSUED":
            document = documents[item.document_id]
            assert document.person_id == item.person_id and document.issuing_country == batch.country
            assert document.doc_type in demo_names.ON_REQUEST_DOCUMENTS
            assert as_date(document.issued_on) == item.answered_on > batch.sent_on
    assert outcomes["ISSUED"] > 0 and outcomes["OPEN"] > 0


def test_every_batch_is_audited(big: AppContext, history: dict) -> None:
    events = rows(
        big, "SELECT entity_id, changes_json FROM audit_event WHERE action = 'request_batch.create'"
    )
    assert sorted(e[0] for e in events) == sorted(b.reference for b in history["batches"].values())
    assert all(re.search(r'"outcomes"', e[1]) for e in events)


def test_the_history_is_written_and_audited_on_both_backends(ctx: AppContext, admin: Actor) -> None:
    report = generate(ctx, admin, people=400, flights=10, seed=4)
    counts = dict(
        rows(
            ctx,
            "SELECT 'batches', COUNT(*) FROM request_batch UNION ALL SELECT 'items', COUNT(*) FROM request_item",
        )
    )
    assert (counts["batches"], counts["items"]) == (report.request_batches, report.request_items)
    assert report.request_items > 100 and report.open_requests > 0
    assert "request batches" in report.summary()
    assert rows(ctx, "SELECT COUNT(*) FROM audit_event WHERE action = 'request_batch.create'")[0][0] == (
        report.request_batches
    )
    with ctx.uow() as uow:
        assert verify_chain(uow).ok
        next_id = uow.session.execute(sa.select(sa.func.max(RequestBatch.id))).scalar_one() + 1
    if ctx.settings.db.startswith("postgresql"):  # the sequences were moved past the demo's ids
        assert rows(ctx, "SELECT nextval(pg_get_serial_sequence('request_batch', 'id'))")[0][0] == next_id


def test_removed_people_left_on_a_departed_flight_to_their_country(ctx: AppContext, admin: Actor) -> None:
    """Every demo custody event takes a REMOVED person, confirmed by their claimed country, on a
    DEPARTED demo flight stopping there, within its seats; so the funnel's "flown" is not empty."""
    generate(ctx, admin, people=1500, flights=80, seed=5)
    with ctx.uow(write=False) as uow:
        s = uow.session
        events = s.execute(
            sa.select(
                CustodyEvent.person_id,
                CustodyEvent.flight_id,
                CustodyEvent.to_status,
                Person.custody_status,
                Person.nationality,
                Flight.status,
                Flight.seats,
            )
            .join(Person, Person.id == CustodyEvent.person_id)
            .join(Flight, Flight.id == CustodyEvent.flight_id)
        ).all()
        stop_countries = {
            (fid, country)
            for fid, country in s.execute(
                sa.select(FlightStop.flight_id, Airport.country).join(
                    Airport, Airport.iata == FlightStop.airport
                )
            )
        }
        flown = funnel(uow, admin)
    assert events, "the demo removes somebody on a departed flight"
    per_flight: dict[int, int] = {}
    for _pid, fid, to_status, custody, nationality, status, seats in events:
        assert (to_status, custody, status) == ("REMOVED", "REMOVED", "DEPARTED")
        assert (fid, nationality) in stop_countries
        per_flight[fid] = per_flight.get(fid, 0) + 1
        assert per_flight[fid] <= seats
    assert sum(f.counts[FunnelStage.FLOWN] for f in flown) == len({e[0] for e in events})
