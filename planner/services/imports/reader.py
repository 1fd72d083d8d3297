"""Turning the bytes of a CSV file into numbered records, strictly.

Contract:
- Encodings: a byte-order mark decides (UTF-8, UTF-16 LE/BE, GB18030); without one the file must
  decode strictly as UTF-8, else strictly as GB18030 (Chinese spreadsheet exports). Nothing is
  ever replaced: every undecodable line becomes a ``RowError`` naming its line number.
- Delimiter: ``,`` or ``;``, whichever occurs more often (outside quotes) in the header line.
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
from dataclasses import dataclass

from planner.domain.fields import RowError

#: (byte-order mark, codec, name shown to the user); longest marks first.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
    (b"\x84\x31\x95\x33", "gb18030", "GB18030 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)
_NO_BOM_CANDIDATES: tuple[tuple[str, str], ...] = (("utf-8", "UTF-8"), ("gb18030", "GB18030"))
_WHITESPACE = re.compile(r"\s+")
#: Most lines reported for an undecodable file (each bad line costs a decode attempt).
MAX_DECODE_ERRORS = 1000


@dataclass(frozen=True)
class Decoded:
    """The decoded text (``None`` when undecodable), the encoding's display name and errors."""

    text: str | None
    encoding: str
    errors: list[RowError]


def _split_lines(data: bytes, codec: str) -> list[bytes]:
    """Physical lines (with their ``\\n``) in the code units of ``codec``."""
    if codec.startswith("utf-16"):
        newline = "\n".encode(codec)
        lines, start, pos = [], 0, 0
        while True:
            pos = data.find(newline, pos)
            if pos < 0:
                break
            if (pos - start) % 2:  # not on a code-unit boundary: keep looking
                pos += 1
                continue
            lines.append(data[start : pos + 2])
            start = pos = pos + 2
        if start < len(data):
            lines.append(data[start:])
        return lines
    return data.splitlines(keepends=True)


def _bad_lines(data: bytes, codec: str, name: str, first_line: int = 1) -> list[RowError]:
    """Every line of ``data`` that does not decode strictly as ``codec``."""
    errors: list[RowError] = []
    for number, raw in enumerate(_split_lines(data, codec), start=first_line):
        try:
            raw.decode(codec)
        except UnicodeDecodeError as exc:
            bad = raw[exc.start : exc.end].hex(" ").upper()
            errors.append(
                RowError(number, "encoding", f"cannot decode as {name}: bytes {bad} at byte {exc.start + 1}")
            )
            if len(errors) >= MAX_DECODE_ERRORS:
                break
    if not errors:  # e.g. a sequence split across a line break: report where decoding stops
        try:
            data.decode(codec)
        except UnicodeDecodeError as exc:
            line = first_line + _split_lines(data[: exc.start], codec).__len__() - 1
            errors.append(
                RowError(max(line, first_line), "encoding", f"cannot decode as {name}: {exc.reason}")
            )
    return errors


def decode(data: bytes) -> Decoded:
    """Decode ``data`` strictly (see the module contract). Never raises for bad input."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                return Decoded(body.decode(codec), name, [])
            except UnicodeDecodeError:
                return Decoded(None, name, _bad_lines(body, codec, name))
    if b"\x00" in data[:200] and data[:200].count(b"\x00") * 4 >= min(len(data), 200):
        return Decoded(
            None,
            "unknown",
            [
                RowError(
                    1,
                    "encoding",
                    "looks like UTF-16 without a byte-order mark: save it with a BOM or as UTF-8",
                )
            ],
        )
    attempts: list[tuple[str, list[RowError]]] = []
    for codec, name in _NO_BOM_CANDIDATES:
        try:
            return Decoded(data.decode(codec), name, [])
        except UnicodeDecodeError:
            attempts.append((name, _bad_lines(data, codec, name)))
    # Neither fits: report the reading with the fewest bad lines (the likelier encoding).
    name, errors = min(attempts, key=lambda a: len(a[1]))
    return Decoded(None, name, errors)


def normalise_header(name: str) -> str:
    """``" Case Number "`` -> ``case_number``."""
    return _WHITESPACE.sub("_", name.strip().lstrip("\ufeff").strip().casefold())


def detect_delimiter(header_line: str) -> str:
    """``;`` when the header has more semicolons than commas outside quotes, else ``,``."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    return ";" if outside.count(";") > outside.count(",") else ","


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

    def __init__(self, text: str, columns: Sequence[str], errors: list[RowError]) -> None:
        self.errors = errors
        self.columns = tuple(columns)
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
        missing = [c for c in self.columns if c not in seen]
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
            if not any(v.strip() for v in raw):
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
            yield Record(line, dict(zip(header, raw, strict=True)))
