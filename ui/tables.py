"""One way to set up a table view, so every list in the window looks and behaves the same:
whole-row selection, alternating rows, read-only cells, interactive column widths (never
``ResizeToContents``, which measures every row), the last column stretched. GUI thread only."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget


def table_view(
    model: QAbstractItemModel,
    name: str,
    *,
    widths: Sequence[int] = (),
    sort_column: int | None = None,
    descending: bool = False,
    single_selection: bool = False,
    row_numbers: bool = False,
    row_height: int = 24,
    parent: QWidget | None = None,
) -> QTableView:
    """A sortable, read-only table over ``model``. ``sort_column=None`` keeps the model's own order
    (no sort indicator) until the user clicks a header."""
    view = QTableView(parent)
    view.setObjectName(name)
    view.setModel(model)
    view.setSortingEnabled(True)
    if sort_column is None:
        view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    else:
        view.sortByColumn(
            sort_column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        )
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single_selection:
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(row_numbers)
    view.verticalHeader().setDefaultSectionSize(row_height)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setHighlightSections(False)
    for column, width in enumerate(widths):
        view.setColumnWidth(column, width)
    return view
