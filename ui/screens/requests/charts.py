"""The Requests screen's two charts, painted with ``QPainter`` (no Qt Charts: both are a few bars).

- :class:`FunnelChart`: one horizontal bar per stage (claimed → requested → confirmed → document
  valid → placed → flown), each labelled with its count and its share of the people claiming the
  country; the tooltip of a bar says what the stage means and how many stopped there.
- :class:`LeadTimeChart`: how long answered requests took, binned by week (``lead_time_histogram``),
  verification and travel documents side by side, with each kind's median (dashed) and expected
  lead time (solid) marked.

The geometry is computed by plain methods (``funnel_rows``, ``histogram_layout``) that the painting,
the tooltips and the tests share. GUI thread only.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QHelpEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from planner.domain.enums import RequestKind
from planner.domain.requests import FunnelStage, LeadTime, lead_time_histogram
from planner.domain.wording import plural
from planner.services.consular.funnel import CountryFunnel

#: One colour per stage: darker towards the end of the funnel, all readable on white and on the
#: window's base colour (the counts are drawn beside the bars in the text colour).
STAGE_COLOURS: dict[FunnelStage, QColor] = {
    FunnelStage.CLAIMED: QColor("#6b7785"),
    FunnelStage.REQUESTED: QColor("#4a7fc1"),
    FunnelStage.CONFIRMED: QColor("#2f8f9d"),
    FunnelStage.DOCUMENT_VALID: QColor("#3c8d40"),
    FunnelStage.PLACED: QColor("#c07a18"),
    FunnelStage.FLOWN: QColor("#7a4f9a"),
}
#: What each stage means (the bars' tooltips).
STAGE_HELP: dict[FunnelStage, str] = {
    FunnelStage.CLAIMED: "claim the nationality (any custody status)",
    FunnelStage.REQUESTED: "asked about (verification or travel documents), or with a verification on record",
    FunnelStage.CONFIRMED: "confirmed as nationals by the latest verification, or the country needs none",
    FunnelStage.DOCUMENT_VALID: "confirmed, and holding a valid document the country issued and accepts",
    FunnelStage.PLACED: "on the current plan, at a stop in the country",
    FunnelStage.FLOWN: "removed on a departed flight to the country",
}
KIND_COLOURS: dict[RequestKind, QColor] = {
    RequestKind.VERIFICATION: QColor("#4a7fc1"),
    RequestKind.TRAVEL_DOCUMENT: QColor("#c07a18"),
}
KIND_NAMES: dict[RequestKind, str] = {
    RequestKind.VERIFICATION: "Verification",
    RequestKind.TRAVEL_DOCUMENT: "Travel documents",
}
MARGIN = 8


def share_text(count: int, claimed: int) -> str:
    """``"1,234 · 56 %"`` (the count alone when nobody claims the country)."""
    if not claimed:
        return f"{count:,}"
    return f"{count:,} · {100 * count / claimed:.0f} %"


@dataclass(frozen=True)
class FunnelRow:
    """One stage as drawn: its label, its value text and its bar."""

    stage: FunnelStage
    label: str
    value: str
    bar: QRectF
    row: QRectF


class FunnelChart(QWidget):
    """Horizontal bars claimed → … → flown for one country (``set_funnel``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("funnelChart")
        self.funnel: CountryFunnel | None = None
        self.empty_text = "Select a country to see its funnel"
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(440, 200)

    def set_funnel(self, funnel: CountryFunnel | None) -> None:
        self.funnel = funnel
        self.update()

    def funnel_rows(self) -> list[FunnelRow]:
        """The six rows in the widget's current size (empty without a funnel or anybody claiming)."""
        f = self.funnel
        if f is None or not f.claimed:
            return []
        metrics = QFontMetrics(self.font())
        label_width = max(metrics.horizontalAdvance(s.label) for s in FunnelStage) + 14
        value_width = metrics.horizontalAdvance(share_text(f.claimed, f.claimed)) + 12
        height = self.height() - 2 * MARGIN
        row_height = min(44.0, height / len(FunnelStage))
        bar_height = max(6.0, min(row_height * 0.66, row_height - 4))
        left = MARGIN + label_width
        span = max(10.0, self.width() - left - value_width - MARGIN)
        rows = []
        for n, stage in enumerate(FunnelStage):
            top = MARGIN + n * row_height
            count = f.counts[stage]
            width = span * count / f.claimed
            if count and width < 2:
                width = 2.0
            bar = QRectF(left, top + (row_height - bar_height) / 2, width, bar_height)
            rows.append(
                FunnelRow(
                    stage,
                    stage.label,
                    share_text(count, f.claimed),
                    bar,
                    QRectF(MARGIN, top, self.width() - 2 * MARGIN, row_height),
                )
            )
        return rows

    def tooltip_for(self, stage: FunnelStage) -> str:
        f = self.funnel
        if f is None:
            return ""
        count, stopped = f.counts[stage], f.stopped[stage]
        lines = [
            f"{stage.label.capitalize()}: {plural(count, 'person', 'people')} ({share_text(count, f.claimed)} "
            f"of {f.claimed:,} claiming {f.name})",
            STAGE_HELP[stage],
        ]
        if stage is not FunnelStage.FLOWN:
            lines.append(f"{stopped:,} got this far and no further")
        return "\n".join(lines)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            pos = QPointF(event.pos())
            row = next((r for r in self.funnel_rows() if r.row.contains(pos)), None)
            if row is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_for(row.stage), self)
            return True
        return super().event(event)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_colour = self.palette().color(QPalette.ColorRole.WindowText)
        rows = self.funnel_rows()
        if not rows:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            text = self.empty_text if self.funnel is None else f"Nobody claims {self.funnel.name} nationality"
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
            return
        metrics = QFontMetrics(self.font())
        track = self.palette().color(QPalette.ColorRole.Midlight)
        for row in rows:
            painter.setPen(text_colour)
            label_rect = QRectF(MARGIN, row.row.top(), row.bar.left() - MARGIN - 8, row.row.height())
            painter.drawText(
                label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, row.label
            )
            full = QRectF(row.bar.left(), row.bar.top(), self._span(rows), row.bar.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(track)
            painter.drawRoundedRect(full, 3, 3)
            painter.setBrush(STAGE_COLOURS[row.stage])
            if row.bar.width() > 0:
                painter.drawRoundedRect(row.bar, 3, 3)
            painter.setPen(text_colour)
            value_left = full.right() + 8
            painter.drawText(
                QRectF(value_left, row.row.top(), metrics.horizontalAdvance(row.value) + 4, row.row.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                row.value,
            )

    @staticmethod
    def _span(rows: list[FunnelRow]) -> float:
        """The full bar length (the claimed row's bar is 100 %)."""
        return rows[0].bar.width()


# ----------------------------------------------------------------------------------- lead times


@dataclass(frozen=True)
class KindLeads:
    """One kind's answered lead times and its expected lead time."""

    kind: RequestKind
    days: tuple[int, ...]
    expected: LeadTime | None

    @property
    def median(self) -> float | None:
        return float(statistics.median(self.days)) if self.days else None

    def legend(self) -> str:
        head = f"{KIND_NAMES[self.kind]}: {plural(len(self.days), 'answer')}"
        if self.median is not None:
            head += f", median {self.median:g} d"
        if self.expected is not None:
            head += f", expected {self.expected.days} d"
        return head


def bin_width(longest: int) -> int:
    """Days per bar: a week up to 15 weeks, then two weeks, then 30 days."""
    return 7 if longest <= 105 else 14 if longest <= 210 else 30


@dataclass(frozen=True)
class HistogramLayout:
    width: int
    bins: list[tuple[int, dict[RequestKind, int]]]
    top: int

    @property
    def days(self) -> int:
        """Days the x axis spans."""
        return self.width * len(self.bins)


def histogram_layout(kinds: list[KindLeads]) -> HistogramLayout | None:
    """Common bins for the kinds (None when nobody answered)."""
    answered = [k for k in kinds if k.days]
    if not answered:
        return None
    marks = [d for k in answered for d in k.days] + [k.expected.days for k in answered if k.expected]
    width = bin_width(max(marks))
    longest = max(0, *marks)
    count = longest // width + 1
    per_kind = {k.kind: dict(lead_time_histogram(k.days, width)) for k in answered}
    bins = [(n * width, {kind: per_kind[kind].get(n * width, 0) for kind in per_kind}) for n in range(count)]
    top = max(max(v.values()) for _, v in bins)
    return HistogramLayout(width, bins, nice_top(top))


def nice_top(value: int) -> int:
    """The y axis' top: ``value`` rounded up to a multiple of 1, 2, 5, 10, 20, 50 … (at most 5 steps)."""
    step = 1
    while -(-value // step) > 5:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return max(1, -(-value // step) * step)


class LeadTimeChart(QWidget):
    """Answered requests by lead time (``set_leads``), both kinds, median and expected marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("leadTimeChart")
        self.kinds: list[KindLeads] = []
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(440, 200)

    def set_leads(self, kinds: list[KindLeads]) -> None:
        self.kinds = kinds
        self.update()
        self.setToolTip(
            "\n".join(k.legend() for k in kinds)
            + "\nBars: answered requests per lead-time bin; dashed line: median; solid line: expected lead"
            if kinds
            else ""
        )

    def legend_lines(self) -> list[str]:
        return [k.legend() for k in self.kinds if k.days or k.expected is not None]

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        layout = histogram_layout(self.kinds)
        if layout is None:
            self._paint_empty(painter)
            return
        shown = [k for k in self.kinds if k.days]
        top = self._paint_legend(painter, shown)
        metrics = QFontMetrics(self.font())
        axis_width = metrics.horizontalAdvance(f"{layout.top:,}") + 8
        plot = QRectF(
            MARGIN + axis_width,
            top + 6,
            self.width() - 2 * MARGIN - axis_width,
            self.height() - top - 6 - 2 * metrics.height() - 4,
        )
        if plot.height() < 20 or plot.width() < 40:
            return
        self._paint_axes(painter, layout, plot, axis_width)
        self._paint_bars(painter, layout, plot, shown)
        self._paint_marks(painter, layout, plot, shown)

    def _text_colour(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.WindowText)

    def _paint_empty(self, painter: QPainter) -> None:
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        text = "No answered requests yet — lead times show here once answers are imported"
        expected = [
            f"Expected {KIND_NAMES[k.kind].lower()}: {k.expected.describe()}"
            for k in self.kinds
            if k.expected is not None
        ]
        painter.drawText(
            self.rect().adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            "\n".join([text, *expected]),
        )

    def _paint_legend(self, painter: QPainter, shown: list[KindLeads]) -> float:
        """One line per kind (colour, answers, median, expected); returns where the plot starts."""
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        width = self.width() - 2 * MARGIN - 16
        y = float(MARGIN)
        for kind in shown:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(KIND_COLOURS[kind.kind])
            painter.drawRect(QRectF(MARGIN, y + line / 2 - 5, 10, 10))
            painter.setPen(self._text_colour())
            painter.drawText(
                QRectF(MARGIN + 16, y, width, line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                metrics.elidedText(kind.legend(), Qt.TextElideMode.ElideRight, width),
            )
            y += line + 2
        x = float(MARGIN)
        for words, style in (("median", Qt.PenStyle.DashLine), ("expected lead time", Qt.PenStyle.SolidLine)):
            pen = QPen(self._text_colour())
            pen.setWidthF(2)
            pen.setStyle(style)
            painter.setPen(pen)
            painter.drawLine(QPointF(x, y + line / 2), QPointF(x + 18, y + line / 2))
            painter.setPen(self._text_colour())
            painter.drawText(
                QRectF(x + 24, y, metrics.horizontalAdvance(words) + 4, line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                words,
            )
            x += 24 + metrics.horizontalAdvance(words) + 18
        return y + line + 2

    def _paint_axes(
        self, painter: QPainter, layout: HistogramLayout, plot: QRectF, axis_width: float
    ) -> None:
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        grid = QPen(self.palette().color(QPalette.ColorRole.Mid))
        grid.setWidthF(0.5)
        for value in sorted({0, (layout.top + 1) // 2, layout.top}):
            gy = plot.bottom() - plot.height() * value / layout.top
            painter.setPen(grid)
            painter.drawLine(QPointF(plot.left(), gy), QPointF(plot.right(), gy))
            painter.setPen(self._text_colour())
            painter.drawText(
                QRectF(MARGIN, gy - line / 2, axis_width - 6, line),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{value:,}",
            )
        slot = plot.width() / len(layout.bins)
        label_every = max(1, int((metrics.horizontalAdvance("000") + 8) // slot) + 1)
        for n, (start, _counts) in enumerate(layout.bins):
            if n % label_every == 0:
                painter.drawText(
                    QRectF(plot.left() + n * slot - slot, plot.bottom() + 2, 2 * slot, line),
                    Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                    f"{start}",
                )
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 2 + line, plot.width(), line),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
            f"days from sending to the answer ({layout.width}-day bins)",
        )

    def _paint_bars(
        self, painter: QPainter, layout: HistogramLayout, plot: QRectF, shown: list[KindLeads]
    ) -> None:
        slot = plot.width() / len(layout.bins)
        bar = max(1.0, (slot - 4) / len(shown))
        painter.setPen(Qt.PenStyle.NoPen)
        for n, (_start, counts) in enumerate(layout.bins):
            x = plot.left() + n * slot + 2
            for k, kind in enumerate(shown):
                h = plot.height() * counts.get(kind.kind, 0) / layout.top
                painter.setBrush(KIND_COLOURS[kind.kind])
                painter.drawRect(QRectF(x + k * bar, plot.bottom() - h, max(1.0, bar - 1), h))

    def _paint_marks(
        self, painter: QPainter, layout: HistogramLayout, plot: QRectF, shown: list[KindLeads]
    ) -> None:
        """Each kind's median (dashed) and expected lead time (solid)."""
        for kind in shown:
            expected = None if kind.expected is None else float(kind.expected.days)
            for value, style in ((kind.median, Qt.PenStyle.DashLine), (expected, Qt.PenStyle.SolidLine)):
                if value is None:
                    continue
                x = plot.left() + plot.width() * min(value, layout.days) / layout.days
                pen = QPen(KIND_COLOURS[kind.kind].darker(140))
                pen.setWidthF(2)
                pen.setStyle(style)
                painter.setPen(pen)
                painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))


__all__ = [
    "KIND_COLOURS",
    "STAGE_COLOURS",
    "FunnelChart",
    "FunnelRow",
    "HistogramLayout",
    "KindLeads",
    "LeadTimeChart",
    "bin_width",
    "histogram_layout",
    "nice_top",
    "share_text",
]
