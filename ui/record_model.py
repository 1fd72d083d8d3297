"""A small table model over a list of records (dicts or dataclasses) — for lists of at most a
few thousand rows (documents, verifications, flights, manifests, users, audit pages).

Big lists (people) use ``PeopleTableModel``, which fetches lazily. Sorting here is in memory.
``Qt.UserRole`` returns the whole record of a row. GUI thread only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex


def format_value(value: Any) -> str:
    """How a value reads in a cell: dates ISO, times to the minute in UTC, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


class RecordTableModel(QAbstractTableModel):
    def __init__(
        self,
        columns: Sequence[tuple[str, str]],
        parent: Any = None,
        *,
        formatters: dict[str, Callable[[Any], str]] | None = None,
        alignments: dict[str, Qt.AlignmentFlag] | None = None,
        tips: dict[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._records: list[Any] = []
        self._formatters = formatters or {}
        self._alignments = alignments or {}
        #: Header tooltips by column key.
        self._tips = tips or {}

    @staticmethod
    def _get(record: Any, key: str) -> Any:
        if isinstance(record, dict):
            return record.get(key)
        if dataclasses.is_dataclass(record):
            return getattr(record, key, None)
        return getattr(record, key, None)

    def set_records(self, records: Sequence[Any]) -> None:
        self.beginResetModel()
        self._records = list(records)
        self.endResetModel()

    def records(self) -> list[Any]:
        return list(self._records)

    def record(self, row: int) -> Any:
        return self._records[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._records):
            return None
        record = self._records[index.row()]
        key = self.columns[index.column()][0]
        if role == Qt.ItemDataRole.UserRole:
            return record
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self._get(record, key)
            formatter = self._formatters.get(key, format_value)
            return formatter(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and key in self._alignments:
            return int(self._alignments[key] | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            return self._tips.get(self.columns[section][0]) if 0 <= section < len(self.columns) else None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section][1]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._records):
            return section + 1
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        key = self.columns[column][0]

        def sort_key(record: Any) -> tuple[int, Any]:
            value = self._get(record, key)
            return (value is None, value if value is not None else 0)

        descending = order == Qt.SortOrder.DescendingOrder
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [(id(self._records[i.row()]), i.column()) for i in persistent]
        try:
            self._records.sort(key=sort_key, reverse=descending)
        except TypeError:  # mixed types: compare as text
            self._records.sort(key=lambda r: format_value(self._get(r, key)), reverse=descending)
        row_of = {id(r): n for n, r in enumerate(self._records)}
        self.changePersistentIndexList(persistent, [self.index(row_of[r], c) for r, c in held])
        self.layoutChanged.emit()
