"""PAXLST (UN/EDIFACT D:05B, IATA/WCO/ICAO API guidelines): the passenger list for the carrier.

One interchange, one functional group, one message for the whole flight::

    UNA:+.?*'
    UNB+UNOA:4+SENDER+RECIPIENT+YYMMDD:HHMM+REF++APIS'
    UNG+PAXLST+SENDER+RECIPIENT+YYMMDD:HHMM+REF+UN+D:05B'
    UNH+REF+PAXLST:D:05B:UN:IATA'
    BGM+745'                                   passenger list
    NAD+MS+++SENDER'                           reporting party
    TDT+20+RF0001+++CARRIER'                   flight
    LOC+125+JFK'  DTM+189:YYMMDDHHMM:201'      per leg: departure airport, local departure time
    LOC+87+PEK'   DTM+232:YYMMDDHHMM:201'      arrival airport, local arrival time (when known)
    NAD+FL+++FAMILY:GIVEN NAMES'               per person …
    ATT+2++M'  DTM+329:YYMMDD'  LOC+178+JFK'  LOC+179+PEK'  NAT+2+CHN'  RFF+ABO:case number'
    DOC+P:110:111+NUMBER'  DTM+36:YYMMDD'      travel document and its expiry
    CNT+42:300'                                total persons
    UNT+n+REF'  UNE+1+REF'  UNZ+1+REF'

Character set UNOA (upper-case Latin letters, digits, space and ``.,-()/='+:?!"%&*;<>``): names
are transliterated (diacritics dropped so Ä -> A, ICAO 9303 substitutions such as ß -> SS and Ø -> O,
Cyrillic per the ICAO 9303 table); a value that still holds another character is an error naming the
case number, never silently dropped. The service characters ``' + : ? *`` inside data are escaped
with the release character ``?``.

Document codes (DOC C002/1001): ``P`` for a passport, ``F`` (approved non-standard travel document)
for a travel document, an emergency travel document or a laissez-passer. Sex (ATT+2): M, F, X.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from planner.services.manifests.content import ManifestContent, ManifestRow

SEGMENT_TERMINATOR = "'"
ELEMENT_SEPARATOR = "+"
COMPONENT_SEPARATOR = ":"
DECIMAL_MARK = "."
RELEASE = "?"
REPETITION_SEPARATOR = "*"
UNA = f"UNA{COMPONENT_SEPARATOR}{ELEMENT_SEPARATOR}{DECIMAL_MARK}{RELEASE}{REPETITION_SEPARATOR}{SEGMENT_TERMINATOR}"
_SPECIAL = {SEGMENT_TERMINATOR, ELEMENT_SEPARATOR, COMPONENT_SEPARATOR, RELEASE, REPETITION_SEPARATOR}

#: UNOA (ISO 9735 level A) characters, service characters included.
UNOA_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>")

DOCUMENT_CODES = {
    "PASSPORT": "P",
    "TRAVEL_DOCUMENT": "F",
    "EMERGENCY_TRAVEL_DOCUMENT": "F",
    "LAISSEZ_PASSER": "F",
}

# Letters NFKD does not decompose (ICAO 9303 part 3 transliteration of Latin characters).
_LATIN_SPECIAL = {
    "ß": "SS",
    "Æ": "AE",
    "æ": "AE",
    "Œ": "OE",
    "œ": "OE",
    "Ø": "O",
    "ø": "O",
    "Đ": "D",
    "đ": "D",
    "Ð": "D",
    "ð": "D",
    "Ł": "L",
    "ł": "L",
    "Þ": "TH",
    "þ": "TH",
    "ı": "I",
    "Ħ": "H",
    "ħ": "H",
    "Ŋ": "N",
    "ŋ": "N",
    "ĸ": "K",
    "Ŧ": "T",
    "ŧ": "T",
    "’": "'",
    "‘": "'",
    "–": "-",
    "—": "-",
}
# ICAO 9303 part 3, Cyrillic (Russian, Ukrainian, Belarusian letters used in names).
_CYRILLIC_LETTERS = "А Б В Г Д Е Ё Ж З И Й К Л М Н О П Р С Т У Ф Х Ц Ч Ш Щ Ъ Ы Ь Э Ю Я І Ї Є Ґ Ў"
_CYRILLIC_LATIN = "A B V G D E E ZH Z I I K L M N O P R S T U F KH TS CH SH SHCH IE Y - E IU IA I I IE G U"
_CYRILLIC = {
    c: ("" if latin == "-" else latin)
    for c, latin in zip(_CYRILLIC_LETTERS.split(), _CYRILLIC_LATIN.split(), strict=True)
}


class PaxlstError(ValueError):
    """The content cannot be written as PAXLST (e.g. a name with no UNOA transliteration)."""


@dataclass(frozen=True)
class Segment:
    """One parsed segment: ``tag`` and its data elements, each a tuple of component values (unescaped)."""

    tag: str
    elements: tuple[tuple[str, ...], ...]

    def element(self, index: int, component: int = 0) -> str:
        """Component ``component`` of data element ``index`` (both 0-based); ``""`` when absent."""
        if index >= len(self.elements) or component >= len(self.elements[index]):
            return ""
        return self.elements[index][component]


# ---------------------------------------------------------------------------------------------
# Writing


def transliterate(text: str) -> str:
    """``text`` in UNOA: upper case, diacritics dropped, ICAO substitutions; may still hold others."""
    out: list[str] = []
    for char in text:
        if char in _LATIN_SPECIAL:
            out.append(_LATIN_SPECIAL[char])
            continue
        upper = char.upper()
        if upper in _CYRILLIC:
            out.append(_CYRILLIC[upper])
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in decomposed if not unicodedata.combining(c)).upper())
    return re.sub(r"\s+", " ", "".join(out)).strip()


def escape_value(value: str) -> str:
    """``value`` with each service character preceded by the release character ``?``."""
    return "".join(RELEASE + c if c in _SPECIAL else c for c in value)


def _unoa(value: str, what: str) -> str:
    text = transliterate(value)
    bad = sorted({c for c in text if c not in UNOA_CHARS})
    if bad:
        raise PaxlstError(f"{what}: {value!r} has characters with no UNOA transliteration: {''.join(bad)!r}")
    return text


def _trim(values: list[str]) -> list[str]:
    while values and values[-1] == "":
        values.pop()
    return values


def _segment(tag: str, *elements: str | tuple[str, ...]) -> str:
    """One segment; trailing empty components and elements are left out (before escaping)."""
    parts: list[str] = []
    for element in elements:
        components = [element] if isinstance(element, str) else list(element)
        parts.append(COMPONENT_SEPARATOR.join(escape_value(c) for c in _trim(components)))
    return ELEMENT_SEPARATOR.join([tag, *_trim(parts)]) + SEGMENT_TERMINATOR


def _local(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%y%m%d%H%M")


def _person_segments(row: ManifestRow, embark: str, debark: str) -> list[str]:
    who = f"case {row.case_number}"
    doc_code = DOCUMENT_CODES.get(row.document_type)
    if doc_code is None:
        raise PaxlstError(f"{who}: unknown document type {row.document_type!r}")
    return [
        _segment(
            "NAD",
            "FL",
            "",
            "",
            (_unoa(row.family_name, f"{who} family name"), _unoa(row.given_names, f"{who} given names")),
        ),
        _segment("ATT", "2", "", _unoa(row.sex, f"{who} sex")),
        _segment("DTM", ("329", row.date_of_birth.strftime("%y%m%d"))),
        _segment("LOC", "178", embark),
        _segment("LOC", "179", debark),
        _segment("NAT", "2", _unoa(row.nationality, f"{who} nationality")),
        _segment("RFF", ("ABO", _unoa(row.case_number, f"{who} case number"))),
        _segment("DOC", (doc_code, "110", "111"), _unoa(row.document_number, f"{who} document number")),
        _segment("DTM", ("36", row.document_expires.strftime("%y%m%d"))),
    ]


def write_paxlst(
    content: ManifestContent,
    *,
    sender: str,
    recipient: str,
    interchange_ref: str,
    now: datetime,
    line_breaks: bool = False,
) -> str:
    """The PAXLST interchange for ``content`` (every stop, every person) as text.

    ``sender`` / ``recipient`` are the interchange parties (UNB/UNG; the sender is also the reporting
    party NAD+MS); ``interchange_ref`` (1-14 letters/digits) is used as interchange, group and
    message reference; ``now`` (timezone-aware) is the preparation time, written in UTC.
    ``line_breaks`` puts a newline after each segment terminator (for reading; parsers accept both).
    Raises :class:`PaxlstError` when a value has no UNOA form or a reference is malformed.
    """
    if not re.fullmatch(r"[A-Z0-9]{1,14}", interchange_ref):
        raise PaxlstError(f"interchange reference {interchange_ref!r} must be 1-14 upper-case letters/digits")
    if now.utcoffset() is None:
        raise PaxlstError("now must be timezone-aware")
    stamp = now.astimezone(UTC)
    prepared = (stamp.strftime("%y%m%d"), stamp.strftime("%H%M"))
    snd, rcv = _unoa(sender, "sender"), _unoa(recipient, "recipient")

    message: list[str] = [
        _segment("UNH", interchange_ref, ("PAXLST", "D", "05B", "UN", "IATA")),
        _segment("BGM", "745"),
        _segment("NAD", "MS", "", "", snd),
        _segment(
            "TDT",
            "20",
            _unoa(content.flight_code, "flight code"),
            "",
            "",
            _unoa(content.carrier, "carrier"),
        ),
    ]
    origin_zone: str | None
    origin_time: datetime | None
    origin, origin_zone, origin_time = (
        content.departure_airport,
        content.departure_timezone,
        content.departure_utc,
    )
    for stop in content.stops:
        message.append(_segment("LOC", "125", _unoa(origin, "departure airport")))
        if origin_time is not None and origin_zone is not None:
            message.append(_segment("DTM", ("189", _local(origin_time, origin_zone), "201")))
        message.append(_segment("LOC", "87", _unoa(stop.airport, f"stop {stop.sequence} airport")))
        if stop.arrival_utc is not None:
            zone = stop.timezone or "UTC"
            message.append(_segment("DTM", ("232", _local(stop.arrival_utc, zone), "201")))
        origin, origin_zone, origin_time = stop.airport, stop.timezone, None
    for stop in content.stops:
        for row in stop.rows:
            message.extend(_person_segments(row, content.departure_airport, stop.airport))
    message.append(_segment("CNT", ("42", str(content.person_count))))
    message.append(_segment("UNT", str(len(message) + 1), interchange_ref))

    segments = [
        UNA,
        _segment("UNB", ("UNOA", "4"), snd, rcv, prepared, interchange_ref, "", "APIS"),
        _segment("UNG", "PAXLST", snd, rcv, prepared, interchange_ref, "UN", ("D", "05B")),
        *message,
        _segment("UNE", "1", interchange_ref),
        _segment("UNZ", "1", interchange_ref),
    ]
    return ("\n" if line_breaks else "").join(segments) + ("\n" if line_breaks else "")


# ---------------------------------------------------------------------------------------------
# Parsing


class EdifactSyntaxError(ValueError):
    """The text is not well-formed EDIFACT."""


def parse_paxlst(text: str) -> list[Segment]:
    """Segments of an EDIFACT interchange, with release characters resolved.

    Strict: honours a leading ``UNA`` service string advice (else the default ``:+.? '``), accepts
    line breaks only directly after a segment terminator, and raises :class:`EdifactSyntaxError` on
    a dangling release character, an unterminated last segment, an unescaped repetition separator
    or a malformed tag. The ``UNA`` itself is not returned.
    """
    comp, elem, release, rep, term = ":", "+", "?", " ", "'"
    pos = 0
    if text.startswith("UNA"):
        if len(text) < 9:
            raise EdifactSyntaxError("truncated UNA service string advice")
        comp, elem, _decimal, release, rep, term = tuple(text[3:9])
        pos = 9
    segments: list[Segment] = []
    n = len(text)
    while True:
        while pos < n and text[pos] in "\r\n":
            pos += 1
        if pos >= n:
            break
        elements: list[tuple[str, ...]] = []
        components: list[str] = []
        value: list[str] = []
        start = pos
        while True:
            if pos >= n:
                raise EdifactSyntaxError(f"segment starting at offset {start} is not terminated")
            char = text[pos]
            if char == release:
                if pos + 1 >= n:
                    raise EdifactSyntaxError(f"dangling release character at offset {pos}")
                value.append(text[pos + 1])
                pos += 2
                continue
            pos += 1
            if char == comp:
                components.append("".join(value))
                value = []
            elif char == elem:
                components.append("".join(value))
                elements.append(tuple(components))
                components, value = [], []
            elif char == term:
                components.append("".join(value))
                elements.append(tuple(components))
                break
            elif rep != " " and char == rep:
                raise EdifactSyntaxError(f"unescaped repetition separator at offset {pos - 1}")
            elif char in "\r\n":
                raise EdifactSyntaxError(f"line break inside the segment starting at offset {start}")
            else:
                value.append(char)
        tag_element = elements[0]
        tag = tag_element[0]
        if not re.fullmatch(r"[A-Z]{3}", tag) or len(tag_element) != 1:
            raise EdifactSyntaxError(f"bad segment tag {tag!r} at offset {start}")
        segments.append(Segment(tag, tuple(elements[1:])))
    return segments


__all__ = [
    "EdifactSyntaxError",
    "PaxlstError",
    "Segment",
    "escape_value",
    "parse_paxlst",
    "transliterate",
    "write_paxlst",
]
