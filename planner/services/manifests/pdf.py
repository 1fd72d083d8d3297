"""The manifest PDF (ReportLab platypus): what a supervisor signs and the receiving country receives.

Layout (A4 landscape): a page header with the flight and revision; on page 1 a flight block
(carrier, aircraft, departure airport and local time with its zone, stops); one section per stop
with one table row per person (the table header repeats on every page, long names wrap inside
their cell) and the stop's totals; then the flight totals and the signature blocks. Every footer
carries "Page n of N", the manifest's SHA-256 and a QR code with ``CHARTER-MANIFEST|flight|revision|hash``
(see :mod:`planner.services.manifests.content`). A DRAFT watermark is drawn while the status is DRAFT
(and a SUPERSEDED one on a superseded revision).

Fonts: the TrueType fonts in ``resources/fonts`` are embedded as subsets; every character is set
in the first font that has a glyph for it (DejaVu Sans for Latin, Cyrillic, Greek, Arabic; Droid
Sans Fallback for CJK). Right-to-left text (Arabic, Hebrew) is shaped with ``arabic_reshaper``
(contextual presentation forms, lam-alef ligatures) and put in visual order with ``python-bidi``
before layout, so it reads correctly; the PDF's text layer then holds the presentation forms in
visual order (see :func:`display_text`). Limitation: a right-to-left text that wraps onto two lines
inside its cell is reordered as one line (its first visual line holds the end of the name). Without
those two packages the letters are drawn unjoined in logical order and a warning is logged.

The output is deterministic: the same content renders to the same bytes (ReportLab's invariant mode).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from planner.domain.enums import ManifestStatus
from planner.services.manifests.content import (
    ManifestContent,
    ManifestRow,
    StopSection,
    content_sha256,
    qr_payload,
)
from resources import resource_path

log = logging.getLogger(__name__)

try:  # optional: Arabic shaping and bidi reordering
    import arabic_reshaper
    from bidi import get_display

    _RESHAPERS: tuple[Any, ...] = (
        arabic_reshaper.ArabicReshaper(configuration={"delete_harakat": False}),
        arabic_reshaper.ArabicReshaper(configuration={"delete_harakat": False, "support_ligatures": False}),
    )
except ImportError:  # pragma: no cover - depends on the installation
    _RESHAPERS = ()
    get_display = None

PAGE_SIZE = landscape(A4)
MARGIN_X = 12 * mm
MARGIN_TOP = 17 * mm
MARGIN_BOTTOM = 24 * mm
QR_SIZE = 18 * mm

#: Font role -> file in ``resources/fonts``; characters the regular/bold font lacks fall back to ``cjk``.
FONT_FILES = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "cjk": "DroidSansFallbackFull.ttf",
}

INK = colors.HexColor("#1a1a1a")
RULE = colors.HexColor("#8c8c8c")
HEAD_BG = colors.HexColor("#dfe4ea")
ZEBRA = colors.HexColor("#f4f5f7")
MUTED = colors.HexColor("#555555")

DOCUMENT_LABELS = {
    "PASSPORT": "Passport",
    "TRAVEL_DOCUMENT": "Travel document",
    "EMERGENCY_TRAVEL_DOCUMENT": "Emergency travel doc.",
    "LAISSEZ_PASSER": "Laissez-passer",
}
MEDICAL_LABELS = {"NONE": "–", "MEDICAL_ESCORT": "Medical escort", "WHEELCHAIR": "Wheelchair"}

# (header, width in points); the widths add up to the frame width (A4 landscape less margins).
COLUMNS: tuple[tuple[str, float], ...] = (
    ("No.", 19),
    ("Case number", 56),
    ("Family name", 80),
    ("Given names", 91),
    ("Native name", 78),
    ("Sex", 20),
    ("Date of birth", 46),
    ("Nat.", 26),
    ("Document", 84),
    ("Expires", 46),
    ("Verification", 80),
    ("Risk", 38),
    ("Medical", 57),
    ("Family group", 54),
)


# ---------------------------------------------------------------------------------------------
# Fonts


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    cjk: str
    regular_cmap: frozenset[int]
    bold_cmap: frozenset[int]
    cjk_cmap: frozenset[int]


_FONT_LOCK = threading.Lock()
_FONT_CACHE: dict[Path, _Fonts] = {}


def _fonts(font_dir: Path | None) -> _Fonts:
    """Register the manifest fonts from ``font_dir`` (default ``resources/fonts``) once per directory."""
    directory = (font_dir or resource_path("fonts")).resolve()
    with _FONT_LOCK:
        cached = _FONT_CACHE.get(directory)
        if cached is not None:
            return cached
        suffix = "" if not _FONT_CACHE else f"-{len(_FONT_CACHE)}"
        names: dict[str, str] = {}
        cmaps: dict[str, frozenset[int]] = {}
        for role, filename in FONT_FILES.items():
            path = directory / filename
            if not path.is_file():
                raise FileNotFoundError(f"manifest font {path} is missing")
            name = f"CharterManifest-{role}{suffix}"
            font = TTFont(name, str(path))
            pdfmetrics.registerFont(font)
            names[role] = name
            cmaps[role] = frozenset(font.face.charToGlyph)
        pdfmetrics.registerFontFamily(
            names["regular"],
            normal=names["regular"],
            bold=names["bold"],
            italic=names["regular"],
            boldItalic=names["bold"],
        )
        fonts = _Fonts(
            regular=names["regular"],
            bold=names["bold"],
            cjk=names["cjk"],
            regular_cmap=cmaps["regular"],
            bold_cmap=cmaps["bold"],
            cjk_cmap=cmaps["cjk"],
        )
        _FONT_CACHE[directory] = fonts
        log.debug("registered manifest fonts from %s", directory)
        return fonts


def _is_rtl_char(char: str) -> bool:
    code = ord(char)
    return 0x0590 <= code <= 0x08FF or 0xFB1D <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF


_warned_no_shaping = False


def display_text(text: str, cmap: frozenset[int] | None = None) -> str:
    """``text`` as drawn: right-to-left runs shaped and in visual order; other text unchanged.

    ``cmap`` (code points the font has) picks the ligature-free shaping when a ligature has no glyph.
    """
    global _warned_no_shaping
    if not any(_is_rtl_char(c) for c in text):
        return text
    if not _RESHAPERS or get_display is None:
        if not _warned_no_shaping:
            log.warning("arabic_reshaper / python-bidi not installed: right-to-left names are not shaped")
            _warned_no_shaping = True
        return text
    shaped = text
    for reshaper in _RESHAPERS:
        shaped = reshaper.reshape(text)
        if cmap is None or all(ord(c) in cmap for c in shaped):
            break
    return get_display(shaped)


def _markup(text: str, fonts: _Fonts, *, bold: bool = False) -> str:
    """Paragraph markup for ``text``: shaped (RTL), XML-escaped, runs the base font lacks in the CJK font."""
    base_cmap = fonts.bold_cmap if bold else fonts.regular_cmap
    text = display_text(text, base_cmap)
    if all(ord(c) in base_cmap for c in text):
        return escape(text)
    parts: list[str] = []
    run: list[str] = []
    run_cjk = False
    for char in text:
        code = ord(char)
        is_cjk = code not in base_cmap and code in fonts.cjk_cmap
        if run and is_cjk != run_cjk:
            parts.append(_run(run, run_cjk, fonts))
            run = []
        run_cjk = is_cjk
        run.append(char)
    if run:
        parts.append(_run(run, run_cjk, fonts))
    return "".join(parts)


def _run(chars: list[str], cjk: bool, fonts: _Fonts) -> str:
    text = escape("".join(chars))
    return f'<font face="{fonts.cjk}">{text}</font>' if cjk else text


# ---------------------------------------------------------------------------------------------
# Styles


@dataclass(frozen=True)
class _Styles:
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    head: ParagraphStyle
    title: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    right: ParagraphStyle


def _styles(fonts: _Fonts) -> _Styles:
    cell = ParagraphStyle("cell", fontName=fonts.regular, fontSize=7, leading=8.4, textColor=INK)
    return _Styles(
        cell=cell,
        cell_bold=ParagraphStyle("cell_bold", parent=cell, fontName=fonts.bold),
        head=ParagraphStyle("head", parent=cell, fontName=fonts.bold, fontSize=6.8, leading=8),
        title=ParagraphStyle("title", fontName=fonts.bold, fontSize=14, leading=17, textColor=INK),
        h2=ParagraphStyle(
            "h2", fontName=fonts.bold, fontSize=10.5, leading=13, textColor=INK, spaceBefore=2, spaceAfter=3
        ),
        body=ParagraphStyle("body", fontName=fonts.regular, fontSize=8.5, leading=11, textColor=INK),
        small=ParagraphStyle("small", fontName=fonts.regular, fontSize=7.5, leading=9.5, textColor=MUTED),
        right=ParagraphStyle("right", parent=cell, alignment=TA_RIGHT),
    )


# ---------------------------------------------------------------------------------------------
# Formatting helpers


def _fmt_date(value: Any) -> str:
    return value.isoformat() if value is not None else "–"


def _fmt_local(content: ManifestContent) -> str:
    local = content.departure_local
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({content.departure_timezone}, {offset})"


def _fmt_utc(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value is not None else ""


def _stop_label(stop: StopSection) -> str:
    return f"{stop.airport} {stop.airport_name} ({stop.country})"


# ---------------------------------------------------------------------------------------------
# Story


def _flight_block(content: ManifestContent, fonts: _Fonts, st: _Styles) -> list[Flowable]:
    def p(text: str, style: ParagraphStyle = st.body) -> Paragraph:
        return Paragraph(text, style)

    def label(text: str) -> Paragraph:
        return Paragraph(escape(text), st.small)

    stops = "  →  ".join(f"{s.sequence}. {_markup(_stop_label(s), fonts)}" for s in content.stops) or "–"
    data: list[list[Any]] = [
        [
            label("Flight"),
            p(f"<b>{_markup(content.flight_code, fonts)}</b>"),
            label("Carrier"),
            p(_markup(content.carrier, fonts)),
            label("Aircraft"),
            p(_markup(content.aircraft, fonts)),
            label("Revision"),
            p(f"<b>{content.revision}</b> · {escape(content.status)}"),
        ],
        [
            label("Departure"),
            p(
                f"<b>{_markup(content.departure_airport, fonts)}</b> "
                f"{_markup(content.departure_airport_name, fonts)}"
            ),
            label("Local time"),
            p(f"<b>{escape(_fmt_local(content))}</b>"),
            label("UTC"),
            p(escape(_fmt_utc(content.departure_utc))),
            label("Persons"),
            p(f"<b>{content.person_count}</b>"),
        ],
        [label("Stops"), p(stops), "", "", "", "", "", ""],
    ]
    widths = [52, 142, 52, 220, 40, 120, 44, 104]
    table = Table(data, colWidths=widths, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), fonts.regular, 8.5, 11),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("SPAN", (1, 2), (-1, 2)),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, RULE),
                ("BACKGROUND", (0, 0), (0, -1), HEAD_BG),
                ("BACKGROUND", (2, 0), (2, 1), HEAD_BG),
                ("BACKGROUND", (4, 0), (4, 1), HEAD_BG),
                ("BACKGROUND", (6, 0), (6, 1), HEAD_BG),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    title = Paragraph("Passenger manifest — return charter flight", st.title)
    return [title, Spacer(1, 4), table, Spacer(1, 8)]


CELL_SIZE = 7.0
CELL_LEADING = 8.4
CELL_PADDING = 5.0  # left + right padding of the people table


def _cell(lines: Sequence[str], width: float, fonts: _Fonts, st: _Styles, *, bold: bool = False) -> Any:
    """A table cell: a plain string when every line fits in ``width`` in the base font, else a Paragraph.

    Plain strings are drawn by the table itself (fast, no wrapping); a Paragraph wraps long text
    and switches font for characters the base font lacks (CJK).
    """
    font, cmap = (fonts.bold, fonts.bold_cmap) if bold else (fonts.regular, fonts.regular_cmap)
    shown = [display_text(line, cmap) for line in lines]
    if all(
        all(ord(c) in cmap for c in line)
        and pdfmetrics.stringWidth(line, font, CELL_SIZE) <= width - CELL_PADDING
        for line in shown
    ):
        return "\n".join(shown)
    markup = "<br/>".join(_markup(line, fonts, bold=bold) for line in lines)
    return Paragraph(markup, st.cell_bold if bold else st.cell)


_WIDTH = {name: width for name, width in COLUMNS}


def _row_cells(index: int, row: ManifestRow, fonts: _Fonts, st: _Styles) -> list[Any]:
    doc_label = DOCUMENT_LABELS.get(row.document_type, row.document_type)
    verification = [row.verification_reference or "–"]
    if row.verified_on is not None:
        verification.append(row.verified_on.isoformat())
    return [
        str(index),
        _cell([row.case_number], _WIDTH["Case number"], fonts, st, bold=True),
        _cell([row.family_name], _WIDTH["Family name"], fonts, st, bold=True),
        _cell([row.given_names], _WIDTH["Given names"], fonts, st),
        _cell([row.native_name], _WIDTH["Native name"], fonts, st) if row.native_name else "",
        row.sex,
        _fmt_date(row.date_of_birth),
        row.nationality,
        _cell([doc_label, row.document_number], _WIDTH["Document"], fonts, st),
        _fmt_date(row.document_expires),
        _cell(verification, _WIDTH["Verification"], fonts, st),
        row.risk_level,
        MEDICAL_LABELS.get(row.medical_need, row.medical_need),
        _cell([row.family_group], _WIDTH["Family group"], fonts, st) if row.family_group else "–",
    ]


def _people_table(stop: StopSection, fonts: _Fonts, st: _Styles) -> Table:
    header = [Paragraph(escape(name), st.head) for name, _ in COLUMNS]
    data: list[list[Any]] = [header]
    data.extend(_row_cells(i, row, fonts, st) for i, row in enumerate(stop.rows, start=1))
    table = Table(data, colWidths=[w for _, w in COLUMNS], repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), fonts.regular, CELL_SIZE, CELL_LEADING),
        ("FONT", (1, 1), (2, -1), fonts.bold, CELL_SIZE, CELL_LEADING),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("ALIGN", (0, 1), (0, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("BOX", (0, 0), (-1, -1), 0.6, RULE),
        ("INNERGRID", (0, 0), (-1, -1), 0.25, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
    ]
    for i, row in enumerate(stop.rows, start=1):
        if row.risk_level == "HIGH":
            style.append(("FONT", (11, i), (11, i), fonts.bold, CELL_SIZE, CELL_LEADING))
    table.setStyle(TableStyle(style))
    return table


@dataclass(frozen=True)
class _Totals:
    persons: int
    sex: Counter[str]
    risk: Counter[str]
    medical: Counter[str]
    families: int

    @classmethod
    def of(cls, rows: Sequence[ManifestRow]) -> _Totals:
        return cls(
            persons=len(rows),
            sex=Counter(r.sex for r in rows),
            risk=Counter(r.risk_level for r in rows),
            medical=Counter(r.medical_need for r in rows),
            families=len({r.family_group for r in rows if r.family_group}),
        )

    def cells(self) -> list[str]:
        return [
            str(self.persons),
            str(self.sex["M"]),
            str(self.sex["F"]),
            str(self.sex["X"]),
            str(self.risk["HIGH"]),
            str(self.risk["MEDIUM"]),
            str(self.risk["LOW"]),
            str(self.medical["MEDICAL_ESCORT"]),
            str(self.medical["WHEELCHAIR"]),
            str(self.families),
        ]


TOTAL_HEADERS = (
    "Persons",
    "Male",
    "Female",
    "Sex X",
    "Risk high",
    "Risk medium",
    "Risk low",
    "Medical escort",
    "Wheelchair",
    "Family groups",
)


def _totals_table(rows: list[tuple[str, _Totals]], fonts: _Fonts, st: _Styles, *, grand: bool) -> Table:
    data: list[list[Any]] = [[Paragraph("", st.head)] + [Paragraph(h, st.head) for h in TOTAL_HEADERS]]
    for label, totals in rows:
        data.append([Paragraph(_markup(label, fonts), st.cell), *totals.cells()])
    table = Table(data, colWidths=[200] + [57] * len(TOTAL_HEADERS), hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), fonts.regular, 7.5, 9),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("BOX", (0, 0), (-1, -1), 0.6, RULE),
        ("INNERGRID", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if grand:
        style += [
            ("FONT", (1, -1), (-1, -1), fonts.bold, 7.5, 9),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
        ]
    else:
        style.append(("FONT", (1, 1), (1, -1), fonts.bold, 7.5, 9))
    table.setStyle(TableStyle(style))
    return table


def _signature_blocks(content: ManifestContent, fonts: _Fonts, st: _Styles) -> Table:
    def block(role: str, who: str | None, when: Any) -> list[Any]:
        name = _markup(who, fonts) if who else ""
        date_text = _fmt_utc(when)
        return [
            Paragraph(f"<b>{escape(role)}</b>", st.body),
            Paragraph(f"Name: {name}", st.body),
            Paragraph(f"Date: {escape(date_text)}", st.body),
            Paragraph("Signature:", st.body),
        ]

    blocks = [
        block("Prepared by (officer)", content.prepared_by, content.prepared_at),
        block("Approved by (supervisor)", content.approved_by, content.approved_at),
        block("Signed by (supervisor)", content.signed_by, content.signed_at),
    ]
    data = [[b[i] for b in blocks] for i in range(4)]
    width = (PAGE_SIZE[0] - 2 * MARGIN_X) / 3
    table = Table(data, colWidths=[width] * 3, rowHeights=[16, 18, 18, 34], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), fonts.regular, 8.5, 11),
                ("BOX", (0, 0), (0, -1), 0.6, RULE),
                ("BOX", (1, 0), (1, -1), 0.6, RULE),
                ("BOX", (2, 0), (2, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


class _SectionMarker(Flowable):
    """Zero-size flowable recording, as it is drawn, which stop section the pages are in."""

    def __init__(self, section: list[str | None], label: str | None) -> None:
        super().__init__()
        self._section = section
        self._label = label
        self.width = self.height = 0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self._section[0] = self._label


def _story(content: ManifestContent, fonts: _Fonts, st: _Styles, section: list[str | None]) -> list[Flowable]:
    """The flowables of the document; ``section[0]`` tracks the stop being laid out (for page headers)."""
    story: list[Flowable] = _flight_block(content, fonts, st)
    per_stop: list[tuple[str, _Totals]] = []
    for stop in content.stops:
        heading = Paragraph(
            f"Stop {stop.sequence}: {_markup(_stop_label(stop), fonts)} — receiving country "
            f"{escape(stop.country)} — {len(stop.rows)} person{'s' if len(stop.rows) != 1 else ''}",
            st.h2,
        )
        totals = _Totals.of(stop.rows)
        per_stop.append((f"Stop {stop.sequence}: {_stop_label(stop)}", totals))
        story.append(CondPageBreak(70 * mm))
        story.append(_SectionMarker(section, f"Stop {stop.sequence}: {_stop_label(stop)}"))
        story.append(heading)
        if stop.rows:
            story.append(_people_table(stop, fonts, st))
        else:
            story.append(Paragraph("Nobody is manifested for this stop.", st.body))
        story.append(Spacer(1, 4))
        story.append(
            KeepTogether(
                [
                    Paragraph(f"Totals for stop {stop.sequence}", st.small),
                    _totals_table([(_stop_label(stop), totals)], fonts, st, grand=False),
                ]
            )
        )
        story.append(_SectionMarker(section, None))
        story.append(Spacer(1, 10))
    all_rows = [row for stop in content.stops for row in stop.rows]
    flight_rows = [*per_stop, (f"Flight {content.flight_code} — total", _Totals.of(all_rows))]
    story.append(
        KeepTogether(
            [
                Paragraph("Flight totals", st.h2),
                _totals_table(flight_rows, fonts, st, grand=True),
                Spacer(1, 12),
                Paragraph("Approval and signature", st.h2),
                Paragraph(
                    "By signing, the officer and supervisor confirm that every person listed above has "
                    "been checked against the eligibility rules for the stop they are manifested to.",
                    st.small,
                ),
                Spacer(1, 4),
                _signature_blocks(content, fonts, st),
            ]
        )
    )
    return story


# ---------------------------------------------------------------------------------------------
# Page decoration


@dataclass(frozen=True)
class _PageInfo:
    content: ManifestContent
    sha256: str
    qr: ImageReader
    fonts: _Fonts
    section: list[str | None]  # one cell: the stop section in progress, updated while drawing


def _draw_watermark(canvas: Canvas, info: _PageInfo) -> None:
    """Translucent DRAFT (or SUPERSEDED) across the page, drawn over the content so no cell hides it."""
    status = info.content.status
    if status not in (ManifestStatus.DRAFT, ManifestStatus.SUPERSEDED):
        return
    width, height = PAGE_SIZE
    canvas.saveState()
    canvas.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.12))
    canvas.setFont(info.fonts.bold, 150 if status == ManifestStatus.DRAFT else 96)
    canvas.translate(width / 2, height / 2 - 30)
    canvas.rotate(28)
    canvas.drawCentredString(0, 0, status)
    canvas.restoreState()


def _draw_header(canvas: Canvas, info: _PageInfo) -> None:
    content, fonts = info.content, info.fonts
    width, height = PAGE_SIZE
    canvas.saveState()
    y = height - MARGIN_TOP + 6 * mm
    canvas.setFillColor(INK)
    canvas.setFont(fonts.bold, 9)
    title = f"Manifest {content.flight_code}"
    canvas.drawString(MARGIN_X, y, title)
    left_end = MARGIN_X + canvas.stringWidth(title, fonts.bold, 9)
    if info.section[0]:
        continued = display_text(f"{info.section[0]} (continued)", fonts.regular_cmap)
        canvas.setFont(fonts.regular, 9)
        canvas.drawString(left_end + 4 * mm, y, continued)
        left_end += 4 * mm + canvas.stringWidth(continued, fonts.regular, 9)
    local = content.departure_local
    right = (
        f"{content.carrier} · {content.departure_airport} {local:%Y-%m-%d %H:%M} {local.tzname()} · "
        f"revision {content.revision} · {content.status}"
    )
    size = 9.0
    while size > 6 and width - MARGIN_X - canvas.stringWidth(right, fonts.regular, size) < left_end + 4 * mm:
        size -= 0.5
    canvas.setFont(fonts.regular, size)
    canvas.drawRightString(width - MARGIN_X, y, right)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_X, y - 2.5 * mm, width - MARGIN_X, y - 2.5 * mm)
    canvas.restoreState()


def _draw_footer(canvas: Canvas, info: _PageInfo, page: int, pages: int) -> None:
    fonts = info.fonts
    width, _ = PAGE_SIZE
    canvas.saveState()
    top = MARGIN_BOTTOM - 3 * mm
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_X, top, width - MARGIN_X, top)
    qr_x = width - MARGIN_X - QR_SIZE
    qr_y = top - 1.5 * mm - QR_SIZE
    canvas.drawImage(info.qr, qr_x, qr_y, QR_SIZE, QR_SIZE)
    canvas.setFillColor(INK)
    canvas.setFont(fonts.bold, 8)
    canvas.drawString(MARGIN_X, top - 5 * mm, f"Page {page} of {pages}")
    canvas.setFont(fonts.regular, 7)
    canvas.setFillColor(MUTED)
    canvas.drawString(
        MARGIN_X + 28 * mm,
        top - 5 * mm,
        f"Flight {info.content.flight_code} · revision {info.content.revision} · {info.content.status}",
    )
    canvas.drawString(MARGIN_X, top - 9.5 * mm, f"SHA-256 {info.sha256}")
    canvas.drawString(
        MARGIN_X,
        top - 13.5 * mm,
        "Check a printed page: scan the QR code or compare the SHA-256 with the manifest record "
        "(same value for draft, approved and signed copies of one revision).",
    )
    canvas.restoreState()


class _ManifestCanvas(Canvas):
    """Canvas that holds pages back until the end so each footer can say "Page n of N"."""

    def __init__(self, *args: Any, page_info: _PageInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._page_info = page_info
        self._pending: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - ReportLab API
        self._pending.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # ReportLab's private API, not in its stubs

    def save(self) -> None:
        pages = len(self._pending)
        for number, state in enumerate(self._pending, start=1):
            self.__dict__.update(state)
            _draw_watermark(self, self._page_info)
            _draw_footer(self, self._page_info, number, pages)
            super().showPage()
        super().save()


def _qr_image(payload: str) -> ImageReader:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=4, border=2)
    qr.add_data(payload)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    return ImageReader(image)


# ---------------------------------------------------------------------------------------------
# Entry point


def render_manifest_pdf(
    content: ManifestContent,
    out: str | Path | IO[bytes],
    *,
    font_dir: str | Path | None = None,
) -> None:
    """Write the manifest PDF for ``content`` to ``out`` (a path or a writable binary stream).

    The fonts come from ``font_dir`` (default ``resources/fonts``; see :data:`FONT_FILES`) and are
    embedded as subsets. The same content always produces the same bytes. Raises
    ``FileNotFoundError`` if a font is missing; writes nothing to a path in that case.
    """
    started = time.perf_counter()
    fonts = _fonts(Path(font_dir) if font_dir is not None else None)
    st = _styles(fonts)
    digest = content_sha256(content)
    info = _PageInfo(
        content=content, sha256=digest, qr=_qr_image(qr_payload(content)), fonts=fonts, section=[None]
    )
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"Manifest {content.flight_code} revision {content.revision}",
        author=content.prepared_by,
        subject=f"SHA-256 {digest}",
        creator="Charter Planner",
        invariant=1,
        initialFontName=fonts.regular,  # no unembedded Helvetica in the page resources
    )
    frame = Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0, rightPadding=0
    )
    doc.addPageTemplates(
        [
            PageTemplate(
                id="manifest",
                frames=[frame],
                onPage=lambda canvas, _doc: _draw_header(canvas, info),
            )
        ]
    )
    doc.build(
        _story(content, fonts, st, info.section),
        canvasmaker=functools.partial(_ManifestCanvas, page_info=info),
    )
    data = buffer.getvalue()
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)
    log.info(
        "manifest %s rev %s: %d persons, %d bytes in %.3f s",
        content.flight_code,
        content.revision,
        content.person_count,
        len(data),
        time.perf_counter() - started,
    )


__all__ = ["FONT_FILES", "render_manifest_pdf"]
