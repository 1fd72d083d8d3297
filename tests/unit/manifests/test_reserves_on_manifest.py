"""Reserves on the manifest: part of the content and its hash, printed in their own marked section,
never in PAXLST or the totals; manifests stored before reserves existed load and hash as before."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from planner.services.manifests.content import (
    ManifestContent,
    content_from_json,
    content_sha256,
    content_to_json,
)
from planner.services.manifests.paxlst import write_paxlst
from planner.services.manifests.pdf import RESERVES_TITLE, render_manifest_pdf, reserve_ranks
from tests.unit.manifests.sample import sample_manifest

PLAIN = sample_manifest(24, status="APPROVED")


def _with_reserves(content: ManifestContent, per_stop: int = 3) -> ManifestContent:
    """The last ``per_stop`` people of each stop become its reserves (the first two a family)."""
    stops = []
    for n, stop in enumerate(content.stops):
        rows = list(stop.rows)
        reserves = rows[-per_stop:]
        reserves[0] = dataclasses.replace(reserves[0], family_group=f"RES-FAM-{n}")
        reserves[1] = dataclasses.replace(reserves[1], family_group=f"RES-FAM-{n}")
        reserves[2] = dataclasses.replace(reserves[2], family_group=None)
        stops.append(dataclasses.replace(stop, rows=tuple(rows[:-per_stop]), reserves=tuple(reserves)))
    return dataclasses.replace(content, stops=tuple(stops))


WITH = _with_reserves(PLAIN)


def test_reserves_round_trip_and_are_hashed_in_rank_order() -> None:
    assert WITH.reserve_count == 3 * len(WITH.stops)
    assert WITH.person_count == PLAIN.person_count - WITH.reserve_count
    assert content_from_json(content_to_json(WITH)) == WITH
    assert content_sha256(content_from_json(content_to_json(WITH))) == content_sha256(WITH)
    # the order of the reserves is their rank: changing it changes the hash
    stop = WITH.stops[0]
    swapped = dataclasses.replace(stop, reserves=(stop.reserves[2], *stop.reserves[:2]))
    other = dataclasses.replace(WITH, stops=(swapped, *WITH.stops[1:]))
    assert content_sha256(other) != content_sha256(WITH)
    # moving a reserve to the passengers changes the hash too
    moved = dataclasses.replace(stop, rows=(*stop.rows, stop.reserves[2]), reserves=stop.reserves[:2])
    assert content_sha256(dataclasses.replace(WITH, stops=(moved, *WITH.stops[1:]))) != content_sha256(WITH)


def test_a_manifest_stored_before_reserves_existed_loads_and_hashes_as_before() -> None:
    stored = content_to_json(PLAIN)
    data = json.loads(stored)
    assert all("reserves" not in stop for stop in data["stops"])  # the form old revisions were stored in
    loaded = content_from_json(stored)
    assert all(stop.reserves == () for stop in loaded.stops)
    assert content_sha256(loaded) == content_sha256(PLAIN)


def test_a_person_cannot_be_both_passenger_and_reserve() -> None:
    stop = PLAIN.stops[0]
    with pytest.raises(ValueError, match="appears twice"):
        dataclasses.replace(
            PLAIN, stops=(dataclasses.replace(stop, reserves=(stop.rows[0],)), *PLAIN.stops[1:])
        )


def test_paxlst_lists_passengers_only() -> None:
    text = write_paxlst(
        WITH,
        sender="US ICE ERO",
        recipient="EXAMPLE AIR",
        interchange_ref="RF0001R3",
        now=datetime(2025, 7, 10, 12, 5, tzinfo=UTC),
    )
    for stop in WITH.stops:
        for row in stop.rows:
            assert row.case_number in text
        for row in stop.reserves:
            assert row.case_number not in text
    assert f"CNT+42:{WITH.person_count}'" in text


def test_reserve_ranks_share_a_family_rank() -> None:
    assert reserve_ranks(WITH.stops[0].reserves) == ["1", "1", "2"]
    assert reserve_ranks(()) == []


def test_pdf_prints_reserves_in_a_marked_section_after_each_stop() -> None:
    out = io.BytesIO()
    render_manifest_pdf(WITH, out)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    squashed = re.sub(r"\s+", " ", text)
    assert squashed.count(RESERVES_TITLE) == len(WITH.stops)
    for stop in WITH.stops:
        passengers_at = [text.index(r.case_number) for r in stop.rows]
        reserves_at = [text.index(r.case_number) for r in stop.reserves]
        assert max(passengers_at) < min(reserves_at)  # after the stop's passengers
        assert reserves_at == sorted(reserves_at)  # in rank order
    # the header says how many passengers: reserves are not counted
    assert f"Persons {WITH.person_count}" in squashed
    # and a manifest without reserves has no such section
    plain = io.BytesIO()
    render_manifest_pdf(PLAIN, plain)
    assert RESERVES_TITLE not in "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(plain.getvalue())).pages
    )
