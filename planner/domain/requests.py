"""Requests to receiving states — pure rules shared by the request, response, status and window code.

A **request batch** asks one receiving state's authorities either to verify nationality
(``VERIFICATION``) or to issue travel documents (``TRAVEL_DOCUMENT``) for a list of people. Its
reference is ``<prefix>-<ISO3>-<year>-<number>`` (``VR-CHN-2026-0007``, ``TD-HTI-2027-0001``): the
prefix names the kind, the year is the year the batch was sent, the number counts from 1 per kind,
country and year. A response names the reference, which is how answers find their requests.

**Lead time** of an answered request: days from the batch's ``sent_on`` to the answer's date. The
**expected lead time** of a country and kind is the median of its answered requests once there are
at least ``MIN_HISTORY`` of them, else the country rule's ``lead_time_days`` (default 30). An OPEN
request is **overdue** when ``sent_on + expected lead time < today``.

The **request CSV** layout is configurable per country (``CountryRule.request_columns``): any of
``REQUEST_COLUMNS`` in any order, always with ``case_number`` and ``reference``.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntEnum

from planner.domain.enums import DocumentType, RequestKind, RequestOutcome

#: Reference prefixes per kind.
PREFIXES: dict[RequestKind, str] = {RequestKind.VERIFICATION: "VR", RequestKind.TRAVEL_DOCUMENT: "TD"}
KIND_OF_PREFIX: dict[str, RequestKind] = {prefix: kind for kind, prefix in PREFIXES.items()}
REFERENCE_PATTERN = re.compile(r"^(VR|TD)-([A-Z]{3})-(\d{4})-(\d{4,})$")

#: The expected lead time of a country without enough history and without a rule value.
DEFAULT_LEAD_TIME_DAYS = 30
#: Answered requests needed before their median replaces the rule's lead time.
MIN_HISTORY = 3

#: What each kind of request asks for, in words ("… for verification of nationality").
REQUEST_WORDS: dict[RequestKind, str] = {
    RequestKind.VERIFICATION: "verification of nationality",
    RequestKind.TRAVEL_DOCUMENT: "travel documents",
}
#: Outcomes that close a request, per kind.
CLOSING_OUTCOMES: dict[RequestKind, tuple[RequestOutcome, ...]] = {
    RequestKind.VERIFICATION: (RequestOutcome.CONFIRMED, RequestOutcome.NOT_CONFIRMED),
    RequestKind.TRAVEL_DOCUMENT: (RequestOutcome.ISSUED, RequestOutcome.REFUSED),
}
#: Outcomes that are an answer of the receiving state (lead-time history); WITHDRAWN is not.
ANSWERS = frozenset(
    {RequestOutcome.CONFIRMED, RequestOutcome.NOT_CONFIRMED, RequestOutcome.ISSUED, RequestOutcome.REFUSED}
)
#: Document types a country hands out on request (eTD-style): a country whose rule accepts one of
#: them "issues travel documents on request" and can be sent a travel-document batch.
ON_REQUEST_DOCUMENT_TYPES = frozenset(
    {
        DocumentType.TRAVEL_DOCUMENT.value,
        DocumentType.EMERGENCY_TRAVEL_DOCUMENT.value,
        DocumentType.LAISSEZ_PASSER.value,
    }
)


def issues_on_request(accepted_document_types: Iterable[str]) -> bool:
    """Whether a country accepting these document types issues travel documents on request."""
    return not ON_REQUEST_DOCUMENT_TYPES.isdisjoint(accepted_document_types)


#: Outcomes that are a yes.
POSITIVE = frozenset({RequestOutcome.CONFIRMED, RequestOutcome.ISSUED})


@dataclass(frozen=True)
class BatchReference:
    kind: RequestKind
    country: str
    year: int
    number: int

    def __str__(self) -> str:
        return format_reference(self.kind, self.country, self.year, self.number)


def format_reference(kind: RequestKind, country: str, year: int, number: int) -> str:
    """``VR-CHN-2026-0007``."""
    return f"{PREFIXES[kind]}-{country}-{year:04d}-{number:04d}"


def parse_reference(text: str) -> BatchReference | None:
    """The batch reference ``text`` names, or None when it is not one (a free list reference)."""
    match = REFERENCE_PATTERN.match(text.strip())
    if match is None:
        return None
    prefix, country, year, number = match.groups()
    return BatchReference(KIND_OF_PREFIX[prefix], country, int(year), int(number))


def looks_like_reference(text: str) -> bool:
    """Whether ``text`` starts like a batch reference (``VR-`` / ``TD-``), well formed or not."""
    return text.strip().upper().startswith(tuple(f"{p}-" for p in KIND_OF_PREFIX))


# ------------------------------------------------------------------------------ request CSV layout

#: Every column a request CSV may carry, with what it holds (help text for admins).
REQUEST_COLUMNS: dict[str, str] = {
    "case_number": "the office's case number (always present)",
    "reference": "the batch reference (always present)",
    "family_name": "family name, Latin script",
    "given_names": "given names, Latin script",
    "native_name": "name in the native script (e.g. Hanzi)",
    "sex": "M, F or X",
    "date_of_birth": "YYYY-MM-DD",
    "place_of_birth": "place of birth as recorded",
    "nationality": "the country asked (ISO 3166-1 alpha-3)",
    "document_type": "a document held, where known",
    "document_number": "its number",
    "document_issued": "its issue date",
    "document_expires": "its expiry date",
    "facility": "the facility holding the person (name)",
    "result": "left empty: the receiving state writes CONFIRMED or NOT_CONFIRMED",
    "verified_on": "left empty: the date of the answer",
    "authority": "left empty: the answering authority",
}
#: The default layout: everything the consulate needs to identify the person, then the answer
#: columns left empty, so a filled-in copy imports back as a response unchanged.
DEFAULT_REQUEST_COLUMNS: tuple[str, ...] = (
    "reference",
    "case_number",
    "family_name",
    "given_names",
    "native_name",
    "sex",
    "date_of_birth",
    "place_of_birth",
    "nationality",
    "document_type",
    "document_number",
    "result",
    "verified_on",
    "authority",
)
REQUIRED_REQUEST_COLUMNS = ("case_number", "reference")


def parse_request_columns(text: str) -> tuple[str, ...]:
    """The layout ``text`` names (``;`` or ``,`` separated; empty = the default layout).

    Raises ``ValueError`` with a one-line message for an unknown or repeated column or a missing
    required one.
    """
    names = [part.strip().lower() for part in re.split(r"[;,]", text) if part.strip()]
    if not names:
        return DEFAULT_REQUEST_COLUMNS
    unknown = [n for n in names if n not in REQUEST_COLUMNS]
    if unknown:
        raise ValueError(f"unknown request column {unknown[0]!r}; known: {', '.join(REQUEST_COLUMNS)}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"request column {repeated[0]!r} is named twice")
    missing = [n for n in REQUIRED_REQUEST_COLUMNS if n not in names]
    if missing:
        raise ValueError(f"the request columns must include {' and '.join(missing)}")
    return tuple(names)


def request_columns_text(columns: Sequence[str]) -> str:
    """What is stored: empty for the default layout, else the names joined by ``;``."""
    return "" if tuple(columns) == DEFAULT_REQUEST_COLUMNS else ";".join(columns)


# ------------------------------------------------------------------------------------ lead times


def lead_days(sent_on: date, answered_on: date) -> int:
    """Days from sending to the answer (0 when answered the same day)."""
    return (answered_on - sent_on).days


@dataclass(frozen=True)
class LeadTime:
    """The expected lead time of one country and kind, and where it came from."""

    days: int
    #: "history" (median of ``answered`` answers) or "rule" (the country rule's value).
    source: str
    answered: int
    median: float | None

    def describe(self) -> str:
        if self.source == "history":
            return f"{self.days} days (median of {self.answered} answers)"
        return f"{self.days} days (country rule; {self.answered} answers so far)"


def expected_lead_time(rule_days: int | None, answered_lead_days: Iterable[int]) -> LeadTime:
    """The median of the answered lead times once there are ``MIN_HISTORY``, else the rule's days.

    A fractional median rounds up (a forecast never promises earlier than history supports).
    """
    history = sorted(answered_lead_days)
    median = statistics.median(history) if history else None
    if median is not None and len(history) >= MIN_HISTORY:
        days = int(-(-median // 1))
        return LeadTime(days, "history", len(history), float(median))
    days = DEFAULT_LEAD_TIME_DAYS if rule_days is None else rule_days
    return LeadTime(days, "rule", len(history), None if median is None else float(median))


def due_on(sent_on: date, lead: int) -> date:
    """The date an answer is expected: ``sent_on + lead`` days."""
    return sent_on + timedelta(days=lead)


def is_overdue(sent_on: date, lead: int, today: date) -> bool:
    """An OPEN request is overdue once its expected answer date has passed (strictly)."""
    return due_on(sent_on, lead) < today


def days_overdue(sent_on: date, lead: int, today: date) -> int:
    """Days past the expected answer date (0 when not overdue)."""
    return max(0, (today - due_on(sent_on, lead)).days)


def expected_answer_on(sent_on: date, lead: int, today: date) -> date:
    """When an OPEN request's answer is expected: its due date, or today once overdue."""
    return max(due_on(sent_on, lead), today)


# ----------------------------------------------------------------------------------------- funnel


class FunnelStage(IntEnum):
    """How far a person claiming a country's nationality has come; each stage includes the next.

    A person's stage is the furthest one they reached (``funnel_stage``), so the funnel's counts —
    people at that stage *or beyond* — never grow from one stage to the next, and the people who
    stopped at each stage add up to everybody who claimed the nationality.
    """

    CLAIMED = 0
    REQUESTED = 1
    CONFIRMED = 2
    DOCUMENT_VALID = 3
    PLACED = 4
    FLOWN = 5

    @property
    def label(self) -> str:
        return FUNNEL_LABELS[self]


FUNNEL_LABELS: dict[FunnelStage, str] = {
    FunnelStage.CLAIMED: "claimed",
    FunnelStage.REQUESTED: "requested",
    FunnelStage.CONFIRMED: "confirmed",
    FunnelStage.DOCUMENT_VALID: "document valid",
    FunnelStage.PLACED: "placed",
    FunnelStage.FLOWN: "flown",
}


def funnel_stage(
    *, requested: bool, confirmed: bool, document_valid: bool, placed: bool, flown: bool
) -> FunnelStage:
    """The furthest stage one person reached.

    ``flown``: removed on a departed flight to the country. ``placed``: on the current plan to the
    country. ``document_valid``: confirmed and holding a valid accepted document the country issued.
    ``confirmed``: the latest verification for the country is CONFIRMED (or the country needs none).
    ``requested``: asked (an open or answered request) or any verification for the country on record.
    A later fact implies the earlier stages (a flown person was placed, confirmed …).
    """
    if flown:
        return FunnelStage.FLOWN
    if placed:
        return FunnelStage.PLACED
    if document_valid:
        return FunnelStage.DOCUMENT_VALID
    if confirmed:
        return FunnelStage.CONFIRMED
    if requested:
        return FunnelStage.REQUESTED
    return FunnelStage.CLAIMED


def funnel_counts(stages: Iterable[FunnelStage]) -> dict[FunnelStage, int]:
    """People at each stage or beyond (``counts[CLAIMED]`` = everybody)."""
    at = dict.fromkeys(FunnelStage, 0)
    for stage in stages:
        at[stage] += 1
    counts: dict[FunnelStage, int] = {}
    running = 0
    for stage in reversed(FunnelStage):
        running += at[stage]
        counts[stage] = running
    return {stage: counts[stage] for stage in FunnelStage}


def lead_time_histogram(days: Iterable[int], width: int = 7) -> list[tuple[int, int]]:
    """Lead times binned by ``width`` days: ``[(bin start, count), …]``, empty bins included."""
    values = list(days)
    if not values:
        return []
    top = max(0, *values) // width
    bins = [0] * (top + 1)
    for d in values:
        bins[max(0, d) // width] += 1
    return [(i * width, n) for i, n in enumerate(bins)]


__all__ = [
    "ANSWERS",
    "CLOSING_OUTCOMES",
    "DEFAULT_LEAD_TIME_DAYS",
    "DEFAULT_REQUEST_COLUMNS",
    "FUNNEL_LABELS",
    "KIND_OF_PREFIX",
    "MIN_HISTORY",
    "ON_REQUEST_DOCUMENT_TYPES",
    "POSITIVE",
    "PREFIXES",
    "REQUEST_COLUMNS",
    "REQUEST_WORDS",
    "REQUIRED_REQUEST_COLUMNS",
    "BatchReference",
    "FunnelStage",
    "LeadTime",
    "days_overdue",
    "due_on",
    "expected_answer_on",
    "expected_lead_time",
    "format_reference",
    "funnel_counts",
    "funnel_stage",
    "is_overdue",
    "issues_on_request",
    "lead_days",
    "lead_time_histogram",
    "looks_like_reference",
    "parse_reference",
    "parse_request_columns",
    "request_columns_text",
]
