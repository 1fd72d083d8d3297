"""Turning the bytes of a CSV file into numbered records, strictly.

Contract:
- Encodings (``decode``), deterministic (the same bytes always give the same answer):

  1. an explicit encoding (``decode(data, encoding=...)``: any Python codec name, checked by
     ``resolve_encoding``) is used strictly; its own byte-order mark is dropped, another one's is an
     error on line 1;
  2. otherwise a byte-order mark decides (UTF-8, UTF-16 LE/BE, GB18030);
  3. a file full of NUL bytes is UTF-16 without a mark: LE or BE by where the NULs are;
  4. strict UTF-8;
  5. a file whose non-ASCII bytes are mostly valid UTF-8 is UTF-8 with damaged lines (errors);
  6. otherwise the legacy encodings ``LEGACY_CANDIDATES`` (Windows-1252, Latin-9, Latin-1,
     GB18030) that decode strictly and read plausibly are ranked by charset-normalizer (ties and
     identical readings go to the first in that order: Windows-1252 is Excel's "CSV (Comma
     delimited)" on Western Windows). Plausible: no C1 control characters; Han (or other CJK)
     characters rarely next to a Latin letter — Latin-script names never decode into Han
     (``implausibility``); read byte by byte, most accented letters touch an ASCII letter —
     Chinese read as Windows-1252 does not (``bytewise_implausibility``). A legacy reading carries
     a warning suggesting CSV UTF-8. When none fits, the errors of the reading with the fewest
     bad lines are reported.

  Nothing is ever replaced: every undecodable line becomes a ``RowError`` naming its physical
  line (as the CSV reader counts them: ``\\n``, ``\\r\\n`` or ``\\r`` ends a line), its bad bytes
  and the text before them; the first one says what to do (``DECODE_HINT``).
- Delimiter: ``,``, ``;`` or a tab (Excel's "Unicode Text"), whichever occurs most often (outside
  quotes) in the header line; ``,`` on a tie.
- Header names are compared after stripping, case folding and turning inner runs of spaces into
  ``_`` (``" Case Number "`` is ``case_number``); missing, unknown and repeated columns are named.
- Records are numbered by the physical line they start on (line 1 is the header). Blank records
  (no field holds anything but spaces) are skipped; a record with the wrong number of fields or
  broken quoting is an error.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from charset_normalizer import from_bytes

from planner.domain.errors import InvalidInput
from planner.domain.fields import RowError

#: (byte-order mark, codec, name shown to the user); longest marks first.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
    (b"\x84\x31\x95\x33", "gb18030", "GB18030 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)
#: Encodings tried, in this order of preference, when a file is neither marked nor UTF-8.
LEGACY_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("cp1252", "Windows-1252"),
    ("iso8859-15", "Latin-9 (ISO-8859-15)"),
    ("iso8859-1", "Latin-1 (ISO-8859-1)"),
    ("gb18030", "GB18030"),
)
#: Names shown for codecs (``codecs.lookup(name).name``); others are shown as Python names them.
DISPLAY_NAMES: dict[str, str] = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32": "UTF-32",
    "utf-32-le": "UTF-32 LE",
    "utf-32-be": "UTF-32 BE",
    **dict(LEGACY_CANDIDATES),
}
#: What to do about an undecodable file (said once, with the first encoding error).
DECODE_HINT = (
    'save it from Excel as "CSV UTF-8 (Comma delimited)", or pass --encoding cp1252'
    ' (in the window: Encoding "Windows-1252")'
)
#: ... when the encoding was given explicitly.
EXPLICIT_HINT = 'save it from Excel as "CSV UTF-8 (Comma delimited)", or give the encoding it was saved in'
#: ... when the rest of the file is UTF-8, or the file is marked (a byte-order mark) as ``{name}``.
DAMAGED_UTF8_HINT = 'the rest of the file is UTF-8: correct these lines, or save it again as "CSV UTF-8"'
MARKED_HINT = 'the file is marked as {name}: correct these lines, or save it again as "CSV UTF-8"'
#: The warning of a file read in a legacy encoding.
LEGACY_WARNING = (
    "the file is not UTF-8: it was read as {name}; check the names in the preview before importing. "
    'To be sure, save it from Excel as "CSV UTF-8 (Comma delimited)"'
)
_WHITESPACE = re.compile(r"\s+")
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
#: Han, kana, Hangul and private-use characters: what Latin bytes read as GB18030 turn into.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\ue000-\uf8ff\uf900-\ufaff\U00020000-\U0003134f"
_LATIN_CHAR = re.compile(f"[{_LATIN}]")
_C1_CONTROL = re.compile("[\x80-\x9f]")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_BYTE_CLASSES = bytes(
    ord("a") if chr(b).isascii() and chr(b).isalpha() else ord("n") if b >= 0x80 else ord(".")
    for b in range(256)
)
_C1_BYTES = bytes(range(0x80, 0xA0))
#: Legacy candidates that read every byte as one character (no CJK possible).
_SINGLE_BYTE = frozenset({"cp1252", "iso8859-15", "iso8859-1"})
#: ... of them, those that read bytes 0x80-0x9F as C1 control characters.
_ISO_LATIN = frozenset({"iso8859-15", "iso8859-1"})
#: A reading with one CJK character in this many beside a Latin letter is Latin read as CJK
#: (Latin names read as GB18030 put nearly every Han character beside a Latin letter).
CJK_BESIDE_LATIN_RATIO = 2
#: Most lines reported for an undecodable file.
MAX_DECODE_ERRORS = 1000
_MAX_SPANS = 20 * MAX_DECODE_ERRORS
_CONTEXT_CHARS = 24


@dataclass(frozen=True)
class Decoded:
    """The decoded text (``None`` when undecodable), the encoding's display name, the errors and
    warnings for the report (e.g. "not UTF-8")."""

    text: str | None
    encoding: str
    errors: list[RowError]
    warnings: tuple[str, ...] = ()


def display_name(codec: str) -> str:
    """``cp1252`` -> ``Windows-1252``: the name an officer knows."""
    return DISPLAY_NAMES.get(codec, codec)


def resolve_encoding(name: str) -> str:
    """The Python codec for an encoding name a user gave (``windows-1252`` -> ``cp1252``);
    ``InvalidInput`` (one line) for an unknown name or a codec that is not a text encoding."""
    accepted = "utf-8, utf-8-sig, utf-16, cp1252 (windows-1252), latin-1 (iso-8859-1) or gb18030"
    try:
        info = codecs.lookup(name.strip())
    except LookupError:
        raise InvalidInput(f"unknown encoding {name!r}: use {accepted}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise InvalidInput(f"{name!r} is not a text encoding: use {accepted}")
    return info.name


# ---------------------------------------------------------------- undecodable lines

_spans: ContextVar[list[tuple[int, int]]] = ContextVar("_spans")
_COLLECT = "charter-planner-collect-decode-errors"


class _TooManyErrors(Exception):
    """Raised by the collecting error handler to stop decoding a hopeless file."""


def _collect_span(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: remember where decoding failed, go on after the bad bytes."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    spans = _spans.get()
    spans.append((exc.start, exc.end))
    if len(spans) >= _MAX_SPANS:
        raise _TooManyErrors
    return "\ufffd", exc.end


codecs.register_error(_COLLECT, _collect_span)


def _error_spans(data: bytes, codec: str) -> list[tuple[int, int]]:
    """``(start, end)`` byte offsets of every undecodable sequence (at most ``_MAX_SPANS``)."""
    spans: list[tuple[int, int]] = []
    token = _spans.set(spans)
    try:
        data.decode(codec, errors=_COLLECT)
    except _TooManyErrors:
        pass
    finally:
        _spans.reset(token)
    return spans


class _LineLocator:
    """Physical line numbers (and the text before a byte) for increasing byte offsets of ``data``."""

    def __init__(self, data: bytes, codec: str) -> None:
        self.data, self.codec = data, codec
        self.position, self.line, self.tail, self.ends_in_cr = 0, 1, "", False

    def locate(self, offset: int) -> tuple[int, str]:
        """``(line, text of that line before offset)``; offsets must not decrease."""
        text = self.data[self.position : offset].decode(self.codec, errors="replace")
        self.position = offset
        if not text:
            return self.line, self.tail
        breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
        if self.ends_in_cr and text.startswith("\n"):
            breaks -= 1  # the second half of a "\r\n" split between two pieces
        self.line += breaks
        last = max(text.rfind("\n"), text.rfind("\r"))
        self.tail = text[last + 1 :] if last >= 0 else self.tail + text
        self.tail = self.tail[-_CONTEXT_CHARS:]
        self.ends_in_cr = text.endswith("\r")
        return self.line, self.tail


def bad_lines(data: bytes, codec: str, name: str, hint: str = DECODE_HINT) -> list[RowError]:
    """One ``RowError`` per physical line of ``data`` that does not decode strictly as ``codec``
    (shown as ``name``): the bad bytes and the text before them; the first one ends with ``hint``."""
    locator = _LineLocator(data, codec)
    errors: list[RowError] = []
    for start, end in _error_spans(data, codec):
        line, before = locator.locate(start)
        if errors and errors[-1].line == line:
            continue
        bad = data[start:end].hex(" ").upper()
        where = f'after "{before}"' if before else "at the start of the line"
        errors.append(RowError(line, "encoding", f"cannot decode as {name}: byte(s) {bad} {where}"))
        if len(errors) >= MAX_DECODE_ERRORS:
            break
    if errors and hint:
        first = errors[0]
        errors[0] = RowError(first.line, first.column, f"{first.message}; {hint}")
    return errors


# ---------------------------------------------------------------- choosing the encoding


def _strict(
    data: bytes, codec: str, name: str, warnings: tuple[str, ...] = (), hint: str = DECODE_HINT
) -> Decoded:
    try:
        return Decoded(data.decode(codec), name, [], warnings)
    except UnicodeDecodeError:
        return Decoded(None, name, bad_lines(data, codec, name, hint))


def _with_explicit(data: bytes, codec: str) -> Decoded:
    """``data`` strictly in ``codec`` (a ``resolve_encoding`` result); a matching mark is dropped."""
    name = display_name(codec)
    family = codec.removesuffix("-sig").removesuffix("-le").removesuffix("-be")
    if family == "utf-32":
        for bom, endian in ((codecs.BOM_UTF32_LE, "-le"), (codecs.BOM_UTF32_BE, "-be")):
            if data.startswith(bom):
                return _strict(data[len(bom) :], family + endian, name, hint=EXPLICIT_HINT)
        return _strict(data, "utf-32-le" if codec == "utf-32" else codec, name, hint=EXPLICIT_HINT)
    for bom, bom_codec, bom_name in _BOMS:
        if not data.startswith(bom):
            continue
        bom_family = bom_codec.removesuffix("-le").removesuffix("-be")
        if codec not in (bom_codec, bom_family, f"{bom_family}-sig"):
            message = (
                f"the file starts with the byte-order mark of {bom_name}, not {name}: "
                "choose that encoding or let it be detected (no --encoding)"
            )
            return Decoded(None, name, [RowError(1, "encoding", message)])
        return _strict(data[len(bom) :], bom_codec, name, hint=EXPLICIT_HINT)
    return _strict(data, "utf-16-le" if codec == "utf-16" else codec, name, hint=EXPLICIT_HINT)


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` for a file whose NUL bytes say so, ``None`` otherwise."""
    head = data[:400]
    if head.count(b"\x00") * 4 < min(len(data), 400) or not head:
        return None
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd >= 3 * max(even, 1):
        return "utf-16-le"
    if even >= 3 * max(odd, 1):
        return "utf-16-be"
    return None


def _mostly_utf8(data: bytes) -> bool:
    """Whether most non-ASCII sequences of ``data`` are valid UTF-8 (a damaged UTF-8 file)."""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", errors="ignore")) - invalid
    return valid > 0 and valid >= invalid


def implausibility(text: str) -> str | None:
    """Why ``text`` cannot be what a CSV file of names says, or ``None``: C1 control characters
    (Latin-1 read of Windows bytes), or Han/CJK characters beside Latin letters — at least one in
    ``CJK_BESIDE_LATIN_RATIO`` of them: Latin names read as GB18030 (``P蒖EZ`` for ``PÉREZ``) are
    hardly anything else, while a Chinese file may hold the odd ``3号楼B座``."""
    if match := _C1_CONTROL.search(text):
        return f"control character U+{ord(match.group()):04X}"
    total, beside, example = 0, 0, -1
    latin_at = _LATIN_CHAR.match
    # By runs of CJK characters: only a run's first and last characters can touch a Latin letter.
    for run in _CJK_RUN.finditer(text):
        start, end = run.span()
        total += end - start
        before = start > 0 and latin_at(text, start - 1) is not None
        after = latin_at(text, end) is not None
        if end - start == 1:
            touching = [start] if before or after else []
        else:
            touching = [at for at, touches in ((start, before), (end - 1, after)) if touches]
        if touching:
            beside += len(touching)
            example = touching[0] if example < 0 else example
    if beside and beside * CJK_BESIDE_LATIN_RATIO >= total:
        return f"Han next to Latin letters ({text[max(0, example - 8) : example + 8]!r})"
    return None


def bytewise_implausibility(data: bytes) -> str | None:
    """Why ``data``, read one byte per character, cannot be Latin-script names, or ``None``: in
    names almost every accented letter touches an ASCII letter (``PÉREZ``); Chinese read byte by
    byte is runs of accents and symbols between commas (``Íõ·¼`` for ``王芳``)."""
    classes = data.translate(_BYTE_CLASSES)  # a: ASCII letter, n: non-ASCII byte, .: other
    total = classes.count(b"n")
    if not total:
        return None
    inside_words = classes.count(b"an") + classes.count(b"na") - classes.count(b"ana")
    if 2 * inside_words < total:
        return f"{total - inside_words} of {total} non-ASCII characters are not inside a word"
    return None


def _legacy(data: bytes) -> Decoded:
    """Steps 5–6 of the module contract, for bytes that are not strict UTF-8."""
    if _mostly_utf8(data):
        return Decoded(None, "UTF-8", bad_lines(data, "utf-8", "UTF-8", DAMAGED_UTF8_HINT))
    readings: dict[str, str] = {}
    has_c1 = len(data.translate(None, _C1_BYTES)) != len(data)
    latin_problem = bytewise_implausibility(data)
    for codec, _name in LEGACY_CANDIDATES:
        if codec in _SINGLE_BYTE and latin_problem is not None:
            continue
        if codec in _ISO_LATIN and (has_c1 or ("cp1252" in readings and codec == "iso8859-1")):
            continue  # C1 control characters; or the same text as Windows-1252
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec not in _SINGLE_BYTE and implausibility(text) is not None:
            continue
        if text not in readings.values():
            readings[codec] = text
    if readings:
        ranked = [codecs.lookup(m.encoding).name for m in from_bytes(data, cp_isolation=list(readings))]
        chosen = next((c for c in ranked if c in readings), next(iter(readings)))
        name = display_name(chosen)
        return Decoded(readings[chosen], name, [], (LEGACY_WARNING.format(name=name),))
    attempts = [
        (name, bad_lines(data, codec, name))
        for codec, name in (("utf-8", "UTF-8"), ("cp1252", "Windows-1252"), ("gb18030", "GB18030"))
    ]
    name, errors = min((a for a in attempts if a[1]), key=lambda a: len(a[1]))
    return Decoded(None, name, errors)


def decode(data: bytes, encoding: str | None = None) -> Decoded:
    """Decode ``data`` (see the module contract); ``encoding`` is a Python codec name (checked by
    ``resolve_encoding``) or ``None`` to detect it. Never raises for bad bytes."""
    if encoding:
        return _with_explicit(data, resolve_encoding(encoding))
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom) :], codec, name, hint=MARKED_HINT.format(name=name))
    if b"\x00" in data[:400] and (utf16 := _utf16_without_bom(data)) is not None:
        name = f"{display_name(utf16)} without BOM"
        warning = 'the file has no byte-order mark; save it as "CSV UTF-8 (Comma delimited)"'
        return _strict(data, utf16, name, (warning,), MARKED_HINT.format(name=name))
    if data[:400].count(b"\x00") * 4 >= min(len(data), 400) > 0:
        message = "looks like UTF-16 without a byte-order mark: save it with a BOM or as UTF-8"
        return Decoded(None, "unknown", [RowError(1, "encoding", message)])
    try:
        return Decoded(data.decode("utf-8"), "UTF-8", [])
    except UnicodeDecodeError:
        return _legacy(data)


def normalise_header(name: str) -> str:
    """``" Case Number "`` -> ``case_number``."""
    return _WHITESPACE.sub("_", name.strip().lstrip("\ufeff").strip().casefold())


#: Delimiters a header may use, preferred in this order on a tie.
DELIMITERS = (",", ";", "\t")


def detect_delimiter(header_line: str) -> str:
    """The most frequent of ``,`` ``;`` and tab outside quotes in the header (``,`` on a tie)."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    return max(DELIMITERS, key=outside.count)


@dataclass(frozen=True, slots=True)
class Record:
    """One data record: its first physical line and its raw (unstripped) values by column."""

    line: int
    values: dict[str, str]


class Records:
    """Iterate the data records of ``text``; header and row problems go to ``errors``.

    After construction ``ok_header`` tells whether the header named exactly ``columns``;
    when it is false, iteration yields nothing. ``estimated_lines`` is for progress only.
    """

    def __init__(
        self, text: str, columns: Sequence[str], errors: list[RowError], optional: Sequence[str] = ()
    ) -> None:
        self.errors = errors
        self.columns = tuple(columns)
        #: Columns the header may leave out; their fields then read as empty.
        self.optional = frozenset(optional)
        first_line = text.split("\n", 1)[0]
        self.delimiter = detect_delimiter(first_line)
        self.estimated_lines = text.count("\n") + 1
        self._reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, strict=True)
        self.header: list[str] = []
        self.ok_header = self._read_header()

    def _read_header(self) -> bool:
        try:
            raw = next(self._reader, None)
        except csv.Error as exc:
            self.errors.append(RowError(1, "header", f"unreadable header: {exc}"))
            return False
        if raw is None or not any(v.strip() for v in raw):
            self.errors.append(RowError(1, "header", "the file is empty: no header line"))
            return False
        self.header = [normalise_header(v) for v in raw]
        ok = True
        seen: set[str] = set()
        repeated = sorted({h for h in self.header if h in seen or seen.add(h)})  # type: ignore[func-returns-value]
        if repeated:
            self.errors.append(RowError(1, "header", f"repeated column(s): {', '.join(repeated)}"))
            ok = False
        missing = [c for c in self.columns if c not in seen and c not in self.optional]
        if missing:
            self.errors.append(RowError(1, "header", f"missing column(s): {', '.join(missing)}"))
            ok = False
        unknown = [h or "(empty name)" for h in self.header if h not in self.columns]
        if unknown:
            self.errors.append(
                RowError(
                    1,
                    "header",
                    f"unknown column(s): {', '.join(unknown)} (expected: {', '.join(self.columns)})",
                )
            )
            ok = False
        return ok

    def __iter__(self) -> Iterator[Record]:
        if not self.ok_header:
            return
        reader, header, width = self._reader, self.header, len(self.header)
        absent = {c: "" for c in self.optional if c not in header}
        previous_end = reader.line_num
        while True:
            try:
                raw = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.errors.append(RowError(previous_end + 1, "row", f"malformed CSV: {exc}"))
                previous_end = reader.line_num
                continue
            line, previous_end = previous_end + 1, reader.line_num
            if not "".join(raw).strip():  # every field blank (or only spaces)
                continue
            if len(raw) != width:
                self.errors.append(
                    RowError(
                        line,
                        "row",
                        f"expected {width} fields, found {len(raw)} (delimiter {self.delimiter!r})",
                    )
                )
                continue
            values = dict(zip(header, raw, strict=True))
            if absent:
                values.update(absent)
            yield Record(line, values)
