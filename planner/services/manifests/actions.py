"""Which manifest actions the window offers, and why not: a pure function of the selected flight,
its revisions, the user's role and name (four eyes: who prepared / approved the newest revision, and
the office setting ``four_eyes_sign``) and what is running.

``manifest_actions(ManifestScreenState(...))`` returns, for every ``ManifestAction``, whether it
is enabled and either the reason it is not (shown as the disabled button's tooltip) or what it
does (the enabled tooltip; the window appends the keyboard shortcut). ``departure_actions`` does
the same for the departure view of one flight (``DepartureAction``: boarding, strike-off, close,
depart and the documents), from a ``DepartureViewState``. No Qt, no database: plain dataclasses
in, plain data out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from planner.domain.enums import ROLE_INCLUDES, FlightStatus, ManifestStatus, Role
from planner.services.manifests.four_eyes import four_eyes_reason, may_approve, may_sign

NEEDS_SUPERVISOR = "Needs the supervisor role"
#: Statuses of a revision that counts as sent (the receiving country has it).
IN_FORCE = (ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value)


class ManifestAction(StrEnum):
    PREPARE = "prepare"
    STRIKE = "strike"
    REOPEN = "reopen"
    APPROVE = "approve"
    SIGN = "sign"
    SAVE_PDF = "save_pdf"
    PRINT = "print"
    EXPORT_PAXLST = "export_paxlst"
    RENDER_ALL = "render_all"
    DEPARTURE = "departure"
    STRUCK_REPORT = "struck_report"


#: What each action does: the tooltip of an enabled action (before its shortcut).
DESCRIPTIONS: dict[ManifestAction, str] = {
    ManifestAction.PREPARE: "Prepare a DRAFT revision from the current plan",
    ManifestAction.STRIKE: (
        "Strike people off this flight with a coded reason (the whole family comes off together); "
        "reserves move up and the next revision is prepared"
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
    ManifestAction.DEPARTURE: (
        "Departure day: listed passengers and reserves, boarding by scanning case numbers, "
        "close the doors, depart, as-flown manifest and handover receipts"
    ),
    ManifestAction.STRUCK_REPORT: "Who was struck off which flight, and why: counts by reason per period",
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
    #: User names of who prepared / approved it ("" / None: unknown or not yet).
    prepared_by: str = ""
    approved_by: str | None = None


@dataclass(frozen=True)
class ManifestScreenState:
    """Everything the enablement depends on. ``busy`` names the write running (empty: none)."""

    flight: FlightState | None
    role: Role
    revisions: Sequence[RevisionState] = field(default_factory=tuple)
    busy: str = ""
    pdf_ready: bool = False
    batch_running: bool = False
    #: The signed-in user's name and the office's four-eyes setting for signing.
    username: str = ""
    four_eyes_sign: bool = True

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


def _strike_reason(state: ManifestScreenState) -> str:
    why = _changeable_reason(state)
    if not why and state.newest is None:
        why = "Nobody is on a manifest of this flight yet"
    return why


def _departure_reason(state: ManifestScreenState) -> str:
    why = _flight_reason(state)
    if not why and state.newest is None:
        why = "Prepare and approve a manifest first: boarding follows approval"
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
    if not why and newest is not None and not may_approve(state.username, newest.prepared_by):
        why = _sentence(four_eyes_reason("approve", newest))
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
    if (
        not why
        and newest is not None
        and not may_sign(state.username, newest.approved_by, state.four_eyes_sign)
    ):
        why = _sentence(four_eyes_reason("sign", newest))
    return why


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


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
        ManifestAction.STRIKE: _strike_reason(state),
        ManifestAction.REOPEN: _reopen_reason(state),
        ManifestAction.APPROVE: _approve_reason(state),
        ManifestAction.SIGN: _sign_reason(state),
        ManifestAction.SAVE_PDF: preview,
        ManifestAction.PRINT: preview,
        ManifestAction.EXPORT_PAXLST: _paxlst_reason(state),
        ManifestAction.RENDER_ALL: "Rendering is running" if state.batch_running else "",
        ManifestAction.DEPARTURE: _departure_reason(state),
        ManifestAction.STRUCK_REPORT: "",
    }
    return {action: ActionState(reasons[action], DESCRIPTIONS[action]) for action in ManifestAction}


# ---------------------------------------------------------------------------------------------
# the departure view of one flight


class DepartureAction(StrEnum):
    BOARD = "board"
    STRIKE = "strike"
    CLOSE = "close"
    DEPART = "depart"
    BOARDING_CARDS = "boarding_cards"
    AS_FLOWN = "as_flown"
    HANDOVER = "handover"


DEPARTURE_DESCRIPTIONS: dict[DepartureAction, str] = {
    DepartureAction.BOARD: "Scan or type a case number and press Enter to record that the person boarded",
    DepartureAction.STRIKE: (
        "Strike the selected person off with a coded reason (the whole family comes off together); "
        "reserves move up"
    ),
    DepartureAction.CLOSE: (
        "Close the doors: every listed person must be boarded or struck off, and every boarded person "
        "is checked against the rules one last time"
    ),
    DepartureAction.DEPART: (
        "Mark the flight departed: the people who boarded are removed, the others go back to planning"
    ),
    DepartureAction.BOARDING_CARDS: "Save the boarding cards (one per listed person, with a barcode) as a PDF",
    DepartureAction.AS_FLOWN: "Save the as-flown manifest (who boarded, and who was struck off and why) as a PDF",
    DepartureAction.HANDOVER: "Save the handover receipt of one stop (who was handed over there) as a PDF",
}


@dataclass(frozen=True)
class DepartureViewState:
    """What the departure view's actions depend on. ``in_force`` is the revision in force (None:
    never approved); ``closed`` whether the doors are closed; ``boarded`` people boarded (not struck
    off); ``strikable`` people who could still be struck off; ``selected`` whether a listed person is
    selected; ``busy`` names the write running (empty: none)."""

    flight: FlightState
    role: Role
    in_force: int | None = None
    closed: bool = False
    boarded: int = 0
    strikable: int = 0
    selected: bool = False
    busy: str = ""
    loaded: bool = True


def _open_reason(state: DepartureViewState) -> str:
    """Why nothing can change on the flight any more ("" when it can)."""
    flight = state.flight
    if not state.loaded:
        return "Loading…"
    if flight.flight_status != FlightStatus.PLANNED.value:
        return f"Flight {flight.code} is {flight.flight_status}"
    if state.closed:
        return f"The doors of {flight.code} are closed"
    return ""


def _departure_supervisor(state: DepartureViewState) -> str:
    return NEEDS_SUPERVISOR if Role.SUPERVISOR not in ROLE_INCLUDES[state.role] else ""


def _close_reason(state: DepartureViewState) -> str:
    why = _departure_supervisor(state) or _open_reason(state) or (f"Busy: {state.busy}" if state.busy else "")
    if not why and state.in_force is None:
        why = "The manifest is not approved yet: approve it, board everybody, then close"
    return why


def _depart_reason(state: DepartureViewState) -> str:
    flight = state.flight
    why = _departure_supervisor(state) or (f"Busy: {state.busy}" if state.busy else "")
    if not why and flight.flight_status != FlightStatus.PLANNED.value:
        why = f"Flight {flight.code} is {flight.flight_status}"
    if not why and not state.closed:
        why = "Close the doors first"
    return why


def _strike_in_view_reason(state: DepartureViewState) -> str:
    why = _open_reason(state) or (f"Busy: {state.busy}" if state.busy else "")
    if not why and not state.strikable:
        why = "Nobody left to strike off"
    if not why and not state.selected:
        why = "Select the person to strike off in the list of passengers"
    return why


def _handover_reason(state: DepartureViewState) -> str:
    flight = state.flight
    if flight.flight_status == FlightStatus.CANCELLED.value:
        return f"Flight {flight.code} is CANCELLED"
    if flight.flight_status != FlightStatus.DEPARTED.value and not state.closed:
        return "Close the doors first: the receipt lists who boarded"
    if not state.boarded:
        return "Nobody boarded"
    return ""


def departure_actions(state: DepartureViewState) -> dict[DepartureAction, ActionState]:
    """Every action of the departure view with its state (see the module docstring)."""
    approved = "" if state.in_force is not None else "The manifest is not approved yet"
    departed = state.flight.flight_status == FlightStatus.DEPARTED.value
    reasons = {
        DepartureAction.BOARD: _open_reason(state),
        DepartureAction.STRIKE: _strike_in_view_reason(state),
        DepartureAction.CLOSE: _close_reason(state),
        DepartureAction.DEPART: _depart_reason(state),
        DepartureAction.BOARDING_CARDS: approved,
        DepartureAction.AS_FLOWN: approved
        or ("" if departed else "The as-flown manifest exists once the flight has departed"),
        DepartureAction.HANDOVER: approved or _handover_reason(state),
    }
    return {
        action: ActionState(reasons[action], DEPARTURE_DESCRIPTIONS[action]) for action in DepartureAction
    }


__all__ = [
    "DEPARTURE_DESCRIPTIONS",
    "DESCRIPTIONS",
    "IN_FORCE",
    "NEEDS_SUPERVISOR",
    "ActionState",
    "DepartureAction",
    "DepartureViewState",
    "FlightState",
    "ManifestAction",
    "ManifestScreenState",
    "RevisionState",
    "departure_actions",
    "manifest_actions",
]
