"""PAdES signature of a manifest PDF with pyHanko, from a PKCS#12 key file.

The signature is a PAdES baseline (``/ETSI.CAdES.detached``, SHA-256) in a new, visible signature
field named :data:`FIELD_NAME` on the last page, placed over the "Signed by (supervisor)" block when
that block can be located (with pypdf, when installed) and otherwise in the lower left corner of
the last page above the footer. No timestamp authority and no revocation data are involved (an
office without network access can sign); validators therefore report the signing time as claimed
by the signer.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from io import BytesIO

log = logging.getLogger(__name__)

#: Name of the signature field added to the manifest.
FIELD_NAME = "SupervisorSignature"
#: Size of the visible signature box, in PDF points.
BOX_WIDTH, BOX_HEIGHT = 185, 30
#: Fallback lower-left corner of the box on the last page (above the footer).
FALLBACK_ORIGIN = (40, 120)


class SigningError(ValueError):
    """The key file could not be read or the PDF could not be signed."""


@dataclass(frozen=True)
class SignedPdf:
    """The signed file and who signed it (certificate subject and SHA-256 of the DER certificate)."""

    pdf: bytes
    subject: str
    certificate_sha256: str


def _signature_box(pdf: bytes) -> tuple[int, tuple[int, int, int, int]]:
    """(last page index, box) — over the "Signed by" block when it can be found."""
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is a test dependency
        return -1, (*FALLBACK_ORIGIN, FALLBACK_ORIGIN[0] + BOX_WIDTH, FALLBACK_ORIGIN[1] + BOX_HEIGHT)
    reader = PdfReader(BytesIO(pdf))
    last = len(reader.pages) - 1
    found: list[tuple[float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if "Signed by" in text:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((x, y))

    try:
        reader.pages[last].extract_text(visitor_text=visit)
    except Exception:  # pragma: no cover - any extraction trouble: use the fallback
        log.debug("could not locate the signature block", exc_info=True)
    if not found:
        return last, (*FALLBACK_ORIGIN, FALLBACK_ORIGIN[0] + BOX_WIDTH, FALLBACK_ORIGIN[1] + BOX_HEIGHT)
    x, y = found[-1]
    # The block (see planner.services.manifests.pdf): heading 16 pt, Name 18, Date 18, then the 34 pt
    # "Signature:" row, i.e. from about y - 75 to y - 41 below the heading's baseline y. Sit inside
    # that row, right of the label, within the 258 pt wide cell.
    left, bottom = int(x + 55), int(y - 73)
    return last, (left, bottom, left + BOX_WIDTH, bottom + BOX_HEIGHT)


def pades_sign(
    pdf: bytes, p12: bytes, password: bytes | None, *, signer_name: str, reason: str, location: str = ""
) -> SignedPdf:
    """Sign ``pdf`` with the key and certificate in the PKCS#12 bytes ``p12``.

    Raises :class:`SigningError` when the key file or password is wrong.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    try:
        signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[], passphrase=password)
    except Exception as exc:
        raise SigningError(f"cannot read the PKCS#12 key file: {exc}") from exc
    if signer is None or signer.signing_cert is None:
        raise SigningError("cannot read the PKCS#12 key file (wrong password?)")
    page, box = _signature_box(pdf)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        name=signer_name,
        location=location or None,
    )
    stamp = TextStampStyle(stamp_text="Digitally signed by %(signer)s\n%(ts)s", border_width=1)
    spec = fields.SigFieldSpec(FIELD_NAME, on_page=page, box=box)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    out = BytesIO()
    try:
        signers.PdfSigner(meta, signer, stamp_style=stamp, new_field_spec=spec).sign_pdf(writer, output=out)
    except Exception as exc:
        raise SigningError(f"could not sign the manifest PDF: {exc}") from exc
    cert = signer.signing_cert
    return SignedPdf(
        pdf=out.getvalue(),
        subject=cert.subject.human_friendly,
        certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
    )
