"""The Qt binding must not leak or steal references: PySide6 6.12.0 on Python 3.11 dropped one
reference to ``None`` on every void call, so a long window session aborted with "deallocating None"
(why ``pyproject.toml`` pins ``pyside6<6.12``). Lift the pin only when this passes."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication


def test_void_qt_calls_keep_the_reference_count_of_none(qapp: QApplication) -> None:
    calls = 2_000
    before = sys.getrefcount(None)
    holder = QObject()
    for _ in range(calls):
        qapp.processEvents()
        holder.setObjectName("probe")
    lost = before - sys.getrefcount(None)
    assert lost < calls // 10, f"{lost} references to None lost over {2 * calls} void Qt calls"
