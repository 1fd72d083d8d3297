"""Names in Latin script for travel documents and API messages (PAXLST): one transliteration for
the importer, the approval check and the PAXLST writer, so a name accepted at import is a name the
PAXLST can carry.

:func:`latin_transliteration` gives the UNOA-ready form (ISO 9735 level A: upper-case Latin letters,
digits, space and ``.,-()/='+:?!"%&*;<>``):

- Latin letters lose their diacritics (Unicode NFKD, combining marks dropped: ``Ä`` -> ``A``), plus
  the ICAO 9303 part 3 substitutions of letters NFKD does not decompose (``ß`` -> ``SS``,
  ``Ø`` -> ``O``, ``Þ`` -> ``TH`` …);
- Cyrillic per the ICAO 9303 part 3 table (``Щ`` -> ``SHCH``, ``Ю`` -> ``IU`` …);
- Han characters as Hanyu Pinyin without tones (``pypinyin``): the syllables of one run of Han
  characters are written as one word (``小明`` -> ``XIAOMING``), runs separated by anything else stay
  separate words; ``ü`` is written ``YU`` as on PRC passports (``吕`` -> ``LYU``). With
  ``family_name=True`` a leading single-character surname with a surname reading (``曾`` -> ``ZENG``,
  ``单`` -> ``SHAN``) is read as a surname;
- white space runs become one space; the result is stripped.

Scripts without a rule here (Thai, Arabic, …) pass through unchanged; :func:`unoa_problem` names
the characters that still have no UNOA form, so callers refuse them with a clear message instead of
dropping them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: UNOA (ISO 9735 level A) characters, service characters included.
UNOA_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>")

# Letters NFKD does not decompose (ICAO 9303 part 3 transliteration of Latin characters), and the
# punctuation names carry that has a plain equivalent.
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
    "·": " ",  # the interpunct of transliterated foreign names in Chinese (阿卜杜勒·艾力)
    "・": " ",
}
# ICAO 9303 part 3, Cyrillic (Russian, Ukrainian, Belarusian letters used in names).
_CYRILLIC_LETTERS = "А Б В Г Д Е Ё Ж З И Й К Л М Н О П Р С Т У Ф Х Ц Ч Ш Щ Ъ Ы Ь Э Ю Я І Ї Є Ґ Ў"
_CYRILLIC_LATIN = "A B V G D E E ZH Z I I K L M N O P R S T U F KH TS CH SH SHCH IE Y - E IU IA I I IE G U"
_CYRILLIC = {
    c: ("" if latin == "-" else latin)
    for c, latin in zip(_CYRILLIC_LETTERS.split(), _CYRILLIC_LATIN.split(), strict=True)
}

#: Single-character surnames whose surname reading differs from the common reading pypinyin gives.
_SURNAME_READINGS = {
    "曾": "ZENG",
    "單": "SHAN",
    "单": "SHAN",
    "区": "OU",
    "區": "OU",
    "仇": "QIU",
    "解": "XIE",
    "查": "ZHA",
    "朴": "PIAO",
    "乐": "YUE",
    "樂": "YUE",
    "盖": "GE",
    "蓋": "GE",
    "缪": "MIAO",
    "繆": "MIAO",
    "覃": "QIN",
    "翟": "ZHAI",
    "折": "SHE",
    "种": "CHONG",
    "秘": "BI",
    "召": "SHAO",
    "员": "YUN",
    "員": "YUN",
    "句": "GOU",
    "薄": "BO",
    "都": "DU",
    "繁": "PO",
    "隗": "WEI",
}

#: Han ideograph blocks: CJK Unified Ideographs and extensions A–H, compatibility ideographs.
_HAN_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x323AF),
)


_HAN_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _HAN_RANGES)
_HAN_RUN = re.compile(f"[{_HAN_CLASS}]+")
_SPACES = re.compile(r"\s+")
#: Text made only of UNOA characters once upper-cased needs no transliteration (the fast path).
_PLAIN_UNOA = re.compile("[" + re.escape("".join(sorted(UNOA_CHARS))) + "]*")


def is_han(char: str) -> bool:
    """Whether ``char`` is a Han ideograph."""
    return _HAN_RUN.fullmatch(char) is not None


def has_han(text: str) -> bool:
    """Whether ``text`` holds any Han ideograph."""
    return _HAN_RUN.search(text) is not None


@lru_cache(maxsize=65536)
def _pinyin(run: str, *, surname: bool = False) -> str:
    """One run of Han characters as one upper-case pinyin word (characters without a reading stay);
    ``surname``: a first character with a surname reading is read as a surname."""
    from pypinyin import Style, lazy_pinyin  # slow to import: only Han names need it

    head = ""
    if surname and run[0] in _SURNAME_READINGS:
        head, run = _SURNAME_READINGS[run[0]], run[1:]
    syllables = lazy_pinyin(run, style=Style.NORMAL, v_to_u=True) if run else []
    return head + "".join(syllables).replace("ü", "yu").upper()


@lru_cache(maxsize=4096)
def _latin_char(char: str) -> str:
    if char in _LATIN_SPECIAL:
        return _LATIN_SPECIAL[char]
    upper = char.upper()
    if upper in _CYRILLIC:
        return _CYRILLIC[upper]
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _latin_chars(text: str) -> str:
    return "".join(_latin_char(c) for c in text)


@lru_cache(maxsize=65536)  # a roster repeats its family names many times
def latin_transliteration(text: str, *, family_name: bool = False) -> str:
    """``text`` in upper-case Latin ready for UNOA (see the module doc); may still hold characters
    of scripts without a rule (check with :func:`unoa_problem`). A run of Han characters becomes one
    word, set off by spaces from what surrounds it. ``family_name`` reads the first character of
    ``text``, when Han, with its surname reading."""
    if text.isascii():  # ASCII only upper-cases: no table has an ASCII key
        return _SPACES.sub(" ", text.upper()).strip()
    out: list[str] = []
    position = 0
    for run in _HAN_RUN.finditer(text):
        out.append(_latin_chars(text[position : run.start()]))
        surname = family_name and not "".join(out).strip()  # the run starts the text
        out.append(f" {_pinyin(run.group(), surname=surname)} ")
        position = run.end()
    out.append(_latin_chars(text[position:]))
    return _SPACES.sub(" ", "".join(out)).strip()


@lru_cache(maxsize=65536)
def unoa_problem(text: str) -> str | None:
    """The characters of ``text`` that have no UNOA form even after :func:`latin_transliteration`
    (sorted, each once), or ``None`` when ``text`` can be written in UNOA."""
    if _PLAIN_UNOA.fullmatch(text.upper()):
        return None
    bad = sorted({c for c in latin_transliteration(text) if c not in UNOA_CHARS})
    return "".join(bad) if bad else None


__all__ = [
    "UNOA_CHARS",
    "has_han",
    "is_han",
    "latin_transliteration",
    "unoa_problem",
]
