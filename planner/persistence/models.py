"""SQLModel tables for every entity of docs/design.md.

Conventions:
- Integer surrogate keys; the domain's natural keys (case number, flight code, username,
  IATA code, country code) are unique columns.
- Every timestamp is a timezone-aware UTC ``datetime`` (see ``planner.persistence.dbtypes.UTCDateTime``).
- Enumerations are stored as strings and guarded by CHECK constraints.
- Editable entities carry a ``version`` counter for optimistic locking.
- The flight's human identifier (``RF0001``; CSV column ``flight_id``) is ``Flight.code``;
  ``Flight.id`` is the surrogate key other tables reference.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import AutoString

from planner.domain.enums import (
    CustodyStatus,
    DocumentStatus,
    DocumentType,
    FlightStatus,
    ManifestStatus,
    MedicalNeed,
    OrderStatus,
    RequestKind,
    RequestOutcome,
    RiskLevel,
    Role,
    ScheduleStatus,
    Sex,
    StrikeReason,
    VerificationResult,
    enum_values,
)
from planner.domain.escorts import EscortRole
from planner.persistence.dbtypes import UTCDateTime

# Stable constraint names so Alembic migrations and both backends agree.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def _check_in(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name)


#: Deferred: ``select(User)`` leaves it out, because on PostgreSQL a desk's login may not read it
#: (``planner.persistence.pg_security``); it loads when accessed.
_PASSWORD_HASH: sa.Column[str] = sa.Column("password_hash", AutoString(length=255), nullable=False)


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (_check_in("role", enum_values(Role), "role"),)
    __mapper_args__ = {"properties": {"password_hash": sa.orm.deferred(_PASSWORD_HASH)}}

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    password_hash: str = Field(sa_column=_PASSWORD_HASH)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    version: int = Field(default=1)


class Airport(SQLModel, table=True):
    """An airport the office's data refers to. ``source`` says where the row came from: ``dataset``
    (the shipped world table, ``planner.services.airports``, copied in when first used) or ``admin``
    (a private or missing airport an admin added)."""

    iata: str = Field(primary_key=True, max_length=3)
    name: str = Field(max_length=200)
    city: str = Field(max_length=100)
    country: str = Field(max_length=3, index=True)
    timezone: str = Field(max_length=64)
    latitude: float | None = None
    longitude: float | None = None
    source: str = Field(default="dataset", max_length=16, sa_column_kwargs={"server_default": "dataset"})


class CountryRule(SQLModel, table=True):
    """Per receiving country. ``accepted_document_types`` is a comma-separated list."""

    __tablename__ = "country_rule"

    country: str = Field(primary_key=True, max_length=3)
    name: str = Field(max_length=100)
    verification_required: bool = Field(default=True)
    accepted_document_types: str = Field(max_length=200)
    min_validity_days: int = Field(default=0)
    max_per_flight: int | None = Field(default=None)
    notice_days: int = Field(default=0)
    #: Minutes before arrival the receiving state must have the API data (PAXLST); 1440 = 24 h,
    #: the conservative default for a country that publishes no shorter limit.
    api_deadline_minutes: int = Field(default=1440)
    #: Days the receiving state is expected to take to answer a request (verification or travel
    #: document) until its own history of answers gives a median (``planner.domain.requests``).
    lead_time_days: int = Field(default=30, sa_column_kwargs={"server_default": "30"})
    #: The request CSV's columns in order, separated by ``;`` (empty = the default layout,
    #: ``planner.domain.requests.DEFAULT_REQUEST_COLUMNS``); always holds case_number and reference.
    request_columns: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    #: Mission scheduling (issue 17). ``region``: countries of one region may share a mission
    #: (empty = the country's missions stop nowhere else); ``max_missions_per_week``: missions
    #: arriving per week (None = no limit); ``arrival_weekdays``: weekdays arrivals are accepted,
    #: ``MON;WED`` (empty = every day); ``arrival_airports``: accepted arrival airports, ``GUA;SAP``
    #: (empty = every airport of the country in the reference data).
    region: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    max_missions_per_week: int | None = Field(default=None)
    arrival_weekdays: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    arrival_airports: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    version: int = Field(default=1)


class Facility(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    name: str = Field(max_length=200)
    city: str = Field(max_length=100)
    version: int = Field(default=1)


class FacilityAirport(SQLModel, table=True):
    """A facility can transfer people to ``airport`` in ``transfer_hours``."""

    __tablename__ = "facility_airport"
    __table_args__ = (sa.CheckConstraint("transfer_hours >= 0", name="transfer_hours"),)

    facility_id: int = Field(foreign_key="facility.id", primary_key=True, ondelete="CASCADE")
    airport: str = Field(foreign_key="airport.iata", primary_key=True, max_length=3)
    transfer_hours: float


class Person(SQLModel, table=True):
    __table_args__ = (
        _check_in("sex", enum_values(Sex), "sex"),
        _check_in("risk_level", enum_values(RiskLevel), "risk_level"),
        _check_in("medical_need", enum_values(MedicalNeed), "medical_need"),
        _check_in("order_status", enum_values(OrderStatus), "order_status"),
        _check_in("custody_status", enum_values(CustodyStatus), "custody_status"),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name="priority"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_number: str = Field(max_length=10, unique=True, index=True)
    family_name: str = Field(max_length=200, index=True)
    given_names: str = Field(max_length=200)
    native_name: str = Field(default="", max_length=200)
    sex: str = Field(max_length=1)
    date_of_birth: date
    place_of_birth: str = Field(default="", max_length=200)
    nationality: str = Field(max_length=3, index=True)
    facility_id: int | None = Field(default=None, foreign_key="facility.id", index=True)
    risk_level: str = Field(max_length=8)
    medical_need: str = Field(max_length=16)
    family_group: str | None = Field(default=None, max_length=32, index=True)
    order_status: str = Field(max_length=8)
    order_date: date | None = None
    legal_hold_reason: str | None = Field(default=None, max_length=200)
    hold_until: date | None = None
    priority: int = Field(default=3)
    custody_status: str = Field(max_length=16, index=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    #: Set when ``retention apply`` replaced the personal data (see planner.services.retention).
    anonymised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)


class TravelDocument(SQLModel, table=True):
    __tablename__ = "travel_document"
    __table_args__ = (
        _check_in("doc_type", enum_values(DocumentType), "doc_type"),
        _check_in("status", enum_values(DocumentStatus), "status"),
        sa.UniqueConstraint("person_id", "doc_type", "number", "issuing_country"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    doc_type: str = Field(max_length=32)
    number: str = Field(max_length=32)
    issuing_country: str = Field(max_length=3)
    issued_on: date | None = None
    expires_on: date
    status: str = Field(default=DocumentStatus.VALID.value, max_length=8)
    version: int = Field(default=1)


class NationalityVerification(SQLModel, table=True):
    """Append-only: a new consular answer is a new row; the latest per country counts."""

    __tablename__ = "nationality_verification"
    __table_args__ = (
        _check_in("result", enum_values(VerificationResult), "result"),
        sa.Index("ix_verification_person_country_date", "person_id", "country", "verified_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    country: str = Field(max_length=3)
    result: str = Field(max_length=16)
    authority: str = Field(default="", max_length=200)
    verified_on: date
    reference: str = Field(default="", max_length=64)
    source_file: str = Field(default="", max_length=255)
    source_line: int | None = None
    imported_by: str = Field(default="", max_length=64)
    imported_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Flight(SQLModel, table=True):
    __table_args__ = (
        _check_in("status", enum_values(FlightStatus), "status"),
        sa.CheckConstraint(
            "seats >= 0 AND escort_officers >= 0 AND medical_slots >= 0 AND wheelchair_slots >= 0",
            name="capacities",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    carrier: str = Field(max_length=100)
    aircraft: str = Field(max_length=50)
    departure_airport: str = Field(foreign_key="airport.iata", max_length=3)
    departure_utc: datetime = Field(sa_type=UTCDateTime, index=True)
    seats: int
    escort_officers: int
    medical_slots: int = 0
    wheelchair_slots: int = 0
    status: str = Field(default=FlightStatus.PLANNED.value, max_length=16)
    version: int = Field(default=1)
    #: Doors closed (``close``): every listed person boarded or struck off; set once.
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=64)
    #: When the flight left (``depart``); status is then DEPARTED.
    departed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FlightStop(SQLModel, table=True):
    """Stop ``sequence`` (1, 2, …) of a flight; the airport's country is the receiving country."""

    __tablename__ = "flight_stop"
    __table_args__ = (sa.UniqueConstraint("flight_id", "sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    flight_id: int = Field(foreign_key="flight.id", index=True, ondelete="CASCADE")
    sequence: int
    airport: str = Field(foreign_key="airport.iata", max_length=3)
    #: Scheduled arrival at this stop (None: not known); PAXLST DTM+232 and the API deadline clock.
    arrival_utc: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlanRun(SQLModel, table=True):
    __tablename__ = "plan_run"

    id: int | None = Field(default=None, primary_key=True)
    created_by: str = Field(max_length=64)
    started_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    settings_json: str = Field(default="{}")
    status: str = Field(default="DRAFT", max_length=16)
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solve_seconds: float | None = None
    counts_json: str = Field(default="{}")


class FlightPickup(SQLModel, table=True):
    """A later pickup of a flight's route: ``sequence`` 1, 2, … after the first pickup, which is the
    flight's own ``departure_airport`` / ``departure_utc`` (sequence 0, no row). Pickups come before
    the stops (``planner.domain.route``)."""

    __tablename__ = "flight_pickup"
    __table_args__ = (
        sa.UniqueConstraint("flight_id", "sequence"),
        sa.CheckConstraint("sequence >= 1", name="sequence_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flight_id: int = Field(foreign_key="flight.id", index=True, ondelete="CASCADE")
    sequence: int
    airport: str = Field(foreign_key="airport.iata", max_length=3)
    departure_utc: datetime = Field(sa_type=UTCDateTime)


class Assignment(SQLModel, table=True):
    """A person placed by a plan run: on stop ``flight_stop_id`` (where they leave the flight),
    boarding at pickup ``pickup_sequence`` of that flight's route (0 = the flight's departure
    airport, 1… = ``FlightPickup.sequence``)."""

    __table_args__ = (sa.UniqueConstraint("plan_run_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_run_id: int = Field(foreign_key="plan_run.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    flight_stop_id: int = Field(foreign_key="flight_stop.id", index=True)
    frozen: bool = Field(default=False)
    pickup_sequence: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class PlanExclusion(SQLModel, table=True):
    """Why a person was not placed by a plan run: a headline ``reason`` (a ReasonCode, ``CAPACITY``
    or ``NO_FLIGHT_TO_COUNTRY``) and ``detail_json`` (per-stop blocks or failing rules)."""

    __tablename__ = "plan_exclusion"
    __table_args__ = (sa.UniqueConstraint("plan_run_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_run_id: int = Field(foreign_key="plan_run.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    reason: str = Field(max_length=32)
    detail_json: str = Field(default="{}")


class Manifest(SQLModel, table=True):
    __table_args__ = (
        _check_in("status", enum_values(ManifestStatus), "status"),
        sa.UniqueConstraint("flight_id", "revision"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flight_id: int = Field(foreign_key="flight.id", index=True)
    revision: int
    status: str = Field(default=ManifestStatus.DRAFT.value, max_length=16)
    sha256: str = Field(max_length=64, index=True)
    content_json: str = Field(default="{}")
    prepared_by: str = Field(max_length=64)
    prepared_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_by: str | None = Field(default=None, max_length=64)
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained. Database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_entity_entity_id", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64, index=True)
    entity: str = Field(max_length=64)
    entity_id: str = Field(default="", max_length=64)
    changes_json: str = Field(default="{}")
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    #: PostgreSQL: HMAC-SHA256 of ``hash`` under the server's key (``planner.persistence.pg_audit``).
    mac: str | None = Field(default=None, max_length=64)


class AuditHead(SQLModel, table=True):
    """One row (id 1, made by migration 0009): the chain's tip. Appenders lock it so the chain
    stays linear; triggers refuse deleting it or pointing it anywhere but the newest event."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True)
    last_event_id: int = Field(default=0)
    last_hash: str = Field(max_length=64)


#: What an audit anchor was recorded for (``AuditAnchor.kind``).
AUDIT_ANCHOR_KINDS = ("manifest.signed", "manifest.as_flown", "backup", "export")


class AuditAnchor(SQLModel, table=True):
    """The audit chain's head (``event_id`` + ``event_hash``) when a document or copy that leaves
    the database was made: a signed or as-flown manifest, a backup, an anchors export.
    ``reference`` names it (``RF0001 rev 2``, a backup file name)."""

    __tablename__ = "audit_anchor"
    __table_args__ = (_check_in("kind", AUDIT_ANCHOR_KINDS, "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    reference: str = Field(max_length=200)
    event_id: int
    event_hash: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=64)


class ManifestSignature(SQLModel, table=True):
    """The PAdES-signed PDF of a SIGNED manifest revision (only when signed with a PKCS#12 key).

    A separate table so listing manifests never loads PDF bytes. ``pdf_sha256`` is over ``pdf``
    (the signed file as delivered); the manifest's content hash stays ``Manifest.sha256``.
    """

    __tablename__ = "manifest_signature"

    manifest_id: int = Field(foreign_key="manifest.id", primary_key=True)
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    pdf_sha256: str = Field(max_length=64)
    signer_subject: str = Field(default="", max_length=500)
    certificate_sha256: str = Field(default="", max_length=64)
    signed_by: str = Field(max_length=64)
    signed_at: datetime = Field(sa_type=UTCDateTime)


class AppLock(SQLModel, table=True):
    """A named lease lock (see ``planner.persistence.locks``): one row while somebody holds ``name``.

    ``expires_at`` bounds the lease, so a crashed holder blocks nobody for longer than that;
    ``token`` identifies the holder's acquisition, so a release never removes somebody else's lease.
    """

    __tablename__ = "app_lock"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=64)
    token: str = Field(max_length=36)
    acquired_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class StrikeOff(SQLModel, table=True):
    """A person struck off a flight's list, with a coded reason (``StrikeReason``; OTHER has a note).

    Append-only: one row per person per strike (a family struck together gives one row per
    member). ``manifest_revision`` is the in-force revision the person was listed on when struck
    (None when struck from the plan before any manifest was approved).
    """

    __tablename__ = "strike_off"
    __table_args__ = (_check_in("reason", enum_values(StrikeReason), "reason"),)

    id: int | None = Field(default=None, primary_key=True)
    flight_id: int = Field(foreign_key="flight.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    stop_sequence: int
    reason: str = Field(max_length=32)
    note: str = Field(default="", max_length=1000)
    struck_by: str = Field(max_length=64)
    struck_at: datetime = Field(sa_type=UTCDateTime, index=True)
    manifest_revision: int | None = None


class Boarding(SQLModel, table=True):
    """A person boarded a flight at a pickup ``airport`` (once per flight and person)."""

    __table_args__ = (sa.UniqueConstraint("flight_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    flight_id: int = Field(foreign_key="flight.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    airport: str = Field(foreign_key="airport.iata", max_length=3)
    boarded_by: str = Field(max_length=64)
    boarded_at: datetime = Field(sa_type=UTCDateTime)


class CustodyEvent(SQLModel, table=True):
    """Custody history: a person's custody status changed (e.g. IN_CUSTODY → REMOVED on a
    departed flight, ``flight_id`` naming it). Append-only."""

    __tablename__ = "custody_event"
    __table_args__ = (
        _check_in("from_status", enum_values(CustodyStatus), "from_status"),
        _check_in("to_status", enum_values(CustodyStatus), "to_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    from_status: str = Field(max_length=16)
    to_status: str = Field(max_length=16)
    flight_id: int | None = Field(default=None, foreign_key="flight.id", index=True)
    changed_at: datetime = Field(sa_type=UTCDateTime)
    changed_by: str = Field(max_length=64)
    note: str = Field(default="", max_length=1000)


class FlightEscort(SQLModel, table=True):
    """One person on a flight's escort list (escort officer, crew, medical staff): not a returnee.

    ``sequence`` orders the list (1, 2, …). The list of a flight is replaced as a whole by the
    escort import; these people go on the flight's PAXLST crew list, never on the manifest.
    """

    __tablename__ = "flight_escort"
    __table_args__ = (
        sa.UniqueConstraint("flight_id", "sequence"),
        _check_in("role", enum_values(EscortRole), "role"),
        _check_in("sex", enum_values(Sex), "sex"),
        _check_in("document_type", enum_values(DocumentType), "document_type"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flight_id: int = Field(foreign_key="flight.id", index=True, ondelete="CASCADE")
    sequence: int
    role: str = Field(max_length=16)
    family_name: str = Field(max_length=200)
    given_names: str = Field(max_length=200)
    sex: str = Field(max_length=1)
    date_of_birth: date
    nationality: str = Field(max_length=3)
    document_type: str = Field(max_length=32)
    document_number: str = Field(max_length=32)
    document_expires: date
    issuing_country: str = Field(max_length=3)


class SignInThrottle(SQLModel, table=True):
    """Consecutive failed sign-ins of a source (``kind`` "source": a desk's host name or client
    address) or of a user name nobody has (``kind`` "name"); an account's own count is on
    ``app_user``. ``next_attempt_at``: attempts before it are refused unchecked."""

    __tablename__ = "sign_in_throttle"

    kind: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=128)
    failures: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_failure_at: datetime = Field(sa_type=UTCDateTime, index=True)


class OfficeSettingsRow(SQLModel, table=True):
    """The office's safety settings (one row, ``id`` 1; see ``planner.services.office_settings``):
    escort officers per returnee by risk level, planning limits and the four-eyes rule. Admin-set,
    audited, ``version`` for optimistic locking; the CHECKs repeat the service's validation."""

    __tablename__ = "office_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint(
            "escort_low > 0 AND escort_medium >= escort_low AND escort_high >= escort_medium",
            name="escort_load",
        ),
        sa.CheckConstraint("reserve_fraction >= 0 AND reserve_fraction < 1", name="reserve_fraction"),
        sa.CheckConstraint("time_limit > 0 AND depart_margin_minutes > 0", name="limits"),
        sa.CheckConstraint(
            "detention_cost_person >= 0 AND detention_cost_family >= 0 AND unserved_penalty >= 0 "
            "AND schedule_weeks >= 1 AND schedule_weeks <= 52",
            name="schedule_costs",
        ),
    )

    id: int = Field(default=1, primary_key=True)
    escort_low: float = 1.0
    escort_medium: float = 1.5
    escort_high: float = 2.0
    time_limit: float = 30.0
    reserve_fraction: float = 0.10
    depart_margin_minutes: int = 60
    four_eyes_sign: bool = True
    #: Mission scheduling (issue 17): detention cost per day of a single adult and of a family,
    #: the cost of leaving a person unserved, the horizon in weeks and the pickup airports
    #: (``AEX;SAT``; empty = every airport a facility transfers to).
    detention_cost_person: float = Field(default=122.0, sa_column_kwargs={"server_default": "122"})
    detention_cost_family: float = Field(default=300.0, sa_column_kwargs={"server_default": "300"})
    unserved_penalty: float = Field(default=5000.0, sa_column_kwargs={"server_default": "5000"})
    schedule_weeks: int = Field(default=8, sa_column_kwargs={"server_default": "8"})
    pickup_airports: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_by: str = Field(default="system", max_length=64)


class RequestBatch(SQLModel, table=True):
    """One request to a receiving state's authorities (a consulate): verification of nationality or
    travel documents for a list of people, sent as a CSV and a PDF cover letter.

    ``reference`` is unique (``VR-CHN-2026-0007``: kind, country, year of ``sent_on``, a number
    counting per kind, country and year; ``planner.domain.requests``). The files' SHA-256 are kept
    so a copy can be checked against the record. ``closed_at`` is set when no item is OPEN.
    """

    __tablename__ = "request_batch"
    __table_args__ = (
        _check_in("kind", enum_values(RequestKind), "kind"),
        sa.UniqueConstraint("kind", "country", "year", "number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32, unique=True, index=True)
    kind: str = Field(max_length=16)
    country: str = Field(max_length=3, index=True)
    year: int
    number: int
    sent_on: date
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    people: int
    csv_name: str = Field(default="", max_length=255)
    csv_sha256: str = Field(default="", max_length=64)
    pdf_sha256: str = Field(default="", max_length=64)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RequestItem(SQLModel, table=True):
    """One person in a request batch, OPEN until answered (``RequestOutcome``).

    ``answered_on`` is the date the receiving state answered (the response's ``verified_on``, or the
    issue date of the travel document); lead time = ``answered_on`` − the batch's ``sent_on``.
    ``verification_id`` is the PENDING verification row the request added (verification batches);
    ``document_id`` the travel document the answer issued.
    """

    __tablename__ = "request_item"
    __table_args__ = (
        _check_in("outcome", enum_values(RequestOutcome), "outcome"),
        sa.UniqueConstraint("batch_id", "person_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="request_batch.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    outcome: str = Field(default=RequestOutcome.OPEN.value, max_length=16, index=True)
    answered_on: date | None = None
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_by: str | None = Field(default=None, max_length=64)
    answer_source: str = Field(default="", max_length=300)
    verification_id: int | None = Field(default=None, foreign_key="nationality_verification.id")
    document_id: int | None = Field(default=None, foreign_key="travel_document.id")


class Aircraft(SQLModel, table=True):
    """A type of aircraft the office can charter (``import aircraft``): returnee seats, the cost of
    one block hour, the cruise speed and how many missions it can fly per week (issue 17)."""

    __tablename__ = "aircraft"
    __table_args__ = (
        sa.CheckConstraint(
            "seats > 0 AND cost_per_block_hour > 0 AND cruise_kmh > 0 AND available_per_week >= 0",
            name="positive",
        ),
    )

    name: str = Field(primary_key=True, max_length=50)
    seats: int
    cost_per_block_hour: float
    cruise_kmh: float
    available_per_week: int
    version: int = Field(default=1)


class ScheduleProposal(SQLModel, table=True):
    """One run of the mission scheduler (``schedule propose``): the missions it proposes for
    ``weeks`` weeks from ``from_date``, at the least total cost it found (``bound``: the proven lower
    bound; ``gap``: (cost - bound) / cost). ``parameters_json`` holds every input the figures
    depend on (costs, hubs, aircraft, country limits, demand), so anyone can recompute them;
    ``totals_json`` / ``current_json`` the totals of the proposal and of the flights already
    scheduled over the horizon. Never edited after it is made, except ``accepted_*``."""

    __tablename__ = "schedule_proposal"
    __table_args__ = (_check_in("status", enum_values(ScheduleStatus), "status"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    from_date: date
    weeks: int
    status: str = Field(default=ScheduleStatus.PROPOSED.value, max_length=16)
    bound: float | None = None
    gap: float | None = None
    solve_seconds: float = 0.0
    parameters_json: str = Field(default="{}")
    totals_json: str = Field(default="{}")
    current_json: str = Field(default="{}")
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_by: str | None = Field(default=None, max_length=64)


class ScheduleMission(SQLModel, table=True):
    """One proposed mission (``M{number}``): departure date (local at the first pickup), aircraft,
    pickups and stops in flying order (``;``-separated IATA codes), people per receiving country
    (``people_json``: ``{"GTM": 120}``), returnee seats, block hours and cost from the cost model.
    ``flight_id`` is the PLANNED flight it became when accepted."""

    __tablename__ = "schedule_mission"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="schedule_proposal.id", index=True)
    number: int
    departure_date: date
    aircraft: str = Field(max_length=50)
    pickups: str = Field(max_length=40)
    stops: str = Field(max_length=40)
    people_json: str = Field(default="{}")
    people: int
    seats: int
    block_hours: float
    cost: float
    flight_id: int | None = Field(default=None, foreign_key="flight.id")
