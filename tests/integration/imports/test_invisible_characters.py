"""Names holding invisible control, format or bidi characters are refused by the importers as line
errors naming the column and the code point (planner.domain.credentials.refused_character)."""

from __future__ import annotations

import pytest

from planner.persistence.context import AppContext
from planner.services.auth import Actor
from planner.services.imports import ImportRejected

from .conftest import do_import, snapshot
from .synth import ROSTER_HEADER, facilities_csv, flights_csv, roster_rows, to_csv

ESCORT_HEADER = (
    "flight_id,role,family_name,given_names,sex,date_of_birth,nationality,document_type,"
    "document_number,document_expires,issuing_country"
)


def _errors(ctx: AppContext, actor: Actor, kind: str, data: str) -> list[tuple[int, str, str]]:
    before = snapshot(ctx)
    with pytest.raises(ImportRejected) as info:
        do_import(ctx, actor, kind, data.encode("utf-8"))
    assert snapshot(ctx) == before
    return [(e.line, e.column, e.message) for e in info.value.report.errors]


def test_the_roster_refuses_bidi_overrides_and_zero_width_spaces_in_names(
    ctx: AppContext, admin: Actor
) -> None:
    do_import(ctx, admin, "facilities", facilities_csv().encode())
    rows = roster_rows(3)
    rows[0]["family_name"] = "ALI\u202eCOD"
    rows[1]["given_names"] = "LI\u200bWEI"
    rows[2]["native_name"] = "Ana\u2028Maria"
    assert _errors(ctx, admin, "roster", to_csv(ROSTER_HEADER, rows)) == [
        (2, "family_name", "U+202E RIGHT-TO-LEFT OVERRIDE is not allowed"),
        (3, "given_names", "U+200B ZERO WIDTH SPACE is not allowed"),
        (4, "native_name", "U+2028 LINE SEPARATOR is not allowed"),
    ]


def test_the_escort_list_refuses_them_too(ctx: AppContext, admin: Actor) -> None:
    do_import(ctx, admin, "flights", flights_csv().encode())
    line = "RF0001,ESCORT,MARTINEZ,DANIEL\u2067X\u2069,M,1982-04-11,USA,PASSPORT,A12345678,2031-05-30,USA"
    assert _errors(ctx, admin, "escorts", f"{ESCORT_HEADER}\n{line}\n") == [
        (2, "given_names", "U+2067 RIGHT-TO-LEFT ISOLATE is not allowed")
    ]
