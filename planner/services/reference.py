"""Reference data: airports and country rules from ``resources/`` into the database."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from planner.domain.eligibility import CountryRuleFacts
from planner.domain.enums import DocumentType
from planner.persistence import audit
from planner.persistence.models import Airport, CountryRule
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from resources import resource_path

#: Conservative rule for a country that has no row in ``resources/country_rules.csv``.
DEFAULT_ACCEPTED_DOCUMENTS = (DocumentType.PASSPORT.value, DocumentType.TRAVEL_DOCUMENT.value)
DEFAULT_NOTICE_DAYS = 7
#: Minutes before arrival a receiving state must have the API data (PAXLST) when its rule names no
#: limit (an empty ``api_deadline_minutes`` in the CSV, or no row): 24 hours. Deliberately earlier
#: than any published limit we know of (China: 2 hours before arrival, the shipped CHN row), so a
#: country without a recorded figure never gets its data late.
DEFAULT_API_DEADLINE_MINUTES = 1440


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
                }
            )
    return rules


def default_country_rule(country: str) -> CountryRule:
    return CountryRule(
        country=country,
        name=country,
        verification_required=True,
        accepted_document_types=",".join(DEFAULT_ACCEPTED_DOCUMENTS),
        min_validity_days=0,
        max_per_flight=None,
        notice_days=DEFAULT_NOTICE_DAYS,
        api_deadline_minutes=DEFAULT_API_DEADLINE_MINUTES,
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
    rules = {
        r.country: CountryRuleFacts.from_model(r)
        for r in uow.session.execute(sa.select(CountryRule)).scalars()
    }
    for country in countries:
        if country not in rules:
            rules[country] = CountryRuleFacts.from_model(default_country_rule(country))
    return rules


def country_rules(uow: UnitOfWork) -> dict[str, CountryRule]:
    """Every country rule in the database, by country code."""
    return {r.country: r for r in uow.session.execute(sa.select(CountryRule)).scalars()}
