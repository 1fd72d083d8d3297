"""``verification request`` and ``travel-docs request`` through the command line, on both backends:
exit codes, the one-line messages, the files written."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from planner.entrypoints.cli import main as cli
from planner.persistence.context import build_context
from planner.settings import Settings
from tests.integration.consular.batch_world import BatchWorld, read_csv
from tests.integration.test_cli import db, empty_db  # noqa: F401 - fixtures


@pytest.fixture
def people(db: str, tmp_path: Path) -> Iterator[BatchWorld]:  # noqa: F811
    """Two CHN claimants (one family), one Haitian, one released CHN claimant."""
    ctx = build_context(Settings(db=db, data_dir=tmp_path))
    try:
        world = BatchWorld(ctx).setup()
        world.person("A900000001", family_group="F-1", native_name="王伟")
        world.person("A900000002", family_group="F-1", native_name="李娜")
        world.person("A900000003", nationality="HTI")
        world.person("A900000004", custody_status="RELEASED")
        yield world
    finally:
        ctx.close()


def test_verification_request_writes_the_batch_then_says_nobody_is_left(
    db: str,  # noqa: F811
    people: BatchWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
) -> None:
    out = tmp_path / "chn.csv"
    assert cli.run(["--db", db, "verification", "request", "--country", "chn", "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    year = date.today().year
    due = date.today() + timedelta(days=30)
    csv_sha = hashlib.sha256(out.read_bytes()).hexdigest()
    pdf_sha = hashlib.sha256((tmp_path / "chn.pdf").read_bytes()).hexdigest()
    assert line == (
        f"VR-CHN-{year}-0001: 2 people asked of China for verification of nationality; wrote {out} "
        f"(sha256 {csv_sha}) and {tmp_path / 'chn.pdf'} (sha256 {pdf_sha}); answers expected by {due} "
        "(30 days, country rule)"
    )
    assert [r["case_number"] for r in read_csv(out.read_bytes())] == ["A900000001", "A900000002"]
    again = tmp_path / "again.csv"
    assert cli.run(["--db", db, "verification", "request", "--country", "CHN", "--out", str(again)]) == 0
    assert capsys.readouterr().out.strip() == (
        "nobody to request of China (CHN) for verification of nationality: of 3 people claiming it, "
        "2 already requested and 1 not in custody or without a removal order"
    )
    assert not again.exists() and not (tmp_path / "again.pdf").exists()
    # the travel-document request follows the open verification request
    td = tmp_path / "td.csv"
    assert (
        cli.run(["--db", db, "travel-docs", "request", "--country", "CHN", "--limit", "5", "--out", str(td)])
        == 0
    )
    assert re.match(
        rf"TD-CHN-{year}-0001: 2 people asked of China for travel documents; wrote ", capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verification", "request", "--country", "XYZ"], "unknown country 'XYZ'"),
        (
            ["travel-docs", "request", "--country", "HTI"],
            "HTI issues no travel documents on request: its rule accepts only PASSPORT",
        ),
    ],
)
def test_bad_country_exits_2_with_one_line(
    db: str,  # noqa: F811
    people: BatchWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    argv: list[str],
    message: str,
) -> None:
    out = tmp_path / "r.csv"
    assert cli.run(["--db", db, *argv, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1 and message in captured.err
    assert not out.exists()


def test_bad_out_exits_2_before_any_work(
    db: str,  # noqa: F811
    people: BatchWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
) -> None:
    for target, message in (
        (tmp_path / "list.txt", "must be a .csv file"),
        (tmp_path, "is a folder"),
        (tmp_path / "missing" / "r.csv", "is not a folder"),
    ):
        assert cli.run(["--db", db, "verification", "request", "--country", "CHN", "--out", str(target)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, err
    with pytest.raises(SystemExit) as usage:
        cli.run(["--db", db, "verification", "request", "--country", "CHN", "--limit", "0", "--out", "x.csv"])
    assert usage.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.csv")) and not list(tmp_path.glob("*.pdf"))
