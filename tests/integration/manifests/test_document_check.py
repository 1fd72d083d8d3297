"""Documents check themselves (issue 14): an edited ``content_json`` row is refused by every reader,
audited once each; ``manifest check FLIGHT --pdf FILE`` finds an edited page, an edited embedded
content file, and says when a PDF carries no manifest content. Both backends."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from planner.domain.enums import Role
from planner.entrypoints.cli import main as cli
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Boarding, Flight, Manifest
from planner.services.auth import Actor
from planner.services.departure.boarding import board
from planner.services.departure.strike import strike
from planner.services.manifests import workflow as manifests
from planner.services.manifests.batch import render_all_manifests
from planner.services.manifests.boarding_cards import boarding_cards_pdf
from planner.services.manifests.document_check import check_document
from planner.services.manifests.flown import as_flown_manifest, handover_receipt
from planner.services.manifests.pdf_common import CONTENT_FILE_NAME
from planner.services.manifests.revisions import ManifestTampered
from tests.conftest import USER_PASSWORD, add_user
from tests.integration.manifests.test_signing_and_cli import P12_PASSWORD, _self_signed_p12
from tests.integration.manifests.world import DEPARTURE, T0, World

CASES = ["A10000001", "A10000002", "A10000003"]


def _approved(ctx: AppContext) -> World:
    """RF0001 with three people, prepared by ``olivia``, approved by ``sam``."""
    world = World(ctx).setup()
    for case in CASES:
        world.person(case, "CHN")
    world.plan(dict.fromkeys(CASES, 1))
    officer = add_user(ctx, "olivia", Role.OFFICER)
    supervisor = add_user(ctx, "sam", Role.SUPERVISOR)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    return world


def _passport(world: World, case: str) -> str:
    return f"E{world.person_ids[case]:08d}"


def _events(ctx: AppContext) -> list[tuple[str, str, str]]:
    """(action, entity id, changes JSON) of every audit event, oldest first."""
    with ctx.uow(write=False) as uow:
        return [
            tuple(row)
            for row in uow.session.execute(
                sa.select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.changes_json).order_by(
                    AuditEvent.id
                )
            ).all()
        ]


def _tamper_row(ctx: AppContext, world: World) -> str:
    """As an attacker with the database: change a passport number in the stored content, raw SQL."""
    with ctx.uow() as uow:
        text = uow.session.execute(
            sa.text("select content_json from manifest where flight_id = :f"), {"f": world.flight_id}
        ).scalar_one()
        edited = text.replace(_passport(world, "A10000002"), "E99999999")
        assert edited != text
        uow.session.execute(
            sa.text("update manifest set content_json = :j where flight_id = :f"),
            {"j": edited, "f": world.flight_id},
        )
        uow.commit()
    return edited


def test_an_edited_content_row_is_refused_by_every_reader_audited_once_each(
    ctx: AppContext, cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    world = _approved(ctx)
    officer = Actor("olivia", Role.OFFICER, "olivia")
    signer = add_user(ctx, "sue", Role.SUPERVISOR)
    with ctx.uow(write=False) as uow:
        honest_pdf = manifests.manifest_pdf(uow, officer, "RF0001")
    edited = _tamper_row(ctx, world)

    def refused(call: object) -> None:
        before = _events(ctx)
        with pytest.raises(ManifestTampered) as caught:
            call()  # type: ignore[operator]
        message = str(caught.value)
        assert "\n" not in message and "revision 1 of RF0001 was altered" in message
        after = _events(ctx)
        assert len(after) == len(before) + 1
        action, entity_id, changes = after[-1]
        assert (action, entity_id) == ("manifest.tampered", "RF0001")
        [detail] = json.loads(changes)["revisions"]
        assert detail["revision"] == 1 and len(detail["stored_sha256"]) == 64
        with ctx.uow(write=False) as uow:  # nothing else changed
            row = uow.session.execute(sa.select(Manifest)).scalar_one()
            assert (row.status, row.content_json) == ("APPROVED", edited)

    def in_uow(service: object, *args: object, **kwargs: object) -> object:
        def call() -> object:
            with ctx.uow() as uow:
                return service(uow, *args, **kwargs)  # type: ignore[operator]

        return call

    refused(in_uow(manifests.manifest_pdf, officer, "RF0001"))
    refused(in_uow(manifests.manifest_content, officer, "RF0001"))
    with ctx.uow(write=False) as uow:
        digest = manifests.current_manifest(uow, officer, "RF0001").sha256
    refused(in_uow(manifests.check_manifest_hash, officer, "RF0001", digest))
    refused(in_uow(manifests.export_paxlst, officer, "RF0001", now=T0))
    refused(in_uow(boarding_cards_pdf, officer, "RF0001"))
    p12, _ = _self_signed_p12()
    refused(in_uow(manifests.sign_manifest, signer, "RF0001", p12=p12, p12_password=P12_PASSWORD, now=T0))
    refused(in_uow(manifests.sign_manifest, signer, "RF0001", now=T0))
    refused(lambda: render_all_manifests(ctx, officer, tmp_path / "batch", now=T0, workers=1))
    assert not list((tmp_path / "batch").glob("*.pdf"))
    refused(in_uow(check_document, officer, "RF0001", honest_pdf))
    (tmp_path / "honest.pdf").write_bytes(honest_pdf)
    before = [a for a, _e, _c in _events(ctx)].count("manifest.tampered")
    code = cli.run(["--db", cli_db, "manifest", "check", "RF0001", "--pdf", str(tmp_path / "honest.pdf")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "was altered outside the program" in err[0]
    after = [a for a, _e, _c in _events(ctx)].count("manifest.tampered")
    assert after == before + 1  # a read-only unit of work commits the refusal too
    at_gate = DEPARTURE - timedelta(hours=2)
    refused(in_uow(board, officer, "RF0001", ["A10000001"], now=at_gate))
    refused(in_uow(strike, officer, "RF0001", "A10000001", "NO_SHOW", "did not come", now=at_gate))

    with ctx.uow() as uow:  # after the departure: the as-flown manifest and receipts refuse too
        uow.session.add(
            Boarding(
                flight_id=world.flight_id,
                person_id=world.person_ids["A10000001"],
                airport="IAH",
                boarded_by="olivia",
                boarded_at=DEPARTURE - timedelta(hours=1),
            )
        )
        flight = uow.session.get(Flight, world.flight_id)
        flight.closed_at, flight.closed_by = DEPARTURE - timedelta(minutes=30), "sam"
        flight.status, flight.departed_at = "DEPARTED", DEPARTURE
        uow.commit()
    refused(in_uow(as_flown_manifest, officer, "RF0001"))
    refused(in_uow(handover_receipt, officer, "RF0001", "PEK"))
    with ctx.uow(write=False) as uow:
        assert audit.verify_chain(uow).ok


# ---------------------------------------------------------------------------------------------
# manifest check --pdf


@pytest.fixture
def cli_db(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CHARTER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    monkeypatch.setenv("CHARTER_USER", "olivia")
    return ctx.settings.database


def _check(capsys: pytest.CaptureFixture, db: str, path: Path) -> tuple[int, str, str]:
    code = cli.run(["--db", db, "manifest", "check", "RF0001", "--pdf", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _edit_page_text(pdf: bytes, old: str, new: str) -> bytes:
    """The PDF with ``old`` replaced by ``new`` in the first page's text (pypdf), attachment kept."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    data = writer.pages[0].get_contents().get_data()
    assert old.encode() in data
    stream = DecodedStreamObject()
    stream.set_data(data.replace(old.encode(), new.encode()))
    writer.pages[0].replace_contents(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _edit_attachment(pdf: bytes, old: str, new: str) -> bytes:
    """The PDF with ``old`` replaced by ``new`` in the embedded content file only."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == CONTENT_FILE_NAME
    stream = names[1].get_object()["/EF"][NameObject("/F")].get_object()
    data = stream.get_data()
    assert old.encode() in data
    stream.set_data(data.replace(old.encode(), new.encode()))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_manifest_check_pdf_finds_edited_pages_and_attachments(
    ctx: AppContext, cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    world = _approved(ctx)
    passport = _passport(world, "A10000002")
    original = tmp_path / "rf0001.pdf"
    assert cli.run(["--db", cli_db, "manifest", "RF0001", "--out", str(original)]) == 0
    capsys.readouterr()
    assert CONTENT_FILE_NAME in PdfReader(original).attachments

    code, out, _ = _check(capsys, cli_db, original)
    assert code == 0 and out.startswith(
        "MATCHES: this PDF is the manifest of RF0001 revision 1 (APPROVED)"
    ), out

    # the passport number changed on the page only: the attachment still matches, the text does not
    page_edit = tmp_path / "page.pdf"
    page_edit.write_bytes(_edit_page_text(original.read_bytes(), passport, "E77777777"))
    assert "E77777777" in PdfReader(page_edit).pages[0].extract_text()
    code, out, _ = _check(capsys, cli_db, page_edit)
    assert code == 1 and out.startswith("DIFFERS")
    lines = [line for line in out.splitlines() if "DIFFERENCE" in line]
    assert lines == [f"  DIFFERENCE page 1 text: stored {passport!r}, in the file 'E77777777'"]

    # the passport number changed in the embedded content only
    attachment_edit = tmp_path / "attachment.pdf"
    attachment_edit.write_bytes(_edit_attachment(original.read_bytes(), passport, "E66666666"))
    code, out, _ = _check(capsys, cli_db, attachment_edit)
    assert code == 1
    assert "DIFFERENCE embedded content hashes to" in out
    assert (
        f"DIFFERENCE stop 1 passenger A10000002 document_number: stored {passport!r}, in the file 'E66666666'"
        in out
    )
    assert "page 1 text" not in out

    # a claimed approval by somebody else is a difference too
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(_edit_attachment(original.read_bytes(), '"approved_by":"sam"', '"approved_by":"eve"'))
    code, out, _ = _check(capsys, cli_db, forged)
    assert code == 1 and "DIFFERENCE approved_by: stored 'sam', in the file 'eve'" in out

    # not a manifest: boarding cards carry no content; not a PDF at all
    with ctx.uow(write=False) as uow:
        cards, _ = boarding_cards_pdf(uow, Actor("olivia", Role.OFFICER, "olivia"), "RF0001")
    (tmp_path / "cards.pdf").write_bytes(cards)
    code, out, err = _check(capsys, cli_db, tmp_path / "cards.pdf")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "charter-planner: this PDF carries no manifest content "
        "(made before documents carried their content, or not a manifest)"
    ]
    (tmp_path / "notes.pdf").write_bytes(b"hello, not a pdf")
    code, _, err = _check(capsys, cli_db, tmp_path / "notes.pdf")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not a readable PDF" in err
    assert cli.run(["--db", cli_db, "manifest", "check", "RF0001"]) == 2


def test_manifest_check_pdf_of_drafts_and_signed_copies(
    ctx: AppContext, cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    world = World(ctx).setup()
    for case in CASES:
        world.person(case, "CHN")
    world.plan(dict.fromkeys(CASES, 1))
    add_user(ctx, "olivia", Role.OFFICER)
    sam = add_user(ctx, "sam", Role.SUPERVISOR)
    sue = add_user(ctx, "sue", Role.SUPERVISOR)
    draft = tmp_path / "draft.pdf"
    assert cli.run(["--db", cli_db, "manifest", "RF0001", "--out", str(draft)]) == 0
    p12, _ = _self_signed_p12()
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, sam, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.sign_manifest(uow, sue, "RF0001", p12=p12, p12_password=P12_PASSWORD, now=T0)
    signed = tmp_path / "signed.pdf"
    assert cli.run(["--db", cli_db, "manifest", "RF0001", "--out", str(signed)]) == 0
    capsys.readouterr()

    # a draft printed before approval still matches, and says it was a draft
    code, out, _ = _check(capsys, cli_db, draft)
    assert code == 0 and "(SIGNED)" in out and "note: printed while DRAFT; the revision is now SIGNED" in out

    code, out, _ = _check(capsys, cli_db, signed)
    assert code == 0, out
    assert "signature SupervisorSignature: intact and covers the whole file" in out
    assert "note: byte for byte the stored signed file" in out

    # the signed copy, edited and rewritten with pypdf: the text differs and the signature is broken
    edited = tmp_path / "signed-edited.pdf"
    edited.write_bytes(_edit_page_text(signed.read_bytes(), _passport(world, "A10000003"), "E55555555"))
    code, out, _ = _check(capsys, cli_db, edited)
    assert code == 1 and "in the file 'E55555555'" in out
    assert "covers the whole file" not in out


def test_the_window_checks_a_pdf(qtbot, ctx: AppContext, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.screens.manifests.pdf_check import MATCH_COLOUR, PdfCheckDialog

    world = _approved(ctx)
    officer = Actor("olivia", Role.OFFICER, "olivia")
    with ctx.uow(write=False) as uow:
        pdf = manifests.manifest_pdf(uow, officer, "RF0001")
    (tmp_path / "ok.pdf").write_bytes(pdf)
    passport = _passport(world, "A10000001")
    (tmp_path / "edited.pdf").write_bytes(_edit_page_text(pdf, passport, "E44444444"))
    dialog = PdfCheckDialog(ctx, officer, "rf0001")
    qtbot.addWidget(dialog)
    dialog.show()

    def check(name: str) -> str:
        dialog._ask_pdf = lambda: str(tmp_path / name)  # type: ignore[method-assign]
        dialog.browse()
        qtbot.waitUntil(lambda: dialog.answer.text() not in ("", "Checking…"), timeout=30_000)
        return dialog.answer.text()

    assert check("ok.pdf").startswith("MATCHES") and MATCH_COLOUR in dialog.answer.styleSheet()
    assert dialog.flight.text() == "RF0001"
    assert check("edited.pdf").startswith("DIFFERS")
    assert (
        f"DIFFERENCE page 1 text: stored {passport!r}, in the file 'E44444444'"
        in dialog.details.toPlainText()
    )
    dialog.grab().save(str(tmp_path / "dialog.png"))
    (tmp_path / "missing.pdf").unlink(missing_ok=True)
    assert "No such file" in check("missing.pdf") and dialog.checked is None


def test_as_flown_and_handover_pdfs_check_against_the_audit_log(ctx: AppContext) -> None:
    world = _approved(ctx)
    officer = Actor("olivia", Role.OFFICER, "olivia")
    with ctx.uow() as uow:
        for case in CASES:
            uow.session.add(
                Boarding(
                    flight_id=world.flight_id,
                    person_id=world.person_ids[case],
                    airport="IAH",
                    boarded_by="olivia",
                    boarded_at=DEPARTURE - timedelta(hours=1),
                )
            )
        flight = uow.session.get(Flight, world.flight_id)
        flight.closed_at, flight.closed_by = DEPARTURE - timedelta(minutes=30), "sam"
        flight.status, flight.departed_at = "DEPARTED", DEPARTURE
        uow.commit()
    with ctx.uow() as uow:
        flown = as_flown_manifest(uow, officer, "RF0001", now=DEPARTURE)
    with ctx.uow() as uow:
        receipt = handover_receipt(uow, officer, "RF0001", "PEK", now=DEPARTURE)
    for document, kind in ((flown, "as-flown"), (receipt, "handover")):
        with ctx.uow(write=False) as uow:
            result = check_document(uow, officer, "RF0001", document.pdf)
        assert result.matches and result.kind == kind and result.sha256 == document.sha256, result
    forged = _edit_attachment(flown.pdf, _passport(world, "A10000003"), "E33333333")
    with ctx.uow(write=False) as uow:
        result = check_document(uow, officer, "RF0001", forged)
    assert not result.matches
    assert result.differences[0].startswith("embedded content hashes to")
    assert "no manifest.as_flown of RF0001 in the audit log has the hash" in result.differences[1]


def test_a_row_rewritten_with_its_hash_is_caught_by_the_audited_hash(ctx: AppContext, tmp_path: Path) -> None:
    """The attacker also recomputes the row's ``sha256``: the ``manifest.prepare`` event still
    holds the hash the revision was made with."""
    world = _approved(ctx)
    officer = Actor("olivia", Role.OFFICER, "olivia")
    edited = _tamper_row(ctx, world)
    from planner.services.manifests.content import content_from_json, content_sha256

    recomputed = content_sha256(content_from_json(edited))
    with ctx.uow() as uow:
        uow.session.execute(
            sa.text("update manifest set sha256 = :h where flight_id = :f"),
            {"h": recomputed, "f": world.flight_id},
        )
        uow.commit()
    for call in (
        lambda uow: manifests.manifest_pdf(uow, officer, "RF0001"),
        lambda uow: manifests.export_paxlst(uow, officer, "RF0001", now=T0),
    ):
        with ctx.uow() as uow, pytest.raises(ManifestTampered, match="is not the audited"):
            call(uow)
    with pytest.raises(ManifestTampered, match="is not the audited"):
        render_all_manifests(ctx, officer, tmp_path / "batch", now=T0, workers=1)
    assert [a for a, _e, _c in _events(ctx)].count("manifest.tampered") == 3
