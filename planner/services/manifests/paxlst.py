"""PAXLST (UN/EDIFACT D:05B, IATA/WCO/ICAO API guidelines): the passenger list for the carrier.

One interchange, one functional group, one message for the whole flight::

    UNA:+.?*'
    UNB+UNOA:4+SENDER+RECIPIENT+YYMMDD:HHMM+REF++APIS'
    UNG+PAXLST+SENDER+RECIPIENT+YYMMDD:HHMM+REF+UN+D:05B'
    UNH+REF+PAXLST:D:05B:UN:IATA'
    BGM+745'                                   passenger list
    RFF+TN:REF'                                transaction reference (the interchange reference)
    NAD+MS+++SENDER'                           reporting party …
    COM+PHONE:TE+E-MAIL:EM'                    … and its contact (each when configured)
    TDT+20+RF0001+++CARRIER'                   flight
    LOC+125+JFK'  DTM+189:YYMMDDHHMM:201'      per leg: departure airport, local departure time
    LOC+87+PEK'   DTM+232:YYMMDDHHMM:201'      arrival airport, local arrival time (when known)
    NAD+FL+++FAMILY:GIVEN NAMES'               per person …
    ATT+2++M'  DTM+329:YYMMDD'  LOC+178+JFK'  LOC+179+PEK'  NAT+2+CHN'  RFF+ABO:case number'
    DOC+P:110:111+NUMBER'  DTM+36:YYMMDD'      travel document and its expiry,
    DTM+182:YYMMDD'  LOC+91+CHN'               its issue date and issuing country (when known)
    CNT+42:300'                                total persons
    UNT+n+REF'  UNE+1+REF'  UNZ+1+REF'

``NAT+2`` is the manifest row's nationality: the one the receiving country confirmed (see
:mod:`planner.services.manifests.build`), never merely the claimed one.

Segment order and qualifiers follow the WCO/IATA/ICAO API guidelines' PAXLST implementation guide
and the messages carriers send (``RFF+TN`` directly after ``BGM``; ``COM`` after ``NAD+MS`` with its
communication contacts as separate data elements, as in the guideline's examples; the DOC group as
``DOC``, ``DTM+36``, ``DTM+182``, ``LOC+91``). The guidelines' examples carry the e-mail address as
typed (``@`` and lower case, outside UNOA); so does this writer — every other value is UNOA.

**Routes with several pickups** (:func:`write_leg_paxlsts`): one message per *international leg*
(its two airports in different countries), each with that leg's own itinerary — ``LOC+125`` its
origin and ``DTM+189`` the local departure there (when known: pickups have times, stops have only
arrivals), ``LOC+87`` its destination and ``DTM+232`` the local arrival (when known) — listing the
people aboard that leg (``LOC+178`` their own pickup, ``LOC+179`` their stop) and ``CNT+42`` their
number. A flight that leaves from one airport keeps its single message over every stop, as before.

The **crew list** (:func:`write_crew_paxlst`) is the same message with ``BGM+250``, the flight's
itinerary, one ``NAD+FM`` (crew member) group per person of the flight's escort list — escort
officers, crew and medical staff all land with the aircraft, so none is ``DDT`` (in-transit crew) —
and ``CNT+41`` (total crew) instead of ``CNT+42``.

Character set UNOA (upper-case Latin letters, digits, space and ``.,-()/='+:?!"%&*;<>``): names
are transliterated (diacritics dropped so Ä -> A, ICAO 9303 substitutions such as ß -> SS and Ø -> O,
Cyrillic per the ICAO 9303 table, Han as Hanyu Pinyin: :func:`planner.domain.names.latin_transliteration`);
a value that still holds another character is an error naming the case number, never silently
dropped. The service characters ``' + : ? *`` inside data are escaped with the release character ``?``.

Document codes (DOC C002/1001): ``P`` for a passport, ``F`` (approved non-standard travel document)
for a travel document, an emergency travel document or a laissez-passer. Sex (ATT+2): M, F, X.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from planner.domain.names import UNOA_CHARS
from planner.domain.names import latin_transliteration as transliterate
from planner.domain.route import Leg
from planner.services.manifests.content import ManifestContent, ManifestRow

SEGMENT_TERMINATOR = "'"
ELEMENT_SEPARATOR = "+"
COMPONENT_SEPARATOR = ":"
DECIMAL_MARK = "."
RELEASE = "?"
REPETITION_SEPARATOR = "*"
UNA = f"UNA{COMPONENT_SEPARATOR}{ELEMENT_SEPARATOR}{DECIMAL_MARK}{RELEASE}{REPETITION_SEPARATOR}{SEGMENT_TERMINATOR}"
_SPECIAL = {SEGMENT_TERMINATOR, ELEMENT_SEPARATOR, COMPONENT_SEPARATOR, RELEASE, REPETITION_SEPARATOR}

DOCUMENT_CODES = {
    "PASSPORT": "P",
    "TRAVEL_DOCUMENT": "F",
    "EMERGENCY_TRAVEL_DOCUMENT": "F",
    "LAISSEZ_PASSER": "F",
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


def unoa_text(value: str, what: str) -> str:
    """``value`` in UNOA (:func:`transliterate`); :class:`PaxlstError` naming ``what`` when a
    character has no UNOA form. The check imports and approvals use to keep names PAXLST-able."""
    return _unoa(value, what)


@dataclass(frozen=True)
class ReportingContact:
    """How the receiving state reaches the reporting party (``COM`` after ``NAD+MS``); both optional.

    ``phone`` in UNOA (digits, spaces, ``+ - ( ) . /``); ``email`` an address ``local@domain``.
    """

    phone: str = ""
    email: str = ""

    def elements(self) -> list[tuple[str, str]]:
        """The ``COM`` data elements: ``(number, "TE")`` and/or ``(address, "EM")``, checked."""
        out: list[tuple[str, str]] = []
        phone, email = self.phone.strip(), self.email.strip()
        if phone:
            if not _PHONE.fullmatch(phone):
                raise PaxlstError(f"reporting phone {phone!r}: use digits, spaces and + - ( ) . / only")
            out.append((phone, "TE"))
        if email:
            if not _EMAIL.fullmatch(email):
                raise PaxlstError(f"reporting e-mail {email!r} is not an address like name@example.org")
            out.append((email, "EM"))
        return out


_PHONE = re.compile(r"\+?[0-9][0-9 ().\-/]{2,30}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+")


@dataclass(frozen=True)
class CrewMember:
    """One non-passenger on the crew list (an escort officer, crew or medical staff member)."""

    family_name: str
    given_names: str
    sex: str
    date_of_birth: date
    nationality: str
    document_type: str
    document_number: str
    document_expires: date
    issuing_country: str
    role: str = "ESCORT"


def _document_segments(
    who: str, document_type: str, number: str, expires: date, issued: date | None, issuer: str | None
) -> list[str]:
    """DOC group: ``DOC``, ``DTM+36`` expiry, ``DTM+182`` issue date (when known), ``LOC+91``
    issuing country (when known), in the order of the IATA/WCO guideline's segment group 5."""
    doc_code = DOCUMENT_CODES.get(document_type)
    if doc_code is None:
        raise PaxlstError(f"{who}: unknown document type {document_type!r}")
    out = [
        _segment("DOC", (doc_code, "110", "111"), _unoa(number, f"{who} document number")),
        _segment("DTM", ("36", expires.strftime("%y%m%d"))),
    ]
    if issued is not None:
        out.append(_segment("DTM", ("182", issued.strftime("%y%m%d"))))
    if issuer:
        out.append(_segment("LOC", "91", _unoa(issuer, f"{who} document issuing country")))
    return out


def _name(qualifier: str, who: str, family: str, given: str) -> str:
    return _segment(
        "NAD", qualifier, "", "", (_unoa(family, f"{who} family name"), _unoa(given, f"{who} given names"))
    )


class _Traveller(Protocol):
    """A passenger row or a crew member, read-only."""

    @property
    def family_name(self) -> str: ...
    @property
    def given_names(self) -> str: ...
    @property
    def sex(self) -> str: ...
    @property
    def date_of_birth(self) -> date: ...
    @property
    def nationality(self) -> str: ...


def _traveller_segments(qualifier: str, who: str, person: _Traveller, embark: str, debark: str) -> list[str]:
    """NAD+``qualifier`` (FL passenger, FM crew member), sex, birth date, itinerary and nationality:
    the segments a passenger and a crew member share."""
    return [
        _name(qualifier, who, person.family_name, person.given_names),
        _segment("ATT", "2", "", _unoa(person.sex, f"{who} sex")),
        _segment("DTM", ("329", person.date_of_birth.strftime("%y%m%d"))),
        _segment("LOC", "178", embark),
        _segment("LOC", "179", debark),
        _segment("NAT", "2", _unoa(person.nationality, f"{who} nationality")),
    ]


def _person_segments(row: ManifestRow, embark: str, debark: str) -> list[str]:
    who = f"case {row.case_number}"
    return [
        *_traveller_segments("FL", who, row, embark, debark),
        _segment("RFF", ("ABO", _unoa(row.case_number, f"{who} case number"))),
        *_document_segments(
            who,
            row.document_type,
            row.document_number,
            row.document_expires,
            row.document_issued_on,
            row.document_issuing_country,
        ),
    ]


def _crew_segments(member: CrewMember, index: int, embark: str, debark: str) -> list[str]:
    who = f"crew list entry {index} ({member.role})"
    return [
        *_traveller_segments("FM", who, member, embark, debark),
        *_document_segments(
            who,
            member.document_type,
            member.document_number,
            member.document_expires,
            None,
            member.issuing_country,
        ),
    ]


def _prepared(interchange_ref: str, now: datetime) -> tuple[str, str]:
    if not re.fullmatch(r"[A-Z0-9]{1,14}", interchange_ref):
        raise PaxlstError(f"interchange reference {interchange_ref!r} must be 1-14 upper-case letters/digits")
    if now.utcoffset() is None:
        raise PaxlstError("now must be timezone-aware")
    stamp = now.astimezone(UTC)
    return stamp.strftime("%y%m%d"), stamp.strftime("%H%M")


def _message_head(
    document_code: str, interchange_ref: str, sender: str, contact: ReportingContact | None
) -> list[str]:
    """``UNH``, ``BGM``, ``RFF+TN`` (transaction reference), ``NAD+MS`` and its ``COM``."""
    head = [
        _segment("UNH", interchange_ref, ("PAXLST", "D", "05B", "UN", "IATA")),
        _segment("BGM", document_code),
        _segment("RFF", ("TN", interchange_ref)),
        _segment("NAD", "MS", "", "", sender),
    ]
    communication = contact.elements() if contact is not None else []
    if communication:
        head.append(_segment("COM", *communication))
    return head


def _itinerary(content: ManifestContent) -> list[str]:
    """``TDT`` and, per stop, ``LOC+125``/``DTM+189`` (where departing) and ``LOC+87``/``DTM+232``;
    on a route with several pickups, per leg of the route (the crew list flies them all)."""
    if content.has_route:
        legs = [_leg_itinerary(content, leg) for leg in content.legs()]
        return legs[0][:1] + [segment for leg in legs for segment in leg[1:]]
    segments = [
        _segment(
            "TDT", "20", _unoa(content.flight_code, "flight code"), "", "", _unoa(content.carrier, "carrier")
        )
    ]
    origin_zone: str | None
    origin_time: datetime | None
    origin, origin_zone, origin_time = (
        content.departure_airport,
        content.departure_timezone,
        content.departure_utc,
    )
    for stop in content.stops:
        segments.append(_segment("LOC", "125", _unoa(origin, "departure airport")))
        if origin_time is not None and origin_zone is not None:
            segments.append(_segment("DTM", ("189", _local(origin_time, origin_zone), "201")))
        segments.append(_segment("LOC", "87", _unoa(stop.airport, f"stop {stop.sequence} airport")))
        if stop.arrival_utc is not None:
            zone = stop.timezone or "UTC"
            segments.append(_segment("DTM", ("232", _local(stop.arrival_utc, zone), "201")))
        origin, origin_zone, origin_time = stop.airport, stop.timezone, None
    return segments


def _interchange(
    message: list[str], sender: str, recipient: str, interchange_ref: str, now: datetime, line_breaks: bool
) -> str:
    prepared = _prepared(interchange_ref, now)
    message.append(_segment("UNT", str(len(message) + 1), interchange_ref))
    segments = [
        UNA,
        _segment("UNB", ("UNOA", "4"), sender, recipient, prepared, interchange_ref, "", "APIS"),
        _segment("UNG", "PAXLST", sender, recipient, prepared, interchange_ref, "UN", ("D", "05B")),
        *message,
        _segment("UNE", "1", interchange_ref),
        _segment("UNZ", "1", interchange_ref),
    ]
    return ("\n" if line_breaks else "").join(segments) + ("\n" if line_breaks else "")


def write_paxlst(
    content: ManifestContent,
    *,
    sender: str,
    recipient: str,
    interchange_ref: str,
    now: datetime,
    contact: ReportingContact | None = None,
    line_breaks: bool = False,
) -> str:
    """The PAXLST passenger list (``BGM+745``) for ``content`` (every stop, every person) as text.

    ``sender`` / ``recipient`` are the interchange parties (UNB/UNG; the sender is also the reporting
    party NAD+MS, reached through ``contact``); ``interchange_ref`` (1-14 letters/digits) is used as
    interchange, group and message reference and as the transaction reference ``RFF+TN``; ``now``
    (timezone-aware) is the preparation time, written in UTC.
    ``line_breaks`` puts a newline after each segment terminator (for reading; parsers accept both).
    Raises :class:`PaxlstError` when a value has no UNOA form or a reference is malformed.
    """
    _prepared(interchange_ref, now)
    snd, rcv = _unoa(sender, "sender"), _unoa(recipient, "recipient")
    message = _message_head("745", interchange_ref, snd, contact) + _itinerary(content)
    for stop in content.stops:
        for row in stop.rows:
            message.extend(_person_segments(row, content.departure_airport, stop.airport))
    message.append(_segment("CNT", ("42", str(content.person_count))))
    return _interchange(message, snd, rcv, interchange_ref, now, line_breaks)


@dataclass(frozen=True)
class LegMessage:
    """The PAXLST of one international leg ``origin`` -> ``destination`` (leg ``leg_index`` of the
    route) with ``persons`` aboard; ``text`` the interchange."""

    leg_index: int
    origin: str
    destination: str
    persons: int
    text: str

    @property
    def label(self) -> str:
        """``IAH-GUA``: names the leg (and its file)."""
        return f"{self.origin}-{self.destination}"


def international_legs(content: ManifestContent) -> tuple[Leg, ...]:
    """The legs of ``content``'s route whose two airports are in different countries (a pickup's or
    a stop's ``country``). Empty for format 1 content (its departure country is not recorded)."""
    if not content.has_route:
        return ()
    countries = [p.country for p in content.pickups] + [s.country for s in content.stops]
    return tuple(leg for leg in content.legs() if countries[leg.index] != countries[leg.index + 1])


def _leg_itinerary(content: ManifestContent, leg: Leg) -> list[str]:
    """``TDT``, then the leg: ``LOC+125``/``DTM+189`` (when the departure is known) and
    ``LOC+87``/``DTM+232`` (when the arrival is known), times local to each airport."""
    zones = [p.timezone for p in content.pickups] + [s.timezone or "UTC" for s in content.stops]
    segments = [
        _segment(
            "TDT", "20", _unoa(content.flight_code, "flight code"), "", "", _unoa(content.carrier, "carrier")
        ),
        _segment("LOC", "125", _unoa(leg.origin, "departure airport")),
    ]
    if leg.departure_utc is not None:
        segments.append(_segment("DTM", ("189", _local(leg.departure_utc, zones[leg.index]), "201")))
    segments.append(_segment("LOC", "87", _unoa(leg.destination, "arrival airport")))
    if leg.arrival_utc is not None:
        segments.append(_segment("DTM", ("232", _local(leg.arrival_utc, zones[leg.index + 1]), "201")))
    return segments


def write_leg_paxlsts(
    content: ManifestContent,
    *,
    sender: str,
    recipient: str,
    interchange_ref: str,
    now: datetime,
    contact: ReportingContact | None = None,
    line_breaks: bool = False,
) -> tuple[LegMessage, ...]:
    """The passenger lists a flight needs: for a route with several pickups one
    :class:`LegMessage` per international leg (:func:`international_legs`; interchange reference
    ``interchange_ref`` + ``L<leg number>``, cut to 14), for a one-pickup flight the single
    :func:`write_paxlst` message over every stop (labelled departure airport - last stop).
    Arguments and errors as for :func:`write_paxlst`; a route without an international leg gives
    none."""
    if not content.has_route:
        text = write_paxlst(
            content,
            sender=sender,
            recipient=recipient,
            interchange_ref=interchange_ref,
            now=now,
            contact=contact,
            line_breaks=line_breaks,
        )
        last = content.stops[-1].airport if content.stops else content.departure_airport
        return (LegMessage(0, content.departure_airport, last, content.person_count, text),)
    snd, rcv = _unoa(sender, "sender"), _unoa(recipient, "recipient")
    out = []
    for leg in international_legs(content):
        reference = f"{interchange_ref[:11]}L{leg.index + 1}"
        _prepared(reference, now)
        aboard = content.rows_aboard(leg.index)
        message = _message_head("745", reference, snd, contact) + _leg_itinerary(content, leg)
        for stop, row in aboard:
            message.extend(_person_segments(row, content.pickup(row.pickup_sequence).airport, stop.airport))
        message.append(_segment("CNT", ("42", str(len(aboard)))))
        text = _interchange(message, snd, rcv, reference, now, line_breaks)
        out.append(LegMessage(leg.index, leg.origin, leg.destination, len(aboard), text))
    return tuple(out)


def write_crew_paxlst(
    content: ManifestContent,
    crew: Sequence[CrewMember],
    *,
    sender: str,
    recipient: str,
    interchange_ref: str,
    now: datetime,
    contact: ReportingContact | None = None,
    line_breaks: bool = False,
) -> str:
    """The PAXLST crew list (``BGM+250``) of the flight in ``content`` (its itinerary only; its
    passengers are left out): one ``NAD+FM`` group per member of ``crew`` (embarking at the
    departure airport, leaving at the last stop), ``CNT+41`` their number. Arguments and errors as
    for :func:`write_paxlst`; an empty ``crew`` is an error (there is nothing to declare)."""
    if not crew:
        raise PaxlstError(f"{content.flight_code} has no escorts or crew to declare")
    if not content.stops:
        raise PaxlstError(f"{content.flight_code} has no stops")
    _prepared(interchange_ref, now)
    snd, rcv = _unoa(sender, "sender"), _unoa(recipient, "recipient")
    message = _message_head("250", interchange_ref, snd, contact) + _itinerary(content)
    last_stop = content.stops[-1].airport
    for index, member in enumerate(crew, start=1):
        message.extend(_crew_segments(member, index, content.departure_airport, last_stop))
    message.append(_segment("CNT", ("41", str(len(crew)))))
    return _interchange(message, snd, rcv, interchange_ref, now, line_breaks)


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
    "CrewMember",
    "EdifactSyntaxError",
    "LegMessage",
    "PaxlstError",
    "ReportingContact",
    "Segment",
    "escape_value",
    "international_legs",
    "parse_paxlst",
    "transliterate",
    "unoa_text",
    "write_crew_paxlst",
    "write_leg_paxlsts",
    "write_paxlst",
]
