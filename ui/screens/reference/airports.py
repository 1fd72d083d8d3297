"""The Airports tab of the Reference data screen: every airport of the shipped world table and the
ones an admin added, searched as you type, sortable; admins add a private or missing airport.

The whole list (about 8,000 rows) is read once per :meth:`AirportsPanel.refresh` in the background
(``ui.operations.Operation``); searching filters it in memory with the service's own matching
(``planner.services.airports.search_in``), debounced, so typing never waits for the database. The
model keeps plain tuples and answers ``data()`` from them: no per-row widgets, no measuring of
every row. The dialog checks the fields locally (``check_new_airport``: each problem under its
field) and shows the service's refusals (a dataset code, a code already stored) in the dialog.
Threading: GUI thread only; service calls run through ``Operation``.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from planner.domain.enums import ROLE_INCLUDES, Role
from planner.domain.errors import PlannerError
from planner.persistence.context import AppContext
from planner.services import airports
from planner.services.airports import ADMIN, AirportInfo, NewAirport
from planner.services.auth import Actor
from ui.errors import show_error
from ui.operations import Change, Operation
from ui.tables import table_view

log = logging.getLogger(__name__)

#: (attribute, header) of the table's columns.
COLUMNS = (
    ("iata", "Code"),
    ("name", "Name"),
    ("city", "City"),
    ("country", "Country"),
    ("timezone", "Time zone"),
    ("source", "Source"),
)
COLUMN_WIDTHS = (60, 330, 170, 70, 190)
#: Milliseconds after the last key press before the list is filtered.
SEARCH_DELAY_MS = 150
ERROR_STYLE = "color:#a50e0e;"
HELP_TEXT = (
    "Every IATA airport of the world, from the <i>airportsdata</i> package (updated by upgrading "
    "the program), and the private or missing airports an admin added (Source: <b>added by an "
    "admin</b>). A flight, pickup or facility may name any of them; a shipped airport is copied "
    "into this database, audited, the first time one does. Type to search by code, name, city or "
    "country (e.g. <i>PAP</i>, <i>Port-au-Prince</i>, <i>HTI</i>); click a column to sort."
)


def _source_text(source: str) -> str:
    return "added by an admin" if source == ADMIN else "dataset"


class AirportsModel(QAbstractTableModel):
    """The airports shown: ``all`` filtered by the search text (best matches first), or sorted
    by a column once its header is clicked. GUI thread only."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.all: list[AirportInfo] = []
        self.shown: list[AirportInfo] = []
        self.text = ""
        self.sort_column, self.sort_order = -1, Qt.SortOrder.AscendingOrder

    def set_airports(self, found: list[AirportInfo]) -> None:
        self.all = found
        self._update()

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self._update()

    def _update(self) -> None:
        self.beginResetModel()
        self.shown = airports.search_in(self.all, self.text)
        self._sort()
        self.endResetModel()

    def _sort(self) -> None:
        if 0 <= self.sort_column < len(COLUMNS):
            key = COLUMNS[self.sort_column][0]
            self.shown.sort(
                key=lambda a: (str(getattr(a, key)).casefold(), a.iata),
                reverse=self.sort_order == Qt.SortOrder.DescendingOrder,
            )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column, self.sort_order = column, order
        if column < 0:
            return
        self.layoutAboutToBeChanged.emit()
        self._sort()
        self.layoutChanged.emit()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.shown)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.shown):
            return None
        airport = self.shown[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            value = getattr(airport, key)
            return _source_text(value) if key == "source" else value
        if role == Qt.ItemDataRole.ToolTipRole:
            position = (
                f"{airport.latitude:.4f}, {airport.longitude:.4f}"
                if airport.latitude is not None and airport.longitude is not None
                else "position not known"
            )
            return f"{airports.describe(airport)} — {airport.timezone} — {position}"
        if role == Qt.ItemDataRole.ForegroundRole and key == "source" and airport.source == ADMIN:
            return QBrush(QColor("#1a5fb4"))
        return None

    def row_of(self, code: str) -> int | None:
        return next((n for n, a in enumerate(self.shown) if a.iata == code), None)


class AddAirportDialog(QDialog):
    """Add a private or missing airport (admin). Each field's problem shows under it; the
    service's refusal under the form. ``added`` holds the airport once accepted."""

    FIELDS = (
        ("iata", "Code", "three letters, e.g. QXP"),
        ("name", "Name", "e.g. Camp Ridge Airstrip"),
        ("city", "City", ""),
        ("country", "Country", "ISO 3166-1 alpha-3, e.g. HTI"),
        ("timezone", "Time zone", "IANA zone, e.g. America/Port-au-Prince"),
        ("latitude", "Latitude", "optional, -90 to 90"),
        ("longitude", "Longitude", "optional, -180 to 180"),
    )

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor
        self.added: AirportInfo | None = None
        self.setWindowTitle("Add airport")
        self.setMinimumWidth(560)
        form = QFormLayout()
        self.inputs: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        for key, label, placeholder in self.FIELDS:
            field: QWidget
            if key == "timezone":
                combo = QComboBox(self)
                combo.setEditable(True)
                combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
                zones = sorted(airports.time_zones())
                combo.addItems(zones)
                combo.setCurrentIndex(-1)
                completer = QCompleter(zones, combo)
                completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
                completer.setFilterMode(Qt.MatchFlag.MatchContains)
                combo.setCompleter(completer)
                editor = combo.lineEdit()
                assert editor is not None  # an editable combo has one
                line = editor
                field = combo
            else:
                line = QLineEdit(self)
                field = line
            line.setObjectName(key)
            line.setPlaceholderText(placeholder)
            if key in ("iata", "country"):
                line.setMaxLength(3)
            self.inputs[key] = line
            error = QLabel(self)
            error.setObjectName(f"{key}Error")
            error.setStyleSheet(ERROR_STYLE)
            error.setWordWrap(True)
            error.hide()
            self.errors[key] = error
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(field)
            box.addWidget(error)
            form.addRow(label, box)
        self.message = QLabel(self)
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        note = QLabel(
            "Only for an airport the shipped table lacks (a private strip, a new airport): shipped "
            "airports need no adding. The addition is audited.",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet("color:#555;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add airport")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def value(self) -> NewAirport:
        text = {key: line.text() for key, line in self.inputs.items()}
        return NewAirport(
            text["iata"],
            text["name"],
            text["city"],
            text["country"],
            text["timezone"],
            text["latitude"] or None,
            text["longitude"] or None,
        )

    def show_problems(self, problems: dict[str, str]) -> None:
        for key, label in self.errors.items():
            message = problems.get(key, "")
            label.setText(message[:1].upper() + message[1:])
            label.setVisible(bool(message))

    def submit(self) -> None:
        new = self.value()
        _info, problems = airports.check_new_airport(new)
        self.show_problems(problems)
        self.message.setText("")
        if problems:
            first = next(key for key, _l, _p in self.FIELDS if key in problems)
            self.inputs[first].setFocus()
            return
        self.buttons.setEnabled(False)
        self.message.setStyleSheet("")
        self.message.setText("Saving…")
        actor = self.actor
        Operation[AirportInfo](self).success(self._done).failure(self._failed).changes(
            Change.FLIGHTS
        ).run_in_uow(self.ctx, lambda uow: airports.add_airport(uow, actor, new), write=True)

    def _done(self, added: AirportInfo) -> None:
        self.added = added
        self.buttons.setEnabled(True)
        self.accept()

    def _failed(self, exc: BaseException, details: str) -> None:
        self.buttons.setEnabled(True)
        self.message.setStyleSheet(ERROR_STYLE)
        if isinstance(exc, PlannerError):
            text = str(exc)
            self.message.setText(text[:1].upper() + text[1:])
        else:
            self.message.setText("")
            show_error(self, self.windowTitle(), exc, details)


class AirportsPanel(QWidget):
    """Search box, airports table, "Add airport…" (admins), help text and a count line."""

    def __init__(self, ctx: AppContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.actor = ctx, actor
        self.loading: Operation[list[AirportInfo]] | None = None
        help_label = QLabel(HELP_TEXT, self)
        help_label.setObjectName("airportsHelp")
        help_label.setWordWrap(True)
        help_label.setStyleSheet("color:#444;")
        self.search = QLineEdit(self)
        self.search.setObjectName("airportSearch")
        self.search.setPlaceholderText("Search airports: code, name, city or country…")
        self.search.setClearButtonEnabled(True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DELAY_MS)
        self.timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(lambda _text: self.timer.start())
        self.search.returnPressed.connect(self._apply_search)
        self.add_button = QPushButton("Add airport…", self)
        self.add_button.setObjectName("addAirport")
        self.add_button.clicked.connect(self.open_add_dialog)
        if Role.ADMIN not in ROLE_INCLUDES[actor.role]:
            self.add_button.setEnabled(False)
            self.add_button.setToolTip("Only an admin adds airports")
        self.model = AirportsModel(self)
        self.table = table_view(self.model, "airportsTable", widths=COLUMN_WIDTHS, row_height=22, parent=self)
        self.count = QLabel(self)
        self.count.setObjectName("airportsCount")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(help_label)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        self.count.setText("Airports are read when the tab is shown.")

    def refresh(self) -> None:
        """Read the airports again (database rows and the dataset) in the background."""
        if self.loading is not None and self.loading.running:
            return
        actor = self.actor
        self.count.setText("Reading airports…")
        self.loading = (
            Operation[list[AirportInfo]](self, "Could not read the airports")
            .success(self._loaded)
            .run_in_uow(self.ctx, lambda uow: airports.search_airports(uow, actor, "", None), write=False)
        )

    def _loaded(self, found: list[AirportInfo]) -> None:
        self.model.set_airports(found)
        self._show_count()

    def _apply_search(self) -> None:
        self.timer.stop()
        self.model.set_text(self.search.text())
        self._show_count()

    def _show_count(self) -> None:
        total, shown = len(self.model.all), len(self.model.shown)
        added = sum(1 for a in self.model.all if a.source == ADMIN)
        own = f"; {added:,} added by an admin" if added else ""
        if self.model.text.strip():
            self.count.setText(f"{shown:,} of {total:,} airports match “{self.model.text.strip()}”{own}")
        else:
            self.count.setText(f"{total:,} airports{own}")

    def open_add_dialog(self) -> AddAirportDialog:
        dialog = AddAirportDialog(self.ctx, self.actor, self)
        dialog.accepted.connect(lambda: self._added(dialog))
        dialog.open()
        return dialog

    def _added(self, dialog: AddAirportDialog) -> None:
        added = dialog.added
        if added is None:
            return
        self.model.set_airports(sorted([*self.model.all, added], key=lambda a: a.iata))
        self._show_count()
        row = self.model.row_of(added.iata)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        dialog.deleteLater()
