"""Country-rules import (``import country-rules FILE``): receiving-country rules created or updated
by country code, with the columns of ``resources/country_rules.csv``::

    country,name,verification_required,accepted_document_types,min_validity_days,max_per_flight,notice_days,api_deadline_minutes

Fields are parsed by :data:`planner.services.country_rules.RULE_COLUMNS` (the editor's rules):
an ISO 3166-1 alpha-3 country once per file, ``true``/``false``, document types of
``DocumentType`` separated by ``;``, whole numbers in range; an empty name is the ISO name, an
empty cap no cap, an empty API deadline 24 h. Rules the file does not name stay as they are.

Optional columns ``lead_time_days`` (days the country takes to answer a request, 1–365; empty:
30) and ``request_columns`` (the request CSV's layout, names separated by ``;``; empty: the
default layout). A file without one of these columns leaves that field as stored (the default for
a new rule); a bad value is a line-numbered error. Neither affects eligibility, so a change of
only these fields needs no impact check.

Optional columns of the mission scheduler (issue 17), kept as stored when absent, likewise without
impact check: ``region`` (empty: the country's missions stop nowhere else),
``max_missions_per_week`` (1 or more; empty: no limit), ``arrival_weekdays`` (``TUE;THU``; empty:
every day) and ``arrival_airports`` (``SAP;XPL``; empty: every airport of the country). An unknown
weekday, a code that is not three letters, an airport nobody knows or one in another country and
fewer than 1 mission per week are line-numbered errors; a dataset airport named there is copied
into the database (audited ``airport.create``).
Changes are audited ``country_rule.create`` / ``country_rule.update`` with ``{field: [old, new]}``.

Impact: the people on approved or signed manifests whom the file's rules would make ineligible
(:func:`planner.services.country_rules.rule_impact`) are listed as warnings, each with the line of
its rule. A dry run reports them; a real import with impact is rejected (``InvalidInput``, exit 2,
one line per person, nothing written) unless the importer accepts impact
(:meth:`CountryRulesImporter.accepting_impact`, ``--accept-impact``), and then each rule's event
records the impact accepted.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa

from planner.domain.errors import InvalidInput
from planner.domain.missions import parse_airports
from planner.domain.wording import plural
from planner.persistence.models import CountryRule
from planner.services.airports import AirportCatalog
from planner.services.country_rules import (
    ENTITY,
    KEPT_WHEN_ABSENT,
    RULE_COLUMNS,
    Impact,
    arrival_airport_problems,
    facts_of,
    normalise,
    rule_impact,
    stored_values,
)
from planner.services.imports.framework import Column, ErrorSink, Importer, Outcome, Row
from solver.callbacks import Progress, ShouldStop


class CountryRulesImporter(Importer):
    kind = "country-rules"
    preview_columns = ("country", "name")
    writes = ("airport", "country_rule")
    #: Write even when the rules make people on approved manifests ineligible (``--accept-impact``).
    accept_impact: ClassVar[bool] = False

    @classmethod
    def accepting_impact(cls) -> type[CountryRulesImporter]:
        """This importer, writing the file even when it has impact (recorded in the audit)."""
        return type("CountryRulesImporterAcceptingImpact", (cls,), {"accept_impact": True})

    def load(self) -> None:
        #: country -> (version, stored values)
        self.existing: dict[str, tuple[int, dict[str, Any]]] = {
            rule.country: (int(rule.version), stored_values(rule))
            for rule in self.session.execute(sa.select(CountryRule)).scalars()
        }
        self.catalog = AirportCatalog.load(self.uow)

    def columns(self) -> Sequence[Column]:
        return RULE_COLUMNS

    def unique_key(self, row: Row) -> tuple[str, Hashable]:
        return "country", row.values["country"]

    def check_row(self, row: Row, errors: ErrorSink) -> None:
        airports = row.values.get("arrival_airports")
        if airports:
            for problem in arrival_airport_problems(self.catalog, row.values["country"], airports):
                errors.add(row.line, "arrival_airports", problem)

    def plan(self, rows: Sequence[Row], errors: ErrorSink) -> list[Outcome]:
        outcomes: list[Outcome] = []
        #: (line, country, values, changes, version or None for a new rule)
        self.changes: list[tuple[int, str, dict[str, Any], dict[str, list[Any]], int | None]] = []
        for row in rows:
            country = row.values["country"]
            new = normalise(row.values)
            version, old = self.existing.get(country, (None, {}))
            for key in KEPT_WHEN_ABSENT:
                if key not in self.file_columns and key in old:
                    new[key] = old[key]
            changes = {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}
            if not changes:
                outcomes.append("unchanged")
                continue
            self.changes.append((row.line, country, new, changes, version))
            outcomes.append("new" if version is None else "updated")
        line_of = {country: line for line, country, *_ in self.changes}
        self.impact: list[tuple[int, Impact]] = sorted(
            (
                (line_of[i.country], i)
                for i in rule_impact(
                    self.uow,
                    {
                        country: facts_of(country, new)
                        for _l, country, new, changes, _v in self.changes
                        if set(changes) - set(KEPT_WHEN_ABSENT)
                    },
                )
            ),
            key=lambda item: item[0],
        )
        self.warnings.extend(f"line {line}: {i.line()}" for line, i in self.impact)
        self.details = {
            "rules_created": sum(1 for *_, version in self.changes if version is None),
            "rules_updated": sum(1 for *_, version in self.changes if version is not None),
            "people_made_ineligible_on_approved_manifests": sum(1 for _, i in self.impact if i.case_number),
        }
        return outcomes

    def apply(self, progress: Progress, should_stop: ShouldStop) -> None:
        if self.impact and not self.accept_impact:
            people = sum(1 for _, i in self.impact if i.case_number)
            raise InvalidInput(
                f"{self.source}: country-rules import rejected, nothing was written: the rules would make "
                f"{plural(people, 'person')} on approved manifests ineligible"
                + (
                    f" and {plural(len(self.impact) - people, 'stop')} exceed a cap"
                    if len(self.impact) > people
                    else ""
                )
                + "; check with --dry-run, strike them off or import with --accept-impact",
                [f"{self.source}:{line}: country: {i.line()}" for line, i in self.impact],
            )
        accepted: dict[str, list[str]] = {}
        for _line, i in self.impact:
            accepted.setdefault(i.country, []).append(i.line())
        named = {code for change in self.changes for code in parse_airports(change[2]["arrival_airports"])}
        self.catalog.ensure_in_database(self.uow, self.actor, sorted(named))  # world-table airports
        for _line, country, new, changes, version in self.changes:
            if version is None:
                self.session.add(CountryRule(country=country, version=1, **new))
                action = "country_rule.create"
            else:
                self.session.execute(
                    sa.update(CountryRule)
                    .where(CountryRule.country == country, CountryRule.version == version)
                    .values(version=version + 1, **new)
                )
                action = "country_rule.update"
            record: dict[str, Any] = dict(changes)
            if country in accepted:
                record["impact_accepted"] = accepted[country]
            self.event(action, ENTITY, country, record)
        self.session.flush()
        progress(1.0, "country rules written")
