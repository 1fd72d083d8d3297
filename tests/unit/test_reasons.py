"""The one table of reason texts (``planner.domain.reasons``): every code has a label, every
eligibility rule a sentence that says its facts (facility and airports with hours, departure
airport and local time, expiry and the date a document must be valid to, the hold's end date,
the cut-off, the verification state, the blocking family member)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from planner.domain import reasons
from planner.domain.eligibility import (
    CountryRuleFacts,
    DocumentFacts,
    PersonFacts,
    StopFacts,
    VerificationFacts,
)
from planner.domain.enums import ReasonCode

NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
#: Departs Houston 2027-03-01 20:00 local (CST, UTC−06:00) = 2027-03-02 02:00 UTC.
DEPARTURE = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)

PERSON = PersonFacts(
    person_id=1,
    custody_status="RELEASED",
    order_status="PENDING",
    nationality="CHN",
    legal_hold_reason="court stay",
    hold_until=date(2027, 3, 1),
    facility_transfer_hours={"LAX": 6.0, "SFO": 12.5},
    medical_need="MEDICAL_ESCORT",
    family_group="FG01",
    documents=(DocumentFacts("PASSPORT", "CHN", date(2027, 3, 5)),),
    verifications=(
        VerificationFacts("CHN", "PENDING", date(2026, 10, 1)),
        VerificationFacts("HND", "CONFIRMED", date(2026, 9, 2)),
    ),
)
STOP = StopFacts(flight_id=7, stop_id=70, departure_airport="IAH", departure_utc=DEPARTURE, country="CHN")
RULE = CountryRuleFacts("CHN", True, frozenset({"PASSPORT", "TRAVEL_DOCUMENT"}), 30, None, 14)
FACTS = reasons.ReasonFacts(
    PERSON,
    STOP,
    RULE,
    now=NOW,
    flight_code="RF0001",
    zone="America/Chicago",
    facility="FAC003 (Montgomery Processing Center, Conroe, TX)",
    family_blockers=(reasons.FamilyBlocker("A100000002", ("LEGAL_HOLD",)),),
)


def _say(code: ReasonCode, facts: reasons.ReasonFacts = FACTS) -> str:
    return reasons.reason_sentence(code.value, facts)


def test_every_code_has_a_label_and_every_rule_a_sentence() -> None:
    for code in ReasonCode:
        assert reasons.reason_label(code.value)
        assert code.value in reasons.SHORT_LABELS and len(reasons.short_label(code.value)) <= 45
        assert reasons.has_sentence(code.value), code
        sentence = _say(code)
        assert sentence and "None" not in sentence and "_" not in sentence.replace("FG01", ""), sentence
    for code in (reasons.CAPACITY, reasons.NO_FLIGHT_TO_COUNTRY, reasons.STRUCK_OFF):
        assert reasons.reason_label(code) == reasons.REASON_LABELS[code]
        assert reasons.reason_sentence(code, FACTS) == reasons.REASON_LABELS[code]
    assert reasons.reason_label("SOMETHING_NEW") == "something new"
    assert reasons.resource_words("ESCORTS") == "escort officers"


def test_planning_words_reasons_with_the_one_table() -> None:
    from planner.services import dashboard, plan_results, planning

    assert planning.REASON_TEXT is reasons.REASON_LABELS
    for code in (planning.CAPACITY, planning.STRUCK_OFF, planning.FAMILY_ON_FROZEN_FLIGHT, *ReasonCode):
        assert planning.reason_text(str(code)) == reasons.reason_label(str(code))
    assert plan_results.reason_text is planning.reason_text is dashboard.reason_text


def test_sentences_say_the_facts() -> None:
    assert _say(ReasonCode.NOT_IN_CUSTODY) == "not in custody: custody status is released"
    assert _say(ReasonCode.NO_FINAL_ORDER) == "the removal order is pending, not final"
    hold = _say(ReasonCode.LEGAL_HOLD)
    assert "court stay" in hold and "until 2027-03-01" in hold
    assert "leaves IAH on 2027-03-01 (local date)" in hold  # the local date, not the UTC 2027-03-02
    assert _say(ReasonCode.NATIONALITY_NOT_VERIFIED) == "CHN's verification is pending (asked 2026-10-01)"
    assert _say(ReasonCode.NATIONALITY_MISMATCH) == "nationality confirmed by HND (2026-09-02), not by CHN"
    document = _say(ReasonCode.NO_VALID_DOCUMENT)
    assert "valid to 2027-04-02" in document  # departure UTC date + 1 day + 30 days
    assert "passport issued by CHN expiring 2027-03-05 expires before 2027-04-02" in document
    reach = _say(ReasonCode.FACILITY_CANNOT_REACH)
    assert reach == (
        "facility FAC003 (Montgomery Processing Center, Conroe, TX) reaches LAX in 6 h and SFO in "
        "12.5 h, not the departure airport IAH"
    )
    assert (
        _say(ReasonCode.NO_MEDICAL_CAPACITY)
        == "needs a medical escort, and flight RF0001 has no medical slot"
    )
    notice = _say(ReasonCode.AFTER_NOTICE_CUTOFF)
    assert notice.startswith("CHN needs 14 days' notice: the cut-off was 2027-02-15 20:00 UTC\u221206:00")
    assert "CST" not in notice
    family = _say(ReasonCode.FAMILY_MEMBER_INELIGIBLE)
    assert "family FG01" in family and "A100000002 may not (legal hold)" in family


def test_sentence_variants() -> None:
    far = replace(PERSON, facility_transfer_hours={"IAH": 30.0}, documents=(), verifications=())
    facts = replace(FACTS, person=far, now=datetime(2027, 3, 1, 8, 0, tzinfo=UTC))
    assert _say(ReasonCode.FACILITY_CANNOT_REACH, facts).endswith(
        "needs 30 h to bring the person to IAH, but only 18 h remain before departure"
    )
    assert _say(ReasonCode.NO_VALID_DOCUMENT, facts).endswith("no travel document is recorded")
    assert "has given no answer" in _say(ReasonCode.NATIONALITY_NOT_VERIFIED, facts)
    assert "claims CHN" in _say(
        ReasonCode.NATIONALITY_MISMATCH, replace(facts, stop=replace(STOP, country="HND"))
    )
    nowhere = replace(FACTS, person=replace(PERSON, facility_transfer_hours={}), facility="")
    assert "no facility is recorded" in _say(ReasonCode.FACILITY_CANNOT_REACH, nowhere)
    open_ended = replace(FACTS, person=replace(PERSON, hold_until=None))
    assert "with no end date" in _say(ReasonCode.LEGAL_HOLD, open_ended)
    revoked = replace(PERSON, documents=(DocumentFacts("PASSPORT", "HND", date(2030, 1, 1), "REVOKED"),))
    assert "is revoked" in _say(ReasonCode.NO_VALID_DOCUMENT, replace(FACTS, person=revoked))
    assert "from IAH 2027-03-01 20:00 UTC\u221206:00" in FACTS.departure_text
    # East of UTC the UTC date is the earlier one, and the sentence says which date counts.
    shanghai = replace(FACTS, stop=replace(STOP, departure_airport="PVG"), zone="Asia/Shanghai")
    assert shanghai.stop.departure_timezone == "Asia/Shanghai"
    early = replace(
        shanghai, stop=replace(shanghai.stop, departure_utc=datetime(2027, 3, 1, 23, 0, tzinfo=UTC))
    )
    assert _say(ReasonCode.LEGAL_HOLD, early).endswith(
        "leaves PVG on 2027-03-02 (local date), 2027-03-01 in UTC (the earlier date counts)"
    )
