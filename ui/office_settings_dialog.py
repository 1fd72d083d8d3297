"""Tools → Office settings… (admin): the office's safety settings, kept in the database.

Reads them with ``planner.services.office_settings.load`` and saves the changed ones with
``update`` (admin only, validated, audited, refused when somebody saved meanwhile) — both through
``ui.operations.Operation``, never on the GUI thread. A refusal shows its one-line message in the
dialog and changes nothing; a stale version offers to read the settings again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from planner.domain.errors import PlannerError, StaleVersion
from planner.persistence.context import AppContext
from planner.services import office_settings
from planner.services.auth import Actor
from planner.services.office_settings import DESCRIPTIONS, OfficeSettings
from ui.errors import show_error
from ui.operations import Operation


def _number(
    parent: QWidget, low: float, high: float, step: float, decimals: int, suffix: str = ""
) -> QDoubleSpinBox:
    box = QDoubleSpinBox(parent)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setSuffix(suffix)
    return box


#: The "Mission scheduling" group's rows.
SCHEDULING_LABELS = {
    "detention_cost_person": "Detention cost per single adult",
    "detention_cost_family": "Detention cost per family",
    "unserved_penalty": "Cost of leaving a person unserved",
    "schedule_weeks": "Horizon",
    "pickup_airports": "Pickup airports",
}


class OfficeSettingsDialog(QDialog):
    """Edit the safety settings (GUI thread only). ``loaded`` is the version shown (None: loading)."""

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor
        self.loaded: OfficeSettings | None = None
        self.setObjectName("officeSettingsDialog")
        self.setWindowTitle("Office settings")
        self.setMinimumWidth(560)
        self.fields: dict[str, QDoubleSpinBox | QSpinBox | QCheckBox | QLineEdit] = {
            "escort_low": _number(self, 0, 20, 0.1, 1),
            "escort_medium": _number(self, 0, 20, 0.1, 1),
            "escort_high": _number(self, 0, 20, 0.1, 1),
            "time_limit": _number(self, 1, 3600, 5, 0, " s"),
            "reserve_fraction": _number(self, 0, 0.99, 0.01, 2),
            "depart_margin_minutes": QSpinBox(self),
            "four_eyes_sign": QCheckBox("Approve and sign by different people", self),
            **self._scheduling_fields(),
        }
        margin = self.fields["depart_margin_minutes"]
        assert isinstance(margin, QSpinBox)
        margin.setRange(1, 24 * 60)
        margin.setSuffix(" min before departure")
        labels = {
            "escort_low": "Escort officers per LOW-risk returnee",
            "escort_medium": "… per MEDIUM-risk returnee",
            "escort_high": "… per HIGH-risk returnee",
            "time_limit": "Solver time limit",
            "reserve_fraction": "Reserves (share of seats)",
            "depart_margin_minutes": "Depart accepted from",
            "four_eyes_sign": "Four eyes",
        }
        form = QFormLayout()
        scheduling = QGroupBox("Mission scheduling", self)
        scheduling.setObjectName("schedulingSettings")
        scheduling_form = QFormLayout(scheduling)
        for key, widget in self.fields.items():
            widget.setObjectName(f"setting_{key}")
            widget.setToolTip(DESCRIPTIONS[key])
            widget.setEnabled(False)
            if key in SCHEDULING_LABELS:
                scheduling_form.addRow(f"{SCHEDULING_LABELS[key]}:", widget)
            else:
                form.addRow(f"{labels[key]}:", widget)
        intro = QLabel(
            "These settings are the same for every desk. Every plan run records and shows the values it "
            "used; every change is audited.",
            self,
        )
        intro.setWordWrap(True)
        self.status = QLabel("Loading…", self)
        self.status.setObjectName("officeSettingsStatus")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(scheduling)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.reload()

    def _scheduling_fields(self) -> dict[str, QDoubleSpinBox | QSpinBox | QLineEdit]:
        """The mission scheduler's settings (the Schedule screen and ``schedule propose``)."""
        weeks = QSpinBox(self)
        weeks.setRange(1, 52)
        weeks.setSuffix(" weeks")
        airports = QLineEdit(self)
        airports.setPlaceholderText("e.g. AEX;SAT — empty: every airport a facility transfers to")
        return {
            "detention_cost_person": _number(self, 0, 100_000, 1, 0, " per day"),
            "detention_cost_family": _number(self, 0, 100_000, 1, 0, " per day"),
            "unserved_penalty": _number(self, 0, 10_000_000, 100, 0, " per person"),
            "schedule_weeks": weeks,
            "pickup_airports": airports,
        }

    # ------------------------------------------------------------ reading

    def reload(self) -> None:
        """Read the stored settings in the background and show them."""
        self.save_button.setEnabled(False)
        Operation(self, "Could not read the office settings").success(self.show_settings).run_in_uow(
            self.ctx, office_settings.load
        )

    def show_settings(self, current: OfficeSettings) -> None:
        self.loaded = current
        for key, widget in self.fields.items():
            value = getattr(current, key)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QLineEdit):
                widget.setText(str(value))
            else:
                widget.setValue(value)
            widget.setEnabled(True)
        changed = (
            f", changed by {current.updated_by} on {current.updated_at:%Y-%m-%d %H:%M} UTC"
            if current.updated_at
            else ""
        )
        self.status.setStyleSheet("")
        self.status.setText(f"Version {current.version}{changed}.")
        self.save_button.setEnabled(True)

    # ------------------------------------------------------------ saving

    def changes(self) -> dict[str, Any]:
        """The values that differ from the ones shown when loaded."""
        if self.loaded is None:
            return {}
        out: dict[str, Any] = {}
        for key, widget in self.fields.items():
            value: Any = (
                widget.isChecked()
                if isinstance(widget, QCheckBox)
                else widget.text().strip()
                if isinstance(widget, QLineEdit)
                else widget.value()
            )
            if value != getattr(self.loaded, key):
                out[key] = value
        return out

    def save(self) -> None:
        """Save the changed values (background); a refusal is shown in the dialog."""
        changes, loaded = self.changes(), self.loaded
        if loaded is None:
            return
        if not changes:
            self.status.setText("Nothing changed.")
            return
        self.save_button.setEnabled(False)

        def saved(current: OfficeSettings) -> None:
            self.show_settings(current)
            self.status.setText(f"Saved: {', '.join(sorted(changes))} (version {current.version}).")

        def refused(exc: BaseException, details: str) -> None:
            if not isinstance(exc, PlannerError):
                show_error(self, "Could not save the office settings", exc, details)
            self.status.setStyleSheet("color: #b3261e")
            reload_hint = (
                " Close and open the dialog again to read them." if isinstance(exc, StaleVersion) else ""
            )
            self.status.setText(str(exc) + reload_hint)
            self.save_button.setEnabled(not isinstance(exc, StaleVersion))

        Operation(self).success(saved).failure(refused).run_in_uow(
            self.ctx,
            lambda uow: office_settings.update(uow, self.actor, changes, loaded.version),
            write=True,
        )
