"""The Manifests screen through pytest-qt on a real SQLite file with demo data and a real plan:
prepare, approve and sign (with and without a PKCS#12 key), the preview, save / print / PAXLST,
refusals, the hash check, filters and sorting, the batch with progress and Cancel — and the audit
event each action leaves."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QLabel, QMessageBox

from planner.demo import generate as demo
from planner.domain.wording import plural
from planner.persistence.context import AppContext
from planner.persistence.models import (
    Assignment,
    AuditEvent,
    Flight,
    FlightStop,
    Person,
    PlanRun,
)
from planner.services import planning
from planner.services.auth import Actor
from planner.services.manifests import workflow as manifests
from ui import operations
from ui.operations import Change
from ui.screens.manifests import NEEDS_SUPERVISOR, ManifestsScreen, parse_printed_hash

WAIT = 20_000
P12_PASSWORD = "p12-secret"


@pytest.fixture
def demo_ctx(ctx: AppContext, admin: Actor) -> AppContext:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=300, flights=8, seed=11)
        uow.commit()
    planning.run_plan(ctx, admin, ctx.settings, time_limit=5)
    return ctx


@pytest.fixture
def screens(qtbot, ctx: AppContext):
    """Screens made by the test; at the end, their background work finishes before they go."""
    made: list[ManifestsScreen] = []
    yield made
    qtbot.waitUntil(lambda: not operations.busy(), timeout=WAIT)
    for screen in made:
        screen.close()
        screen.deleteLater()
    qtbot.wait(10)


def _actions(ctx: AppContext) -> list[str]:
    with ctx.uow(write=False) as uow:
        return list(uow.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def _target(screen: ManifestsScreen) -> str:
    """The flight with people that departs last (its notice cut-off is furthest ahead)."""
    return max(screen.flights.records(), key=lambda r: r.departure_utc).code


@pytest.fixture
def make_screen(qtbot, screens: list[ManifestsScreen]):
    def make(ctx: AppContext, actor: Actor) -> ManifestsScreen:
        screen = ManifestsScreen(ctx, actor)
        screens.append(screen)
        return _open(qtbot, screen)

    return make


def _open(qtbot, screen: ManifestsScreen) -> ManifestsScreen:
    screen.batch_workers = 1
    screen.resize(1360, 820)
    screen.activate()
    qtbot.waitUntil(lambda: screen.flights.rowCount() > 0, timeout=WAIT)
    return screen


def _select(qtbot, screen: ManifestsScreen, code: str) -> None:
    row = next(n for n, r in enumerate(screen.flights.records()) if r.code == code)
    screen.flight_table.selectRow(row)
    qtbot.waitUntil(lambda: screen._flight is not None and screen._flight.code == code, timeout=WAIT)
    qtbot.waitUntil(lambda: screen._revisions_for == code, timeout=WAIT)
    qtbot.waitUntil(lambda: not screen._busy and screen.count_label.text() != "Loading…", timeout=WAIT)


def _wait_newest(qtbot, screen: ManifestsScreen, status: str, revision: int) -> None:
    def shown() -> bool:
        newest = screen._newest()
        return newest is not None and (newest.status, newest.revision) == (status, revision)

    qtbot.waitUntil(shown, timeout=WAIT)
    qtbot.waitUntil(lambda: screen.pdf_ready() and screen._revision.status == status, timeout=WAIT)


def _prepare(qtbot, screen: ManifestsScreen, revision: int = 1) -> None:
    qtbot.waitUntil(screen.prepare_action.isEnabled, timeout=WAIT)
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT) as changed:
        screen.prepare_action.trigger()
    assert changed.args == [Change.MANIFESTS]
    _wait_newest(qtbot, screen, "DRAFT", revision)


def _prepared_by(qtbot, screen: ManifestsScreen, officer: Actor, code: str, revision: int = 1) -> None:
    """Four eyes: ``officer`` prepares the draft (service), the supervisor's ``screen`` shows it."""
    with screen.ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, code)
    screen.reload()
    _select(qtbot, screen, code)
    qtbot.waitUntil(lambda: any(m.revision == revision for m in screen.revisions.records()), timeout=WAIT)
    screen.revision_table.selectRow(
        next(n for n, m in enumerate(screen.revisions.records()) if m.revision == revision)
    )
    _wait_newest(qtbot, screen, "DRAFT", revision)


def _approve(qtbot, screen: ManifestsScreen) -> QMessageBox:
    screen.confirm_box = None
    screen.approve_action.trigger()
    qtbot.waitUntil(lambda: screen.confirm_box is not None and screen.confirm_box.isVisible(), timeout=WAIT)
    return screen.confirm_box


def _error_box(qtbot, screen: ManifestsScreen) -> QMessageBox:
    def boxes() -> list[QMessageBox]:
        return [b for b in screen.findChildren(QMessageBox) if b.isVisible() and b is not screen.confirm_box]

    qtbot.waitUntil(lambda: bool(boxes()), timeout=WAIT)
    return boxes()[-1]


def _self_signed_p12(path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Sam Supervisor")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"sam", key, cert, None, serialization.BestAvailableEncryption(P12_PASSWORD.encode())
        )
    )
    return path


def _drop_one_passenger(ctx: AppContext, code: str) -> str:
    """Change the current plan behind the workflow's back: take one person travelling alone off
    ``code``. Returns their case number."""
    with ctx.uow() as uow:
        s = uow.session
        plan = s.execute(sa.select(PlanRun.id).where(PlanRun.status == "DRAFT")).scalar_one()
        assignment, case = s.execute(
            sa.select(Assignment, Person.case_number)
            .join(Person, Person.id == Assignment.person_id)
            .join(FlightStop, FlightStop.id == Assignment.flight_stop_id)
            .join(Flight, Flight.id == FlightStop.flight_id)
            .where(Assignment.plan_run_id == plan, Flight.code == code, Person.family_group.is_(None))
            .order_by(Person.case_number)
            .limit(1)
        ).one()
        s.delete(assignment)
        uow.commit()
    return case


# ---------------------------------------------------------------- tests


def test_officer_prepares_previews_saves_prints_but_cannot_approve_or_sign(
    qtbot, make_screen, qtmodeltester, demo_ctx: AppContext, officer: Actor, tmp_path: Path, monkeypatch
) -> None:
    screen = make_screen(demo_ctx, officer)
    assert all(r.people > 0 for r in screen.flights.records())
    assert {r.manifest for r in screen.flights.records()} == {"none"}
    code = _target(screen)
    _select(qtbot, screen, code)
    assert "no manifest yet" in screen.preview.message.text()
    for action in (screen.approve_action, screen.sign_action):
        assert not action.isEnabled() and action.toolTip() == NEEDS_SUPERVISOR
    assert not screen.save_action.isEnabled() and "preview" in screen.save_action.toolTip()

    _prepare(qtbot, screen)
    newest = screen._newest()
    assert newest.prepared_by == officer.username and newest.person_count == screen._flight.people
    assert "manifest.prepare" in _actions(demo_ctx)
    assert screen._flight.manifest == "DRAFT rev 1"
    # The preview shows the rendered page.
    assert screen.preview.pdf_document.status() == QPdfDocument.Status.Ready
    assert screen.preview.pdf_document.pageCount() >= 1
    assert screen.preview.stack.currentWidget() is screen.preview.pdf_view
    assert screen.preview.page_count.text() == f"of {screen.preview.pdf_document.pageCount()}"
    # Still refused for the officer, with the reason.
    for action in (screen.approve_action, screen.sign_action):
        assert not action.isEnabled() and action.toolTip() == NEEDS_SUPERVISOR
    assert not screen.paxlst_action.isEnabled() and "approved" in screen.paxlst_action.toolTip()
    screen.workflow.approve()  # a stray shortcut does nothing
    assert screen.confirm_box is None

    # Preparing again with an unchanged plan writes nothing new.
    before = _actions(demo_ctx).count("manifest.prepare")
    with qtbot.waitSignal(screen.status_message, timeout=WAIT) as message:
        screen.prepare_action.trigger()
    assert "already matches" in message.args[0]
    assert _actions(demo_ctx).count("manifest.prepare") == before
    qtbot.waitUntil(lambda: screen._revisions_for == code and screen.pdf_ready(), timeout=WAIT)

    # Save PDF… writes the previewed bytes.
    target = tmp_path / "saved.pdf"
    monkeypatch.setattr(screen, "_ask_save_path", lambda *_a: str(target))
    with qtbot.waitSignal(screen.status_message, timeout=WAIT):
        screen.save_action.trigger()
    assert target.read_bytes() == screen._pdf[2] and target.read_bytes().startswith(b"%PDF")

    # Print… renders every page onto the printer (here a PDF printer).
    printed = tmp_path / "printed.pdf"

    def choose(printer: QPrinter) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        printer.setResolution(96)
        return True

    monkeypatch.setattr(screen, "_choose_printer", choose)
    with qtbot.waitSignal(screen.status_message, timeout=WAIT) as message:
        screen.print_action.trigger()
    assert f"Sent {plural(screen.preview.pdf_document.pageCount(), 'page')}" in message.args[0]
    assert printed.read_bytes().startswith(b"%PDF")

    # Page navigation and zoom.
    if screen.preview.pdf_document.pageCount() > 1:
        screen.preview.next_page.click()
        qtbot.waitUntil(lambda: screen.preview.page_box.value() == 2, timeout=WAIT)
    screen.preview.zoom_step(1)
    assert screen.preview.zoom.currentData() == 1.25

    qtmodeltester.check(screen.flights, force_py=True)
    qtmodeltester.check(screen.revisions, force_py=True)


def test_supervisor_approves_exports_paxlst_and_signs(
    qtbot, make_screen, demo_ctx: AppContext, supervisor: Actor, signer: Actor, tmp_path: Path, monkeypatch
) -> None:
    """Four eyes: sam prepares and may not approve; sue approves and may not sign; sam signs."""
    preparer = make_screen(demo_ctx, supervisor)
    code = _target(preparer)
    _select(qtbot, preparer, code)
    _prepare(qtbot, preparer)
    assert not preparer.approve_action.isEnabled()
    assert preparer.approve_action.toolTip() == "You prepared revision 1; another supervisor must approve it"

    screen = make_screen(demo_ctx, signer)
    _select(qtbot, screen, code)
    _wait_newest(qtbot, screen, "DRAFT", 1)
    assert screen.approve_action.isEnabled() and not screen.sign_action.isEnabled()
    assert "approve it first" in screen.sign_action.toolTip()

    # The confirmation says exactly what is frozen; cancelling changes nothing.
    content = manifests_content(demo_ctx, supervisor, code)
    box = _approve(qtbot, screen)
    text = box.text() + "\n" + box.informativeText()
    assert code in text and "revision 1" in text
    for stop in content.stops:
        assert f"stop {stop.sequence} {stop.airport} ({stop.country}): {len(stop.rows)} " in text
    assert f"Total: {content.person_count} people" in text
    assert "nobody can be added to this flight without a new revision" in text
    assert "counts as sent to the receiving country" in text
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(50)
    assert "manifest.approve" not in _actions(demo_ctx)

    box = _approve(qtbot, screen)
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        box.button(QMessageBox.StandardButton.Yes).click()
    _wait_newest(qtbot, screen, "APPROVED", 1)
    assert screen._newest().approved_by == signer.username
    assert "manifest.approve" in _actions(demo_ctx)
    assert not screen.approve_action.isEnabled() and "no draft to approve" in screen.approve_action.toolTip()
    qtbot.waitUntil(lambda: screen._flight.manifest == "APPROVED rev 1", timeout=WAIT)
    assert screen.sign_action.toolTip() == "You approved revision 1; another supervisor must sign it"
    screen = preparer  # the preparer may sign what somebody else approved
    screen.reload()
    _select(qtbot, screen, code)
    _wait_newest(qtbot, screen, "APPROVED", 1)

    # PAXLST for the carrier (audited).
    edi = tmp_path / f"{code}.edi"
    monkeypatch.setattr(screen, "_ask_save_path", lambda *_a: str(edi))
    assert screen.paxlst_action.isEnabled()
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        screen.paxlst_action.trigger()
    qtbot.waitUntil(edi.exists, timeout=WAIT)
    assert edi.read_text("ascii").startswith("UNA") and "UNH+" in edi.read_text("ascii")
    assert "manifest.paxlst" in _actions(demo_ctx)

    # Sign without a key file.
    qtbot.waitUntil(screen.sign_action.isEnabled, timeout=WAIT)
    screen.sign_action.trigger()
    dialog = screen.sign_dialog
    assert dialog is not None and dialog.isVisible() and code in dialog.windowTitle()
    dialog.pades.setChecked(True)
    dialog.buttons.accepted.emit()  # no file chosen: the dialog says so and stays open
    assert dialog.isVisible() and "key file" in dialog.message.text()
    dialog.pades.setChecked(False)
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        dialog.buttons.accepted.emit()
    _wait_newest(qtbot, screen, "SIGNED", 1)
    assert screen._newest().signed_by == supervisor.username and not screen._newest().pades_signed
    assert "manifest.sign" in _actions(demo_ctx)
    assert not screen.sign_action.isEnabled() and "signed already" in screen.sign_action.toolTip()


def manifests_content(ctx: AppContext, actor: Actor, code: str):
    with ctx.uow(write=False) as uow:
        return manifests.manifest_content(uow, actor, code)


def test_supervisor_signs_with_a_pkcs12_key(
    qtbot, make_screen, demo_ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor, tmp_path: Path
) -> None:
    screen = make_screen(demo_ctx, supervisor)
    code = _target(screen)
    with demo_ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, code)
        manifests.approve_manifest(uow, signer, code)  # four eyes: sam signs what sue approved
        uow.commit()
    screen.reload()
    _select(qtbot, screen, code)
    _wait_newest(qtbot, screen, "APPROVED", 1)
    key = _self_signed_p12(tmp_path / "sam.p12")

    # A wrong password is refused with the service's message; nothing is signed.
    screen.sign_action.trigger()
    dialog = screen.sign_dialog
    dialog.pades.setChecked(True)
    dialog.key_file.setText(str(key))
    dialog.password.setText("wrong")
    dialog.buttons.accepted.emit()
    box = _error_box(qtbot, screen)
    assert "Could not sign" in box.windowTitle()
    box.close()
    qtbot.waitUntil(screen.sign_action.isEnabled, timeout=WAIT)

    screen.sign_action.trigger()
    dialog = screen.sign_dialog
    dialog.pades.setChecked(True)
    dialog.key_file.setText(str(key))
    dialog.password.setText(P12_PASSWORD)
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        dialog.buttons.accepted.emit()
    _wait_newest(qtbot, screen, "SIGNED", 1)
    assert screen._newest().pades_signed
    # The preview is the stored signed file, and it opens.
    assert b"/ETSI.CAdES.detached" in screen._pdf[2]
    assert (
        screen.preview.pdf_document.status() == QPdfDocument.Status.Ready
        and screen.preview.pdf_document.pageCount() >= 1
    )
    assert "PAdES signed" in screen.preview.label.text()
    assert _actions(demo_ctx).count("manifest.sign") == 1


def test_refusals_show_their_message_and_details_and_are_audited(
    qtbot, make_screen, demo_ctx: AppContext, officer: Actor, supervisor: Actor, signer: Actor
) -> None:
    screen = make_screen(demo_ctx, supervisor)
    code = _target(screen)
    _prepared_by(qtbot, screen, officer, code)

    # The plan changes after the draft: approving is refused.
    _drop_one_passenger(demo_ctx, code)
    box = _approve(qtbot, screen)
    box.button(QMessageBox.StandardButton.Yes).click()
    error = _error_box(qtbot, screen)
    assert "changed since revision 1 was prepared" in error.text()
    assert "manifest.approve.refused" in _actions(demo_ctx)
    error.close()

    # A new draft (revision 2) supersedes the first; approve it; then change the frozen flight
    # behind the workflow's back: signing is refused, naming the person.
    _prepared_by(qtbot, screen, officer, code, revision=2)
    assert [m.status for m in screen.revisions.records()] == ["DRAFT", "SUPERSEDED"]
    box = _approve(qtbot, screen)
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        box.button(QMessageBox.StandardButton.Yes).click()
    _wait_newest(qtbot, screen, "APPROVED", 2)
    case = _drop_one_passenger(demo_ctx, code)
    screen = make_screen(demo_ctx, signer)  # four eyes: another supervisor signs
    _select(qtbot, screen, code)
    _wait_newest(qtbot, screen, "APPROVED", 2)
    screen.sign_action.trigger()
    screen.sign_dialog.buttons.accepted.emit()
    error = _error_box(qtbot, screen)
    assert "changed since revision 2 was approved" in error.text()
    assert case in error.detailedText() and "taken off" in error.detailedText()
    assert "manifest.sign.refused" in _actions(demo_ctx)


def test_hash_check_dialog_answers_current_superseded_and_unknown(
    qtbot, make_screen, demo_ctx: AppContext, officer: Actor
) -> None:
    screen = make_screen(demo_ctx, officer)
    code = _target(screen)
    _select(qtbot, screen, code)
    _prepare(qtbot, screen)
    first = screen._newest().sha256
    _drop_one_passenger(demo_ctx, code)
    _prepare(qtbot, screen, revision=2)
    second = screen._newest().sha256

    screen.check_action.trigger()
    dialog = screen.hash_dialog
    assert dialog is not None and dialog.isVisible() and dialog.flight.text() == code

    def ask(text: str) -> str:
        dialog.result = None
        dialog.hash.setText(text)
        dialog.check_button.click()
        qtbot.waitUntil(lambda: dialog.answer.text() not in ("", "Checking…"), timeout=WAIT)
        return dialog.answer.text()

    assert ask(second).startswith("current revision 2") and dialog.result.verdict == "current"
    assert ask(first.upper()).startswith("SUPERSEDED: revision 1") and dialog.result.verdict == "superseded"
    assert ask("0" * 64).startswith("UNKNOWN") and dialog.result.verdict == "unknown"
    assert "64 hexadecimal digits" in ask("not a hash")
    dialog.flight.clear()
    assert ask(f"CHARTER-MANIFEST|{code}|2|{second}").startswith("current revision 2")
    assert dialog.flight.text() == code
    assert parse_printed_hash("rf1", " ab cd ") == ("RF1", "abcd")


def test_filter_by_status_and_sorting(qtbot, make_screen, demo_ctx: AppContext, officer: Actor) -> None:
    screen = make_screen(demo_ctx, officer)
    total = screen.flights.rowCount()
    code = _target(screen)
    _select(qtbot, screen, code)
    _prepare(qtbot, screen)
    qtbot.waitUntil(lambda: any(r.manifest == "DRAFT rev 1" for r in screen.flights.records()), timeout=WAIT)

    screen.status_filter.setCurrentIndex(screen.status_filter.findData("DRAFT"))
    assert [r.code for r in screen.flights.records()] == [code]
    assert screen.count_label.text() == f"1 of {total} flights"
    screen.status_filter.setCurrentIndex(screen.status_filter.findData("none"))
    assert screen.flights.rowCount() == total - 1 and code not in {r.code for r in screen.flights.records()}
    screen.status_filter.setCurrentIndex(screen.status_filter.findData("SIGNED"))
    assert screen.flights.rowCount() == 0
    qtbot.waitUntil(lambda: "Select a flight" in screen.preview.message.text(), timeout=WAIT)
    assert (
        not screen.prepare_action.isEnabled() and screen.prepare_action.toolTip() == "Select a flight first"
    )
    screen.status_filter.setCurrentIndex(0)

    people = [k for k, _ in screen.flights.columns].index("people")
    screen.flight_table.sortByColumn(people, Qt.SortOrder.DescendingOrder)
    counts = [r.people for r in screen.flights.records()]
    assert counts == sorted(counts, reverse=True)


def test_render_all_manifests_with_progress_and_cancel(
    qtbot, make_screen, demo_ctx: AppContext, officer: Actor, tmp_path: Path, monkeypatch
) -> None:
    screen = make_screen(demo_ctx, officer)
    total = screen.flights.rowCount()
    folder = tmp_path / "all"
    monkeypatch.setattr(screen, "_ask_folder", lambda *_a: str(folder))
    progress: list[float] = []
    screen.progress.valueChanged.connect(progress.append)
    screen.batch_action.trigger()
    assert screen.batch_running() and screen.batch_bar.isVisibleTo(screen)
    assert not screen.batch_action.isEnabled() and screen.batch_action.toolTip() == "Rendering is running"
    qtbot.waitUntil(lambda: not screen.batch_running(), timeout=WAIT)
    report = screen.last_batch
    assert report is not None and not report.cancelled and len(report.files) == total
    assert all(p.exists() and p.read_bytes().startswith(b"%PDF") for p in report.files)
    assert progress and max(progress) == 1000
    assert not screen.batch_bar.isVisibleTo(screen)
    assert _actions(demo_ctx).count("manifest.prepare") == total  # each new draft is audited
    summary = [b for b in screen.findChildren(QMessageBox) if b.objectName() == "batchReport"]
    assert summary and "manifests written" in summary[-1].text()

    # Cancel before anything is rendered: the report says so and no partial file is left.
    again = tmp_path / "cancelled"
    monkeypatch.setattr(screen, "_ask_folder", lambda *_a: str(again))
    screen.batch_action.trigger()
    screen.cancel_button.click()
    assert "Cancelling" in screen.progress.format()
    qtbot.waitUntil(lambda: not screen.batch_running(), timeout=WAIT)
    assert screen.last_batch.cancelled
    assert not list(again.glob("*.part"))


def test_strike_a_person_off_an_approved_flight(qtbot, demo_ctx, officer, supervisor, make_screen) -> None:
    """An officer strikes somebody off an approved flight ("Take people off…" became "Strike
    off…"): the dialog asks who and the coded reason (OTHER needs a note), the next revision is
    prepared without them, the result names who came off, and the strike is audited."""
    boss = make_screen(demo_ctx, supervisor)
    code = _target(boss)
    _prepared_by(qtbot, boss, officer, code)
    box = _approve(qtbot, boss)
    box.button(QMessageBox.StandardButton.Yes).click()
    _wait_newest(qtbot, boss, "APPROVED", 1)
    with demo_ctx.uow(write=False) as uow:
        content = manifests.manifest_content(uow, officer, code)
    single = next(
        row.case_number for section in content.stops for row in section.rows if not row.family_group
    )

    screen = make_screen(demo_ctx, officer)
    _select(qtbot, screen, code)
    qtbot.waitUntil(screen.strike_action.isEnabled, timeout=WAIT)
    assert screen.strike_action.text() == "Strike off…"
    screen.strike_dialog = None
    screen.strike_action.trigger()
    qtbot.waitUntil(
        lambda: screen.strike_dialog is not None and screen.strike_dialog.isVisible(), timeout=WAIT
    )
    dialog = screen.strike_dialog
    assert not dialog.strike_button.isEnabled() and "Select the person" in dialog.hint.text()
    row = dialog.model.row_of(single)
    dialog.table.selectRow(row)
    assert "travels alone" in dialog.together.text()
    dialog.reason.setCurrentIndex(dialog.reason.findData("OTHER"))
    assert not dialog.strike_button.isEnabled() and "needs a note" in dialog.hint.text()
    dialog.note.setText("court stay granted")
    assert dialog.strike_button.isEnabled()
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        dialog.strike_button.click()
    qtbot.waitUntil(lambda: screen.strike_result_box is not None, timeout=WAIT)
    assert single in screen.strike_result_box.text()
    screen.strike_result_box.close()
    _wait_newest(qtbot, screen, "DRAFT", 2)
    with demo_ctx.uow(write=False) as uow:
        cases = {r.case_number for s in manifests.manifest_content(uow, officer, code).stops for r in s.rows}
    assert single not in cases
    assert "departure.strike" in _actions(demo_ctx)


def test_reopen_an_approved_flight_for_additions(qtbot, demo_ctx, officer, supervisor, make_screen) -> None:
    """An officer reopens an approved flight: the action is enabled only while the newest revision
    is approved, the dialog asks why, a DRAFT with the same people is prepared while the approved
    revision stays in force, and both the reopen and a refused one are audited."""
    boss = make_screen(demo_ctx, supervisor)
    code = _target(boss)
    _select(qtbot, boss, code)
    assert not boss.reopen_action.isEnabled() and "no manifest" in boss.reopen_action.toolTip()
    _prepared_by(qtbot, boss, officer, code)
    assert not boss.reopen_action.isEnabled() and "Already open" in boss.reopen_action.toolTip()
    box = _approve(qtbot, boss)
    box.button(QMessageBox.StandardButton.Yes).click()
    _wait_newest(qtbot, boss, "APPROVED", 1)
    approved = boss._newest()

    screen = make_screen(demo_ctx, officer)
    _select(qtbot, screen, code)
    qtbot.waitUntil(screen.reopen_action.isEnabled, timeout=WAIT)
    assert screen.reopen_action.shortcut() == QKeySequence("Ctrl+Shift+O")
    assert screen.reopen_action in screen.toolbar.actions()
    assert "fill free seats" in screen.reopen_action.toolTip()
    assert "Ctrl+Shift+O" in screen.reopen_action.toolTip()
    # Once the last stop's cut-off has passed nobody could be added: the action says so.
    row = screen._flight
    assert row.last_cutoff is not None and row.notice_cutoff <= row.last_cutoff < row.departure_utc
    screen._flight = dataclasses.replace(row, last_cutoff_passed=True)
    screen._update_actions()
    assert not screen.reopen_action.isEnabled() and "every stop has passed" in screen.reopen_action.toolTip()
    screen._flight = row
    screen._update_actions()
    assert screen.reopen_action.isEnabled()

    screen.reopen_dialog = None
    screen.reopen_action.trigger()
    dialog = screen.reopen_dialog
    assert dialog is not None and dialog.isVisible() and code in dialog.windowTitle()
    assert "stays in force" in dialog.findChild(QLabel, "reopenSummary").text()
    dialog.buttons.accepted.emit()  # no reason yet: the dialog says so and stays open
    assert dialog.isVisible() and "reason" in dialog.message.text()
    dialog.reason.setText("flight under 80 % full")
    with qtbot.waitSignal(screen.data_changed, timeout=WAIT):
        dialog.buttons.accepted.emit()
    _wait_newest(qtbot, screen, "DRAFT", 2)
    assert screen._newest().person_count == approved.person_count
    assert [m.status for m in screen.revisions.records()] == ["DRAFT", "APPROVED"]
    qtbot.waitUntil(lambda: screen._flight.manifest == "DRAFT rev 2 · APPROVED in force", timeout=WAIT)
    assert not screen.reopen_action.isEnabled() and "Already open" in screen.reopen_action.toolTip()
    assert "manifest.reopen" in _actions(demo_ctx)
    with demo_ctx.uow(write=False) as uow:
        event = uow.session.execute(
            sa.select(
                AuditEvent.actor, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.changes_json
            ).where(AuditEvent.action == "manifest.reopen")
        ).one()
    assert tuple(event[:3]) == (officer.username, "flight", code)
    assert "flight under 80 % full" in event.changes_json

    # The supervisor's screen still shows revision 1 as the newest: reopening again is refused by
    # the service, with its message, and the refusal is audited.
    assert boss.reopen_action.isEnabled()
    boss.reopen_action.trigger()
    boss.reopen_dialog.reason.setText("again")
    boss.reopen_dialog.buttons.accepted.emit()
    error = _error_box(qtbot, boss)
    assert "already open" in error.text()
    assert "manifest.reopen.refused" in _actions(demo_ctx)
    error.close()
    # The refusal refreshed the screen: it now knows the flight is open already.
    qtbot.waitUntil(lambda: boss._newest() is not None and boss._newest().revision == 2, timeout=WAIT)
    qtbot.waitUntil(lambda: not boss.reopen_action.isEnabled(), timeout=WAIT)
    assert "Already open" in boss.reopen_action.toolTip()
