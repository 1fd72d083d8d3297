"""The Flights table: columns, the model over ``FlightRow``s (route, per-leg load with the fullest
leg highlighted by :class:`LegLoadDelegate`) and its sorting. GUI thread only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from planner.domain.enums import FlightStatus
from planner.services.flights import FlightRow
from ui.record_model import BACKGROUND, DISPLAY, FOREGROUND, TEXT_ROLES, TOOLTIP, RecordTableModel

LOAD_TARGET = 0.8
LOW_LOAD = QColor("#fbe3c2")
GOOD_LOAD = QColor("#d8efd9")
FULL_LEG = QColor("#b00020")
MUTED = QColor("#8a8a8a")
#: ``data()`` role of the "Load per leg" cell: ``[(text, is_fullest), …]`` one per leg.
LEG_PARTS_ROLE = int(Qt.ItemDataRole.UserRole) + 1
_PLANNED = FlightStatus.PLANNED.value

COLUMNS: list[tuple[str, str]] = [
    ("code", "Flight"),
    ("departure_utc", "Departure (UTC)"),
    ("local_short", "Local departure"),
    ("route_text", "Route"),
    ("status", "Status"),
    ("placed", "Placed"),
    ("seats", "Seats"),
    ("load_factor", "Load"),
    ("legs_text", "Load per leg"),
    ("manifest_status", "Manifest"),
    ("notice_cutoff", "Notice cut-off (UTC)"),
    ("carrier", "Carrier"),
    ("aircraft", "Aircraft"),
    ("escort_officers", "Escorts"),
    ("medical_slots", "Medical"),
    ("wheelchair_slots", "Wheelchair"),
    ("version", "Ver."),
]
COLUMN_WIDTHS = (65, 120, 150, 190, 80, 55, 50, 55, 150, 90, 145, 120, 80, 55, 60, 75, 40)
NUMERIC = (
    "seats",
    "escort_officers",
    "medical_slots",
    "wheelchair_slots",
    "placed",
    "load_factor",
    "version",
)
#: Columns sorted by another key than their text: legs by the fullest leg's load factor.
SORT_AS = {"legs_text": "load_factor"}


def column_of(key: str) -> int:
    return [k for k, _ in COLUMNS].index(key)


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f} %"


def _manifest_text(row: FlightRow) -> str:
    if row.manifest_status is None:
        return "none"
    text = f"{row.manifest_status} r{row.manifest_revision}"
    if row.manifest_in_force and row.manifest_in_force != row.manifest_status:
        text += f" ({row.manifest_in_force} in force)"
    return text


def route_tooltip(row: FlightRow) -> str:
    """Pickups with their local times, then the stops with their countries."""
    lines = [f"Pickup {p.airport}: {p.local_short}" for p in row.pickups]
    lines += [
        f"Stop {s.sequence}: {s.airport} ({s.country}, {s.notice_days} days' notice)" for s in row.stops
    ]
    return "\n".join(lines)


def leg_parts(row: FlightRow) -> list[tuple[str, bool]]:
    """The ``LEG_PARTS_ROLE`` value: ``("34/40", is_fullest)`` per leg."""
    fullest = row.fullest_leg
    return [(f"{n}/{row.seats}", k == fullest) for k, n in enumerate(row.leg_loads)]


def legs_tooltip(row: FlightRow) -> str:
    """Each leg with its load; the fullest marked."""
    fullest = row.fullest_leg
    return "\n".join(
        f"{name}: {load} of {row.seats} seats" + ("  ← fullest" if k == fullest else "")
        for k, (name, load) in enumerate(zip(row.leg_names, row.leg_loads, strict=False))
    )


#: Tooltips that need the whole row, by column.
_TOOLTIPS: dict[str, Callable[[FlightRow], str]] = {
    "local_short": lambda row: row.local_text,
    "route_text": route_tooltip,
    "legs_text": legs_tooltip,
    "load_factor": lambda row: (
        f"{row.placed} placed of {row.seats} seats; fullest leg {row.peak_load} (target {percent(LOAD_TARGET)})"
    ),
    "notice_cutoff": lambda _row: (
        "After this time nobody may be added (strictest notice of the stops' countries)"
    ),
    "placed": lambda row: f"{row.placed} placed by the current plan, {row.frozen} of them frozen",
}


class FlightsTableModel(RecordTableModel):
    """``RecordTableModel`` over ``FlightRow``s: load factor (the fullest leg) shaded against the
    80 % target, per-leg loads with the fullest leg marked (``LEG_PARTS_ROLE``), cancelled and
    departed flights greyed. GUI thread only."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            COLUMNS,
            parent,
            formatters={
                "load_factor": percent,
                "manifest_status": lambda _v: "",  # replaced in data() (needs the whole row)
                "departure_utc": lambda v: f"{v:%Y-%m-%d %H:%M}" if v else "",
                "notice_cutoff": lambda v: f"{v:%Y-%m-%d %H:%M}" if v else "",
            },
            alignments={key: Qt.AlignmentFlag.AlignRight for key in NUMERIC},
        )

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        position = index.row()  # -1 for an invalid index
        if not 0 <= position < len(self._records):
            return None
        key = self.columns[index.column()][0]
        row: FlightRow = self._records[position]
        if key == "manifest_status" and role in TEXT_ROLES:
            return _manifest_text(row)
        if key == "legs_text" and role == LEG_PARTS_ROLE:
            return leg_parts(row)
        if role == TOOLTIP and key in _TOOLTIPS:
            return _TOOLTIPS[key](row)
        if role == FOREGROUND and row.status != _PLANNED:
            return QBrush(MUTED)
        if (
            role == BACKGROUND
            and key == "load_factor"
            and row.load_factor is not None
            and row.status == _PLANNED
        ):
            return QBrush(GOOD_LOAD if row.load_factor >= LOAD_TARGET else LOW_LOAD)
        return super().data(index, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """As ``RecordTableModel.sort``; "Load per leg" sorts by the fullest leg's load factor."""
        key = self.columns[column][0] if 0 <= column < len(self.columns) else ""
        if key in SORT_AS:
            column = column_of(SORT_AS[key])
        super().sort(column, order)


class LegLoadDelegate(QStyledItemDelegate):
    """Paints "Load per leg" as its parts, the fullest leg bold (red when it is full)."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        parts = index.data(LEG_PARTS_ROLE)
        if not parts:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        text = option.text
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        painter.save()
        rect: QRect = option.rect.adjusted(4, 0, -4, 0)
        plain = QFont(option.font)
        bold = QFont(plain)
        bold.setBold(True)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        ink = palette.color(palette.ColorRole.HighlightedText if selected else palette.ColorRole.Text)
        x = rect.left()
        record: FlightRow = index.data(Qt.ItemDataRole.UserRole)
        for k, (part, fullest) in enumerate(parts):
            if k:
                painter.setFont(plain)
                sep = " · "
                painter.setPen(ink)
                painter.drawText(
                    QRect(x, rect.top(), rect.right() - x, rect.height()), Qt.AlignmentFlag.AlignVCenter, sep
                )
                x += QFontMetrics(plain).horizontalAdvance(sep)
            font = bold if fullest else plain
            painter.setFont(font)
            full = fullest and record is not None and record.seats and record.peak_load >= record.seats
            painter.setPen(FULL_LEG if full and not selected else ink)
            painter.drawText(
                QRect(x, rect.top(), max(0, rect.right() - x), rect.height()),
                Qt.AlignmentFlag.AlignVCenter,
                part,
            )
            x += QFontMetrics(font).horizontalAdvance(part)
            if x > rect.right():
                break
        painter.restore()
        option.text = text


__all__ = [
    "COLUMNS",
    "COLUMN_WIDTHS",
    "LEG_PARTS_ROLE",
    "FlightsTableModel",
    "LegLoadDelegate",
    "column_of",
    "leg_parts",
    "legs_tooltip",
    "percent",
]
