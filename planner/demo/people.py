"""Demo people, one household (a single adult or a family) at a time, with documents and
verification histories fitting their nationality. Verification answers and travel documents that
came through a request to the receiving state are placed in the request history
(:class:`planner.demo.requests.RequestHistory`, ``PeopleGenerator.history``): the request's
PENDING row on the batch's sent date and the answer on the answer's date, both carrying the batch
reference; people still waiting have an OPEN request in a recent batch."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from planner.demo import names
from planner.demo.flights import DemoFacility, DemoFlight
from planner.demo.requests import RequestHistory
from planner.demo.sampling import (
    CONFIRMED,
    DEMO_CASE_BASE,
    NOT_CONFIRMED,
    PENDING,
    SOURCE_FILE,
    Permutation,
    Reference,
    cumulative,
    weighted,
)
from planner.domain.enums import (
    CustodyStatus,
    DocumentStatus,
    DocumentType,
    FlightStatus,
    MedicalNeed,
    OrderStatus,
    RequestKind,
    RequestOutcome,
    RiskLevel,
    Sex,
)

# ---------------------------------------------------------------- people


#: (minimum age, wheelchair share, medical-escort share), oldest band first.
MEDICAL_BY_AGE = ((55, 0.08, 0.05), (18, 0.012, 0.023), (0, 0.0, 0.01))

#: Relative frequency of accepted document types.
DOC_TYPE_WEIGHT: dict[str, float] = {
    DocumentType.PASSPORT.value: 70,
    DocumentType.TRAVEL_DOCUMENT.value: 18,
    DocumentType.EMERGENCY_TRAVEL_DOCUMENT.value: 12,
}

#: Share of people nobody has asked their claimed country about yet (recent arrivals): the ones an
#: officer trying "Request verification…" on the demo finds to request.
NEVER_ASKED = 0.06


@dataclass
class _Member:
    role: str  # "father" | "mother" | "child" | "single"
    sex: str
    age: int


class PeopleGenerator:
    """Draws people one household (a single adult or a family) at a time."""

    FAMILY_UNIT_SHARE = 0.05  # of households; about 15 % of people end up in families
    FAMILY_SIZES = (2, 3, 4, 5, 6)
    FAMILY_SIZE_CUM = cumulative((30, 30, 22, 12, 6))
    CUSTODY = (CustodyStatus.IN_CUSTODY.value, CustodyStatus.RELEASED.value, CustodyStatus.REMOVED.value)
    CUSTODY_CUM = cumulative((94, 4, 2))
    ORDER = (OrderStatus.FINAL.value, OrderStatus.PENDING.value, OrderStatus.NONE.value)
    ORDER_CUM = cumulative((92, 6, 2))
    RISK = (RiskLevel.LOW.value, RiskLevel.MEDIUM.value, RiskLevel.HIGH.value)
    RISK_CUM = cumulative((66, 23, 11))
    PRIORITY_CUM = cumulative((10, 20, 35, 20, 15))

    def __init__(
        self,
        rng: random.Random,
        ref: Reference,
        facilities: Sequence[DemoFacility],
        flights: Sequence[DemoFlight],
        now: datetime,
        actor: str,
        ids: dict[str, int],
    ) -> None:
        self.rng, self.ref, self.now, self.actor = rng, ref, now, actor
        self.today = now.date()
        self.next_person = ids["person"]
        self.next_document = ids["travel_document"]
        self.next_verification = ids["nationality_verification"]
        self.person_index = 0
        self.document_index = 0
        self.families = 0
        self.case_numbers = Permutation(rng, 8, 48_271)
        self.document_numbers = Permutation(rng, 8, 69_621)
        self.facility_code = {f.id: f.code for f in facilities}
        #: Where requests go (``generate_demo`` sets it once the expected people are known).
        self.history: RequestHistory | None = None

        planned = [
            f
            for f in flights
            if f.status == FlightStatus.PLANNED.value and f.departure_utc.date() > self.today
        ]
        self.seats_by_country: Counter[str] = Counter()
        hubs_by_country: dict[str, set[str]] = {}
        for f in planned:
            for c in f.countries:
                self.seats_by_country[c] += f.seats // len(f.countries)
                hubs_by_country.setdefault(c, set()).update(f.pickup_airports)
        # Demand follows capacity (with long queues where charters are rare), plus a baseline
        # so a country without flights still has people waiting.
        base_total = sum(names.NATIONALITY_BASE_SHARE[c] for c in ref.countries)
        pressure = {c: self.seats_by_country[c] * names.DEMAND_PRESSURE.get(c, 1.0) for c in ref.countries}
        pressure_total = sum(pressure.values())
        weights = [
            0.1 * names.NATIONALITY_BASE_SHARE[c] / base_total
            + (0.9 * pressure[c] / pressure_total if pressure_total else 0.9 * 0.1)
            for c in ref.countries
        ]
        self.nationality_cum = cumulative(weights)
        self.nationality_share = {c: w / sum(weights) for c, w in zip(ref.countries, weights, strict=True)}
        # Most people sit in a facility that reaches a hub with flights to their country.
        self.all_facilities = list(facilities)
        self.all_facility_cum = cumulative([f.weight for f in facilities])
        self.reaching: dict[str, tuple[list[DemoFacility], tuple[float, ...]]] = {}
        for c in ref.countries:
            hubs = hubs_by_country.get(c, set())
            near = [f for f in facilities if any(h in hubs for h, _ in f.airports)]
            if near:
                self.reaching[c] = (near, cumulative([f.weight for f in near]))

    # -------------------------------------------------------- household

    def household(self, remaining: int) -> list[tuple[dict, list[dict], list[dict], bool]]:
        """One household: ``[(person_row, document_rows, verification_rows, likely_eligible)]``."""
        rng = self.rng
        nationality = weighted(rng, self.nationality_cum, self.ref.countries)
        if nationality in self.reaching and rng.random() < 0.97:
            near, cum = self.reaching[nationality]
            facility = weighted(rng, cum, near)
        else:
            facility = weighted(rng, self.all_facility_cum, self.all_facilities)

        family = remaining >= 2 and rng.random() < self.FAMILY_UNIT_SHARE
        members = (
            self._family_members(min(remaining, weighted(rng, self.FAMILY_SIZE_CUM, self.FAMILY_SIZES)))
            if family
            else [self._single()]
        )
        group = None
        if family:
            self.families += 1
            group = f"FG{self.families:06d}"
        named = self._names(nationality, members)

        # Shared by the household: one case, one order, one custody decision, one hold.
        custody = weighted(rng, self.CUSTODY_CUM, self.CUSTODY)
        order = weighted(rng, self.ORDER_CUM, self.ORDER)
        order_date = (
            None if order == OrderStatus.NONE.value else self.today - timedelta(days=rng.randint(20, 1000))
        )
        hold_reason, hold_until = None, None
        if rng.random() < 0.045:
            hold_reason = rng.choice(names.LEGAL_HOLD_REASONS)
            draw = rng.random()
            if draw < 0.5:
                hold_until = self.today + timedelta(days=rng.randint(5, 150))
            elif draw < 0.75:
                hold_until = self.today - timedelta(days=rng.randint(1, 200))
        priority = weighted(rng, self.PRIORITY_CUM, (1, 2, 3, 4, 5))
        shared_outcome = self._verification_outcome(nationality)
        place = rng.choice(names.PLACES_OF_BIRTH.get(nationality, ("",)))

        out = []
        for member, (family_name, given, native) in zip(members, named, strict=True):
            adult = member.role != "child"
            outcome = shared_outcome if rng.random() < 0.92 else self._verification_outcome(nationality)
            risk = weighted(rng, self.RISK_CUM, self.RISK) if adult else RiskLevel.LOW.value
            medical = self._medical(member.age)
            dob = self.today - timedelta(days=365 * member.age + rng.randint(0, 364))
            person_id = self.next_person
            self.next_person += 1
            case = f"A{DEMO_CASE_BASE + self.case_numbers(self.person_index) % 100_000_000:09d}"
            self.person_index += 1
            person = {
                "id": person_id,
                "case_number": case,
                "family_name": family_name,
                "given_names": given,
                "native_name": native,
                "sex": member.sex,
                "date_of_birth": dob,
                "place_of_birth": place if adult or rng.random() < 0.8 else "",
                "nationality": nationality,
                "facility_id": facility.id,
                "risk_level": risk,
                "medical_need": medical,
                "family_group": group,
                "order_status": order,
                "order_date": order_date,
                "legal_hold_reason": hold_reason,
                "hold_until": hold_until if hold_reason else None,
                "priority": priority,
                "custody_status": custody,
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
            }
            verifications, confirmed_country, confirmed_on = self._verifications(
                person_id, nationality, outcome
            )
            documents = self._documents(person_id, nationality, confirmed_country)
            if confirmed_country is not None and confirmed_on is not None:
                self._document_requests(person_id, confirmed_country, confirmed_on, documents)
            eligible = (
                custody == CustodyStatus.IN_CUSTODY.value
                and order == OrderStatus.FINAL.value
                and (hold_reason is None or (hold_until is not None and hold_until < self.today))
                and confirmed_country == nationality
                and self._has_usable_document(documents, nationality)
            )
            out.append((person, documents, verifications, eligible))
        return out

    def _single(self) -> _Member:
        rng = self.rng
        draw = rng.random()
        sex = Sex.M.value if draw < 0.76 else Sex.F.value if draw < 0.998 else Sex.X.value
        age = min(75, max(18, round(rng.triangular(18, 70, 29))))
        return _Member("single", sex, age)

    def _family_members(self, size: int) -> list[_Member]:
        rng = self.rng
        first_age = round(rng.triangular(21, 52, 31))
        if size == 2 and rng.random() < 0.25:  # a couple
            return [
                _Member("father", Sex.M.value, first_age),
                _Member("mother", Sex.F.value, max(19, first_age + rng.randint(-6, 3))),
            ]
        if size >= 3 and rng.random() < 0.55:
            parents = [
                _Member("father", Sex.M.value, first_age),
                _Member("mother", Sex.F.value, max(19, first_age + rng.randint(-6, 3))),
            ]
        elif rng.random() < 0.65:
            parents = [_Member("mother", Sex.F.value, first_age)]
        else:
            parents = [_Member("father", Sex.M.value, first_age)]
        youngest_parent = min(p.age for p in parents)
        oldest_child = max(0, min(17, youngest_parent - 18))  # at least 17 years between them
        children = [
            _Member("child", rng.choice((Sex.M.value, Sex.F.value)), rng.randint(0, oldest_child))
            for _ in range(size - len(parents))
        ]
        children.sort(key=lambda m: -m.age)
        return parents + children

    def _medical(self, age: int) -> str:
        wheelchair, escort = next((w, e) for min_age, w, e in MEDICAL_BY_AGE if age >= min_age)
        draw = self.rng.random()
        if draw < wheelchair:
            return MedicalNeed.WHEELCHAIR.value
        return MedicalNeed.MEDICAL_ESCORT.value if draw < wheelchair + escort else MedicalNeed.NONE.value

    # -------------------------------------------------------- names

    def _names(self, country: str, members: Sequence[_Member]) -> list[tuple[str, str, str]]:
        """``(family_name, given_names, native_name)`` per member, consistent within the family."""
        if country == "CHN":
            return self._chinese_names(members)
        if country == "IND":
            return self._indian_names(members)
        if country in names.SIMPLE_NAMES:
            return self._simple_names(country, members)
        return self._spanish_names(country, members)

    def _simple_names(self, country: str, members: Sequence[_Member]) -> list[tuple[str, str, str]]:
        """One family name for the household (a mother alone keeps her own), one or two given names."""
        rng = self.rng
        family_names, male, female = names.SIMPLE_NAMES[country]
        family = rng.choice(family_names)
        out = []
        for m in members:
            sex = m.sex if m.sex != Sex.X.value else rng.choice((Sex.M.value, Sex.F.value))
            pool = male if sex == Sex.M.value else female
            given = rng.choice(pool) if rng.random() < 0.7 else " ".join(rng.sample(pool, 2))
            out.append((family, given, ""))
        return out

    def _spanish_surname(self, country: str) -> str:
        local = names.SPANISH_FAMILY_NAMES_BY_COUNTRY.get(country)
        if local and self.rng.random() < 0.25:
            return self.rng.choice(local)
        return self.rng.choice(names.SPANISH_FAMILY_NAMES)

    def _spanish_given(self, sex: str) -> str:
        rng = self.rng
        if sex == Sex.X.value:
            sex = rng.choice((Sex.M.value, Sex.F.value))
        pool = names.SPANISH_GIVEN_MALE if sex == Sex.M.value else names.SPANISH_GIVEN_FEMALE
        if rng.random() < 0.35:
            return rng.choice(pool)
        return " ".join(rng.sample(pool, 2))

    def _spanish_names(self, country: str, members: Sequence[_Member]) -> list[tuple[str, str, str]]:
        # Each adult: paternal + maternal family name. A child: father's first + mother's first.
        surnames: dict[str, tuple[str, str]] = {}
        for m in members:
            if m.role != "child":
                surnames[m.role] = (self._spanish_surname(country), self._spanish_surname(country))
        father = surnames.get("father", (self._spanish_surname(country), ""))[0]
        mother = surnames.get("mother", (self._spanish_surname(country), ""))[0]
        out = []
        for m in members:
            first, second = surnames[m.role] if m.role != "child" else (father, mother)
            out.append((f"{first} {second}", self._spanish_given(m.sex), ""))
        return out

    def _chinese_given(self, sex: str) -> tuple[str, str]:
        rng = self.rng
        if sex == Sex.X.value:
            sex = rng.choice((Sex.M.value, Sex.F.value))
        pool = names.CHINESE_GIVEN_MALE if sex == Sex.M.value else names.CHINESE_GIVEN_FEMALE
        chars = [rng.choice(pool)] if rng.random() < 0.3 else rng.sample(pool, 2)
        return "".join(h for h, _ in chars), "".join(p for _, p in chars)

    def _chinese_names(self, members: Sequence[_Member]) -> list[tuple[str, str, str]]:
        rng = self.rng
        adults = {m.role: rng.choice(names.CHINESE_SURNAMES) for m in members if m.role != "child"}
        child_surname = adults.get("father")
        if child_surname is None and "mother" in adults:
            child_surname = adults["mother"] if rng.random() < 0.5 else rng.choice(names.CHINESE_SURNAMES)
        out = []
        for m in members:
            surname_hz, surname_py = adults.get(m.role) or child_surname or rng.choice(names.CHINESE_SURNAMES)
            given_hz, given_py = self._chinese_given(m.sex)
            out.append((surname_py, given_py, surname_hz + given_hz))
        return out

    def _indian_names(self, members: Sequence[_Member]) -> list[tuple[str, str, str]]:
        rng = self.rng
        sikh = rng.random() < names.SIKH_SHARE
        family = rng.choice(names.INDIAN_FAMILY_NAMES)
        out = []
        for m in members:
            sex = m.sex if m.sex != Sex.X.value else rng.choice((Sex.M.value, Sex.F.value))
            pool = names.INDIAN_GIVEN_MALE if sex == Sex.M.value else names.INDIAN_GIVEN_FEMALE
            given = rng.choice(pool) if rng.random() < 0.85 else " ".join(rng.sample(pool, 2))
            # Sikh men are SINGH and women KAUR; otherwise the household shares the father's name.
            surname = ("SINGH" if sex == Sex.M.value else "KAUR") if sikh else family
            out.append((surname, given, ""))
        return out

    # -------------------------------------------------------- verification and documents

    def _verification_outcome(self, country: str) -> str:
        """CONFIRMED | PENDING | NOT_CONFIRMED | NONE (never asked) | CROSS (a neighbour's national)."""
        rng = self.rng
        draw = rng.random()
        if draw < NEVER_ASKED:
            return "NONE"
        neighbours = [c for c in names.NEIGHBOURS.get(country, ()) if c in self.ref.rules]
        if draw < NEVER_ASKED + 0.01 and neighbours:
            return "CROSS"
        confirmed, pending, _ = names.VERIFICATION_MIX.get(country, names.DEFAULT_VERIFICATION_MIX)
        draw = rng.random()
        return CONFIRMED if draw < confirmed else PENDING if draw < confirmed + pending else NOT_CONFIRMED

    def _verification_row(
        self, person_id: int, country: str, result: str, on: date, reference: str | None = None
    ) -> dict:
        row = {
            "id": self.next_verification,
            "person_id": person_id,
            "country": country,
            "result": result,
            "authority": f"Consulate General of {self.ref.rules[country].name}",
            "verified_on": on,
            "reference": reference or f"VL-{country}-{on:%Y%m}",
            "source_file": SOURCE_FILE,
            "source_line": None,
            "imported_by": self.actor,
            "imported_at": self.now,
        }
        self.next_verification += 1
        return row

    def _requests(self) -> RequestHistory:
        assert self.history is not None, "generate_demo sets the request history"
        return self.history

    def _asked(
        self,
        rows: list[dict],
        person_id: int,
        country: str,
        answer: str,
        *,
        after: date | None = None,
        before: date | None = None,
    ) -> date | None:
        """A verification request answered ``answer`` (sent after ``after``, answered before
        ``before``): its PENDING row on the batch's sent date and the answer on the answer's date,
        both with the batch reference, appended to ``rows``. The answer's date; None (nothing added)
        when no batch fits."""
        history = self._requests()
        request = history.answered(RequestKind.VERIFICATION, country, after, before)
        if request is None or request.answered_on is None:
            return None
        pending = self._verification_row(person_id, country, PENDING, request.sent_on, request.reference)
        rows += [
            pending,
            self._verification_row(person_id, country, answer, request.answered_on, request.reference),
        ]
        history.add(request, person_id, RequestOutcome(answer), verification_id=pending["id"])
        return request.answered_on

    def _confirmed(self, rows: list[dict], person_id: int, country: str, last: date) -> date:
        """A CONFIRMED history appended to ``rows``: refused once then confirmed on a second request,
        confirmed on a request of ours, or confirmed on an older list (``last``). The date confirmed."""
        rng, row = self.rng, self._verification_row
        confirmed_on = None
        draw = rng.random()
        if draw < 0.07:  # refused once, confirmed on a second request
            refused = self._asked(rows, person_id, country, NOT_CONFIRMED, before=last - timedelta(days=20))
            if refused is None:
                refused = last - timedelta(days=rng.randint(20, 80))
                rows += [
                    row(person_id, country, PENDING, last - timedelta(days=rng.randint(90, 150))),
                    row(person_id, country, NOT_CONFIRMED, refused),
                ]
            confirmed_on = self._asked(rows, person_id, country, CONFIRMED, after=refused)
        elif draw < 0.45:
            confirmed_on = self._asked(rows, person_id, country, CONFIRMED)
            if confirmed_on is None:
                rows.append(row(person_id, country, PENDING, last - timedelta(days=rng.randint(7, 60))))
        elif draw < 0.62:  # asked on an older list, before the office's own batches
            rows.append(row(person_id, country, PENDING, last - timedelta(days=rng.randint(7, 60))))
        if confirmed_on is None:  # confirmed on an older list, without a request of ours
            confirmed_on = last
            rows.append(row(person_id, country, CONFIRMED, last))
        return confirmed_on

    def _verifications(
        self, person_id: int, country: str, outcome: str
    ) -> tuple[list[dict], str | None, date | None]:
        """The history (oldest first), the country that confirmed the person, if any, and when."""
        rng = self.rng
        if outcome == "NONE":
            return [], None, None
        last = self.today - timedelta(days=rng.randint(3, 240))
        rows: list[dict] = []
        row = self._verification_row
        confirmed_country, confirmed_on = None, None
        if outcome == CONFIRMED:
            confirmed_on = self._confirmed(rows, person_id, country, last)
            confirmed_country = country
        elif outcome == PENDING:  # requested, no answer yet
            request = self._requests().open(RequestKind.VERIFICATION, country)
            asked_on = last if request is None else request.sent_on
            if rng.random() < 0.35:  # an older list the consulate never answered
                rows.append(row(person_id, country, PENDING, asked_on - timedelta(days=rng.randint(14, 90))))
            pending = row(
                person_id, country, PENDING, asked_on, None if request is None else request.reference
            )
            rows.append(pending)
            if request is not None:
                self._requests().add(request, person_id, RequestOutcome.OPEN, verification_id=pending["id"])
        elif outcome == NOT_CONFIRMED:
            answered = self._asked(rows, person_id, country, NOT_CONFIRMED) if rng.random() < 0.5 else None
            if answered is None:
                rows.append(row(person_id, country, NOT_CONFIRMED, last))
        else:  # CROSS: the claimed country says no, a neighbour recognises the person
            other = rng.choice([c for c in names.NEIGHBOURS[country] if c in self.ref.rules])
            if self._asked(rows, person_id, country, NOT_CONFIRMED, before=last) is None:
                rows += [
                    row(person_id, country, PENDING, last - timedelta(days=rng.randint(80, 150))),
                    row(person_id, country, NOT_CONFIRMED, last - timedelta(days=rng.randint(20, 70))),
                ]
            rows.append(row(person_id, other, CONFIRMED, last))
            confirmed_country, confirmed_on = other, last
        return rows, confirmed_country, confirmed_on

    def _document_requests(
        self, person_id: int, country: str, confirmed_on: date, documents: list[dict]
    ) -> None:
        """Travel-document requests of a person ``country`` confirmed on ``confirmed_on``, where its
        rule accepts a document it issues on request: the request behind such a document held
        (ISSUED on its issue date), else, without a usable document, a request still open or
        (rarely) refused."""
        history = self._requests()
        if not history.issues_travel_documents(country):
            return
        rng = self.rng
        kind = RequestKind.TRAVEL_DOCUMENT
        issued = [
            d
            for d in documents
            if d["doc_type"] in names.ON_REQUEST_DOCUMENTS and d["issuing_country"] == country
        ]
        if issued:
            document = issued[-1]
            if document["issued_on"] is not None and rng.random() < 0.6:
                request = history.answered_on(kind, country, document["issued_on"], after=confirmed_on)
                if request is not None:
                    history.add(request, person_id, RequestOutcome.ISSUED, document_id=document["id"])
        elif not self._has_usable_document(documents, country):
            draw = rng.random()
            if draw < 0.06:
                refused = history.answered(kind, country, after=confirmed_on)
                if refused is not None:
                    history.add(refused, person_id, RequestOutcome.REFUSED)
            elif draw < 0.6:
                waiting = history.open(kind, country, after=confirmed_on)
                if waiting is not None:
                    history.add(waiting, person_id, RequestOutcome.OPEN)

    def _document_row(
        self, person_id: int, country: str, doc_type: str, issued: date, expires: date, status: str
    ) -> dict:
        n = self.document_numbers(self.document_index)
        self.document_index += 1
        if doc_type == DocumentType.PASSPORT.value:
            if country == "CHN":
                number = f"E{n:08d}"
            elif country == "IND":
                number = f"{'JKLMNPRSTU'[n // 10_000_000]}{n % 10_000_000:07d}"
            elif country == "MEX":
                number = f"G{n:08d}"
            else:
                number = f"P{n:08d}"
        else:
            prefix = {
                DocumentType.TRAVEL_DOCUMENT.value: "TD",
                DocumentType.EMERGENCY_TRAVEL_DOCUMENT.value: "ETD",
                DocumentType.LAISSEZ_PASSER.value: "LP",
            }[doc_type]
            number = f"{prefix}{n:08d}"
        row = {
            "id": self.next_document,
            "person_id": person_id,
            "doc_type": doc_type,
            "number": number,
            "issuing_country": country,
            "issued_on": issued,
            "expires_on": expires,
            "status": status,
            "version": 1,
        }
        self.next_document += 1
        return row

    def _passport_dates(self, expired_share: float, soon_share: float) -> tuple[date, date]:
        rng, today = self.rng, self.today
        draw = rng.random()
        if draw < expired_share:
            expires = today - timedelta(days=rng.randint(1, 500))
        elif draw < expired_share + soon_share:
            expires = today + timedelta(days=rng.randint(1, 120))
        else:
            expires = today + timedelta(days=rng.randint(121, 3400))
        years = 10 if (expires - today).days > 1700 else rng.choice((5, 10))
        issued = min(expires - timedelta(days=365 * years), today - timedelta(days=rng.randint(1, 30)))
        return issued, expires

    def _documents(self, person_id: int, claimed: str, confirmed: str | None) -> list[dict]:
        rng, today = self.rng, self.today
        valid = DocumentStatus.VALID.value
        docs = []
        if confirmed is None:
            # Not (yet) recognised: some people carry a passport anyway, often an old one.
            if rng.random() < 0.45:
                issued, expires = self._passport_dates(0.3, 0.05)
                docs.append(
                    self._document_row(
                        person_id, claimed, DocumentType.PASSPORT.value, issued, expires, valid
                    )
                )
            return docs
        if rng.random() < 0.02:
            return docs  # confirmed, but the consulate has not issued anything yet
        accepted = self.ref.rules[confirmed].accepted
        if rng.random() < 0.01:
            # A document of a type this country does not accept.
            refused = [t.value for t in DocumentType if t.value not in accepted]
            doc_type = rng.choice(refused) if refused else DocumentType.LAISSEZ_PASSER.value
        else:
            options = [t for t in accepted if t in DOC_TYPE_WEIGHT] or list(accepted)
            doc_type = weighted(rng, cumulative([DOC_TYPE_WEIGHT.get(t, 10) for t in options]), options)
        if doc_type == DocumentType.PASSPORT.value:
            issued, expires = self._passport_dates(0.03, 0.03)
        elif doc_type == DocumentType.EMERGENCY_TRAVEL_DOCUMENT.value:
            issued = today - timedelta(days=rng.randint(0, 45))
            expires = issued + timedelta(days=rng.randint(120, 240))
        else:
            issued = today - timedelta(days=rng.randint(0, 200))
            expires = issued + timedelta(days=365)
        draw = rng.random()
        status = (
            DocumentStatus.LOST.value
            if draw < 0.015
            else DocumentStatus.REVOKED.value
            if draw < 0.03
            else valid
        )
        if rng.random() < 0.1:  # an older, expired passport on file as well
            old_expires = min(issued, today) - timedelta(days=rng.randint(30, 900))
            old_status = DocumentStatus.LOST.value if rng.random() < 0.2 else valid
            docs.append(
                self._document_row(
                    person_id,
                    confirmed,
                    DocumentType.PASSPORT.value,
                    old_expires - timedelta(days=3650),
                    old_expires,
                    old_status,
                )
            )
        docs.append(self._document_row(person_id, confirmed, doc_type, issued, expires, status))
        return docs

    def _has_usable_document(self, documents: Sequence[dict], country: str) -> bool:
        rule = self.ref.rules[country]
        horizon = self.today + timedelta(days=rule.min_validity_days + 30)
        return any(
            d["status"] == DocumentStatus.VALID.value
            and d["issuing_country"] == country
            and d["doc_type"] in rule.accepted
            and d["expires_on"] >= horizon
            for d in documents
        )
