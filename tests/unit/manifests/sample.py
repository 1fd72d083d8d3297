"""Deterministic sample manifests for the manifest tests and the benchmark."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from planner.services.manifests.content import ManifestContent, ManifestRow, StopSection

HANZI_FAMILY = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "欧阳", "司马"]
HANZI_GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "艳", "勇", "杰", "涛"]
PINYIN = {"王": "WANG", "李": "LI", "张": "ZHANG", "刘": "LIU", "陈": "CHEN", "杨": "YANG", "黄": "HUANG"}
VIETNAMESE = [
    ("Nguyễn", "Thị Hương"),
    ("Trần", "Văn Đức"),
    ("Phạm", "Thị Ánh Tuyết"),
    ("Đặng", "Quốc Bảo"),
    ("Lê", "Hoàng Phúc"),
]
CYRILLIC = [("Иванов", "Сергей Петрович"), ("Кузнецова", "Анна"), ("Шевченко", "Ярослав Юрьевич")]
RUSSIAN_LATIN = [("IVANOV", "SERGEI"), ("KUZNETSOVA", "ANNA"), ("SHEVCHENKO", "IAROSLAV")]
ARABIC = [("محمد", "عبد الله"), ("الحسن", "فاطمة"), ("العلي", "يوسف")]
ARABIC_LATIN = [("MOHAMMED", "ABDULLAH"), ("ALHASSAN", "FATIMA"), ("ALALI", "YOUSEF")]
LATIN = [
    ("Müller", "Jürgen"),
    ("Ó Séaghdha", "Siobhán"),
    ("García Márquez", "José Ángel"),
    ("Øster", "Søren"),
    ("Dvořák", "Přemysl"),
    ("Çelik", "Ayşe Gül"),
    ("Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessenschafewarenwohl", "Hubert"),
    (
        "Fernández de Córdoba y Montenegro-Villaverde",
        "Maximiliano Alejandro de la Santísima Trinidad Juan Nepomuceno",
    ),
]
DOC_TYPES = ["PASSPORT", "TRAVEL_DOCUMENT", "EMERGENCY_TRAVEL_DOCUMENT", "LAISSEZ_PASSER"]


def _person(rng: random.Random, index: int, country: str) -> ManifestRow:
    native = ""
    if country == "CHN":
        fam = rng.choice(HANZI_FAMILY)
        given = rng.choice(HANZI_GIVEN) + rng.choice(HANZI_GIVEN)
        native = fam + given
        family_name, given_names = PINYIN.get(fam, "OUYANG"), f"XIAO {index}"
    elif country == "VNM":
        family_name, given_names = rng.choice(VIETNAMESE)
    elif country == "RUS":
        k = rng.randrange(len(CYRILLIC))
        native = " ".join(CYRILLIC[k])
        family_name, given_names = RUSSIAN_LATIN[k]
    elif country == "IRQ":
        k = rng.randrange(len(ARABIC))
        native = " ".join(ARABIC[k])
        family_name, given_names = ARABIC_LATIN[k]
    else:
        family_name, given_names = rng.choice(LATIN)
    risk = rng.choices(["LOW", "MEDIUM", "HIGH"], weights=[6, 3, 1])[0]
    medical = rng.choices(["NONE", "MEDICAL_ESCORT", "WHEELCHAIR"], weights=[18, 1, 1])[0]
    return ManifestRow(
        case_number=f"A{200000000 + index:09d}",
        family_name=family_name,
        given_names=given_names,
        native_name=native,
        sex=rng.choice("MMMFFX"),
        date_of_birth=date(1960, 1, 1) + timedelta(days=rng.randrange(16000)),
        nationality=country,
        document_type=rng.choice(DOC_TYPES),
        document_number=f"{country[0]}{rng.randrange(10**7, 10**8)}",
        document_expires=date(2027, 1, 1) + timedelta(days=rng.randrange(2000)),
        verification_reference=f"{country}-VL-2025-{rng.randrange(1000, 9999)}",
        verified_on=date(2025, 1, 1) + timedelta(days=rng.randrange(200)),
        risk_level=risk,
        medical_need=medical,
        family_group=f"FG-{index // 3:04d}" if index % 7 < 3 else None,
    )


STOPS = (
    ("PEK", "Beijing Capital International", "CHN", "Asia/Shanghai"),
    ("HAN", "Noi Bai International", "VNM", "Asia/Ho_Chi_Minh"),
    ("SVO", "Moscow Sheremetyevo", "RUS", "Europe/Moscow"),
    ("BGW", "Baghdad International", "IRQ", "Asia/Baghdad"),
    ("MAD", "Adolfo Suárez Madrid–Barajas", "ESP", "Europe/Madrid"),
)


def sample_manifest(
    people: int = 300, *, status: str = "DRAFT", seed: int = 7, revision: int = 3
) -> ManifestContent:
    """A manifest of ``people`` persons spread over up to five stops with names in many scripts."""
    rng = random.Random(seed)
    n_stops = min(len(STOPS), max(1, people // 20)) if people else 1
    stops = []
    index = 0
    departure = datetime(2025, 7, 14, 13, 30, tzinfo=UTC)
    for seq, (iata, name, country, tz) in enumerate(STOPS[:n_stops], start=1):
        count = people // n_stops + (1 if seq <= people % n_stops else 0)
        rows = tuple(_person(rng, index + i, country) for i in range(count))
        index += count
        stops.append(
            StopSection(
                sequence=seq,
                airport=iata,
                airport_name=name,
                country=country,
                rows=rows,
                timezone=tz,
                arrival_utc=departure + timedelta(hours=6 * seq),
            )
        )
    signed = status == "SIGNED"
    approved = status in ("APPROVED", "SIGNED")
    return ManifestContent(
        flight_code="RF0001",
        revision=revision,
        status=status,
        carrier="Example Air Charter",
        aircraft="Boeing 767-300ER",
        departure_airport="JFK",
        departure_airport_name="John F. Kennedy International",
        departure_utc=departure,
        departure_timezone="America/New_York",
        stops=tuple(stops),
        prepared_by="Olivia Officer",
        prepared_at=datetime(2025, 7, 1, 9, 0, tzinfo=UTC),
        approved_by="Sam Supervisor" if approved else None,
        approved_at=datetime(2025, 7, 2, 10, 0, tzinfo=UTC) if approved else None,
        signed_by="Sam Supervisor" if signed else None,
        signed_at=datetime(2025, 7, 3, 11, 0, tzinfo=UTC) if signed else None,
    )
