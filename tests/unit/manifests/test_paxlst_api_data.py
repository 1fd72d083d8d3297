"""PAXLST API data (issue 13): RFF+TN, COM, LOC+91, DTM+182, DTM+232, confirmed nationality, the
crew list — every emitted segment checked against a table of the guideline's tags, qualifiers and
element shapes, and read back with an independent EDIFACT reader (pydifact)."""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from planner.services.manifests.content import ManifestContent, ManifestRow
from planner.services.manifests.paxlst import (
    UNOA_CHARS,
    CrewMember,
    PaxlstError,
    ReportingContact,
    Segment,
    parse_paxlst,
    transliterate,
    write_crew_paxlst,
    write_paxlst,
)
from tests.unit.manifests.sample import sample_manifest

NOW = datetime(2025, 7, 10, 12, 5, tzinfo=UTC)
CONTACT = ReportingContact(phone="+1 202 555 0100", email="api.desk@example.org")


def _with_documents(content: ManifestContent) -> ManifestContent:
    """Every row gets its document's issuing country (the stop's country) and, for every other
    row, an issue date — so both the known and the unknown issue date are written."""
    stops = []
    for stop in content.stops:
        rows = tuple(
            dataclasses.replace(
                row,
                document_issuing_country=stop.country,
                document_issued_on=date(2020, 1, 1 + n % 28) if n % 2 == 0 else None,
            )
            for n, row in enumerate(stop.rows)
        )
        stops.append(dataclasses.replace(stop, rows=rows))
    return dataclasses.replace(content, stops=tuple(stops))


CONTENT = _with_documents(sample_manifest(60, status="APPROVED"))
CREW = (
    CrewMember(
        "Smith", "John Paul", "M", date(1980, 5, 1), "USA", "PASSPORT", "X1234567", date(2030, 1, 1), "USA"
    ),
    CrewMember(
        "Núñez",
        "María",
        "F",
        date(1985, 2, 3),
        "USA",
        "PASSPORT",
        "X7654321",
        date(2031, 6, 30),
        "USA",
        "MEDICAL",
    ),
)


def _write(content: ManifestContent = CONTENT, **kwargs: object) -> str:
    args: dict[str, object] = {
        "sender": "US ICE ERO",
        "recipient": "EXAMPLE AIR",
        "interchange_ref": "M12R3",
        "now": NOW,
        "contact": CONTACT,
    }
    args.update(kwargs)
    return write_paxlst(content, **args)  # type: ignore[arg-type]


def _write_crew(crew: Iterable[CrewMember] = CREW, **kwargs: object) -> str:
    args: dict[str, object] = {
        "sender": "US ICE ERO",
        "recipient": "EXAMPLE AIR",
        "interchange_ref": "C70710120",
        "now": NOW,
        "contact": CONTACT,
    }
    args.update(kwargs)
    return write_crew_paxlst(CONTENT, tuple(crew), **args)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# The strict validator: what the WCO/IATA/ICAO PAXLST (D:05B) guideline allows for each tag we emit.


@dataclasses.dataclass(frozen=True)
class Rule:
    """``shape[i]``: the most components data element ``i`` may have; at least ``min_elements``
    elements; ``qualifiers``: allowed values of element 0 component 0 (None: not a qualifier)."""

    shape: tuple[int, ...]
    min_elements: int
    qualifiers: frozenset[str] | None = None


def _q(*values: str) -> frozenset[str]:
    return frozenset(values)


RULES: dict[str, Rule] = {
    "UNB": Rule((2, 1, 1, 2, 1, 1, 1), 5, _q("UNOA")),
    "UNG": Rule((1, 1, 1, 2, 1, 1, 2), 7, _q("PAXLST")),
    "UNH": Rule((1, 5), 2),
    "BGM": Rule((1,), 1, _q("745", "250")),
    "RFF": Rule((2,), 1, _q("TN", "ABO")),
    "NAD": Rule((1, 1, 1, 2), 4, _q("MS", "FL", "FM")),
    "COM": Rule((2, 2, 2), 1),
    "TDT": Rule((1, 1, 1, 1, 1), 2, _q("20")),
    "LOC": Rule((1, 1), 2, _q("125", "87", "178", "179", "91")),
    "DTM": Rule((3,), 1, _q("189", "232", "329", "36", "182")),
    "ATT": Rule((1, 1, 1), 3, _q("2")),
    "NAT": Rule((1, 1), 2, _q("2")),
    "DOC": Rule((3, 1), 2, _q("P", "F")),
    "CNT": Rule((2,), 1, _q("42", "41")),
    "UNT": Rule((1, 1), 2),
    "UNE": Rule((1, 1), 2),
    "UNZ": Rule((1, 1), 2),
}
_DATE = re.compile(r"[0-9]{6}")
_DATETIME = re.compile(r"[0-9]{10}")
_CODE3 = re.compile(r"[A-Z]{3}")

#: The message as a sequence of TAG or TAG:QUALIFIER tokens (segment groups of the guideline).
PASSENGER_MESSAGE = re.compile(
    r"UNH BGM:745 RFF:TN NAD:MS (COM )?TDT:20 "
    r"(LOC:125 (DTM:189 )?LOC:87 (DTM:232 )?)+"
    r"(NAD:FL ATT:2 DTM:329 LOC:178 LOC:179 NAT:2 RFF:ABO DOC DTM:36 (DTM:182 )?(LOC:91 )?)*"
    r"CNT:42 UNT "
)
CREW_MESSAGE = re.compile(
    r"UNH BGM:250 RFF:TN NAD:MS (COM )?TDT:20 "
    r"(LOC:125 (DTM:189 )?LOC:87 (DTM:232 )?)+"
    r"(NAD:FM ATT:2 DTM:329 LOC:178 LOC:179 NAT:2 DOC DTM:36 (DTM:182 )?(LOC:91 )?)+"
    r"CNT:41 UNT "
)
_QUALIFIED = {"BGM", "RFF", "NAD", "TDT", "LOC", "DTM", "ATT", "NAT", "CNT"}


def _token(segment: Segment) -> str:
    return f"{segment.tag}:{segment.element(0)}" if segment.tag in _QUALIFIED else segment.tag


def _check_values(segment: Segment) -> list[str]:
    """Value rules beyond the shape: dates, codes, the UNOA character set (COM e-mail excepted)."""
    problems = []
    tag, first = segment.tag, segment.element(0)
    if tag == "DTM":
        pattern = _DATETIME if first in ("189", "232") else _DATE
        if not pattern.fullmatch(segment.element(0, 1)):
            problems.append(f"DTM+{first}: bad date {segment.element(0, 1)!r}")
        if first in ("189", "232") and segment.element(0, 2) != "201":
            problems.append(f"DTM+{first}: format code must be 201")
    if tag in ("LOC", "NAT") and not _CODE3.fullmatch(segment.element(1)):
        problems.append(f"{tag}+{first}: {segment.element(1)!r} is not a 3-letter code")
    if tag == "ATT" and segment.element(2) not in ("M", "F", "X"):
        problems.append(f"ATT: sex {segment.element(2)!r}")
    if tag == "DOC" and segment.elements[0][1:] != ("110", "111"):
        problems.append("DOC: code list 110 / agency 111 expected")
    if tag == "COM":
        for element in segment.elements:
            if len(element) != 2 or element[1] not in ("TE", "EM", "FX") or not element[0]:
                problems.append(f"COM: bad communication contact {element!r}")
    if tag == "RFF" and not segment.element(0, 1):
        problems.append(f"RFF+{first}: empty reference")
    for element in segment.elements:
        for value in element:
            if tag == "COM" and element[-1] == "EM":
                continue
            bad = set(value) - UNOA_CHARS
            if bad:
                problems.append(f"{tag}: {value!r} has non-UNOA {''.join(sorted(bad))!r}")
    return problems


def validate(text: str, message_grammar: re.Pattern[str]) -> list[str]:
    """Every problem of ``text`` against ``RULES``, the value rules and the message grammar."""
    segments = parse_paxlst(text)
    problems: list[str] = []
    for index, segment in enumerate(segments):
        rule = RULES.get(segment.tag)
        if rule is None:
            problems.append(f"segment {index}: tag {segment.tag} is not allowed")
            continue
        if not rule.min_elements <= len(segment.elements) <= len(rule.shape):
            problems.append(f"segment {index} {segment.tag}: {len(segment.elements)} elements")
        for n, element in enumerate(segment.elements[: len(rule.shape)]):
            if len(element) > rule.shape[n]:
                problems.append(f"segment {index} {segment.tag}: element {n} has {len(element)} components")
        if rule.qualifiers is not None and segment.element(0) not in rule.qualifiers:
            problems.append(f"segment {index} {segment.tag}: qualifier {segment.element(0)!r}")
        problems.extend(f"segment {index} {p}" for p in _check_values(segment))
    tags = [s.tag for s in segments]
    if tags[:2] != ["UNB", "UNG"] or tags[-2:] != ["UNE", "UNZ"]:
        problems.append(f"envelope {tags[:2]} … {tags[-2:]}")
    message = segments[2:-2]
    tokens = "".join(_token(s) + " " for s in message)
    if not message_grammar.fullmatch(tokens):
        problems.append(f"message structure: {tokens[:200]}…")
    unt = segments[-3]
    if unt.element(0) != str(len(message)) or unt.element(1) != segments[2].element(0):
        problems.append(f"UNT {unt.elements} for {len(message)} segments")
    return problems


def test_every_passenger_list_segment_is_one_the_guideline_allows() -> None:
    assert validate(_write(line_breaks=True), PASSENGER_MESSAGE) == []
    assert validate(_write(contact=None), PASSENGER_MESSAGE) == []


def test_every_crew_list_segment_is_one_the_guideline_allows() -> None:
    assert validate(_write_crew(), CREW_MESSAGE) == []


def test_the_validator_catches_what_it_should() -> None:
    text = _write()
    assert any("qualifier" in p for p in validate(text.replace("NAT+2+", "NAT+9+", 1), PASSENGER_MESSAGE))
    assert any("structure" in p for p in validate(text.replace("RFF+TN:M12R3'", "", 1), PASSENGER_MESSAGE))
    assert any(
        "non-UNOA" in p for p in validate(text.replace("US ICE ERO'", "us ice ero'", 1), PASSENGER_MESSAGE)
    )
    assert any(
        "not allowed" in p
        for p in validate(text.replace("BGM+745'", "BGM+745'FTX+AAI'", 1), PASSENGER_MESSAGE)
    )


# ---------------------------------------------------------------------------------------------
# What the segments say


def test_transaction_reference_and_reporting_contact_follow_bgm() -> None:
    segments = parse_paxlst(_write())
    tags = [s.tag for s in segments]
    assert tags[2:7] == ["UNH", "BGM", "RFF", "NAD", "COM"]
    assert segments[4].elements == (("TN", "M12R3"),)
    assert segments[6].elements == (("+1 202 555 0100", "TE"), ("api.desk@example.org", "EM"))
    only_phone = parse_paxlst(_write(contact=ReportingContact(phone="0044 20 7946 0000")))
    assert next(s for s in only_phone if s.tag == "COM").elements == (("0044 20 7946 0000", "TE"),)
    assert not any(s.tag == "COM" for s in parse_paxlst(_write(contact=ReportingContact())))


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        (ReportingContact(phone="call us"), "reporting phone"),
        (ReportingContact(email="not-an-address"), "reporting e-mail"),
        (ReportingContact(email="a b@example.org"), "reporting e-mail"),
    ],
)
def test_a_malformed_contact_is_a_clear_error(contact: ReportingContact, message: str) -> None:
    with pytest.raises(PaxlstError, match=message):
        _write(contact=contact)


def test_document_group_carries_issue_date_and_issuing_country_where_known() -> None:
    segments = parse_paxlst(_write())
    rows = [row for stop in CONTENT.stops for row in stop.rows]
    starts = [i for i, s in enumerate(segments) if s.tag == "NAD" and s.element(0) == "FL"]
    assert len(starts) == len(rows)
    for row, start in zip(rows, starts, strict=True):
        end = next(i for i in range(start + 1, len(segments)) if segments[i].tag in ("NAD", "CNT"))
        group = segments[start:end]
        doc = group.index(next(s for s in group if s.tag == "DOC"))
        expected = [("DTM", ("36", row.document_expires.strftime("%y%m%d")))]
        if row.document_issued_on is not None:
            expected.append(("DTM", ("182", row.document_issued_on.strftime("%y%m%d"))))
        expected.append(("LOC", ("91",)))
        assert [(s.tag, s.elements[0]) for s in group[doc + 1 :]] == expected
        assert group[-1].element(1) == row.document_issuing_country


def test_revisions_stored_before_issuing_data_existed_still_export() -> None:
    plain = sample_manifest(8, status="APPROVED")  # no issuing country, no issue date
    segments = parse_paxlst(_write(plain))
    assert not any(s.tag == "LOC" and s.element(0) == "91" for s in segments)
    assert not any(s.tag == "DTM" and s.element(0) == "182" for s in segments)
    assert validate(_write(plain), PASSENGER_MESSAGE) == []


def test_every_stop_with_an_arrival_time_has_dtm_232_in_local_time() -> None:
    segments = parse_paxlst(_write())
    arrivals = [s.element(0, 1) for s in segments if s.tag == "DTM" and s.element(0) == "232"]
    expected = [
        stop.arrival_utc.astimezone(ZoneInfo(stop.timezone)).strftime("%y%m%d%H%M")
        for stop in CONTENT.stops
        if stop.arrival_utc is not None and stop.timezone
    ]
    assert len(CONTENT.stops) == 3 and arrivals == expected


def test_nat_is_the_confirmed_nationality_and_the_claim_is_not_sent() -> None:
    stop = CONTENT.stops[0]
    row = dataclasses.replace(stop.rows[0], nationality="HND", claimed_nationality="NIC")
    content = dataclasses.replace(CONTENT, stops=(dataclasses.replace(stop, rows=(row,)),))
    segments = parse_paxlst(_write(content))
    assert [s.element(1) for s in segments if s.tag == "NAT"] == ["HND"]
    assert all("NIC" not in value for s in segments for e in s.elements for value in e)


def _china_flight() -> ManifestContent:
    """A one-stop China flight whose roster has only Han names for some people."""
    base = sample_manifest(6, status="APPROVED")
    stop = base.stops[0]
    rows: list[ManifestRow] = []
    for n, row in enumerate(stop.rows):
        changes: dict[str, object] = {
            "nationality": "CHN",
            "claimed_nationality": "TWN" if n == 0 else None,
            "document_issuing_country": "CHN",
            "document_issued_on": date(2021, 3, 4),
        }
        if n % 2 == 0:  # no Latin name on the roster: the Han name must come out as pinyin
            changes.update(family_name="王", given_names="秀英")
        rows.append(dataclasses.replace(row, **changes))
    return dataclasses.replace(base, stops=(dataclasses.replace(stop, rows=tuple(rows)),))


def test_a_china_flight_carries_pinyin_loc91_rff_tn_dtm232_and_the_confirmed_nationality() -> None:
    text = _write(_china_flight())
    assert validate(text, PASSENGER_MESSAGE) == []
    segments = parse_paxlst(text)
    names = [s.elements[3] for s in segments if s.tag == "NAD" and s.element(0) == "FL"]
    assert ("WANG", "XIUYING") in names or ("WANG", "XIU YING") in names
    assert [s.element(1) for s in segments if s.tag == "NAT"] == ["CHN"] * 6
    assert sum(1 for s in segments if s.tag == "LOC" and s.elements[:2] == (("91",), ("CHN",))) == 6
    assert any(s.tag == "RFF" and s.element(0) == "TN" for s in segments)
    assert any(s.tag == "DTM" and s.element(0) == "232" for s in segments)


def test_a_china_flight_with_latin_names_carries_loc91_rff_tn_dtm232_and_chn() -> None:
    content = _china_flight()
    stop = content.stops[0]
    latin = tuple(dataclasses.replace(r, family_name="WANG", given_names="XIUYING") for r in stop.rows)
    text = _write(dataclasses.replace(content, stops=(dataclasses.replace(stop, rows=latin),)))
    assert validate(text, PASSENGER_MESSAGE) == []
    segments = parse_paxlst(text)
    assert [s.element(1) for s in segments if s.tag == "NAT"] == ["CHN"] * 6
    assert [s.element(1) for s in segments if s.tag == "LOC" and s.element(0) == "91"] == ["CHN"] * 6
    assert [s.element(0, 1) for s in segments if s.tag == "DTM" and s.element(0) == "182"] == ["210304"] * 6
    assert next(s for s in segments if s.tag == "RFF").elements == (("TN", "M12R3"),)
    assert sum(1 for s in segments if s.tag == "DTM" and s.element(0) == "232") == 1


# ---------------------------------------------------------------------------------------------
# Crew list


def test_crew_list_declares_every_escort_as_crew_member() -> None:
    segments = parse_paxlst(_write_crew())
    assert next(s for s in segments if s.tag == "BGM").elements == (("250",),)
    members = [s for s in segments if s.tag == "NAD" and s.element(0) == "FM"]
    assert [m.elements[3] for m in members] == [("SMITH", "JOHN PAUL"), ("NUNEZ", "MARIA")]
    assert not any(s.tag == "NAD" and s.element(0) == "FL" for s in segments)
    assert next(s for s in segments if s.tag == "CNT").elements == (("41", "2"),)
    last_stop = CONTENT.stops[-1].airport
    assert [s.element(1) for s in segments if s.tag == "LOC" and s.element(0) == "179"] == [last_stop] * 2
    assert [s.element(1) for s in segments if s.tag == "LOC" and s.element(0) == "91"] == ["USA", "USA"]


def test_crew_list_refuses_an_empty_list_and_names_the_entry_with_a_bad_value() -> None:
    with pytest.raises(PaxlstError, match="no escorts or crew"):
        _write_crew(())
    bad = dataclasses.replace(CREW[1], family_name="😀")
    with pytest.raises(PaxlstError, match=r"crew list entry 2 \(MEDICAL\) family name"):
        _write_crew((CREW[0], bad))


# ---------------------------------------------------------------------------------------------
# Independent reader


def _pydifact_segments(text: str) -> list[tuple[str, list[object]]]:
    interchange_module = pytest.importorskip("pydifact.segmentcollection")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydifact warns that it has no D:05B directory to validate with
        interchange = interchange_module.Interchange.from_str(text)
        assert interchange.sender == "US ICE ERO" and interchange.recipient == "EXAMPLE AIR"
        assert interchange.syntax_identifier == ("UNOA", 4)
        assert interchange.timestamp == NOW.replace(tzinfo=None)
        return [(s.tag, s.elements) for s in interchange.segments]


def _listed(value: object) -> list[str]:
    return value if isinstance(value, list) else [value]  # type: ignore[return-value]


def test_pydifact_reads_back_names_nationalities_documents_and_counts() -> None:
    segments = _pydifact_segments(_write(line_breaks=True))
    rows = [row for stop in CONTENT.stops for row in stop.rows]
    names = [_listed(e[3]) for tag, e in segments if tag == "NAD" and e[0] == "FL"]
    assert names == [[transliterate(r.family_name), transliterate(r.given_names)] for r in rows]
    assert [e[1] for tag, e in segments if tag == "NAT"] == [r.nationality for r in rows]
    docs = [(_listed(e[0])[0], e[1]) for tag, e in segments if tag == "DOC"]
    assert [number for _code, number in docs] == [r.document_number for r in rows]
    assert [e[1] for tag, e in segments if tag == "LOC" and e[0] == "91"] == [
        r.document_issuing_country for r in rows
    ]
    issued = [_listed(e[0])[1] for tag, e in segments if tag == "DTM" and _listed(e[0])[0] == "182"]
    assert issued == [r.document_issued_on.strftime("%y%m%d") for r in rows if r.document_issued_on]
    cnt = next(e for tag, e in segments if tag == "CNT")
    assert _listed(cnt[0]) == ["42", str(len(rows))]
    assert next(e for tag, e in segments if tag == "RFF") == [["TN", "M12R3"]]
    assert next(e for tag, e in segments if tag == "COM") == [
        ["+1 202 555 0100", "TE"],
        ["api.desk@example.org", "EM"],
    ]
    unh_to_unt = [tag for tag, _e in segments][1:-1]
    assert unh_to_unt[0] == "UNH" and unh_to_unt[-1] == "UNT"
    unt = next(e for tag, e in segments if tag == "UNT")
    assert unt == [str(len(unh_to_unt)), "M12R3"]


def test_pydifact_reads_back_the_crew_list() -> None:
    segments = _pydifact_segments(_write_crew())
    assert [_listed(e[3]) for tag, e in segments if tag == "NAD" and e[0] == "FM"] == [
        ["SMITH", "JOHN PAUL"],
        ["NUNEZ", "MARIA"],
    ]
    assert [e[1] for tag, e in segments if tag == "DOC"] == ["X1234567", "X7654321"]
    assert _listed(next(e for tag, e in segments if tag == "CNT")[0]) == ["41", "2"]
