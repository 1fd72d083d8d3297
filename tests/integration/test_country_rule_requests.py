"""Country rules' request fields (issue 16): ``lead_time_days`` (1–365, default 30) and
``request_columns`` (the request CSV layout, empty = default) are saved, listed, imported (optional
columns) and audited old -> new like every field, and need no impact check. Both backends."""

from __future__ import annotations

import pytest

from planner.domain.errors import InvalidInput
from planner.domain.requests import DEFAULT_LEAD_TIME_DAYS, DEFAULT_REQUEST_COLUMNS
from planner.persistence.context import AppContext
from planner.services import country_rules as rules
from planner.services.auth import Actor
from planner.services.imports import ImportRejected, import_file
from planner.services.reference import default_country_rule, read_country_rules
from tests.integration.manifests.world import T0
from tests.integration.test_country_rules import CHN, HEADER, _approved, _events, _stored


def test_the_default_rule_and_the_shipped_rules_expect_answers_in_30_days_on_the_default_layout(
    ctx: AppContext, admin: Actor
) -> None:
    default = default_country_rule("HTI")
    assert (default.lead_time_days, default.request_columns) == (DEFAULT_LEAD_TIME_DAYS, "")
    assert all(r["lead_time_days"] >= 1 and r["request_columns"] == "" for r in read_country_rules())
    with ctx.uow(write=False) as uow:
        rows = {r.country: r for r in rules.list_rules(uow, admin, include_default=True)}
    assert rows["HTI"].lead_time_days == 30 and rows["HTI"].request_layout == DEFAULT_REQUEST_COLUMNS
    as_json = rows["CHN"].as_dict()
    assert as_json["lead_time_days"] == rows["CHN"].lead_time_days
    assert as_json["request_columns"] == list(DEFAULT_REQUEST_COLUMNS)


def test_save_audits_lead_time_and_layout_and_keeps_them_when_not_given(
    ctx: AppContext, admin: Actor
) -> None:
    with ctx.uow() as uow:
        saved = rules.save_rule(
            uow,
            admin,
            {**CHN, "lead_time_days": "90", "request_columns": "case_number; reference ;native_name"},
            expected_version=1,
        )
    assert (saved.version, saved.lead_time_days) == (2, 90)
    assert saved.request_layout == ("case_number", "reference", "native_name")
    stored = _stored(ctx, "CHN")
    assert stored is not None and stored.request_columns == "case_number;reference;native_name"
    assert _events(ctx)[-1][2] == {
        "lead_time_days": [30, 90],
        "request_columns": ["", "case_number;reference;native_name"],
    }
    with ctx.uow() as uow:  # values without the two keys keep them
        kept = rules.save_rule(uow, admin, {**CHN, "notice_days": 20}, expected_version=2)
    assert (kept.lead_time_days, kept.request_columns, kept.version) == (
        90,
        "case_number;reference;native_name",
        3,
    )
    assert _events(ctx)[-1][2] == {"notice_days": [14, 20]}
    with ctx.uow() as uow:  # the default layout, spelt out, is stored as empty
        back = rules.save_rule(
            uow,
            admin,
            {**CHN, "notice_days": 20, "request_columns": ";".join(DEFAULT_REQUEST_COLUMNS)},
            expected_version=3,
        )
    assert back.request_columns == "" and _events(ctx)[-1][2] == {
        "request_columns": ["case_number;reference;native_name", ""]
    }


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"lead_time_days": 0}, "lead_time_days: 0 is outside 1–365"),
        ({"lead_time_days": 366}, "lead_time_days: 366 is outside 1–365"),
        ({"lead_time_days": "soon"}, "lead_time_days: .* is not a whole number"),
        ({"request_columns": "case_number;reference;shoe_size"}, "unknown request column 'shoe_size'"),
        ({"request_columns": "case_number;family_name"}, "must include reference"),
        ({"request_columns": "case_number;reference;sex;sex"}, "'sex' is named twice"),
    ],
)
def test_save_refuses_a_bad_lead_time_or_layout(
    ctx: AppContext, admin: Actor, values: dict, words: str
) -> None:
    with ctx.uow() as uow, pytest.raises(InvalidInput, match=words):
        rules.save_rule(uow, admin, {**CHN, **values}, expected_version=1)
    assert _events(ctx) == []


def test_a_lead_time_change_needs_no_impact_check_even_with_an_approved_manifest(
    ctx: AppContext, admin: Actor, officer: Actor, supervisor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _approved(ctx, officer, supervisor)

    def no_impact(*_args: object, **_kwargs: object) -> list:
        raise AssertionError("rule_impact called for a change that does not touch eligibility")

    monkeypatch.setattr(rules, "rule_impact", no_impact)
    with ctx.uow() as uow:
        saved = rules.save_rule(uow, admin, {**CHN, "lead_time_days": 45}, expected_version=1, now=T0)
    assert saved.lead_time_days == 45


def test_import_reads_the_optional_columns_and_a_file_without_them_keeps_the_stored_values(
    ctx: AppContext, admin: Actor
) -> None:
    header = HEADER.rstrip("\n") + ",lead_time_days,request_columns\n"
    text = (
        header
        + "CHN,China,true,PASSPORT;TRAVEL_DOCUMENT,30,,14,120,75,case_number;reference;native_name\n"
        + "HTI,,true,PASSPORT,0,,5,,,\n"
    )
    with ctx.uow() as uow:
        report = import_file(uow, admin, "country-rules", text.encode(), name="rules.csv")
    assert (report.new, report.updated) == (1, 1)
    china, haiti = _stored(ctx, "CHN"), _stored(ctx, "HTI")
    assert china is not None and (china.lead_time_days, china.request_columns) == (
        75,
        "case_number;reference;native_name",
    )
    assert haiti is not None and (haiti.lead_time_days, haiti.request_columns) == (30, "")
    events = {(a, e): c for a, e, c in _events(ctx)}
    assert events[("country_rule.update", "CHN")] == {
        "lead_time_days": [30, 75],
        "request_columns": ["", "case_number;reference;native_name"],
    }
    # The old format (no such columns) changes something else and leaves both as stored.
    with ctx.uow() as uow:
        import_file(
            uow,
            admin,
            "country-rules",
            (HEADER + "CHN,China,true,PASSPORT;TRAVEL_DOCUMENT,30,,21,120\n").encode(),
            name="old.csv",
        )
    china = _stored(ctx, "CHN")
    assert china is not None and (china.notice_days, china.lead_time_days, china.version) == (21, 75, 3)
    assert _events(ctx)[-1][2] == {"notice_days": [14, 21]}


def test_import_reports_bad_lead_times_and_layouts_by_line(ctx: AppContext, admin: Actor) -> None:
    header = HEADER.rstrip("\n") + ",lead_time_days,request_columns\n"
    text = (
        header
        + "CHN,China,true,PASSPORT;TRAVEL_DOCUMENT,30,,14,120,0,\n"
        + "HTI,,true,PASSPORT,0,,5,,20,case_number;colour\n"
    )
    with ctx.uow() as uow, pytest.raises(ImportRejected) as rejected:
        import_file(uow, admin, "country-rules", text.encode(), name="rules.csv")
    lines = rejected.value.report.error_lines()
    assert any(line.startswith("rules.csv:2: lead_time_days: 0 is outside 1–365") for line in lines), lines
    assert any(line.startswith("rules.csv:3: request_columns:") and "colour" in line for line in lines), lines
    assert _stored(ctx, "HTI") is None
