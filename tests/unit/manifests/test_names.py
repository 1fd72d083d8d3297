"""Names in Latin script (``planner.domain.names``): ICAO 9303 tables, Han as Hanyu Pinyin, and
the check that a name can be written in UNOA (issue 13: a Han name must not block the PAXLST)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from planner.domain.names import UNOA_CHARS, has_han, latin_transliteration, unoa_problem
from planner.services.manifests import paxlst


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("Nguyễn Thị Hương", "NGUYEN THI HUONG"),
        ("Øster Straße Dvořák Çelik Đặng", "OSTER STRASSE DVORAK CELIK DANG"),
        ("Шевченко Ярослав Юрьевич", "SHEVCHENKO IAROSLAV IUREVICH"),
        ("  Ó   Séaghdha ", "O SEAGHDHA"),
        ("王", "WANG"),
        ("小明", "XIAOMING"),
        ("欧阳", "OUYANG"),
        ("王 小明", "WANG XIAOMING"),
        ("吕", "LYU"),  # ü as YU, as on PRC passports
        ("阿卜杜勒·艾力", "ABODULEI AILI"),
        ("ＷＡＮＧ\u3000小明", "WANG XIAOMING"),  # full-width Latin and ideographic space
        ("李a", "LI A"),
    ],
)
def test_latin_transliteration(text: str, latin: str) -> None:
    assert latin_transliteration(text) == latin
    assert unoa_problem(text) is None
    assert set(latin) <= UNOA_CHARS


def test_surnames_get_their_surname_reading() -> None:
    assert latin_transliteration("曾", family_name=True) == "ZENG"
    assert latin_transliteration("单", family_name=True) == "SHAN"
    assert latin_transliteration("曾") == "CENG"  # not a family name: the common reading
    assert latin_transliteration("王", family_name=True) == "WANG"


def test_scripts_without_a_rule_are_named() -> None:
    assert unoa_problem("สมชาย") is not None
    assert set(unoa_problem("สมชาย") or "") <= set("สมชาย")
    assert unoa_problem("WANG") is None
    assert unoa_problem("") is None
    assert has_han("王a") and not has_han("Wang")


def test_paxlst_keeps_its_transliterate_and_unoa_check() -> None:
    assert paxlst.transliterate is latin_transliteration
    assert paxlst.transliterate("王 小明") == "WANG XIAOMING"
    with pytest.raises(paxlst.PaxlstError, match="case X1"):
        paxlst._unoa("สมชาย", "case X1 family name")


def test_pypinyin_is_imported_only_for_han_names() -> None:
    code = (
        "import sys; from planner.domain.names import latin_transliteration as t; "
        "t('Müller'); a = 'pypinyin' in sys.modules; t('王'); print(a, 'pypinyin' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
