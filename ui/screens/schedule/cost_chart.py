"""The cost split, painted with ``QPainter`` (no Qt Charts: two stacked bars): the proposal and the
flights already scheduled ("current") over the same horizon, each split into flying, waiting
(detention) and the penalty for the people left unserved, on one scale, with the total and the
cost per removal printed beside each bar. The geometry (:meth:`CostSplitChart.bars`) is shared by
painting and tests. GUI thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui.screens.schedule.models import (
    FLYING_COLOUR,
    PENALTY_COLOUR,
    WAITING_COLOUR,
    Money,
    penalty_part,
)

if TYPE_CHECKING:
    from planner.services.scheduling.problem import ScheduleCosts
    from solver.schedule.problem import Totals

MARGIN = 8
LABEL_WIDTH = 76
PARTS: tuple[tuple[str, QColor], ...] = (
    ("flying", FLYING_COLOUR),
    ("waiting", WAITING_COLOUR),
    ("unserved penalty", PENALTY_COLOUR),
)


@dataclass(frozen=True)
class Bar:
    """One schedule's bar: its label, the parts (name, amount, rect) and the text beside it."""

    label: str
    parts: tuple[tuple[str, float, QRectF], ...]
    value: str
    row: QRectF


def split(totals: Totals, costs: ScheduleCosts | None) -> list[tuple[str, float]]:
    """Flying, waiting without the penalty, and the penalty of ``totals``."""
    penalty = penalty_part(totals, costs)
    return [
        ("flying", totals.flight_cost),
        ("waiting", max(0.0, totals.waiting_cost - penalty)),
        ("unserved penalty", penalty),
    ]


def bar_text(totals: Totals, money: Money) -> str:
    per = totals.cost_per_removal
    return money.short(totals.cost) + (f" · {money(per)} per removal" if per is not None else "")


class CostSplitChart(QWidget):
    """Proposed vs current cost, stacked flying / waiting / penalty (``set_totals``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("costSplitChart")
        self.schedules: list[tuple[str, Totals]] = []
        self.costs: ScheduleCosts | None = None
        self.money = Money()
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(460, 150)

    def set_totals(self, schedules: list[tuple[str, Totals]], costs: ScheduleCosts | None) -> None:
        """``schedules``: ``[("Proposed", totals), ("Current", totals)]``."""
        self.schedules, self.costs = schedules, costs
        self.setToolTip(
            "\n".join(
                f"{label}: "
                + ", ".join(
                    f"{name} {self.money(amount)}"
                    for name, amount in split(t, costs)
                    if amount or name != "unserved penalty"
                )
                + f" = {self.money(t.cost)}"
                for label, t in schedules
            )
        )
        self.update()

    def bars(self) -> list[Bar]:
        """The bars in the widget's current size (one scale: the largest total fills the width)."""
        if not self.schedules:
            return []
        metrics = QFontMetrics(self.font())
        legend = metrics.height() + 6
        value_width = max(metrics.horizontalAdvance(bar_text(t, self.money)) for _l, t in self.schedules) + 12
        left = MARGIN + LABEL_WIDTH
        span = max(20.0, self.width() - left - value_width - MARGIN)
        top_total = max(t.cost for _l, t in self.schedules) or 1.0
        height = self.height() - 2 * MARGIN - legend
        row_h = min(46.0, height / len(self.schedules))
        bar_h = max(8.0, row_h * 0.62)
        out = []
        for n, (label, totals) in enumerate(self.schedules):
            y = MARGIN + n * row_h
            x = float(left)
            parts = []
            for name, amount in split(totals, self.costs):
                w = span * amount / top_total
                parts.append((name, amount, QRectF(x, y + (row_h - bar_h) / 2, w, bar_h)))
                x += w
            out.append(
                Bar(
                    label,
                    tuple(parts),
                    bar_text(totals, self.money),
                    QRectF(MARGIN, y, self.width() - 2 * MARGIN, row_h),
                )
            )
        return out

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        bars = self.bars()
        if not bars:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "The cost split shows once a proposal is shown"
            )
            return
        metrics = QFontMetrics(self.font())
        colours = dict(PARTS)
        for bar in bars:
            painter.setPen(text)
            painter.drawText(
                QRectF(MARGIN, bar.row.top(), LABEL_WIDTH - 8, bar.row.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                bar.label,
            )
            painter.setPen(Qt.PenStyle.NoPen)
            for name, _amount, rect in bar.parts:
                if rect.width() > 0:
                    painter.setBrush(colours[name])
                    painter.drawRect(rect)
                    if metrics.horizontalAdvance(self.money.short(_amount)) + 6 < rect.width():
                        painter.setPen(QColor("white"))
                        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.money.short(_amount))
                        painter.setPen(Qt.PenStyle.NoPen)
            end = bar.parts[-1][2].right()
            painter.setPen(text)
            painter.drawText(
                QRectF(end + 8, bar.row.top(), self.width() - end - 8 - MARGIN, bar.row.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                bar.value,
            )
        self._paint_legend(painter, bars[-1].row.bottom() + 4, text)

    def _paint_legend(self, painter: QPainter, top: float, text: QColor) -> None:
        metrics = QFontMetrics(self.font())
        x = float(MARGIN + LABEL_WIDTH)
        line = metrics.height()
        for name, colour in PARTS:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRect(QRectF(x, top + line / 2 - 5, 10, 10))
            painter.setPen(text)
            painter.drawText(QPointF(x + 14, top + metrics.ascent()), name)
            x += 14 + metrics.horizontalAdvance(name) + 16


__all__ = ["Bar", "CostSplitChart", "bar_text", "split"]
