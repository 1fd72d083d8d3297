"""People for the request-batch tests, inserted directly (the roster importer is not under test)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import Facility, NationalityVerification, Person, TravelDocument

TODAY = date(2026, 12, 3)
HAN = ["王伟", "李娜", "张秀英", "刘洋", "陈静", "欧阳明", "赵敏", "孙丽"]


@dataclass
class BatchWorld:
    ctx: AppContext
    facility_id: int = 0
    ids: dict[str, int] = field(default_factory=dict)

    def setup(self) -> BatchWorld:
        with self.ctx.uow() as uow:
            facility = Facility(code="HOU", name="Houston Processing Center", city="Houston")
            uow.session.add(facility)
            uow.session.flush()
            assert facility.id is not None
            self.facility_id = facility.id
            uow.commit()
        return self

    def person(self, case: str, country: str = "CHN", **overrides: Any) -> int:
        k = len(self.ids)
        values: dict[str, Any] = {
            "case_number": case,
            "family_name": f"FAMILY{k}",
            "given_names": f"Given {k}",
            "native_name": HAN[k % len(HAN)] if country == "CHN" else "",
            "sex": "MF"[k % 2],
            "date_of_birth": date(1980 + k % 20, 1 + k % 12, 1 + k % 28),
            "place_of_birth": "Fuzhou, Fujian" if country == "CHN" else "Port-au-Prince",
            "nationality": country,
            "facility_id": self.facility_id,
            "risk_level": "LOW",
            "medical_need": "NONE",
            "order_status": "FINAL",
            "order_date": date(2026, 1, 1),
            "priority": 3,
            "custody_status": "IN_CUSTODY",
        }
        values.update(overrides)
        with self.ctx.uow() as uow:
            person = Person(**values)
            uow.session.add(person)
            uow.session.flush()
            assert person.id is not None
            self.ids[case] = person.id
            uow.commit()
        return self.ids[case]

    def verify(self, case: str, result: str, country: str = "CHN", on: date = date(2026, 6, 1)) -> None:
        with self.ctx.uow() as uow:
            uow.session.add(
                NationalityVerification(
                    person_id=self.ids[case], country=country, result=result, verified_on=on, reference="L-1"
                )
            )
            uow.commit()

    def document(
        self,
        case: str,
        doc_type: str = "PASSPORT",
        number: str = "E1",
        country: str = "CHN",
        expires: date = date(2030, 1, 1),
        status: str = "VALID",
    ) -> None:
        with self.ctx.uow() as uow:
            uow.session.add(
                TravelDocument(
                    person_id=self.ids[case],
                    doc_type=doc_type,
                    number=number,
                    issuing_country=country,
                    issued_on=date(2020, 1, 1),
                    expires_on=expires,
                    status=status,
                )
            )
            uow.commit()

    def count(self, model: type, *where: Any) -> int:
        with self.ctx.uow(write=False) as uow:
            return int(
                uow.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()
            )


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def header_of(data: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
