"""The printed documents state the confirmed nationality and the document's issuing country, with
the claimed nationality only as a note (issue 13): manifest, as-flown/handover, boarding cards."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime

from pypdf import PdfReader

from planner.services.manifests.as_flown import FlownDocument
from planner.services.manifests.as_flown_pdf import render_flown_pdf
from planner.services.manifests.boarding_cards import cards_of, render_boarding_cards
from planner.services.manifests.content import ManifestContent
from planner.services.manifests.pdf import COLUMNS, render_manifest_pdf
from tests.unit.manifests.sample import sample_manifest

BASE = sample_manifest(20, status="SIGNED")


def _moved() -> ManifestContent:
    """Stop 1's first passenger claims NIC, the stop's country confirmed them; every document
    carries its issuing country and issue date."""
    stop = BASE.stops[0]
    rows = [
        dataclasses.replace(r, document_issuing_country=stop.country, document_issued_on=date(2024, 6, 1))
        for r in stop.rows
    ]
    rows[0] = dataclasses.replace(rows[0], claimed_nationality="NIC")
    return dataclasses.replace(BASE, stops=(dataclasses.replace(stop, rows=tuple(rows)), *BASE.stops[1:]))


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_column_widths_still_fill_the_frame() -> None:
    assert sum(w for _, w in COLUMNS) == 775


def test_manifest_pdf_prints_the_claim_as_a_note_and_the_issuer() -> None:
    out = io.BytesIO()
    render_manifest_pdf(_moved(), out)
    text = _text(out.getvalue())
    assert text.count("claimed") == 1 and "NIC" in text
    assert f"{BASE.stops[0].country} · issued 2024-06-01" in text
    plain = io.BytesIO()
    render_manifest_pdf(BASE, plain)  # rows of old revisions: no note, no issuer line
    assert "claimed" not in _text(plain.getvalue()) and "issued" not in _text(plain.getvalue())


def test_as_flown_pdf_prints_the_claim_as_a_note() -> None:
    content = _moved()
    when = datetime(2025, 7, 14, 12, 0, tzinfo=UTC)
    doc = FlownDocument(
        manifest=content,
        based_on_revision=content.revision,
        boarded={},
        closed_at=when,
        closed_by="sam",
        departed_at=when,
        struck=(),
        stop_sequence=None,
        printed_by="Olivia Officer",
        printed_at=when,
    )
    out = io.BytesIO()
    render_flown_pdf(doc, out)
    assert "claimed" in _text(out.getvalue())


def test_boarding_card_shows_the_confirmed_nationality_and_the_claim() -> None:
    content = _moved()
    cards = cards_of(content)
    card = next(c for c in cards if c.case_number == content.stops[0].rows[0].case_number)
    assert (card.nationality, card.claimed_nationality) == (content.stops[0].country, "NIC")
    out = io.BytesIO()
    render_boarding_cards(cards, out)
    assert f"{content.stops[0].country} (claimed NIC)" in _text(out.getvalue())
