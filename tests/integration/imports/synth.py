"""Synthetic CSV content for the import tests and benchmarks (deterministic, fast)."""

from __future__ import annotations

import random
from datetime import date, timedelta

ROSTER_HEADER = (
    "case_number,family_name,given_names,native_name,sex,date_of_birth,place_of_birth,nationality,"
    "facility_code,risk_level,medical_need,family_group,order_status,order_date,legal_hold,hold_until,"
    "priority,custody_status"
)
VERIFICATION_HEADER = (
    "case_number,family_name,given_names,native_name,date_of_birth,nationality,result,document_type,"
    "document_number,document_issued,document_expires,authority,verified_on,reference"
)
FACILITIES_HEADER = "facility_code,name,city,airports"
FLIGHTS_HEADER = (
    "flight_id,carrier,aircraft,departure_airport,departure_time,seats,escort_officers,medical_slots,"
    "wheelchair_slots,stops,status"
)

HANZI_NAMES = [("ZHANG", "WEI", "张伟"), ("LI", "NA", "李娜"), ("WANG", "FANG", "王芳"), ("陈", "静", "陈静")]
LATIN_NAMES = [("PÉREZ MUÑOZ", "LUCÍA", ""), ("NÚÑEZ", "JOSÉ", ""), ("SINGH", "DEEPA", "दीपा")]
NATIONALITIES = ["CHN", "GTM", "HND", "MEX", "COL", "IND"]


def facilities_csv(count: int = 5) -> str:
    lines = [FACILITIES_HEADER]
    lines += [f"FAC{i:02d},Centre {i},City {i},SAT:{i + 2};BRO:{i + 3}" for i in range(count)]
    return "\n".join(lines) + "\n"


def flights_csv() -> str:
    return (
        FLIGHTS_HEADER
        + "\nRF0001,Eastern,B767,AEX,2030-03-12T12:15:00-05:00,180,360,5,0,BOG,PLANNED"
        + "\nRF0002,Avelo,B737,ELP,2030-03-23T12:30:00-07:00,135,270,2,4,SAL;GUA;SAP,PLANNED\n"
    )


def person(i: int, rng: random.Random) -> dict[str, str]:
    family, given, native = (HANZI_NAMES + LATIN_NAMES)[i % 7]
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 20000))
    return {
        "case_number": f"A{300000000 + i}",
        "family_name": family,
        "given_names": given,
        "native_name": native,
        "sex": "MFX"[i % 3],
        "date_of_birth": born.isoformat(),
        "place_of_birth": "",
        "nationality": "CHN" if native and i % 7 < 4 else NATIONALITIES[i % 6],
        "facility_code": f"FAC{i % 5:02d}",
        "risk_level": ["LOW", "MEDIUM", "HIGH"][i % 3],
        "medical_need": "NONE",
        "family_group": "",
        "order_status": "FINAL",
        "order_date": "2025-01-02",
        "legal_hold": "",
        "hold_until": "",
        "priority": str(1 + i % 5),
        "custody_status": "IN_CUSTODY",
    }


def roster_rows(count: int, seed: int = 1) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [person(i, rng) for i in range(count)]


def verification_rows(people: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = []
    for i, p in enumerate(people):
        rows.append(
            {
                "case_number": p["case_number"],
                "family_name": p["family_name"],
                "given_names": p["given_names"],
                "native_name": p["native_name"],
                "date_of_birth": p["date_of_birth"],
                "nationality": p["nationality"],
                "result": "CONFIRMED",
                "document_type": "PASSPORT",
                "document_number": f"P{10000000 + i}",
                "document_issued": "2022-01-01",
                "document_expires": "2032-01-01",
                "authority": f"Consulate of {p['nationality']}",
                "verified_on": "2025-06-01",
                "reference": "VL-1",
            }
        )
    return rows


def to_csv(header: str, rows: list[dict[str, str]], delimiter: str = ",") -> str:
    names = header.split(",")
    out = [delimiter.join(names)]
    out += [delimiter.join(row[n] for n in names) for row in rows]
    return "\n".join(out) + "\n"
