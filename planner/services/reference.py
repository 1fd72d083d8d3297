"""Reference data: airports and country rules from ``resources/`` into the database."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from planner.domain.countries import country_name
from planner.domain.eligibility import CountryRuleFacts
from planner.domain.enums import DocumentType
from planner.domain.missions import (
    check_missions_per_week,
    check_region,
    format_airports,
    format_weekdays,
    parse_airports,
    parse_weekdays,
)
from planner.domain.requests import DEFAULT_LEAD_TIME_DAYS, parse_request_columns, request_columns_text
from planner.persistence import audit
from planner.persistence.models import Airport, CountryRule
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from resources import resource_path

#: The conservative default rule of a country that has no stored rule (``default_country_rule``):
#: verification required, a passport only, no cap per flight, and the longest notice of any stored
#: rule but never less than ``MIN_DEFAULT_NOTICE_DAYS``.
DEFAULT_ACCEPTED_DOCUMENTS = (DocumentType.PASSPORT.value,)
MIN_DEFAULT_NOTICE_DAYS = 14
#: Minutes before arrival a receiving state must have the API data (PAXLST) when its rule names no
#: limit (an empty ``api_deadline_minutes`` in the CSV, or no row): 24 hours. Deliberately earlier
#: than any published limit we know of (China: 2 hours before arrival, the shipped CHN row), so a
#: country without a recorded figure never gets its data late.
DEFAULT_API_DEADLINE_MINUTES = 1440
#: What ``rule_versions`` says for a country planned under the default rule.
DEFAULT_VERSION = "default"


@dataclass(frozen=True)
class SeedReport:
    airports_added: int
    rules_added: int


def read_airports() -> list[dict]:
    with resource_path("airports.csv").open(encoding="utf-8", newline="") as f:
        rows = [dict(row) for row in csv.DictReader(f)]
    for row in rows:
        for key in ("latitude", "longitude"):
            row[key] = float(row[key]) if row.get(key) else None
    return rows


def read_country_rules() -> list[dict]:
    """The shipped rules (``resources/country_rules.csv``); the columns ``api_deadline_minutes``,
    ``lead_time_days``, ``request_columns`` and the mission limits ``region``,
    ``max_missions_per_week``, ``arrival_weekdays``, ``arrival_airports`` (read as
    :mod:`planner.domain.missions` reads them) may be absent or empty (their defaults)."""
    rules = []
    with resource_path("country_rules.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            rules.append(
                {
                    "country": row["country"],
                    "name": row["name"],
                    "verification_required": row["verification_required"].strip().lower() == "true",
                    "accepted_document_types": ",".join(
                        t.strip() for t in row["accepted_document_types"].split(";") if t.strip()
                    ),
                    "min_validity_days": int(row["min_validity_days"] or 0),
                    "max_per_flight": int(row["max_per_flight"]) if row["max_per_flight"] else None,
                    "notice_days": int(row["notice_days"] or 0),
                    "api_deadline_minutes": int(
                        row.get("api_deadline_minutes") or DEFAULT_API_DEADLINE_MINUTES
                    ),
                    "lead_time_days": int(row.get("lead_time_days") or DEFAULT_LEAD_TIME_DAYS),
                    "request_columns": request_columns_text(
                        parse_request_columns(row.get("request_columns") or "")
                    ),
                    "region": check_region(row.get("region")),
                    "max_missions_per_week": check_missions_per_week(
                        int(row["max_missions_per_week"]) if row.get("max_missions_per_week") else None
                    ),
                    "arrival_weekdays": format_weekdays(parse_weekdays(row.get("arrival_weekdays"))),
                    "arrival_airports": format_airports(parse_airports(row.get("arrival_airports"))),
                }
            )
    return rules


def default_notice_days(stored_notice_days: Iterable[int]) -> int:
    """The default rule's notice: the longest of ``stored_notice_days`` (every stored rule's),
    never below ``MIN_DEFAULT_NOTICE_DAYS``."""
    return max([MIN_DEFAULT_NOTICE_DAYS, *stored_notice_days])


def default_country_rule(country: str, notice_days: int = MIN_DEFAULT_NOTICE_DAYS) -> CountryRule:
    """The conservative rule of ``country`` when it has no stored rule (not stored; version 0).
    ``notice_days`` is ``default_notice_days`` of the stored rules (``rule_facts`` passes it)."""
    return CountryRule(
        country=country,
        name=country_name(country),
        verification_required=True,
        accepted_document_types=",".join(DEFAULT_ACCEPTED_DOCUMENTS),
        min_validity_days=0,
        max_per_flight=None,
        notice_days=notice_days,
        api_deadline_minutes=DEFAULT_API_DEADLINE_MINUTES,
        lead_time_days=DEFAULT_LEAD_TIME_DAYS,
        request_columns="",
        region="",
        max_missions_per_week=None,
        arrival_weekdays="",
        arrival_airports="",
        version=0,
    )


def default_rule_summary(notice_days: int) -> str:
    """The default rule in words (explanations, the dashboard, the Reference data screen)."""
    return (
        f"verification required, {' or '.join(t.lower().replace('_', ' ') for t in DEFAULT_ACCEPTED_DOCUMENTS)} "
        f"only, no cap per flight, {notice_days} days' notice"
    )


def seed_reference_data(uow: UnitOfWork, actor: Actor) -> SeedReport:
    """Insert shipped airports and country rules that the database lacks; never overwrite. Commits."""
    session = uow.session
    have_airports = set(session.execute(sa.select(Airport.iata)).scalars())
    have_rules = set(session.execute(sa.select(CountryRule.country)).scalars())
    new_airports = [a for a in read_airports() if a["iata"] not in have_airports]
    new_rules = [r for r in read_country_rules() if r["country"] not in have_rules]
    if new_airports:
        session.execute(sa.insert(Airport), new_airports)
    _fill_missing_coordinates(uow, actor)
    if new_rules:
        session.execute(sa.insert(CountryRule), new_rules)
    audit.record_many(
        uow,
        [audit.AuditEntry(actor.username, "airport.create", "airport", a["iata"], a) for a in new_airports]
        + [
            audit.AuditEntry(actor.username, "country_rule.create", "country_rule", r["country"], r)
            for r in new_rules
        ],
    )
    uow.commit()
    return SeedReport(len(new_airports), len(new_rules))


def _fill_missing_coordinates(uow: UnitOfWork, actor: Actor) -> None:
    """Airports stored before coordinates existed get them from the shipped file (audited)."""
    shipped = {a["iata"]: a for a in read_airports()}
    missing = uow.session.execute(sa.select(Airport).where(Airport.latitude.is_(None))).scalars().all()
    entries = []
    for airport in missing:
        source = shipped.get(airport.iata)
        if source is None or source["latitude"] is None:
            continue
        airport.latitude, airport.longitude = source["latitude"], source["longitude"]
        entries.append(
            audit.AuditEntry(
                actor.username,
                "airport.update",
                "airport",
                airport.iata,
                {"latitude": [None, airport.latitude], "longitude": [None, airport.longitude]},
            )
        )
    audit.record_many(uow, entries)


def rule_facts(uow: UnitOfWork, countries: Iterable[str] = ()) -> dict[str, CountryRuleFacts]:
    """Every country rule in the database as eligibility facts, plus the conservative default
    (``default_country_rule``) for each of ``countries`` that has no row. The one place the
    planner, explanations and manifests get their rules from, so they never disagree."""
    stored = list(uow.session.execute(sa.select(CountryRule)).scalars())
    rules = {r.country: CountryRuleFacts.from_model(r) for r in stored}
    notice = default_notice_days(r.notice_days for r in stored)
    default = CountryRuleFacts.from_model(default_country_rule("", notice))
    for country in countries:
        if country not in rules:
            rules[country] = dataclasses.replace(default, country=country)
    return rules


def country_rules(uow: UnitOfWork) -> dict[str, CountryRule]:
    """Every country rule in the database, by country code."""
    return {r.country: r for r in uow.session.execute(sa.select(CountryRule)).scalars()}


def stored_default_notice_days(uow: UnitOfWork) -> int:
    """The notice of the default rule as the stored rules stand (``default_notice_days``)."""
    return default_notice_days(uow.session.execute(sa.select(CountryRule.notice_days)).scalars())


def rule_versions(uow: UnitOfWork, countries: Iterable[str]) -> dict[str, int | str]:
    """``{country: stored rule version, or DEFAULT_VERSION}`` for each of ``countries`` (what a
    plan run records it used)."""
    wanted = sorted(set(countries))
    stored = dict(
        uow.session.execute(
            sa.select(CountryRule.country, CountryRule.version).where(CountryRule.country.in_(wanted))
        ).all()
    )
    return {country: int(stored[country]) if country in stored else DEFAULT_VERSION for country in wanted}


def countries_without_rule(uow: UnitOfWork, countries: Iterable[str]) -> list[str]:
    """Those of ``countries`` that have no stored rule (they run on the default), sorted."""
    versions = rule_versions(uow, (c for c in countries if c))
    return [country for country, version in versions.items() if version == DEFAULT_VERSION]
