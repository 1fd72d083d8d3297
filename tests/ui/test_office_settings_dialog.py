"""Tools → Office settings… (admin): shows the stored safety settings, refuses a bad value with the
service's one-line message, saves a good one (audited), and is disabled for everybody else."""

from __future__ import annotations

import os

from planner.persistence.context import AppContext
from planner.services import office_settings
from planner.services.auth import Actor
from ui import operations
from ui.office_settings_dialog import OfficeSettingsDialog

WAIT = 20_000


def _stored(ctx: AppContext) -> office_settings.OfficeSettings:
    with ctx.uow(write=False) as uow:
        return office_settings.load(uow)


def test_an_admin_edits_the_office_settings(qtbot, ctx: AppContext, admin: Actor) -> None:
    dialog = OfficeSettingsDialog(ctx, admin)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded is not None and dialog.save_button.isEnabled(), timeout=WAIT)
    high = dialog.fields["escort_high"]
    assert high.value() == 2.0 and "Version 1" in dialog.status.text()

    high.setValue(0)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "escort_high must be more than 0" in dialog.status.text(), timeout=WAIT)
    assert _stored(ctx).escort_high == 2.0

    high.setValue(3)
    dialog.fields["four_eyes_sign"].setChecked(False)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Saved"), timeout=WAIT)
    stored = _stored(ctx)
    assert (stored.escort_high, stored.four_eyes_sign, stored.version) == (3.0, False, 2)
    if os.environ.get("CHARTER_SHOT"):
        dialog.grab().save(os.environ["CHARTER_SHOT"])
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)


def test_the_menu_item_needs_the_admin_role(qtbot, ctx: AppContext, supervisor: Actor) -> None:
    from ui.main_window import MainWindow

    window = MainWindow(ctx, supervisor)
    qtbot.addWidget(window)
    assert not window.office_settings_action.isEnabled()
    assert window.office_settings_action.toolTip() == "Needs the admin role"
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)
