"""PAXLST: structure, counts, escaping, transliteration, and the strict parser."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.services.manifests.content import ManifestContent
from planner.services.manifests.paxlst import (
    UNOA_CHARS,
    EdifactSyntaxError,
    PaxlstError,
    Segment,
    escape_value,
    parse_paxlst,
    transliterate,
    write_paxlst,
)
from tests.unit.manifests.sample import sample_manifest

NOW = datetime(2025, 7, 10, 12, 5, tzinfo=UTC)
BIG = sample_manifest(300, status="APPROVED")
SMALL = sample_manifest(8, status="APPROVED")


def _write(content: ManifestContent, **kwargs: object) -> str:
    args: dict[str, object] = {
        "sender": "US ICE ERO",
        "recipient": "EXAMPLE AIR",
        "interchange_ref": "RF0001R3",
        "now": NOW,
    }
    args.update(kwargs)
    return write_paxlst(content, **args)  # type: ignore[arg-type]


def _with_first_row(content: ManifestContent, **changes: object) -> ManifestContent:
    stop = content.stops[0]
    rows = (dataclasses.replace(stop.rows[0], **changes), *stop.rows[1:])
    return dataclasses.replace(content, stops=(dataclasses.replace(stop, rows=rows), *content.stops[1:]))


def test_envelope_and_counts() -> None:
    segments = parse_paxlst(_write(BIG))
    tags = [s.tag for s in segments]
    assert tags[:7] == ["UNB", "UNG", "UNH", "BGM", "RFF", "NAD", "TDT"]  # RFF+TN: issue 13
    assert tags[-4:] == ["CNT", "UNT", "UNE", "UNZ"]
    unb, ung, unh = segments[0], segments[1], segments[2]
    assert unb.elements[0] == ("UNOA", "4") and unb.element(3) == "250710" and unb.element(3, 1) == "1205"
    assert ung.element(0) == "PAXLST" and ung.elements[6] == ("D", "05B")
    assert unh.elements[1] == ("PAXLST", "D", "05B", "UN", "IATA")
    assert segments[3].element(0) == "745"
    assert segments[4].elements == (("TN", "RF0001R3"),)
    assert segments[5].element(0) == "MS" and segments[5].element(3) == "US ICE ERO"
    assert segments[6].element(0) == "20" and segments[6].element(1) == "RF0001"
    # UNT counts the segments from UNH to UNT inclusive and repeats the message reference
    unt_index = tags.index("UNT")
    unt = segments[unt_index]
    assert int(unt.element(0)) == unt_index - tags.index("UNH") + 1
    assert unt.element(1) == unh.element(0) == "RF0001R3"
    # CNT+42 is the number of persons, and there is one NAD+FL per person
    cnt = segments[tags.index("CNT")]
    assert cnt.elements[0] == ("42", "300")
    assert sum(1 for s in segments if s.tag == "NAD" and s.element(0) == "FL") == 300
    assert segments[-2].elements == (("1",), ("RF0001R3",))
    assert segments[-1].elements == (("1",), ("RF0001R3",))


def test_legs_and_times_are_local() -> None:
    segments = parse_paxlst(_write(BIG))
    locs = [
        (s.element(0), s.element(1)) for s in segments if s.tag == "LOC" and s.element(0) in ("125", "87")
    ]
    assert locs[:4] == [("125", "JFK"), ("87", "PEK"), ("125", "PEK"), ("87", "HAN")]
    dtms = [s.elements[0] for s in segments if s.tag == "DTM" and s.element(0) in ("189", "232")]
    # departure 13:30 UTC = 09:30 in New York; arrival 19:30 UTC = 03:30 next day in Beijing
    assert dtms[0] == ("189", "2507140930", "201")
    assert dtms[1] == ("232", "2507150330", "201")


def test_person_group() -> None:
    row = BIG.stops[0].rows[0]
    segments = parse_paxlst(_write(BIG))
    start = next(i for i, s in enumerate(segments) if s.tag == "NAD" and s.element(0) == "FL")
    group = segments[start : start + 9]
    assert [s.tag for s in group] == ["NAD", "ATT", "DTM", "LOC", "LOC", "NAT", "RFF", "DOC", "DTM"]
    assert group[0].elements[3] == (row.family_name.upper(), row.given_names.upper())
    assert group[1].elements == (("2",), ("",), (row.sex,))
    assert group[2].elements[0] == ("329", row.date_of_birth.strftime("%y%m%d"))
    assert (group[3].element(0), group[3].element(1)) == ("178", "JFK")
    assert (group[4].element(0), group[4].element(1)) == ("179", "PEK")
    assert group[5].elements == (("2",), ("CHN",))
    assert group[6].elements[0] == ("ABO", row.case_number)
    assert group[7].elements[0][0] in ("P", "F") and group[7].element(1) == row.document_number
    assert group[8].elements[0] == ("36", row.document_expires.strftime("%y%m%d"))


def test_every_person_once_with_their_stop() -> None:
    segments = parse_paxlst(_write(BIG))
    refs = [s.element(0, 1) for s in segments if s.tag == "RFF" and s.element(0) == "ABO"]
    assert sorted(refs) == sorted(r.case_number for s in BIG.stops for r in s.rows)
    debark = [s.element(1) for s in segments if s.tag == "LOC" and s.element(0) == "179"]
    assert debark == [s.airport for s in BIG.stops for _ in s.rows]


@pytest.mark.parametrize(
    ("family", "given"),
    [
        ("O'BRIEN", "SEAN+PAT"),
        ("SMITH:JONES", "WHAT?"),
        ("STAR*NAME", "A'B+C:D?E*F"),
        ("??''++::**", "?"),
        ("ENDS WITH:", "ENDS WITH?"),
    ],
)
def test_service_characters_round_trip(family: str, given: str) -> None:
    content = _with_first_row(SMALL, family_name=family, given_names=given)
    text = _write(content)
    segments = parse_paxlst(text)
    nad = next(s for s in segments if s.tag == "NAD" and s.element(0) == "FL")
    assert nad.elements[3] == (family, given)
    assert escape_value("A'B+C:D?E*F") == "A?'B?+C?:D??E?*F"


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet=sorted(UNOA_CHARS), min_size=1, max_size=20).filter(
        lambda t: t.strip() == t and "  " not in t
    )
)
def test_any_unoa_value_round_trips(value: str) -> None:
    content = _with_first_row(SMALL, family_name=value, document_number=value)
    segments = parse_paxlst(_write(content))
    nad = next(s for s in segments if s.tag == "NAD" and s.element(0) == "FL")
    doc = next(s for s in segments if s.tag == "DOC")
    assert nad.element(3) == value
    assert doc.element(1) == value


def test_transliteration() -> None:
    assert transliterate("Nguyễn Thị Hương") == "NGUYEN THI HUONG"
    assert transliterate("Øster Straße Dvořák Çelik Đặng") == "OSTER STRASSE DVORAK CELIK DANG"
    assert transliterate("Шевченко Ярослав Юрьевич") == "SHEVCHENKO IAROSLAV IUREVICH"
    assert transliterate("  Ó   Séaghdha ") == "O SEAGHDHA"
    content = _with_first_row(SMALL, family_name="Müller", given_names="Иван")
    nad = next(s for s in parse_paxlst(_write(content)) if s.tag == "NAD" and s.element(0) == "FL")
    assert nad.elements[3] == ("MULLER", "IVAN")


def test_untransliterable_name_is_an_error_naming_the_case() -> None:
    row = BIG.stops[0].rows[0]
    with pytest.raises(PaxlstError, match=row.case_number):
        _write(_with_first_row(BIG, family_name="สมชาย"))  # Thai: no UNOA form (Han is pinyin)


def test_bad_arguments() -> None:
    with pytest.raises(PaxlstError):
        _write(BIG, interchange_ref="bad ref")
    with pytest.raises(PaxlstError):
        _write(BIG, now=datetime(2025, 1, 1))


def test_line_breaks_and_determinism() -> None:
    plain = _write(BIG)
    broken = _write(BIG, line_breaks=True)
    assert plain == _write(BIG)
    assert "\n" not in plain and broken.count("\n") == len(parse_paxlst(plain)) + 1
    assert parse_paxlst(broken) == parse_paxlst(plain)
    assert plain.startswith("UNA:+.?*'UNB+")


def test_parser_is_strict() -> None:
    with pytest.raises(EdifactSyntaxError, match="not terminated"):
        parse_paxlst("UNA:+.?*'UNB+UNOA:4")
    with pytest.raises(EdifactSyntaxError, match="dangling"):
        parse_paxlst("UNA:+.?*'BGM+745?")
    with pytest.raises(EdifactSyntaxError, match="repetition"):
        parse_paxlst("UNA:+.?*'BGM+7*45'")
    with pytest.raises(EdifactSyntaxError, match="tag"):
        parse_paxlst("UNA:+.?*'bgm+745'")
    with pytest.raises(EdifactSyntaxError, match="line break"):
        parse_paxlst("UNA:+.?*'BGM+7\n45'")
    with pytest.raises(EdifactSyntaxError, match="UNA"):
        parse_paxlst("UNA:+")


def test_parser_honours_una_and_default_service_characters() -> None:
    assert parse_paxlst("BGM+7?'45'") == [Segment("BGM", (("7'45",),))]
    # a UNA that swaps the separators
    assert parse_paxlst("UNA|^.!*~NAD^FL^^^A|B!^C~") == [
        Segment("NAD", (("FL",), ("",), ("",), ("A", "B^C")))
    ]


def test_segment_element_accessor() -> None:
    segment = Segment("DTM", (("329", "800101"),))
    assert segment.element(0, 1) == "800101"
    assert segment.element(3) == "" and segment.element(0, 5) == ""
    assert date(1980, 1, 1).strftime("%y%m%d") == segment.element(0, 1)
