"""The Schedule screen's totals: the proposal and the flights already scheduled ("current") side by
side, the proven lower bound and gap, and the notes (people left out and why, rules that forced a
mission under 80 %, a time limit reached). GUI thread only."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ui.screens.schedule.models import Money, days_text, percent

if TYPE_CHECKING:
    from planner.services.scheduling.views import ProposalView
    from solver.schedule.problem import Totals

#: (key, label, text of a ``Totals`` in a currency).
FIGURES: tuple[tuple[str, str, Callable[[Totals, Money], str]], ...] = (
    ("cost", "Total cost", lambda t, money: money(t.cost)),
    ("flight_cost", "Flying", lambda t, money: money(t.flight_cost)),
    ("waiting_cost", "Waiting", lambda t, money: money(t.waiting_cost)),
    ("removed", "Removed", lambda t, _money: f"{t.removed:,}"),
    ("unserved", "Left unserved", lambda t, _money: f"{t.unserved:,}"),
    ("cost_per_removal", "Cost per removal", lambda t, money: money(t.cost_per_removal) or "—"),
    ("mean_wait_days", "Mean days waiting", lambda t, _money: days_text(t.mean_wait_days) or "—"),
    ("load_factor", "Load factor", lambda t, _money: percent(t.load_factor) or "—"),
    ("missions", "Missions", lambda t, _money: f"{t.missions:,}"),
)

FIGURE_TIPS = {
    "cost": "Flying + waiting: what the schedule costs by the cost model",
    "flight_cost": "Block hours × cost per block hour of every mission (empty return legs included)",
    "waiting_cost": "Detention cost per day of everybody until their departure; those left unserved "
    "to the horizon's end, plus the unserved penalty per person",
    "cost_per_removal": "Total cost / people removed",
    "load_factor": "People / seats over all missions",
}


def saving_text(proposed: Totals, current: Totals, money: Money) -> str:
    """``"USD 120,345 less than current (−18 % per removal)"`` or ``""``."""
    if not current.cost:
        return ""
    diff = current.cost - proposed.cost
    words = f"{money(abs(diff))} {'less' if diff >= 0 else 'more'} than current"
    if proposed.cost_per_removal and current.cost_per_removal:
        change = proposed.cost_per_removal / current.cost_per_removal - 1
        words += f" ({change:+.0%} per removal)".replace("-", "−")
    return words


def quality_text(view: ProposalView, money: Money) -> str:
    """``"Bound USD 1,230,000 · gap 1.2 % · 14.2 s · OPTIMAL"``."""
    parts = []
    if view.bound is not None:
        parts.append(f"Bound {money(view.bound)}")
    if view.gap is not None:
        parts.append(f"gap {100 * view.gap:.1f} %")
    parts.append(f"{view.seconds:.1f} s")
    if view.solver_status:
        parts.append(view.solver_status)
    return " · ".join(parts)


class TotalsPanel(QWidget):
    """Proposed vs current figures (``set_view``); ``cells[(key, column)]`` hold the texts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleTotals")
        self.money = Money()
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(2)
        self.header_proposed = QLabel("<b>Proposed</b>", self)
        grid.addWidget(self.header_proposed, 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(QLabel("<b>Current</b>", self), 0, 2, Qt.AlignmentFlag.AlignRight)
        self.cells: dict[tuple[str, str], QLabel] = {}
        for row, (key, label, _text) in enumerate(FIGURES, start=1):
            name = QLabel(label, self)
            name.setToolTip(FIGURE_TIPS.get(key, ""))
            grid.addWidget(name, row, 0)
            for column, side in ((1, "proposed"), (2, "current")):
                cell = QLabel("—", self)
                cell.setObjectName(f"total_{key}_{side}")
                cell.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                cell.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                grid.addWidget(cell, row, column)
                self.cells[(key, side)] = cell
        grid.setColumnStretch(0, 1)
        self.saving = QLabel("", self)
        self.saving.setObjectName("scheduleSaving")
        self.saving.setStyleSheet("font-weight: 600;")
        self.quality = QLabel("", self)
        self.quality.setObjectName("scheduleQuality")
        self.quality.setToolTip(
            "Bound: no schedule can cost less (proven by the solver); gap: how far the proposal may be "
            "from the best possible, (cost − bound) / cost"
        )
        #: The notes (people left out and why, rules that forced a mission under 80 %): the screen
        #: shows them under the cost split, where there is room.
        self.notes = QLabel("", self)
        self.notes.setObjectName("scheduleNotes")
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes.setStyleSheet("color: palette(placeholder-text);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(grid)
        layout.addWidget(self.saving)
        layout.addWidget(self.quality)
        layout.addStretch(1)

    def set_view(self, view: ProposalView | None, *, whatif: bool = False) -> None:
        self.header_proposed.setText("<b>What-if</b>" if whatif else "<b>Proposed</b>")
        for key, _label, text in FIGURES:
            self.cells[(key, "proposed")].setText(text(view.totals, self.money) if view else "—")
            self.cells[(key, "current")].setText(text(view.current, self.money) if view else "—")
        self.saving.setText(saving_text(view.totals, view.current, self.money) if view else "")
        self.quality.setText(quality_text(view, self.money) if view else "")
        self.notes.setText("\n".join(f"• {n}" for n in view.notes) if view else "")


__all__ = ["FIGURES", "TotalsPanel", "quality_text", "saving_text"]
