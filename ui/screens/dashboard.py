"""Dashboard: summary tiles, a load-factor chart of the upcoming flights (Qt Charts), the upcoming
departures with notice cut-offs and manifest status, the not-placed-by-reason table and warnings,
and the requests to receiving states: overdue per country with a reminder letter each, and the
people expected eligible by each upcoming cut-off (:mod:`ui.screens.dashboard_requests`).

Threading: GUI thread only. The snapshot is computed by ``planner.services.dashboard.dashboard``
off the GUI thread (an ``Operation``) each time the screen is shown, and when another screen reports
a change to plans, flights, people, manifests or requests (at once when visible, otherwise on next
show).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QModelIndex, QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from planner.domain.countries import country_name
from planner.domain.wording import local_time_text
from planner.persistence.context import AppContext
from planner.services import dashboard as dashboard_service
from planner.services.auth import Actor
from planner.services.consular.status import PipelineDashboard
from planner.services.dashboard import Dashboard
from planner.services.flights import FlightRow
from ui.operations import Change, Operation
from ui.record_model import RecordTableModel
from ui.screens.base import Screen
from ui.screens.dashboard_requests import REQUESTS_SCREEN, CutoffPanel, OverduePanel
from ui.screens.flights.model import LEG_PARTS_ROLE, LegLoadDelegate, leg_parts, legs_tooltip
from ui.tables import table_view

LOAD_TARGET = 0.8
GOOD = QColor("#3c8d40")
LOW = QColor("#e69138")
TARGET = QColor("#b00020")
ERROR_TEXT = QColor("#a40000")
#: The changes the dashboard shows.
SHOWN_CHANGES = Change.PLAN | Change.FLIGHTS | Change.PEOPLE | Change.MANIFESTS | Change.REQUESTS


def default_rule_text(countries: tuple[str, ...], shown: int = 12) -> str:
    """``"On the default country rule: HTI (Haiti), VNM (Viet Nam)"`` ("" when none)."""
    if not countries:
        return ""
    names = [f"{c} ({country_name(c)})" for c in countries[:shown]]
    more = f" and {len(countries) - shown} more" if len(countries) > shown else ""
    return f"On the default country rule (no rule of their own): {', '.join(names)}{more}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


class Tile(QFrame):
    """A number with a caption."""

    def __init__(self, caption: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("tile")
        self.setStyleSheet("#tile { background: palette(base); border-radius: 6px; }")
        self.setToolTip(tip)
        self.value = QLabel("–", self)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.value.setFont(font)
        self.caption = QLabel(caption, self)
        self.caption.setStyleSheet("color: palette(mid);")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)

    def set(self, text: str, color: QColor | None = None) -> None:
        self.value.setText(text)
        self.value.setStyleSheet(f"color: {color.name()};" if color else "")


class WarningsModel(RecordTableModel):
    """Warnings, errors in red. GUI thread only."""

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # type: ignore[override]
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and 0 <= index.row() < self.rowCount():
            if self.record(index.row()).severity == "error":
                return QBrush(ERROR_TEXT)
            return None
        return super().data(index, role)


class UpcomingModel(RecordTableModel):
    """Upcoming departures; the load factor shaded against the 80 % target. GUI thread only."""

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # type: ignore[override]
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        key = self.columns[index.column()][0]
        row: FlightRow = self.record(index.row())
        if key == "load_factor" and role == Qt.ItemDataRole.BackgroundRole and row.load_factor is not None:
            return QBrush(QColor("#d8efd9") if row.load_factor >= LOAD_TARGET else QColor("#fbe3c2"))
        if key == "placed" and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return f"{row.placed} / {row.seats}"
        if key == "local_short" and role == Qt.ItemDataRole.ToolTipRole:
            return row.local_text
        if key == "notice_cutoff" and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            # Local time at the departure airport with its UTC offset, like the departure.
            return local_time_text(row.notice_cutoff, row.timezone)
        if key == "load_factor" and role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.placed} placed of {row.seats} seats; fullest leg {row.peak_load}"
        if key == "legs_text" and role in (LEG_PARTS_ROLE, Qt.ItemDataRole.ToolTipRole):
            return leg_parts(row) if role == LEG_PARTS_ROLE else legs_tooltip(row)
        return super().data(index, role)


def _table(model: RecordTableModel, name: str, widths: tuple[int, ...]) -> QTableView:
    return table_view(model, name, widths=widths, row_height=22)


def _group(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(widget)
    return box


class DashboardScreen(Screen):
    title = "Dashboard"

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(ctx, actor, parent)
        self._generation = 0
        self._loaded = False
        self._stale = True
        self.snapshot: Dashboard | None = None

        self.tiles = {
            "final": Tile("In custody, final order", "People in custody with a final removal order"),
            "pending": Tile(
                "In custody, order pending", "People in custody whose order is pending or absent"
            ),
            "released": Tile("Released / removed", "People released from custody / already removed"),
            "placed": Tile("Placed by the plan", "People on a flight in the current draft plan"),
            "not_placed": Tile("Not placed", "People the current plan did not place (see the reasons)"),
            "upcoming": Tile("Departures, next 14 days", "Planned flights departing within 14 days"),
            "load": Tile(
                "Average load, next 14 days",
                "People aboard each upcoming flight's fullest leg per seat over the upcoming flights",
            ),
            "warnings": Tile("Warnings", "Documents, cut-offs, holds and pending verifications"),
        }
        tiles = QGridLayout()
        tiles.setSpacing(8)
        for column, tile in enumerate(self.tiles.values()):
            tiles.addWidget(tile, 0, column)
        self.plan_label = QLabel(self)
        self.plan_label.setObjectName("planLabel")
        self.rules_label = QLabel(self)
        self.rules_label.setObjectName("defaultRulesLabel")
        self.rules_label.setWordWrap(True)
        self.rules_label.setToolTip(
            "Countries of planned stops or of people in custody without a rule of their own run on the "
            "conservative default: verification required, passport only, no cap, the longest notice"
        )

        self.chart = QChart()
        self.chart.setTitle("Load factor of upcoming flights")
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart_view = QChartView(self.chart, self)
        self.chart_view.setObjectName("loadChart")
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(240)

        self.upcoming = UpcomingModel(
            [
                ("code", "Flight"),
                ("local_short", "Departure (local)"),
                ("route_text", "Route"),
                ("placed", "Placed / seats"),
                ("load_factor", "Load"),
                ("legs_text", "Load per leg"),
                ("manifest_status", "Manifest"),
                ("notice_cutoff", "Notice cut-off (local)"),
            ],
            self,
            formatters={
                "load_factor": percent,
                "manifest_status": lambda v: (v or "none").lower(),
            },
            alignments={k: Qt.AlignmentFlag.AlignRight for k in ("placed", "load_factor")},
        )
        self.upcoming_table = _table(self.upcoming, "upcomingTable", (60, 200, 170, 90, 50, 120, 70))
        self.legs_delegate = LegLoadDelegate(self.upcoming_table)
        self.upcoming_table.setItemDelegateForColumn(5, self.legs_delegate)
        self.reasons = RecordTableModel(
            [("count", "People"), ("description", "Not placed because")],
            self,
            formatters={"count": lambda n: f"{n:,}"},
            alignments={"count": Qt.AlignmentFlag.AlignRight},
        )
        self.reasons_table = _table(self.reasons, "reasonsTable", (60,))
        self.warnings = WarningsModel(
            [("kind", "Kind"), ("message", "Warning")],
            self,
        )
        self.warnings_table = _table(self.warnings, "warningsTable", (140,))

        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(_group("Load factor", self.chart_view))
        top.addWidget(_group("Upcoming departures (14 days)", self.upcoming_table))
        top.setSizes([410, 680])
        bottom = QSplitter(Qt.Orientation.Horizontal, self)
        bottom.addWidget(_group("Not placed, by reason", self.reasons_table))
        bottom.addWidget(_group("Warnings", self.warnings_table))
        bottom.setSizes([470, 620])
        requests = self._requests_row()
        body = QSplitter(Qt.Orientation.Vertical, self)
        body.setObjectName("dashboardSplitter")
        body.addWidget(top)
        body.addWidget(bottom)
        body.addWidget(requests)
        body.setSizes([350, 200, 270])
        header = QHBoxLayout()
        header.addWidget(self.plan_label, 1)
        header.addWidget(self.rules_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(tiles)
        layout.addLayout(header)
        layout.addWidget(body, 1)

    def _requests_row(self) -> QSplitter:
        """The panels on requests to receiving states: overdue per country, forecast per cut-off."""
        self.overdue_panel = OverduePanel(self.ctx, self.actor, self)
        self.overdue_panel.open_requests.connect(self.open_requests_screen)
        self.cutoff_panel = CutoffPanel(self)
        self.overdue_box = _group("Requests overdue", self.overdue_panel)
        self.cutoff_box = _group("Expected eligible by cut-off", self.cutoff_panel)
        row = QSplitter(Qt.Orientation.Horizontal, self)
        row.setObjectName("requestsSplitter")
        row.addWidget(self.overdue_box)
        row.addWidget(self.cutoff_box)
        row.setSizes([560, 530])
        return row

    # ------------------------------------------------------------ screen contract

    def activate(self) -> None:
        self._loaded = True
        self.overdue_panel.requests_button.setEnabled(self._requests_screen_window() is not None)
        self.reload()

    def _requests_screen_window(self) -> Any:
        """The main window when it has a Requests screen this user may open, else None."""
        window = self.window()
        return window if REQUESTS_SCREEN in getattr(window, "screens", {}) else None

    def open_requests_screen(self) -> None:
        """Show the Requests screen (the dashboard's "Requests screen…" button)."""
        window = self._requests_screen_window()
        if window is not None:
            window.show_screen(REQUESTS_SCREEN)

    def on_data_changed(self, change: Change) -> None:
        if not change & SHOWN_CHANGES:
            return
        self._stale = True
        if self._loaded and self.isVisible():
            self.reload()

    def reload(self) -> None:
        """Compute a fresh snapshot off the GUI thread."""
        self._generation += 1
        generation = self._generation
        self._stale = False
        self.plan_label.setText("Refreshing…")
        Operation(self, "Could not load the dashboard").success(
            lambda snapshot: self._show(generation, snapshot)
        ).run_in_uow(self.ctx, lambda uow: dashboard_service.dashboard(uow, self.actor))

    # ------------------------------------------------------------ display

    def _show(self, generation: int, d: Dashboard) -> None:
        if generation != self._generation:
            return
        self.snapshot = d
        self.rules_label.setText(default_rule_text(d.default_rule_countries))
        pending = d.status_count("in_custody_pending") + d.status_count("in_custody_no_order")
        self.tiles["final"].set(f"{d.status_count('in_custody_final'):,}")
        self.tiles["pending"].set(f"{pending:,}")
        self.tiles["released"].set(f"{d.status_count('released'):,} / {d.status_count('removed'):,}")
        self.tiles["placed"].set(f"{d.placed:,}" if d.plan_run_id else "–")
        self.tiles["not_placed"].set(f"{d.not_placed:,}" if d.plan_run_id else "–")
        self.tiles["upcoming"].set(f"{len(d.upcoming):,}")
        load = d.average_load
        self.tiles["load"].set(
            percent(load), None if load is None else (GOOD if load >= LOAD_TARGET else LOW)
        )
        under = d.under_full
        self.tiles["load"].setToolTip(
            "People aboard each flight's fullest leg per seat over the upcoming flights; "
            + (
                f"{len(under)} under {percent(LOAD_TARGET)} on their fullest leg: "
                + ", ".join(f"{r.code} {percent(r.load_factor)}" for r in under[:10])
                + (" …" if len(under) > 10 else "")
                if under
                else f"every flight's fullest leg is at {percent(LOAD_TARGET)} or more"
            )
        )
        total_warnings = d.warning_total
        self.tiles["warnings"].set(f"{total_warnings:,}", ERROR_TEXT if total_warnings else None)
        self.tiles["warnings"].setToolTip("\n".join(d.warning_breakdown()) or "No warnings")
        if d.plan_run_id is None:
            self.plan_label.setText("No plan has been run yet: run one on the Plan screen.")
        else:
            finished = f"{d.plan_finished_at:%Y-%m-%d %H:%M} UTC" if d.plan_finished_at else "unfinished"
            self.plan_label.setText(
                f"Current plan {d.plan_run_id} by {d.plan_created_by}, {finished}: "
                f"{d.placed:,} placed of {d.eligible:,} eligible ({d.considered:,} people considered)."
                f"   As of {d.now:%Y-%m-%d %H:%M} UTC."
            )
        self.upcoming.set_records(d.upcoming)
        self.reasons.set_records(d.not_placed_by_reason)
        self.warnings.set_records(d.warnings)
        self._draw_chart(d.upcoming)
        self._show_pipeline(d.pipeline, d.now.date())

    def _show_pipeline(self, pipeline: PipelineDashboard | None, today: date) -> None:
        overdue = pipeline.overdue if pipeline is not None else ()
        cutoffs = pipeline.by_cutoff if pipeline is not None else ()
        total = sum(o.overdue for o in overdue)
        self.overdue_box.setTitle(f"Requests overdue ({total:,})" if total else "Requests overdue")
        self.overdue_panel.show_overdue(overdue)
        self.cutoff_panel.show_forecast(cutoffs, today)

    def _draw_chart(self, rows: tuple[FlightRow, ...]) -> None:
        chart = self.chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        rows = tuple(r for r in rows if r.seats)
        good = QBarSet(f"{percent(LOAD_TARGET)} or more")
        low = QBarSet(f"under {percent(LOAD_TARGET)}")
        good.setColor(GOOD)
        low.setColor(LOW)
        good.setBorderColor(GOOD)
        low.setBorderColor(LOW)
        peak = 100.0
        for row in rows:
            value = 100 * (row.load_factor or 0.0)
            peak = max(peak, value)
            good.append(value if value >= 100 * LOAD_TARGET else 0.0)
            low.append(value if value < 100 * LOAD_TARGET else 0.0)
        bars = QStackedBarSeries()
        bars.append(good)
        bars.append(low)
        bars.setBarWidth(0.6)
        chart.addSeries(bars)
        categories = QBarCategoryAxis()
        categories.append([r.code for r in rows] or [""])
        categories.setLabelsAngle(-90 if len(rows) > 8 else 0)
        values = QValueAxis()
        top = 20 * math.ceil(peak * 1.02 / 20)
        values.setRange(0, top)
        values.setLabelFormat("%d %%")
        values.setTickCount(top // 20 + 1)
        chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
        bars.attachAxis(categories)
        bars.attachAxis(values)
        target = QLineSeries()
        target.setName(f"target {percent(LOAD_TARGET)}")
        pen = QPen(TARGET)
        pen.setWidthF(1.5)
        pen.setStyle(Qt.PenStyle.DashLine)
        target.setPen(pen)
        n = max(len(rows), 1)
        target.append(QPointF(-0.5, 100 * LOAD_TARGET))
        target.append(QPointF(n - 0.5, 100 * LOAD_TARGET))
        chart.addSeries(target)
        target.attachAxis(categories)
        target.attachAxis(values)
        self.chart.setTitle(
            f"Load factor (fullest leg), next 14 days ({len(rows)} flights)"
            if rows
            else "No flights depart in the next 14 days"
        )


__all__ = ["DashboardScreen"]
