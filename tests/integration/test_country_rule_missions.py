"""Country rules' mission limits (issue 17): ``region``, ``max_missions_per_week``,
``arrival_weekdays`` and ``arrival_airports`` are saved, listed, imported (optional columns, absent =
kept), checked (weekday names, airport codes known and in the country, 1 mission or more) and
audited old -> new like every field, and never trigger the impact check. Both backends."""

from __future__ import annotations

import csv

import pytest

from planner.domain.errors import InvalidInput
from planner.domain.missions import parse_airports, parse_weekdays
from planner.persistence.context import AppContext
from planner.persistence.models import Airport
from planner.services import country_rules as rules
from planner.services.auth import Actor
from planner.services.imports import ImportRejected, import_file
from planner.services.imports import country_rules as rules_import
from planner.services.reference import default_country_rule, read_country_rules
from resources import resource_path
from tests.integration.manifests.world import T0
from tests.integration.test_country_rules import CHN, HEADER, _approved, _events, _stored

HND = {
    "country": "HND",
    "name": "Honduras",
    "verification_required": True,
    "accepted_document_types": "PASSPORT;TRAVEL_DOCUMENT;EMERGENCY_TRAVEL_DOCUMENT",
    "min_validity_days": 0,
    "max_per_flight": None,
    "notice_days": 3,
    "api_deadline_minutes": None,
}
MISSION_HEADER = HEADER.rstrip("\n") + ",region,max_missions_per_week,arrival_weekdays,arrival_airports\n"
HND_LINE = "HND,Honduras,true,PASSPORT;TRAVEL_DOCUMENT;EMERGENCY_TRAVEL_DOCUMENT,0,,3,"


def test_the_default_rule_has_no_mission_limits_and_the_shipped_ones_name_real_airports_of_their_country(
    ctx: AppContext, admin: Actor
) -> None:
    default = default_country_rule("HTI")
    assert (
        default.region,
        default.max_missions_per_week,
        default.arrival_weekdays,
        default.arrival_airports,
    ) == (
        "",
        None,
        "",
        "",
    )
    with resource_path("airports.csv").open(encoding="utf-8", newline="") as f:
        country_of = {row["iata"]: row["country"] for row in csv.DictReader(f)}
    shipped = {r["country"]: r for r in read_country_rules()}
    for code, rule in shipped.items():
        assert all(country_of.get(a) == code for a in parse_airports(rule["arrival_airports"])), code
        assert rule["max_missions_per_week"] is None or rule["max_missions_per_week"] >= 1
    regions = {code: rule["region"] for code, rule in shipped.items()}
    assert {c for c, r in regions.items() if r == "Central America"} == {"GTM", "HND", "SLV", "NIC"}
    assert regions["CHN"] == regions["IND"] == "" and regions["MEX"] == "Mexico"
    assert parse_weekdays(shipped["CHN"]["arrival_weekdays"]) == {1, 3}
    with ctx.uow(write=False) as uow:
        rows = {r.country: r for r in rules.list_rules(uow, admin, include_default=True)}
    assert rows["HND"].arrival_airports == "SAP;XPL" and rows["HND"].max_missions_per_week == 6
    assert rows["HND"].as_dict()["arrival_weekdays"] == ["MON", "TUE", "WED", "THU", "FRI"]
    assert rows["HND"].as_dict()["arrival_airports"] == ["SAP", "XPL"]
    haiti = rows["HTI"].as_dict()
    assert (haiti["region"], haiti["max_missions_per_week"], haiti["arrival_weekdays"]) == ("", None, [])


def test_save_normalises_audits_and_keeps_the_mission_limits_when_not_given(
    ctx: AppContext, admin: Actor
) -> None:
    with ctx.uow() as uow:
        saved = rules.save_rule(
            uow,
            admin,
            {
                **CHN,
                "region": "  Far East ",
                "max_missions_per_week": "2",
                "arrival_weekdays": "thu, tue",
                "arrival_airports": "pvg;PEK;pvg",
            },
            expected_version=1,
        )
    assert (saved.region, saved.max_missions_per_week, saved.arrival_weekdays, saved.arrival_airports) == (
        "Far East",
        2,
        "TUE;THU",
        "PVG;PEK",
    )
    # the shipped CHN rule already has one mission a week arriving on TUE;THU: unchanged, not audited
    assert _events(ctx)[-1][2] == {
        "region": ["", "Far East"],
        "max_missions_per_week": [1, 2],
        "arrival_airports": ["", "PVG;PEK"],
    }
    with ctx.uow() as uow:  # values without the keys keep them
        kept = rules.save_rule(uow, admin, {**CHN, "notice_days": 20}, expected_version=2)
    assert (kept.region, kept.max_missions_per_week, kept.arrival_airports) == ("Far East", 2, "PVG;PEK")
    assert _events(ctx)[-1][2] == {"notice_days": [14, 20]}
    with ctx.uow() as uow:  # every day is stored as empty; no limit as None
        back = rules.save_rule(
            uow,
            admin,
            {
                **CHN,
                "notice_days": 20,
                "arrival_weekdays": "MON;TUE;WED;THU;FRI;SAT;SUN",
                "max_missions_per_week": "",
            },
            expected_version=3,
        )
    assert (back.arrival_weekdays, back.max_missions_per_week) == ("", None)
    assert _events(ctx)[-1][2] == {"arrival_weekdays": ["TUE;THU", ""], "max_missions_per_week": [2, None]}


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"arrival_weekdays": "TUE;FUNDAY"}, "arrival_weekdays: 'FUNDAY' is not a weekday"),
        ({"arrival_airports": "SAP;S4P"}, "arrival_airports: 'S4P' is not an IATA airport code"),
        ({"arrival_airports": "SAP;QQQ"}, "arrival_airports: airport QQQ is not known"),
        ({"arrival_airports": "SAP;GUA"}, "arrival_airports: airport GUA .* is in GTM, not HND"),
        ({"max_missions_per_week": 0}, "max_missions_per_week must be 1 or more"),
        ({"max_missions_per_week": "-2"}, "max_missions_per_week must be 1 or more"),
        ({"max_missions_per_week": 101}, "101 is more than 100 missions per week"),
        ({"region": "x" * 41}, "region"),
    ],
)
def test_save_refuses_bad_mission_limits_and_writes_nothing(
    ctx: AppContext, admin: Actor, values: dict, words: str
) -> None:
    with ctx.uow() as uow, pytest.raises(InvalidInput, match=words):
        rules.save_rule(uow, admin, {**HND, **values}, expected_version=1)
    assert _events(ctx) == []
    stored = _stored(ctx, "HND")
    assert stored is not None and stored.version == 1


def test_an_arrival_airport_from_the_world_table_is_copied_into_the_database_audited(
    ctx: AppContext, admin: Actor
) -> None:
    with ctx.uow() as uow:
        saved = rules.save_rule(uow, admin, {**HND, "arrival_airports": "SAP;TGU"}, expected_version=1)
    assert saved.arrival_airports == "SAP;TGU"
    with ctx.uow(write=False) as uow:
        tgu = uow.session.get(Airport, "TGU")
        assert tgu is not None and tgu.country == "HND"
    assert [e[1] for e in _events(ctx, "airport.") if e[1] == "TGU"] == ["TGU"]


def test_mission_limits_need_no_impact_check_even_with_an_approved_manifest(
    ctx: AppContext, admin: Actor, officer: Actor, supervisor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _approved(ctx, officer, supervisor)

    def no_impact(*_args: object, **_kwargs: object) -> list:
        raise AssertionError("rule_impact called for a change that does not touch eligibility")

    def no_impact_for_mission_limits(_uow: object, new_rules: dict, **_kwargs: object) -> list:
        assert new_rules == {}, new_rules
        return []

    monkeypatch.setattr(rules, "rule_impact", no_impact)
    monkeypatch.setattr(rules_import, "rule_impact", no_impact_for_mission_limits)
    with ctx.uow() as uow:
        saved = rules.save_rule(
            uow, admin, {**CHN, "max_missions_per_week": 3, "region": "Asia"}, expected_version=1, now=T0
        )
    assert saved.max_missions_per_week == 3
    text = MISSION_HEADER + "CHN,China,true,PASSPORT;TRAVEL_DOCUMENT,30,,14,120,Asia,1,WED,PEK\n"
    with ctx.uow() as uow:
        report = import_file(uow, admin, "country-rules", text.encode(), name="rules.csv")
    assert report.updated == 1 and report.warnings == ()


def test_import_reads_the_mission_columns_and_a_file_without_them_keeps_the_stored_values(
    ctx: AppContext, admin: Actor
) -> None:
    text = (
        MISSION_HEADER
        + HND_LINE
        + ",Central America,4,mon;wed,xpl;SAP\n"
        + "HTI,,true,PASSPORT,0,,5,,Caribbean,,,\n"
    )
    with ctx.uow() as uow:
        report = import_file(uow, admin, "country-rules", text.encode(), name="rules.csv")
    assert (report.new, report.updated) == (1, 1)
    honduras, haiti = _stored(ctx, "HND"), _stored(ctx, "HTI")
    assert honduras is not None and (
        honduras.region,
        honduras.max_missions_per_week,
        honduras.arrival_weekdays,
        honduras.arrival_airports,
    ) == ("Central America", 4, "MON;WED", "XPL;SAP")
    assert haiti is not None and (haiti.region, haiti.max_missions_per_week, haiti.arrival_weekdays) == (
        "Caribbean",
        None,
        "",
    )
    events = {(a, e): c for a, e, c in _events(ctx)}
    assert events[("country_rule.update", "HND")] == {
        "max_missions_per_week": [6, 4],
        "arrival_weekdays": ["MON;TUE;WED;THU;FRI", "MON;WED"],
        "arrival_airports": ["SAP;XPL", "XPL;SAP"],
    }
    # The old format (no such columns) changes something else and leaves the limits as stored.
    with ctx.uow() as uow:
        import_file(
            uow, admin, "country-rules", (HEADER + HND_LINE + "\n").replace(",3,\n", ",5,\n").encode()
        )
    honduras = _stored(ctx, "HND")
    assert honduras is not None and (
        honduras.notice_days,
        honduras.max_missions_per_week,
        honduras.version,
    ) == (
        5,
        4,
        3,
    )
    assert _events(ctx)[-1][2] == {"notice_days": [3, 5]}


def test_import_reports_bad_mission_limits_by_line_and_writes_nothing(ctx: AppContext, admin: Actor) -> None:
    text = (
        MISSION_HEADER
        + HND_LINE
        + ",Central America,0,MON,SAP\n"
        + "GTM,,true,PASSPORT,0,,3,,Central America,7,MON;XYZ,GUA\n"
        + "SLV,,true,PASSPORT,0,,3,,Central America,4,,SAL;GUA\n"
        + "NIC,,true,PASSPORT,0,,7,,Central America,2,,QQQ\n"
        + "COL,,true,PASSPORT,0,,5,,South America,3,,BO\n"
    )
    with ctx.uow() as uow, pytest.raises(ImportRejected) as rejected:
        import_file(uow, admin, "country-rules", text.encode(), name="rules.csv")
    lines = rejected.value.report.error_lines()
    expected = [
        "rules.csv:2: max_missions_per_week: max_missions_per_week must be 1 or more",
        "rules.csv:3: arrival_weekdays: 'XYZ' is not a weekday",
        "rules.csv:4: arrival_airports: airport GUA (Guatemala City) is in GTM, not SLV",
        "rules.csv:5: arrival_airports: airport QQQ is not known",
        "rules.csv:6: arrival_airports: 'BO' is not an IATA airport code",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, lines)
    assert all("\n" not in line for line in lines)
    assert _events(ctx) == []
    honduras = _stored(ctx, "HND")
    assert honduras is not None and (honduras.version, honduras.max_missions_per_week) == (1, 6)
