"""The manifest PDF: text, fonts, QR code, page numbering, watermark."""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from planner.services.manifests.content import (
    ManifestContent,
    content_sha256,
    parse_qr_payload,
    qr_payload,
)
from planner.services.manifests.pdf import display_text, render_manifest_pdf
from tests.unit.manifests.sample import sample_manifest

BIG = sample_manifest(300, status="DRAFT")


def _render(content: ManifestContent) -> bytes:
    out = io.BytesIO()
    render_manifest_pdf(content, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def big_pdf() -> bytes:
    return _render(BIG)


@pytest.fixture(scope="module")
def big_reader(big_pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(big_pdf))


@pytest.fixture(scope="module")
def big_pages_text(big_reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in big_reader.pages]


def _squash(text: str) -> str:
    """Whitespace removed (names wrap inside cells) and NFKC applied (Arabic presentation forms)."""
    return unicodedata.normalize("NFKC", re.sub(r"\s+", "", text))


def test_every_person_is_on_the_pdf(big_pages_text: list[str]) -> None:
    text = _squash("".join(big_pages_text))
    missing = []
    for stop in BIG.stops:
        for row in stop.rows:
            names = [row.case_number, row.family_name, row.given_names, row.document_number]
            if row.native_name:
                names.append(row.native_name)
            missing += [(row.case_number, n) for n in names if _squash(n) not in text]
    assert not missing, missing[:10]


def test_scripts_are_extractable(big_pages_text: list[str]) -> None:
    text = "".join(big_pages_text)
    hanzi = next(r.native_name for s in BIG.stops for r in s.rows if s.country == "CHN")
    cyrillic = next(r.native_name for s in BIG.stops for r in s.rows if s.country == "RUS")
    arabic = next(r.native_name for s in BIG.stops for r in s.rows if s.country == "IRQ")
    assert hanzi in text
    assert cyrillic.split()[0] in text
    # Arabic is drawn as shaped presentation forms in visual order; pypdf gives them back in
    # logical order and NFKC folds the presentation forms back to the letters.
    assert display_text(arabic) != arabic
    assert unicodedata.normalize("NFKC", arabic) in unicodedata.normalize("NFKC", text)
    assert "Ó Séaghdha" in text or "ÓSéaghdha" in _squash(text)


def test_fonts_are_embedded_subsets(big_reader: PdfReader) -> None:
    seen: dict[str, bool] = {}
    for page in big_reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            base = str(font["/BaseFont"])
            if font["/Subtype"] == "/Type0":
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            else:
                descriptor = font["/FontDescriptor"].get_object()
            seen[base] = "/FontFile2" in descriptor
    assert seen and all(seen.values()), seen
    assert all(re.match(r"^/?[A-Z]{6}\+", name) for name in seen), seen
    families = {name.split("+", 1)[1] for name in seen}
    assert any("DejaVuSans" in f for f in families) and any("Droid" in f for f in families), families


def test_page_n_of_n_on_every_page(big_pages_text: list[str]) -> None:
    total = len(big_pages_text)
    assert total >= 10
    for number, text in enumerate(big_pages_text, start=1):
        assert f"Page {number} of {total}" in text


def test_hash_on_every_page_and_qr_decodes(big_reader: PdfReader, big_pages_text: list[str]) -> None:
    import zxingcpp  # test extra: zxing-cpp

    digest = content_sha256(BIG)
    assert all(f"SHA-256 {digest}" in text for text in big_pages_text)
    for page in (big_reader.pages[0], big_reader.pages[-1]):
        images = page.images
        assert len(images) == 1
        image = images[0].image.convert("L")
        results = zxingcpp.read_barcodes(image.resize((image.width * 3, image.height * 3)))
        assert [r.text for r in results] == [qr_payload(BIG)]
        assert parse_qr_payload(results[0].text) == ("RF0001", 3, digest)


def _watermark_sizes(reader: PdfReader) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []

    def visit(text: str, _cm: object, tm: list[float], _font: object, size: float) -> None:
        if text.strip() and size >= 50:
            found.append((text.strip(), size))

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    return found


def test_draft_watermark_only_while_draft(big_reader: PdfReader) -> None:
    draft_marks = _watermark_sizes(big_reader)
    assert len(draft_marks) == len(big_reader.pages)
    assert {text for text, _ in draft_marks} == {"DRAFT"}
    for status in ("APPROVED", "SIGNED"):
        reader = PdfReader(io.BytesIO(_render(sample_manifest(30, status=status))))
        assert _watermark_sizes(reader) == []
    superseded = dataclasses.replace(sample_manifest(30, status="SIGNED"), status="SUPERSEDED")
    reader = PdfReader(io.BytesIO(_render(superseded)))
    assert {text for text, _ in _watermark_sizes(reader)} == {"SUPERSEDED"}


def test_header_totals_and_signatures(big_pages_text: list[str]) -> None:
    first, last = big_pages_text[0], big_pages_text[-1]
    assert "RF0001" in first and "Example Air Charter" in first and "Boeing 767-300ER" in first
    assert _squash("2025-07-14 09:30 UTC\u221204:00 (America/New_York)") in _squash(first)
    assert "EDT" not in first  # an offset, never an abbreviation
    assert "Stop 1: PEK Beijing Capital International (CHN)" in first
    assert "Flight totals" in last and "Flight RF0001 — total" in last
    assert re.search(r"Flight RF0001 — total\s+300\b", last)
    for label in ("Prepared by (officer)", "Approved by (supervisor)", "Signed by (supervisor)"):
        assert label in last
    assert "Olivia Officer" in last
    # continuation pages name the stop they continue
    assert any("(continued)" in text for text in big_pages_text[1:])


def test_signed_manifest_shows_who_signed_and_when() -> None:
    signed = sample_manifest(12, status="SIGNED")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(_render(signed))).pages)
    assert "Sam Supervisor" in text and "2025-07-03 11:00 UTC" in text and "2025-07-02 10:00 UTC" in text


def test_output_is_deterministic_and_path_output_works(tmp_path: Path) -> None:
    small = sample_manifest(20)
    first = _render(small)
    assert _render(small) == first
    target = tmp_path / "m.pdf"
    render_manifest_pdf(small, target)
    assert target.read_bytes() == first
    assert first.startswith(b"%PDF")


def test_missing_font_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        render_manifest_pdf(sample_manifest(2), tmp_path / "x.pdf", font_dir=tmp_path)
    assert not (tmp_path / "x.pdf").exists()


def test_empty_stop_renders() -> None:
    empty = dataclasses.replace(BIG, stops=(dataclasses.replace(BIG.stops[0], rows=()),))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(_render(empty))).pages)
    assert "Nobody is manifested for this stop." in text
