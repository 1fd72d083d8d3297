"""Field parsers shared by every import kind and the editors, and the name normalisation of the
identity check.

A parser takes the stripped, non-empty text of one field and returns the typed value, or raises
``FieldError`` with a message that names the offending value. Parsers never guess: a value is
accepted only in its documented form (enumerations and codes are matched case-insensitively and
stored in their canonical upper-case form). A ``Column`` names a field with its parser and limits;
``parse_record`` parses one record of text by its columns exactly as an import file's row is
parsed, and ``parse_fields`` does the same for an editor (the import pipeline and the editing
services share these rules; see :mod:`planner.domain.person_fields` and
:mod:`planner.domain.flight_fields` for the shared columns).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from planner.domain.countries import ISO_3166_ALPHA3
from planner.domain.credentials import refused_character

Parser = Callable[[str], Any]

_CASE_NUMBER = re.compile(r"A[0-9]{8,9}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_CODE3 = re.compile(r"[A-Za-z]{3}")
#: C0 and C1 control characters (tab, CR and LF included): never valid inside a field.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


class FieldError(ValueError):
    """The field's value is invalid; ``str(exc)`` is the message shown to the user."""


def show(value: str, limit: int = 60) -> str:
    """``value`` quoted for a message, shortened when long."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def case_number(value: str) -> str:
    if not _CASE_NUMBER.fullmatch(value):
        raise FieldError(f"{show(value)} is not a case number (A followed by 8 or 9 digits)")
    return value


def iso_date(value: str) -> date:
    if not _ISO_DATE.fullmatch(value):
        raise FieldError(f"{show(value)} is not a date in the form YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise FieldError(f"{show(value)} is not a calendar date") from None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise FieldError(f"{value} is outside {EARLIEST_DATE.year}–{LATEST_DATE.year}")
    return parsed


def iso_datetime_with_offset(value: str) -> datetime:
    """ISO 8601 date and time with a UTC offset (or ``Z``); returned in UTC."""
    if not _ISO_DATETIME.fullmatch(value):
        raise FieldError(f"{show(value)} is not a date and time with offset, e.g. 2027-03-17T13:15:00-07:00")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(f"{show(value)} is not a valid date and time") from None
    if not EARLIEST_DATE <= parsed.date() <= LATEST_DATE or parsed.tzinfo is None:
        raise FieldError(f"{value} is out of range")
    return parsed.astimezone(UTC)


def enum(kind: type[StrEnum]) -> Parser:
    values = {member.value.upper(): member.value for member in kind}

    def parse(value: str) -> str:
        try:
            return values[value.upper()]
        except KeyError:
            raise FieldError(f"{show(value)} is not one of {', '.join(values.values())}") from None

    return parse


def country(value: str) -> str:
    code = value.upper()
    if not _CODE3.fullmatch(value) or code not in ISO_3166_ALPHA3:
        raise FieldError(f"{show(value)} is not an ISO 3166-1 alpha-3 country code")
    return code


def airport(known: Collection[str]) -> Parser:
    """An IATA code present in ``known`` (the airport table)."""

    def parse(value: str) -> str:
        code = value.upper()
        if not _CODE3.fullmatch(value):
            raise FieldError(f"{show(value)} is not an IATA airport code (three letters)")
        if code not in known:
            raise FieldError(f"airport {code} is not in the airport table")
        return code

    return parse


def integer(low: int, high: int) -> Parser:
    def parse(value: str) -> int:
        if not _INTEGER.fullmatch(value):
            raise FieldError(f"{show(value)} is not a whole number")
        number = int(value)
        if not low <= number <= high:
            raise FieldError(f"{number} is outside {low}–{high}")
        return number

    return parse


def decimal(low: float, high: float) -> Parser:
    def parse(value: str) -> float:
        if not _DECIMAL.fullmatch(value):
            raise FieldError(f"{show(value)} is not a number")
        number = float(value)
        if not low <= number <= high:
            raise FieldError(f"{value} is outside {low:g}–{high:g}")
        return number

    return parse


def code(pattern: str, description: str) -> Parser:
    """Text that must match ``pattern`` entirely (identifiers such as facility codes)."""
    compiled = re.compile(pattern)

    def parse(value: str) -> str:
        if not compiled.fullmatch(value):
            raise FieldError(f"{show(value)} is not {description}")
        return value

    return parse


def fold_name(value: str) -> str:
    """Comparison form of a name: NFKC, case-folded, inner whitespace collapsed to one space.

    ``"  Pérez   MUÑOZ"`` and ``"PE\\u0301REZ MUN\\u0303OZ"`` (decomposed accents) fold alike;
    ``"PEREZ"`` does not match ``"PÉREZ"`` (accents are part of the name)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return " ".join(folded.split())


# ---------------------------------------------------------------- records of fields


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: ``line`` is the physical line (1 = header), ``column`` a column name or
    ``header`` / ``encoding`` / ``row`` for problems that belong to no single field."""

    line: int
    column: str
    message: str

    def format(self, source: str) -> str:
        """``FILE:LINE: column: message`` — the form the command line prints."""
        return f"{source}:{self.line}: {self.column}: {self.message}"


@dataclass(frozen=True)
class Column:
    """One field: ``parse`` turns non-empty stripped text into a value (``None``: keep the
    text), the same value for the same text (``record_parser`` parses a repeated text once); an
    empty optional field becomes ``None``; ``max_length`` limits the text. A file may leave out an
    ``optional_column`` altogether (its fields then read as empty)."""

    name: str
    parse: Parser | None = None
    required: bool = True
    max_length: int = 200
    optional_column: bool = False


#: What parsing one record returns: the typed values, or ``None`` when a field is invalid.
RecordParser = Callable[[int, Mapping[str, str], list[RowError]], dict[str, Any] | None]


#: Distinct texts per column whose parsed value ``record_parser`` remembers: most columns of a
#: file repeat a few values (enumerations, countries, dates), which are then parsed once.
MEMO_LIMIT = 65536
#: Values shared between records by the memo (immutable ones only).
_SHAREABLE = frozenset({str, int, float, bool, date, datetime})
_MISSING = object()


def _remembering(parse: Parser) -> Parser:
    """``parse`` remembering its immutable results by text (failures are never remembered, so a
    bad value raises its own ``FieldError`` on every record)."""
    memo: dict[str, Any] = {}

    def run(text: str) -> Any:
        value = memo.get(text, _MISSING)
        if value is _MISSING:
            value = parse(text)
            if type(value) in _SHAREABLE and len(memo) < MEMO_LIMIT:
                memo[text] = value
        return value

    return run


def record_parser(columns: Sequence[Column]) -> RecordParser:
    """``parse_record`` for ``columns`` as one function, for many records: ``parse(line, raw,
    errors)`` (the columns are looked at once, not once per record)."""
    specs = tuple(
        (c.name, _remembering(c.parse) if c.parse else None, c.required, c.max_length) for c in columns
    )

    def parse(line: int, raw: Mapping[str, str], errors: list[RowError]) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        ok = True
        check_characters = not "".join(raw.values()).isprintable()  # fast: most records are
        for name, parse_field, required, max_length in specs:
            text = raw[name].strip()
            if check_characters and (bad := refused_character(text)):
                errors.append(RowError(line, name, f"{bad} is not allowed"))
                ok = False
                continue
            if not text:
                if required:
                    errors.append(RowError(line, name, "is required"))
                    ok = False
                values[name] = None
                continue
            if len(text) > max_length:
                errors.append(RowError(line, name, f"is {len(text)} characters long (at most {max_length})"))
                ok = False
                continue
            if parse_field is None:
                values[name] = text
                continue
            try:
                values[name] = parse_field(text)
            except FieldError as exc:
                errors.append(RowError(line, name, str(exc)))
                ok = False
        return values if ok else None

    return parse


def parse_record(
    line: int, raw: Mapping[str, str], columns: Sequence[Column], errors: list[RowError]
) -> dict[str, Any] | None:
    """The typed values of record ``line`` (text per column name), or ``None`` when a field is
    invalid; each problem is appended to ``errors`` (control, format and bidi characters such as
    "U+202E RIGHT-TO-LEFT OVERRIDE": ``planner.domain.credentials.refused_character``; required,
    length, the column's parser). ``record_parser`` gives the same for many records."""
    return record_parser(columns)(line, raw, errors)


def parse_fields(raw: Mapping[str, str], columns: Sequence[Column]) -> tuple[dict[str, Any], list[str]]:
    """Parse one record given as text per column name exactly as a file's row is parsed, for
    editors that share an import's field rules. Returns the typed values and one
    ``column: message`` per problem; the values are complete only when there is no problem. A
    column missing from ``raw`` counts as empty."""
    errors: list[RowError] = []
    values = parse_record(0, {column.name: raw.get(column.name, "") for column in columns}, columns, errors)
    return (values or {}), [f"{e.column}: {e.message}" for e in errors]
