"""PDF pages as images, for tests that read barcodes and QR codes off rendered pages.

``pdftoppm`` (poppler) when it is on the PATH, else Qt's PDF renderer (PySide6, which the window
needs anyway), offscreen."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image


def page_images(pdf: bytes, dpi: int = 150) -> list[Image.Image]:
    """Every page of ``pdf`` as a greyscale image on white, at ``dpi``."""
    if shutil.which("pdftoppm"):
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "in.pdf"
            source.write_bytes(pdf)
            subprocess.run(
                ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(Path(folder) / "p")],
                check=True,
            )
            return [Image.open(p).convert("L") for p in sorted(Path(folder).glob("p*.png"))]
    return _qt_pages(pdf, dpi)


def _qt_pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
    from PySide6.QtPdf import QPdfDocument

    _app = QGuiApplication.instance() or QGuiApplication([])
    data = QByteArray(pdf)
    source = QBuffer(data)
    source.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(source)
    images: list[Image.Image] = []
    for index in range(document.pageCount()):
        size = document.pagePointSize(index)
        rendered = document.render(
            index, QSize(round(size.width() * dpi / 72), round(size.height() * dpi / 72))
        )
        page = QImage(rendered.size(), QImage.Format.Format_RGB32)
        page.fill(QColor("white"))
        painter = QPainter(page)
        painter.drawImage(0, 0, rendered)
        painter.end()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        page.save(buffer, "PNG")
        images.append(Image.open(io.BytesIO(bytes(buffer.data()))).convert("L"))
    document.close()
    return images
