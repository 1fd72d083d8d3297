"""The manifest preview opens at a readable zoom (100 %), not fitted into the narrow preview pane
(where a landscape A4 manifest shrank to a thumbnail) — issue 13."""

from __future__ import annotations

import io

from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from ui.screens.manifests.preview import INITIAL_ZOOM, ManifestPreview

WAIT = 10_000


def _landscape_pdf(pages: int = 2) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=landscape(A4))
    for n in range(pages):
        pdf.setFont("Helvetica", 7)
        pdf.drawString(40, 500, f"Case number A300000001 — page {n + 1}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def test_the_preview_opens_at_100_percent_in_a_narrow_pane(qtbot) -> None:
    preview = ManifestPreview()
    qtbot.addWidget(preview)
    preview.resize(620, 600)  # the preview pane of a 1360-pixel window
    preview.show()
    preview.load(_landscape_pdf(), "DM0001 revision 1")
    qtbot.waitUntil(lambda: preview.pdf_document.status() == QPdfDocument.Status.Ready, timeout=WAIT)
    view = preview.pdf_view
    assert INITIAL_ZOOM == 1.0
    assert view.zoomMode() == QPdfView.ZoomMode.Custom and view.zoomFactor() == 1.0
    assert preview.zoom.currentData() == 1.0 and preview.zoom.currentText() == "100%"
    # At 100 % the landscape page is wider than the pane: it scrolls instead of shrinking.
    qtbot.waitUntil(lambda: view.horizontalScrollBar().maximum() > 0, timeout=WAIT)
    # The zoom chosen stays for the next document; the steps still work from 100 %.
    preview.zoom_step(1)
    preview.load(_landscape_pdf(1), "DM0002 revision 1")
    qtbot.waitUntil(lambda: preview.pdf_document.status() == QPdfDocument.Status.Ready, timeout=WAIT)
    assert view.zoomFactor() == 1.25 and preview.zoom.currentData() == 1.25
    preview.zoom.setCurrentIndex(preview.zoom.findData("width"))
    assert view.zoomMode() == QPdfView.ZoomMode.FitToWidth
