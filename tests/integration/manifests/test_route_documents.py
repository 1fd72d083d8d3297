"""Documents follow the route (issue 15): a flight with two pickups (IAH, SAT) and two stops (GUA,
SAL) — manifest content and PDF per pickup and stop, one PAXLST per international leg, API deadlines,
boarding cards at the pickup — on both backends; and one-pickup content unchanged (format 1)."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydifact.segmentcollection import Interchange
from pypdf import PdfReader

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.entrypoints.cli import main as cli
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from planner.services.manifests import boarding_cards, deadlines
from planner.services.manifests import workflow as manifests
from planner.services.manifests.content import (
    CANONICAL_FORMAT,
    ROUTE_FORMAT,
    canonical_bytes,
    content_from_json,
    content_sha256,
    content_to_json,
)
from planner.services.manifests.document_check import check_document
from planner.services.manifests.paxlst import (
    international_legs,
    parse_paxlst,
    write_leg_paxlsts,
    write_paxlst,
)
from planner.services.manifests.paxlst_export import export_paxlst_legs, leg_path
from planner.services.manifests.pdf import leg_rows, route_text
from planner.services.routes import write_pickups
from tests.conftest import USER_PASSWORD, add_user
from tests.integration.manifests.route_world import CODE, JOURNEYS, SAT_DEPARTURE, T0, plan_route, route_world
from tests.integration.manifests.world import World


def _approved(ctx: AppContext, officer: Actor, supervisor: Actor) -> World:
    world = route_world(ctx)
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, CODE, now=T0)
        manifests.approve_manifest(uow, supervisor, CODE, now=T0)
    return world


def _segments(text: str) -> list[tuple[str, list[str]]]:
    """(tag, flattened components) per segment, read with pydifact (an independent parser)."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydifact has no D:05B directory to validate with
        segments = list(Interchange.from_str(text).segments)
    for seg in segments:
        flat: list[str] = []
        for element in seg.elements:
            flat.extend(element if isinstance(element, list) else [element])
        out.append((seg.tag, flat))
    return out


def test_content_lists_pickups_and_hashes_as_route_format(
    ctx: AppContext, officer: Actor, supervisor: Actor
) -> None:
    _approved(ctx, officer, supervisor)
    with ctx.uow(write=False) as uow:
        content = manifests.manifest_content(uow, officer, CODE)
    assert content.has_route
    assert [(p.sequence, p.airport, p.country) for p in content.pickups] == [
        (0, "IAH", "USA"),
        (1, "SAT", "USA"),
    ]
    assert content.pickup(1).departure_utc == SAT_DEPARTURE
    boards = {r.case_number: (r.pickup_sequence, s.sequence) for s in content.stops for r in s.rows}
    assert boards == JOURNEYS
    data = json.loads(canonical_bytes(content))
    assert data["format"] == ROUTE_FORMAT and len(data["pickups"]) == 2
    assert all("pickup_sequence" in r for s in data["stops"] for r in s["rows"])
    again = content_from_json(content_to_json(content))
    assert again == content and content_sha256(again) == content_sha256(content)
    # legs and who is aboard each: IAH → SAT carries the IAH boarders, SAT → GUA everybody
    assert [len(content.rows_aboard(k)) for k in range(3)] == [3, 5, 2]
    assert [(leg, path, n, kind) for leg, path, _t, n, kind in leg_rows(content)] == [
        ("1", "IAH → SAT", 3, "domestic"),
        ("2", "SAT → GUA", 5, "international"),
        ("3", "GUA → SAL", 2, "international"),
    ]
    assert route_text(content).startswith("IAH ") and "→ SAT " in route_text(content)


def test_one_pickup_content_keeps_format_one(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    """A flight leaving from one airport: no pickups in the content, format 1 bytes, one PAXLST."""
    world = route_world(ctx)
    plan_route(world, {case: (0, stop) for case, (_p, stop) in JOURNEYS.items()})
    with ctx.uow() as uow:
        write_pickups(uow, world.flight_id, [])
        uow.commit()
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, CODE, now=T0)
        manifests.approve_manifest(uow, supervisor, CODE, now=T0)
    with ctx.uow(write=False) as uow:
        content = manifests.manifest_content(uow, officer, CODE)
    assert not content.has_route and content.pickups == ()
    raw = canonical_bytes(content)
    assert json.loads(raw)["format"] == CANONICAL_FORMAT and b"pickup" not in raw
    [message] = write_leg_paxlsts(
        content, sender="OFFICE", recipient="SKY CHARTER", interchange_ref="M1R1", now=T0
    )
    # byte for byte what the one-message writer produces
    assert message.text == write_paxlst(
        content, sender="OFFICE", recipient="SKY CHARTER", interchange_ref="M1R1", now=T0
    )
    assert international_legs(content) == ()


def test_pdf_lists_people_per_pickup_and_stop(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    _approved(ctx, officer, supervisor)
    with ctx.uow(write=False) as uow:
        pdf = manifests.manifest_pdf(uow, officer, CODE)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Route — persons aboard each leg" in text
    assert "IAH → SAT" in text and "SAT → GUA" in text and "GUA → SAL" in text
    assert "Boarding per pickup: IAH (pickup 1): 3 · SAT (pickup 2): 2" in text
    assert text.count("Boarding at IAH") == 2 and text.count("Boarding at SAT") == 2  # per stop
    assert "Sky Charter · 2030-" in text and "IAH " in text  # the page header carries the route
    for case in JOURNEYS:
        assert case in text
    with ctx.uow(write=False) as uow:  # the document check reads route content back
        result = check_document(uow, officer, CODE, pdf)
    assert result.matches, result.differences


def test_paxlst_one_message_per_international_leg(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    _approved(ctx, officer, supervisor)
    with ctx.uow() as uow:
        messages = export_paxlst_legs(uow, officer, CODE, now=T0)
    assert [(m.label, m.persons) for m in messages] == [("SAT-GUA", 5), ("GUA-SAL", 2)]
    first, second = (_segments(m.text) for m in messages)
    # leg SAT → GUA: departs SAT at its own local time (CDT, UTC−5), arrives GUA (UTC−6)
    assert ("LOC", ["125", "SAT"]) in first and ("LOC", ["87", "GUA"]) in first
    local = SAT_DEPARTURE.astimezone(ZoneInfo("America/Chicago"))
    assert ("DTM", ["189", local.strftime("%y%m%d%H%M"), "201"]) in first
    assert any(tag == "DTM" and parts[0] == "232" for tag, parts in first)
    assert ("CNT", ["42", "5"]) in first
    embark = [parts[1] for tag, parts in first if tag == "LOC" and parts[0] == "178"]
    assert sorted(embark) == ["IAH", "IAH", "IAH", "SAT", "SAT"]  # each person's own pickup
    # leg GUA → SAL: the stop's departure time is not known (no DTM+189); only SAL's people
    assert ("LOC", ["125", "GUA"]) in second and not any(
        tag == "DTM" and parts[0] == "189" for tag, parts in second
    )
    assert ("CNT", ["42", "2"]) in second
    abo = [parts[1] for tag, parts in second if tag == "RFF" and parts[0] == "ABO"]
    assert sorted(abo) == ["S0000001", "S0000002"]
    references = [next(s for s in parse_paxlst(m.text) if s.tag == "UNH").element(0) for m in messages]
    assert [r[-2:] for r in references] == ["L2", "L3"] and len(set(references)) == 2
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="2 international legs"):
        manifests.export_paxlst(uow, officer, CODE, now=T0)


def test_api_deadlines_follow_the_route(ctx: AppContext, officer: Actor) -> None:
    route_world(ctx)
    with ctx.uow(write=False) as uow:
        clock = deadlines.flight_api_deadlines(uow, officer, CODE, now=T0)
    assert [(d.airport, d.country, d.before_arrival) for d in clock] == [
        ("GUA", "GTM", True),
        ("SAL", "SLV", True),
    ]


def test_boarding_cards_show_the_pickup(ctx: AppContext, officer: Actor, supervisor: Actor) -> None:
    _approved(ctx, officer, supervisor)
    with ctx.uow(write=False) as uow:
        content = manifests.manifest_content(uow, officer, CODE)
        pdf, count = boarding_cards.boarding_cards_pdf(uow, officer, CODE)
    cards = {c.case_number: c for c in boarding_cards.cards_of(content)}
    assert cards["G0000003"].departure_airport == "SAT" and cards["G0000003"].departure_utc == SAT_DEPARTURE
    assert cards["G0000001"].departure_airport == "IAH"
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert (
        count == 5
        and "Boards at SAT 2030-" in text
        and "pickup 2/2" in text
        and "Boards at IAH 2030-" in text
    )


@pytest.fixture
def cli_db(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> str:
    add_user(ctx, "olivia", Role.OFFICER)
    monkeypatch.setenv("CHARTER_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("CHARTER_PASSWORD", USER_PASSWORD)
    monkeypatch.setenv("CHARTER_USER", "olivia")
    return ctx.settings.database


def test_cli_writes_one_paxlst_file_per_leg(
    cli_db: str, ctx: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    officer = add_user(ctx, "olivia2", Role.OFFICER)
    supervisor = add_user(ctx, "sam2", Role.SUPERVISOR)
    _approved(ctx, officer, supervisor)
    out = tmp_path / "rf0100.edi"
    assert cli.run(["--db", cli_db, "paxlst", CODE, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    paths = [Path(leg_path(str(out), leg)) for leg in ("SAT-GUA", "GUA-SAL")]
    assert [p.name for p in paths] == ["rf0100-SAT-GUA.edi", "rf0100-GUA-SAL.edi"]
    for path in paths:
        assert path.exists() and str(path) in printed
        assert _segments(path.read_text())  # well-formed for an independent parser
    assert not out.exists()
    assert "leg SAT-GUA (5 persons)" in printed and "GTM data due" in printed


def test_a_stop_arrival_before_a_later_pickups_departure_is_refused(ctx: AppContext, officer: Actor) -> None:
    """Review fix: every pickup happens before the first stop, so ``arrival`` refuses a stop arrival
    at or before a later pickup's departure (it checked only the first pickup's), writing nothing."""
    from datetime import timedelta

    route_world(ctx)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="later pickup"):
        deadlines.set_stop_arrival(uow, officer, CODE, "GUA", SAT_DEPARTURE - timedelta(minutes=30))
    with ctx.uow() as uow:
        deadlines.set_stop_arrival(uow, officer, CODE, "GUA", SAT_DEPARTURE + timedelta(hours=1))
