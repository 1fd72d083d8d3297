"""Boarding cards, the as-flown manifest and handover receipts, through the command line, on both
backends. Boarding, strike-offs, closing and departing are recorded directly in their tables here
(their services are tested with the departure services)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import zxingcpp
from pypdf import PdfReader

from planner.domain.enums import Role
from planner.entrypoints.cli import main as cli
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Boarding, Flight, StrikeOff
from planner.services.manifests import workflow as manifests
from tests.conftest import USER_PASSWORD, add_user
from tests.integration.manifests.world import DEPARTURE, T0, World
from tests.unit.manifests.rendering import page_images

CHINA = ["A10000001", "A10000002", "A10000003", "A10000004"]
FAMILY = ["A20000001", "A20000002"]


@pytest.fixture
def cli_db(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> str:
    add_user(ctx, "olivia", Role.OFFICER)
    add_user(ctx, "sam", Role.SUPERVISOR)
    monkeypatch.setenv("CHARTER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    monkeypatch.setenv("CHARTER_USER", "olivia")
    return ctx.settings.database


def _approved_world(ctx: AppContext) -> World:
    world = World(ctx).setup()
    for case in CHINA:
        world.person(case, "CHN")
    for case in FAMILY:
        world.person(case, "GTM", family="FAM1")
    world.plan({c: 1 for c in CHINA} | {c: 2 for c in FAMILY})
    officer = add_user(ctx, "olivia2", Role.OFFICER)
    supervisor = add_user(ctx, "sam2", Role.SUPERVISOR)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0)
    return world


def _run(capsys: pytest.CaptureFixture, db: str, *args: str) -> tuple[int, str, str]:
    code = cli.run(["--db", db, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _board_all_but_one_and_close(ctx: AppContext, world: World) -> None:
    boarded_at = DEPARTURE - timedelta(hours=2)
    with ctx.uow() as uow:
        for case in [*CHINA[1:], *FAMILY]:
            uow.session.add(
                Boarding(
                    flight_id=world.flight_id,
                    person_id=world.person_ids[case],
                    airport="IAH",
                    boarded_by="olivia",
                    boarded_at=boarded_at,
                )
            )
        uow.session.add(
            StrikeOff(
                flight_id=world.flight_id,
                person_id=world.person_ids[CHINA[0]],
                stop_sequence=1,
                reason="NO_SHOW",
                struck_by="olivia",
                struck_at=boarded_at,
                manifest_revision=1,
            )
        )
        flight = uow.session.get(Flight, world.flight_id)
        flight.closed_at = DEPARTURE - timedelta(minutes=30)
        flight.closed_by = "sam"
        uow.commit()


def _audit(ctx: AppContext, action: str) -> list[dict]:
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()
        return [json.loads(r.changes_json) | {"actor": r.actor, "entity_id": r.entity_id} for r in rows]


def test_boarding_cards_as_flown_and_handover_from_the_command_line(
    ctx: AppContext, cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    world = _approved_world(ctx)

    # boarding cards: one per listed passenger, each barcode reads back its case number
    cards = tmp_path / "cards.pdf"
    code, out, _ = _run(capsys, cli_db, "boarding-cards", "RF0001", "--out", str(cards))
    assert code == 0 and "6 boarding cards" in out
    found = [r.text for image in page_images(cards.read_bytes()) for r in zxingcpp.read_barcodes(image)]
    assert sorted(found) == sorted(CHINA + FAMILY)

    # before the doors close: no handover receipt, no as-flown manifest (one line, exit 2)
    receipt = tmp_path / "gua.pdf"
    code, _, err = _run(capsys, cli_db, "handover", "RF0001", "--stop", "GUA", "--out", str(receipt))
    assert code == 2 and "not closed yet" in err and len(err.strip().splitlines()) == 1
    flown = tmp_path / "flown.pdf"
    code, _, err = _run(capsys, cli_db, "manifest", "RF0001", "--as-flown", "--out", str(flown))
    assert code == 2 and "departed" in err
    assert not receipt.exists() and not flown.exists()

    _board_all_but_one_and_close(ctx, world)

    code, out, _ = _run(capsys, cli_db, "handover", "RF0001", "--stop", "gua", "--out", str(receipt))
    assert code == 0 and "handover receipt for GUA: 2 persons" in out
    text = "".join(p.extract_text() for p in PdfReader(receipt).pages)
    assert all(c in text for c in FAMILY) and not any(c in text for c in CHINA)
    assert "Rank / position:" in text
    digest = re.search(r"SHA-256 ([0-9a-f]{64})", out).group(1)
    assert f"SHA-256 {digest}" in text
    assert _audit(ctx, "manifest.handover")[-1]["sha256"] == digest

    code, _, err = _run(capsys, cli_db, "handover", "RF0001", "--stop", "LHR", "--out", str(receipt))
    assert code == 2 and "does not stop at LHR" in err
    code, _, err = _run(capsys, cli_db, "manifest", "RF0001", "--as-flown", "--out", str(flown))
    assert code == 2 and "departed" in err

    with ctx.uow() as uow:
        flight = uow.session.get(Flight, world.flight_id)
        flight.status = "DEPARTED"
        flight.departed_at = DEPARTURE + timedelta(minutes=5)
        uow.commit()
    code, out, _ = _run(capsys, cli_db, "manifest", "RF0001", "--as-flown", "--out", str(flown))
    assert code == 0 and "5 boarded, 1 struck off" in out
    pages = [p.extract_text() for p in PdfReader(flown).pages]
    body, last = "".join(pages[:-1]), pages[-1]
    assert all(c in body for c in [*CHINA[1:], *FAMILY]) and CHINA[0] not in body
    assert CHINA[0] in last and "Did not board (no-show)" in last
    digest = re.search(r"SHA-256 ([0-9a-f]{64})", out).group(1)
    assert all(f"SHA-256 {digest}" in page for page in pages)
    event = _audit(ctx, "manifest.as_flown")[-1]
    assert event["sha256"] == digest and event["actor"] == "olivia" and event["struck"] == {"NO_SHOW": 1}
    with ctx.uow(write=False) as uow:
        assert audit.verify_chain(uow).ok

    # the same data gives the same hash
    code, out2, _ = _run(
        capsys, cli_db, "manifest", "RF0001", "--as-flown", "--out", str(tmp_path / "again.pdf")
    )
    assert code == 0 and re.search(r"SHA-256 ([0-9a-f]{64})", out2).group(1) == digest


def test_boarding_cards_need_an_approved_manifest(
    ctx: AppContext, cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    world = World(ctx).setup()
    world.person("A10000001", "CHN")
    world.plan({"A10000001": 1})
    code, _, err = _run(capsys, cli_db, "boarding-cards", "RF0001", "--out", str(tmp_path / "c.pdf"))
    assert code == 2 and "no approved manifest" in err
    code, _, err = _run(capsys, cli_db, "boarding-cards", "RF9999", "--out", str(tmp_path / "c.pdf"))
    assert code != 0 and "RF9999" in err
