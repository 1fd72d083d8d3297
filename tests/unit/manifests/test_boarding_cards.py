"""Boarding cards: one per passenger, eight to a page with cut lines, and a Code128 barcode of the
case number that a scanner reads off the printed page."""

from __future__ import annotations

import dataclasses
import io

import zxingcpp
from pypdf import PdfReader

from planner.services.manifests.boarding_cards import COLUMNS, ROWS, cards_of, render_boarding_cards
from planner.services.manifests.content import ManifestContent
from tests.unit.manifests.rendering import page_images
from tests.unit.manifests.sample import sample_manifest

CONTENT = sample_manifest(60, status="APPROVED")


def _render(content: ManifestContent = CONTENT) -> bytes:
    out = io.BytesIO()
    render_boarding_cards(cards_of(content), out)
    return out.getvalue()


def test_one_card_per_passenger_and_never_a_reserve() -> None:
    stop = CONTENT.stops[0]
    with_reserve = dataclasses.replace(
        CONTENT,
        stops=(dataclasses.replace(stop, rows=stop.rows[1:], reserves=stop.rows[:1]), *CONTENT.stops[1:]),
    )
    cards = cards_of(with_reserve)
    assert len(cards) == with_reserve.person_count
    assert stop.rows[0].case_number not in {c.case_number for c in cards}


def test_every_barcode_decodes_to_its_case_number() -> None:
    pdf = _render()
    pages = page_images(pdf, dpi=150)
    per_page = COLUMNS * ROWS
    assert len(pages) == -(-CONTENT.person_count // per_page)
    found: list[str] = []
    for image in pages:
        found += [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)]
    expected = sorted(r.case_number for s in CONTENT.stops for r in s.rows)
    assert sorted(found) == expected


def test_cards_show_names_in_both_scripts_flight_and_stop() -> None:
    reader = PdfReader(io.BytesIO(_render()))
    text = "".join(page.extract_text() for page in reader.pages)
    for stop in CONTENT.stops:
        for row in stop.rows:
            assert row.case_number in text
            if row.native_name:
                assert row.native_name.split()[0] in text
        assert f"Stop {stop.sequence}: {stop.airport}" in text
    assert "Flight RF0001" in text and "no seat assignment" in text and "Photo" in text
    assert "cut along the dashed lines" in text


def test_output_is_deterministic() -> None:
    assert _render() == _render()
