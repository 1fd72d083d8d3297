"""Han names at roster import (issue 13): stored in Latin as Hanyu Pinyin with the Han original as
the native name and a line-numbered warning; names with no UNOA form are line-numbered errors."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.entrypoints.cli.main import run
from planner.persistence.context import AppContext
from planner.persistence.models import NationalityVerification, Person
from planner.services.auth import Actor
from planner.services.imports import ImportRejected
from tests.conftest import ADMIN_PASSWORD

from .conftest import do_import, snapshot
from .synth import ROSTER_HEADER, VERIFICATION_HEADER, person, to_csv, verification_rows

WARNING = (
    "line 4: Han name 王 小明 written in Latin as WANG XIAOMING (Hanyu Pinyin) (also stored as native name)"
)


def _roster(**line4: str) -> tuple[list[dict[str, str]], bytes]:
    rng = random.Random(3)
    rows = [person(i, rng) for i in (4, 5, 6)]  # Latin names; line 4 is the third row
    for row in rows:
        row["facility_code"] = ""
    rows[2].update(nationality="CHN", **line4)
    return rows, to_csv(ROSTER_HEADER, rows).encode("utf-8")


def _people(ctx: AppContext) -> dict[str, tuple[str, str, str]]:
    with ctx.uow(write=False) as uow:
        return {
            p.case_number: (p.family_name, p.given_names, p.native_name)
            for p in uow.session.execute(sa.select(Person)).scalars()
        }


def test_han_name_is_stored_in_pinyin_with_a_warning(ctx: AppContext, admin: Actor) -> None:
    rows, data = _roster(family_name="王", given_names="小明", native_name="")
    case = rows[2]["case_number"]
    dry = do_import(ctx, admin, "roster", data, dry_run=True)
    assert WARNING in dry.warnings
    assert f"warning: {WARNING}" in dry.preview_lines()
    report = do_import(ctx, admin, "roster", data)
    assert report.new == 3 and WARNING in report.warnings
    assert _people(ctx)[case] == ("WANG", "XIAOMING", "王小明")
    again = do_import(ctx, admin, "roster", data)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)

    # the consulate's list may give the family name in Han: it matches the pinyin in the roster
    listed = verification_rows([rows[2] | {"nationality": "CHN"}])
    verified = do_import(ctx, admin, "verification", to_csv(VERIFICATION_HEADER, listed).encode("utf-8"))
    assert verified.new == 1
    with ctx.uow(write=False) as uow:
        assert (
            uow.session.execute(sa.select(sa.func.count()).select_from(NationalityVerification)).scalar() == 1
        )


def test_han_name_with_a_native_name_keeps_it(ctx: AppContext, admin: Actor) -> None:
    rows, data = _roster(family_name="曾", given_names="国藩", native_name="曾國藩")
    report = do_import(ctx, admin, "roster", data)
    assert _people(ctx)[rows[2]["case_number"]] == ("ZENG", "GUOFAN", "曾國藩")
    assert report.warnings == (
        "line 4: Han name 曾 国藩 written in Latin as ZENG GUOFAN (Hanyu Pinyin) (native name 曾國藩 kept)",
    )


@pytest.mark.parametrize("column", ["family_name", "given_names"])
def test_name_without_a_latin_form_is_a_line_numbered_error(
    ctx: AppContext, admin: Actor, column: str
) -> None:
    _rows, data = _roster(**{column: "สมชาย"})
    before = snapshot(ctx)
    with pytest.raises(ImportRejected) as info:
        do_import(ctx, admin, "roster", data)
    assert snapshot(ctx) == before
    (error,) = info.value.report.errors
    assert (error.line, error.column) == (4, column)
    assert "no Latin (UNOA) form" in error.message and "native_name" in error.message


def test_cli_prints_the_han_name_warning(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    _rows, data = _roster(family_name="王", given_names="小明", native_name="")
    path = tmp_path / "roster.csv"
    path.write_bytes(data)
    assert run(["import", "roster", str(path), "--dry-run"], settings=ctx.settings) == 0
    assert f"warning: {WARNING}" in capsys.readouterr().out.splitlines()
    assert run(["import", "roster", str(path)], settings=ctx.settings) == 0
    assert f"warning: {WARNING}" in capsys.readouterr().out.splitlines()
