"""Which manifest actions are offered for which manifest state, flight status and role, and the
reason given for those that are not (``planner.services.manifests.actions``)."""

from __future__ import annotations

import pytest

from planner.domain.enums import FlightStatus, ManifestStatus, Role
from planner.services.manifests.actions import (
    DESCRIPTIONS,
    NEEDS_SUPERVISOR,
    ActionState,
    FlightState,
    ManifestAction,
    ManifestScreenState,
    RevisionState,
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
    assert _enabled(states) == {A.RENDER_ALL}
    for action in (A.PREPARE, A.REMOVE_PEOPLE, A.REOPEN, A.APPROVE, A.SIGN, A.EXPORT_PAXLST):
        assert states[action].reason == "Select a flight first"
        assert states[action].tooltip(" (x)") == "Select a flight first"  # no shortcut on a reason
    assert states[A.SAVE_PDF].reason == "Select a revision and wait for its preview"


def test_a_flight_without_a_manifest() -> None:
    states = _states()
    assert _enabled(states) == {A.PREPARE, A.RENDER_ALL}
    assert states[A.REMOVE_PEOPLE].reason == "Nobody is on a manifest of this flight yet"
    assert states[A.REOPEN].reason.startswith("Nothing to reopen")
    assert states[A.APPROVE].reason == "Prepare a draft first"
    assert states[A.SIGN].reason == "Prepare and approve a manifest first"
    assert states[A.EXPORT_PAXLST].reason.startswith("Needs an approved or signed manifest")


@pytest.mark.parametrize(
    ("statuses", "enabled"),
    [
        ((DRAFT,), {A.PREPARE, A.REMOVE_PEOPLE, A.APPROVE}),
        ((APPROVED,), {A.PREPARE, A.REMOVE_PEOPLE, A.REOPEN, A.SIGN, A.EXPORT_PAXLST}),
        ((SIGNED,), {A.PREPARE, A.REMOVE_PEOPLE, A.REOPEN, A.EXPORT_PAXLST}),
        # Reopened: a draft after the approved revision, which stays in force.
        ((SUPERSEDED, APPROVED, DRAFT), {A.PREPARE, A.REMOVE_PEOPLE, A.APPROVE, A.EXPORT_PAXLST}),
    ],
)
def test_the_newest_revision_decides(statuses: tuple[str, ...], enabled: set[ManifestAction]) -> None:
    assert _enabled(_states(*statuses)) == enabled | {A.RENDER_ALL}


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
    assert _states(DRAFT, role=Role.ADMIN)[A.APPROVE].enabled  # admin includes supervisor


@pytest.mark.parametrize("status", [FlightStatus.CANCELLED.value, FlightStatus.DEPARTED.value])
def test_a_flight_that_is_no_longer_planned(status: str) -> None:
    flight = FlightState("RF0002", status)
    states = _states(APPROVED, flight=flight)
    why = f"Flight RF0002 is {status}: its manifest can no longer change"
    for action in (A.PREPARE, A.REMOVE_PEOPLE, A.REOPEN):
        assert states[action].reason == why
    assert states[A.SIGN].enabled and states[A.EXPORT_PAXLST].enabled


def test_after_the_last_cutoff_only_reopening_is_refused() -> None:
    flight = FlightState("RF0001", FlightStatus.PLANNED.value, last_cutoff_passed=True)
    states = _states(APPROVED, flight=flight)
    assert states[A.REOPEN].reason.startswith("The notice cut-off of every stop has passed")
    assert states[A.REMOVE_PEOPLE].enabled and states[A.PREPARE].enabled


def test_a_running_write_blocks_the_flight_actions() -> None:
    states = _states(DRAFT, busy="preparing RF0001", pdf_ready=True)
    for action in (A.PREPARE, A.REMOVE_PEOPLE, A.REOPEN, A.APPROVE, A.EXPORT_PAXLST):
        assert states[action].reason == "Busy: preparing RF0001"
    assert states[A.SAVE_PDF].enabled and states[A.PRINT].enabled


def test_the_preview_and_the_batch() -> None:
    assert {A.SAVE_PDF, A.PRINT} <= _enabled(_states(DRAFT, pdf_ready=True))
    states = _states(batch_running=True)
    assert states[A.RENDER_ALL].reason == "Rendering is running"
