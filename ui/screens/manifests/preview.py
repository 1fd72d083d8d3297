"""The Manifests screen's PDF preview (QtPdf): a message while there is nothing to show, the pages,
page navigation, zoom (Ctrl++ / Ctrl+-), and printing the loaded document.

It opens at ``INITIAL_ZOOM`` (100 %: the manifest's 7-point table text stays readable; fitting the
landscape page into the preview pane's width shrank it to a thumbnail); the zoom chosen is kept for
the next document shown.

``load(data, label)`` shows PDF bytes (read from a ``QBuffer`` on the GUI thread);
``status_changed`` is emitted after the document became ready (or failed), so the screen can
update its actions. GUI thread only; printing renders pages on the GUI thread (a few pages; kept
simple on purpose).
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ZOOM_STEPS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
#: The zoom a new preview opens at (one of ``ZOOM_STEPS``).
INITIAL_ZOOM = 1.0
#: Longest side of a page image sent to the printer, in dots per inch.
PRINT_DPI = 300


class ManifestPreview(QWidget):
    """Controls row above a stack of (message | PDF view); see the module docstring."""

    #: The document's status changed (ready, or could not be shown).
    status_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._buffer: QBuffer | None = None
        self.pdf_document = QPdfDocument(self)
        self.pdf_view = QPdfView(self)
        self.pdf_view.setObjectName("manifestPreview")
        self.pdf_view.setDocument(self.pdf_document)
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.pdf_view.setZoomFactor(INITIAL_ZOOM)
        self.pdf_view.setPageSpacing(8)
        self.message = QLabel("Select a flight to see its manifest", self)
        self.message.setObjectName("previewMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #606060; font-size: 11pt")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.pdf_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._controls())
        layout.addWidget(self.stack, 1)
        self.pdf_document.statusChanged.connect(self._status_changed)
        self.pdf_view.pageNavigator().currentPageChanged.connect(self._page_changed)

    def _controls(self) -> QHBoxLayout:
        self.prev_page = QToolButton(self)
        self.prev_page.setText("◀")
        self.prev_page.setToolTip("Previous page (Page Up)")
        self.prev_page.clicked.connect(
            lambda: self.go_to_page(self.pdf_view.pageNavigator().currentPage() - 1)
        )
        self.next_page = QToolButton(self)
        self.next_page.setText("▶")
        self.next_page.setToolTip("Next page (Page Down)")
        self.next_page.clicked.connect(
            lambda: self.go_to_page(self.pdf_view.pageNavigator().currentPage() + 1)
        )
        self.page_box = QSpinBox(self)
        self.page_box.setObjectName("pageNumber")
        self.page_box.setRange(1, 1)
        self.page_box.setKeyboardTracking(False)
        self.page_box.valueChanged.connect(lambda value: self.go_to_page(value - 1))
        self.page_count = QLabel("of 0", self)
        self.zoom = QComboBox(self)
        self.zoom.setObjectName("zoom")
        self.zoom.setToolTip("Zoom (Ctrl++ / Ctrl+-)")
        self.zoom.addItem("Fit width", "width")
        self.zoom.addItem("Fit page", "page")
        for factor in ZOOM_STEPS:
            self.zoom.addItem(f"{factor:.0%}", factor)
        self.zoom.setCurrentIndex(self.zoom.findData(INITIAL_ZOOM))
        self.zoom.currentIndexChanged.connect(self._zoom_changed)
        for text, keys, step in (("Zoom in", ["Ctrl++", "Ctrl+="], 1), ("Zoom out", ["Ctrl+-"], -1)):
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, s=step: self.zoom_step(s))
            self.addAction(action)
        self.label = QLabel("", self)
        self.label.setObjectName("previewLabel")
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addWidget(self.label, 1)
        row.addWidget(self.prev_page)
        row.addWidget(QLabel("Page", self))
        row.addWidget(self.page_box)
        row.addWidget(self.page_count)
        row.addWidget(self.next_page)
        row.addSpacing(12)
        row.addWidget(self.zoom)
        return row

    # ------------------------------------------------------------ content

    def load(self, data: bytes, label: str) -> None:
        """Show the PDF ``data`` (the pages appear once the document is ready) under ``label``."""
        buffer = QBuffer(self)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.close_document()
        self._buffer = buffer
        self.pdf_document.load(buffer)
        self.label.setText(label)

    def close_document(self) -> None:
        self.pdf_document.close()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.deleteLater()
            self._buffer = None
        self.page_box.setRange(1, 1)
        self.page_count.setText("of 0")

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def is_ready(self) -> bool:
        return self.pdf_document.status() == QPdfDocument.Status.Ready

    def _status_changed(self, status: QPdfDocument.Status) -> None:
        if status == QPdfDocument.Status.Ready:
            pages = self.pdf_document.pageCount()
            self.page_box.blockSignals(True)
            self.page_box.setRange(1, max(1, pages))
            self.page_box.setValue(1)
            self.page_box.blockSignals(False)
            self.page_count.setText(f"of {pages}")
            self.stack.setCurrentWidget(self.pdf_view)
            self.go_to_page(0)
        elif status == QPdfDocument.Status.Error:
            self.show_message(f"The PDF could not be shown ({self.pdf_document.error().name})")
        self.status_changed.emit()

    # ------------------------------------------------------------ navigation and zoom

    def go_to_page(self, page: int) -> None:
        pages = self.pdf_document.pageCount()
        if pages <= 0:
            return
        page = max(0, min(page, pages - 1))
        self.pdf_view.pageNavigator().jump(page, QPointF(0, 0), self.pdf_view.zoomFactor())

    def _page_changed(self, page: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(page + 1)
        self.page_box.blockSignals(False)
        self.prev_page.setEnabled(page > 0)
        self.next_page.setEnabled(page + 1 < self.pdf_document.pageCount())

    def _zoom_changed(self, _index: int) -> None:
        value = self.zoom.currentData()
        if value == "width":
            self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        elif value == "page":
            self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitInView)
        else:
            self.pdf_view.setZoomMode(QPdfView.ZoomMode.Custom)
            self.pdf_view.setZoomFactor(float(value))

    def zoom_step(self, step: int) -> None:
        current = self.pdf_view.zoomFactor() if self.pdf_view.zoomMode() == QPdfView.ZoomMode.Custom else 1.0
        if step > 0:
            factor = next((f for f in ZOOM_STEPS if f > current + 1e-6), ZOOM_STEPS[-1])
        else:
            factor = next((f for f in reversed(ZOOM_STEPS) if f < current - 1e-6), ZOOM_STEPS[0])
        self.zoom.setCurrentIndex(self.zoom.findData(factor))

    # ------------------------------------------------------------ printing

    def print_document(self, printer: QPrinter) -> int:
        """Render the loaded document's pages (the printer's page range, default all) onto
        ``printer``; returns the number of pages printed. GUI thread."""
        count = self.pdf_document.pageCount()
        first = max(1, printer.fromPage() or 1) - 1
        last = min(count, printer.toPage() or count) - 1
        painter = QPainter()
        if not painter.begin(printer):
            raise RuntimeError("the printer could not be opened")
        printed = 0
        try:
            for page in range(first, last + 1):
                if printed:
                    printer.newPage()
                area = QRectF(printer.pageLayout().paintRectPixels(printer.resolution()))
                area.moveTo(0, 0)
                size = self.pdf_document.pagePointSize(page)
                scale = min(area.width() / size.width(), area.height() / size.height())
                target = QRectF(0, 0, size.width() * scale, size.height() * scale)
                dpi = min(printer.resolution(), PRINT_DPI)
                image = self.pdf_document.render(
                    page, QSize(round(size.width() * dpi / 72), round(size.height() * dpi / 72))
                )
                painter.drawImage(target, image)
                printed += 1
        finally:
            painter.end()
        return printed


__all__ = ["INITIAL_ZOOM", "ZOOM_STEPS", "ManifestPreview"]
