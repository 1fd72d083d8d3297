"""PAdES signature with a PKCS#12 key, and the manifest commands of the CLI."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.entrypoints.cli import main as cli
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from planner.services.manifests.paxlst import parse_paxlst
from planner.services.manifests.signing import FIELD_NAME
from tests.conftest import USER_PASSWORD, add_user
from tests.integration.manifests.world import T0, World

P12_PASSWORD = b"p12-secret"


def _self_signed_p12(name: str = "Sam Supervisor") -> tuple[bytes, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"sam", key, cert, None, serialization.BestAvailableEncryption(P12_PASSWORD)
    )
    return data, cert


def _world(ctx: AppContext) -> World:
    world = World(ctx).setup()
    for i in range(3):
        world.person(f"A{10000001 + i}", "CHN")
    world.plan(dict.fromkeys(world.person_ids, 1))
    return world


def test_pades_signature_validates_and_is_stored(
    ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor
) -> None:
    _world(ctx)
    p12, cert = _self_signed_p12()
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="PKCS#12"):
        manifests.sign_manifest(uow, signer, "RF0001", p12=p12, p12_password=b"wrong", now=T0)
    with ctx.uow() as uow:
        info = manifests.sign_manifest(uow, signer, "RF0001", p12=p12, p12_password=P12_PASSWORD, now=T0)
    assert info.status == "SIGNED" and info.pades_signed
    with ctx.uow(write=False) as uow:
        pdf = manifests.manifest_pdf(uow, officer, "RF0001")

    reader = PdfFileReader(io.BytesIO(pdf))
    [sig] = reader.embedded_signatures
    assert sig.field_name == FIELD_NAME
    root = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    trust = ValidationContext(trust_roots=[root])
    status = validate_pdf_signature(sig, trust)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.bottom_line
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"

    # Visible: the widget has a non-empty box on the last page; the page still reads as the manifest.
    pages = PdfReader(io.BytesIO(pdf)).pages
    widgets = [a.get_object() for a in pages[-1].get("/Annots", [])]
    [widget] = [w for w in widgets if w.get("/T") == FIELD_NAME]
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    assert x2 - x1 > 100 and y2 - y1 > 20
    assert "SIGNED" in pages[0].extract_text() and info.sha256 in pages[0].extract_text()


@pytest.fixture
def cli_db(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``--db`` value of ``ctx`` (an SQLite path or a PostgreSQL URL), with two users."""
    add_user(ctx, "olivia", Role.OFFICER)
    add_user(ctx, "sam", Role.SUPERVISOR)
    add_user(ctx, "sue", Role.SUPERVISOR)  # four eyes: sam approves, sue signs
    monkeypatch.setenv("CHARTER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    return ctx.settings.database


def _as(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    monkeypatch.setenv("CHARTER_USER", user)


def test_cli_manifest_approve_sign_check_paxlst(
    cli_db: str,
    ctx: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    world = _world(ctx)
    _as(monkeypatch, "olivia")
    out = tmp_path / "rf0001.pdf"
    assert cli.run(["--db", cli_db, "manifest", "RF0001", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "RF0001 revision 1 DRAFT (new), 3 persons" in printed
    digest = re.search(r"SHA-256 ([0-9a-f]{64})", printed).group(1)
    assert "DRAFT" in PdfReader(out).pages[0].extract_text()

    assert cli.run(["--db", cli_db, "approve", "RF0001"]) == 1  # officer: refused
    assert "may not approve" in capsys.readouterr().err
    assert cli.run(["--db", cli_db, "paxlst", "RF0001", "--out", str(tmp_path / "x.edi")]) == 2
    assert "approve it before" in capsys.readouterr().err

    _as(monkeypatch, "sam")
    assert cli.run(["--db", cli_db, "approve", "RF0001"]) == 0
    assert "APPROVED" in capsys.readouterr().out
    p12, _ = _self_signed_p12()
    (tmp_path / "sue.p12").write_bytes(p12)
    monkeypatch.setenv("CHARTER_P12_PASSWORD", P12_PASSWORD.decode())
    sign = ["--db", cli_db, "sign", "RF0001", "--p12", str(tmp_path / "sue.p12")]
    assert cli.run(sign) == 1  # sam approved it: four eyes
    assert "you approved revision 1; another supervisor must sign it" in capsys.readouterr().err
    _as(monkeypatch, "sue")
    assert cli.run(sign) == 0
    assert "SIGNED by sue with a PAdES signature" in capsys.readouterr().out
    assert cli.run(["--db", cli_db, "manifest", "RF0001", "--out", str(out)]) == 0
    assert "revision 1 SIGNED, 3 persons" in capsys.readouterr().out
    assert len(PdfFileReader(io.BytesIO(out.read_bytes())).embedded_signatures) == 1

    edi = tmp_path / "rf0001.edi"
    monkeypatch.setenv("CHARTER_PAXLST_SENDER", "สำนักงาน")  # Thai: no UNOA transliteration (Han is pinyin)
    assert cli.run(["--db", cli_db, "paxlst", "RF0001", "--out", str(edi)]) == 2
    assert "sender" in capsys.readouterr().err and not edi.exists()
    monkeypatch.setenv("CHARTER_PAXLST_SENDER", "OFFICE 42")
    assert cli.run(["--db", cli_db, "paxlst", "RF0001", "--out", str(edi)]) == 0
    assert "'UNB+UNOA:4+OFFICE 42+" in edi.read_text()
    cnt = next(s for s in parse_paxlst(edi.read_text()) if s.tag == "CNT")
    assert cnt.element(0, 1) == "3"

    # manifest check: current (0), superseded (0), unknown (1) — and says which.
    assert cli.run(["--db", cli_db, "manifest", "check", "RF0001", "--hash", digest]) == 0
    assert "current revision 1" in capsys.readouterr().out
    world.plan({c: 1 for c in world.person_ids if c != "A10000003"})
    _as(monkeypatch, "olivia")
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, world_actor("olivia"), "RF0001", now=T0)
    _as(monkeypatch, "sam")
    assert cli.run(["--db", cli_db, "approve", "RF0001"]) == 0
    capsys.readouterr()
    assert cli.run(["--db", cli_db, "manifest", "check", "RF0001", "--hash", digest]) == 0
    assert "SUPERSEDED: revision 1" in capsys.readouterr().out
    assert cli.run(["--db", cli_db, "manifest", "check", "RF0001", "--hash", "ab" * 32]) == 1
    assert "UNKNOWN" in capsys.readouterr().out
    assert cli.run(["--db", cli_db, "manifest", "check", "RF0001"]) == 2
    assert cli.run(["--db", cli_db, "manifest", "RF0001"]) == 2
    assert cli.run(["--db", cli_db, "manifest", "RF9999", "--out", str(out)]) == 1


def world_actor(username: str) -> Actor:
    return Actor(username, Role.OFFICER, username)
