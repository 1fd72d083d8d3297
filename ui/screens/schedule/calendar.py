"""The Schedule screen's calendar, painted with ``QPainter``: one row per receiving country, one
column per day of the horizon (weekday initials, the date at each week's start, a line between
weeks). In each row the proposed missions serving the country are filled blocks labelled with the
people it carries there, coloured by the mission's load factor (the blocks of one mission in
several countries are joined by a line); in a lane below, the flights already scheduled are
outlined blocks. Tooltips give a mission's figures; a click on a proposed block emits
``mission_clicked(id)``. A legend runs along the bottom.

The geometry (:meth:`MissionCalendar.layout_blocks`) is shared by painting, tooltips, clicks and
tests. GUI thread only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from planner.domain.countries import country_name
from ui.screens.schedule.models import CURRENT_COLOUR, LOAD_COLOURS, Money, load_colour, mission_tooltip

if TYPE_CHECKING:
    from planner.services.scheduling.views import MissionView

MARGIN = 6
LABEL_WIDTH = 150
HEADER_HEIGHT = 34
PROPOSED_LANE = 22
CURRENT_LANE = 14
ROW_GAP = 5
LEGEND_HEIGHT = 22
WEEKDAY_INITIALS = "MTWTFSS"
#: Rows shrink to this share of their natural height before the calendar needs scrolling.
MIN_SCALE = 0.7


@dataclass(frozen=True)
class Block:
    """One mission drawn in one country's row (``current``: a flight already scheduled)."""

    mission: MissionView
    country: str
    people: int
    rect: QRectF
    current: bool


@dataclass(frozen=True)
class CountryRow:
    """One receiving country's row: its label, the proposed lane and the current lane."""

    country: str
    label: str
    proposed: QRectF
    current: QRectF


def countries_of(mission: MissionView, airport_countries: Mapping[str, str]) -> list[str]:
    """The countries a mission serves: those of the people aboard or, when nobody is aboard (a
    flight already scheduled the loading left empty), those of its stops (the code of a stop not
    in ``airport_countries``)."""
    return sorted(mission.people) or sorted({airport_countries.get(s, s) for s in mission.stops})


class MissionCalendar(QWidget):
    """Proposed missions and flights already scheduled, per country and day (``set_schedule``)."""

    #: The id ("M3") of the proposed mission clicked.
    mission_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("missionCalendar")
        self.start: date | None = None
        self.days = 0
        self.proposed: list[MissionView] = []
        self.current: list[MissionView] = []
        self.selected: set[str] = set()
        self.money = Money()
        #: Country of each airport (``set_schedule``): where a flight with nobody aboard goes.
        self.airport_countries: Mapping[str, str] = {}
        self.empty_text = "No proposal yet — Propose computes one"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setToolTip(
            "One row per receiving country: proposed missions filled (label: people to the country; a "
            "line joins the countries of one mission), flights already scheduled outlined below. "
            "Click a mission to select it in the table."
        )

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(900, self._height_for(1.0))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Rows squeezed to ``MIN_SCALE`` at most (the scroll area around scrolls beyond that)."""
        return QSize(400, self._height_for(MIN_SCALE))

    def _height_for(self, scale: float) -> int:
        rows = max(3, len(self.countries()))
        lanes = rows * (PROPOSED_LANE + CURRENT_LANE + ROW_GAP) * scale
        return round(HEADER_HEIGHT + lanes + LEGEND_HEIGHT + 2 * MARGIN + 4)

    def set_schedule(
        self,
        start: date,
        days: int,
        proposed: Sequence[MissionView],
        current: Sequence[MissionView],
        airport_countries: Mapping[str, str] | None = None,
    ) -> None:
        self.start, self.days = start, days
        if airport_countries is not None:
            self.airport_countries = airport_countries
        self.proposed, self.current = list(proposed), list(current)
        self.selected &= {m.id for m in self.proposed}
        self.updateGeometry()
        self.update()

    def clear(self, text: str) -> None:
        self.start, self.days, self.proposed, self.current = None, 0, [], []
        self.empty_text = text
        self.update()

    def set_selected(self, ids: set[str]) -> None:
        """Outline these proposed missions (the table's selection)."""
        if ids != self.selected:
            self.selected = set(ids)
            self.update()

    # ------------------------------------------------------------ geometry

    def countries(self) -> list[str]:
        """Every country a proposed or current mission serves, by code."""
        return sorted(
            {c for m in [*self.proposed, *self.current] for c in countries_of(m, self.airport_countries)}
        )

    def _plot_left(self) -> float:
        return MARGIN + LABEL_WIDTH

    def day_width(self) -> float:
        return max(4.0, (self.width() - self._plot_left() - MARGIN) / max(1, self.days))

    def day_x(self, day: int) -> float:
        return self._plot_left() + day * self.day_width()

    def country_rows(self) -> list[CountryRow]:
        """The rows in the widget's current size, squeezed to fit its height."""
        names = self.countries()
        if not names:
            return []
        space = self.height() - HEADER_HEIGHT - LEGEND_HEIGHT - 2 * MARGIN
        natural = PROPOSED_LANE + CURRENT_LANE + ROW_GAP
        scale = min(1.0, max(MIN_SCALE, space / (natural * len(names))))
        proposed_h, current_h, gap = PROPOSED_LANE * scale, CURRENT_LANE * scale, ROW_GAP * scale
        width = self.width() - self._plot_left() - MARGIN
        rows = []
        y = float(MARGIN + HEADER_HEIGHT)
        for code in names:
            label = f"{code} {country_name(code)}" if len(code) == 3 else code
            rows.append(
                CountryRow(
                    code,
                    label,
                    QRectF(self._plot_left(), y, width, proposed_h),
                    QRectF(self._plot_left(), y + proposed_h, width, current_h),
                )
            )
            y += proposed_h + current_h + gap
        return rows

    def _day_of(self, mission: MissionView) -> int | None:
        if self.start is None:
            return None
        day = (mission.date - self.start).days
        return day if 0 <= day < self.days else None

    def layout_blocks(self) -> list[Block]:
        """Every block in the current size: missions on one day in one lane share the day's width."""
        rows = {r.country: r for r in self.country_rows()}
        metrics = QFontMetrics(self._block_font())
        width = self.day_width()
        blocks: list[Block] = []
        for current, missions in ((False, self.proposed), (True, self.current)):
            cells: dict[tuple[str, int], list[MissionView]] = defaultdict(list)
            for m in missions:
                day = self._day_of(m)
                if day is not None:
                    for country in countries_of(m, self.airport_countries):
                        cells[(country, day)].append(m)
            for (country, day), shared in cells.items():
                row = rows[country]
                lane = row.current if current else row.proposed
                part = width / len(shared)
                # A lone label wider than its day spreads over free neighbouring days only.
                free = sum(1 for d in (day - 1, day + 1) if (country, d) not in cells)
                for n, m in enumerate(shared):
                    people = m.people.get(country, 0)
                    w = part - 2 if len(shared) == 1 else part - 1
                    if len(shared) == 1 and not current and free == 2:
                        text_w = metrics.horizontalAdvance(f"{people:,}") + 6
                        w = max(w, min(float(text_w), 2.6 * width))
                    centre = self.day_x(day) + part * n + part / 2
                    rect = QRectF(centre - w / 2, lane.top() + 1, max(3.0, w), lane.height() - 2)
                    blocks.append(Block(m, country, people, rect, current))
        return blocks

    def block_at(self, pos: QPointF) -> Block | None:
        """The block under ``pos`` (proposed first)."""
        hits = [b for b in self.layout_blocks() if b.rect.adjusted(-1, -1, 1, 1).contains(pos)]
        return min(hits, key=lambda b: b.current) if hits else None

    def _block_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.85))
        return font

    # ------------------------------------------------------------ events

    def event(self, event: QEvent) -> bool:
        """A block's tooltip: the mission's figures (elsewhere: how to read the calendar)."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            block = self.block_at(QPointF(event.pos()))
            if block is not None:
                text = mission_tooltip(block.mission, self.money, current=block.current)
                QToolTip.showText(event.globalPos(), text, self)
                return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        block = self.block_at(event.position())
        if block is not None and not block.current and event.button() == Qt.MouseButton.LeftButton:
            self.mission_clicked.emit(block.mission.id)
            event.accept()
            return
        super().mousePressEvent(event)

    # ------------------------------------------------------------ painting

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rows = self.country_rows()
        if self.start is None or not rows:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            text = self.empty_text if self.start is None else "No missions in this horizon"
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
            return
        bottom = rows[-1].current.bottom()
        self._paint_grid(painter, bottom)
        self._paint_rows(painter, rows)
        blocks = self.layout_blocks()
        self._paint_joins(painter, blocks)
        self._paint_blocks(painter, blocks)
        self._paint_header(painter)
        # The legend under the rows, or at the bottom of what shows when the rows scroll past it.
        visible = self.visibleRegion().boundingRect()
        legend_top = min(bottom + 6, visible.bottom() - LEGEND_HEIGHT + 2)
        window = self.palette().color(QPalette.ColorRole.Window)
        painter.fillRect(QRectF(0, legend_top - 2, self.width(), LEGEND_HEIGHT + 2), window)
        self._paint_legend(painter, legend_top)

    def _text(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.WindowText)

    def _paint_grid(self, painter: QPainter, bottom: float) -> None:
        """Weekend shading and the lines between weeks."""
        assert self.start is not None
        width = self.day_width()
        weekend = self.palette().color(QPalette.ColorRole.AlternateBase)
        line = self.palette().color(QPalette.ColorRole.Mid)
        top = MARGIN + HEADER_HEIGHT
        for day in range(self.days):
            when = self.start + timedelta(days=day)
            x = self.day_x(day)
            if when.weekday() >= 5:
                painter.fillRect(QRectF(x, top, width, bottom - top), weekend)
            if day == 0 or when.weekday() == 0:
                pen = QPen(line)
                pen.setWidthF(1.2 if day else 1.0)
                painter.setPen(pen)
                painter.drawLine(QPointF(x, top), QPointF(x, bottom))
        painter.setPen(line)
        end = self.day_x(self.days)
        painter.drawLine(QPointF(end, top), QPointF(end, bottom))

    def _paint_header(self, painter: QPainter) -> None:
        """The dates at each week's start and the weekday initials, at the top of what shows (it
        stays in view while the rows scroll)."""
        assert self.start is not None
        y = float(self.visibleRegion().boundingRect().top())
        metrics = QFontMetrics(self.font())
        small = self._block_font()
        width = self.day_width()
        line = self.palette().color(QPalette.ColorRole.Mid)
        painter.fillRect(
            QRectF(0, y, self.width(), MARGIN + HEADER_HEIGHT),
            self.palette().color(QPalette.ColorRole.Window),
        )
        for day in range(self.days):
            when = self.start + timedelta(days=day)
            x = self.day_x(day)
            if day == 0 or when.weekday() == 0:
                painter.setPen(line)
                painter.drawLine(QPointF(x, y + MARGIN), QPointF(x, y + MARGIN + HEADER_HEIGHT))
                painter.setPen(self._text())
                painter.setFont(self.font())
                painter.drawText(
                    QRectF(x + 3, y + MARGIN, 7 * width, metrics.height()),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    f"{when:%d %b}" if width * 7 > metrics.horizontalAdvance("00 Mmm") + 6 else f"{when:%d}",
                )
            if width >= 9:
                painter.setFont(small)
                painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(
                    QRectF(x, y + MARGIN + metrics.height() + 2, width, HEADER_HEIGHT - metrics.height() - 2),
                    Qt.AlignmentFlag.AlignCenter,
                    WEEKDAY_INITIALS[when.weekday()],
                )
        painter.setFont(self.font())
        painter.setPen(line)
        bottom = y + MARGIN + HEADER_HEIGHT - 1
        painter.drawLine(QPointF(self._plot_left(), bottom), QPointF(self.day_x(self.days), bottom))

    def _paint_rows(self, painter: QPainter, rows: list[CountryRow]) -> None:
        metrics = QFontMetrics(self.font())
        light = QPen(self.palette().color(QPalette.ColorRole.Midlight))
        for row in rows:
            painter.setPen(self._text())
            painter.drawText(
                QRectF(MARGIN, row.proposed.top(), LABEL_WIDTH - 8, row.proposed.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                metrics.elidedText(row.label, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 8),
            )
            painter.setPen(light)
            painter.drawLine(
                QPointF(MARGIN, row.current.bottom()), QPointF(row.current.right(), row.current.bottom())
            )

    def _paint_joins(self, painter: QPainter, blocks: list[Block]) -> None:
        """A line through the blocks of one proposed mission serving several countries."""
        by_mission: dict[str, list[Block]] = defaultdict(list)
        for b in blocks:
            if not b.current:
                by_mission[b.mission.id].append(b)
        for parts in by_mission.values():
            if len(parts) < 2:
                continue
            pen = QPen(load_colour(parts[0].mission.load_factor).darker(130))
            pen.setWidthF(2)
            painter.setPen(pen)
            xs = sorted(parts, key=lambda b: b.rect.top())
            painter.drawLine(
                QPointF(xs[0].rect.center().x(), xs[0].rect.center().y()),
                QPointF(xs[-1].rect.center().x(), xs[-1].rect.center().y()),
            )

    def _paint_blocks(self, painter: QPainter, blocks: list[Block]) -> None:
        painter.setFont(self._block_font())
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        for b in blocks:
            if b.current:
                pen = QPen(CURRENT_COLOUR)
                pen.setWidthF(1.4)
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(b.rect, 2, 2)
                continue
            selected = b.mission.id in self.selected
            pen = QPen(highlight if selected else load_colour(b.mission.load_factor).darker(140))
            pen.setWidthF(2.5 if selected else 1)
            painter.setPen(pen)
            painter.setBrush(load_colour(b.mission.load_factor))
            painter.drawRoundedRect(b.rect, 3, 3)
            text = f"{b.people:,}"
            if QFontMetrics(painter.font()).horizontalAdvance(text) <= b.rect.width() + 2:
                painter.setPen(QColor("white"))
                painter.drawText(b.rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.setFont(self.font())

    def _paint_legend(self, painter: QPainter, top: float) -> None:
        metrics = QFontMetrics(self.font())
        x = float(self._plot_left())
        line = metrics.height()
        items: list[tuple[QColor | None, str]] = [
            (colour, f"proposed, {label} full") for _floor, colour, label in LOAD_COLOURS
        ]
        items.append((None, "already scheduled"))
        for colour, words in items:
            swatch = QRectF(x, top + line / 2 - 5, 16, 10)
            if colour is None:
                painter.setPen(QPen(CURRENT_COLOUR, 1.4))
                painter.setBrush(Qt.BrushStyle.NoBrush)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
            painter.drawRoundedRect(swatch, 2, 2)
            painter.setPen(self._text())
            painter.drawText(
                QRectF(x + 20, top, metrics.horizontalAdvance(words) + 4, line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                words,
            )
            x += 20 + metrics.horizontalAdvance(words) + 16
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            QRectF(x, top, max(0.0, self.width() - x - MARGIN), line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            "label: people to that country",
        )


__all__ = ["Block", "CountryRow", "MissionCalendar", "countries_of"]
