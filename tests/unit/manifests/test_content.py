"""Manifest content: canonical bytes, SHA-256, storage round trip, QR payload."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.services.manifests.content import (
    ManifestContent,
    ManifestRow,
    StopSection,
    canonical_bytes,
    content_from_json,
    content_sha256,
    content_to_json,
    parse_qr_payload,
    qr_payload,
)
from tests.unit.manifests.sample import sample_manifest

SMALL = sample_manifest(40, status="DRAFT")


def _replace_row(
    content: ManifestContent, stop_index: int, row_index: int, **changes: object
) -> ManifestContent:
    stops = list(content.stops)
    rows = list(stops[stop_index].rows)
    rows[row_index] = dataclasses.replace(rows[row_index], **changes)
    stops[stop_index] = dataclasses.replace(stops[stop_index], rows=tuple(rows))
    return dataclasses.replace(content, stops=tuple(stops))


def test_hash_is_stable_from_draft_to_signed() -> None:
    draft = sample_manifest(40, status="DRAFT")
    approved = sample_manifest(40, status="APPROVED")
    signed = sample_manifest(40, status="SIGNED")
    superseded = dataclasses.replace(signed, status="SUPERSEDED", prepared_by="someone else")
    digests = {content_sha256(c) for c in (draft, approved, signed, superseded)}
    assert len(digests) == 1
    assert len(digests.pop()) == 64


def test_hash_ignores_row_and_stop_order() -> None:
    reordered = dataclasses.replace(
        SMALL,
        stops=tuple(dataclasses.replace(s, rows=tuple(reversed(s.rows))) for s in reversed(SMALL.stops)),
    )
    assert canonical_bytes(reordered) == canonical_bytes(SMALL)


def test_canonical_bytes_are_utf8_json_with_format_tag() -> None:
    text = canonical_bytes(SMALL).decode("utf-8")
    assert text.startswith("{") and '"format":"charter-manifest/1"' in text
    native = next(r.native_name for s in SMALL.stops for r in s.rows if r.native_name)
    assert native in text


def test_revision_and_flight_fields_are_in_the_hash() -> None:
    base = content_sha256(SMALL)
    for change in (
        {"revision": SMALL.revision + 1},
        {"flight_code": "RF0002"},
        {"carrier": "Other Air"},
        {"aircraft": "A321"},
        {"departure_airport": "EWR"},
        {"departure_airport_name": "Newark"},
        {"departure_utc": SMALL.departure_utc + timedelta(minutes=1)},
        {"departure_timezone": "America/Chicago"},
    ):
        assert content_sha256(dataclasses.replace(SMALL, **change)) != base, change


def test_stop_fields_are_in_the_hash() -> None:
    base = content_sha256(SMALL)
    stop = SMALL.stops[0]
    for change in (
        {"airport": "PVG"},
        {"airport_name": "Shanghai"},
        {"country": "TWN"},
        {"timezone": "Asia/Tokyo"},
        {"arrival_utc": None},
        {"rows": stop.rows[:-1]},
    ):
        changed = dataclasses.replace(SMALL, stops=(dataclasses.replace(stop, **change), *SMALL.stops[1:]))
        assert content_sha256(changed) != base, change


_TEXT_FIELDS = [
    "case_number",
    "family_name",
    "given_names",
    "native_name",
    "sex",
    "nationality",
    "document_type",
    "document_number",
    "verification_reference",
    "risk_level",
    "medical_need",
    "family_group",
]
_DATE_FIELDS = ["date_of_birth", "document_expires", "verified_on"]


@settings(max_examples=150, deadline=None)
@given(
    stop_index=st.integers(0, len(SMALL.stops) - 1),
    row_seed=st.integers(0, 10_000),
    field=st.sampled_from(_TEXT_FIELDS + _DATE_FIELDS),
    text=st.text(min_size=0, max_size=12),
    days=st.integers(-20_000, 20_000).filter(lambda d: d != 0),
)
def test_changing_any_field_of_any_row_changes_the_hash(
    stop_index: int, row_seed: int, field: str, text: str, days: int
) -> None:
    rows = SMALL.stops[stop_index].rows
    row_index = row_seed % len(rows)
    old = getattr(rows[row_index], field)
    if field in _DATE_FIELDS:
        new: object = (old or date(2000, 1, 1)) + timedelta(days=days)
    else:
        new = text if text != old else (old or "") + "x"
        if field == "case_number" and new == "":
            new = "A999999999"
        if field == "case_number" and any(r.case_number == new for s in SMALL.stops for r in s.rows):
            new = f"{new}Z"
    changed = _replace_row(SMALL, stop_index, row_index, **{field: new})
    assert content_sha256(changed) != content_sha256(SMALL)


def test_none_and_empty_are_different() -> None:
    row_index = next(i for i, r in enumerate(SMALL.stops[0].rows) if r.family_group is None)
    changed = _replace_row(SMALL, 0, row_index, family_group="")
    assert content_sha256(changed) != content_sha256(SMALL)


def test_json_round_trip_keeps_everything() -> None:
    signed = sample_manifest(25, status="SIGNED")
    again = content_from_json(content_to_json(signed))
    assert again == signed
    assert content_sha256(again) == content_sha256(signed)


def test_qr_payload_round_trip() -> None:
    payload = qr_payload(SMALL)
    assert payload == f"CHARTER-MANIFEST|RF0001|3|{content_sha256(SMALL)}"
    assert parse_qr_payload(payload) == ("RF0001", 3, content_sha256(SMALL))
    for bad in (
        "",
        "CHARTER-MANIFEST|RF0001|x|abc",
        "OTHER|RF0001|3|" + "0" * 64,
        "CHARTER-MANIFEST|R|3|" + "G" * 64,
    ):
        with pytest.raises(ValueError):
            parse_qr_payload(bad)


def test_invariants_are_checked() -> None:
    row = SMALL.stops[0].rows[0]
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(SMALL, departure_utc=datetime(2025, 1, 1, 12, 0))
    with pytest.raises(ValueError, match="time zone"):
        dataclasses.replace(SMALL, departure_timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        dataclasses.replace(SMALL, status="LOST")
    with pytest.raises(ValueError, match="twice"):
        dataclasses.replace(
            SMALL, stops=(dataclasses.replace(SMALL.stops[0], rows=(row, row)), *SMALL.stops[1:])
        )
    with pytest.raises(ValueError, match="sequence"):
        dataclasses.replace(SMALL, stops=(SMALL.stops[0], dataclasses.replace(SMALL.stops[1], sequence=1)))
    with pytest.raises(ValueError, match="case number"):
        dataclasses.replace(row, case_number="")


def test_departure_local_uses_the_airport_zone() -> None:
    content = dataclasses.replace(SMALL, departure_utc=datetime(2025, 1, 15, 14, 0, tzinfo=UTC))
    assert content.departure_local.hour == 9  # New York, EST
    assert content.person_count == 40


def test_empty_manifest_is_valid() -> None:
    empty = ManifestContent(
        flight_code="RF0009",
        revision=1,
        status="DRAFT",
        carrier="C",
        aircraft="A",
        departure_airport="JFK",
        departure_airport_name="JFK",
        departure_utc=datetime(2025, 1, 1, tzinfo=UTC),
        departure_timezone="UTC",
        stops=(StopSection(sequence=1, airport="PEK", airport_name="Beijing", country="CHN"),),
    )
    assert empty.person_count == 0
    assert content_from_json(content_to_json(empty)) == empty


def _golden() -> ManifestContent:
    row = ManifestRow(
        case_number="A123456789",
        family_name="Wáng",
        given_names="Xiǎo Míng",
        native_name="王小明",
        sex="M",
        date_of_birth=date(1990, 2, 3),
        nationality="CHN",
        document_type="PASSPORT",
        document_number="E1234567",
        document_expires=date(2030, 1, 1),
        verification_reference="CHN-VL-1",
        verified_on=date(2025, 5, 6),
        risk_level="LOW",
        medical_need="NONE",
        family_group=None,
    )
    return ManifestContent(
        flight_code="RF0001",
        revision=1,
        status="DRAFT",
        carrier="Example Air",
        aircraft="B767",
        departure_airport="JFK",
        departure_airport_name="John F. Kennedy International",
        departure_utc=datetime(2025, 7, 14, 13, 30, tzinfo=UTC),
        departure_timezone="America/New_York",
        stops=(StopSection(1, "PEK", "Beijing Capital", "CHN", (row,), "Asia/Shanghai", None),),
    )


def test_canonical_form_is_pinned() -> None:
    """Printed manifests must stay verifiable: any change to the canonical form fails here first."""
    expected = (
        '{"aircraft":"B767","carrier":"Example Air","departure_airport":"JFK",'
        '"departure_airport_name":"John F. Kennedy International","departure_timezone":"America/New_York",'
        '"departure_utc":"2025-07-14T13:30:00Z","flight_code":"RF0001","format":"charter-manifest/1",'
        '"revision":1,"stops":[{"airport":"PEK","airport_name":"Beijing Capital","arrival_utc":null,'
        '"country":"CHN","rows":[{"case_number":"A123456789","date_of_birth":"1990-02-03",'
        '"document_expires":"2030-01-01","document_number":"E1234567","document_type":"PASSPORT",'
        '"family_group":null,"family_name":"Wáng","given_names":"Xiǎo Míng","medical_need":"NONE",'
        '"nationality":"CHN","native_name":"王小明","risk_level":"LOW","sex":"M",'
        '"verification_reference":"CHN-VL-1","verified_on":"2025-05-06"}],"sequence":1,'
        '"timezone":"Asia/Shanghai"}]}'
    )
    assert canonical_bytes(_golden()).decode("utf-8") == expected
    assert content_sha256(_golden()) == hashlib.sha256(expected.encode("utf-8")).hexdigest()
