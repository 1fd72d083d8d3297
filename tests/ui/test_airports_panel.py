"""The Airports panel (Reference data ▸ Airports) through pytest-qt on both backends: the world
table loads in the background, the search filters as you type (debounced), headers sort, and an
admin adds a private airport with inline validation and the service's refusals in the dialog."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from planner.persistence.context import AppContext
from planner.persistence.models import Airport, AuditEvent
from planner.services.auth import Actor
from ui import operations
from ui.screens.reference.airports import AddAirportDialog, AirportsPanel


@pytest.fixture(autouse=True)
def _finish_background_work(qtbot):
    yield
    qtbot.waitUntil(lambda: not operations.busy(), timeout=15000)


_HOSTS: list[QWidget] = []


@pytest.fixture(autouse=True)
def _release_hosts():
    yield
    _HOSTS.clear()


def _panel(qtbot, ctx: AppContext, actor: Actor) -> AirportsPanel:
    host = QWidget()  # a bare window: the Reference data screen embeds the panel as a tab
    qtbot.addWidget(host)
    panel = AirportsPanel(ctx, actor, host)
    host.resize(1100, 650)
    panel.resize(1100, 650)
    host.show()
    _HOSTS.append(host)  # qtbot holds widgets weakly: keep the host alive for the test
    panel.refresh()
    qtbot.waitUntil(lambda: len(panel.model.all) > 7000, timeout=15000)
    return panel


def _codes(panel: AirportsPanel, n: int = 5) -> list[str]:
    return [panel.model.index(r, 0).data() for r in range(min(n, panel.model.rowCount()))]


def test_search_as_you_type_and_sort(qtbot, qtmodeltester, ctx: AppContext, admin: Actor) -> None:
    panel = _panel(qtbot, ctx, admin)
    qtmodeltester.check(panel.model)
    assert panel.count.text().endswith("airports") and panel.add_button.isEnabled()
    qtbot.keyClicks(panel.search, "port-au")
    assert panel.model.text == ""  # debounced: nothing filtered while typing
    qtbot.waitUntil(lambda: panel.model.text == "port-au", timeout=3000)
    assert _codes(panel, 1) == ["PAP"]
    assert "match “port-au”" in panel.count.text()
    panel.search.setText("hti")
    qtbot.waitUntil(lambda: panel.model.text == "hti", timeout=3000)
    countries = [panel.model.index(r, 3).data() for r in range(panel.model.rowCount())]
    assert countries.count("HTI") >= 2
    panel.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # city, Z first
    cities = [panel.model.index(r, 2).data() for r in range(panel.model.rowCount())]
    assert cities == sorted(cities, key=str.casefold, reverse=True)
    panel.search.clear()
    qtbot.waitUntil(lambda: panel.model.text == "", timeout=3000)
    assert panel.model.rowCount() == len(panel.model.all)
    started = time.perf_counter()
    panel.model.set_text("san")
    assert time.perf_counter() - started < 0.5  # filtering 8,000 rows stays quick


def test_admin_adds_an_airport_with_inline_errors(qtbot, ctx: AppContext, admin: Actor) -> None:
    panel = _panel(qtbot, ctx, admin)
    dialog = panel.open_add_dialog()
    assert isinstance(dialog, AddAirportDialog)
    fields = dialog.inputs
    fields["iata"].setText("Q1")
    fields["country"].setText("XX")
    fields["timezone"].setText("Mars/Base")
    fields["latitude"].setText("10")
    dialog.submit()
    shown = {key for key, label in dialog.errors.items() if not label.isHidden()}
    assert shown == {"iata", "name", "city", "country", "timezone", "longitude"}
    assert dialog.errors["timezone"].text().startswith("'Mars/Base' is not an IANA time zone")
    assert dialog.isVisible()
    # a shipped airport: refused by the service, said in the dialog
    for key, value in {
        "iata": "PAP",
        "name": "Port",
        "city": "Port-au-Prince",
        "country": "hti",
        "timezone": "America/Port-au-Prince",
        "latitude": "",
    }.items():
        fields[key].setText(value)
    dialog.submit()
    assert all(label.isHidden() for label in dialog.errors.values())
    qtbot.waitUntil(lambda: "shipped airport table" in dialog.message.text(), timeout=10000)
    assert dialog.message.text().startswith("PAP (Toussaint Louverture International Airport")
    fields["iata"].setText("qxp")
    fields["name"].setText("Camp Ridge Airstrip")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        dialog.submit()
    assert dialog.added is not None and dialog.added.iata == "QXP"
    row = panel.model.row_of("QXP")
    assert row is not None and panel.model.index(row, 5).data() == "added by an admin"
    assert "1 added by an admin" in panel.count.text()
    with ctx.uow(write=False) as uow:
        assert uow.session.get(Airport, "QXP") is not None
        assert (
            uow.session.execute(
                sa.select(AuditEvent.actor).where(
                    AuditEvent.action == "airport.create", AuditEvent.entity_id == "QXP"
                )
            ).scalar_one()
            == "admin"
        )


def test_an_officer_sees_the_airports_but_cannot_add(qtbot, ctx: AppContext, officer: Actor) -> None:
    panel = _panel(qtbot, ctx, officer)
    assert not panel.add_button.isEnabled() and "admin" in panel.add_button.toolTip()


def test_screenshot(qtbot, ctx: AppContext, admin: Actor, tmp_path: Path) -> None:
    """Draws the panel with a search (the picture is kept under the test's temp folder)."""
    panel = _panel(qtbot, ctx, admin)
    panel.search.setText("port")
    qtbot.waitUntil(lambda: panel.model.text == "port", timeout=3000)
    picture = panel.window().grab()
    assert not picture.isNull() and picture.width() >= 1000
    picture.save(str(tmp_path / "airports-panel.png"))
