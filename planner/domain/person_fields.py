"""A person's fields that both the roster import and the person editor set, with their rules.

The roster import (:mod:`planner.services.imports.roster`) reads every field of a person; the
editor (:func:`planner.services.people.update_person`) may change the few below, parsed by these
same columns so a value is valid in one exactly when it is valid in the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from planner.domain import fields as f
from planner.domain.enums import CustodyStatus, MedicalNeed, RiskLevel
from planner.domain.fields import Column

RISK_LEVEL = Column("risk_level", f.enum(RiskLevel))
MEDICAL_NEED = Column("medical_need", f.enum(MedicalNeed))
FAMILY_GROUP = Column(
    "family_group",
    f.code(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*", "a family group id (letters, digits, _ . - /)"),
    required=False,
    max_length=32,
)
LEGAL_HOLD = Column("legal_hold", required=False)
HOLD_UNTIL = Column("hold_until", f.iso_date, required=False)
PRIORITY = Column("priority", f.integer(1, 5))
CUSTODY_STATUS = Column("custody_status", f.enum(CustodyStatus))
#: The message for an end date without a reason (a hold needs a reason; it may be open-ended).
HOLD_WITHOUT_REASON = "a hold end date needs a legal_hold reason"


def mixed_family_message(group: str, where_by_nationality: Mapping[str, Sequence[str]]) -> str:
    """The error for family group ``group`` whose members (described by where they are, e.g.
    ``line 7`` or ``A123456789 in the database``) have more than one nationality."""
    described = "; ".join(
        f"{nat}: {', '.join(where[:5])}{' …' if len(where) > 5 else ''}"
        for nat, where in sorted(where_by_nationality.items())
    )
    return f"family group {group} mixes nationalities ({described}); a family travels together"
