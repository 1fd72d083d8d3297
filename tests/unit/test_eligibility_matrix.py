"""The vectorised evaluator (planner.domain.eligibility.matrix) agrees exactly with the pure rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.domain.eligibility import check_people
from planner.domain.eligibility import matrix as em
from planner.domain.enums import ReasonCode as R
from tests.unit.eligibility_facts import (
    DEPARTURE,
    NOW,
    country_rules,
    day_near,
    document_lists,
    facility_hours,
    instances,
    mostly,
    passport,
    person,
    rule,
    stop,
    stops_facts,
)


def expected_pairs(people, stops, rules, sent, now) -> set[tuple[int, int]]:
    """(person row, stop row) pairs allowed by check_person + apply_family_rule."""
    row_of = {p.person_id: i for i, p in enumerate(people)}
    expected = set()
    for stop_row, s in enumerate(stops):
        on_sent = {pid for pid, sid in sent if sid == s.stop_id}
        verdicts = check_people(people, s, rules[s.country], now=now, on_sent_manifest=on_sent)
        expected |= {(row_of[pid], stop_row) for pid, reasons in verdicts.items() if not reasons}
    return expected


@settings(max_examples=150, deadline=None)
@given(instance=instances(), block_cells=st.sampled_from([1, 5, em.BLOCK_CELLS]))
def test_vectorised_evaluator_matches_the_pure_rules(instance, block_cells: int) -> None:
    people, stops, rules, sent = instance
    tables = em.tables_from_facts(people, stops, rules, sent_manifest=sent)
    with mock.patch.object(em, "BLOCK_CELLS", block_cells):
        result = em.evaluate(tables, now=NOW)
    assert result.pair_set() == expected_pairs(people, stops, rules, sent, NOW)
    assert result.stop_ptr[-1] == len(result)
    for s in range(len(stops)):
        assert np.all(np.diff(result.for_stop(s)) > 0)


@settings(max_examples=50, deadline=None)
@given(instance=instances())
def test_reasons_per_stop_agree_with_check_people(instance) -> None:
    people, stops, rules, sent = instance
    for p in people:
        explained = em.reasons_per_stop(p, stops, rules, now=NOW, family=people, sent_manifest=sent)
        for s in stops:
            on_sent = {pid for pid, sid in sent if sid == s.stop_id}
            assert (
                explained[s.stop_id]
                == check_people(people, s, rules[s.country], now=NOW, on_sent_manifest=on_sent)[p.person_id]
            )


def test_family_of_eligible_people_is_placed_together_or_not_at_all() -> None:
    parent = person(person_id=1, family_group="F")
    child = person(person_id=2, family_group="F")
    single = person(person_id=3)
    stops = [stop(stop_id=10), stop(stop_id=11, wheelchair_slots=0)]
    rules = {"MEX": rule()}
    eligible = em.evaluate(em.tables_from_facts([parent, child, single], stops, rules), now=NOW)
    assert eligible.pair_set() == {(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)}
    wheelchair_child = replace(child, medical_need="WHEELCHAIR")
    eligible = em.evaluate(em.tables_from_facts([parent, wheelchair_child, single], stops, rules), now=NOW)
    assert eligible.pair_set() == {(0, 0), (1, 0), (2, 0), (2, 1)}
    assert eligible.for_stop(1).tolist() == [2]
    assert eligible.stop.tolist() == [0, 0, 0, 1]


def test_family_member_bound_for_another_country_blocks_the_family() -> None:
    parent = person(person_id=1, family_group="F")
    child = person(person_id=2, family_group="F", nationality="GTM", verifications=())
    tables = em.tables_from_facts([parent, child], [stop()], {"MEX": rule()})
    assert len(em.evaluate(tables, now=NOW)) == 0


def test_sent_manifest_keeps_people_after_the_cutoff() -> None:
    people = [person(person_id=1), person(person_id=2)]
    tables = em.tables_from_facts(people, [stop()], {"MEX": rule()}, sent_manifest={(2, 10)})
    assert em.evaluate(tables, now=DEPARTURE - timedelta(days=1)).pair_set() == {(1, 0)}
    assert em.evaluate(tables, now=NOW).pair_set() == {(0, 0), (1, 0)}


def test_empty_inputs() -> None:
    assert len(em.evaluate(em.tables_from_facts([], [stop()], {"MEX": rule()}), now=NOW)) == 0
    result = em.evaluate(em.tables_from_facts([person()], [], {}), now=NOW)
    assert len(result) == 0
    assert result.stop_ptr.tolist() == [0]


def test_missing_country_rule_is_an_error() -> None:
    tables = em.tables_from_facts([person()], [stop(country="GTM")], {"MEX": rule()})
    with pytest.raises(ValueError, match="GTM"):
        em.evaluate(tables, now=NOW)


def test_naive_now_is_refused() -> None:
    tables = em.tables_from_facts([person()], [stop()], {"MEX": rule()})
    with pytest.raises(ValueError, match="timezone-aware"):
        em.evaluate(tables, now=NOW.replace(tzinfo=None))


def test_reasons_per_stop_explains_family_and_own_failures() -> None:
    parent = person(person_id=1, family_group="F")
    child = person(person_id=2, family_group="F", documents=())
    stops = [stop(stop_id=10), stop(stop_id=11, country="GTM")]
    rules = {"MEX": rule(), "GTM": rule(country="GTM")}
    explained = em.reasons_per_stop(parent, stops, rules, now=NOW, family=[parent, child])
    assert explained == {
        10: (R.FAMILY_MEMBER_INELIGIBLE,),
        11: (
            R.NATIONALITY_NOT_VERIFIED,
            R.NATIONALITY_MISMATCH,
            R.NO_VALID_DOCUMENT,
            R.FAMILY_MEMBER_INELIGIBLE,
        ),
    }
    assert em.related_countries(replace(parent, nationality="GTM")) == {"GTM", "MEX"}


# ---------------------------------------------------------------- per-person reason summary


def expected_summary(people, stops, rules, sent, now) -> list[tuple[int, int, int]]:
    """(all_mask, any_mask, candidate stops) per person from reasons_per_stop over the stops to the
    person's related countries."""
    expected = []
    for p in people:
        candidate_stops = [s for s in stops if s.country in em.related_countries(p)]
        explained = em.reasons_per_stop(p, candidate_stops, rules, now=now, family=people, sent_manifest=sent)
        masks = [em.reason_mask(reasons) for reasons in explained.values()]
        all_mask = em.ALL_REASONS_MASK if masks else 0
        any_mask = 0
        for mask in masks:
            all_mask &= mask
            any_mask |= mask
        expected.append((all_mask, any_mask, len(explained)))
    return expected


@settings(max_examples=150, deadline=None)
@given(instance=instances(), block_cells=st.sampled_from([1, 5, em.BLOCK_CELLS]))
def test_reason_summary_matches_reasons_per_stop(instance, block_cells: int) -> None:
    people, stops, rules, sent = instance
    tables = em.tables_from_facts(people, stops, rules, sent_manifest=sent)
    with mock.patch.object(em, "BLOCK_CELLS", block_cells):
        pairs, summary = em.evaluate_with_reasons(tables, now=NOW)
        plain = em.evaluate(tables, now=NOW)
    assert pairs.pair_set() == plain.pair_set()
    actual = list(
        zip(
            summary.all_mask.tolist(),
            summary.any_mask.tolist(),
            summary.candidate_stops.tolist(),
            strict=True,
        )
    )
    assert actual == expected_summary(people, stops, rules, sent, NOW)
    codes = summary.headline_codes()
    for row in range(len(people)):
        all_mask, any_mask, count = actual[row]
        headline = summary.headline(row)
        if count == 0:
            assert headline == em.NO_FLIGHT_TO_COUNTRY and codes[row] == em.NO_FLIGHT_CODE
        else:
            assert headline == em.headline_reason(all_mask, any_mask)
            assert codes[row] == (em.NO_REASON if headline is None else em.REASON_CODES.index(headline))


@st.composite
def family_instances(draw: st.DrawFn):
    """Mostly eligible people in few families whose failures vary by stop, so rule 10 fails at some
    stops only (rare in ``instances``)."""
    people = [
        person(
            person_id=100 + i,
            family_group=draw(st.sampled_from(["F", "F", "G", None])),
            medical_need=draw(mostly("NONE", "MEDICAL_ESCORT", "WHEELCHAIR")),
            facility_transfer_hours=draw(facility_hours()),
            legal_hold_reason=draw(mostly(None, "court stay")),
            hold_until=draw(st.none() | day_near(0, 20)),
            documents=tuple(draw(mostly((passport(),), *[(d,) for d in draw(document_lists("MEX"))]))),
        )
        for i in range(draw(st.integers(2, 6)))
    ]
    stops = [replace(draw(stops_facts(10 + i)), country="MEX") for i in range(draw(st.integers(1, 5)))]
    rules = draw(country_rules)
    pairs = [(p.person_id, s.stop_id) for p in people for s in stops]
    return people, stops, rules, draw(st.sets(st.sampled_from(pairs), max_size=4))


@settings(max_examples=100, deadline=None)
@given(instance=family_instances(), block_cells=st.sampled_from([1, 5, em.BLOCK_CELLS]))
def test_reason_summary_of_families_matches_reasons_per_stop(instance, block_cells: int) -> None:
    people, stops, rules, sent = instance
    tables = em.tables_from_facts(people, stops, rules, sent_manifest=sent)
    with mock.patch.object(em, "BLOCK_CELLS", block_cells):
        summary = em.reason_summary(tables, now=NOW)
    actual = list(
        zip(
            summary.all_mask.tolist(),
            summary.any_mask.tolist(),
            summary.candidate_stops.tolist(),
            strict=True,
        )
    )
    assert actual == expected_summary(people, stops, rules, sent, NOW)


def test_headline_prefers_a_reason_failing_everywhere() -> None:
    bit = em.REASON_BITS
    all_mask = np.array([0, bit[R.NO_VALID_DOCUMENT], 0, 0], np.uint16)
    any_mask = np.array(
        [0, bit[R.LEGAL_HOLD] | bit[R.NO_VALID_DOCUMENT], bit[R.AFTER_NOTICE_CUTOFF], em.ALL_REASONS_MASK],
        np.uint16,
    )
    assert em.headline_codes(all_mask, any_mask).tolist() == [
        em.NO_REASON,
        em.REASON_CODES.index(R.NO_VALID_DOCUMENT),
        em.REASON_CODES.index(R.AFTER_NOTICE_CUTOFF),
        0,
    ]
    assert em.headline_reason(int(all_mask[1]), int(any_mask[1])) == R.NO_VALID_DOCUMENT
    assert em.headline_reason(0, 0) is None
    assert em.decode_reasons(int(any_mask[1])) == (R.LEGAL_HOLD, R.NO_VALID_DOCUMENT)
    assert em.reason_mask(em.decode_reasons(em.ALL_REASONS_MASK)) == em.ALL_REASONS_MASK


def test_reason_summary_of_family_and_people_without_flights() -> None:
    parent = person(person_id=1, family_group="F")
    child = person(person_id=2, family_group="F", documents=())
    stranger = person(person_id=3, nationality="GTM", verifications=())
    stops = [stop(stop_id=10), stop(stop_id=11, wheelchair_slots=0)]
    summary = em.reason_summary(
        em.tables_from_facts([parent, child, stranger], stops, {"MEX": rule()}), now=NOW
    )
    family = em.REASON_BITS[R.FAMILY_MEMBER_INELIGIBLE]
    document = em.REASON_BITS[R.NO_VALID_DOCUMENT]
    assert summary.all_mask.tolist() == [family, document, 0]
    assert summary.any_mask.tolist() == [family, document, 0]
    assert summary.candidate_stops.tolist() == [2, 2, 0]
    assert [summary.headline(row) for row in range(3)] == [
        R.FAMILY_MEMBER_INELIGIBLE,
        R.NO_VALID_DOCUMENT,
        em.NO_FLIGHT_TO_COUNTRY,
    ]
