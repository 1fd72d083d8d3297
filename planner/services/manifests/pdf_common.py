"""What every PDF of the departure documents shares: fonts and scripts, styles, formatting, and the
page furniture (header, footer with "Page n of N", the SHA-256 and a QR code, watermark).

Used by the manifest (:mod:`planner.services.manifests.pdf`), the as-flown manifest and handover
receipts (:mod:`planner.services.manifests.as_flown`) and the boarding cards
(:mod:`planner.services.manifests.boarding_cards`).

Fonts: the TrueType fonts in ``resources/fonts`` are embedded as subsets; every character is set
in the first font that has a glyph for it (DejaVu Sans for Latin, Cyrillic, Greek, Arabic; Droid
Sans Fallback for CJK). Right-to-left text (Arabic, Hebrew) is shaped with ``arabic_reshaper``
(contextual presentation forms, lam-alef ligatures) and put in visual order with ``python-bidi``
before layout, so it reads correctly; the PDF's text layer then holds the presentation forms in
visual order (see :func:`display_text`). Limitation: a right-to-left text that wraps onto two lines
inside its cell is reordered as one line (its first visual line holds the end of the name). Without
those two packages the letters are drawn unjoined in logical order and a warning is logged.

Every document is deterministic: the same input renders to the same bytes (ReportLab's invariant mode).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph

from planner.domain.wording import local_time_text
from planner.files import write_output
from planner.persistence.audit import canonical_json
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
RESERVE_BG = colors.HexColor("#fdf3d8")
RESERVE_INK = colors.HexColor("#7a4b00")

DOCUMENT_LABELS = {
    "PASSPORT": "Passport",
    "TRAVEL_DOCUMENT": "Travel document",
    "EMERGENCY_TRAVEL_DOCUMENT": "Emergency travel doc.",
    "LAISSEZ_PASSER": "Laissez-passer",
}
MEDICAL_LABELS = {"NONE": "–", "MEDICAL_ESCORT": "Medical escort", "WHEELCHAIR": "Wheelchair"}


# ---------------------------------------------------------------------------------------------
# Fonts


@dataclass(frozen=True)
class Fonts:
    """The registered font names and the code points each has."""

    regular: str
    bold: str
    cjk: str
    regular_cmap: frozenset[int]
    bold_cmap: frozenset[int]
    cjk_cmap: frozenset[int]


_FONT_LOCK = threading.Lock()
_FONT_CACHE: dict[Path, Fonts] = {}


def load_fonts(font_dir: str | Path | None = None) -> Fonts:
    """Register the fonts from ``font_dir`` (default ``resources/fonts``) once per directory.
    Raises ``FileNotFoundError`` when one is missing."""
    directory = (Path(font_dir) if font_dir is not None else resource_path("fonts")).resolve()
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
        fonts = Fonts(
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


def markup(text: str, fonts: Fonts, *, bold: bool = False) -> str:
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


def _run(chars: list[str], cjk: bool, fonts: Fonts) -> str:
    text = escape("".join(chars))
    return f'<font face="{fonts.cjk}">{text}</font>' if cjk else text


def draw_text(
    canvas: Canvas, x: float, y: float, text: str, fonts: Fonts, size: float, *, bold: bool = False
) -> float:
    """Draw ``text`` at (x, y) on a canvas, switching to the CJK font for characters the base font
    lacks and shaping right-to-left runs; returns the width drawn."""
    base, cmap = (fonts.bold, fonts.bold_cmap) if bold else (fonts.regular, fonts.regular_cmap)
    text = display_text(text, cmap)
    start = x
    run: list[str] = []
    run_cjk = False

    def flush() -> None:
        nonlocal x
        if not run:
            return
        font = fonts.cjk if run_cjk else base
        chunk = "".join(run)
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, font, size)

    for char in text:
        is_cjk = ord(char) not in cmap and ord(char) in fonts.cjk_cmap
        if run and is_cjk != run_cjk:
            flush()
            run = []
        run_cjk = is_cjk
        run.append(char)
    flush()
    return x - start


def text_width(text: str, fonts: Fonts, size: float, *, bold: bool = False) -> float:
    """The width :func:`draw_text` would draw."""
    base, cmap = (fonts.bold, fonts.bold_cmap) if bold else (fonts.regular, fonts.regular_cmap)
    return sum(
        pdfmetrics.stringWidth(
            c, fonts.cjk if ord(c) not in cmap and ord(c) in fonts.cjk_cmap else base, size
        )
        for c in display_text(text, cmap)
    )


# ---------------------------------------------------------------------------------------------
# Styles


@dataclass(frozen=True)
class Styles:
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    head: ParagraphStyle
    title: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    right: ParagraphStyle


def make_styles(fonts: Fonts) -> Styles:
    cell = ParagraphStyle("cell", fontName=fonts.regular, fontSize=7, leading=8.4, textColor=INK)
    return Styles(
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


def fmt_date(value: Any) -> str:
    return value.isoformat() if value is not None else "–"


def fmt_local(departure_utc: datetime, timezone: str) -> str:
    """``2030-03-31 04:00 UTC−05:00 (America/Chicago)``: the offset, never an ambiguous abbreviation."""
    return local_time_text(departure_utc, timezone, with_zone_name=True)


def fmt_utc(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value is not None else ""


CELL_SIZE = 7.0
CELL_LEADING = 8.4
CELL_PADDING = 5.0  # left + right padding of the people tables


def grid_style(
    fonts: Fonts,
    *,
    bold_columns: tuple[int, int] | None = None,
    numbered: bool = True,
    shade: Any = None,
) -> list[tuple[Any, ...]]:
    """The house style of a table of people (manifests, as-flown lists, letters): a shaded header
    row repeated on every page, thin grid, zebra rows, ``CELL_SIZE`` text. ``bold_columns`` (first,
    last) sets those columns' body in bold (the names); ``numbered``: the first column is a
    right-aligned number; ``shade`` replaces the header and zebra colour (reserves)."""
    style: list[tuple[Any, ...]] = [("FONT", (0, 0), (-1, -1), fonts.regular, CELL_SIZE, CELL_LEADING)]
    if bold_columns is not None:
        first, last = bold_columns
        style.append(("FONT", (first, 1), (last, -1), fonts.bold, CELL_SIZE, CELL_LEADING))
    style += [
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
    ]
    if numbered:
        style.append(("ALIGN", (0, 1), (0, -1), "RIGHT"))
    style += [
        ("BACKGROUND", (0, 0), (-1, 0), shade or HEAD_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("BOX", (0, 0), (-1, -1), 0.6, RULE),
        ("INNERGRID", (0, 0), (-1, -1), 0.25, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, shade or ZEBRA]),
    ]
    return style


def cell(lines: Sequence[str], width: float, fonts: Fonts, st: Styles, *, bold: bool = False) -> Any:
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
    text = "<br/>".join(markup(line, fonts, bold=bold) for line in lines)
    return Paragraph(text, st.cell_bold if bold else st.cell)


class SectionMarker(Flowable):
    """Zero-size flowable recording, as it is drawn, which section the pages are in (page headers
    say "… (continued)")."""

    def __init__(self, section: list[str | None], label: str | None) -> None:
        super().__init__()
        self._section = section
        self._label = label
        self.width = self.height = 0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self._section[0] = self._label


def qr_image(payload: str) -> ImageReader:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=4, border=2)
    qr.add_data(payload)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    return ImageReader(image)


# ---------------------------------------------------------------------------------------------
# Page furniture


@dataclass
class Furniture:
    """What every page of a hashed document carries.

    ``header_title`` (bold, left) and ``header_right`` (shrunk to fit) on top; in the footer
    "Page n of N", ``caption``, ``SHA-256 <sha256>``, ``note`` and the QR code of ``qr_payload``;
    ``watermark`` (e.g. ``DRAFT``) across every page when set. ``section[0]`` is the section in
    progress (see :class:`SectionMarker`)."""

    fonts: Fonts
    sha256: str
    qr_payload: str
    header_title: str
    header_right: str
    caption: str
    note: str
    watermark: str | None = None
    watermark_size: float = 150
    page_size: tuple[float, float] = PAGE_SIZE
    section: list[str | None] = field(default_factory=lambda: [None])
    qr: ImageReader | None = None

    def __post_init__(self) -> None:
        if self.qr is None:
            self.qr = qr_image(self.qr_payload)


def draw_watermark(canvas: Canvas, f: Furniture) -> None:
    """Translucent ``f.watermark`` across the page, drawn over the content so no cell hides it."""
    if not f.watermark:
        return
    width, height = f.page_size
    canvas.saveState()
    canvas.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.12))
    canvas.setFont(f.fonts.bold, f.watermark_size)
    canvas.translate(width / 2, height / 2 - 30)
    canvas.rotate(28)
    canvas.drawCentredString(0, 0, f.watermark)
    canvas.restoreState()


def draw_header(canvas: Canvas, f: Furniture) -> None:
    fonts = f.fonts
    width, height = f.page_size
    canvas.saveState()
    y = height - MARGIN_TOP + 6 * mm
    canvas.setFillColor(INK)
    left_end = MARGIN_X + draw_text(canvas, MARGIN_X, y, f.header_title, fonts, 9, bold=True)
    if f.section[0]:
        continued = f"{f.section[0]} (continued)"
        left_end += 4 * mm + draw_text(canvas, left_end + 4 * mm, y, continued, fonts, 9)
    size = 9.0
    while size > 6 and width - MARGIN_X - text_width(f.header_right, fonts, size) < left_end + 4 * mm:
        size -= 0.5
    draw_text(
        canvas, width - MARGIN_X - text_width(f.header_right, fonts, size), y, f.header_right, fonts, size
    )
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_X, y - 2.5 * mm, width - MARGIN_X, y - 2.5 * mm)
    canvas.restoreState()


def draw_footer(canvas: Canvas, f: Furniture, page: int, pages: int) -> None:
    fonts = f.fonts
    width, _ = f.page_size
    canvas.saveState()
    top = MARGIN_BOTTOM - 3 * mm
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_X, top, width - MARGIN_X, top)
    qr_x = width - MARGIN_X - QR_SIZE
    qr_y = top - 1.5 * mm - QR_SIZE
    assert f.qr is not None
    canvas.drawImage(f.qr, qr_x, qr_y, QR_SIZE, QR_SIZE)
    canvas.setFillColor(INK)
    canvas.setFont(fonts.bold, 8)
    canvas.drawString(MARGIN_X, top - 5 * mm, f"Page {page} of {pages}")
    canvas.setFillColor(MUTED)
    draw_text(canvas, MARGIN_X + 28 * mm, top - 5 * mm, f.caption, fonts, 7)
    canvas.setFont(fonts.regular, 7)
    canvas.drawString(MARGIN_X, top - 9.5 * mm, f"SHA-256 {f.sha256}")
    canvas.drawString(MARGIN_X, top - 13.5 * mm, f.note)
    canvas.restoreState()


class DeferredCanvas(Canvas):
    """Canvas that holds pages back until the end so each footer can say "Page n of N"."""

    def __init__(self, *args: Any, furniture: Furniture, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._furniture = furniture
        self._pending: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - ReportLab API
        self._pending.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # ReportLab's private API, not in its stubs

    def save(self) -> None:
        pages = len(self._pending)
        for number, state in enumerate(self._pending, start=1):
            self.__dict__.update(state)
            draw_watermark(self, self._furniture)
            draw_footer(self, self._furniture, number, pages)
            super().showPage()
        super().save()


def build_document(
    story: list[Flowable],
    out: str | Path | IO[bytes],
    furniture: Furniture,
    *,
    title: str,
    author: str = "",
    on_page: Callable[[Canvas], None] | None = None,
    content_file: bytes | None = None,
) -> int:
    """Lay ``story`` out on pages of ``furniture.page_size`` with the header and footer, and write the
    PDF to ``out`` (a path, written whole, or a binary stream). ``content_file`` (the document's
    canonical content, see :func:`content_attachment`) is embedded as :data:`CONTENT_FILE_NAME`.
    Returns the number of bytes."""
    fonts = furniture.fonts
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=furniture.page_size,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=author,
        subject=f"SHA-256 {furniture.sha256}",
        creator="Charter Planner",
        invariant=1,
        initialFontName=fonts.regular,  # no unembedded Helvetica in the page resources
    )
    frame = Frame(
        doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0, rightPadding=0
    )

    def decorate(canvas: Canvas, _doc: Any) -> None:
        draw_header(canvas, furniture)
        if on_page is not None:
            on_page(canvas)

    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
    doc.build(story, canvasmaker=functools.partial(DeferredCanvas, furniture=furniture))
    data = buffer.getvalue()
    if content_file is not None:
        data = embed_content_file(data, content_file)
    if isinstance(out, str | Path):
        write_output(out, data)
    else:
        out.write(data)
    return len(data)


# ---------------------------------------------------------------------------------------------
# The content a document carries (what ``manifest check --pdf`` reads back)

#: Name of the embedded file (PDF attachment) holding a document's canonical content.
CONTENT_FILE_NAME = "manifest-content.json"


def content_attachment(kind: str, sha256: str, content: Mapping[str, Any]) -> bytes:
    """The embedded file's bytes: canonical JSON ``{"kind", "sha256", "content"}`` (UTF-8).
    ``kind`` is ``manifest``, ``as-flown`` or ``handover``; ``content`` the full stored form."""
    return canonical_json({"kind": kind, "sha256": sha256, "content": content}).encode("utf-8")


def embed_content_file(pdf: bytes, data: bytes) -> bytes:
    """``pdf`` with ``data`` attached as :data:`CONTENT_FILE_NAME` (pypdf; deterministic: the
    same bytes in give the same bytes out). Done before any signature, which then covers it."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=BytesIO(pdf))
    writer.add_attachment(CONTENT_FILE_NAME, data)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
