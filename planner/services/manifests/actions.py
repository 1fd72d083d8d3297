"""Which manifest actions the window offers, and why not: a pure function of the selected flight,
its revisions, the user's role and what is running.

``manifest_actions(ManifestScreenState(...))`` returns, for every ``ManifestAction``, whether it
is enabled and either the reason it is not (shown as the disabled button's tooltip) or what it
does (the enabled tooltip; the window appends the keyboard shortcut). No Qt, no database: plain
dataclasses in, plain data out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from planner.domain.enums import ROLE_INCLUDES, FlightStatus, ManifestStatus, Role

NEEDS_SUPERVISOR = "Needs the supervisor role"
#: Statuses of a revision that counts as sent (the receiving country has it).
IN_FORCE = (ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value)


class ManifestAction(StrEnum):
    PREPARE = "prepare"
    REMOVE_PEOPLE = "remove_people"
    REOPEN = "reopen"
    APPROVE = "approve"
    SIGN = "sign"
    SAVE_PDF = "save_pdf"
    PRINT = "print"
    EXPORT_PAXLST = "export_paxlst"
    RENDER_ALL = "render_all"


#: What each action does: the tooltip of an enabled action (before its shortcut).
DESCRIPTIONS: dict[ManifestAction, str] = {
    ManifestAction.PREPARE: "Prepare a DRAFT revision from the current plan",
    ManifestAction.REMOVE_PEOPLE: (
        "Take people off this flight (whole families, with a reason); prepares the next revision"
    ),
    ManifestAction.REOPEN: (
        "Open this approved flight to the planner again so it can fill free seats before the notice "
        "cut-off: prepares a DRAFT revision with the same people (they stay frozen); the approved "
        "revision stays in force until the next one is approved"
    ),
    ManifestAction.APPROVE: "Approve the newest draft: freeze the flight and count the manifest as sent",
    ManifestAction.SIGN: "Sign the approved revision (optionally with a PAdES digital signature)",
    ManifestAction.SAVE_PDF: "Save the previewed revision as a PDF file",
    ManifestAction.PRINT: "Print the previewed revision",
    ManifestAction.EXPORT_PAXLST: "Export the revision in force as PAXLST (UN/EDIFACT) for the carrier",
    ManifestAction.RENDER_ALL: "Write the current manifest of every planned flight to a folder",
}


@dataclass(frozen=True)
class FlightState:
    """The selected flight, as far as the actions care."""

    code: str
    flight_status: str
    #: The notice cut-off of every stop has passed: nobody at all may be added any more.
    last_cutoff_passed: bool = False


@dataclass(frozen=True)
class RevisionState:
    """One manifest revision of the selected flight."""

    revision: int
    status: str


@dataclass(frozen=True)
class ManifestScreenState:
    """Everything the enablement depends on. ``busy`` names the write running (empty: none)."""

    flight: FlightState | None
    role: Role
    revisions: Sequence[RevisionState] = field(default_factory=tuple)
    busy: str = ""
    pdf_ready: bool = False
    batch_running: bool = False

    @property
    def newest(self) -> RevisionState | None:
        return max(self.revisions, key=lambda r: r.revision) if self.revisions else None


@dataclass(frozen=True)
class ActionState:
    """``reason`` says why the action is disabled ("" when enabled); ``description`` what it does."""

    reason: str
    description: str

    @property
    def enabled(self) -> bool:
        return not self.reason

    def tooltip(self, shortcut: str = "") -> str:
        """The reason when disabled, otherwise the description followed by ``shortcut``."""
        return self.reason or self.description + shortcut


def _flight_reason(state: ManifestScreenState) -> str:
    if state.busy:
        return f"Busy: {state.busy}"
    if state.flight is None:
        return "Select a flight first"
    return ""


def _changeable_reason(state: ManifestScreenState) -> str:
    """Why the selected flight's manifest cannot change ("" when it can)."""
    why = _flight_reason(state)
    flight = state.flight
    if not why and flight is not None and flight.flight_status != FlightStatus.PLANNED.value:
        why = f"Flight {flight.code} is {flight.flight_status}: its manifest can no longer change"
    return why


def _remove_reason(state: ManifestScreenState) -> str:
    why = _changeable_reason(state)
    if not why and state.newest is None:
        why = "Nobody is on a manifest of this flight yet"
    return why


def _reopen_reason(state: ManifestScreenState) -> str:
    why, newest, flight = _changeable_reason(state), state.newest, state.flight
    if not why and newest is None:
        why = "Nothing to reopen: the flight has no manifest, so the planner may fill it already"
    if not why and newest is not None and newest.status not in IN_FORCE:
        why = (
            f"Already open: the newest revision {newest.revision} is {newest.status}, "
            "so the planner may add people"
        )
    if not why and flight is not None and flight.last_cutoff_passed:
        why = (
            "The notice cut-off of every stop has passed: nobody may be added any more "
            "(people can still be taken off)"
        )
    return why


def _supervisor_reason(state: ManifestScreenState) -> str:
    return NEEDS_SUPERVISOR if Role.SUPERVISOR not in ROLE_INCLUDES[state.role] else _flight_reason(state)


def _approve_reason(state: ManifestScreenState) -> str:
    why, newest = _supervisor_reason(state), state.newest
    if not why and newest is None:
        why = "Prepare a draft first"
    if not why and newest is not None and newest.status != ManifestStatus.DRAFT.value:
        why = f"Revision {newest.revision} is {newest.status}: there is no draft to approve"
    return why


def _sign_reason(state: ManifestScreenState) -> str:
    why, newest = _supervisor_reason(state), state.newest
    if not why and newest is None:
        why = "Prepare and approve a manifest first"
    if not why and newest is not None and newest.status != ManifestStatus.APPROVED.value:
        why = {
            ManifestStatus.DRAFT.value: f"Revision {newest.revision} is a DRAFT: approve it first",
            ManifestStatus.SIGNED.value: f"Revision {newest.revision} is signed already",
        }.get(newest.status, f"Revision {newest.revision} is {newest.status}")
    return why


def _paxlst_reason(state: ManifestScreenState) -> str:
    why = _flight_reason(state)
    if not why and not any(r.status in IN_FORCE for r in state.revisions):
        why = "Needs an approved or signed manifest: the carrier only gets what was approved"
    return why


def manifest_actions(state: ManifestScreenState) -> dict[ManifestAction, ActionState]:
    """Every action's state (see the module docstring)."""
    preview = "" if state.pdf_ready else "Select a revision and wait for its preview"
    reasons = {
        ManifestAction.PREPARE: _changeable_reason(state),
        ManifestAction.REMOVE_PEOPLE: _remove_reason(state),
        ManifestAction.REOPEN: _reopen_reason(state),
        ManifestAction.APPROVE: _approve_reason(state),
        ManifestAction.SIGN: _sign_reason(state),
        ManifestAction.SAVE_PDF: preview,
        ManifestAction.PRINT: preview,
        ManifestAction.EXPORT_PAXLST: _paxlst_reason(state),
        ManifestAction.RENDER_ALL: "Rendering is running" if state.batch_running else "",
    }
    return {action: ActionState(reasons[action], DESCRIPTIONS[action]) for action in ManifestAction}


__all__ = [
    "DESCRIPTIONS",
    "IN_FORCE",
    "NEEDS_SUPERVISOR",
    "ActionState",
    "FlightState",
    "ManifestAction",
    "ManifestScreenState",
    "RevisionState",
    "manifest_actions",
]
