"""The one table of reason texts: for every reason a person may stay off a flight (the
eligibility rules' codes and the planner's own), the short label shown in tables and lists, and
``reason_sentence(code, facts)``, the sentence with the facts (which facility, which airports it
reaches in how many hours, the departure airport and local time, the document's expiry and the
date it must be valid to, the hold's end date, the cut-off time, the verification state per
country, the family member who blocks). The command line, the window and the PDFs all word
reasons here.

Pure: no database, no I/O. The facts are ``planner.domain.eligibility``'s (person, stop, country
rule) plus the names a sentence needs (``ReasonFacts``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from planner.domain.eligibility import (
    REASON_TEXT,
    CountryRuleFacts,
    DocumentFacts,
    PersonFacts,
    StopFacts,
    departure_dates,
    minimum_expiry,
    notice_cutoff,
)
from planner.domain.enums import DocumentStatus, MedicalNeed, OrderStatus, ReasonCode, VerificationResult
from planner.domain.wording import (
    code_words,
    hours_text,
    join_words,
    local_date,
    local_time_text,
    plural,
)

#: The planner's own headline reasons (``planner.services.planning`` stores them).
CAPACITY = "CAPACITY"
NO_FLIGHT_TO_COUNTRY = "NO_FLIGHT_TO_COUNTRY"
FAMILY_ON_FROZEN_FLIGHT = "FAMILY_ON_FROZEN_FLIGHT"
INELIGIBLE_AT_EVERY_STOP = "INELIGIBLE_AT_EVERY_STOP"
STRUCK_OFF = "STRUCK_OFF"

_PLANNER_LABELS: dict[str, str] = {
    CAPACITY: "eligible, but every compatible flight is full (seats, escorts, slots or country cap)",
    NO_FLIGHT_TO_COUNTRY: "no planned flight goes to the person's country",
    FAMILY_ON_FROZEN_FLIGHT: "family is on a flight whose manifest is approved; reopen the flight for "
    "additions or strike the family off",
    INELIGIBLE_AT_EVERY_STOP: "ineligible at every stop for a combination of rules (see the explanation)",
    STRUCK_OFF: "struck off the only flight that could take them (see the struck-off report); planned "
    "again when another flight can",
}

#: Reason code -> the short label an officer reads in tables and lists (the eligibility rules'
#: own words, from their modules, plus the planner's).
REASON_LABELS: Mapping[str, str] = {**_PLANNER_LABELS, **REASON_TEXT}

#: Reason code -> a short label for narrow columns, pick-lists and lists of several reasons.
SHORT_LABELS: Mapping[str, str] = {
    ReasonCode.NOT_IN_CUSTODY.value: "not in custody",
    ReasonCode.NO_FINAL_ORDER.value: "no final removal order",
    ReasonCode.LEGAL_HOLD.value: "legal hold",
    ReasonCode.NATIONALITY_NOT_VERIFIED.value: "nationality not verified",
    ReasonCode.NATIONALITY_MISMATCH.value: "nationality confirmed by another country",
    ReasonCode.NO_VALID_DOCUMENT.value: "no valid travel document",
    ReasonCode.FACILITY_CANNOT_REACH.value: "facility cannot reach any pickup in time",
    ReasonCode.NO_MEDICAL_CAPACITY.value: "no medical slot",
    ReasonCode.NO_WHEELCHAIR_CAPACITY.value: "no wheelchair slot",
    ReasonCode.AFTER_NOTICE_CUTOFF.value: "notice cut-off passed",
    ReasonCode.FAMILY_MEMBER_INELIGIBLE.value: "family member may not travel",
    CAPACITY: "every compatible flight full",
    NO_FLIGHT_TO_COUNTRY: "no flight to the country",
    FAMILY_ON_FROZEN_FLIGHT: "family on an approved flight",
    INELIGIBLE_AT_EVERY_STOP: "ineligible at every stop",
    STRUCK_OFF: "struck off",
}

#: What a full flight ran out of (``solver.explain.Resource`` values) in words.
RESOURCE_WORDS: Mapping[str, str] = {
    "SEATS": "seats",
    "ESCORTS": "escort officers",
    "MEDICAL": "medical slots",
    "WHEELCHAIR": "wheelchair slots",
    "COUNTRY_CAP": "the receiving country's limit per flight",
}

#: Most airports a facility sentence lists.
MAX_AIRPORTS = 4


def reason_label(code: str) -> str:
    """The short label of ``code``; an unknown code spelled out in lower case."""
    return REASON_LABELS.get(str(code), code_words(str(code)))


def short_label(code: str) -> str:
    """The short label of ``code`` (its full label when it has none)."""
    return SHORT_LABELS.get(str(code)) or reason_label(code)


def resource_words(resource: str) -> str:
    """A binding resource in words (an unknown one spelled out)."""
    return RESOURCE_WORDS.get(resource, code_words(resource))


@dataclass(frozen=True)
class FamilyBlocker:
    """A family member who may not travel on the stop, and the rules that member fails."""

    case_number: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ReasonFacts:
    """Everything a reason sentence says about one person at one flight stop: the rules' facts
    plus names. ``zone``: IANA zone of the departure airport (None: shown in UTC); ``facility``:
    the person's facility as "CODE (name)" ("" when none is recorded); ``now``: the moment the
    verdict was made (for the transfer time left)."""

    person: PersonFacts
    stop: StopFacts
    rule: CountryRuleFacts
    now: datetime | None = None
    flight_code: str = ""
    zone: str | None = None
    facility: str = ""
    family_blockers: tuple[FamilyBlocker, ...] = field(default=())

    def __post_init__(self) -> None:
        # The rules read local dates from the stop's own zone: give it the zone named here.
        if self.zone and self.zone != self.stop.departure_timezone:
            object.__setattr__(self, "stop", replace(self.stop, departure_timezone=self.zone))
        elif not self.zone:
            object.__setattr__(self, "zone", self.stop.departure_timezone)

    @property
    def departure_text(self) -> str:
        """``"RF0002 from PEK 2027-03-01 20:00 UTC+08:00"``."""
        flight = f"{self.flight_code} " if self.flight_code else ""
        return f"{flight}from {self.stop.departure_airport} {self.local(self.stop.departure_utc)}"

    def local(self, moment: datetime) -> str:
        return local_time_text(moment, self.zone)


def _custody(f: ReasonFacts) -> str:
    return f"not in custody: custody status is {code_words(f.person.custody_status)}"


def _final_order(f: ReasonFacts) -> str:
    if f.person.order_status == OrderStatus.NONE:
        return "no removal order is recorded (a final order is required)"
    return f"the removal order is {code_words(f.person.order_status)}, not final"


def _legal_hold(f: ReasonFacts) -> str:
    reason = (f.person.legal_hold_reason or "").strip()
    local, earliest = local_date(f.stop.departure_utc, f.zone), departure_dates(f.stop)[0]
    flight = f"the flight leaves {f.stop.departure_airport} on {local:%Y-%m-%d} (local date)"
    if earliest != local:
        flight += f", {earliest:%Y-%m-%d} in UTC (the earlier date counts)"
    if f.person.hold_until is None:
        return f"legal hold ({reason}) with no end date; {flight}"
    return f"legal hold ({reason}) in force until {f.person.hold_until:%Y-%m-%d}; {flight}"


def verification_state(person: PersonFacts) -> str:
    """Each country's latest verification: ``"HND confirmed 2026-09-02; NIC not confirmed …"``."""
    latest = person.latest_verifications()
    if not latest:
        return "no verification recorded"
    return "; ".join(
        f"{country} {code_words(v.result)} {v.verified_on:%Y-%m-%d}" for country, v in sorted(latest.items())
    )


def _not_verified(f: ReasonFacts) -> str:
    country = f.stop.country
    latest = f.person.latest_verifications().get(country)
    if latest is None:
        return f"{country} requires verification and has given no answer (none recorded)"
    if latest.result == VerificationResult.PENDING:
        return f"{country}'s verification is pending (asked {latest.verified_on:%Y-%m-%d})"
    return f"{country} answered {code_words(latest.result)} on {latest.verified_on:%Y-%m-%d}"


def _mismatch(f: ReasonFacts) -> str:
    country = f.stop.country
    latest = f.person.latest_verifications()
    confirmed = sorted(f.person.confirmed_nationalities())
    mine = latest.get(country)
    if confirmed:
        by = join_words(f"{c} ({latest[c].verified_on:%Y-%m-%d})" for c in confirmed)
        return f"nationality confirmed by {by}, not by {country}"
    if mine is not None and mine.result == VerificationResult.NOT_CONFIRMED:
        return f"{country} answered not confirmed on {mine.verified_on:%Y-%m-%d}"
    return f"claims {f.person.nationality or 'no nationality'}, and the stop is in {country}"


def _document_problem(doc: DocumentFacts, f: ReasonFacts, needed: str) -> str:
    what = f"{code_words(doc.doc_type)} issued by {doc.issuing_country} expiring {doc.expires_on:%Y-%m-%d}"
    if doc.status != DocumentStatus.VALID:
        return f"{what} is {code_words(doc.status)}"
    if doc.issuing_country != f.rule.country:
        return f"{what} is not a {f.rule.country} document"
    if doc.doc_type not in f.rule.accepted_document_types:
        return f"{what} is of a type {f.rule.country} does not accept"
    return f"{what} expires before {needed}"


def _document(f: ReasonFacts) -> str:
    needed = minimum_expiry(f.stop, f.rule)
    types = join_words(sorted(code_words(t) for t in f.rule.accepted_document_types), "or") or "none"
    head = (
        f"no valid {f.rule.country} document ({types}) valid to {needed:%Y-%m-%d} "
        f"(arrival, taken as the day after departure{_plus_days(f.rule.min_validity_days)})"
    )
    if not f.person.documents:
        return f"{head}; no travel document is recorded"
    problems = [_document_problem(doc, f, f"{needed:%Y-%m-%d}") for doc in f.person.documents]
    return f"{head}; {'; '.join(problems)}"


def _plus_days(days: int) -> str:
    return f", + {plural(days, 'day')}" if days else ""


def _pickups_reach(f: ReasonFacts) -> str:
    """Rule 7 on a flight with several pickups: every pickup with its time, then why each fails."""
    hours = f.person.facility_transfer_hours
    pickups = f.stop.route_pickups
    listed = ", ".join(f"{p.airport} {local_time_text(p.departure_utc, p.timezone or None)}" for p in pickups)
    if not f.facility and not hours:
        return f"no facility is recorded, so nobody can bring the person to any pickup ({listed})"
    name = f"facility {f.facility}" if f.facility else "the person's facility"
    why = []
    for p in pickups:
        if p.airport not in hours:
            why.append(f"no transfer to {p.airport}")
            continue
        left = ""
        if f.now is not None:
            remaining = (p.departure_utc - f.now).total_seconds() / 3600
            left = f", {hours_text(max(0.0, round(remaining, 1)))} left"
        why.append(f"{p.airport} needs {hours_text(hours[p.airport])}{left}")
    return f"{name} cannot bring the person to any pickup in time ({listed}): {'; '.join(why)}"


def _facility_reach(f: ReasonFacts) -> str:
    if f.stop.has_several_pickups:
        return _pickups_reach(f)
    hours = f.person.facility_transfer_hours
    airport = f.stop.departure_airport
    if not f.facility and not hours:
        return f"no facility is recorded, so nobody can bring the person to {airport}"
    name = f"facility {f.facility}" if f.facility else "the person's facility"
    if airport not in hours:
        nearest = sorted(hours.items(), key=lambda item: (item[1], item[0]))[:MAX_AIRPORTS]
        reaches = join_words(f"{code} in {hours_text(h)}" for code, h in nearest) or "no airport"
        return f"{name} reaches {reaches}, not the departure airport {airport}"
    needed = hours[airport]
    left = ""
    if f.now is not None:
        remaining = (f.stop.departure_utc - f.now).total_seconds() / 3600
        left = f", but only {hours_text(max(0.0, round(remaining, 1)))} remain before departure"
    return f"{name} needs {hours_text(needed)} to bring the person to {airport}{left}"


def _medical(f: ReasonFacts) -> str:
    return f"needs a medical escort, and flight {f.flight_code or f.stop.flight_id} has no medical slot"


def _wheelchair(f: ReasonFacts) -> str:
    return f"needs a wheelchair slot, and flight {f.flight_code or f.stop.flight_id} has none"


def _notice(f: ReasonFacts) -> str:
    cutoff = notice_cutoff(f.stop, f.rule)
    if f.rule.notice_days == 0:
        return f"{f.rule.country} needs no notice, and the departure time {f.local(cutoff)} has passed"
    return (
        f"{f.rule.country} needs {plural(f.rule.notice_days, 'day')}' notice: the cut-off was "
        f"{f.local(cutoff)} (departure local time)"
    )


def _family(f: ReasonFacts) -> str:
    group = f"family {f.person.family_group}" if f.person.family_group else "the family"
    if not f.family_blockers:
        return f"a member of {group} may not travel on this flight"
    members = "; ".join(
        f"{b.case_number} may not ({join_words(short_label(r) for r in b.reasons)})"
        for b in f.family_blockers
    )
    return f"{group} travels together, and {members}"


_SENTENCES: Mapping[str, Callable[[ReasonFacts], str]] = {
    ReasonCode.NOT_IN_CUSTODY.value: _custody,
    ReasonCode.NO_FINAL_ORDER.value: _final_order,
    ReasonCode.LEGAL_HOLD.value: _legal_hold,
    ReasonCode.NATIONALITY_NOT_VERIFIED.value: _not_verified,
    ReasonCode.NATIONALITY_MISMATCH.value: _mismatch,
    ReasonCode.NO_VALID_DOCUMENT.value: _document,
    ReasonCode.FACILITY_CANNOT_REACH.value: _facility_reach,
    ReasonCode.NO_MEDICAL_CAPACITY.value: _medical,
    ReasonCode.NO_WHEELCHAIR_CAPACITY.value: _wheelchair,
    ReasonCode.AFTER_NOTICE_CUTOFF.value: _notice,
    ReasonCode.FAMILY_MEMBER_INELIGIBLE.value: _family,
}


def reason_sentence(code: str, facts: ReasonFacts) -> str:
    """The reason ``code`` said with the facts of ``facts``; a code without a sentence of its own
    gets its label."""
    sentence = _SENTENCES.get(str(code))
    return sentence(facts) if sentence is not None else reason_label(code)


def has_sentence(code: str) -> bool:
    """Whether ``code`` has a sentence with facts (every eligibility rule must)."""
    return str(code) in _SENTENCES


def needs_text(need: str) -> str:
    """A medical need in words ("none" for NONE)."""
    return "none" if need == MedicalNeed.NONE else code_words(need)


__all__ = [
    "CAPACITY",
    "FAMILY_ON_FROZEN_FLIGHT",
    "INELIGIBLE_AT_EVERY_STOP",
    "NO_FLIGHT_TO_COUNTRY",
    "REASON_LABELS",
    "RESOURCE_WORDS",
    "SHORT_LABELS",
    "STRUCK_OFF",
    "FamilyBlocker",
    "ReasonFacts",
    "has_sentence",
    "needs_text",
    "reason_label",
    "reason_sentence",
    "resource_words",
    "short_label",
    "verification_state",
]
