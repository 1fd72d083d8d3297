"""The escort list of a flight: who flies besides the returnees (escort officers, crew, medical staff).

They are not passengers of the removal: they go on a separate PAXLST crew list (``BGM+250``), never
on the manifest. ``EscortRole`` is the role printed on that list.
"""

from __future__ import annotations

from enum import StrEnum


class EscortRole(StrEnum):
    ESCORT = "ESCORT"
    CREW = "CREW"
    MEDICAL = "MEDICAL"


__all__ = ["EscortRole"]
