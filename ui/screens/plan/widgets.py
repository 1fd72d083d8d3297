"""The Plan screen's building blocks: number formats, the load-factor bar delegate, the
explanation dialog and the table models of its tabs (``ui.screens.plan``). GUI thread only."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from planner.domain import wording
from planner.services.plan_legs import FlightLegs
from planner.services.plan_results import FlightLoad
from ui.record_model import RecordTableModel
from ui.tables import table_view

RIGHT = Qt.AlignmentFlag.AlignRight


def number_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    return f"{value:,}"


def percent_text(value: Any) -> str:
    return "" if value is None else f"{100 * value:.0f} %"


def money_text(value: Any, currency: str = wording.DEFAULT_CURRENCY) -> str:
    """``"EUR 8,500"`` (empty for None)."""
    return wording.money_text(value, currency)


def whole_text(value: Any) -> str:
    """A count of whole people or slots, never with a fraction."""
    return "" if value is None else f"{int(value):,}"


def load_colour(factor: float) -> QColor:
    """Red under half full, amber under 80 %, green from 80 % (audits count < 80 % as under-used)."""
    if factor >= 0.8:
        return QColor("#81c784")
    if factor >= 0.5:
        return QColor("#ffcc80")
    return QColor("#ef9a9a")


class LoadFactorDelegate(QStyledItemDelegate):
    """Paints a cell's load factor (the row record's ``load_factor``) as a coloured bar with the
    percentage on top. GUI thread only."""

    def paint(
        self, painter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        record = index.data(Qt.ItemDataRole.UserRole)
        factor = float(getattr(record, "load_factor", 0.0) or 0.0)
        bar = opt.rect.adjusted(3, 4, -3, -4)
        painter.save()
        painter.fillRect(
            QRect(bar.left(), bar.top(), round(bar.width() * min(factor, 1.0)), bar.height()),
            load_colour(factor),
        )
        painter.setPen(opt.palette.color(opt.palette.ColorRole.Text))
        painter.drawText(
            opt.rect.adjusted(6, 0, -6, 0),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight),
            text,
        )
        painter.restore()


class LegLoadsDelegate(QStyledItemDelegate):
    """Paints a flight's seats per leg (``FlightLoadsModel.legs_of``) as ``SAT→BRO 40 · BRO→GUA 70``
    with the fullest leg in bold on its load colour. GUI thread only."""

    SEPARATOR = " · "

    def paint(
        self, painter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        model = index.model()
        legs = model.legs_of(index.row()) if isinstance(model, FlightLoadsModel) else None
        if legs is None or not legs.seats:
            return
        seats = model.record(index.row()).seats if isinstance(model, FlightLoadsModel) else 0
        painter.save()
        normal, bold = QFont(opt.font), QFont(opt.font)
        bold.setBold(True)
        x = opt.rect.left() + 4
        for k, part in enumerate(legs.parts()):
            if k:
                painter.setFont(normal)
                painter.setPen(opt.palette.color(opt.palette.ColorRole.Text))
                width = QFontMetrics(normal).horizontalAdvance(self.SEPARATOR)
                painter.drawText(
                    QRect(x, opt.rect.top(), width, opt.rect.height()),
                    int(Qt.AlignmentFlag.AlignVCenter),
                    self.SEPARATOR,
                )
                x += width
            font = bold if k == legs.fullest else normal
            width = QFontMetrics(font).horizontalAdvance(part) + 6
            cell = QRect(x, opt.rect.top() + 3, width, opt.rect.height() - 6)
            if k == legs.fullest:
                painter.fillRect(cell, load_colour(legs.seats[k] / seats if seats else 0.0))
            painter.setFont(font)
            painter.setPen(opt.palette.color(opt.palette.ColorRole.Text))
            painter.drawText(cell, int(Qt.AlignmentFlag.AlignCenter), part)
            x += width
        painter.restore()


def time_limit_box(parent: QWidget, seconds: float) -> QSpinBox:
    """The run bar's solver time limit, starting at ``seconds`` (the office setting)."""
    box = QSpinBox(parent)
    box.setObjectName("timeLimit")
    box.setRange(1, 3600)
    box.setSuffix(" s")
    box.setValue(max(1, round(seconds)))
    box.setToolTip(
        "How long the solver may search before it stores the best plan found "
        "(starts at the office setting time_limit)"
    )
    return box


def plan_table(model: RecordTableModel, name: str) -> QTableView:
    return table_view(model, name, single_selection=True)  # rows come pre-ordered


def set_widths(view: QTableView, widths: tuple[int, ...]) -> None:
    for column, width in enumerate(widths):
        view.setColumnWidth(column, width)


class ExplanationDialog(QDialog):
    """Shows ``explain.explain(...).text()`` for one person (read-only, selectable)."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explanationDialog")
        self.setWindowTitle(title)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("explanationText")
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlainText(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(1000, 520)


# ---------------------------------------------------------------- tab models


def reasons_model(parent: QObject) -> RecordTableModel:
    """Not placed, by reason: people, the reason in words (records keep the code as ``reason``)."""
    return RecordTableModel(
        [("people", "People"), ("meaning", "Not placed because")],
        parent,
        formatters={"people": number_text},
        alignments={"people": RIGHT},
    )


class FlightLoadsModel(RecordTableModel):
    """Per-flight loads; the escort cell's tooltip gives the exact escort load behind the whole
    number of officers; the ``legs`` column shows the seats used on each leg (``legs`` holds them by
    flight id, set with :meth:`set_legs`). GUI thread only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.legs: dict[int, FlightLegs] = {}

    def set_legs(self, legs: dict[int, FlightLegs]) -> None:
        self.legs = legs
        column = next((k for k, (key, _) in enumerate(self.columns) if key == "legs"), None)
        if column is not None and self.rowCount():
            self.dataChanged.emit(self.index(0, column), self.index(self.rowCount() - 1, column))

    def legs_of(self, row: int) -> FlightLegs | None:
        return self.legs.get(self.record(row).flight_id)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            index.isValid()
            and 0 <= index.row() < self.rowCount()
            and self.columns[index.column()][0] == "legs"
        ):
            legs = self.legs_of(index.row())
            if role == Qt.ItemDataRole.DisplayRole:
                return legs.text() if legs else ""
            if role == Qt.ItemDataRole.ToolTipRole and legs and legs.seats:
                seats = self.record(index.row()).seats
                a, b = legs.legs[legs.fullest]
                return (
                    f"Seats used on each leg; the fullest is {a}→{b} with {legs.max_seats:,} of {seats:,} seats "
                    "(people board at their pickup and stay aboard to their stop)"
                )
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and index.isValid()
            and 0 <= index.row() < self.rowCount()
            and self.columns[index.column()][0] == "escorts_needed"
        ):
            load: FlightLoad = self.record(index.row())
            return (
                f"{load.escort_text} escort officers: the placed people's escort load is "
                f"{load.escorts_used:g} officers (by risk level, e.g. 1.5 for medium), rounded up to whole officers"
            )
        return super().data(index, role)


def flight_loads_model(parent: QObject) -> FlightLoadsModel:
    """Per-flight loads of a run (``FlightLoad`` records)."""
    return FlightLoadsModel(
        [
            ("code", "Flight"),
            ("departure_utc", "Departure"),
            ("stops", "Stops"),
            ("seats", "Seats"),
            ("placed", "Placed"),
            ("load_factor", "Load factor"),
            ("legs", "Seats per leg"),
            ("escorts_needed", "Escort officers needed"),
            ("escorts_available", "Escort officers"),
            ("medical_used", "Medical used"),
            ("medical_available", "Medical"),
            ("wheelchair_used", "Wheelchair used"),
            ("wheelchair_available", "Wheelchair"),
            ("status", "Status"),
        ],
        parent,
        formatters={"load_factor": percent_text, "escorts_needed": whole_text},
        alignments={
            k: RIGHT
            for k in (
                "seats",
                "placed",
                "escorts_needed",
                "escorts_available",
                "medical_used",
                "medical_available",
                "wheelchair_used",
                "wheelchair_available",
            )
        },
    )


def unplaced_model(parent: QObject) -> RecordTableModel:
    """The people a run did not place (``UnplacedRow`` records)."""
    return RecordTableModel(
        [
            ("case_number", "Case number"),
            ("name", "Name"),
            ("nationality", "Nationality"),
            ("priority", "Priority"),
            ("reason_text", "Reason"),
            ("detail", "Detail"),
        ],
        parent,
        alignments={"priority": RIGHT},
    )


class ChangesModel(RecordTableModel):
    """The changes from the previous run; the ``boards_at`` column is the airport where a placed
    person boards in the shown run (``boarding``: person id -> airport, set with
    :meth:`set_boarding`). GUI thread only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.boarding: dict[int, str] = {}

    def set_boarding(self, boarding: dict[int, str]) -> None:
        self.boarding = boarding
        column = next((k for k, (key, _) in enumerate(self.columns) if key == "boards_at"), None)
        if column is not None and self.rowCount():
            self.dataChanged.emit(self.index(0, column), self.index(self.rowCount() - 1, column))

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and index.isValid()
            and 0 <= index.row() < self.rowCount()
            and self.columns[index.column()][0] == "boards_at"
        ):
            return self.boarding.get(self.record(index.row()).person_id, "")
        return super().data(index, role)


def changes_model(parent: QObject) -> ChangesModel:
    """The changes from the previous run (``PlanChange`` records), with each placed person's pickup."""
    return ChangesModel(
        [
            ("kind", "Change"),
            ("case_number", "Case number"),
            ("name", "Name"),
            ("from_stop", "From"),
            ("to_stop", "To"),
            ("boards_at", "Boards at"),
            ("reason_text", "Reason (dropped)"),
        ],
        parent,
    )


def merges_model(parent: QObject, currency: str = wording.DEFAULT_CURRENCY) -> RecordTableModel:
    """Missions that could fly as one with more pickups (``RouteMergeRow`` records)."""
    return RecordTableModel(
        [
            ("kept_code", "Keep flight"),
            ("absorbed_code", "Cancel flight"),
            ("route", "Merged route"),
            ("people_moved", "People moved"),
            ("seats_used", "Seats used"),
            ("seats", "Seats"),
            ("extra_hours", "Extra hours"),
            ("cost_saved", f"Cost saved ({currency})"),
        ],
        parent,
        formatters={"cost_saved": lambda v: money_text(v, currency), "extra_hours": lambda v: f"{v:.2f}"},
        alignments={k: RIGHT for k in ("people_moved", "seats_used", "seats", "extra_hours", "cost_saved")},
    )


def advice_model(parent: QObject, currency: str = wording.DEFAULT_CURRENCY) -> RecordTableModel:
    """Flights that could be cancelled (consolidation advice); money in ``currency``."""
    return RecordTableModel(
        [
            ("code", "Flight"),
            ("departure_utc", "Departure"),
            ("hours", "Flight hours"),
            ("cost_saved", f"Cost saved ({currency})"),
            ("people", "People to move"),
        ],
        parent,
        formatters={"cost_saved": lambda v: money_text(v, currency), "hours": lambda v: f"{v:.2f}"},
        alignments={"hours": RIGHT, "cost_saved": RIGHT, "people": RIGHT},
    )


def history_model(parent: QObject) -> RecordTableModel:
    """The stored plan runs (``PlanRunRow`` records)."""
    return RecordTableModel(
        [
            ("id", "Run"),
            ("started_at", "When"),
            ("created_by", "Who"),
            ("status", "Status"),
            ("placed", "Placed"),
            ("objective", "Objective"),
            ("bound", "Bound"),
            ("gap", "Gap"),
            ("seconds", "Seconds"),
        ],
        parent,
        formatters={
            "objective": number_text,
            "bound": number_text,
            "placed": number_text,
            "gap": lambda v: "" if v is None else f"{100 * v:.2f} %",
            "seconds": lambda v: "" if v is None else f"{v:.1f}",
        },
        alignments={k: RIGHT for k in ("id", "placed", "objective", "bound", "gap", "seconds")},
    )


__all__ = [
    "ChangesModel",
    "ExplanationDialog",
    "FlightLoadsModel",
    "LegLoadsDelegate",
    "LoadFactorDelegate",
    "advice_model",
    "changes_model",
    "flight_loads_model",
    "history_model",
    "load_colour",
    "merges_model",
    "plan_table",
    "reasons_model",
    "set_widths",
    "unplaced_model",
]
