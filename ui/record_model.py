"""A small table model over a list of records (dicts or dataclasses) — for lists of at most a
few thousand rows (documents, verifications, flights, manifests, users, audit pages).

Big lists (people) use ``PeopleTableModel``, which fetches lazily. Sorting here is in memory.
``Qt.UserRole`` returns the whole record of a row. GUI thread only.

``OneCallPerCell`` (the base of every table model in the window) answers a view's ``multiData``
request for all the roles of a cell in one call into Python: a delegate asks seven roles per cell,
and each separate call from Qt into Python costs more than the answer (a screen of a wide table
is thousands of them, tens of milliseconds of the window's thread on every paint).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
)

Index = QModelIndex | QPersistentModelIndex

#: The item data roles as plain ints: ``data`` runs for every role of every painted cell, and looking
#: up ``Qt.ItemDataRole.X`` there costs more than the answer.
DISPLAY = int(Qt.ItemDataRole.DisplayRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
USER = int(Qt.ItemDataRole.UserRole)
#: The roles answered with the cell's text.
TEXT_ROLES = (DISPLAY, TOOLTIP)


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


class OneCallPerCell(QAbstractTableModel):
    """A table model that answers every role a view asks of a cell in one call (see the module
    docstring): ``multiData`` calls ``data`` once per role, so ``data`` stays the one definition."""

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:  # noqa: N802, N803
        data = self.data
        if isinstance(roleDataSpan, QModelRoleData):
            roleDataSpan.setData(data(index, roleDataSpan.role()))
            return
        for role_data in cast(Sequence[QModelRoleData], roleDataSpan):  # the binding's stubs lack __getitem__
            role_data.setData(data(index, role_data.role()))


class RecordTableModel(OneCallPerCell):
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
        #: ``TextAlignmentRole`` answers by column key.
        self._aligned = {
            key: int(flag | Qt.AlignmentFlag.AlignVCenter) for key, flag in self._alignments.items()
        }
        #: Header tooltips by column key.
        self._tips = tips or {}

    @staticmethod
    def _get(record: Any, key: str) -> Any:
        """``key`` of a dict record, the attribute ``key`` of any other (None when absent)."""
        return record.get(key) if isinstance(record, dict) else getattr(record, key, None)

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

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        row = index.row()  # -1 for an invalid index
        if not 0 <= row < len(self._records):
            return None
        record = self._records[row]
        key = self.columns[index.column()][0]
        if role == USER:
            return record
        if role in TEXT_ROLES:
            return self._formatters.get(key, format_value)(self._get(record, key))
        if role == ALIGNMENT:
            return self._aligned.get(key)
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
