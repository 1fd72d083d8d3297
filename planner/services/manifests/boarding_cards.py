"""Boarding cards: one card per listed passenger, printed as a batch (A4 portrait, 2 × 4 cards a
page, dashed cut lines), for boarding by scanning (``board FLIGHT CASE…``: a USB scanner types the
case number like a keyboard).

Each card shows the flight, departure (local time; on a route with several pickups the person's own
pickup airport and its departure time, "boards at SAT, pickup 2 of 3"), the stop (sequence, airport, receiving
country), the name in Latin script and in native script, sex, date of birth, nationality (the confirmed
one; "claimed …" after it when the person claims another), the
case number in large type and as a **Code128 barcode** (``reportlab.graphics.barcode``), a box
for a photo, the risk level and any medical need, and "no seat assignment" (seats are not
allocated by the office). Cards come from the manifest revision in force (the newest APPROVED or
SIGNED one): boarding is only for people on the manifest the receiving country has; reserves get a
card once they move up (a new revision).

Rendering a PDF is a read: nothing is written or audited. The output is deterministic.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.domain.wording import local_time_text
from planner.files import write_output
from planner.persistence.models import Manifest
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.manifests.content import ManifestContent
from planner.services.manifests.pdf_common import (
    INK,
    MEDICAL_LABELS,
    MUTED,
    RULE,
    Fonts,
    draw_text,
    fmt_local,
    load_fonts,
    text_width,
)
from planner.services.manifests.revisions import IN_FORCE, _flight, stored_content

log = logging.getLogger(__name__)

PAGE = A4
COLUMNS, ROWS = 2, 4
MARGIN = 10 * mm
CARD_W = (PAGE[0] - 2 * MARGIN) / COLUMNS
CARD_H = (PAGE[1] - 2 * MARGIN) / ROWS
PAD = 4 * mm
PHOTO_W, PHOTO_H = 26 * mm, 32 * mm
BAR_WIDTH = 0.42 * mm
BAR_HEIGHT = 12 * mm


@dataclass(frozen=True, slots=True)
class BoardingCard:
    """What one card says (strings as stored; ``native_name`` ``""`` when none; ``nationality`` the
    confirmed one, ``claimed_nationality`` the claim when it differs)."""

    case_number: str
    family_name: str
    given_names: str
    native_name: str
    sex: str
    date_of_birth: date
    nationality: str
    risk_level: str
    medical_need: str
    flight_code: str
    revision: int
    departure_airport: str
    departure_utc: datetime
    departure_timezone: str
    stop_sequence: int
    stop_airport: str
    stop_airport_name: str
    stop_country: str
    claimed_nationality: str | None = None
    #: The person's pickup (0 = the departure airport) and the route's number of pickups; the
    #: ``departure_*`` fields are that pickup's airport and time.
    pickup_sequence: int = 0
    pickup_count: int = 1


def cards_of(content: ManifestContent) -> list[BoardingCard]:
    """One card per passenger of ``content`` (reserves excluded), by stop then case number; the
    departure on each card is the person's pickup."""
    pickups = len(content.route_pickups())
    return [
        BoardingCard(
            case_number=row.case_number,
            family_name=row.family_name,
            given_names=row.given_names,
            native_name=row.native_name,
            sex=row.sex,
            date_of_birth=row.date_of_birth,
            nationality=row.nationality,
            risk_level=row.risk_level,
            medical_need=row.medical_need,
            flight_code=content.flight_code,
            revision=content.revision,
            departure_airport=content.pickup(row.pickup_sequence).airport,
            departure_utc=content.pickup(row.pickup_sequence).departure_utc,
            departure_timezone=content.pickup(row.pickup_sequence).timezone,
            stop_sequence=stop.sequence,
            stop_airport=stop.airport,
            stop_airport_name=stop.airport_name,
            stop_country=stop.country,
            claimed_nationality=row.claimed_nationality,
            pickup_sequence=row.pickup_sequence,
            pickup_count=pickups,
        )
        for stop in content.stops
        for row in sorted(stop.rows, key=lambda r: r.case_number)
    ]


def boarding_cards_pdf(uow: UnitOfWork, actor: Actor, flight_code: str) -> tuple[bytes, int]:
    """Officer+: the boarding cards of ``flight_code``'s manifest in force and the number of cards.

    Raises ``NotFound`` (no such flight) or ``InvalidInput`` (no approved manifest yet, or nobody
    listed)."""
    authorize(uow, actor, Role.OFFICER, f"print the boarding cards of {flight_code}")
    flight = _flight(uow, flight_code)
    manifest = uow.session.execute(
        sa.select(Manifest)
        .where(Manifest.flight_id == flight.id, Manifest.status.in_(IN_FORCE))
        .order_by(Manifest.revision.desc())
        .limit(1)
    ).scalar_one_or_none()
    if manifest is None:
        raise InvalidInput(f"{flight_code} has no approved manifest: boarding cards follow approval")
    cards = cards_of(stored_content(uow, actor, manifest, action="print the boarding cards"))
    if not cards:
        raise InvalidInput(f"{flight_code} revision {manifest.revision} lists nobody")
    buffer = BytesIO()
    render_boarding_cards(cards, buffer)
    return buffer.getvalue(), len(cards)


# ---------------------------------------------------------------------------------------------
# rendering


def render_boarding_cards(
    cards: Sequence[BoardingCard], out: str | Path | IO[bytes], *, font_dir: str | Path | None = None
) -> None:
    """Write the cards, ``COLUMNS × ROWS`` a page with cut lines, to ``out`` (a path or a binary stream)."""
    fonts = load_fonts(font_dir)
    buffer = BytesIO()
    first = cards[0] if cards else None
    # initialFontName: no unembedded Helvetica in the page resources (the stubs type it wrongly)
    canvas = Canvas(buffer, pagesize=PAGE, invariant=1, initialFontName=fonts.regular)  # type: ignore[arg-type]
    title = f"Boarding cards {first.flight_code} revision {first.revision}" if first else "Boarding cards"
    canvas.setTitle(title)
    canvas.setCreator("Charter Planner")
    per_page = COLUMNS * ROWS
    pages = max(1, -(-len(cards) // per_page))
    for page in range(pages):
        chunk = cards[page * per_page : (page + 1) * per_page]
        for index, card in enumerate(chunk):
            col, row = index % COLUMNS, index // COLUMNS
            x = MARGIN + col * CARD_W
            y = PAGE[1] - MARGIN - (row + 1) * CARD_H
            _draw_card(canvas, card, x, y, fonts)
        _draw_cut_lines(canvas)
        canvas.setFillColor(MUTED)
        canvas.setFont(fonts.regular, 6.5)
        canvas.drawString(
            MARGIN, MARGIN / 2 - 1, f"{title} · page {page + 1} of {pages} · cut along the dashed lines"
        )
        canvas.showPage()
    canvas.save()
    data = buffer.getvalue()
    if isinstance(out, str | Path):
        write_output(out, data)
    else:
        out.write(data)
    log.info("%s: %d cards, %d bytes", title, len(cards), len(data))


def _draw_cut_lines(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.4)
    canvas.setDash(3, 3)
    for col in range(COLUMNS + 1):
        x = MARGIN + col * CARD_W
        canvas.line(x, MARGIN - 4 * mm, x, PAGE[1] - MARGIN + 4 * mm)
    for row in range(ROWS + 1):
        y = MARGIN + row * CARD_H
        canvas.line(MARGIN - 4 * mm, y, PAGE[0] - MARGIN + 4 * mm, y)
    canvas.restoreState()


def _fit(
    text: str, fonts: Fonts, size: float, width: float, *, bold: bool = False, minimum: float = 5.5
) -> float:
    """The largest font size ≤ ``size`` (down to ``minimum``) at which ``text`` fits ``width``."""
    while size > minimum and text_width(text, fonts, size, bold=bold) > width:
        size -= 0.25
    return size


def _wrap(
    text: str, fonts: Fonts, width: float, *, sizes: Sequence[float], max_lines: int, bold: bool = True
) -> tuple[float, list[str]]:
    """``text`` broken at spaces into at most ``max_lines`` lines of ``width`` at the largest of
    ``sizes`` that fits; at the smallest size, the last line is cut with "…" if it still does not."""
    for size in sizes:
        lines: list[str] = []
        for word in text.split():
            if lines and text_width(f"{lines[-1]} {word}", fonts, size, bold=bold) <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        if len(lines) <= max_lines and all(
            text_width(line, fonts, size, bold=bold) <= width for line in lines
        ):
            return size, lines
    size = sizes[-1]
    kept = lines[:max_lines]
    last = " ".join([kept[-1], *lines[max_lines:]])
    while last and text_width(last + "…", fonts, size, bold=bold) > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return size, kept


def _draw_departure(
    canvas: Canvas, card: BoardingCard, x: float, y: float, width: float, fonts: Fonts
) -> None:
    """The departure line: ``Departs IAH <local time>``; on a route with several pickups the
    person's own pickup, bold (what the boarding officer checks)."""
    route = card.pickup_count > 1
    if route:
        local = local_time_text(card.departure_utc, card.departure_timezone)
        line = f"Boards at {card.departure_airport} {local} · pickup {card.pickup_sequence + 1}/{card.pickup_count}"
    else:
        line = f"Departs {card.departure_airport} {fmt_local(card.departure_utc, card.departure_timezone)}"
    canvas.setFillColor(INK if route else MUTED)
    size = _fit(line, fonts, 7.5, width, bold=True) if route else _fit(line, fonts, 7, width)
    draw_text(canvas, x, y, line, fonts, size, bold=route)


def _draw_card(canvas: Canvas, card: BoardingCard, x: float, y: float, fonts: Fonts) -> None:
    """One card with its lower-left corner at (x, y)."""
    canvas.saveState()
    left = x + PAD
    right = x + CARD_W - PAD
    top = y + CARD_H - PAD
    text_w = right - left - PHOTO_W - 3 * mm

    # band: flight and stop
    canvas.setFillColor(INK)
    band = f"BOARDING CARD · Flight {card.flight_code}"
    draw_text(canvas, left, top - 8, band, fonts, _fit(band, fonts, 9, right - left), bold=True)
    _draw_departure(canvas, card, left, top - 18, right - left, fonts)
    stop = f"Stop {card.stop_sequence}: {card.stop_airport} {card.stop_airport_name} ({card.stop_country})"
    canvas.setFillColor(INK)
    stop_size, (stop_line,) = _wrap(stop, fonts, right - left, sizes=(8, 7.5, 7, 6.5, 6), max_lines=1)
    draw_text(canvas, left, top - 28, stop_line, fonts, stop_size, bold=True)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(left, top - 32, right, top - 32)

    # photo box (right)
    photo_top = top - 36
    canvas.setDash(2, 2)
    canvas.rect(right - PHOTO_W, photo_top - PHOTO_H, PHOTO_W, PHOTO_H, stroke=1, fill=0)
    canvas.setDash()
    canvas.setFillColor(MUTED)
    canvas.setFont(fonts.regular, 6.5)
    canvas.drawCentredString(right - PHOTO_W / 2, photo_top - PHOTO_H / 2, "Photo")

    # names and identity (left)
    canvas.setFillColor(INK)
    size, lines = _wrap(
        f"{card.family_name}, {card.given_names}", fonts, text_w, sizes=(11, 10, 9, 8), max_lines=3
    )
    ty = photo_top - 10
    for i, line in enumerate(lines):
        draw_text(canvas, left, ty - i * (size + 1.5), line, fonts, size, bold=True)
    ty -= (len(lines) - 1) * (size + 1.5)
    if card.native_name:
        ty -= 13
        nsize, nlines = _wrap(card.native_name, fonts, text_w, sizes=(11, 10, 9, 8), max_lines=2, bold=False)
        for i, line in enumerate(nlines):
            draw_text(canvas, left, ty - i * (nsize + 1.5), line, fonts, nsize)
        ty -= (len(nlines) - 1) * (nsize + 1.5)
    ty -= 11
    identity = f"Sex {card.sex} · born {card.date_of_birth.isoformat()} · {card.nationality}"
    if card.claimed_nationality and card.claimed_nationality != card.nationality:
        identity += f" (claimed {card.claimed_nationality})"
    canvas.setFillColor(MUTED)
    draw_text(canvas, left, ty, identity, fonts, _fit(identity, fonts, 7.5, text_w))
    ty -= 10
    needs = f"Risk {card.risk_level}"
    if card.medical_need != "NONE":
        needs += f" · {MEDICAL_LABELS.get(card.medical_need, card.medical_need)}"
    needs += " · no seat assignment"
    draw_text(canvas, left, ty, needs, fonts, _fit(needs, fonts, 7.5, text_w), bold=card.risk_level == "HIGH")

    # case number and barcode (bottom)
    canvas.setFillColor(INK)
    case_y = y + PAD + BAR_HEIGHT + 3
    canvas.setFont(fonts.bold, 13)
    canvas.drawString(left, case_y, card.case_number)
    canvas.setFont(fonts.regular, 6.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(left + canvas.stringWidth(card.case_number, fonts.bold, 13) + 6, case_y, "case number")
    barcode = code128.Code128(card.case_number, barHeight=BAR_HEIGHT, barWidth=BAR_WIDTH, humanReadable=False)
    barcode.drawOn(canvas, left, y + PAD)
    canvas.restoreState()


__all__ = ["BoardingCard", "boarding_cards_pdf", "cards_of", "render_boarding_cards"]
