"""Requests to receiving states in the random worlds of ``test_plan_invariants`` (issue 16): random
verification request batches (``VR-<ISO3>-<year>-<nnnn>``) with their PENDING rows, random answers,
answering one CONFIRMED, and the independent checks of what verification allows. Only helpers:
the properties live in ``test_plan_invariants``.

The rows are the ones the request and response services write (a batch, an item per person, the
request's PENDING verification row with the batch reference on the sent date, the answer's row with
the reference on the answer's date, the item's outcome and date), written directly so the worlds
stay independent of those services' refusals (anyone may be in a batch here, several times).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from hypothesis import event
from hypothesis import strategies as st

from planner.domain.eligibility import check_people
from planner.domain.enums import ReasonCode, RequestKind, RequestOutcome
from planner.domain.requests import format_reference
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    NationalityVerification,
    Person,
    PlanExclusion,
    RequestBatch,
    RequestItem,
    TravelDocument,
)
from planner.services import eligibility_facts, planning
from tests.integration.planning.facts import stops_and_rules
from tests.integration.planning.invariant_worlds import ADMIN, COUNTRIES, NOW, TODAY, World

#: Random requests: whose (index into the world's people, modulo their number), to which country (None: their claimed
#: nationality), in which of three batches per country, sent how long ago, answered how (None: still
#: open) and how many days after it was sent.
request_specs = st.lists(
    st.fixed_dictionaries(
        {
            "person": st.integers(0, 13),
            "country": st.none() | st.none() | st.sampled_from(COUNTRIES),
            "batch": st.integers(0, 2),
            "sent_days_ago": st.integers(0, 120),
            "answer": st.sampled_from([None, None, "CONFIRMED", "NOT_CONFIRMED"]),
            "lead": st.integers(0, 90),
        }
    ),
    max_size=14,
)


@dataclass(frozen=True)
class OpenRequest:
    item_id: int
    person_id: int
    country: str
    reference: str


def _person_ids(ctx: AppContext) -> dict[str, tuple[int, str]]:
    """Case number -> (person id, claimed nationality)."""
    with ctx.uow(write=False) as uow:
        return {
            case: (pid, nationality)
            for case, pid, nationality in uow.session.execute(
                sa.select(Person.case_number, Person.id, Person.nationality)
            )
        }


def add_requests(ctx: AppContext, world: World, specs: list[dict]) -> list[OpenRequest]:
    """Write ``specs`` (``request_specs``) for the people of ``world`` (``_populate``d): one batch per
    country and batch number, sent on the first of its specs' dates; a person once per batch. The
    requests still open afterwards."""
    people = _person_ids(ctx)
    batches: dict[tuple[str, int], dict] = {}
    seen: set[tuple[tuple[str, int], int]] = set()
    for spec in specs:
        person_id, nationality = people[f"A{spec['person'] % len(world.people):09d}"]
        country = spec["country"] or nationality
        key = (country, spec["batch"])
        batch = batches.setdefault(
            key, {"sent_on": TODAY - timedelta(days=spec["sent_days_ago"]), "items": []}
        )
        if (key, person_id) in seen:
            continue
        seen.add((key, person_id))
        answered = None
        if spec["answer"] is not None:
            answered = min(TODAY, batch["sent_on"] + timedelta(days=spec["lead"]))
        batch["items"].append((person_id, spec["answer"], answered))
    found: list[OpenRequest] = []
    numbers: dict[tuple[str, int], int] = defaultdict(int)
    with ctx.uow() as uow:
        s = uow.session
        for (country, _n), batch in sorted(batches.items()):
            sent_on: date = batch["sent_on"]
            numbers[(country, sent_on.year)] += 1
            reference = format_reference(
                RequestKind.VERIFICATION, country, sent_on.year, numbers[(country, sent_on.year)]
            )
            still_open = any(answer is None for _p, answer, _a in batch["items"])
            row = RequestBatch(
                reference=reference,
                kind=RequestKind.VERIFICATION.value,
                country=country,
                year=sent_on.year,
                number=numbers[(country, sent_on.year)],
                sent_on=sent_on,
                created_by=ADMIN.username,
                people=len(batch["items"]),
                closed_at=None if still_open else NOW,
            )
            s.add(row)
            s.flush()
            for person_id, answer, answered in batch["items"]:
                pending = _verification(s, person_id, country, "PENDING", sent_on, reference)
                if answer is not None:
                    _verification(s, person_id, country, answer, answered, reference)
                item = RequestItem(
                    batch_id=row.id,
                    person_id=person_id,
                    outcome=answer or RequestOutcome.OPEN.value,
                    answered_on=answered,
                    answered_at=None if answered is None else NOW,
                    answered_by=None if answered is None else ADMIN.username,
                    verification_id=pending.id,
                )
                s.add(item)
                s.flush()
                if answer is None:
                    found.append(OpenRequest(int(item.id or 0), person_id, country, reference))
        uow.commit()
    return found


def _verification(
    s, person_id: int, country: str, result: str, on: date, reference: str
) -> NationalityVerification:
    row = NationalityVerification(
        person_id=person_id,
        country=country,
        result=result,
        authority="Consulate",
        verified_on=on,
        reference=reference,
        source_file="response.csv",
    )
    s.add(row)
    s.flush()
    return row


def answer_confirmed(ctx: AppContext, request: OpenRequest) -> None:
    """The consulate confirms ``request`` today: a CONFIRMED row with its reference (the person's
    latest for the country) and the item closed; the person gets a valid passport of the country if
    they hold none."""
    with ctx.uow() as uow:
        s = uow.session
        _verification(s, request.person_id, request.country, "CONFIRMED", TODAY, request.reference)
        s.execute(
            sa.update(RequestItem)
            .where(RequestItem.id == request.item_id)
            .values(
                outcome=RequestOutcome.CONFIRMED.value,
                answered_on=TODAY,
                answered_at=datetime.now(UTC),
                answered_by=ADMIN.username,
            )
        )
        holds = s.execute(
            sa.select(TravelDocument.id).where(
                TravelDocument.person_id == request.person_id,
                TravelDocument.doc_type == "PASSPORT",
                TravelDocument.issuing_country == request.country,
                TravelDocument.status == "VALID",
                TravelDocument.expires_on > TODAY + timedelta(days=300),
            )
        ).first()
        if holds is None:
            s.add(
                TravelDocument(
                    person_id=request.person_id,
                    doc_type="PASSPORT",
                    number=f"ANSWER-{request.item_id}",
                    issuing_country=request.country,
                    expires_on=TODAY + timedelta(days=400),
                )
            )
        uow.commit()


def _placed_and_excluded(uow) -> tuple[dict[int, int], dict[int, str]]:
    plan_id = planning.current_draft_plan_id(uow)
    placed = dict(
        uow.session.execute(
            sa.select(Assignment.person_id, Assignment.flight_stop_id).where(
                Assignment.plan_run_id == plan_id
            )
        ).all()
    )
    excluded = dict(
        uow.session.execute(
            sa.select(PlanExclusion.person_id, PlanExclusion.reason).where(
                PlanExclusion.plan_run_id == plan_id
            )
        ).all()
    )
    return placed, excluded


def check_only_the_confirmed_are_placed(ctx: AppContext) -> None:
    """Nobody placed at a stop of a country that requires verification has, as their latest
    verification for that country (greatest ``(verified_on, id)``, read from the rows here), anything
    but CONFIRMED — open requests (PENDING) and refusals (NOT_CONFIRMED) never fly."""
    with ctx.uow(write=False) as uow:
        placed, _excluded = _placed_and_excluded(uow)
        stops, rules = stops_and_rules(uow)
        latest: dict[tuple[int, str], tuple[date, int, str]] = {}
        for pid, country, on, vid, result in uow.session.execute(
            sa.select(
                NationalityVerification.person_id,
                NationalityVerification.country,
                NationalityVerification.verified_on,
                NationalityVerification.id,
                NationalityVerification.result,
            )
        ):
            if (pid, country) not in latest or (on, vid) > latest[(pid, country)][:2]:
                latest[(pid, country)] = (on, vid, result)
    for person, stop_id in placed.items():
        country = stops[stop_id].country
        if rules[country].verification_required:
            result = latest.get((person, country), (None, None, "none"))[2]
            assert result == "CONFIRMED", (
                f"person {person} placed for {country} with latest verification {result}"
            )


def check_the_answer_lifts_verification(ctx: AppContext, request: OpenRequest) -> None:
    """After ``answer_confirmed(request)`` and a plan: no stop of the request's country fails the
    person for verification, and a person eligible at one of them is placed or excluded for
    something other than verification."""
    with ctx.uow(write=False) as uow:
        placed, excluded = _placed_and_excluded(uow)
        stops, rules = stops_and_rules(uow)
        facts = eligibility_facts.load_person_facts(uow, [request.person_id])
    verdicts = {
        stop_id: check_people(list(facts.values()), stop, rules[stop.country], now=NOW)[request.person_id]
        for stop_id, stop in stops.items()
        if stop.country == request.country
    }
    assert all(ReasonCode.NATIONALITY_NOT_VERIFIED not in v for v in verdicts.values()), verdicts
    event(f"answered person placed: {request.person_id in placed}")
    if any(v == () for v in verdicts.values()):
        assert request.person_id in placed or excluded.get(request.person_id) != (
            ReasonCode.NATIONALITY_NOT_VERIFIED.value
        ), excluded.get(request.person_id)
