"""Per-country status and overdue requests of the request pipeline, on both backends."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from planner.domain.enums import RequestKind
from planner.domain.errors import InvalidInput
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from planner.services.consular.status import overdue_requests, pipeline_status
from tests.integration.consular import pipeline_world
from tests.integration.consular.pipeline_world import reference

TODAY = date(2026, 12, 1)
DAY = timedelta(days=1)


@pytest.fixture
def world(ctx: AppContext) -> dict[str, int]:
    with ctx.uow() as uow:
        ids = pipeline_world.build(uow.session, TODAY)
        uow.commit()
    return ids


def test_status_counts_open_overdue_answered_and_lead_times_per_country(
    ctx: AppContext, officer: Actor, world: dict[str, int]
) -> None:
    with ctx.uow(write=False) as uow:
        rows = pipeline_status(uow, officer, today=TODAY)
    assert [r.country for r in rows] == ["CHN", "HTI"]
    chn, hti = rows
    assert chn.name == "China" and hti.name == "Haiti"
    v = chn.verification
    assert (v.requested_open, v.overdue, v.positive, v.negative, v.withdrawn) == (3, 1, 3, 1, 1)
    assert v.median_lead_days == 20.0
    assert (v.expected.days, v.expected.source, v.expected.answered) == (20, "history", 4)
    td = chn.travel_documents
    assert (td.requested_open, td.overdue, td.positive, td.negative, td.median_lead_days) == (
        1,
        1,
        0,
        0,
        None,
    )
    assert (td.expected.days, td.expected.source) == (30, "rule")
    assert [b.reference for b in chn.batches] == [
        reference("VR", "CHN", TODAY - 200 * DAY, 3),
        reference("VR", "CHN", TODAY - 92 * DAY, 1),
        reference("TD", "CHN", TODAY - 61 * DAY, 1),
        reference("VR", "CHN", TODAY - 7 * DAY, 2),
    ]
    closed, first, documents, recent = chn.batches
    assert (closed.people, closed.open, closed.answered, closed.closed) == (1, 0, 1, True)
    assert (first.people, first.open, first.overdue, first.answered, first.closed) == (5, 1, 1, 3, False)
    assert first.due_on == TODAY - 72 * DAY
    assert documents.kind is RequestKind.TRAVEL_DOCUMENT and documents.due_on == TODAY - 31 * DAY
    assert (documents.open, documents.overdue) == (1, 1)
    assert (recent.open, recent.overdue, recent.due_on) == (2, 0, TODAY + 13 * DAY)
    assert (hti.verification.requested_open, hti.verification.overdue) == (1, 1)
    assert hti.verification.expected.days == 30 and hti.batches[0].due_on == TODAY - DAY


def test_status_json_has_exactly_the_documented_keys(
    ctx: AppContext, officer: Actor, world: dict[str, int]
) -> None:
    with ctx.uow(write=False) as uow:
        (chn,) = pipeline_status(uow, officer, "chn", today=TODAY)
    data = chn.as_json()
    assert set(data) == {
        "country",
        "name",
        "requested_open",
        "overdue",
        "confirmed",
        "not_confirmed",
        "median_lead_days",
        "expected_lead_days",
        "batches",
        "travel_documents",
    }
    assert (data["requested_open"], data["overdue"], data["confirmed"], data["not_confirmed"]) == (3, 1, 3, 1)
    assert set(data["batches"][0]) == {
        "reference",
        "kind",
        "sent_on",
        "due_on",
        "people",
        "open",
        "overdue",
        "answered",
        "closed",
    }
    assert data["batches"][1]["sent_on"] == (TODAY - 92 * DAY).isoformat()
    assert data["travel_documents"] == {
        "requested_open": 1,
        "overdue": 1,
        "issued": 0,
        "refused": 0,
        "median_lead_days": None,
        "expected_lead_days": 30,
    }


def test_one_country_without_batches_is_zeros_and_an_unknown_code_is_invalid(
    ctx: AppContext, officer: Actor, world: dict[str, int]
) -> None:
    with ctx.uow(write=False) as uow:
        (gtm,) = pipeline_status(uow, officer, "GTM", today=TODAY)
        assert gtm.batches == [] and gtm.verification.requested_open == 0
        assert gtm.verification.median_lead_days is None and gtm.verification.expected.days == 30
        with pytest.raises(InvalidInput, match="unknown country"):
            pipeline_status(uow, officer, "XXX", today=TODAY)


def test_no_batches_at_all_is_an_empty_list(ctx: AppContext, officer: Actor) -> None:
    with ctx.uow(write=False) as uow:
        assert pipeline_status(uow, officer, today=TODAY) == []


def test_overdue_requests_oldest_first_with_names(
    ctx: AppContext, officer: Actor, world: dict[str, int]
) -> None:
    with ctx.uow(write=False) as uow:
        rows = overdue_requests(uow, officer, today=TODAY)
        chn = overdue_requests(uow, officer, "CHN", today=TODAY)
        later = overdue_requests(uow, officer, "CHN", today=TODAY + 14 * DAY)
    assert [(r.person_id, r.kind, r.days_overdue) for r in rows] == [
        (world["c5"], RequestKind.VERIFICATION, 72),
        (world["c1"], RequestKind.TRAVEL_DOCUMENT, 31),
        (world["h1"], RequestKind.VERIFICATION, 1),
    ]
    first = rows[0]
    assert first.reference == reference("VR", "CHN", TODAY - 92 * DAY, 1)
    assert (first.case_number, first.family_name, first.given_names) == ("A100000005", "FAMILYC5", "Given c5")
    assert (first.sent_on, first.due_on) == (TODAY - 92 * DAY, TODAY - 72 * DAY)
    assert [r.person_id for r in chn] == [world["c5"], world["c1"]]
    # two weeks later the recent batch (due T+13) is overdue too, by one day
    assert [(r.person_id, r.days_overdue) for r in later][-2:] == [(world["c6"], 1), (world["c7"], 1)]
