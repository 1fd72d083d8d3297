"""The as-flown manifest and the handover receipt: only who boarded, the struck-off list with its
reasons on the last page, signature blocks for the receiving officials, hashed like manifests."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, datetime, timedelta

import zxingcpp
from pypdf import PdfReader

from planner.services.manifests.as_flown import (
    STRIKE_REASON_TEXT,
    BoardingInfo,
    FlownDocument,
    StruckRow,
    document_qr_payload,
    document_sha256,
)
from planner.services.manifests.as_flown_pdf import render_flown_pdf
from tests.unit.manifests.rendering import page_images
from tests.unit.manifests.sample import sample_manifest

BASE = sample_manifest(60, status="SIGNED")
CLOSED = datetime(2025, 7, 14, 12, 50, tzinfo=UTC)


def _doc(stop_sequence: int | None = None) -> FlownDocument:
    """Everybody but the first person of each stop boarded; those were struck off."""
    struck_rows = [stop.rows[0] for stop in BASE.stops]
    stops = tuple(
        dataclasses.replace(stop, rows=stop.rows[1:])
        for stop in BASE.stops
        if stop_sequence is None or stop.sequence == stop_sequence
    )
    manifest = dataclasses.replace(BASE, stops=stops)
    boarded = {
        row.case_number: BoardingInfo("JFK", CLOSED - timedelta(minutes=40 - i % 30))
        for i, row in enumerate(r for s in stops for r in s.rows)
    }
    reasons = ["NO_SHOW", "LEGAL_STAY", "OTHER"]
    struck = tuple(
        StruckRow(
            case_number=row.case_number,
            family_name=row.family_name,
            given_names=row.given_names,
            native_name=row.native_name,
            stop_sequence=n + 1,
            reason=reasons[n % 3],
            note="escaped custody at the gate" if reasons[n % 3] == "OTHER" else "",
            struck_by="olivia",
            struck_at=CLOSED - timedelta(hours=3),
            manifest_revision=BASE.revision,
        )
        for n, row in enumerate(struck_rows)
    )
    return FlownDocument(
        manifest=manifest,
        based_on_revision=BASE.revision,
        boarded=boarded,
        closed_at=CLOSED,
        closed_by="sam",
        departed_at=CLOSED + timedelta(minutes=45),
        struck=struck if stop_sequence is None else (),
        stop_sequence=stop_sequence,
        printed_by="Olivia Officer",
        printed_at=CLOSED + timedelta(hours=1),
    )


def _pdf(doc: FlownDocument) -> bytes:
    out = io.BytesIO()
    render_flown_pdf(doc, out)
    return out.getvalue()


def test_as_flown_lists_who_boarded_and_the_struck_off_on_the_last_page() -> None:
    doc = _doc()
    pdf = _pdf(doc)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    body = "".join(pages[:-1])
    for stop in doc.manifest.stops:
        for row in stop.rows:
            assert row.case_number in body
    last = re.sub(r"\s+", " ", pages[-1])
    assert "Struck off this flight" in last
    for s in doc.struck:
        assert s.case_number in last and s.case_number not in body
        assert STRIKE_REASON_TEXT[s.reason] in last
    assert "escaped custody at the gate" in last
    digest = document_sha256(doc)
    assert all(f"SHA-256 {digest}" in text for text in pages)
    assert all(f"Page {i} of {len(pages)}" in text for i, text in enumerate(pages, start=1))
    qr = zxingcpp.read_barcodes(page_images(pdf, dpi=150)[0], formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in qr] == [document_qr_payload(doc)]
    assert document_qr_payload(doc).startswith(f"CHARTER-AS-FLOWN|RF0001|{BASE.revision}|")


def test_the_hash_covers_boarding_and_strikes_but_not_who_printed() -> None:
    doc = _doc()
    assert document_sha256(dataclasses.replace(doc, printed_by="x", printed_at=None)) == document_sha256(doc)
    fewer = dataclasses.replace(doc, struck=doc.struck[1:])
    assert document_sha256(fewer) != document_sha256(doc)
    case = next(iter(doc.boarded))
    moved = dict(doc.boarded, **{case: BoardingInfo("HOU", CLOSED)})
    assert document_sha256(dataclasses.replace(doc, boarded=moved)) != document_sha256(doc)
    assert document_sha256(_doc(1)) != document_sha256(doc)


def test_handover_receipt_has_the_stops_people_and_signature_blocks() -> None:
    doc = _doc(2)
    pdf = _pdf(doc)
    text = re.sub(r"\s+", " ", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    stop = doc.manifest.stops[0]
    assert f"Handover receipt — stop 2 {stop.airport}" in text
    for row in stop.rows:
        assert row.case_number in text
    others = [r.case_number for s in BASE.stops if s.sequence != 2 for r in s.rows]
    assert not any(c in text for c in others)
    assert text.count("Rank / position:") == 3 and "Signature:" in text
    assert f"Received by (official of {stop.country})" in text
    assert f"SHA-256 {document_sha256(doc)}" in text
    assert document_qr_payload(doc).startswith("CHARTER-HANDOVER|RF0001|2|")


def test_output_is_deterministic() -> None:
    assert _pdf(_doc()) == _pdf(_doc())
