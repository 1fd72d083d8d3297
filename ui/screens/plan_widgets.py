"""The Plan screen's building blocks: number formats, the load-factor bar delegate, the
explanation dialog and the table models of its tabs (``ui.screens.plan``). GUI thread only."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

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


def money_text(value: Any) -> str:
    return "" if value is None else f"{value:,.0f}"


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
        self.resize(760, 420)


# ---------------------------------------------------------------- tab models


def reasons_model(parent: QObject) -> RecordTableModel:
    """Not placed, by reason: reason, people, meaning."""
    return RecordTableModel(
        [("reason", "Not placed because"), ("people", "People"), ("meaning", "Meaning")],
        parent,
        formatters={"people": number_text},
        alignments={"people": RIGHT},
    )


def flight_loads_model(parent: QObject) -> RecordTableModel:
    """Per-flight loads of a run (``FlightLoad`` records)."""
    return RecordTableModel(
        [
            ("code", "Flight"),
            ("departure_utc", "Departure"),
            ("stops", "Stops"),
            ("seats", "Seats"),
            ("placed", "Placed"),
            ("load_factor", "Load factor"),
            ("escorts_used", "Escorts used"),
            ("escorts_available", "Escorts"),
            ("medical_used", "Medical used"),
            ("medical_available", "Medical"),
            ("wheelchair_used", "Wheelchair used"),
            ("wheelchair_available", "Wheelchair"),
            ("status", "Status"),
        ],
        parent,
        formatters={"load_factor": percent_text, "escorts_used": number_text},
        alignments={
            k: RIGHT
            for k in (
                "seats",
                "placed",
                "escorts_used",
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
            ("casenumber_text", "Case number"),
            ("name", "Name"),
            ("nationality", "Nationality"),
            ("priority", "Priority"),
            ("reason", "Reason"),
            ("detail", "Detail"),
        ],
        parent,
        alignments={"priority": RIGHT},
    )


def changes_model(parent: QObject) -> RecordTableModel:
    """The changes from the previous run (``PlanChange`` records)."""
    return RecordTableModel(
        [
            ("kind", "Change"),
            ("casenumber_text", "Case number"),
            ("name", "Name"),
            ("from_stop", "From"),
            ("to_stop", "To"),
            ("reason", "Reason (dropped)"),
        ],
        parent,
    )


def advice_model(parent: QObject) -> RecordTableModel:
    """Flights that could be cancelled (consolidation advice)."""
    return RecordTableModel(
        [
            ("code", "Flight"),
            ("departure_utc", "Departure"),
            ("hours", "Flight hours"),
            ("cost_saved", "Cost saved"),
            ("people", "People to move"),
        ],
        parent,
        formatters={"cost_saved": money_text, "hours": lambda v: f"{v:.2f}"},
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
    "ExplanationDialog",
    "LoadFactorDelegate",
    "advice_model",
    "changes_model",
    "flight_loads_model",
    "history_model",
    "load_colour",
    "plan_table",
    "reasons_model",
    "set_widths",
    "unplaced_model",
]
