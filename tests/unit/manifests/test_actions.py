"""Which manifest actions are offered for which manifest state, flight status and role, and the
reason given for those that are not (``planner.services.manifests.actions``)."""

from __future__ import annotations

import pytest

from planner.domain.enums import FlightStatus, ManifestStatus, Role
from planner.services.manifests.actions import (
    DEPARTURE_DESCRIPTIONS,
    DESCRIPTIONS,
    NEEDS_SUPERVISOR,
    ActionState,
    DepartureAction,
    DepartureViewState,
    FlightState,
    ManifestAction,
    ManifestScreenState,
    RevisionState,
    departure_actions,
    manifest_actions,
)

A = ManifestAction
PLANNED = FlightState("RF0001", FlightStatus.PLANNED.value)
DRAFT, APPROVED, SIGNED, SUPERSEDED = (
    ManifestStatus.DRAFT.value,
    ManifestStatus.APPROVED.value,
    ManifestStatus.SIGNED.value,
    ManifestStatus.SUPERSEDED.value,
)


def _states(
    *statuses: str,
    flight: FlightState | None = PLANNED,
    role: Role = Role.SUPERVISOR,
    busy: str = "",
    pdf_ready: bool = False,
    batch_running: bool = False,
) -> dict[ManifestAction, ActionState]:
    revisions = tuple(RevisionState(n, status) for n, status in enumerate(statuses, start=1))
    return manifest_actions(
        ManifestScreenState(
            flight=flight,
            role=role,
            revisions=revisions,
            busy=busy,
            pdf_ready=pdf_ready,
            batch_running=batch_running,
        )
    )


def _enabled(states: dict[ManifestAction, ActionState]) -> set[ManifestAction]:
    return {action for action, state in states.items() if state.enabled}


def test_every_action_has_a_state_and_an_enabled_one_says_what_it_does() -> None:
    states = _states()
    assert set(states) == set(ManifestAction)
    prepare = states[A.PREPARE]
    assert prepare.enabled and prepare.reason == ""
    assert prepare.tooltip(" (Ctrl+D)") == DESCRIPTIONS[A.PREPARE] + " (Ctrl+D)"


def test_nothing_selected() -> None:
    states = _states(flight=None)
    assert _enabled(states) == {A.RENDER_ALL, A.STRUCK_REPORT}
    for action in (A.PREPARE, A.STRIKE, A.REOPEN, A.APPROVE, A.SIGN, A.EXPORT_PAXLST, A.DEPARTURE):
        assert states[action].reason == "Select a flight first"
        assert states[action].tooltip(" (x)") == "Select a flight first"  # no shortcut on a reason
    assert states[A.SAVE_PDF].reason == "Select a revision and wait for its preview"


def test_a_flight_without_a_manifest() -> None:
    states = _states()
    assert _enabled(states) == {A.PREPARE, A.RENDER_ALL, A.STRUCK_REPORT}
    assert states[A.DEPARTURE].reason.startswith("Prepare and approve a manifest first")
    assert states[A.STRIKE].reason == "Nobody is on a manifest of this flight yet"
    assert states[A.REOPEN].reason.startswith("Nothing to reopen")
    assert states[A.APPROVE].reason == "Prepare a draft first"
    assert states[A.SIGN].reason == "Prepare and approve a manifest first"
    assert states[A.EXPORT_PAXLST].reason.startswith("Needs an approved or signed manifest")


@pytest.mark.parametrize(
    ("statuses", "enabled"),
    [
        ((DRAFT,), {A.PREPARE, A.STRIKE, A.APPROVE}),
        ((APPROVED,), {A.PREPARE, A.STRIKE, A.REOPEN, A.SIGN, A.EXPORT_PAXLST}),
        ((SIGNED,), {A.PREPARE, A.STRIKE, A.REOPEN, A.EXPORT_PAXLST}),
        # Reopened: a draft after the approved revision, which stays in force.
        ((SUPERSEDED, APPROVED, DRAFT), {A.PREPARE, A.STRIKE, A.APPROVE, A.EXPORT_PAXLST}),
    ],
)
def test_the_newest_revision_decides(statuses: tuple[str, ...], enabled: set[ManifestAction]) -> None:
    assert _enabled(_states(*statuses)) == enabled | {A.RENDER_ALL, A.DEPARTURE, A.STRUCK_REPORT}


def test_reasons_name_the_newest_revision() -> None:
    assert _states(SUPERSEDED, DRAFT)[A.SIGN].reason == "Revision 2 is a DRAFT: approve it first"
    assert _states(SIGNED)[A.SIGN].reason == "Revision 1 is signed already"
    assert _states(APPROVED)[A.APPROVE].reason == "Revision 1 is APPROVED: there is no draft to approve"
    assert _states(DRAFT)[A.REOPEN].reason == (
        "Already open: the newest revision 1 is DRAFT, so the planner may add people"
    )


def test_an_officer_may_not_approve_or_sign() -> None:
    for statuses in ((DRAFT,), (APPROVED,)):
        states = _states(*statuses, role=Role.OFFICER)
        assert states[A.APPROVE].reason == NEEDS_SUPERVISOR
        assert states[A.SIGN].reason == NEEDS_SUPERVISOR
        assert states[A.PREPARE].enabled
    admin = _states(DRAFT, role=Role.ADMIN)  # an admin is no supervisor
    assert admin[A.APPROVE].reason == NEEDS_SUPERVISOR and admin[A.PREPARE].enabled


def _four_eyes(revision: RevisionState, username: str, *, four_eyes_sign: bool = True) -> dict:
    return manifest_actions(
        ManifestScreenState(
            flight=PLANNED,
            role=Role.SUPERVISOR,
            revisions=(RevisionState(1, SUPERSEDED), revision),
            username=username,
            four_eyes_sign=four_eyes_sign,
        )
    )


def test_four_eyes_say_why_the_preparer_and_the_approver_may_not_go_on() -> None:
    draft = RevisionState(2, DRAFT, prepared_by="sam")
    assert _four_eyes(draft, "sam")[A.APPROVE].reason == (
        "You prepared revision 2; another supervisor must approve it"
    )
    assert _four_eyes(draft, "sue")[A.APPROVE].enabled
    approved = RevisionState(2, APPROVED, prepared_by="olivia", approved_by="sam")
    assert (
        _four_eyes(approved, "sam")[A.SIGN].reason
        == "You approved revision 2; another supervisor must sign it"
    )
    assert _four_eyes(approved, "sue")[A.SIGN].enabled
    assert _four_eyes(approved, "sam", four_eyes_sign=False)[A.SIGN].enabled  # the office setting off


@pytest.mark.parametrize("status", [FlightStatus.CANCELLED.value, FlightStatus.DEPARTED.value])
def test_a_flight_that_is_no_longer_planned(status: str) -> None:
    flight = FlightState("RF0002", status)
    states = _states(APPROVED, flight=flight)
    why = f"Flight RF0002 is {status}: its manifest can no longer change"
    for action in (A.PREPARE, A.STRIKE, A.REOPEN):
        assert states[action].reason == why
    assert states[A.SIGN].enabled and states[A.EXPORT_PAXLST].enabled
    assert states[A.DEPARTURE].enabled  # the departure view still prints the as-flown manifest


def test_after_the_last_cutoff_only_reopening_is_refused() -> None:
    flight = FlightState("RF0001", FlightStatus.PLANNED.value, last_cutoff_passed=True)
    states = _states(APPROVED, flight=flight)
    assert states[A.REOPEN].reason.startswith("The notice cut-off of every stop has passed")
    assert states[A.STRIKE].enabled and states[A.PREPARE].enabled


def test_a_running_write_blocks_the_flight_actions() -> None:
    states = _states(DRAFT, busy="preparing RF0001", pdf_ready=True)
    for action in (A.PREPARE, A.STRIKE, A.REOPEN, A.APPROVE, A.EXPORT_PAXLST, A.DEPARTURE):
        assert states[action].reason == "Busy: preparing RF0001"
    assert states[A.SAVE_PDF].enabled and states[A.PRINT].enabled


def test_the_preview_and_the_batch() -> None:
    assert {A.SAVE_PDF, A.PRINT} <= _enabled(_states(DRAFT, pdf_ready=True))
    states = _states(batch_running=True)
    assert states[A.RENDER_ALL].reason == "Rendering is running"


# ---------------------------------------------------------------------------------------------
# the departure view

D = DepartureAction


def _departure(**changes: object) -> dict[DepartureAction, ActionState]:
    values: dict[str, object] = {
        "flight": PLANNED,
        "role": Role.SUPERVISOR,
        "in_force": 1,
        "boarded": 0,
        "strikable": 4,
        "selected": True,
    }
    values.update(changes)
    return departure_actions(DepartureViewState(**values))  # type: ignore[arg-type]


def _on(states: dict[DepartureAction, ActionState]) -> set[DepartureAction]:
    return {action for action, state in states.items() if state.enabled}


def test_departure_every_action_says_what_it_does_or_why_not() -> None:
    states = _departure()
    assert set(states) == set(DepartureAction)
    assert states[D.BOARD].tooltip(" (Enter)") == DEPARTURE_DESCRIPTIONS[D.BOARD] + " (Enter)"
    assert _on(states) == {D.BOARD, D.STRIKE, D.CLOSE, D.BOARDING_CARDS}
    assert states[D.DEPART].reason == "Close the doors first"
    assert states[D.AS_FLOWN].reason == "The as-flown manifest exists once the flight has departed"
    assert states[D.HANDOVER].reason.startswith("Close the doors first")


def test_departure_before_approval_scans_are_allowed_so_the_service_says_why() -> None:
    states = _departure(in_force=None)
    assert states[D.BOARD].enabled  # the refusal comes back as a red message
    assert states[D.CLOSE].reason.startswith("The manifest is not approved yet")
    assert states[D.BOARDING_CARDS].reason == "The manifest is not approved yet"


def test_departure_an_officer_boards_and_strikes_but_does_not_close_or_depart() -> None:
    states = _departure(role=Role.OFFICER)
    assert states[D.CLOSE].reason == NEEDS_SUPERVISOR
    assert states[D.DEPART].reason == NEEDS_SUPERVISOR
    assert {D.BOARD, D.STRIKE} <= _on(states)


def test_departure_strike_needs_a_selected_person() -> None:
    assert _departure(selected=False)[D.STRIKE].reason.startswith("Select the person")
    assert _departure(strikable=0)[D.STRIKE].reason == "Nobody left to strike off"


def test_departure_closed_then_departed() -> None:
    closed = _departure(closed=True, boarded=3)
    assert _on(closed) == {D.DEPART, D.BOARDING_CARDS, D.HANDOVER}
    assert closed[D.BOARD].reason == "The doors of RF0001 are closed"
    assert closed[D.CLOSE].reason == "The doors of RF0001 are closed"
    assert _departure(closed=True, boarded=0)[D.HANDOVER].reason == "Nobody boarded"
    departed = _departure(flight=FlightState("RF0001", FlightStatus.DEPARTED.value), closed=True, boarded=3)
    assert _on(departed) == {D.BOARDING_CARDS, D.AS_FLOWN, D.HANDOVER}
    assert departed[D.DEPART].reason == "Flight RF0001 is DEPARTED"
    assert departed[D.BOARD].reason == "Flight RF0001 is DEPARTED"


def test_departure_a_running_write_blocks_close_and_depart_but_not_scanning() -> None:
    states = _departure(busy="closing RF0001", closed=False)
    assert states[D.CLOSE].reason == "Busy: closing RF0001"
    assert states[D.BOARD].enabled
