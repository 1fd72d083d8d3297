"""Table model over people: keeps the ordered ids of the current result and fetches rows lazily.

Threading: every method runs on the GUI thread. Row data is requested page by page through
``request_rows(ids, deliver)``, which must do its work off the GUI thread and call ``deliver``
back on it; until then the cells show a placeholder. ``Qt.UserRole`` gives a row's person id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import astuple
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from planner.domain.wording import code_words
from planner.services.people import PersonRow

#: Columns holding an enumeration value, shown as words ("IN_CUSTODY" -> "in custody").
_CODE_COLUMNS = frozenset({"risk_level", "medical_need", "order_status", "custody_status"})

COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_number", "Case number"),
    ("family_name", "Family name"),
    ("given_names", "Given names"),
    ("native_name", "Native name"),
    ("sex", "Sex"),
    ("date_of_birth", "Born"),
    ("nationality", "Nationality"),
    ("facility", "Facility"),
    ("risk_level", "Risk"),
    ("medical_need", "Medical"),
    ("family_group", "Family"),
    ("order_status", "Order"),
    ("custody_status", "Custody"),
    ("legal_hold", "Legal hold"),
    ("priority", "Priority"),
    ("request", "Open request"),
)
SORTABLE_KEYS = {
    "case_number",
    "family_name",
    "given_names",
    "nationality",
    "date_of_birth",
    "priority",
    "custody_status",
    "order_status",
    "risk_level",
    "facility",
}
_FIELD_INDEX = {name: i for i, name in enumerate(PersonRow.__dataclass_fields__)}
PAGE_SIZE = 200
PLACEHOLDER = "…"

Index = QModelIndex | QPersistentModelIndex
RowRequest = Callable[[Sequence[int], Callable[[dict[int, PersonRow]], None]], None]


class PeopleTableModel(QAbstractTableModel):
    #: Emitted when the user asks for another order: (sort key, descending).
    sort_requested = Signal(str, bool)

    def __init__(self, request_rows: RowRequest, parent: Any = None) -> None:
        super().__init__(parent)
        self._request_rows = request_rows
        self._ids: list[int] = []
        self._rows: dict[int, tuple] = {}
        self._pages_requested: set[int] = set()
        self._generation = 0

    # ------------------------------------------------------------ content

    def set_ids(self, ids: Sequence[int]) -> None:
        """Show exactly these people, in this order (rows are fetched when first displayed)."""
        self.beginResetModel()
        self._ids = list(ids)
        self._rows.clear()
        self._pages_requested.clear()
        self._generation += 1
        self.endResetModel()

    def person_id(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, person_id: int) -> tuple | None:
        return self._rows.get(person_id)

    def case_number(self, row: int) -> str | None:
        """The case number shown in ``row`` (None while its page is still being fetched)."""
        values = self._rows.get(self._ids[row])
        return None if values is None else values[_FIELD_INDEX["case_number"]]

    def refresh_person(self, person_id: int) -> None:
        """Fetch one person's row again (after an edit); the row keeps its place in the list and
        is repainted when the data arrives."""
        generation = self._generation
        self._request_rows([person_id], lambda rows: self._replace(generation, rows))

    def _replace(self, generation: int, rows: dict[int, PersonRow]) -> None:
        if generation != self._generation:
            return
        for person_id, row in rows.items():
            if person_id not in self._rows:
                continue  # its page was never fetched: it will be when shown
            self._rows[person_id] = astuple(row)
            position = self._ids.index(person_id)
            self.dataChanged.emit(self.index(position, 0), self.index(position, len(COLUMNS) - 1))

    def _ensure_page(self, row: int) -> None:
        page = row // PAGE_SIZE
        if page in self._pages_requested:
            return
        self._pages_requested.add(page)
        ids = self._ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        generation = self._generation
        self._request_rows(ids, lambda rows: self._deliver(generation, page, rows))

    def _deliver(self, generation: int, page: int, rows: dict[int, PersonRow]) -> None:
        if generation != self._generation:
            return  # a newer result replaced the one these rows were for
        for person_id, row in rows.items():
            self._rows[person_id] = astuple(row)
        first = page * PAGE_SIZE
        last = min(first + PAGE_SIZE, len(self._ids)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    # ------------------------------------------------------------ Qt interface

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        person_id = self._ids[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return person_id
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self._rows.get(person_id)
        if row is None:
            self._ensure_page(index.row())
            return PLACEHOLDER if role == Qt.ItemDataRole.DisplayRole else None
        name = COLUMNS[index.column()][0]
        value = row[_FIELD_INDEX[name]]
        if name in _CODE_COLUMNS:
            return code_words(value)
        return "" if value is None else str(value)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section][1]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._ids):
            return section + 1
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(COLUMNS) and COLUMNS[column][0] in SORTABLE_KEYS:
            self.sort_requested.emit(COLUMNS[column][0], order == Qt.SortOrder.DescendingOrder)
