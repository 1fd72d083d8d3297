"""Every airport: the world's IATA airports from the ``airportsdata`` package (country, coordinates,
IANA zone; updated by upgrading the package) plus the airports an office added itself.

The database's ``airport`` table holds the airports the office's data refers to (foreign keys
point there): a dataset airport is copied in, audited, the first time a flight, stop, pickup or
facility names it (:meth:`AirportCatalog.ensure_in_database`); a private or missing airport is
added by an admin (``source`` ``admin``). A database row wins over the dataset for the same code.

The dataset (about 8,000 IATA codes) is read once per process, on first use, never at start-up.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cache

import sqlalchemy as sa

from planner.domain import fields as f
from planner.persistence import audit
from planner.persistence.models import Airport
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor

log = logging.getLogger(__name__)

#: ``airport.source`` of a row copied from the dataset / added by an admin.
DATASET, ADMIN = "dataset", "admin"


@dataclass(frozen=True, slots=True)
class AirportInfo:
    """One airport; ``country`` is ISO 3166-1 alpha-3."""

    iata: str
    name: str
    city: str
    country: str
    timezone: str
    latitude: float | None
    longitude: float | None
    source: str = DATASET


@cache
def dataset_airports() -> Mapping[str, AirportInfo]:
    """The shipped world table by IATA code (read once per process). Airports whose country has no
    ISO 3166-1 alpha-3 code (e.g. Kosovo's user-assigned XK) are left out: a country the rules
    cannot name is an error, never a guess."""
    import airportsdata
    import iso3166

    by_alpha2 = {c.alpha2: c.alpha3 for c in iso3166.countries}
    out: dict[str, AirportInfo] = {}
    for code, row in airportsdata.load("IATA").items():
        country = by_alpha2.get(row["country"])
        if country is None or not code:
            continue
        out[code] = AirportInfo(
            iata=code,
            name=row["name"][:200],
            city=(row["city"] or row["name"])[:100],
            country=country,
            timezone=row["tz"],
            latitude=float(row["lat"]),
            longitude=float(row["lon"]),
        )
    log.debug("airport dataset: %d IATA airports", len(out))
    return out


def dataset_version() -> str:
    """The ``airportsdata`` release the dataset comes from."""
    import airportsdata

    return str(getattr(airportsdata, "__version__", "unknown"))


class AirportCatalog:
    """The airports known to this office: database rows first, then the dataset."""

    def __init__(self, stored: Mapping[str, AirportInfo]) -> None:
        self.stored = dict(stored)

    @classmethod
    def load(cls, uow: UnitOfWork) -> AirportCatalog:
        """Read the database's airports (the dataset is read lazily, on first lookup)."""
        rows = uow.session.execute(sa.select(Airport)).scalars()
        return cls({a.iata: _info(a) for a in rows})

    def get(self, code: str) -> AirportInfo | None:
        """The airport ``code`` (upper case), or None."""
        return self.stored.get(code) or dataset_airports().get(code)

    def knows(self, code: str) -> bool:
        return self.get(code) is not None

    def closest(self, code: str, n: int = 3) -> list[str]:
        """Up to ``n`` known codes that look most like ``code`` (for error messages)."""
        codes = set(self.stored) | set(dataset_airports())
        return difflib.get_close_matches(code.upper(), sorted(codes), n=n, cutoff=0.6)

    def parse(self, value: str) -> str:
        """Field parser: a known IATA code (trimmed, upper-cased); ``FieldError`` naming the
        closest known codes otherwise."""
        code = (value or "").strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise f.FieldError(f"{f.show(value)} is not a three-letter IATA airport code")
        if not self.knows(code):
            near = self.closest(code)
            hint = f"; closest known: {', '.join(near)}" if near else ""
            raise f.FieldError(f"airport {code} is not known{hint} (an admin can add it: 'airports add')")
        return code

    def ensure_in_database(self, uow: UnitOfWork, actor: Actor, codes: Iterable[str]) -> list[str]:
        """Copy the dataset airports among ``codes`` that the database lacks into it, one audited
        ``airport.create`` each (source and dataset release recorded); return the codes copied. No
        commit. ``KeyError`` for a code nobody knows (parse first)."""
        missing = sorted({c for c in codes if c not in self.stored})
        if not missing:
            return []
        rows = []
        for code in missing:
            info = dataset_airports()[code]
            rows.append(asdict(info))
            self.stored[code] = info
        uow.session.execute(sa.insert(Airport), rows)
        release = dataset_version()
        audit.record_many(
            uow,
            [
                audit.AuditEntry(
                    actor.username, "airport.create", "airport", row["iata"], {**row, "dataset": release}
                )
                for row in rows
            ],
        )
        return missing


def _info(a: Airport) -> AirportInfo:
    return AirportInfo(a.iata, a.name, a.city, a.country, a.timezone, a.latitude, a.longitude, a.source)
