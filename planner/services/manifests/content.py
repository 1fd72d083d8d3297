"""What a manifest says: plain frozen dataclasses, their canonical bytes and SHA-256.

The content is built by the manifest service from the database and handed to the writers
(:mod:`planner.services.manifests.pdf`, :mod:`planner.services.manifests.paxlst`); nothing here touches the database.

What the hash covers (``content_sha256``)
-----------------------------------------
Everything that says *who flies where and on what papers*: the flight (code, carrier, aircraft,
departure airport, departure time in UTC, departure time zone), the revision number, every stop
(sequence, airport, name, country, time zone, arrival time) and every field of every row — the
passengers and, per stop, the ranked **reserves** (people who may board only if a listed passenger
is struck off; the receiving country receives them with the manifest).

What it deliberately does **not** cover: ``status`` and the lifecycle metadata (prepared / approved /
signed by and at). Approval and signature are attestations *about* the hashed content, recorded in
the database and the audit chain; keeping them outside means the hash printed on a DRAFT, on the
APPROVED copy and on the SIGNED copy of the same revision is the same, so any printed page can be
checked against the database whatever state it was printed in. A change of people or papers always
means a new revision, hence a new hash (the revision number is inside the hash too).

Canonical form: stops sorted by sequence, rows of a stop sorted by case number (so the order a query
returned them in does not matter), reserves in rank order (the order is part of what they say), a
stop's ``reserves`` key present only when it has reserves (so a manifest without reserves — every
revision stored before reserves existed — hashes exactly as it always did), the optional row keys
``claimed_nationality``, ``document_issuing_country`` and ``document_issued_on`` present only when
not ``None`` (so a revision stored before they existed re-hashes exactly as it was stored), dates as
ISO ``YYYY-MM-DD``, the departure as ISO UTC with a ``Z``,
strings exactly as stored (no case folding, no Unicode normalisation), absent values as JSON ``null``;
serialised with :func:`planner.persistence.audit.canonical_json` (sorted keys, no spaces, UTF-8) and
prefixed with a format tag, so the serialisation can evolve without colliding with old hashes.

Routes with several pickups (format 2)
--------------------------------------
A flight that picks people up at more than one airport lists every pickup (sequence 0 = the
departure airport, then the later ones: airport, name, country, time zone, departure in UTC) and
each row's ``pickup_sequence``. Such content is tagged :data:`ROUTE_FORMAT` and hashes the
``pickups`` key and every row's ``pickup_sequence``; content of a one-pickup flight has neither and
stays :data:`CANONICAL_FORMAT`, byte for byte as before routes existed, so every stored revision
still verifies and renders unchanged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.domain.enums import ManifestStatus
from planner.domain.route import Drop, Leg, Pickup, Route
from planner.persistence.audit import canonical_json

#: Tag at the start of the canonical bytes; bump it when the canonical form changes.
CANONICAL_FORMAT = "charter-manifest/1"
#: Tag of content with several pickups (see "Routes with several pickups" in the module doc).
ROUTE_FORMAT = "charter-manifest/2"
#: First field of the QR payload ``CHARTER-MANIFEST|<flight code>|<revision>|<sha256 hex>``.
QR_PREFIX = "CHARTER-MANIFEST"

_ROW_FIELDS = (
    "case_number",
    "family_name",
    "given_names",
    "native_name",
    "sex",
    "date_of_birth",
    "nationality",
    "document_type",
    "document_number",
    "document_expires",
    "verification_reference",
    "verified_on",
    "risk_level",
    "medical_need",
    "family_group",
)
#: Row fields added later: written only when not ``None`` (see the module doc).
_OPTIONAL_ROW_FIELDS = ("claimed_nationality", "document_issuing_country", "document_issued_on")


@dataclass(frozen=True, slots=True)
class ManifestRow:
    """One person on the manifest. Enumerations are their stored string values (``Sex``, ``RiskLevel``…).

    ``native_name`` is ``""`` when the person has none; ``family_group`` is ``None`` for a person
    travelling alone.

    ``nationality`` is the nationality the documents attest to the receiving country (the one
    :mod:`planner.services.manifests.build` establishes: the stop's country when that country
    confirmed the person); ``claimed_nationality`` is the person's own claim, set only when it
    differs from ``nationality``. ``document_issuing_country`` / ``document_issued_on`` are those of
    the travel document listed (``None`` in revisions stored before they were recorded, or unknown).
    """

    case_number: str
    family_name: str
    given_names: str
    native_name: str
    sex: str
    date_of_birth: date
    nationality: str
    document_type: str
    document_number: str
    document_expires: date
    verification_reference: str
    verified_on: date | None
    risk_level: str
    medical_need: str
    family_group: str | None = None
    claimed_nationality: str | None = None
    document_issuing_country: str | None = None
    document_issued_on: date | None = None
    #: The pickup the person boards at (0 = the departure airport); hashed only in route content.
    pickup_sequence: int = 0

    def __post_init__(self) -> None:
        if not self.case_number:
            raise ValueError("a manifest row needs a case number")


@dataclass(frozen=True, slots=True)
class StopSection:
    """Stop ``sequence`` (1, 2, …) of the flight; ``country`` (ISO alpha-3) is the receiving country.

    ``timezone`` (IANA) and ``arrival_utc`` (timezone-aware) are optional; PAXLST uses them for the
    scheduled arrival (``DTM+232``) when present. ``reserves`` are the stop's ranked reserves (rank 1
    first); they are not passengers: PAXLST and the totals leave them out.
    """

    sequence: int
    airport: str
    airport_name: str
    country: str
    rows: tuple[ManifestRow, ...] = ()
    timezone: str | None = None
    arrival_utc: datetime | None = None
    reserves: tuple[ManifestRow, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple(self.rows))
        object.__setattr__(self, "reserves", tuple(self.reserves))
        if self.timezone is not None:
            _check_zone(self.timezone)
        if self.arrival_utc is not None and self.arrival_utc.utcoffset() is None:
            raise ValueError(f"stop {self.sequence}: arrival_utc must be timezone-aware")


@dataclass(frozen=True, slots=True)
class PickupSection:
    """Pickup ``sequence`` (0 = the flight's departure airport) of a route: where people board and
    when the flight leaves there (``departure_utc``, timezone-aware); ``country`` ISO alpha-3."""

    sequence: int
    airport: str
    airport_name: str
    country: str
    timezone: str
    departure_utc: datetime

    def __post_init__(self) -> None:
        _check_zone(self.timezone)
        if self.departure_utc.utcoffset() is None:
            raise ValueError(f"pickup {self.sequence}: departure_utc must be timezone-aware")

    @property
    def departure_local(self) -> datetime:
        return self.departure_utc.astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True, slots=True)
class ManifestContent:
    """A manifest revision's content plus its lifecycle metadata (see the module doc for the hash).

    Invariants checked on construction: ``departure_utc`` is timezone-aware, ``departure_timezone``
    is a known IANA zone, stop sequences are unique, and no case number appears twice (passengers
    and reserves together).
    """

    flight_code: str
    revision: int
    status: str
    carrier: str
    aircraft: str
    departure_airport: str
    departure_airport_name: str
    departure_utc: datetime
    departure_timezone: str
    stops: tuple[StopSection, ...] = ()
    prepared_by: str = ""
    prepared_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    signed_by: str | None = None
    signed_at: datetime | None = None
    #: The role the approver / signer held when they approved / signed (``supervisor``; ``None`` in
    #: revisions stored before it was recorded). Lifecycle metadata: not hashed.
    approved_role: str | None = None
    signed_role: str | None = None
    #: The audit chain's head when the revision was signed, ``"<event id>:<hash>"`` (not hashed,
    #: like the rest of the lifecycle metadata; see :mod:`planner.persistence.audit_anchors`).
    audit_anchor: str | None = None
    #: Every pickup of a route with several (sequence 0 first, matching the departure fields);
    #: empty for a flight that leaves from one airport (format 1 content).
    pickups: tuple[PickupSection, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "stops", tuple(sorted(self.stops, key=lambda s: s.sequence)))
        object.__setattr__(self, "pickups", tuple(sorted(self.pickups, key=lambda p: p.sequence)))
        self._check_pickups()
        ManifestStatus(self.status)  # raises ValueError for an unknown status
        if self.departure_utc.utcoffset() is None:
            raise ValueError("departure_utc must be timezone-aware")
        _check_zone(self.departure_timezone)
        sequences = [s.sequence for s in self.stops]
        if len(set(sequences)) != len(sequences):
            raise ValueError(f"duplicate stop sequence in {sequences}")
        seen: set[str] = set()
        for stop in self.stops:
            for row in (*stop.rows, *stop.reserves):
                if row.case_number in seen:
                    raise ValueError(f"case number {row.case_number} appears twice on the manifest")
                seen.add(row.case_number)

    def _check_pickups(self) -> None:
        known = {p.sequence for p in self.pickups} or {0}
        if self.pickups:
            first = self.pickups[0]
            if first.sequence != 0 or first.airport != self.departure_airport:
                raise ValueError("pickup 0 must be the departure airport")
            if first.departure_utc != self.departure_utc:
                raise ValueError("pickup 0 must leave at the departure time")
            if len(known) != len(self.pickups):
                raise ValueError(f"duplicate pickup sequence in {[p.sequence for p in self.pickups]}")
        for stop in self.stops:
            for row in stop.rows:
                if row.pickup_sequence not in known:
                    raise ValueError(
                        f"{row.case_number} boards at pickup {row.pickup_sequence}, not on the route"
                    )

    @property
    def has_route(self) -> bool:
        """True when the flight picks people up at more than one airport (format 2 content)."""
        return len(self.pickups) > 1

    def route_pickups(self) -> tuple[PickupSection, ...]:
        """The pickups in order; for a one-pickup flight its departure (country ``""``: format 1
        content does not record the departure country)."""
        if self.pickups:
            return self.pickups
        return (
            PickupSection(
                0,
                self.departure_airport,
                self.departure_airport_name,
                "",
                self.departure_timezone,
                self.departure_utc,
            ),
        )

    def pickup(self, sequence: int) -> PickupSection:
        """Pickup ``sequence``; ``KeyError`` when the route has none."""
        for p in self.route_pickups():
            if p.sequence == sequence:
                return p
        raise KeyError(sequence)

    def route(self) -> Route:
        """The route (``planner.domain.route``) the content describes."""
        return Route(
            tuple(Pickup(p.sequence, p.airport, p.departure_utc) for p in self.route_pickups()),
            tuple(Drop(s.sequence, s.airport, s.arrival_utc) for s in self.stops),
        )

    def legs(self) -> tuple[Leg, ...]:
        """The route's legs (pickup to pickup, last pickup to the first stop, stop to stop)."""
        return self.route().legs()

    def rows_of_pickup(self, sequence: int) -> list[tuple[StopSection, ManifestRow]]:
        """(stop, row) of every passenger boarding at pickup ``sequence``, in stop then row order."""
        return [(s, r) for s in self.stops for r in s.rows if r.pickup_sequence == sequence]

    def rows_aboard(self, leg_index: int) -> list[tuple[StopSection, ManifestRow]]:
        """(stop, row) of every passenger aboard leg ``leg_index``, in stop then row order."""
        route = self.route()
        return [
            (s, r)
            for s in self.stops
            for r in s.rows
            if leg_index in route.legs_aboard(r.pickup_sequence, s.sequence)
        ]

    @property
    def person_count(self) -> int:
        """Number of people on the whole flight (passengers; reserves are not counted)."""
        return sum(len(s.rows) for s in self.stops)

    @property
    def reserve_count(self) -> int:
        """Number of reserves listed over all stops."""
        return sum(len(s.reserves) for s in self.stops)

    @property
    def departure_local(self) -> datetime:
        """The departure in the departure airport's time zone."""
        return self.departure_utc.astimezone(ZoneInfo(self.departure_timezone))


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


def _iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _row_dict(row: ManifestRow, *, route: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _ROW_FIELDS:
        value = getattr(row, name)
        out[name] = _iso_date(value) if isinstance(value, date) else value
    for name in _OPTIONAL_ROW_FIELDS:
        value = getattr(row, name)
        if value is not None:
            out[name] = _iso_date(value) if isinstance(value, date) else value
    if route:
        out["pickup_sequence"] = row.pickup_sequence
    return out


def _pickup_dict(pickup: PickupSection) -> dict[str, Any]:
    return {
        "sequence": pickup.sequence,
        "airport": pickup.airport,
        "airport_name": pickup.airport_name,
        "country": pickup.country,
        "timezone": pickup.timezone,
        "departure_utc": _iso_utc(pickup.departure_utc),
    }


def _stop_dict(stop: StopSection, *, route: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sequence": stop.sequence,
        "airport": stop.airport,
        "airport_name": stop.airport_name,
        "country": stop.country,
        "timezone": stop.timezone,
        "arrival_utc": _iso_utc(stop.arrival_utc),
        "rows": [_row_dict(r, route=route) for r in sorted(stop.rows, key=lambda r: r.case_number)],
    }
    if stop.reserves:
        out["reserves"] = [_row_dict(r) for r in stop.reserves]
    return out


def hashed_dict(content: ManifestContent) -> dict[str, Any]:
    """The part of ``content`` the hash covers, as plain JSON-able data (see the module doc)."""
    route = bool(content.pickups)
    out: dict[str, Any] = {
        "format": ROUTE_FORMAT if route else CANONICAL_FORMAT,
        "flight_code": content.flight_code,
        "revision": content.revision,
        "carrier": content.carrier,
        "aircraft": content.aircraft,
        "departure_airport": content.departure_airport,
        "departure_airport_name": content.departure_airport_name,
        "departure_utc": _iso_utc(content.departure_utc),
        "departure_timezone": content.departure_timezone,
        "stops": [_stop_dict(stop, route=route) for stop in content.stops],
    }
    if route:
        out["pickups"] = [_pickup_dict(p) for p in content.pickups]
    return out


def canonical_bytes(content: ManifestContent) -> bytes:
    """The bytes the manifest hash is computed over (UTF-8 canonical JSON; see the module doc)."""
    return canonical_json(hashed_dict(content)).encode("utf-8")


def content_sha256(content: ManifestContent) -> str:
    """Lower-case hex SHA-256 of :func:`canonical_bytes`; identical for DRAFT, APPROVED and SIGNED."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def qr_payload(content: ManifestContent) -> str:
    """``CHARTER-MANIFEST|<flight code>|<revision>|<sha256 hex>``: what every page's QR code carries."""
    return f"{QR_PREFIX}|{content.flight_code}|{content.revision}|{content_sha256(content)}"


def parse_qr_payload(text: str) -> tuple[str, int, str]:
    """``(flight_code, revision, sha256)`` from a scanned QR payload; ``ValueError`` if malformed."""
    parts = text.strip().split("|")
    if len(parts) != 4 or parts[0] != QR_PREFIX:
        raise ValueError(f"not a manifest QR payload: {text!r}")
    _, flight_code, revision, digest = parts
    if not revision.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"malformed manifest QR payload: {text!r}")
    return flight_code, int(revision), digest


# ---------------------------------------------------------------------------------------------
# Storage form (``Manifest.content_json``): everything, lifecycle metadata included.


def content_to_json(content: ManifestContent) -> str:
    """Full JSON of ``content`` (hashed part plus status and lifecycle metadata), for storage."""
    data = hashed_dict(content)
    data.update(
        {
            "status": content.status,
            "prepared_by": content.prepared_by,
            "prepared_at": _iso_utc(content.prepared_at),
            "approved_by": content.approved_by,
            "approved_at": _iso_utc(content.approved_at),
            "signed_by": content.signed_by,
            "signed_at": _iso_utc(content.signed_at),
        }
    )
    for key in ("approved_role", "signed_role"):  # absent before roles were recorded: old rows unchanged
        if getattr(content, key) is not None:
            data[key] = getattr(content, key)
    if content.audit_anchor is not None:  # absent before anchors existed: old rows stay byte-identical
        data["audit_anchor"] = content.audit_anchor
    return canonical_json(data)


def _parse_utc(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _parse_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _parse_row(data: dict[str, Any]) -> ManifestRow:
    values = dict(data)
    for name in ("date_of_birth", "document_expires", "verified_on"):
        values[name] = _parse_date(values[name])
    values["document_issued_on"] = _parse_date(values.get("document_issued_on"))  # absent in old revisions
    return ManifestRow(**values)  # pickup_sequence: only in route content (default 0)


def content_from_json(text: str) -> ManifestContent:
    """Inverse of :func:`content_to_json`; the result hashes to the same value as the original."""
    data = json.loads(text)
    if data.get("format") not in (CANONICAL_FORMAT, ROUTE_FORMAT):
        raise ValueError(f"unsupported manifest content format {data.get('format')!r}")
    stops = [
        StopSection(
            sequence=s["sequence"],
            airport=s["airport"],
            airport_name=s["airport_name"],
            country=s["country"],
            rows=tuple(_parse_row(r) for r in s["rows"]),
            timezone=s["timezone"],
            arrival_utc=_parse_utc(s["arrival_utc"]),
            reserves=tuple(_parse_row(r) for r in s.get("reserves", ())),  # absent before reserves existed
        )
        for s in data["stops"]
    ]
    departure = _parse_utc(data["departure_utc"])
    assert departure is not None
    return ManifestContent(
        flight_code=data["flight_code"],
        revision=data["revision"],
        status=data["status"],
        carrier=data["carrier"],
        aircraft=data["aircraft"],
        departure_airport=data["departure_airport"],
        departure_airport_name=data["departure_airport_name"],
        departure_utc=departure,
        departure_timezone=data["departure_timezone"],
        stops=tuple(stops),
        prepared_by=data["prepared_by"],
        prepared_at=_parse_utc(data["prepared_at"]),
        approved_by=data["approved_by"],
        approved_at=_parse_utc(data["approved_at"]),
        signed_by=data["signed_by"],
        signed_at=_parse_utc(data["signed_at"]),
        audit_anchor=data.get("audit_anchor"),
        approved_role=data.get("approved_role"),
        signed_role=data.get("signed_role"),
        pickups=tuple(
            PickupSection(
                sequence=p["sequence"],
                airport=p["airport"],
                airport_name=p["airport_name"],
                country=p["country"],
                timezone=p["timezone"],
                departure_utc=_parse_utc(p["departure_utc"]) or departure,
            )
            for p in data.get("pickups", ())
        ),
    )
