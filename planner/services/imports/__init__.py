"""CSV readers and validators for rosters, verification lists, flight schedules, facilities and
escort lists.

Public interface (used by the command line and the window's import wizard)::

    report = import_file(uow, actor, "roster", path, dry_run=True, progress=..., should_stop=...,
                         encoding=None)  # None: detect; else a codec name such as "cp1252"

or the per-kind functions ``import_roster`` / ``import_verification`` / ``import_flights`` /
``import_facilities`` with the same arguments. All run the one pipeline of
``planner.services.imports.framework.run_import``: admin only; every error found in one pass; any error raises
``ImportRejected`` (an ``InvalidInput``) whose ``report`` holds the counts and every
``RowError(line, column, message)``; a dry run returns the ``ImportReport`` and writes nothing;
otherwise the changes are made in ``uow`` and committed (the service commits its own write).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Unpack

from planner.domain.errors import InvalidInput
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor
from planner.services.imports.aircraft import AircraftImporter
from planner.services.imports.country_rules import CountryRulesImporter
from planner.services.imports.escorts import EscortsImporter
from planner.services.imports.facilities import FacilitiesImporter
from planner.services.imports.flights import FlightsImporter
from planner.services.imports.framework import (
    ImportCancelled,
    Importer,
    ImportOptions,
    ImportRejected,
    ImportReport,
    run_import,
)
from planner.services.imports.reader import RowError
from planner.services.imports.roster import RosterImporter
from planner.services.imports.verification import VerificationImporter

#: Import kinds in the order a fresh database needs them.
IMPORTERS: dict[str, type[Importer]] = {
    "facilities": FacilitiesImporter,
    "flights": FlightsImporter,
    "roster": RosterImporter,
    "verification": VerificationImporter,
    "escorts": EscortsImporter,
    "country-rules": CountryRulesImporter,
    "aircraft": AircraftImporter,
}
KINDS: tuple[str, ...] = tuple(IMPORTERS)


def import_file(
    uow: UnitOfWork,
    actor: Actor,
    kind: str,
    source: Path | str | bytes,
    **options: Unpack[ImportOptions],
) -> ImportReport:
    """Import ``source`` (a path, or the file's bytes with ``name``) as ``kind`` (see ``KINDS``);
    ``options`` are those of ``run_import`` (``name``, ``dry_run``, ``progress``, ``should_stop``,
    ``encoding``), plus ``accept_impact`` for ``country-rules`` (write rules that make people on
    approved manifests ineligible; otherwise such an import is rejected)."""
    try:
        importer = IMPORTERS[kind]
    except KeyError:
        raise InvalidInput(f"unknown import kind {kind!r}: one of {', '.join(KINDS)}") from None
    if options.pop("accept_impact", False) and importer is CountryRulesImporter:
        importer = CountryRulesImporter.accepting_impact()  # write even with impact on manifests
    return run_import(importer, uow, actor, source, **options)


import_roster = partial(import_file, kind="roster")
import_verification = partial(import_file, kind="verification")
import_flights = partial(import_file, kind="flights")
import_facilities = partial(import_file, kind="facilities")
import_escorts = partial(import_file, kind="escorts")

__all__ = [
    "IMPORTERS",
    "KINDS",
    "ImportCancelled",
    "ImportOptions",
    "ImportRejected",
    "ImportReport",
    "RowError",
    "import_escorts",
    "import_facilities",
    "import_file",
    "import_flights",
    "import_roster",
    "import_verification",
]
