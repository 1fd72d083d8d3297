"""Manifest rows carry the confirmed nationality, the claimed one as a note, and the document's
issuing country and issue date; revisions stored before these fields existed re-hash unchanged."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date

import pytest

from planner.services.manifests.build import confirmed_nationality
from planner.services.manifests.content import (
    canonical_bytes,
    content_from_json,
    content_sha256,
    content_to_json,
)
from tests.unit.manifests.sample import sample_manifest

#: ``content_json`` as stored by the code before ``claimed_nationality``/``document_issuing_country``/
#: ``document_issued_on`` existed (one passenger, one reserve with a Han name), and its stored SHA-256.
OLD_CONTENT_JSON = (
    '{"aircraft":"B737","approved_at":"2026-02-21T09:00:00Z","approved_by":"Sam","carrier":"Example Air",'
    '"departure_airport":"IAH","departure_airport_name":"Houston","departure_timezone":"America/Chicago",'
    '"departure_utc":"2026-03-01T14:00:00Z","flight_code":"RF0101","format":"charter-manifest/1",'
    '"prepared_at":"2026-02-20T09:00:00Z","prepared_by":"Olivia","revision":2,'
    '"signed_at":"2026-02-22T09:00:00Z","signed_by":"Sam","status":"SIGNED","stops":[{"airport":"MGA",'
    '"airport_name":"Augusto C. Sandino","arrival_utc":"2026-03-01T18:00:00Z","country":"NIC",'
    '"reserves":[{"case_number":"A200000002","date_of_birth":"1990-05-04","document_expires":"2030-01-31",'
    '"document_number":"C0123456","document_type":"PASSPORT","family_group":"FG-1","family_name":"王",'
    '"given_names":"小明","medical_need":"NONE","nationality":"NIC","native_name":"王小明","risk_level":"LOW",'
    '"sex":"F","verification_reference":"NIC-VL-1","verified_on":"2025-03-01"}],"rows":[{"case_number":'
    '"A200000001","date_of_birth":"1990-05-04","document_expires":"2030-01-31","document_number":"C0123456",'
    '"document_type":"PASSPORT","family_group":null,"family_name":"LÓPEZ","given_names":"María José",'
    '"medical_need":"NONE","nationality":"NIC","native_name":"","risk_level":"LOW","sex":"F",'
    '"verification_reference":"NIC-VL-1","verified_on":"2025-03-01"}],"sequence":1,'
    '"timezone":"America/Managua"}]}'
)
OLD_SHA256 = "12ce71404d77429285b80352e122917297964e1938be3cf0d14778ccd97d4453"


def test_an_old_stored_revision_loads_and_rehashes_to_its_stored_sha256() -> None:
    content = content_from_json(OLD_CONTENT_JSON)
    row = content.stops[0].rows[0]
    assert row.claimed_nationality is None
    assert row.document_issuing_country is None and row.document_issued_on is None
    assert content_sha256(content) == OLD_SHA256
    assert content_to_json(content) == OLD_CONTENT_JSON  # stored again byte for byte


def test_new_row_fields_round_trip_and_are_in_the_hash() -> None:
    base = sample_manifest(20, status="DRAFT")
    stop = base.stops[0]
    row = dataclasses.replace(
        stop.rows[0],
        nationality="HND",
        claimed_nationality="NIC",
        document_issuing_country="HND",
        document_issued_on=date(2024, 6, 1),
    )
    changed = dataclasses.replace(
        base, stops=(dataclasses.replace(stop, rows=(row, *stop.rows[1:])), *base.stops[1:])
    )
    again = content_from_json(content_to_json(changed))
    assert again == changed
    assert content_sha256(again) == content_sha256(changed) != content_sha256(base)
    data = json.loads(canonical_bytes(changed))
    stored = next(r for r in data["stops"][0]["rows"] if r["case_number"] == row.case_number)
    assert stored["claimed_nationality"] == "NIC"
    assert stored["document_issuing_country"] == "HND"
    assert stored["document_issued_on"] == "2024-06-01"
    for field in ("claimed_nationality", "document_issuing_country", "document_issued_on"):
        changed_one = dataclasses.replace(row, **{field: None})
        other = dataclasses.replace(
            changed, stops=(dataclasses.replace(stop, rows=(changed_one, *stop.rows[1:])), *base.stops[1:])
        )
        assert content_sha256(other) != content_sha256(changed), field


def test_absent_new_fields_are_not_written() -> None:
    base = sample_manifest(20, status="DRAFT")
    text = canonical_bytes(base).decode("utf-8")
    assert "claimed_nationality" not in text and "document_issu" not in text
    assert hashlib.sha256(canonical_bytes(base)).hexdigest() == content_sha256(base)


@pytest.mark.parametrize(
    ("claimed", "latest", "required", "issuer", "expected"),
    [
        ("NIC", "CONFIRMED", True, "HND", "HND"),  # the case: Honduras confirmed, NIC claimed
        ("NIC", "NOT_CONFIRMED", True, "HND", "NIC"),  # not confirmed: a problem anyway; claimed
        ("NIC", None, True, "HND", "NIC"),
        ("NIC", "PENDING", True, "HND", "NIC"),
        ("NIC", None, False, "HND", "HND"),  # no verification required: the document attests it
        ("NIC", None, False, "GTM", "NIC"),
        ("NIC", "CONFIRMED", False, "GTM", "HND"),
        ("HND", "CONFIRMED", True, "HND", "HND"),
    ],
)
def test_confirmed_nationality_rule(
    claimed: str, latest: str | None, required: bool, issuer: str, expected: str
) -> None:
    assert (
        confirmed_nationality(
            claimed,
            "HND",
            latest_result=latest,
            verification_required=required,
            document_issuing_country=issuer,
        )
        == expected
    )
