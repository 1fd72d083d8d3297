"""The window through pytest-qt on a real SQLite file: sign-in, people table, filters, sorting."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from planner.domain.wording import plural
from planner.persistence.context import AppContext
from planner.persistence.models import Person
from planner.services.auth import Actor
from tests.conftest import ADMIN_PASSWORD
from ui.login import LoginDialog
from ui.main_window import MainWindow
from ui.operations import Change
from ui.people_model import PAGE_SIZE, PLACEHOLDER
from ui.screens.people import PeopleScreen

PEOPLE = [
    ("A000000001", "ZHENG", "LEI", "郑磊", "CHN"),
    ("A000000002", "PÉREZ MUÑOZ", "LUCÍA", "", "GTM"),
    ("A000000003", "LI", "MING", "李明", "CHN"),
] + [(f"A1{i:08d}", f"FAMILY{i:04d}", "GIVEN", "", "HND") for i in range(450)]


@pytest.fixture
def populated(ctx: AppContext) -> AppContext:
    with ctx.uow() as uow:
        uow.session.execute(
            sa.insert(Person),
            [
                {
                    "case_number": case,
                    "family_name": family,
                    "given_names": given,
                    "native_name": native,
                    "sex": "M",
                    "date_of_birth": date(1990, 1, 1),
                    "nationality": nationality,
                    "risk_level": "LOW",
                    "medical_need": "NONE",
                    "order_status": "FINAL",
                    "custody_status": "IN_CUSTODY",
                    "priority": 3,
                }
                for case, family, given, native, nationality in PEOPLE
            ],
        )
        uow.commit()
    return ctx


def _people_screen(qtbot, ctx: AppContext, actor: Actor) -> PeopleScreen:
    window = MainWindow(ctx, actor)
    qtbot.addWidget(window)
    screen = window.screen(PeopleScreen.title)
    assert isinstance(screen, PeopleScreen)
    return screen


def _displayed_column(window: PeopleScreen, column: int = 0) -> list[str]:
    model = window.model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def _wait_loaded(qtbot, window: PeopleScreen, rows: int) -> None:
    window.reload()  # run the pending search now rather than after the typing pause
    qtbot.waitUntil(lambda: window.count_label.text() == plural(rows, "person", "people"), timeout=5000)
    assert window.model.rowCount() == rows
    window.model.data(window.model.index(0, 0))  # asks for the first page
    qtbot.waitUntil(lambda: window.model.data(window.model.index(0, 0)) != PLACEHOLDER, timeout=5000)


def test_sign_in_succeeds_and_fails_with_the_service_message(qtbot, populated: AppContext) -> None:
    dialog = LoginDialog(populated, username="admin")
    qtbot.addWidget(dialog)
    dialog.password.setText("wrong password")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: "wrong user name or password" in dialog.message.text(), timeout=5000)
    dialog.password.setText(ADMIN_PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.buttons.accepted.emit()
    assert dialog.actor is not None and dialog.actor.username == "admin"


def test_people_table_lists_filters_and_sorts(qtbot, populated: AppContext, admin: Actor) -> None:
    window = _people_screen(qtbot, populated, admin)
    _wait_loaded(qtbot, window, len(PEOPLE))
    assert window.count_label.text() == plural(len(PEOPLE), "person", "people")

    window.search.setText("郑")
    _wait_loaded(qtbot, window, 1)
    assert _displayed_column(window, 1) == ["ZHENG"]

    window.search.setText("perez")  # accents and case do not matter
    _wait_loaded(qtbot, window, 1)
    assert _displayed_column(window) == ["A000000002"]

    window.search.clear()
    window.nationality.addItem("CHN", "CHN")
    window.nationality.setCurrentIndex(window.nationality.findData("CHN"))
    _wait_loaded(qtbot, window, 2)
    window.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: _displayed_column(window, 1) == ["ZHENG", "LI"], timeout=5000)


def test_rows_beyond_the_first_page_load_lazily(qtbot, populated: AppContext, admin: Actor) -> None:
    window = _people_screen(qtbot, populated, admin)
    _wait_loaded(qtbot, window, len(PEOPLE))
    far = window.model.index(PAGE_SIZE * 2 + 5, 0)
    assert window.model.row_of(window.model.person_id(far.row())) is None
    window.model.data(far)
    qtbot.waitUntil(lambda: window.model.data(far) != PLACEHOLDER, timeout=5000)
    assert window.model.data(far, Qt.ItemDataRole.UserRole) == window.model.person_id(far.row())


def test_people_model_passes_qtmodeltester(qtbot, qtmodeltester, populated: AppContext, admin: Actor) -> None:
    window = _people_screen(qtbot, populated, admin)
    _wait_loaded(qtbot, window, len(PEOPLE))
    qtmodeltester.check(window.model, force_py=True)


def test_selecting_a_person_shows_the_detail_panel(qtbot, populated: AppContext, admin: Actor) -> None:
    window = _people_screen(qtbot, populated, admin)
    _wait_loaded(qtbot, window, len(PEOPLE))
    window.table.selectRow(0)
    qtbot.waitUntil(window.detail.isEnabled, timeout=5000)
    assert window.detail.fields["case_number"].text() == "A000000001"
    assert "郑磊" in window.detail.fields["name"].text()
    assert "no plan has been run yet" in window.detail.why.toPlainText()


def test_a_new_plan_refreshes_the_open_detail_not_the_list(
    qtbot, populated: AppContext, admin: Actor
) -> None:
    window = _people_screen(qtbot, populated, admin)
    window.activate()  # as when shown: from now on it follows changes
    _wait_loaded(qtbot, window, len(PEOPLE))
    window.table.selectRow(0)
    qtbot.waitUntil(window.detail.isEnabled, timeout=5000)
    queries, details = [], []
    window.reload = lambda: queries.append("ids")  # type: ignore[method-assign]
    original = window.show_person
    window.show_person = lambda person_id: (details.append(person_id), original(person_id))  # type: ignore[method-assign]
    window.on_data_changed(Change.PLAN)  # the list shows no plan data: only the detail's "why" changes
    assert queries == [] and details == [window.model.person_id(0)]
    window.on_data_changed(Change.PEOPLE)
    assert queries == ["ids"]
