"""The PDF cover letter of a request batch, addressed to the receiving state's consular section.

It names the reference, the date, what is asked (verification of nationality or the issue of travel
documents), how many people, lists them (case number, names in Latin and native script, sex, date
and place of birth), says when an answer is expected and how to give it, and prints the request
CSV's SHA-256 in every page's footer (and its QR code), so the letter and the list it covers are
bound together. Fonts, styles and page furniture come from ``manifests.pdf_common``: Han and other
native scripts render, and the same content renders to the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from planner.domain.enums import RequestKind
from planner.domain.requests import LeadTime
from planner.domain.wording import code_words, join_words, plural
from planner.services.manifests.pdf_common import (
    RULE,
    Fonts,
    Furniture,
    Styles,
    build_document,
    cell,
    grid_style,
    load_fonts,
    make_styles,
    markup,
)

if TYPE_CHECKING:
    from planner.services.consular.batches import Candidate

#: The people table's columns and widths (A4 portrait, 186 mm between the margins).
COLUMNS: tuple[tuple[str, float], ...] = (
    ("No.", 8 * mm),
    ("Case number", 21 * mm),
    ("Family name", 30 * mm),
    ("Given names", 33 * mm),
    ("Name in native script", 30 * mm),
    ("Sex", 8 * mm),
    ("Date of birth", 19 * mm),
    ("Place of birth", 37 * mm),
)


@dataclass(frozen=True)
class LetterContent:
    """Everything the letter prints."""

    reference: str
    kind: RequestKind
    country: str
    country_name: str
    sent_on: date
    due_on: date
    lead: LeadTime
    people: Sequence[Candidate]
    csv_name: str
    csv_sha256: str
    columns: Sequence[str]
    prepared_by: str = ""
    #: Travel-document batches: the document types the country issues on request (its rule accepts).
    document_types: Sequence[str] = ()


def _subject(c: LetterContent) -> str:
    who = plural(len(c.people), "person", "people")
    if c.kind is RequestKind.VERIFICATION:
        return f"Request for verification of nationality — {who}"
    return f"Request for the issue of travel documents — {who}"


def _request_text(c: LetterContent) -> str:
    one = len(c.people) == 1
    if c.kind is RequestKind.VERIFICATION:
        who = (
            f"the person listed below, who states that they are a national of {c.country_name}"
            if one
            else f"the {len(c.people):,} people listed below, who state that they are nationals of {c.country_name}"
        )
        return (
            f"We respectfully ask the competent authorities of {c.country_name} to verify the nationality "
            f"of {who}. {'They are' if one else 'Each is'} held under a removal order; we ask you to confirm "
            f"or not confirm that {'they are your national' if one else 'they are your nationals'}."
        )
    types = join_words([code_words(t) for t in c.document_types], "or") or "travel document"
    who = "the person listed below" if one else f"each of the {len(c.people):,} people listed below"
    return (
        f"We respectfully ask the competent authorities of {c.country_name} to issue a travel document "
        f"({types}) to {who}, whose nationality of {c.country_name} has been confirmed or is being "
        f"verified under an earlier request. {'They are' if one else 'Each is'} held under a removal order."
    )


def _answer_text(c: LetterContent) -> str:
    keep = (
        f"Please return the enclosed list <b>{escape(c.csv_name)}</b> keeping its columns and the "
        f"reference <b>{escape(c.reference)}</b> on every row, "
    )
    if c.kind is RequestKind.VERIFICATION:
        return keep + (
            "with, for each person, <b>result</b> (CONFIRMED or NOT_CONFIRMED) and <b>verified_on</b> "
            "(the date of your answer, YYYY-MM-DD) filled in, and <b>authority</b> if you wish. An answer "
            "for only part of the list is welcome; the rest stays open."
        )
    return keep + (
        "with, for each person issued a document, <b>document_type</b>, <b>document_number</b>, "
        "<b>document_issued</b> and <b>document_expires</b> (YYYY-MM-DD) filled in; please leave them "
        "empty for a person you cannot issue a document to. An answer for only part of the list is welcome; the rest stays open."
    )


def _details_table(c: LetterContent, fonts: Fonts, st: Styles) -> Table:
    lead = (
        f"{c.lead.days} days, median of {c.lead.answered} earlier answers"
        if c.lead.source == "history"
        else f"{c.lead.days} days"
    )
    rows = [
        ("To", f"The Consular Section, {c.country_name} ({c.country})"),
        ("Our reference", c.reference),
        ("Date", c.sent_on.isoformat()),
        ("Subject", _subject(c)),
        ("Answer expected by", f"{c.due_on.isoformat()} ({lead})"),
        ("Enclosed list", f"{c.csv_name}, {plural(len(c.people), 'row')} (SHA-256 in the footer)"),
    ]
    data = [
        [Paragraph(escape(label), st.cell_bold), Paragraph(markup(value, fonts), st.body)]
        for label, value in rows
    ]
    table = Table(data, colWidths=[38 * mm, 148 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
            ]
        )
    )
    return table


def _people_table(people: Sequence[Candidate], fonts: Fonts, st: Styles) -> Table:
    widths = [w for _, w in COLUMNS]
    data: list[list[Any]] = [[Paragraph(escape(name), st.head) for name, _ in COLUMNS]]
    for number, p in enumerate(people, start=1):
        values = [
            str(number),
            p.case_number,
            p.family_name,
            p.given_names,
            p.native_name or "–",
            p.sex,
            p.date_of_birth.isoformat(),
            p.place_of_birth or "–",
        ]
        data.append([cell([v], w, fonts, st) for v, w in zip(values, widths, strict=True)])
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(grid_style(fonts, bold_columns=(2, 2))))
    return table


def _story(c: LetterContent, fonts: Fonts, st: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(markup(f"To the Consular Section of {c.country_name}", fonts, bold=True), st.title),
        Spacer(1, 3 * mm),
        _details_table(c, fonts, st),
        Spacer(1, 4 * mm),
        Paragraph(markup(_request_text(c), fonts), st.body),
        Spacer(1, 2 * mm),
        Paragraph(
            f"We would be grateful for your answer by <b>{c.due_on.isoformat()}</b>. " + _answer_text(c),
            st.body,
        ),
        Spacer(1, 2 * mm),
        Paragraph(
            "The enclosed list gives each person's particulars in machine-readable form (UTF-8); its "
            "SHA-256, printed at the foot of every page of this letter, identifies the list this letter "
            "covers.",
            st.body,
        ),
        Spacer(1, 4 * mm),
        Paragraph(markup(f"People listed ({len(c.people)})", fonts, bold=True), st.h2),
        _people_table(c.people, fonts, st),
        Spacer(1, 6 * mm),
        Paragraph("With our thanks and the assurance of our highest consideration,", st.body),
    ]
    if c.prepared_by:
        story += [Spacer(1, 2 * mm), Paragraph(markup(c.prepared_by, fonts), st.body)]
    return story


def cover_letter_pdf(content: LetterContent) -> bytes:
    """The letter's PDF bytes (deterministic: the same content gives the same bytes)."""
    fonts = load_fonts()
    st = make_styles(fonts)
    furniture = Furniture(
        fonts=fonts,
        sha256=content.csv_sha256,
        qr_payload=f"{content.reference} {content.csv_name} sha256:{content.csv_sha256}",
        header_title=f"Request {content.reference}",
        header_right=f"{content.country_name} · {content.sent_on.isoformat()}",
        caption=f"{content.reference} · {plural(len(content.people), 'person', 'people')}",
        note=f"SHA-256 above: the enclosed list {content.csv_name}; compare it with the file you received.",
        page_size=A4,
    )
    buffer = BytesIO()
    build_document(
        _story(content, fonts, st),
        buffer,
        furniture,
        title=f"Request {content.reference}",
        author=content.prepared_by,
    )
    return buffer.getvalue()


__all__ = ["COLUMNS", "LetterContent", "cover_letter_pdf"]
