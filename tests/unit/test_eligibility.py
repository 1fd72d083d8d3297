"""Eligibility rules 1–10 (planner.domain.eligibility.scalar): every rule's pass and fail boundary, plus properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.domain.eligibility import (
    CountryRuleFacts,
    PersonFacts,
    VerificationFacts,
    apply_family_rule,
    check_people,
    check_person,
    latest_verifications,
)
from planner.domain.enums import ReasonCode as R
from tests.unit.eligibility_facts import (
    ARRIVAL_DATE,
    COUNTRIES,
    DEPARTURE,
    DEPARTURE_DATE,
    NOW,
    VERIFICATION_RESULTS,
    passport,
    people_facts,
    person,
    rule,
    stop,
    stops_facts,
    verified,
)

RULE_ORDER = {code: i for i, code in enumerate(R)}


def check(p: PersonFacts | None = None, s=None, r=None, *, now: datetime = NOW, sent: bool = False):
    return check_person(p or person(), s or stop(), r or rule(), now=now, on_sent_manifest=sent)


def test_baseline_person_is_eligible() -> None:
    assert check() == ()


# ---------------------------------------------------------------- rules 1 and 2


@pytest.mark.parametrize("status", ["RELEASED", "REMOVED"])
def test_rule1_not_in_custody(status: str) -> None:
    assert check(person(custody_status=status)) == (R.NOT_IN_CUSTODY,)


@pytest.mark.parametrize("status", ["PENDING", "NONE"])
def test_rule2_no_final_order(status: str) -> None:
    assert check(person(order_status=status)) == (R.NO_FINAL_ORDER,)


# ---------------------------------------------------------------- rule 3: legal hold


@pytest.mark.parametrize(
    ("reason", "until", "blocked"),
    [
        ("court stay", None, True),  # no until-date: in force indefinitely
        ("court stay", DEPARTURE_DATE, True),  # until the departure day itself: still in force
        ("court stay", DEPARTURE_DATE + timedelta(days=1), True),
        ("court stay", DEPARTURE_DATE - timedelta(days=1), False),  # ended the day before
        (None, DEPARTURE_DATE + timedelta(days=5), False),  # an until-date without a reason is no hold
        ("", None, False),
        ("   ", None, False),
    ],
)
def test_rule3_legal_hold_boundaries(reason: str | None, until: date | None, blocked: bool) -> None:
    expected = (R.LEGAL_HOLD,) if blocked else ()
    assert check(person(legal_hold_reason=reason, hold_until=until)) == expected


def test_rule3_reads_the_local_departure_date_at_the_airport() -> None:
    # 22:00 at UTC-5 on the 19th is 03:00 UTC on the 20th. At an airport in UTC (the stop's zone) it
    # is the 20th: a hold until the 19th has ended. At an airport in New York it is the 19th: the
    # hold is still in force (issue 13).
    local = datetime(2025, 3, 19, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    p = person(legal_hold_reason="stay", hold_until=date(2025, 3, 19))
    assert check(p, stop(departure_utc=local)) == ()
    assert check(replace(p, hold_until=date(2025, 3, 20)), stop(departure_utc=local)) == (R.LEGAL_HOLD,)
    new_york = stop(departure_utc=local, departure_timezone="America/New_York")
    assert check(p, new_york) == (R.LEGAL_HOLD,)
    assert check(replace(p, hold_until=date(2025, 3, 18)), new_york) == ()


# ---------------------------------------------------------------- rules 4 and 5: nationality


def test_rule4_no_verification_gives_only_not_verified() -> None:
    assert check(person(verifications=())) == (R.NATIONALITY_NOT_VERIFIED,)


def test_rule4_pending_gives_only_not_verified() -> None:
    assert check(person(verifications=(verified(result="PENDING"),))) == (R.NATIONALITY_NOT_VERIFIED,)


def test_rule4_refusal_gives_not_verified_and_mismatch() -> None:
    p = person(verifications=(verified(result="NOT_CONFIRMED"),))
    assert check(p) == (R.NATIONALITY_NOT_VERIFIED, R.NATIONALITY_MISMATCH)


def test_rule4_latest_verification_counts_by_date() -> None:
    older_confirmed = verified(on=date(2025, 1, 1), seq=9)
    newer_refused = verified(result="NOT_CONFIRMED", on=date(2025, 1, 2), seq=1)
    assert R.NATIONALITY_NOT_VERIFIED in check(person(verifications=(older_confirmed, newer_refused)))
    older_refused = verified(result="NOT_CONFIRMED", on=date(2025, 1, 1), seq=9)
    newer_confirmed = verified(on=date(2025, 1, 2), seq=1)
    assert check(person(verifications=(newer_confirmed, older_refused))) == ()


def test_rule4_same_day_ordered_by_sequence() -> None:
    first = verified(result="PENDING", seq=1)
    second = verified(result="CONFIRMED", seq=2)
    assert check(person(verifications=(second, first))) == ()
    assert check(person(verifications=(replace(first, sequence=3), second))) == (R.NATIONALITY_NOT_VERIFIED,)


def test_rule4_full_tie_is_resolved_against_the_person() -> None:
    tie = (verified(result="CONFIRMED", seq=1), verified(result="NOT_CONFIRMED", seq=1))
    assert R.NATIONALITY_NOT_VERIFIED in check(person(verifications=tie))
    assert R.NATIONALITY_NOT_VERIFIED in check(person(verifications=tie[::-1]))
    pending_tie = (verified(result="CONFIRMED", seq=1), verified(result="PENDING", seq=1))
    assert check(person(verifications=pending_tie)) == (R.NATIONALITY_NOT_VERIFIED,)


def test_rule4_verification_of_another_country_does_not_count() -> None:
    p = person(verifications=(verified(country="GTM"),))
    assert check(p) == (R.NATIONALITY_NOT_VERIFIED, R.NATIONALITY_MISMATCH)


def test_rule4_not_applied_where_verification_is_not_required() -> None:
    assert check(person(verifications=()), r=rule(verification_required=False)) == ()
    pending = person(verifications=(verified(result="PENDING"),))
    assert check(pending, r=rule(verification_required=False)) == ()


def test_rule5_confirmed_nationality_beats_the_claim() -> None:
    assert check(person(nationality="GTM")) == ()


def test_rule5_claimed_country_with_another_confirmed_is_a_mismatch() -> None:
    p = person(verifications=(verified(country="GTM"),))
    assert check(p, r=rule(verification_required=False)) == (R.NATIONALITY_MISMATCH,)


def test_rule5_dual_confirmed_nationality_passes_for_both() -> None:
    p = person(verifications=(verified(), verified(country="GTM")))
    assert check(p) == ()
    assert check(p, stop(country="GTM"), rule(country="GTM"), sent=False) == (R.NO_VALID_DOCUMENT,)


def test_rule5_no_verification_needed_claimed_passes_unclaimed_fails() -> None:
    no_verification = rule(verification_required=False)
    assert check(person(verifications=()), r=no_verification) == ()
    assert check(person(verifications=(), nationality="GTM"), r=no_verification) == (R.NATIONALITY_MISMATCH,)


def test_rule5_refusal_is_a_mismatch_even_without_required_verification() -> None:
    p = person(verifications=(verified(result="NOT_CONFIRMED"),))
    assert check(p, r=rule(verification_required=False)) == (R.NATIONALITY_MISMATCH,)


def test_rule5_unclaimed_unverified_country_fails_both() -> None:
    p = person(nationality="GTM", verifications=())
    assert check(p) == (R.NATIONALITY_NOT_VERIFIED, R.NATIONALITY_MISMATCH)


# ---------------------------------------------------------------- rule 6: document


@pytest.mark.parametrize("min_validity", [0, 30])
def test_rule6_expiry_boundary(min_validity: int) -> None:
    limit = ARRIVAL_DATE + timedelta(days=min_validity)
    r = rule(min_validity_days=min_validity)
    assert check(person(documents=(passport(expires_on=limit),)), r=r) == ()
    before = person(documents=(passport(expires_on=limit - timedelta(days=1)),))
    assert check(before, r=r) == (R.NO_VALID_DOCUMENT,)


def test_rule6_expiring_on_departure_day_fails_because_arrival_is_next_day() -> None:
    assert check(person(documents=(passport(expires_on=DEPARTURE_DATE),))) == (R.NO_VALID_DOCUMENT,)


@pytest.mark.parametrize(
    "document",
    [
        passport(status="REVOKED"),
        passport(status="LOST"),
        passport(issuing_country="GTM"),
        passport(doc_type="LAISSEZ_PASSER"),
        passport(doc_type="EMERGENCY_TRAVEL_DOCUMENT"),
    ],
)
def test_rule6_unacceptable_documents(document) -> None:
    assert check(person(documents=(document,))) == (R.NO_VALID_DOCUMENT,)


def test_rule6_no_document() -> None:
    assert check(person(documents=())) == (R.NO_VALID_DOCUMENT,)


def test_rule6_one_good_document_among_bad_ones_suffices() -> None:
    docs = (passport(status="LOST"), passport(doc_type="TRAVEL_DOCUMENT"), passport(issuing_country="GTM"))
    assert check(person(documents=docs)) == ()


def test_rule6_accepted_types_come_from_the_country_rule() -> None:
    etd = person(documents=(passport(doc_type="EMERGENCY_TRAVEL_DOCUMENT"),))
    assert check(etd, r=rule(accepted_document_types=frozenset({"EMERGENCY_TRAVEL_DOCUMENT"}))) == ()


# ---------------------------------------------------------------- rule 7: facility transfer


def test_rule7_transfer_arriving_exactly_at_departure_passes() -> None:
    hours = (DEPARTURE - NOW).total_seconds() / 3600
    assert check(person(facility_transfer_hours={"IAH": hours})) == ()
    late = NOW + timedelta(microseconds=1)
    assert check(person(facility_transfer_hours={"IAH": hours}), now=late) == (R.FACILITY_CANNOT_REACH,)


def test_rule7_fractional_hours_boundary() -> None:
    s = stop(departure_utc=NOW + timedelta(days=10, minutes=30))
    r = rule(notice_days=0)
    assert check(person(facility_transfer_hours={"IAH": 240.5}), s, r) == ()
    assert check(person(facility_transfer_hours={"IAH": 240.5001}), s, r) == (R.FACILITY_CANNOT_REACH,)


def test_rule7_facility_without_that_airport() -> None:
    assert check(person(facility_transfer_hours={"MIA": 1.0})) == (R.FACILITY_CANNOT_REACH,)


def test_rule7_no_facility() -> None:
    assert check(person(facility_transfer_hours={})) == (R.FACILITY_CANNOT_REACH,)


# ---------------------------------------------------------------- rule 8: medical capacity


@pytest.mark.parametrize(
    ("need", "medical", "wheelchair", "expected"),
    [
        ("MEDICAL_ESCORT", 0, 5, (R.NO_MEDICAL_CAPACITY,)),
        ("MEDICAL_ESCORT", 1, 0, ()),
        ("WHEELCHAIR", 5, 0, (R.NO_WHEELCHAIR_CAPACITY,)),
        ("WHEELCHAIR", 0, 1, ()),
        ("NONE", 0, 0, ()),
    ],
)
def test_rule8_slots(need: str, medical: int, wheelchair: int, expected: tuple) -> None:
    s = stop(medical_slots=medical, wheelchair_slots=wheelchair)
    assert check(person(medical_need=need), s) == expected


# ---------------------------------------------------------------- rule 9: notice cut-off


def test_rule9_cutoff_instant_is_too_late() -> None:
    cutoff = DEPARTURE - timedelta(days=3)
    assert check(now=cutoff - timedelta(microseconds=1)) == ()
    assert check(now=cutoff) == (R.AFTER_NOTICE_CUTOFF,)
    assert check(now=cutoff + timedelta(days=1)) == (R.AFTER_NOTICE_CUTOFF,)


def test_rule9_person_on_sent_manifest_is_exempt() -> None:
    assert check(now=DEPARTURE - timedelta(days=1), sent=True) == ()


def test_rule9_zero_notice_days_closes_at_departure() -> None:
    r = rule(notice_days=0)
    p = person(facility_transfer_hours={"IAH": 0.0})
    assert check(p, r=r, now=DEPARTURE - timedelta(seconds=1)) == ()
    assert check(p, r=r, now=DEPARTURE) == (R.AFTER_NOTICE_CUTOFF,)


# ---------------------------------------------------------------- all rules together, contract errors


def test_every_failed_rule_is_reported_in_rule_order() -> None:
    p = person(
        custody_status="RELEASED",
        order_status="PENDING",
        legal_hold_reason="stay",
        nationality="GTM",
        verifications=(verified(result="NOT_CONFIRMED"),),
        documents=(),
        facility_transfer_hours={},
        medical_need="WHEELCHAIR",
    )
    reasons = check(p, stop(wheelchair_slots=0), now=DEPARTURE)
    assert reasons == (
        R.NOT_IN_CUSTODY,
        R.NO_FINAL_ORDER,
        R.LEGAL_HOLD,
        R.NATIONALITY_NOT_VERIFIED,
        R.NATIONALITY_MISMATCH,
        R.NO_VALID_DOCUMENT,
        R.FACILITY_CANNOT_REACH,
        R.NO_WHEELCHAIR_CAPACITY,
        R.AFTER_NOTICE_CUTOFF,
    )


def test_rule_for_another_country_is_refused() -> None:
    with pytest.raises(ValueError, match="GTM"):
        check(r=rule(country="GTM"))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check(now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        check(s=stop(departure_utc=DEPARTURE.replace(tzinfo=None)))


def test_country_rule_from_model() -> None:
    from planner.persistence.models import CountryRule
    from planner.services.reference import default_country_rule

    model = CountryRule(
        country="IND",
        name="India",
        verification_required=True,
        accepted_document_types="PASSPORT, EMERGENCY_TRAVEL_DOCUMENT",
        min_validity_days=30,
        max_per_flight=100,
        notice_days=10,
    )
    assert CountryRuleFacts.from_model(model) == CountryRuleFacts(
        "IND", True, frozenset({"PASSPORT", "EMERGENCY_TRAVEL_DOCUMENT"}), 30, 100, 10
    )
    default = CountryRuleFacts.from_model(default_country_rule("XXX"))
    assert default.verification_required
    assert default.accepted_document_types == {"PASSPORT"}
    assert default.max_per_flight is None and default.notice_days >= 14


def test_latest_verifications_and_confirmed_nationalities() -> None:
    history = (
        verified(on=date(2025, 1, 1)),
        verified(result="NOT_CONFIRMED", on=date(2025, 2, 1)),
        verified(country="GTM", result="PENDING", on=date(2024, 1, 1)),
        verified(country="GTM", on=date(2024, 6, 1)),
    )
    latest = latest_verifications(history)
    assert latest["MEX"].result == "NOT_CONFIRMED"
    assert latest["GTM"].result == "CONFIRMED"
    assert person(verifications=history).confirmed_nationalities() == {"GTM"}


# ---------------------------------------------------------------- rule 10: families


def test_family_all_eligible_stays_eligible() -> None:
    own = {1: (), 2: (), 3: ()}
    assert apply_family_rule(own, {1: "F", 2: "F", 3: None}) == {1: (), 2: (), 3: ()}


def test_family_one_member_failing_blocks_the_others() -> None:
    own = {1: (R.LEGAL_HOLD,), 2: (), 3: (), 4: ()}
    result = apply_family_rule(own, {1: "F", 2: "F", 3: "G", 4: None})
    assert result == {1: (R.LEGAL_HOLD,), 2: (R.FAMILY_MEMBER_INELIGIBLE,), 3: (), 4: ()}


def test_family_two_failing_members_each_get_the_family_reason_too() -> None:
    own = {1: (R.LEGAL_HOLD,), 2: (R.NO_VALID_DOCUMENT,), 3: ()}
    result = apply_family_rule(own, {1: "F", 2: "F", 3: "F"})
    assert result == {
        1: (R.LEGAL_HOLD, R.FAMILY_MEMBER_INELIGIBLE),
        2: (R.NO_VALID_DOCUMENT, R.FAMILY_MEMBER_INELIGIBLE),
        3: (R.FAMILY_MEMBER_INELIGIBLE,),
    }


def test_check_people_applies_family_and_sent_manifest() -> None:
    parent = person(person_id=1, family_group="F")
    child = person(person_id=2, family_group="F", documents=())
    single = person(person_id=3)
    late = DEPARTURE - timedelta(days=1)
    result = check_people([parent, child, single], stop(), rule(), now=NOW)
    assert result == {1: (R.FAMILY_MEMBER_INELIGIBLE,), 2: (R.NO_VALID_DOCUMENT,), 3: ()}
    fixed_child = replace(child, documents=(passport(),))
    after = check_people([parent, fixed_child], stop(), rule(), now=late, on_sent_manifest={1})
    assert after == {
        1: (R.FAMILY_MEMBER_INELIGIBLE,),
        2: (R.AFTER_NOTICE_CUTOFF,),
    }
    both_sent = check_people([parent, fixed_child], stop(), rule(), now=late, on_sent_manifest={1, 2})
    assert both_sent == {1: (), 2: ()}


# ---------------------------------------------------------------- properties

unrelated_changes = st.fixed_dictionaries(
    {},
    optional={
        "person_id": st.integers(1, 10**9),
        "family_group": st.none() | st.text(min_size=1, max_size=5),
        "hold_until": st.none() | st.dates(),  # without a reason an until-date is no hold
        "extra_documents": st.lists(
            st.builds(
                lambda t, c, e, s: passport(doc_type=t, issuing_country=c, expires_on=e, status=s),
                st.sampled_from(["PASSPORT", "LAISSEZ_PASSER", "TRAVEL_DOCUMENT"]),
                st.sampled_from(["GTM", "CHN"]),
                st.dates(),
                st.sampled_from(["VALID", "REVOKED", "LOST"]),
            ),
            max_size=3,
        ),
        "other_verifications": st.lists(
            st.builds(
                VerificationFacts,
                st.sampled_from(["GTM", "CHN"]),
                st.sampled_from(VERIFICATION_RESULTS),
                st.dates(),
                st.integers(0, 5),
            ),
            max_size=3,
        ),
        "older_verification_of_c": st.builds(
            VerificationFacts,
            st.just("MEX"),
            st.sampled_from(VERIFICATION_RESULTS),
            st.dates(max_value=date(2025, 1, 9)),
            st.integers(0, 5),
        ),
        "extra_airports": st.dictionaries(st.sampled_from(["MIA", "ELP"]), st.floats(0, 1000), max_size=2),
    },
)


@settings(max_examples=150, deadline=None)
@given(changes=unrelated_changes)
def test_eligible_person_stays_eligible_when_unrelated_fields_change(changes: dict) -> None:
    base = person()
    p = replace(
        base,
        person_id=changes.get("person_id", base.person_id),
        family_group=changes.get("family_group", base.family_group),
        hold_until=changes.get("hold_until", base.hold_until),
        documents=base.documents + tuple(changes.get("extra_documents", ())),
        verifications=(
            base.verifications
            + tuple(changes.get("other_verifications", ()))
            + ((changes["older_verification_of_c"],) if "older_verification_of_c" in changes else ())
        ),
        facility_transfer_hours={**changes.get("extra_airports", {}), **base.facility_transfer_hours},
    )
    assert check(p) == ()


@settings(max_examples=150, deadline=None)
@given(
    p=people_facts(1),
    s=stops_facts(1),
    bad_status=st.sampled_from(["REVOKED", "LOST", "EXPIRED"]),
    r=st.sampled_from([rule(), rule(min_validity_days=30), rule(verification_required=False)]),
)
def test_expired_revoked_or_lost_document_is_never_eligible(p, s, bad_status, r) -> None:
    s = replace(s, country="MEX")
    expired_on = s.departure_utc.date() + timedelta(days=r.min_validity_days)  # one day short of the limit
    docs = tuple(
        replace(d, expires_on=min(d.expires_on, expired_on))
        if bad_status == "EXPIRED"
        else replace(d, status=bad_status)
        for d in p.documents
    )
    reasons = check_person(replace(p, documents=docs), s, r, now=NOW)
    assert R.NO_VALID_DOCUMENT in reasons


@settings(max_examples=200, deadline=None)
@given(
    p=people_facts(1),
    s=stops_facts(1),
    required=st.booleans(),
    sent=st.booleans(),
    country=st.sampled_from(COUNTRIES),
)
def test_reasons_are_unique_and_in_rule_order(p, s, required, sent, country) -> None:
    s = replace(s, country=country)
    r = rule(country=country, verification_required=required)
    reasons = check_person(p, s, r, now=NOW, on_sent_manifest=sent)
    assert len(set(reasons)) == len(reasons)
    assert list(reasons) == sorted(reasons, key=RULE_ORDER.__getitem__)
    assert R.FAMILY_MEMBER_INELIGIBLE not in reasons


@settings(max_examples=100, deadline=None)
@given(
    p=people_facts(1),
    required=st.booleans(),
    later_by=st.integers(0, 400),
)
def test_newer_refusal_makes_a_person_ineligible(p, required, later_by) -> None:
    r = rule(verification_required=required)
    # Start from someone eligible, with whatever extra history the draw gave.
    base = replace(
        person(),
        verifications=(verified(on=date(2025, 1, 10), seq=1), *p.verifications),
        documents=(passport(), *p.documents),
    )
    # Only people the drawn history left eligible (not, e.g., confirmed by another country).
    assume(check(base, r=r) == ())
    latest_day = max(v.verified_on for v in base.verifications)
    last_seq = max(v.sequence for v in base.verifications)
    refusal = VerificationFacts("MEX", "NOT_CONFIRMED", latest_day + timedelta(days=later_by), last_seq + 1)
    reasons = check(replace(base, verifications=(*base.verifications, refusal)), r=r)
    assert R.NATIONALITY_MISMATCH in reasons
    assert (R.NATIONALITY_NOT_VERIFIED in reasons) == required


@settings(max_examples=100, deadline=None)
@given(people=st.lists(people_facts(0), min_size=1, max_size=6), s=stops_facts(1))
def test_family_rule_families_are_all_or_nothing(people, s) -> None:
    people = [replace(p, person_id=i) for i, p in enumerate(people)]
    result = check_people(people, replace(s, country="MEX"), rule(), now=NOW)
    for group in {p.family_group for p in people if p.family_group}:
        members = [p.person_id for p in people if p.family_group == group]
        verdicts = {result[m] == () for m in members}
        assert len(verdicts) == 1
    for p in people:
        own = check_person(p, replace(s, country="MEX"), rule(), now=NOW)
        assert result[p.person_id][: len(own)] == own
