"""The CSV reader's encodings (regression tests for issue 13): Windows-1252 from Excel is not read
as GB18030, genuine GB18030 still is, explicit encodings, line numbers of undecodable bytes, and
Excel's "Unicode Text" (UTF-16, tab-separated)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.domain.errors import InvalidInput
from planner.services.imports.reader import (
    DECODE_HINT,
    Records,
    bytewise_implausibility,
    decode,
    detect_delimiter,
    implausibility,
    resolve_encoding,
)

SAMPLES = Path("/work/shared/samples")
if not SAMPLES.exists():  # pragma: no cover - the samples live outside the repository
    SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"

NAMES = "case_number,family_name,given_names\nA1,PÉREZ MUÑOZ,LUCÍA\nA2,NÚÑEZ,JOSÉ\nA3,SMITH,JOHN\n"
#: The issue's example: its Windows-1252 bytes read as GB18030 without a decoding error.
ISSUE = "case_number,family_name,given_names\nA1,PÉREZ MUÑOZ,LUCÍA\nA3,SMITH,JOHN\n"


def sample(name: str) -> bytes:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample {path} not available")
    return path.read_bytes()


def ten_lines(line_seven: str, newline: str = "\n") -> str:
    lines = [f"A{i},NAME {i},X" for i in range(1, 11)]
    lines[6] = line_seven
    return newline.join(lines) + newline


# ---------------------------------------------------------------- detection


def test_excel_windows_1252_is_not_read_as_gb18030() -> None:
    data = ISSUE.encode("cp1252")
    as_gb18030 = data.decode("gb18030")
    assert "P蒖EZ MU袿Z,LUC虯" in as_gb18030 and implausibility(as_gb18030) is not None
    for text in (ISSUE, NAMES):
        decoded = decode(text.encode("cp1252"))
        assert decoded.encoding == "Windows-1252" and not decoded.errors
        assert decoded.text == text
        assert any('"CSV UTF-8 (Comma delimited)"' in w for w in decoded.warnings)


def test_many_latin_names_read_as_windows_1252() -> None:
    names = [
        "GARCÍA,JOSÉ", "NÚÑEZ,ÁNGEL", "MÜLLER,JÜRGEN", "FRANÇOIS,HÉLÈNE", "CONCEIÇÃO,JOÃO",
        "ØSTERGÅRD,SØREN", "O'BRIEN,SEÁN", "PEÑA,JOSÉ ÁNGEL", "ZÚÑIGA,MOISÉS", "CRUZ,ÚRSULA",
    ]  # fmt: skip
    for name in names:
        for rows in (1, 3):
            text = "family_name,given_names\n" + f"{name}\r\n" * rows
            decoded = decode(text.encode("cp1252"))
            assert (decoded.text, decoded.encoding) == (text, "Windows-1252"), name
            assert bytewise_implausibility(text.encode("cp1252")) is None


def test_latin_1_and_utf_8_files() -> None:
    latin = decode(NAMES.encode("latin-1"))
    assert latin.text == NAMES and latin.warnings  # same bytes as Windows-1252 for these letters
    utf8 = decode(NAMES.encode("utf-8"))
    assert (utf8.text, utf8.encoding, utf8.warnings) == (NAMES, "UTF-8", ())


def test_genuine_gb18030_files_are_still_gb18030() -> None:
    decoded = decode(sample("verification-gb18030.csv"))
    assert decoded.encoding == "GB18030" and not decoded.errors
    assert decoded.text == sample("verification.csv").decode("utf-8")
    chinese = "case_number,family_name,native_name\nA1,ZHANG,张伟\nA2,王,王芳\nA3,李,李娜\n"
    assert decode(chinese.encode("gb18030")).text == chinese
    assert decode(chinese.encode("gb18030")).encoding == "GB18030"
    # one short row: its bytes are also valid Windows-1252 ('Íõ,·¼,Íõ·¼'), which must not win
    for row in ("王,芳,王芳", "CHEN,JING,陈静", "刘,洋,刘洋", "吴,昊,吴昊天", "OUYANG,NANA,欧阳娜娜"):
        text = f"family_name,given_names,native_name\n{row}\n"
        assert bytewise_implausibility(text.encode("gb18030")) is not None or "OUYANG" in row
        decoded = decode(text.encode("gb18030"))
        assert (decoded.text, decoded.encoding) == (text, "GB18030"), row


def test_a_chinese_file_may_hold_latin_letters_beside_han() -> None:
    rows = "".join(f"A{i},王,芳,北京市{i}号楼B座\n" for i in range(3))
    text = f"case_number,family_name,given_names,place_of_birth\n{rows}"
    decoded = decode(text.encode("gb18030"))
    assert (decoded.text, decoded.encoding) == (text, "GB18030")


def test_detection_is_deterministic() -> None:
    for data in (NAMES.encode("cp1252"), sample("verification-gb18030.csv"), NAMES.encode("utf-16")):
        assert len({repr(decode(data)) for _ in range(3)}) == 1


def test_excel_unicode_text_is_utf16_with_tabs() -> None:
    text = NAMES.replace(",", "\t").replace("\n", "\r\n")
    decoded = decode(b"\xff\xfe" + text.encode("utf-16-le"))
    assert decoded.encoding == "UTF-16 LE" and decoded.text == text
    errors: list = []
    records = Records(decoded.text or "", ["case_number", "family_name", "given_names"], errors)
    assert records.delimiter == "\t"
    assert [(r.line, r.values["family_name"]) for r in records][:2] == [(2, "PÉREZ MUÑOZ"), (3, "NÚÑEZ")]
    assert not errors


def test_utf16_without_bom_is_recognised_by_its_nul_bytes() -> None:
    for codec, name in (("utf-16-le", "UTF-16 LE without BOM"), ("utf-16-be", "UTF-16 BE without BOM")):
        decoded = decode(NAMES.encode(codec))
        assert (decoded.text, decoded.encoding) == (NAMES, name) and decoded.warnings


def test_delimiter_is_the_most_frequent_outside_quotes() -> None:
    assert detect_delimiter("a,b,c") == ","
    assert detect_delimiter("a;b;c") == ";"
    assert detect_delimiter("a\tb\tc") == "\t"
    assert detect_delimiter('"a,b,c"\tb\tc') == "\t"
    assert detect_delimiter("a") == ","
    assert detect_delimiter("a,b;c\td") == ","  # a tie prefers the comma


# ---------------------------------------------------------------- explicit encodings


@pytest.mark.parametrize(
    ("name", "codec", "shown"),
    [
        ("utf-8", "utf-8", "UTF-8"),
        ("utf-8-sig", "utf-8-sig", "UTF-8"),
        ("utf-16", "utf-16", "UTF-16"),
        ("cp1252", "cp1252", "Windows-1252"),
        ("windows-1252", "cp1252", "Windows-1252"),
        ("latin-1", "iso8859-1", "Latin-1 (ISO-8859-1)"),
        ("ISO-8859-1", "iso8859-1", "Latin-1 (ISO-8859-1)"),
        ("iso-8859-15", "iso8859-15", "Latin-9 (ISO-8859-15)"),
        ("gb18030", "gb18030", "GB18030"),
    ],
)
def test_explicit_encodings(name: str, codec: str, shown: str) -> None:
    assert resolve_encoding(name) == codec
    text = NAMES if codec != "iso8859-15" else NAMES.replace("JOHN", "ŠIMON")
    data = text.encode(codec)
    decoded = decode(data, name)
    assert (decoded.text, decoded.encoding, decoded.errors) == (text, shown, [])


def test_explicit_encoding_overrides_detection() -> None:
    assert "蒖" in (decode(ISSUE.encode("cp1252"), "gb18030").text or "")  # the officer asked for it
    data = NAMES.encode("cp1252")
    decoded = decode(data, "utf-8")
    assert decoded.text is None and [e.line for e in decoded.errors] == [2, 3]
    assert decode(codecs_bom_utf8() + NAMES.encode(), "utf-8").text == NAMES
    mismatch = decode(codecs_bom_utf8() + NAMES.encode(), "cp1252")
    assert mismatch.text is None and mismatch.errors[0].line == 1
    assert "byte-order mark of UTF-8" in mismatch.errors[0].message


def codecs_bom_utf8() -> bytes:
    return b"\xef\xbb\xbf"


@pytest.mark.parametrize("name", ["nope", "utf-9", "rot13", ""])
def test_unknown_encodings_are_one_line_errors(name: str) -> None:
    if not name:
        assert decode(b"a\n", name).text == "a\n"  # empty means detect
        return
    with pytest.raises(InvalidInput) as info:
        decode(b"a\n", name)
    assert "\n" not in str(info.value) and "cp1252" in str(info.value)


# ---------------------------------------------------------------- undecodable bytes: the right line


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("encoding", [None, "utf-8", "cp1252"])
def test_a_bad_byte_on_line_7_is_reported_on_line_7(newline: str, encoding: str | None) -> None:
    data = ten_lines("A7,P\x81REZ,X", newline).encode("latin-1")  # 0x81: not UTF-8, not Windows-1252
    decoded = decode(data, encoding)
    assert decoded.text is None
    assert [(e.line, e.column) for e in decoded.errors] == [(7, "encoding")]
    message = decoded.errors[0].message
    assert 'byte(s) 81 after "A7,P"' in message
    assert '"CSV UTF-8 (Comma delimited)"' in message


def test_a_bad_byte_at_the_start_of_line_7() -> None:
    lines = [f"A{i},PÉREZ,X" for i in range(10)]
    data = "\n".join(lines).encode("utf-8").split(b"\n")
    data[6] = b"\xff" + data[6]
    decoded = decode(b"\n".join(data))
    assert decoded.encoding == "UTF-8"  # mostly UTF-8: a damaged UTF-8 file, not Windows-1252
    assert [e.line for e in decoded.errors] == [7]
    assert "at the start of the line" in decoded.errors[0].message


def test_the_hint_is_said_once_and_lines_are_counted_past_multiline_fields() -> None:
    text = 'a,b\n"x\ny",1\nP\x81REZ,2\nok,3\nQ\x81,4\n'
    decoded = decode(text.encode("latin-1"), "cp1252")
    assert [e.line for e in decoded.errors] == [4, 6]
    assert decoded.errors[0].message.count("CSV UTF-8") == 1
    assert "CSV UTF-8" not in decoded.errors[1].message
    assert DECODE_HINT.startswith(
        'save it from Excel as "CSV UTF-8 (Comma delimited)", or pass --encoding cp1252'
    )


def test_utf16_lines_ending_in_cr_are_counted() -> None:
    data = b"\xff\xfe" + ten_lines("A7,BAD", "\r").encode("utf-16-le")
    bad = data.replace("BAD".encode("utf-16-le"), b"\x00\xdcA\x00D\x00")  # a lone low surrogate
    decoded = decode(bad)
    assert decoded.encoding == "UTF-16 LE" and [e.line for e in decoded.errors] == [7]


def _implausibility_char_by_char(text: str) -> str | None:
    """The definition ``implausibility`` computes by runs: every CJK character, one at a time."""
    import re

    from planner.services.imports import reader

    if match := reader._C1_CONTROL.search(text):
        return f"control character U+{ord(match.group()):04X}"
    total, beside, example = 0, 0, -1
    for match in re.finditer(f"[{reader._CJK}]", text):
        total += 1
        at = match.start()
        if (at and reader._LATIN_CHAR.match(text, at - 1)) or reader._LATIN_CHAR.match(text, at + 1):
            beside += 1
            example = at if example < 0 else example
    if beside and beside * reader.CJK_BESIDE_LATIN_RATIO >= total:
        return f"Han next to Latin letters ({text[max(0, example - 8) : example + 8]!r})"
    return None


def test_implausibility_by_runs_is_the_character_definition() -> None:
    import random

    rng = random.Random(18)
    alphabet = "aZé,; 1\n张伟王芳가あ\ue000𠀀"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 14)))
        assert implausibility(text) == _implausibility_char_by_char(text), text
