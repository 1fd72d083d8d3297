"""Accept missions… on the Schedule screen (supervisor): the selected missions of the stored
proposal shown (default: every one not accepted yet) become PLANNED flights
(``scheduling.proposals.accept``) after a confirmation that lists them; the created flights are
announced (message box, status bar, ``Change.FLIGHTS``) and the proposal is read again to show
their codes. GUI thread only; the service runs off it (``ui.operations``)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QPushButton

from planner.domain.wording import plural
from planner.services.scheduling import proposals
from planner.services.scheduling.views import MissionView, ProposalView
from ui.errors import show_error
from ui.operations import Change, Operation
from ui.screens.base import Screen
from ui.screens.schedule.models import people_text, unaccepted

#: Accepting missions creates flights and marks the proposal.
ACCEPT_CHANGES = Change.FLIGHTS | Change.SCHEDULE | Change.AUDIT
#: Most missions listed by name in the confirmation.
CONFIRM_LIST = 15


def mission_line(mission: MissionView) -> str:
    return (
        f"{mission.id}  {mission.date:%a %Y-%m-%d}  {mission.aircraft}  "
        f"{'/'.join(mission.pickups)} → {'/'.join(mission.stops)}  "
        f"{people_text(mission.people)}"
    )


class AcceptMixin(Screen):
    """The Accept part of :class:`ui.screens.schedule.ScheduleScreen` (which provides what is
    declared here)."""

    view: ProposalView | None
    accept_button: QPushButton
    #: The last confirmation and message box opened (tests drive them).
    confirm_box: QMessageBox | None
    result_box: QMessageBox | None

    def _accept_refusal(self) -> str | None:
        raise NotImplementedError

    def selected_missions(self) -> list[MissionView]:
        raise NotImplementedError

    def reload(self, open_id: int | None = None, *, first: bool = False) -> None:
        raise NotImplementedError

    def _update_actions(self) -> None:
        raise NotImplementedError

    def accept_missions(self) -> None:
        """Ask, then turn the selected missions (default: every one not accepted) into flights."""
        if self._accept_refusal() is not None or self.view is None or self.view.id is None:
            return
        chosen = unaccepted(self.selected_missions()) or unaccepted(self.view.missions)
        proposal_id = self.view.id
        listed = [mission_line(m) for m in sorted(chosen, key=lambda m: m.number)[:CONFIRM_LIST]]
        if len(chosen) > CONFIRM_LIST:
            listed.append(f"… and {len(chosen) - CONFIRM_LIST} more")
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Accept missions",
            f"Turn {plural(len(chosen), 'mission')} of proposal #{proposal_id} into PLANNED flights?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("acceptConfirm")
        box.setInformativeText("\n".join(listed))
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        ids = [m.id for m in chosen]
        box.finished.connect(lambda _result: self._confirmed(box, proposal_id, ids))
        self.confirm_box = box
        box.open()

    def _confirmed(self, box: QMessageBox, proposal_id: int, ids: list[str]) -> None:
        yes = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
        self.confirm_box = None
        box.deleteLater()
        if not yes:
            return
        actor = self.actor

        def done(codes: list[str]) -> None:
            self.status_message.emit(f"{plural(len(codes), 'flight')} created: {', '.join(codes)}")
            self._inform(
                "Missions accepted",
                f"{plural(len(codes), 'PLANNED flight')} created from proposal #{proposal_id}:\n"
                f"{', '.join(codes)}\n\nThe Flights screen lists them; plan the people onto them on the "
                "Plan screen.",
            )
            self.reload(open_id=proposal_id)

        def failed(exc: BaseException, details: str) -> None:
            self._update_actions()
            show_error(self, "The missions were not accepted", exc, details)

        self.accept_button.setEnabled(False)
        Operation[list[str]](self).success(done).failure(failed).changes(ACCEPT_CHANGES).run_in_uow(
            self.ctx, lambda uow: proposals.accept(uow, actor, proposal_id, ids), write=True
        )

    def _inform(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("acceptResult")
        box.open()
        self.result_box = box


__all__ = ["ACCEPT_CHANGES", "AcceptMixin", "mission_line"]
