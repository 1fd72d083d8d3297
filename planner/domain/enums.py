"""Domain vocabulary: the enumerations of docs/design.md as ``str`` enums.

Values are stored as plain strings in the database (CHECK constraints guard them), so the
same code works on SQLite and PostgreSQL without native enum types.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


#: What each role may do, as the set of roles it includes (a supervisor is also an officer). An
#: admin is an officer who also manages users, imports and office settings, but is NOT a
#: supervisor: approving, signing, closing the doors and departing need the supervisor role.
ROLE_INCLUDES: dict[Role, frozenset[Role]] = {
    Role.OFFICER: frozenset({Role.OFFICER}),
    Role.SUPERVISOR: frozenset({Role.OFFICER, Role.SUPERVISOR}),
    Role.ADMIN: frozenset({Role.OFFICER, Role.ADMIN}),
}


class Sex(StrEnum):
    M = "M"
    F = "F"
    X = "X"


class RiskLevel(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class MedicalNeed(StrEnum):
    NONE = "NONE"
    MEDICAL_ESCORT = "MEDICAL_ESCORT"
    WHEELCHAIR = "WHEELCHAIR"


class OrderStatus(StrEnum):
    FINAL = "FINAL"
    PENDING = "PENDING"
    NONE = "NONE"


class CustodyStatus(StrEnum):
    IN_CUSTODY = "IN_CUSTODY"
    RELEASED = "RELEASED"
    REMOVED = "REMOVED"


class DocumentType(StrEnum):
    PASSPORT = "PASSPORT"
    TRAVEL_DOCUMENT = "TRAVEL_DOCUMENT"
    EMERGENCY_TRAVEL_DOCUMENT = "EMERGENCY_TRAVEL_DOCUMENT"
    LAISSEZ_PASSER = "LAISSEZ_PASSER"


class DocumentStatus(StrEnum):
    VALID = "VALID"
    REVOKED = "REVOKED"
    LOST = "LOST"


class VerificationResult(StrEnum):
    CONFIRMED = "CONFIRMED"
    NOT_CONFIRMED = "NOT_CONFIRMED"
    PENDING = "PENDING"


class FlightStatus(StrEnum):
    PLANNED = "PLANNED"
    CANCELLED = "CANCELLED"
    DEPARTED = "DEPARTED"


class ManifestStatus(StrEnum):
    DRAFT = "DRAFT"
    APPROVED = "APPROVED"
    SIGNED = "SIGNED"
    SUPERSEDED = "SUPERSEDED"


class ReasonCode(StrEnum):
    """Why a person may not be placed on a flight stop (docs/design.md, Eligibility), in rule order.

    Values are stored in the database: never change one. Each member has exactly one rule in
    ``planner.domain.eligibility.registry.RULES`` at the same position, which is also its bit in the
    reason masks (a unit test checks both); ``docs/adding-a-rule.md`` says how to add one."""

    NOT_IN_CUSTODY = "NOT_IN_CUSTODY"
    NO_FINAL_ORDER = "NO_FINAL_ORDER"
    LEGAL_HOLD = "LEGAL_HOLD"
    NATIONALITY_NOT_VERIFIED = "NATIONALITY_NOT_VERIFIED"
    NATIONALITY_MISMATCH = "NATIONALITY_MISMATCH"
    NO_VALID_DOCUMENT = "NO_VALID_DOCUMENT"
    FACILITY_CANNOT_REACH = "FACILITY_CANNOT_REACH"
    NO_MEDICAL_CAPACITY = "NO_MEDICAL_CAPACITY"
    NO_WHEELCHAIR_CAPACITY = "NO_WHEELCHAIR_CAPACITY"
    AFTER_NOTICE_CUTOFF = "AFTER_NOTICE_CUTOFF"
    FAMILY_MEMBER_INELIGIBLE = "FAMILY_MEMBER_INELIGIBLE"


class StrikeReason(StrEnum):
    """Why a listed person was struck off a flight (issue #12). Stored in ``strike_off.reason``:
    never change a value. ``OTHER`` needs a note."""

    LEGAL_STAY = "LEGAL_STAY"
    MEDICAL_UNFIT = "MEDICAL_UNFIT"
    NO_SHOW = "NO_SHOW"
    REFUSED_BY_RECEIVING_STATE = "REFUSED_BY_RECEIVING_STATE"
    DOCUMENT_PROBLEM = "DOCUMENT_PROBLEM"
    DISRUPTIVE = "DISRUPTIVE"
    OTHER = "OTHER"


class RequestKind(StrEnum):
    """What a request batch asks a receiving state for (``planner.domain.requests``)."""

    VERIFICATION = "VERIFICATION"
    TRAVEL_DOCUMENT = "TRAVEL_DOCUMENT"


class RequestOutcome(StrEnum):
    """A request's state: OPEN until the receiving state answers; the answer closes it.

    Verification requests close CONFIRMED or NOT_CONFIRMED, travel-document requests ISSUED or
    REFUSED; WITHDRAWN closes a request the office no longer needs (the person left custody).
    """

    OPEN = "OPEN"
    CONFIRMED = "CONFIRMED"
    NOT_CONFIRMED = "NOT_CONFIRMED"
    ISSUED = "ISSUED"
    REFUSED = "REFUSED"
    WITHDRAWN = "WITHDRAWN"


class ScheduleStatus(StrEnum):
    """A mission-schedule proposal: PROPOSED until a supervisor accepts some of its missions
    (they become PLANNED flights), then ACCEPTED. Stored: never change a value."""

    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"


def enum_values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored string values of ``enum``, in declaration order."""
    return tuple(member.value for member in enum)
