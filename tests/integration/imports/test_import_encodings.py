"""Imports of files in other encodings than UTF-8 (issue 13), on both backends: Excel's Windows-1252
"CSV (Comma delimited)", Latin-1, "Unicode Text" (UTF-16, tabs), ``encoding=`` / ``--encoding``,
the preview of decoded names in every dry run, and line numbers of undecodable bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.domain.errors import InvalidInput
from planner.entrypoints.cli.main import run
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Person
from planner.services.auth import Actor
from planner.services.imports import IMPORTERS, ImportRejected
from tests.conftest import ADMIN_PASSWORD

from .conftest import do_import, sample_bytes, snapshot
from .synth import ROSTER_HEADER, facilities_csv, roster_rows, to_csv

#: Names whose Windows-1252 bytes also decode as GB18030 (the issue: they were stored as Han).
LATIN = [
    ("PÉREZ MUÑOZ", "LUCÍA"),
    ("NÚÑEZ", "MARÍA"),
    ("SMITH", "JOHN"),
    ("GARCÍA", "ÁNGEL"),
    ("LÓPEZ", "INÉS"),
]


def latin_roster(count: int = 12) -> tuple[str, list[dict[str, str]]]:
    """A roster of Latin-script names only (encodable in Windows-1252), CRLF as Excel writes it."""
    rows = roster_rows(count)
    for i, row in enumerate(rows):
        row["family_name"], row["given_names"] = LATIN[i % len(LATIN)]
        row["native_name"], row["nationality"] = "", "GTM"
    return to_csv(ROSTER_HEADER, rows).replace("\n", "\r\n"), rows


def stored_names(ctx: AppContext) -> dict[str, tuple[str, str]]:
    with ctx.uow(write=False) as uow:
        people = uow.session.execute(sa.select(Person.case_number, Person.family_name, Person.given_names))
        return {case: (family, given) for case, family, given in people}


@pytest.fixture
def with_facilities(ctx: AppContext, admin: Actor) -> AppContext:
    do_import(ctx, admin, "facilities", facilities_csv().encode())
    return ctx


def test_windows_1252_roster_keeps_its_accents(with_facilities: AppContext, admin: Actor) -> None:
    ctx = with_facilities
    text, rows = latin_roster()
    data = text.encode("cp1252")
    assert "P蒖EZ" in data.decode("gb18030")  # what the importer used to store
    dry = do_import(ctx, admin, "roster", data, dry_run=True)
    assert dry.encoding == "Windows-1252" and dry.new == len(rows) and not dry.written
    assert any('"CSV UTF-8 (Comma delimited)"' in w for w in dry.warnings)
    assert (2, "A300000000 · PÉREZ MUÑOZ · LUCÍA") in dry.preview
    assert [line for line, _text in dry.preview] == [2, 3, 5, 6, 7]  # rows with accents first; not SMITH
    shown = "\n".join(dry.preview_lines())
    assert "encoding: Windows-1252" in shown and "line 2: A300000000 · PÉREZ MUÑOZ · LUCÍA" in shown
    report = do_import(ctx, admin, "roster", data)
    assert report.new == len(rows)
    assert stored_names(ctx)["A300000000"] == ("PÉREZ MUÑOZ", "LUCÍA")
    assert stored_names(ctx) == {r["case_number"]: (r["family_name"], r["given_names"]) for r in rows}
    with ctx.uow(write=False) as uow:
        changes = uow.session.execute(
            sa.select(AuditEvent.changes_json).where(AuditEvent.action == "import.roster")
        ).scalar_one()
    assert json.loads(changes)["encoding"] == "Windows-1252"
    # the same people saved as UTF-8 change nothing
    assert do_import(ctx, admin, "roster", text.encode("utf-8")).unchanged == len(rows)


def test_latin_1_and_excel_unicode_text(with_facilities: AppContext, admin: Actor) -> None:
    ctx = with_facilities
    text, rows = latin_roster()
    report = do_import(ctx, admin, "roster", text.encode("latin-1"), dry_run=True)
    assert report.new == len(rows) and report.preview[0][1].endswith("PÉREZ MUÑOZ · LUCÍA")
    explicit = do_import(ctx, admin, "roster", text.encode("latin-1"), dry_run=True, encoding="latin-1")
    assert explicit.encoding == "Latin-1 (ISO-8859-1)" and explicit.preview == report.preview
    unicode_text = b"\xff\xfe" + text.replace(",", "\t").encode("utf-16-le")  # Excel "Unicode Text"
    report = do_import(ctx, admin, "roster", unicode_text)
    assert (report.encoding, report.delimiter, report.new) == ("UTF-16 LE", "\t", len(rows))
    assert stored_names(ctx)["A300000000"] == ("PÉREZ MUÑOZ", "LUCÍA")


def test_gb18030_sample_still_reads_as_gb18030(samples_loaded: AppContext, admin: Actor) -> None:
    report = do_import(
        samples_loaded, admin, "verification", sample_bytes("verification-gb18030.csv"), dry_run=True
    )
    assert report.encoding == "GB18030" and report.rejected == 0
    assert report.preview and "PÉREZ MUÑOZ" in report.preview[0][1]
    utf8 = do_import(samples_loaded, admin, "verification", sample_bytes("verification.csv"), dry_run=True)
    assert utf8.preview == report.preview and utf8.warnings == ()


def test_explicit_encoding_decodes_strictly(with_facilities: AppContext, admin: Actor) -> None:
    ctx = with_facilities
    text, rows = latin_roster()
    data = text.encode("cp1252")
    report = do_import(ctx, admin, "roster", data, encoding="windows-1252")
    assert report.encoding == "Windows-1252" and report.new == len(rows)
    before = snapshot(ctx)
    with pytest.raises(ImportRejected) as info:
        do_import(ctx, admin, "roster", data, encoding="utf-8")
    errors = info.value.report.errors
    assert {e.column for e in errors} == {"encoding"}
    assert [e.line for e in errors] == [
        line for line, row in enumerate(rows, 2) if not row["family_name"].isascii()
    ]
    assert "give the encoding it was saved in" in errors[0].message
    with pytest.raises(InvalidInput, match="unknown encoding 'klingon'"):
        do_import(ctx, admin, "roster", data, encoding="klingon")
    assert snapshot(ctx) == before


def test_a_bad_byte_on_line_7_is_named_on_line_7(with_facilities: AppContext, admin: Actor) -> None:
    text, _rows = latin_roster()
    lines = text.encode("utf-8").split(b"\r\n")
    lines[6] = lines[6].replace(b"A300000005,", b"A300000005,\x81")  # physical line 7
    with pytest.raises(ImportRejected) as info:
        do_import(with_facilities, admin, "roster", b"\r\n".join(lines), dry_run=True)
    [error] = info.value.report.errors
    assert (error.line, error.column) == (7, "encoding")
    assert 'byte(s) 81 after "A300000005,"' in error.message and "CSV UTF-8" in error.message


def test_cli_encoding_option_and_dry_run_preview(
    with_facilities: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ctx = with_facilities
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    text, rows = latin_roster()
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode("cp1252"))
    assert run(["import", "roster", str(path), "--dry-run"], settings=ctx.settings) == 0
    out = capsys.readouterr().out
    assert "dry run" in out and "(Windows-1252, ',')" in out
    assert "encoding: Windows-1252" in out and "CSV UTF-8 (Comma delimited)" in out
    assert "line 2: A300000000 · PÉREZ MUÑOZ · LUCÍA" in out
    assert run(["import", "roster", str(path), "--encoding", "nope"], settings=ctx.settings) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown encoding 'nope'" in err[0]
    assert run(["import", "roster", str(path), "--encoding", "utf-8"], settings=ctx.settings) == 2
    err = capsys.readouterr().err.splitlines()
    assert (
        err[1].startswith(f"{path}:2: encoding: cannot decode as UTF-8: byte(s) C9") and "CSV UTF-8" in err[1]
    )
    assert run(["import", "roster", str(path), "--encoding", "cp1252"], settings=ctx.settings) == 0
    assert f"{len(rows)} new" in capsys.readouterr().out
    assert stored_names(ctx)["A300000000"] == ("PÉREZ MUÑOZ", "LUCÍA")


def test_every_kind_previews_columns_it_has(ctx: AppContext, admin: Actor) -> None:
    with ctx.uow(write=False) as uow:
        for kind, importer_class in IMPORTERS.items():
            importer = importer_class(uow, admin, f"{kind}.csv")
            importer.load()
            names = {c.name for c in importer.columns()}
            assert importer_class.preview_columns and set(importer_class.preview_columns) <= names, kind
    report = do_import(ctx, admin, "facilities", facilities_csv(7).encode(), dry_run=True)
    assert report.preview == tuple(
        (line, f"FAC{line - 2:02d} · Centre {line - 2} · City {line - 2}") for line in range(2, 7)
    )
