"""The Manifests screen shows the API deadline clock of the selected flight (issue 13)."""

from __future__ import annotations

import os

from planner.domain.enums import Role
from planner.persistence.context import AppContext
from tests.conftest import add_user
from tests.integration.manifests.world import World
from ui import operations
from ui.screens.manifests import ManifestsScreen

WAIT = 20_000


def test_selecting_a_flight_shows_when_each_receiving_state_needs_the_data(qtbot, ctx: AppContext) -> None:
    officer = add_user(ctx, "olivia", Role.OFFICER)
    world = World(ctx).setup()
    world.person("A10000001", "CHN")
    world.person("A20000001", "GTM")
    world.plan({"A10000001": 1, "A20000001": 2})
    screen = ManifestsScreen(ctx, officer)
    qtbot.addWidget(screen)
    screen.resize(1360, 820)
    screen.activate()
    qtbot.waitUntil(lambda: screen.flights.rowCount() > 0, timeout=WAIT)
    # the screen selects the first flight itself; its clock may already be showing (or loading)
    screen.flight_table.selectRow(0)
    qtbot.waitUntil(lambda: "GTM " in screen.deadline_label.text(), timeout=WAIT)
    text = screen.deadline_label.text()
    assert text.startswith("API data due: CHN ") and " at PEK (UTC+08:00), in " in text
    assert "  ·  GTM " in text and " at GUA (UTC-06:00), overdue by " not in text
    tip = screen.deadline_label.toolTip().splitlines()
    assert tip[0].startswith("CHN data due ") and "2 h before departure (arrival time unknown)" in tip[0]
    assert tip[1].startswith("GTM data due ") and "1 d before departure" in tip[1]
    if os.environ.get("CHARTER_SCREENSHOTS"):
        screen.grab().save(os.path.join(os.environ["CHARTER_SCREENSHOTS"], "manifests-deadlines.png"))
    screen.flight_table.clearSelection()
    qtbot.waitUntil(lambda: screen.deadline_label.text() == "", timeout=WAIT)
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)
