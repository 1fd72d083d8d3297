"""The Plan screen's tabs: summary, flights, not placed, changes, consolidation, history."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.screens.plan.base import PlanScreenBase
from ui.screens.plan.widgets import (
    LegLoadsDelegate,
    LoadFactorDelegate,
    advice_model,
    changes_model,
    flight_loads_model,
    history_model,
    merges_model,
    plan_table,
    reasons_model,
    set_widths,
    unplaced_model,
)


class TabsMixin(PlanScreenBase):
    """Builds the tab pages (called once from ``PlanScreen.__init__``)."""

    def _build_summary(self) -> QWidget:
        page = QWidget()
        form = QFormLayout()
        self.summary: dict[str, QLabel] = {}
        for key, label in [
            ("run", "Plan run"),
            ("considered", "People considered"),
            ("eligible", "Eligible for a flight"),
            ("placed", "Placed"),
            ("not_placed", "Not placed"),
            ("objective", "Objective (priority-weighted)"),
            ("bound", "Proven bound"),
            ("gap", "Gap"),
            ("seconds", "Solve time"),
            ("safety", "Safety settings used"),
        ]:
            value = QLabel("—")
            value.setObjectName(f"summary_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(key == "safety")
            self.summary[key] = value
            form.addRow(f"{label}:", value)
        self.reasons = reasons_model(self)
        self.reasons_view = plan_table(self.reasons, "reasonsTable")
        set_widths(self.reasons_view, (80,))
        self.reasons_view.setToolTip("Double-click a reason to list those people")
        self.reasons_view.doubleClicked.connect(self._reason_chosen)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(QLabel("Not placed, by reason (double-click to list the people):"))
        layout.addWidget(self.reasons_view, 1)
        return page

    def _build_flights(self) -> QWidget:
        page = QWidget()
        self.flights = flight_loads_model(self)
        self.flights_view = plan_table(self.flights, "flightsTable")
        self.flights_view.setItemDelegateForColumn(5, LoadFactorDelegate(self.flights_view))
        self.flights_view.setItemDelegateForColumn(
            self.flights.columns.index(("legs", "Seats per leg")), LegLoadsDelegate(self.flights_view)
        )
        set_widths(self.flights_view, (80, 160, 110, 55, 60, 130, 300, 150, 105, 100, 70, 115, 85, 80))
        self.flights_total = QLabel("")
        self.flights_total.setObjectName("flightsTotal")
        layout = QVBoxLayout(page)
        layout.addWidget(self.flights_total)
        layout.addWidget(self.flights_view, 1)
        return page

    def _build_unplaced(self) -> QWidget:
        page = QWidget()
        self.reason_filter = QComboBox()
        self.reason_filter.setObjectName("reasonFilter")
        self.reason_filter.addItem("All reasons", "")
        self.unplaced_count = QLabel("")
        self.unplaced_count.setObjectName("unplacedCount")
        self.explain_button = QPushButton("Explain…")
        self.explain_button.setObjectName("explainPerson")
        self.unplaced = unplaced_model(self)
        self.unplaced_view = plan_table(self.unplaced, "unplacedTable")
        set_widths(self.unplaced_view, (110, 260, 90, 65, 280))
        self.unplaced_view.setToolTip("Double-click (or Enter) to see why the person was not placed")
        self.unplaced_view.doubleClicked.connect(lambda index: self.explain_row(index.row()))
        self.unplaced_view.activated.connect(lambda index: self.explain_row(index.row()))
        self.unplaced_view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.explain_button.clicked.connect(self._explain_selected)
        self.reason_filter.currentIndexChanged.connect(lambda _i: self._load_unplaced())
        top = QHBoxLayout()
        top.addWidget(QLabel("Reason:"))
        top.addWidget(self.reason_filter, 1)
        top.addWidget(self.unplaced_count, 1)
        top.addWidget(self.explain_button)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.unplaced_view, 1)
        return page

    def _build_changes(self) -> QWidget:
        page = QWidget()
        self.change_filter = QComboBox()
        self.change_filter.setObjectName("changeFilter")
        for label, kind in [
            ("All changes", ""),
            ("Moved", "moved"),
            ("Added", "added"),
            ("Dropped", "dropped"),
        ]:
            self.change_filter.addItem(label, kind)
        self.changes_label = QLabel("")
        self.changes_label.setObjectName("changesLabel")
        self.changes = changes_model(self)
        self.changes_view = plan_table(self.changes, "changesTable")
        set_widths(self.changes_view, (80, 110, 260, 130, 130, 75))
        self.change_filter.currentIndexChanged.connect(lambda _i: self._show_changes())
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.change_filter)
        top.addWidget(self.changes_label, 1)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.changes_view, 1)
        return page

    def _build_advice(self) -> QWidget:
        page = QWidget()
        self.advice_button = QPushButton("Find flights to cancel")
        self.advice_button.setObjectName("findCancellable")
        self.advice_limit = QDoubleSpinBox()
        self.advice_limit.setObjectName("adviceTimeLimit")
        self.advice_limit.setRange(1, 600)
        self.advice_limit.setDecimals(0)
        self.advice_limit.setSuffix(" s")
        self.advice_limit.setValue(10)
        self.advice_limit.setToolTip("How long the search may take")
        self.advice_cancel = QPushButton("Cancel")
        self.advice_cancel.setObjectName("cancelAdvice")
        self.advice_progress = QProgressBar()
        self.advice_progress.setObjectName("adviceProgress")
        self.advice_progress.setRange(0, 1000)
        self.advice_progress.setFormat("")
        self.advice_total = QLabel(
            "Which flights of the current plan could be cancelled with every placed person still placed?"
        )
        self.advice_total.setObjectName("adviceTotal")
        self.advice_total.setWordWrap(True)
        self.advice = advice_model(self, self.ctx.settings.currency)
        self.advice_view = plan_table(self.advice, "adviceTable")
        set_widths(self.advice_view, (90, 150, 100, 110))
        self.merges_label = QLabel("")
        self.merges_label.setObjectName("mergesLabel")
        self.merges_label.setWordWrap(True)
        self.merges = merges_model(self, self.ctx.settings.currency)
        self.merges_view = plan_table(self.merges, "mergesTable")
        set_widths(self.merges_view, (80, 90, 220, 90, 80, 60, 80, 110))
        self.advice_button.clicked.connect(self.find_cancellable)
        self.advice_cancel.clicked.connect(self.cancel_advice)
        top = QHBoxLayout()
        top.addWidget(self.advice_button)
        top.addWidget(QLabel("Search for:"))
        top.addWidget(self.advice_limit)
        top.addWidget(self.advice_cancel)
        top.addWidget(self.advice_progress, 1)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.advice_total)
        layout.addWidget(self.advice_view, 1)
        layout.addWidget(self.merges_label)
        layout.addWidget(self.merges_view, 1)
        return page

    def _build_history(self) -> QWidget:
        page = QWidget()
        self.history = history_model(self)
        self.history_view = plan_table(self.history, "historyTable")
        set_widths(self.history_view, (60, 150, 110, 100, 80, 90, 90, 80))
        self.history_view.setToolTip("Double-click a run to show it")
        self.history_view.doubleClicked.connect(
            lambda index: self.show_run(self.history.record(index.row()).id)
        )
        layout = QVBoxLayout(page)
        layout.addWidget(self.history_view)
        return page
