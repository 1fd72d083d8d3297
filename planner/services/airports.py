"""Every airport: the world's IATA airports from the ``airportsdata`` package (country, coordinates,
IANA zone; updated by upgrading the package) plus the airports an office added itself.

The database's ``airport`` table holds the airports the office's data refers to (foreign keys
point there): a dataset airport is copied in, audited, the first time a flight, stop, pickup or
facility names it (:meth:`AirportCatalog.ensure_in_database`); a private or missing airport is
added by an admin (``source`` ``admin``). A database row wins over the dataset for the same code.

The dataset (about 8,000 IATA codes) is read once per process, on first use, never at start-up.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cache

import sqlalchemy as sa

from planner.domain import fields as f
from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.persistence import audit
from planner.persistence.models import Airport
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize

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
    cannot name is an error, never a guess; so are the few without a time zone."""
    import airportsdata
    import iso3166

    by_alpha2 = {c.alpha2: c.alpha3 for c in iso3166.countries}
    out: dict[str, AirportInfo] = {}
    for code, row in airportsdata.load("IATA").items():
        country = by_alpha2.get(row["country"])
        if country is None or not code or not row["tz"]:  # no zone: Antarctic strips
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


def _letter_pairs(code: str) -> set[str]:
    """The unordered pairs of letters of ``code`` (``ABC`` -> ``AB``, ``AC``, ``BC``)."""
    return {"".join(sorted(a + b)) for a, b in itertools.combinations(code, 2)}


def _one_edit_apart(wanted: str, code: str) -> bool:
    """``code`` differs from ``wanted`` (same length) in one letter, or by one swap of neighbours."""
    if len(code) != len(wanted) or code == wanted:
        return False
    diff = [i for i, (a, b) in enumerate(zip(wanted, code, strict=True)) if a != b]
    if len(diff) == 1:
        return True
    i = diff[0]
    return len(diff) == 2 and diff[1] == i + 1 and wanted[i] == code[i + 1] and wanted[i + 1] == code[i]


@cache
def _dataset_pair_index() -> dict[str, frozenset[str]]:
    """Letter pair -> the dataset codes that contain it (for :meth:`AirportCatalog.closest`)."""
    index: dict[str, set[str]] = {}
    for code in dataset_airports():
        for pair in _letter_pairs(code):
            index.setdefault(pair, set()).add(code)
    return {pair: frozenset(codes) for pair, codes in index.items()}


def dataset_version() -> str:
    """The ``airportsdata`` release the dataset comes from."""
    import airportsdata

    return str(getattr(airportsdata, "__version__", "unknown"))


class AirportCatalog:
    """The airports known to this office: database rows first, then the dataset."""

    def __init__(self, stored: Mapping[str, AirportInfo]) -> None:
        self.stored = dict(stored)
        #: code -> its closest known codes (a file may repeat one unknown code on many lines)
        self._closest: dict[tuple[str, int], list[str]] = {}

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
        """Up to ``n`` known codes that look most like ``code`` (for error messages): first the
        codes one letter or one swap of neighbouring letters away (``PAX`` → ``PAP``, ``IHA`` →
        ``IAH``) in the order of :meth:`_near_rank`; then, to fill up, what ``difflib`` finds alike."""
        import difflib

        wanted = code.upper()
        key = (wanted, n)
        if key not in self._closest:
            # a code scores 0.6 or more only when it shares two letters with ``wanted``: look at those
            pairs = _letter_pairs(wanted)
            index = _dataset_pair_index()
            candidates = {c for pair in pairs for c in index.get(pair, ())}
            candidates.update(c for c in self.stored if pairs & _letter_pairs(c))
            near = sorted(
                (c for c in candidates if _one_edit_apart(wanted, c)),
                key=lambda c: self._near_rank(wanted, c),
            )
            fill = difflib.get_close_matches(wanted, sorted(candidates), n=n, cutoff=0.6)
            self._closest[key] = list(dict.fromkeys(near + fill))[:n]
        return self._closest[key]

    def _near_rank(self, wanted: str, code: str) -> tuple[bool, bool, bool, bool, str]:
        """Sort key among codes one edit from ``wanted``: the office's own airports, then those
        keeping the first letter, then swapped neighbours (``IHA`` → ``IAH``), then international
        airports, then alphabetical."""
        info = self.get(code)
        international = info is not None and "international" in info.name.lower()
        swapped = sorted(code) == sorted(wanted)
        return (code not in self.stored, code[0] != wanted[0], not swapped, not international, code)

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


# ---------------------------------------------------------------- search


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for searching (``São`` matches ``sao``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_NOT_WORD = re.compile(r"[^0-9a-z]+")


def _words(text: str) -> list[str]:
    """The words of ``text`` for searching: folded, split at anything but letters and digits."""
    return [w for w in _NOT_WORD.split(_fold(text)) if w]


def _search_key(a: AirportInfo) -> str:
    """`` code name words city words country `` (each word preceded by a space)."""
    return " " + " ".join(_words(f"{a.iata} {a.name} {a.city} {a.country}")) + " "


@cache
def _dataset_search_keys() -> dict[str, str]:
    """IATA code -> search key of every dataset airport (built once per process)."""
    return {code: _search_key(a) for code, a in dataset_airports().items()}


def _rank(a: AirportInfo, key: str, query: str, words: list[str]) -> int | None:
    """How well ``a`` matches (lower is better), None when it does not (every word of the query
    must start a word of the airport's code, name, city or country): the code itself, a code
    starting with the query, the city (or country code) itself, the city or name starting with
    it, then the rest."""
    if not all(f" {w}" in key for w in words):
        return None
    code_query = query.upper()
    if a.iata == code_query:
        return 0
    if a.iata.startswith(code_query):
        return 1
    if a.country == code_query or _words(a.city) == words:
        return 2
    joined = " ".join(words)
    if " ".join(_words(a.city)).startswith(joined) or " ".join(_words(a.name)).startswith(joined):
        return 3
    return 4


def search_in(airports: Iterable[AirportInfo], text: str, limit: int | None = None) -> list[AirportInfo]:
    """The airports among ``airports`` matching ``text`` (every word of it starts a word of the
    code, name, city or country, in any order; case, accents and punctuation ignored), best
    first, then by code; all of them, by code, for empty text. At most ``limit`` (None: no
    limit). Pure."""
    words = _words(text)
    if not words:
        found = sorted(airports, key=lambda a: a.iata)
        return found if limit is None else found[:limit]
    query = "".join(words) if len(words) == 1 else " ".join(words)
    dataset_keys = _dataset_search_keys()
    ranked: list[tuple[int, str, AirportInfo]] = []
    for a in airports:
        key = dataset_keys.get(a.iata) if a.source == DATASET else None
        if key is None:
            key = _search_key(a)
        rank = _rank(a, key, query, words)
        if rank is not None:
            ranked.append((rank, a.iata, a))
    ranked.sort(key=lambda item: (item[0], item[1]))
    found = [a for _r, _c, a in ranked]
    return found if limit is None else found[:limit]


def all_airports(uow: UnitOfWork) -> list[AirportInfo]:
    """The database's airports and the dataset's (a database row wins for its code), by code."""
    stored = AirportCatalog.load(uow).stored
    merged = {**dataset_airports(), **stored}
    return [merged[code] for code in sorted(merged)]


def search_airports(
    uow: UnitOfWork, actor: Actor, text: str = "", limit: int | None = 50
) -> list[AirportInfo]:
    """Officer+: airports (database rows and the dataset) matching ``text`` in code, name, city
    or country, best first (:func:`search_in`); at most ``limit`` (None: all)."""
    authorize(uow, actor, Role.OFFICER, "airports.read")
    return search_in(all_airports(uow), text, limit)


def get_airport(uow: UnitOfWork, actor: Actor, code: str) -> AirportInfo:
    """Officer+: the airport ``code`` (database row first, then the dataset); ``InvalidInput``
    naming the closest known codes when there is none."""
    authorize(uow, actor, Role.OFFICER, "airports.read")
    catalog = AirportCatalog.load(uow)
    try:
        return catalog.get(catalog.parse(code)) or _never()
    except f.FieldError as exc:
        raise InvalidInput(str(exc)) from None


def _never() -> AirportInfo:
    raise AssertionError("parse accepted an unknown airport")


# ---------------------------------------------------------------- adding


#: ``airport.create`` of an admin's airport.
CREATE_ACTION = "airport.create"
_IATA = re.compile(r"[A-Z]{3}")


def describe(a: AirportInfo) -> str:
    """``PAP (Toussaint Louverture International Airport, Port-au-Prince, HTI)``."""
    return f"{a.iata} ({a.name}, {a.city}, {a.country})"


@dataclass(frozen=True, slots=True)
class NewAirport:
    """An airport an admin wants to add, as typed (latitude/longitude as text or numbers, both or
    neither)."""

    iata: str
    name: str
    city: str
    country: str
    timezone: str
    latitude: str | float | None = None
    longitude: str | float | None = None


def check_new_airport(new: NewAirport) -> tuple[AirportInfo | None, dict[str, str]]:
    """``new``'s fields checked on their own (no database): the airport (source ``admin``) and no
    problems, or None and ``{field: message}`` for every bad field (the dialog shows them beside
    the fields, the service raises the first)."""
    iata, name, city, country = new.iata, new.name, new.city, new.country
    timezone, latitude, longitude = new.timezone, new.latitude, new.longitude
    problems: dict[str, str] = {}
    code = (iata or "").strip().upper()
    if not _IATA.fullmatch(code):
        problems["iata"] = f"{f.show(iata or '')} is not a three-letter IATA-like code (letters A–Z)"
    texts = {"name": (name or "").strip(), "city": (city or "").strip()}
    for field_name, limit in (("name", 200), ("city", 100)):
        value = texts[field_name]
        if not value:
            problems[field_name] = "must not be empty"
        elif len(value) > limit:
            problems[field_name] = f"is longer than {limit} characters"
        elif f.CONTROL_CHARS.search(value):
            problems[field_name] = "contains a control character"
    country_code = (country or "").strip()
    try:
        country_code = f.country(country_code) if country_code else ""
    except f.FieldError as exc:
        problems["country"] = str(exc)
    if not country_code:
        problems.setdefault("country", "must not be empty")
    zone = (timezone or "").strip()
    if not zone:
        problems["timezone"] = "must not be empty"
    elif not _is_zone(zone):
        problems["timezone"] = f"{f.show(zone)} is not an IANA time zone (e.g. America/Port-au-Prince)"
    raw_position = {
        "latitude": "" if latitude is None else str(latitude).strip(),
        "longitude": "" if longitude is None else str(longitude).strip(),
    }
    position: dict[str, float | None] = {"latitude": None, "longitude": None}
    for field_name, bound in (("latitude", 90.0), ("longitude", 180.0)):
        if raw_position[field_name]:
            try:
                position[field_name] = f.decimal(-bound, bound)(raw_position[field_name])
            except f.FieldError as exc:
                problems[field_name] = str(exc)
    given = [k for k, text in raw_position.items() if text]
    if len(given) == 1:
        missing = "longitude" if given == ["latitude"] else "latitude"
        problems[missing] = f"give the {missing} too (or neither)"
    if problems:
        return None, problems
    return (
        AirportInfo(
            code,
            texts["name"],
            texts["city"],
            country_code,
            zone,
            position["latitude"],
            position["longitude"],
            ADMIN,
        ),
        {},
    )


@cache
def time_zones() -> frozenset[str]:
    """Every IANA zone name this system knows (read once)."""
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def _is_zone(name: str) -> bool:
    return bool(name) and name in time_zones()


def add_airport(uow: UnitOfWork, actor: Actor, new: NewAirport) -> AirportInfo:
    """Admin: add a private or missing airport (source ``admin``), audited ``airport.create``;
    commits. ``InvalidInput`` (one line, nothing written) for a bad field
    (:func:`check_new_airport`), a code already in the database, or a code of the shipped
    dataset (which is copied in by itself when a flight or facility names it)."""
    authorize(uow, actor, Role.ADMIN, "airports.add")
    info, problems = check_new_airport(new)
    if info is None:
        field_name, message = next(iter(problems.items()))
        raise InvalidInput(f"{field_name}: {message}")
    existing = uow.session.get(Airport, info.iata)
    if existing is not None:
        raise InvalidInput(f"airport {describe(_info(existing))} is already in the database")
    shipped = dataset_airports().get(info.iata)
    if shipped is not None:
        raise InvalidInput(
            f"{describe(shipped)} is in the shipped airport table: flights and facilities can name it "
            "as it is (it is copied in when first used)"
        )
    row = asdict(info)
    uow.session.execute(sa.insert(Airport), [row])
    audit.record(
        uow,
        audit.AuditEntry(actor.username, CREATE_ACTION, "airport", info.iata, audit.changed_fields({}, row)),
    )
    uow.commit()
    log.info("airport %s added by %s", info.iata, actor.username)
    return info
