"""Receiving-country rules as admins maintain them: list, save, delete, and the impact of a change on
the manifests already sent.

- :func:`list_rules` (officer+): every stored rule with its version; with ``include_default`` also
  every other ISO 3166 country, on the conservative default rule (``planner.services.reference``).
- :func:`save_rule` (admin): create or update one rule. The fields are parsed by ``RULE_COLUMNS``,
  the same columns ``import country-rules`` reads, so the editor and the file accept the same
  values: an ISO 3166-1 alpha-3 country, document types of ``DocumentType``, whole numbers in
  range. Optimistic locking on ``expected_version`` (``None``/0: the country has no rule yet).
  Audited ``country_rule.create`` / ``country_rule.update`` with ``{field: [old, new]}``; commits.
- :func:`delete_rule` (admin): the country goes back to the default rule; audited
  ``country_rule.delete``; commits.
- :func:`rule_impact` (a read): the people on approved or signed manifests (the newest revision in
  force of each PLANNED flight) who would no longer be fit to fly under proposed rules — the
  manifest re-check (:func:`planner.services.manifests.recheck.unfit_listed`) run with the
  proposed rules, so no rule is implemented twice — and the stops whose listed people would exceed
  a proposed cap per flight. ``save_rule`` / ``delete_rule`` refuse a change with impact
  (:class:`RuleImpactRefused`, a ``Conflict``; nothing saved) unless ``accept_impact`` is given,
  and then record the impact in the audit event.
- :func:`rule_versions`: ``{country: version | "default"}`` (what a plan run records).

Some fields do not touch eligibility and so never need an impact check (``KEPT_WHEN_ABSENT``):
``lead_time_days`` (days the country is expected to take to answer a request, 1–365, default
``planner.domain.requests.DEFAULT_LEAD_TIME_DAYS``), ``request_columns`` (the request CSV's layout,
``parse_request_columns``; stored ``request_columns_text``, empty = the default layout) and the
mission limits the scheduler reads (issue 17; text forms of :mod:`planner.domain.missions`):
``region`` (countries of one region may share a mission; empty: alone), ``max_missions_per_week``
(1 or more; empty: no limit), ``arrival_weekdays`` (``MON;WED``; empty: every day) and
``arrival_airports`` (``GUA;SAP``; empty: every airport of the country). An arrival airport must be
known (the database, then the shipped world table) and in the rule's country
(:func:`arrival_airport_problems`); a dataset airport named there is copied into the database,
audited, as when a flight names one. ``save_rule`` values without one of these keys keep the
stored value (the default for a new rule).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from planner.domain import fields as f
from planner.domain.countries import all_countries, country_name
from planner.domain.eligibility import CountryRuleFacts, reason_label
from planner.domain.enums import DocumentType, FlightStatus, Role
from planner.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion
from planner.domain.missions import (
    check_missions_per_week,
    check_region,
    format_airports,
    format_weekdays,
    parse_airports,
    parse_weekdays,
)
from planner.domain.requests import (
    DEFAULT_LEAD_TIME_DAYS,
    REQUEST_COLUMNS,
    parse_request_columns,
    request_columns_text,
)
from planner.domain.wording import plural
from planner.persistence import audit
from planner.persistence.models import CountryRule, Flight, FlightStop, Manifest, Person, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services.airports import AirportCatalog
from planner.services.auth import Actor, authorize
from planner.services.manifests.content import content_from_json
from planner.services.manifests.recheck import ListedAt, unfit_listed
from planner.services.manifests.revisions import IN_FORCE
from planner.services.reference import (
    DEFAULT_API_DEADLINE_MINUTES,
    DEFAULT_VERSION,
    default_country_rule,
    default_notice_days,
    rule_facts,
    rule_versions,
)

log = logging.getLogger(__name__)

ENTITY = "country_rule"
MAX_VALIDITY_DAYS = 3650
MAX_PER_FLIGHT = 10_000
MAX_NOTICE_DAYS = 365
MAX_API_DEADLINE_MINUTES = 7 * 24 * 60
MAX_LEAD_TIME_DAYS = 365
#: Most missions per week a rule may name (a limit above this is no limit in practice).
MAX_MISSIONS_PER_WEEK = 100
#: The stored fields a change compares and audits, in display order.
RULE_FIELDS = (
    "name",
    "verification_required",
    "accepted_document_types",
    "min_validity_days",
    "max_per_flight",
    "notice_days",
    "api_deadline_minutes",
    "lead_time_days",
    "request_columns",
    "region",
    "max_missions_per_week",
    "arrival_weekdays",
    "arrival_airports",
)
#: The receiving state's mission limits (issue 17), read by the mission scheduler.
MISSION_FIELDS = ("region", "max_missions_per_week", "arrival_weekdays", "arrival_airports")
#: Fields that do not affect eligibility; a ``save_rule`` call or a file without them keeps the
#: stored values (the defaults for a new rule), and a change of only these needs no impact check.
KEPT_WHEN_ABSENT = ("lead_time_days", "request_columns", *MISSION_FIELDS)
#: Impact lines shown in a refusal's one line.
IMPACT_EXAMPLES = 3
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_DOCUMENT = f.enum(DocumentType)


def _boolean(value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise f.FieldError(f"{f.show(value)} is not true or false")


def _documents(value: str) -> str:
    """``PASSPORT;TRAVEL_DOCUMENT`` (``;`` or ``,``) -> the stored comma-separated form."""
    found: list[str] = []
    for item in (part.strip() for part in value.replace(",", ";").split(";")):
        if not item:
            continue
        document = _DOCUMENT(item)
        if document in found:
            raise f.FieldError(f"document type {document} is listed twice")
        found.append(document)
    if not found:
        raise f.FieldError("name at least one document type")
    return ",".join(found)


def _request_columns(value: str) -> str:
    """A request CSV layout (``;`` or ``,`` separated) -> its stored text (empty: the default)."""
    try:
        return request_columns_text(parse_request_columns(value))
    except ValueError as exc:
        raise f.FieldError(str(exc)) from None


def _region(value: str) -> str:
    try:
        return check_region(value)
    except ValueError as exc:
        raise f.FieldError(str(exc)) from None


def _missions_per_week(value: str) -> int:
    """A whole number, 1 or more (the one-line message of ``check_missions_per_week`` otherwise)."""
    number = f.integer(-(10**9), 10**9)(value)
    try:
        check_missions_per_week(number)
    except ValueError as exc:
        raise f.FieldError(str(exc)) from None
    if number > MAX_MISSIONS_PER_WEEK:
        raise f.FieldError(f"{number} is more than {MAX_MISSIONS_PER_WEEK} missions per week")
    return number


def _weekdays(value: str) -> str:
    """``MON;WED`` (any case, ``;`` or ``,``) -> its stored form (every day: empty)."""
    try:
        return format_weekdays(parse_weekdays(value))
    except ValueError as exc:
        raise f.FieldError(str(exc)) from None


def _airport_codes(value: str) -> str:
    """``GUA;SAP`` -> its stored form (upper case, duplicates dropped); whether each airport is
    known and in the country needs the database: :func:`arrival_airport_problems`."""
    try:
        return format_airports(parse_airports(value))
    except ValueError as exc:
        raise f.FieldError(str(exc)) from None


#: The fields of a rule, as the editor and ``import country-rules`` read them (text per column).
RULE_COLUMNS: tuple[f.Column, ...] = (
    f.Column("country", f.country, max_length=3),
    f.Column("name", required=False, max_length=100),
    f.Column("verification_required", _boolean, max_length=5),
    f.Column("accepted_document_types", _documents, max_length=200),
    f.Column("min_validity_days", f.integer(0, MAX_VALIDITY_DAYS), required=False, max_length=6),
    f.Column("max_per_flight", f.integer(1, MAX_PER_FLIGHT), required=False, max_length=6),
    f.Column("notice_days", f.integer(0, MAX_NOTICE_DAYS), max_length=4),
    f.Column("api_deadline_minutes", f.integer(0, MAX_API_DEADLINE_MINUTES), required=False, max_length=6),
    f.Column(
        "lead_time_days", f.integer(1, MAX_LEAD_TIME_DAYS), required=False, max_length=4, optional_column=True
    ),
    f.Column("request_columns", _request_columns, required=False, max_length=500, optional_column=True),
    f.Column("region", _region, required=False, max_length=40, optional_column=True),
    f.Column("max_missions_per_week", _missions_per_week, required=False, max_length=6, optional_column=True),
    f.Column("arrival_weekdays", _weekdays, required=False, max_length=40, optional_column=True),
    f.Column("arrival_airports", _airport_codes, required=False, max_length=200, optional_column=True),
)
#: What each field means (the editor's help text, ``rules list``).
FIELD_HELP: dict[str, str] = {
    "country": "ISO 3166-1 alpha-3 code of the receiving country, e.g. HTI",
    "name": "the country's name as shown (empty: the ISO name)",
    "verification_required": "the country must confirm a person's nationality before they fly",
    "accepted_document_types": "travel documents the country accepts, separated by ';': "
    + ", ".join(d.value for d in DocumentType),
    "min_validity_days": "days a document must stay valid after arrival (0–3650)",
    "max_per_flight": f"most people the country takes per flight (empty: no cap; 1–{MAX_PER_FLIGHT})",
    "notice_days": "days before departure the country must have the manifest (0–365)",
    "api_deadline_minutes": "minutes before arrival the country must have the API data (PAXLST); "
    f"empty: {DEFAULT_API_DEADLINE_MINUTES} (24 h)",
    "lead_time_days": "days the country is expected to take to answer a verification or travel-document "
    f"request (1–{MAX_LEAD_TIME_DAYS}; empty: {DEFAULT_LEAD_TIME_DAYS}); once 3 requests are answered "
    "their median is used instead",
    "request_columns": "columns of the request CSV sent to the country, in order, separated by ';' "
    "(empty: the default layout; case_number and reference always): " + ", ".join(REQUEST_COLUMNS),
    "region": "mission scheduling: countries of one region may share a mission, e.g. Central America "
    "(empty: the country's missions stop nowhere else)",
    "max_missions_per_week": "mission scheduling: most missions the country accepts per week "
    f"(1–{MAX_MISSIONS_PER_WEEK}; empty: no limit)",
    "arrival_weekdays": "mission scheduling: weekdays on which arrivals are accepted (local date), "
    "separated by ';', e.g. TUE;THU (empty: every day)",
    "arrival_airports": "mission scheduling: accepted arrival airports, IATA codes of the country "
    "separated by ';', e.g. SAP;XPL (empty: every airport of the country)",
}


@dataclass(frozen=True)
class RuleRow:
    """One country's rule as listed; ``version`` is ``DEFAULT_VERSION`` ("default") for a country
    on the default rule (then ``stored`` is false)."""

    country: str
    name: str
    verification_required: bool
    accepted_document_types: tuple[str, ...]
    min_validity_days: int
    max_per_flight: int | None
    notice_days: int
    api_deadline_minutes: int
    version: int | str
    stored: bool = True
    lead_time_days: int = DEFAULT_LEAD_TIME_DAYS
    #: Stored layout text: empty = the default layout (``request_layout`` gives the columns).
    request_columns: str = ""
    #: Mission limits in their stored text (``planner.domain.missions``): empty = no restriction.
    region: str = ""
    max_missions_per_week: int | None = None
    arrival_weekdays: str = ""
    arrival_airports: str = ""

    @property
    def documents_text(self) -> str:
        return ";".join(self.accepted_document_types)

    @property
    def request_layout(self) -> tuple[str, ...]:
        """The request CSV's columns, in order (the default layout when none is stored)."""
        return parse_request_columns(self.request_columns)

    @property
    def version_number(self) -> int:
        """The version to send back as ``expected_version`` (0 for the default)."""
        return self.version if isinstance(self.version, int) else 0

    def facts(self) -> CountryRuleFacts:
        return CountryRuleFacts(
            self.country,
            self.verification_required,
            frozenset(self.accepted_document_types),
            self.min_validity_days,
            self.max_per_flight,
            self.notice_days,
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain values (``rules list --json``)."""
        return {
            "country": self.country,
            "name": self.name,
            "verification_required": self.verification_required,
            "accepted_document_types": list(self.accepted_document_types),
            "min_validity_days": self.min_validity_days,
            "max_per_flight": self.max_per_flight,
            "notice_days": self.notice_days,
            "api_deadline_minutes": self.api_deadline_minutes,
            "lead_time_days": self.lead_time_days,
            "request_columns": list(self.request_layout),
            "region": self.region,
            "max_missions_per_week": self.max_missions_per_week,
            "arrival_weekdays": [d for d in self.arrival_weekdays.split(";") if d],
            "arrival_airports": list(parse_airports(self.arrival_airports)),
            "version": self.version,
        }


@dataclass(frozen=True)
class Impact:
    """One consequence of a proposed rule change for a manifest in force: ``case_number`` listed on
    ``flight_code`` at a stop in ``country`` would no longer be fit to fly for ``reason`` (words);
    ``case_number`` is "" for a cap that the stop's listed people would exceed."""

    flight_code: str
    case_number: str
    country: str
    reason: str

    def line(self) -> str:
        who = self.case_number or "the stop"
        return f"{who} on {self.flight_code} ({self.country}): {self.reason}"


class RuleImpactRefused(Conflict):
    """A rule change would make people on approved manifests ineligible; nothing was saved.
    ``impact`` lists them; ``details`` are their lines (the command line prints them)."""

    def __init__(self, message: str, impact: Sequence[Impact]) -> None:
        super().__init__(message)
        self.impact = tuple(impact)
        self.details = [i.line() for i in impact]


def _row(rule: CountryRule) -> RuleRow:
    return RuleRow(
        country=rule.country,
        name=rule.name,
        verification_required=bool(rule.verification_required),
        accepted_document_types=tuple(t for t in (rule.accepted_document_types or "").split(",") if t),
        min_validity_days=int(rule.min_validity_days or 0),
        max_per_flight=rule.max_per_flight,
        notice_days=int(rule.notice_days or 0),
        api_deadline_minutes=int(rule.api_deadline_minutes),
        version=int(rule.version) if rule.version else DEFAULT_VERSION,
        stored=bool(rule.version),
        lead_time_days=int(rule.lead_time_days or DEFAULT_LEAD_TIME_DAYS),
        request_columns=rule.request_columns or "",
        region=rule.region or "",
        max_missions_per_week=rule.max_missions_per_week,
        arrival_weekdays=rule.arrival_weekdays or "",
        arrival_airports=rule.arrival_airports or "",
    )


def stored_values(rule: CountryRule) -> dict[str, Any]:
    """The audited fields of a stored rule (``RULE_FIELDS``)."""
    return {key: getattr(rule, key) for key in RULE_FIELDS}


# ---------------------------------------------------------------- reads


def list_rules(uow: UnitOfWork, actor: Actor, include_default: bool = False) -> list[RuleRow]:
    """Officer and above: every stored rule (by country); with ``include_default`` also every other
    ISO 3166 country on the default rule (``version`` "default")."""
    authorize(uow, actor, Role.OFFICER, "country_rule.list")
    stored = {r.country: r for r in uow.session.execute(sa.select(CountryRule)).scalars()}
    rows = {code: _row(rule) for code, rule in stored.items()}
    if include_default:
        default = _row(default_country_rule("", default_notice_days(r.notice_days for r in stored.values())))
        for code, name in all_countries():
            if code not in rows:
                rows[code] = dataclasses.replace(default, country=code, name=name)
    return [rows[code] for code in sorted(rows)]


def get_rule(uow: UnitOfWork, actor: Actor, country: str) -> RuleRow:
    """Officer and above: ``country``'s rule, stored or the default."""
    authorize(uow, actor, Role.OFFICER, "country_rule.read")
    code = _country(country)
    stored = uow.session.get(CountryRule, code)
    if stored is not None:
        return _row(stored)
    notice = default_notice_days(uow.session.execute(sa.select(CountryRule.notice_days)).scalars())
    return _row(default_country_rule(code, notice))


# ---------------------------------------------------------------- parsing


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ";".join(str(v) for v in value)
    return str(value)


def normalise(parsed: Mapping[str, Any]) -> dict[str, Any]:
    """Parsed ``RULE_COLUMNS`` values -> stored values (defaults for the empty optional fields;
    callers keep the stored ``KEPT_WHEN_ABSENT`` fields themselves when their input lacks them)."""
    code = parsed["country"]
    return {
        "name": parsed.get("name") or country_name(code),
        "verification_required": bool(parsed["verification_required"]),
        "accepted_document_types": parsed["accepted_document_types"],
        "min_validity_days": parsed.get("min_validity_days") or 0,
        "max_per_flight": parsed.get("max_per_flight"),
        "notice_days": parsed["notice_days"],
        "api_deadline_minutes": (
            DEFAULT_API_DEADLINE_MINUTES
            if parsed.get("api_deadline_minutes") is None
            else parsed["api_deadline_minutes"]
        ),
        "lead_time_days": parsed.get("lead_time_days") or DEFAULT_LEAD_TIME_DAYS,
        "request_columns": parsed.get("request_columns") or "",
        "region": parsed.get("region") or "",
        "max_missions_per_week": parsed.get("max_missions_per_week"),
        "arrival_weekdays": parsed.get("arrival_weekdays") or "",
        "arrival_airports": parsed.get("arrival_airports") or "",
    }


def parse_rule(values: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(country, stored values)`` from ``values`` (typed or text per ``RULE_COLUMNS`` name);
    ``InvalidInput`` (one line, every problem) when a field is invalid."""
    raw = {name: _text(value) for name, value in values.items()}
    unknown = sorted(set(raw) - {c.name for c in RULE_COLUMNS})
    if unknown:
        raise InvalidInput(f"unknown country rule field {', '.join(unknown)}")
    parsed, problems = f.parse_fields(raw, RULE_COLUMNS)
    if problems:
        raise InvalidInput(f"country rule not saved: {'; '.join(problems)}", problems)
    return parsed["country"], normalise(parsed)


def arrival_airport_problems(catalog: AirportCatalog, country: str, airports: str) -> list[str]:
    """One line per code of ``airports`` (stored form, ``GUA;SAP``) that is not a known airport
    (naming the closest known codes) or not in ``country``; empty when all are fine."""
    problems = []
    for code in parse_airports(airports):
        try:
            catalog.parse(code)
        except f.FieldError as exc:
            problems.append(str(exc))
            continue
        info = catalog.get(code)
        if info is not None and info.country != country:
            problems.append(f"airport {code} ({info.city}) is in {info.country}, not {country}")
    return problems


def facts_of(country: str, values: Mapping[str, Any]) -> CountryRuleFacts:
    """Eligibility facts of stored ``values`` (``normalise``) of ``country``."""
    return CountryRuleFacts.from_model(CountryRule(country=country, **values))


def _country(value: str) -> str:
    try:
        return f.country(value.strip())
    except f.FieldError as exc:
        raise InvalidInput(str(exc)) from None


# ---------------------------------------------------------------- impact


def _in_force(uow: UnitOfWork) -> list[tuple[Flight, Manifest]]:
    """The newest APPROVED/SIGNED revision of each PLANNED flight, with the flight."""
    newest: dict[int, Manifest] = {}
    for m in uow.session.execute(sa.select(Manifest).where(Manifest.status.in_(IN_FORCE))).scalars():
        if m.flight_id not in newest or m.revision > newest[m.flight_id].revision:
            newest[m.flight_id] = m
    if not newest:
        return []
    flights = {
        fl.id: fl
        for fl in uow.session.execute(
            sa.select(Flight).where(Flight.id.in_(list(newest)), Flight.status == FlightStatus.PLANNED.value)
        ).scalars()
    }
    return sorted(((flights[fid], m) for fid, m in newest.items() if fid in flights), key=lambda p: p[0].code)


def rule_impact(
    uow: UnitOfWork, new_rules: Mapping[str, CountryRuleFacts], *, now: datetime | None = None
) -> list[Impact]:
    """What ``new_rules`` (proposed facts by country; a deleted rule: its default) would do to the
    manifests in force: each person listed at a stop of a changed country who passes the manifest
    re-check under the stored rules but fails it under the proposed ones (with the newly failed
    rules in words), and each stop whose listed people would exceed a proposed cap. A read: no
    role check, nothing written."""
    if not new_rules:
        return []
    now = now or utc_now()
    impact: list[Impact] = []
    for flight, manifest in _in_force(uow):
        impact += _flight_impact(uow, flight, manifest, new_rules, now)
    return impact


def _flight_impact(
    uow: UnitOfWork,
    flight: Flight,
    manifest: Manifest,
    new_rules: Mapping[str, CountryRuleFacts],
    now: datetime,
) -> list[Impact]:
    """:func:`rule_impact` of one flight's manifest in force."""
    stops = [s for s in content_from_json(manifest.content_json).stops if s.country in new_rules and s.rows]
    if not stops:
        return []
    cases = sorted({row.case_number for s in stops for row in s.rows})
    person_of = dict(
        uow.session.execute(
            sa.select(Person.case_number, Person.id).where(Person.case_number.in_(cases))
        ).all()
    )
    stop_ids = dict(
        uow.session.execute(
            sa.select(FlightStop.sequence, FlightStop.id).where(FlightStop.flight_id == flight.id)
        ).all()
    )
    listed = [
        ListedAt(person_of[row.case_number], stop_ids.get(s.sequence, 0), s.country)
        for s in stops
        for row in s.rows
        if row.case_number in person_of
    ]
    current = rule_facts(uow, {s.country for s in stops})
    proposed = {**current, **new_rules}
    after = unfit_listed(uow, flight, listed, now, proposed)
    before = unfit_listed(uow, flight, listed, now, current) if after else {}
    case_of = {pid: case for case, pid in person_of.items()}
    country_of = {e.person_id: e.country for e in listed}
    impact: list[Impact] = []
    for pid, unfit in sorted(after.items(), key=lambda item: case_of[item[0]]):
        old = set(before[pid].reasons) if pid in before else set()
        added = [reason_label(r) for r in unfit.reasons if r not in old]
        if added:
            impact.append(Impact(flight.code, case_of[pid], country_of[pid], ", ".join(added)))
    per_country: dict[str, int] = defaultdict(int)
    for s in stops:
        per_country[s.country] += len(s.rows)
    for country, count in sorted(per_country.items()):
        cap, old_cap = proposed[country].max_per_flight, current[country].max_per_flight
        if cap is not None and count > cap and (old_cap is None or count <= old_cap):
            impact.append(
                Impact(
                    flight.code,
                    "",
                    country,
                    f"{plural(count, 'person')} listed for {country}, more than the new cap of {cap} per flight",
                )
            )
    return impact


def impact_message(country: str, impact: Sequence[Impact], action: str = "the change") -> str:
    """One line: how many people ``action`` would make ineligible, with a few examples."""
    people = sum(1 for i in impact if i.case_number)
    caps = len(impact) - people
    parts = []
    if people:
        parts.append(f"{plural(people, 'person')} on approved manifests would become ineligible")
    if caps:
        parts.append(f"{plural(caps, 'stop')} would exceed the new cap")
    examples = "; ".join(i.line() for i in impact[:IMPACT_EXAMPLES])
    more = f"; … and {len(impact) - IMPACT_EXAMPLES} more" if len(impact) > IMPACT_EXAMPLES else ""
    return (
        f"{action} of the {country} rule was not saved: {' and '.join(parts)} ({examples}{more}); "
        "confirm to save it anyway"
    )


# ---------------------------------------------------------------- writes


def _stale(uow: UnitOfWork, country: str, current: int, expected: int | None) -> StaleVersion:
    who = audit.last_change(uow, ENTITY, country)
    if current == 0:
        return StaleVersion(f"the {country} rule was deleted by {who} since you read it: read it again")
    if not expected:
        return StaleVersion(
            f"{country} has a rule now (version {current}, by {who}): read it again before saving"
        )
    return StaleVersion(
        f"the {country} rule was changed by {who} since you read it (version {current}, yours "
        f"{expected}): read it again"
    )


def save_rule(
    uow: UnitOfWork,
    actor: Actor,
    values: Mapping[str, Any],
    expected_version: int | None,
    *,
    accept_impact: bool = False,
    now: datetime | None = None,
) -> RuleRow:
    """Admin: create (``expected_version`` None or 0) or update (the version read) the rule of
    ``values["country"]``. ``InvalidInput`` for a bad field, ``StaleVersion`` for a stale version,
    :class:`RuleImpactRefused` when the change would make people on approved manifests ineligible
    and ``accept_impact`` is false (then nothing is saved). Audited old -> new (plus the accepted
    impact); commits. An unchanged rule writes nothing."""
    authorize(uow, actor, Role.ADMIN, "country_rule.save")
    country, new = parse_rule(values)
    existing = uow.session.get(CountryRule, country)
    current_version = int(existing.version) if existing is not None else 0
    if current_version != int(expected_version or 0):
        raise _stale(uow, country, current_version, expected_version)
    old = stored_values(existing) if existing is not None else {}
    for key in KEPT_WHEN_ABSENT:
        if key not in values and key in old:
            new[key] = old[key]
    changes = audit.changed_fields(old, new)
    if not changes:
        assert existing is not None
        return _row(existing)
    if "arrival_airports" in changes:
        catalog = AirportCatalog.load(uow)
        problems = arrival_airport_problems(catalog, country, new["arrival_airports"])
        if problems:
            lines = [f"arrival_airports: {p}" for p in problems]
            raise InvalidInput(f"country rule not saved: {'; '.join(lines)}", lines)
    eligibility_changed = any(key not in KEPT_WHEN_ABSENT for key in changes)
    impact = rule_impact(uow, {country: facts_of(country, new)}, now=now) if eligibility_changed else []
    if impact and not accept_impact:
        raise RuleImpactRefused(impact_message(country, impact, "saving"), impact)
    if "arrival_airports" in changes:
        catalog.ensure_in_database(uow, actor, parse_airports(new["arrival_airports"]))
    if existing is None:
        rule = CountryRule(country=country, version=1, **new)
        uow.session.add(rule)
        action = "country_rule.create"
    else:
        result: sa.CursorResult[Any] = uow.session.execute(  # type: ignore[assignment]  # DML: a CursorResult
            sa.update(CountryRule)
            .where(CountryRule.country == country, CountryRule.version == current_version)
            .values(version=current_version + 1, **new)
        )
        if result.rowcount != 1:
            raise _stale(uow, country, current_version + 1, expected_version)
        action = "country_rule.update"
    record: dict[str, Any] = dict(changes)
    if impact:
        record["impact_accepted"] = [i.line() for i in impact]
    audit.record(uow, audit.AuditEntry(actor.username, action, ENTITY, country, record))
    uow.commit()
    saved = uow.session.get(CountryRule, country)
    assert saved is not None
    uow.session.refresh(saved)
    log.info("%s %s by %s", action, country, actor.username)
    return _row(saved)


def delete_rule(
    uow: UnitOfWork,
    actor: Actor,
    country: str,
    expected_version: int,
    *,
    accept_impact: bool = False,
    now: datetime | None = None,
) -> RuleRow:
    """Admin: delete ``country``'s rule; it runs on the default rule from now on (returned).
    ``NotFound`` when it has no rule, ``StaleVersion``, :class:`RuleImpactRefused` as
    :func:`save_rule`. Audited ``country_rule.delete`` with every field ``[old, None]``; commits."""
    authorize(uow, actor, Role.ADMIN, "country_rule.delete")
    code = _country(country)
    existing = uow.session.get(CountryRule, code)
    if existing is None:
        raise NotFound(f"{code} has no rule of its own (it runs on the default rule)")
    if int(existing.version) != int(expected_version):
        raise _stale(uow, code, int(existing.version), expected_version)
    others = [
        n
        for c, n in uow.session.execute(sa.select(CountryRule.country, CountryRule.notice_days)).all()
        if c != code
    ]
    default = default_country_rule(code, default_notice_days(others))
    impact = rule_impact(uow, {code: CountryRuleFacts.from_model(default)}, now=now)
    if impact and not accept_impact:
        raise RuleImpactRefused(impact_message(code, impact, "deleting"), impact)
    record: dict[str, Any] = {key: [value, None] for key, value in stored_values(existing).items()}
    record["version"] = [existing.version, None]
    if impact:
        record["impact_accepted"] = [i.line() for i in impact]
    uow.session.execute(
        sa.delete(CountryRule).where(CountryRule.country == code, CountryRule.version == existing.version)
    )
    audit.record(uow, audit.AuditEntry(actor.username, "country_rule.delete", ENTITY, code, record))
    uow.commit()
    return _row(default)


__all__ = [
    "FIELD_HELP",
    "KEPT_WHEN_ABSENT",
    "MAX_LEAD_TIME_DAYS",
    "MAX_MISSIONS_PER_WEEK",
    "MISSION_FIELDS",
    "RULE_COLUMNS",
    "RULE_FIELDS",
    "Impact",
    "RuleImpactRefused",
    "RuleRow",
    "arrival_airport_problems",
    "delete_rule",
    "facts_of",
    "get_rule",
    "impact_message",
    "list_rules",
    "parse_rule",
    "rule_impact",
    "rule_versions",
    "save_rule",
]
