"""The person editor on the People screen through pytest-qt, on both backends: open it (Enter,
Ctrl+E, double-click), save a change (the row and the detail refresh), see validation problems
in the dialog, and, when the person was changed underneath, the conflict message and Reload (but
no Reload for a refusal that reloading cannot fix: anonymised meanwhile)."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialog

from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Person, utc_now
from planner.services import people
from planner.services.auth import Actor
from ui.operations import Change
from ui.people_model import COLUMNS, PLACEHOLDER
from ui.screens.people import PeopleScreen
from ui.screens.person_editor import PersonEditorDialog

TIMEOUT = 5000
CASES = ("A000000001", "A000000002", "A000000003")


@pytest.fixture
def office(ctx: AppContext) -> AppContext:
    with ctx.uow() as uow:
        uow.session.execute(
            sa.insert(Person),
            [
                {
                    "case_number": case,
                    "family_name": f"FAMILY{i}",
                    "given_names": "GIVEN",
                    "sex": "F",
                    "date_of_birth": date(1990, 1, 1),
                    "nationality": "GTM",
                    "risk_level": "LOW",
                    "medical_need": "NONE",
                    "order_status": "FINAL",
                    "custody_status": "IN_CUSTODY",
                    "priority": 3,
                }
                for i, case in enumerate(CASES)
            ],
        )
        uow.commit()
    return ctx


def _screen(qtbot, ctx: AppContext, actor: Actor) -> PeopleScreen:
    screen = PeopleScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.resize(1200, 700)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.model.rowCount() == len(CASES), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: screen.model.data(screen.model.index(0, 0)) != PLACEHOLDER, timeout=TIMEOUT)
    return screen


def _cell(screen: PeopleScreen, row: int, key: str) -> str:
    column = [k for k, _ in COLUMNS].index(key)
    return screen.model.data(screen.model.index(row, column))


def _loaded(qtbot, dialog: PersonEditorDialog | None) -> PersonEditorDialog:
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.person is not None, timeout=TIMEOUT)
    return dialog


def _get(ctx: AppContext, actor: Actor, case: str) -> people.EditablePerson:
    with ctx.uow(write=False) as uow:
        return people.get_person(uow, actor, case)


def test_edit_a_person_in_the_dialog(qtbot, office: AppContext, officer: Actor) -> None:
    screen = _screen(qtbot, office, officer)
    assert not screen.edit_action.isEnabled() and screen.edit_button.toolTip() == "Select a person first"
    assert screen.edit_person() is None
    screen.table.selectRow(0)
    assert screen.edit_button.isEnabled() and "Ctrl+E" in screen.edit_button.toolTip()
    screen.table.setFocus()
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    dialog = _loaded(qtbot, screen.editor)
    assert dialog.windowTitle() == "Edit person A000000001" and "version 1" in dialog.heading.text()
    assert (dialog.custody.currentData(), dialog.risk.currentData(), dialog.priority.value()) == (
        "IN_CUSTODY",
        "LOW",
        3,
    )
    assert dialog.no_hold.isChecked() and not dialog.hold_reason.isEnabled()

    # A hold needs its reason: the dialog says so before asking the database.
    dialog.no_hold.setChecked(False)
    assert dialog.hold_reason.isEnabled() and not dialog.hold_until.isEnabled()
    dialog.submit()
    assert "legal_hold_reason: enter the reason" in dialog.messages.text()
    # The service's (the roster import's) rules come back listed in the dialog.
    dialog.hold_reason.setText("Court stay")
    dialog.family_group.setText("bad group!")
    dialog.submit()
    qtbot.waitUntil(lambda: "Not saved — 1 problem:" in dialog.messages.text(), timeout=TIMEOUT)
    assert "family_group: 'bad group!' is not a family group id" in dialog.messages.text()
    assert dialog.isVisible() and dialog.save_button.isEnabled()

    dialog.family_group.setText("")
    dialog.hold_ends.setChecked(True)
    dialog.hold_until.setDate(QDate(2031, 1, 1))
    dialog.priority.setValue(1)
    dialog.risk.setCurrentIndex(dialog.risk.findData("HIGH"))
    with qtbot.waitSignal(screen.data_changed, timeout=TIMEOUT) as changed:
        dialog.submit()
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=TIMEOUT)
    assert changed.args == [Change.PEOPLE]
    assert dialog.saved is not None and dialog.saved.version == 2
    qtbot.waitUntil(lambda: _cell(screen, 0, "priority") == "1", timeout=TIMEOUT)
    assert (_cell(screen, 0, "legal_hold"), _cell(screen, 0, "risk_level")) == (
        "Court stay",
        "high",
    )  # enumerations in words
    qtbot.waitUntil(lambda: "Court stay" in screen.detail.fields["hold"].text(), timeout=TIMEOUT)
    assert screen.detail.fields["hold"].text() == "Court stay until 2031-01-01"

    stored = _get(office, officer, "A000000001")
    assert (stored.version, stored.legal_hold_until, stored.priority) == (2, date(2031, 1, 1), 1)
    with office.uow(write=False) as uow:
        actor, entity_id, changes = uow.session.execute(
            sa.select(AuditEvent.actor, AuditEvent.entity_id, AuditEvent.changes_json)
            .where(AuditEvent.action == "person.update")
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).one()
    assert (actor, entity_id) == ("olivia", "A000000001")
    assert json.loads(changes) == {
        "priority": [3, 1],
        "risk_level": ["LOW", "HIGH"],
        "legal_hold_reason": [None, "Court stay"],
        "hold_until": [None, "2031-01-01"],
    }

    # Ctrl+E and double-click open the editor too; saving unchanged values writes nothing.
    screen.table.selectRow(1)
    screen.activateWindow()  # back from the closed dialog (the offscreen platform does not do it)
    qtbot.waitUntil(screen.isActiveWindow, timeout=TIMEOUT)
    screen.table.setFocus()
    qtbot.keyClick(screen.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    again = _loaded(qtbot, screen.editor)
    assert again.case_number == "A000000002"
    again.submit()
    qtbot.waitUntil(lambda: again.result() == QDialog.DialogCode.Accepted, timeout=TIMEOUT)
    assert again.saved is not None and again.saved.version == 1
    screen.table.doubleClicked.emit(screen.model.index(2, 0))
    assert _loaded(qtbot, screen.editor).case_number == "A000000003"
    screen.editor.reject()


def test_changed_underneath_shows_who_and_reloads(
    qtbot, office: AppContext, officer: Actor, admin: Actor
) -> None:
    screen = _screen(qtbot, office, officer)
    screen.table.selectRow(0)
    dialog = _loaded(qtbot, screen.edit_person())
    assert dialog.person is not None and dialog.person.version == 1
    assert not dialog.reload_button.isVisible()

    with office.uow() as uow:  # someone else saves first
        people.update_person(uow, admin, "A000000001", {"custody_status": "RELEASED"}, expected_version=1)

    dialog.priority.setValue(5)
    dialog.submit()
    qtbot.waitUntil(dialog.reload_button.isVisible, timeout=TIMEOUT)
    text = dialog.messages.text()
    assert "changed by admin at " in text and "UTC (person.update)" in text and "version 2, yours 1" in text
    assert dialog.isVisible() and not dialog.save_button.isEnabled()

    dialog.reload_button.click()
    qtbot.waitUntil(lambda: dialog.person.version == 2, timeout=TIMEOUT)
    assert dialog.custody.currentData() == "RELEASED" and dialog.priority.value() == 3
    assert "Reloaded version 2" in dialog.messages.text()
    assert dialog.save_button.isEnabled() and not dialog.reload_button.isVisible()

    dialog.priority.setValue(5)
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=TIMEOUT)
    stored = _get(office, officer, "A000000001")
    assert (stored.version, stored.custody_status, stored.priority) == (3, "RELEASED", 5)
    qtbot.waitUntil(lambda: _cell(screen, 0, "priority") == "5", timeout=TIMEOUT)
    assert _cell(screen, 0, "custody_status") == "released"


def test_anonymised_meanwhile_is_refused_without_reload(qtbot, office: AppContext, officer: Actor) -> None:
    screen = _screen(qtbot, office, officer)
    screen.table.selectRow(2)
    dialog = _loaded(qtbot, screen.edit_person())
    with office.uow() as uow:  # retention anonymises the person (the version stays)
        uow.session.execute(
            sa.update(Person.__table__)
            .where(Person.__table__.c.case_number == "A000000003")
            .values(anonymised_at=utc_now())
        )
        uow.commit()
    dialog.priority.setValue(1)
    dialog.submit()
    qtbot.waitUntil(lambda: "cannot be edited" in dialog.messages.text(), timeout=TIMEOUT)
    assert "A000000003 was anonymised on" in dialog.messages.text()
    assert dialog.isVisible() and not dialog.reload_button.isVisible()
    assert "changed by someone else" not in dialog.messages.text()
    dialog.reject()


def test_an_anonymised_person_cannot_be_edited(qtbot, office: AppContext, officer: Actor) -> None:
    with office.uow() as uow:
        uow.session.execute(
            sa.update(Person.__table__)
            .where(Person.__table__.c.case_number == "A000000002")
            .values(anonymised_at=utc_now())
        )
        uow.commit()
    screen = _screen(qtbot, office, officer)
    screen.table.selectRow(1)
    dialog = _loaded(qtbot, screen.edit_person())
    assert not dialog.fields.isEnabled() and not dialog.save_button.isEnabled()
    assert "anonymised" in dialog.messages.text()
    dialog.reject()
