"""The Import wizard through pytest-qt on a real SQLite file: the sample files in order, a rejected
file with its error table (filter, sort, copy, save), the dry-run gate, a file changed after its
check, cancel, drag and drop, the expected columns kept in step with the importers, and (issue 13)
the encoding: detected or chosen, shown with a preview of the decoded names; a new kind clears the
previous result."""

from __future__ import annotations

import csv
import functools
import operator
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QMessageBox

from planner.domain.enums import Role
from planner.persistence.context import AppContext
from planner.persistence.models import Facility, Flight, NationalityVerification, Person
from planner.services.auth import Actor
from planner.services.imports import IMPORTERS, KINDS
from ui.operations import Change
from ui.screens.imports import EXPECTED_COLUMNS, ImportScreen

SAMPLES = Path("/work/shared/samples")
if not SAMPLES.is_dir():  # the repository's copy, where the shared folder is absent
    SAMPLES = Path(__file__).resolve().parents[1] / "integration" / "imports" / "samples"
WAIT = 20_000
ROSTER_HEADER = ",".join(name for name, _ in EXPECTED_COLUMNS["roster"][0])

needs_samples = pytest.mark.skipif(not (SAMPLES / "roster.csv").exists(), reason="sample files not found")


def _screen(qtbot, ctx: AppContext, actor: Actor) -> ImportScreen:
    screen = ImportScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.activate()
    return screen


def _wait_idle(qtbot, screen: ImportScreen) -> None:
    qtbot.waitUntil(lambda: screen._task is None, timeout=WAIT)


def _count(ctx: AppContext, model) -> int:
    with ctx.uow(write=False) as uow:
        return uow.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


@needs_samples
def test_samples_check_then_import_in_order(qtbot, ctx, admin, tmp_path) -> None:
    screen = _screen(qtbot, ctx, admin)
    changes: list[Change] = []
    screen.data_changed.connect(changes.append)
    assert not screen.check_button.isEnabled() and screen.check_button.toolTip() == "Choose a file first"
    for kind, file_name, model in [
        ("facilities", "facilities.csv", Facility),
        ("flights", "flights.csv", Flight),
        ("roster", "roster.csv", Person),
        ("verification", "verification.csv", NationalityVerification),
    ]:
        path = tmp_path / file_name
        shutil.copy(SAMPLES / file_name, path)
        screen.set_kind(kind)
        screen.set_file(path)
        assert (
            kind in screen.columns_label.text()
            or EXPECTED_COLUMNS[kind][0][0][0] in screen.columns_label.text()
        )
        assert not screen.import_button.isEnabled()
        assert "Check the file first" in screen.import_button.toolTip()
        screen.check_button.click()
        _wait_idle(qtbot, screen)
        report = screen.last_report
        assert report is not None and report.dry_run and report.ok and report.new > 0, screen.summary.text()
        assert screen.counts["new"].text() == f"{report.new:,}"
        assert screen.counts["rejected"].text() == "0"
        assert screen.error_count.text() == "no errors"
        assert screen.import_button.isEnabled()
        assert _count(ctx, model) == 0  # a dry run writes nothing
        screen.import_button.click()
        assert screen.cancel_button.isEnabled() or screen._task is None
        _wait_idle(qtbot, screen)
        assert screen.last_report is not None and screen.last_report.written, screen.summary.text()
        assert _count(ctx, model) > 0
        assert screen.progress.format() == "Imported"
        assert not screen.import_button.isEnabled()  # needs a new check before importing again
    announced = functools.reduce(operator.or_, changes, Change.NONE)
    assert Change.FLIGHTS | Change.PEOPLE | Change.AUDIT in announced


def _bad_roster(path: Path, bad_rows: int) -> Path:
    good = "A123456789,DOE,JOHN,,M,1990-01-01,,MEX,,LOW,NONE,,FINAL,,,,3,IN_CUSTODY"
    bad = "A1234,DOE,JANE,,Q,1990-13-01,,XXX,,LOW,NONE,,FINAL,,,,9,IN_CUSTODY"
    path.write_text("\n".join([ROSTER_HEADER, good] + [bad] * bad_rows) + "\n", encoding="utf-8")
    return path


def test_rejected_file_lists_every_error(qtbot, qtmodeltester, ctx, admin, tmp_path) -> None:
    screen = _screen(qtbot, ctx, admin)
    screen.set_kind("roster")
    screen.set_file(_bad_roster(tmp_path / "roster.csv", 30))
    screen.check()
    _wait_idle(qtbot, screen)
    assert "rejected, nothing was written" in screen.summary.text()
    assert screen.counts["rejected"].text() == "30" and screen.counts["new"].text() == "1"
    assert not screen.import_button.isEnabled()
    assert screen.errors.rowCount() == 150  # five bad fields on each of 30 lines
    assert screen.error_count.text() == "150 of 150 errors"
    qtmodeltester.check(screen.errors, force_py=True)
    # Sortable.
    screen.errors_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert screen.errors.record(0).line == 32
    # Filterable (by column or message text, or a line number).
    screen.error_filter.setText("priority")
    screen.apply_error_filter()
    qtbot.waitUntil(lambda: screen.errors.rowCount() == 30, timeout=WAIT)
    assert {e.column for e in screen.errors.records()} == {"priority"}
    screen.error_filter.setText("7")  # line 7 (no message mentions a 7)
    screen.apply_error_filter()
    qtbot.waitUntil(lambda: screen.error_count.text() == "5 of 150 errors", timeout=WAIT)
    screen.error_filter.clear()
    screen.apply_error_filter()
    # Copy: the selected rows, else every row shown.
    screen.errors_view.selectRow(0)
    screen.copy_button.click()
    copied = QGuiApplication.clipboard().text().splitlines()
    assert copied[0] == "line,column,message" and len(copied) == 2
    screen.errors_view.clearSelection()
    screen.copy_errors()
    assert len(QGuiApplication.clipboard().text().splitlines()) == 151
    # Save as CSV (written in the background).
    target = tmp_path / "errors.csv"
    with qtbot.waitSignal(screen.status_message, timeout=WAIT):
        screen.save_errors(str(target))
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0] == ["line", "column", "message"] and len(rows) == 151
    assert _count(ctx, Person) == 0


def test_import_needs_a_clean_check_of_the_same_file(qtbot, ctx, admin, tmp_path) -> None:
    screen = _screen(qtbot, ctx, admin)
    screen.set_kind("roster")
    path = _bad_roster(tmp_path / "roster.csv", 0)
    screen.set_file(path)
    screen.check()
    _wait_idle(qtbot, screen)
    assert screen.import_button.isEnabled()
    # Another kind or file disables Import until checked.
    screen.set_kind("verification")
    assert not screen.import_button.isEnabled()
    screen.set_kind("roster")
    assert not screen.import_button.isEnabled()  # the kind change cleared the check
    screen.check()
    _wait_idle(qtbot, screen)
    assert screen.import_button.isEnabled()
    # The file changes after its check: the import is refused, nothing written.
    _bad_roster(path, 2)
    screen.apply()
    _wait_idle(qtbot, screen)
    assert screen.progress.format() == "Failed"
    boxes = [b for b in screen.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "changed after it was checked" in boxes[-1].text()
    boxes[-1].close()
    assert _count(ctx, Person) == 0


def test_cancel_writes_nothing(qtbot, ctx, admin, tmp_path) -> None:
    screen = _screen(qtbot, ctx, admin)
    screen.set_kind("roster")
    screen.set_file(_bad_roster(tmp_path / "roster.csv", 0))
    screen.check()
    assert screen.cancel_button.isEnabled() and not screen.check_button.isEnabled()
    screen.cancel_button.click()
    _wait_idle(qtbot, screen)
    assert screen.progress.format() == "Cancelled — nothing was written"
    assert not screen.import_button.isEnabled()
    assert screen.cancel_button.toolTip() == "Nothing is running"


def test_drop_a_file(qtbot, ctx, admin, tmp_path) -> None:
    screen = _screen(qtbot, ctx, admin)
    path = _bad_roster(tmp_path / "dropped.csv", 0)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    screen.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    screen.dropEvent(drop)
    assert screen.current_path == str(path)
    assert screen.check_button.isEnabled()


def test_expected_columns_match_the_importers(ctx, admin) -> None:
    assert set(EXPECTED_COLUMNS) == set(KINDS)
    with ctx.uow(write=False) as uow:
        for kind, importer_class in IMPORTERS.items():
            importer = importer_class(uow, admin, f"{kind}.csv")
            importer.load()
            actual = tuple((c.name, c.required) for c in importer.columns())
            assert actual == EXPECTED_COLUMNS[kind][0], kind


def test_import_is_for_admins_only() -> None:
    assert ImportScreen.required_role == Role.ADMIN
    assert not ImportScreen.allowed_for(Role.OFFICER)
    assert not ImportScreen.allowed_for(Role.SUPERVISOR)
    assert ImportScreen.allowed_for(Role.ADMIN)


def _windows_roster(path: Path) -> Path:
    """A roster as Excel's "CSV (Comma delimited)" writes it on Western Windows (cp1252, CRLF)."""
    rows = [
        "A123456789,PÉREZ MUÑOZ,LUCÍA,,F,1990-01-01,,GTM,,LOW,NONE,,FINAL,,,,3,IN_CUSTODY",
        "A123456780,NÚÑEZ,MARÍA,,F,1991-02-03,,GTM,,LOW,NONE,,FINAL,,,,3,IN_CUSTODY",
    ]
    path.write_bytes("\r\n".join([ROSTER_HEADER, *rows, ""]).encode("cp1252"))
    return path


def test_windows_1252_file_shows_encoding_and_decoded_names(qtbot, ctx, admin, tmp_path) -> None:
    screen = _screen(qtbot, ctx, admin)
    screen.set_kind("roster")
    screen.set_file(_windows_roster(tmp_path / "excel.csv"))
    assert screen.current_encoding is None and screen.encoding.currentText() == "Automatic"
    screen.check()
    _wait_idle(qtbot, screen)
    report = screen.last_report
    assert report is not None and report.ok and report.encoding == "Windows-1252", screen.summary.text()
    assert screen.encoding_used.text().startswith("Encoding: Windows-1252 (detected)")
    assert "CSV UTF-8 (Comma delimited)" in screen.encoding_used.text()
    assert "line 2: A123456789 · PÉREZ MUÑOZ · LUCÍA" in screen.preview.text()
    assert "line 3: A123456780 · NÚÑEZ · MARÍA" in screen.preview.text()
    screen.resize(900, 760)
    screen.grab().save(str(tmp_path / "import-windows-1252.png"))
    screen.apply()
    _wait_idle(qtbot, screen)
    assert screen.last_report is not None and screen.last_report.written
    with ctx.uow(write=False) as uow:
        names = set(uow.session.execute(sa.select(Person.family_name)).scalars())
    assert names == {"PÉREZ MUÑOZ", "NÚÑEZ"}


def test_chosen_encoding_is_used_and_gates_the_import(qtbot, ctx, admin, tmp_path) -> None:
    screen = _screen(qtbot, ctx, admin)
    screen.set_kind("roster")
    screen.set_file(_windows_roster(tmp_path / "excel.csv"))
    assert [screen.encoding.itemText(i) for i in range(screen.encoding.count())] == [
        "Automatic",
        "UTF-8",
        "Windows-1252",
        "Latin-1",
        "GB18030",
        "UTF-16",
    ]
    screen.set_encoding("utf-8")
    screen.check()
    _wait_idle(qtbot, screen)
    report = screen.last_report
    assert report is not None and [(e.line, e.column) for e in report.errors] == [
        (2, "encoding"),
        (3, "encoding"),
    ]
    assert "CSV UTF-8" in report.errors[0].message
    assert screen.errors.rowCount() == 2 and not screen.import_button.isEnabled()
    screen.set_encoding("cp1252")
    screen.check()
    _wait_idle(qtbot, screen)
    assert screen.last_report is not None and screen.last_report.ok
    assert screen.encoding_used.text().startswith("Encoding: Windows-1252 (chosen)")
    assert screen.import_button.isEnabled()
    screen.set_encoding(None)  # checked with another encoding: check again first
    assert not screen.import_button.isEnabled()
    screen.set_encoding("cp1252")
    assert screen.import_button.isEnabled()
    screen.apply()
    _wait_idle(qtbot, screen)
    assert screen.last_report is not None and screen.last_report.new == 2
    assert _count(ctx, Person) == 2


def test_changing_the_kind_clears_the_previous_result(qtbot, ctx, admin, tmp_path) -> None:
    screen = _screen(qtbot, ctx, admin)
    screen.set_kind("roster")
    screen.set_file(_bad_roster(tmp_path / "roster.csv", 3))
    screen.check()
    _wait_idle(qtbot, screen)
    assert screen.last_report is not None and screen.errors.rowCount() > 0
    assert screen.counts["rejected"].text() == "3" and screen.preview.text()
    screen.set_kind("verification")
    assert screen.last_report is None
    assert all(label.text() == "—" for label in screen.counts.values())
    assert screen.errors.rowCount() == 0 and screen.error_count.text() == "no errors"
    assert screen.preview.text() == "" and screen.encoding_used.text() == ""
    assert screen.progress.value() == 0 and screen.progress.format() == ""
    assert not screen.import_button.isEnabled()
