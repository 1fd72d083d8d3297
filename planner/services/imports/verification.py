"""Consular verification list import: append-only nationality verifications plus travel documents.

Identity check (never a silent match): the case number must be in the roster, and the row's
``date_of_birth`` and ``family_name`` must match the roster's — names compared after NFKC, case
folding and whitespace folding (``fields.fold_name``); accents count. A mismatch names both values.
Given and native names are not compared (consulates transliterate them differently).

Other rules:
- ``nationality`` is the verifying country; a document on the row is issued by that country.
- Document columns go together: with any of them, ``document_type``, ``document_number`` and
  ``document_expires`` are required (the expiry may be left empty for a document already stored:
  a filled-in request list names the known document without its dates); expiry must be after issue.
  A document number already held by another person (same type and country), in the file or the
  database, is an error.
- A filled-in request list imports as it is: the columns a request list has and a verification list
  has not (sex, place of birth, facility) are ignored; the optional columns may be left out.
- ``verified_on`` is not in the future. Two different results for one person, country and day —
  in the file, or against the database — are an error: the latest result would be ambiguous.
- Rows are appended to the history; a row identical to a stored one (person, country, result,
  verified_on, reference) is unchanged, so re-importing a list adds nothing. Identical rows within
  one file are duplicates (error).
- A document is found by (person, type, number, issuing country): new ones are created VALID; for
  known ones the issue and expiry dates are updated (an empty issue date keeps the stored one);
  the status is never changed by import.
- A ``reference`` that looks like a request batch's (``VR-CHN-2026-0007``) makes the row an answer
  to that batch: ``planner.services.consular.responses`` checks it and closes the request (the
  report says which); the PENDING row a request wrote on its sent date does not make a same-day
  answer ambiguous (the answer is appended after it, so it is the latest).
Audited as ``verification.create``, ``travel_document.create`` and ``travel_document.update``
(and ``request_item.answer`` / ``request_batch.close`` for answers to request batches).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from planner.domain import fields as f
from planner.domain.enums import DocumentStatus, DocumentType, VerificationResult
from planner.domain.names import has_han, latin_transliteration
from planner.domain.requests import looks_like_reference
from planner.persistence.audit import changed_fields
from planner.persistence.bulk import bulk_insert, bulk_update
from planner.persistence.models import NationalityVerification, Person, TravelDocument, utc_now
from planner.services.consular.responses import Answer, Responses, is_request_row
from planner.services.imports.framework import (
    Column,
    ErrorSink,
    Importer,
    Outcome,
    Row,
)
from solver.callbacks import Progress, ShouldStop

DOCUMENT_COLUMNS = ("document_type", "document_number", "document_issued", "document_expires")
DOCUMENT_NUMBER = f.code(r"[A-Za-z0-9][A-Za-z0-9\-/]*", "a document number (letters, digits, - /)")

DocKey = tuple[int, str, str, str]  # person id, type, number, issuing country
#: Columns of a request list (``REQUEST_COLUMNS``) that a response may carry back; not imported.
REQUEST_ONLY_COLUMNS = ("sex", "place_of_birth", "facility")


def _pinyin_of(han: str, latin: str) -> bool:
    """Whether ``han`` is a Han name the roster stored in Latin as ``latin`` (Hanyu Pinyin)."""
    return has_han(han) and latin_transliteration(han, family_name=True) == latin


class VerificationImporter(Importer):
    kind = "verification"
    preview_columns = ("case_number", "family_name", "given_names", "native_name")
    writes = ("travel_document", "nationality_verification", "request_item", "request_batch")

    def load(self) -> None:
        s = self.session.connection()  # Core rows: no ORM work per row
        #: case number -> (person id, family name, date of birth)
        self.people: dict[str, tuple[int, str, date]] = {
            case: (pid, family, dob)
            for pid, case, family, dob in s.execute(
                sa.select(Person.id, Person.case_number, Person.family_name, Person.date_of_birth)
            )
        }
        v = NationalityVerification
        self.verifications: set[tuple[int, str, str, date, str]] = set()
        self.results_by_day: dict[tuple[int, str, date], set[str]] = {}
        for pid, country, result, verified_on, reference in s.execute(
            sa.select(v.person_id, v.country, v.result, v.verified_on, v.reference)
        ):
            self.verifications.add((pid, country, result, verified_on, reference))
            if is_request_row(result, reference):
                continue  # a request's PENDING row: an answer the same day is appended after it
            self.results_by_day.setdefault((pid, country, verified_on), set()).add(result)
        d = TravelDocument
        #: (person, type, number, country) -> (id, version, issued, expires)
        self.documents: dict[DocKey, tuple[int, int, date | None, date]] = {}
        #: (type, number, country) -> person ids holding it
        self.document_holders: dict[tuple[str, str, str], set[int]] = {}
        for did, version, pid, doc_type, number, country, issued, expires in s.execute(
            sa.select(
                d.id,
                d.version,
                d.person_id,
                d.doc_type,
                d.number,
                d.issuing_country,
                d.issued_on,
                d.expires_on,
            )
        ):
            self.documents[(pid, doc_type, number, country)] = (did, version, issued, expires)
            self.document_holders.setdefault((doc_type, number, country), set()).add(pid)
        self.today = date.today()
        self.responses = Responses.load(self.session)
        self._reference_like: dict[str, bool] = {}
        self._answers: dict[int, Answer] = {}

    def _answer(self, row: Row) -> Answer | None:
        """The row as an answer to a request batch, or None when its reference is a free one
        (worked out once per row and reference: the checks and the plan ask again)."""
        v = row.values
        reference = v["reference"]
        if not reference:
            return None
        like = self._reference_like.get(reference)
        if like is None:
            like = self._reference_like[reference] = looks_like_reference(reference)
        if not like:
            return None
        answer = self._answers.get(row.line)
        if answer is None:
            answer = self._answers[row.line] = self._new_answer(row)
        return answer

    def _new_answer(self, row: Row) -> Answer:
        v = row.values
        person = self.people.get(v["case_number"])
        pid = person[0] if person is not None else None
        key = (pid, v["nationality"], v["result"], v["verified_on"], v["reference"])
        return Answer(
            line=row.line,
            person_id=pid,
            case_number=v["case_number"],
            reference=v["reference"],
            country=v["nationality"],
            result=v["result"],
            verified_on=v["verified_on"],
            document_type=v["document_type"],
            document_number=v["document_number"],
            document_issued=v["document_issued"],
            stored=key in self.verifications,
        )

    def columns(self) -> Sequence[Column]:
        return (
            Column("case_number", f.case_number, max_length=10),
            Column("family_name"),
            Column("given_names", required=False, optional_column=True),
            Column("native_name", required=False, optional_column=True),
            Column("date_of_birth", f.iso_date),
            Column("nationality", f.country),
            Column("result", f.enum(VerificationResult)),
            Column("document_type", f.enum(DocumentType), required=False, optional_column=True),
            Column("document_number", DOCUMENT_NUMBER, required=False, max_length=32, optional_column=True),
            Column("document_issued", f.iso_date, required=False, optional_column=True),
            Column("document_expires", f.iso_date, required=False, optional_column=True),
            Column("authority", required=False, optional_column=True),
            Column("verified_on", f.iso_date),
            Column("reference", required=False, max_length=64),
            # A filled-in request list (``planner.domain.requests.REQUEST_COLUMNS``) imports as it
            # is: its other columns are read and ignored.
            *(Column(name, required=False, optional_column=True) for name in REQUEST_ONLY_COLUMNS),
        )

    def unique_key(self, row: Row) -> tuple[str, Hashable]:
        v = row.values
        return "case_number", (
            v["case_number"],
            v["nationality"],
            v["result"],
            v["verified_on"],
            v["reference"] or "",
        )

    def check_row(self, row: Row, errors: ErrorSink) -> None:
        v, line = row.values, row.line
        case = v["case_number"]
        person = self.people.get(case)
        if person is None:
            errors.add(line, "case_number", f"{case} is not in the roster (import the roster first)")
        else:
            pid, family, dob = person
            if v["date_of_birth"] != dob:
                errors.add(
                    line,
                    "date_of_birth",
                    f"{v['date_of_birth']} does not match the roster's {dob} for {case}",
                )
            if (
                v["family_name"] != family
                and f.fold_name(v["family_name"]) != f.fold_name(family)
                and not _pinyin_of(v["family_name"], family)
            ):
                errors.add(
                    line,
                    "family_name",
                    f"{f.show(v['family_name'])} does not match the roster's {f.show(family)} for {case}",
                )
            results = self.results_by_day.get((pid, v["nationality"], v["verified_on"]))
            other = sorted(results - {v["result"]}) if results else []
            if other:
                errors.add(
                    line,
                    "result",
                    f"the database already holds {'/'.join(other)} for {case}, {v['nationality']} on "
                    f"{v['verified_on']}: two results on one day leave the latest unknown",
                )
        if v["verified_on"] > self.today:
            errors.add(line, "verified_on", f"{v['verified_on']} is in the future")
        if any(v[c] is not None for c in DOCUMENT_COLUMNS):
            known = person is not None and (
                (person[0], v["document_type"], v["document_number"], v["nationality"]) in self.documents
            )
            for column in ("document_type", "document_number", "document_expires"):
                if v[column] is None and not (column == "document_expires" and known):
                    errors.add(line, column, "is required when a document is given")
            issued, expires = v["document_issued"], v["document_expires"]
            if issued is not None and expires is not None and expires <= issued:
                errors.add(line, "document_expires", f"{expires} is not after the issue date {issued}")
            if person is not None and v["document_type"] and v["document_number"]:
                holders = self.document_holders.get(
                    (v["document_type"], v["document_number"], v["nationality"])
                )
                if holders and holders - {person[0]}:
                    errors.add(
                        line,
                        "document_number",
                        f"{v['document_type']} {v['document_number']} ({v['nationality']}) belongs to another person",
                    )
        answer = self._answer(row)
        if answer is not None:
            for column, message in self.responses.check(answer):
                errors.add(line, column, message)

    def check_rows(self, rows: Sequence[Row], errors: ErrorSink) -> None:
        answers = [a for row in rows if (a := self._answer(row)) is not None]
        for line, column, message in self.responses.check_all(answers):
            errors.add(line, column, message)
        results: dict[tuple[str, str, date], tuple[str, int]] = {}
        documents: dict[tuple[str, str, str], tuple[str, date | None, date, int]] = {}
        for row in rows:
            v = row.values
            day = (v["case_number"], v["nationality"], v["verified_on"])
            first = results.setdefault(day, (v["result"], row.line))
            if first[0] != v["result"]:
                errors.add(
                    row.line,
                    "result",
                    f"{v['result']} contradicts {first[0]} on line {first[1]} for the same person, country "
                    "and day: the latest result would be ambiguous",
                )
            if v["document_number"] is None:
                continue
            doc = (v["document_type"], v["document_number"], v["nationality"])
            seen = documents.setdefault(
                doc, (v["case_number"], v["document_issued"], v["document_expires"], row.line)
            )
            if seen[0] != v["case_number"]:
                errors.add(
                    row.line, "document_number", f"the same document is given for {seen[0]} on line {seen[3]}"
                )
            elif (seen[1], seen[2]) != (v["document_issued"], v["document_expires"]):
                errors.add(row.line, "document_expires", f"the document's dates differ from line {seen[3]}")

    def plan(self, rows: Sequence[Row], errors: ErrorSink) -> list[Outcome]:
        outcomes: list[Outcome] = []
        self.new_verifications: list[tuple[Row, int]] = []
        planned: dict[DocKey, dict[str, Any] | None] = {}
        self.new_documents: list[tuple[str, DocKey, dict[str, Any]]] = []
        self.changed_documents: list[tuple[str, DocKey, int, int, dict[str, Any], dict[str, list[Any]]]] = []
        for row in rows:
            v = row.values
            pid = self.people[v["case_number"]][0]
            key = (pid, v["nationality"], v["result"], v["verified_on"], v["reference"] or "")
            outcome: Outcome = "unchanged"
            if key not in self.verifications:
                self.new_verifications.append((row, pid))
                outcome = "new"
            if v["document_number"] is not None:
                doc_key: DocKey = (pid, v["document_type"], v["document_number"], v["nationality"])
                if doc_key not in planned:
                    planned[doc_key] = None
                    existing = self.documents.get(doc_key)
                    new = {"issued_on": v["document_issued"], "expires_on": v["document_expires"]}
                    if existing is None:
                        self.new_documents.append((v["case_number"], doc_key, new))
                        outcome = "new"
                    else:
                        did, version, issued, expires = existing
                        if new["issued_on"] is None:
                            new["issued_on"] = issued
                        if new["expires_on"] is None:
                            new["expires_on"] = expires
                        changes = changed_fields({"issued_on": issued, "expires_on": expires}, new)
                        if changes:
                            self.changed_documents.append(
                                (v["case_number"], doc_key, did, version, new, changes)
                            )
                            outcome = "new" if outcome == "new" else "updated"
            outcomes.append(outcome)
        closings = self.responses.plan(a for row in rows if (a := self._answer(row)) is not None)
        closing_lines = {c.answer.line for c in closings}
        outcomes = [
            "updated" if o == "unchanged" and row.line in closing_lines else o
            for row, o in zip(rows, outcomes, strict=True)
        ]
        self.details = {
            "verifications_added": len(self.new_verifications),
            "documents_created": len(self.new_documents),
            "documents_updated": len(self.changed_documents),
            "requests_closed": len(closings),
        }
        self.notes = [note] if (note := self.responses.summary(done=False)) else []
        return outcomes

    def apply(self, progress: Progress, should_stop: ShouldStop) -> None:
        now = utc_now()
        importer = self.actor.username
        verifications = [
            {
                "person_id": pid,
                "country": row.values["nationality"],
                "result": row.values["result"],
                "authority": row.values["authority"] or "",
                "verified_on": row.values["verified_on"],
                "reference": row.values["reference"] or "",
                "source_file": self.source[-255:],
                "source_line": row.line,
                "imported_by": importer,
                "imported_at": now,
            }
            for row, pid in self.new_verifications
        ]
        self.execute_batches(
            lambda batch: bulk_insert(self.session, NationalityVerification.__table__, batch),
            verifications,
            lambda x, m: progress(0.6 * x, m),
            should_stop,
            "adding verifications",
        )
        documents = [
            {
                "person_id": pid,
                "doc_type": doc_type,
                "number": number,
                "issuing_country": country,
                "issued_on": new["issued_on"],
                "expires_on": new["expires_on"],
                "status": DocumentStatus.VALID.value,
                "version": 1,
            }
            for _case, (pid, doc_type, number, country), new in self.new_documents
        ]
        self.execute_batches(
            lambda batch: bulk_insert(self.session, TravelDocument.__table__, batch),
            documents,
            lambda x, m: progress(0.6 + 0.3 * x, m),
            should_stop,
            "adding documents",
        )
        updates = [
            {"id": did, "version": version + 1, **new}
            for _c, _k, did, version, new, _ch in self.changed_documents
        ]
        self.execute_batches(
            lambda batch: bulk_update(self.session, TravelDocument.__table__, batch, guard_version=True),
            updates,
            lambda x, m: progress(0.9 + 0.1 * x, m),
            should_stop,
            "updating documents",
        )
        self._audit(verifications)
        known = {key: existing[0] for key, existing in self.documents.items()}
        self.events.extend(self.responses.apply(self.session, importer, self.source, now, known))
        self.notes = [note] if (note := self.responses.summary(done=True)) else []

    def _audit(self, verifications: list[dict[str, Any]]) -> None:
        """One ``verification.create`` event per new verification, carrying the document it created
        or changed; documents changed by rows whose verification was already stored get their own
        ``travel_document.create`` / ``travel_document.update`` event."""
        documents: dict[DocKey, tuple[str, str, dict[str, Any]]] = {}
        for case, key, new in self.new_documents:
            created = {k: [None, v.isoformat()] for k, v in new.items() if v is not None}
            documents[key] = (case, "created", created)
        for case, key, _did, _version, _new, document_changes in self.changed_documents:
            documents[key] = (case, "updated", document_changes)
        rows = {row.line: row for row, _pid in self.new_verifications}
        for values in verifications:
            v = rows[values["source_line"]].values
            changes: dict[str, Any] = {
                "country": values["country"],
                "result": values["result"],
                "verified_on": v["verified_on"].isoformat(),
                "reference": values["reference"],
                "authority": values["authority"],
                "source": f"{values['source_file']}:{values['source_line']}",
            }
            if v["document_number"] is not None:
                key = (values["person_id"], v["document_type"], v["document_number"], values["country"])
                if key in documents:
                    _case, action, fields_changed = documents.pop(key)
                    changes["travel_document"] = {
                        "document": f"{key[1]} {key[2]} ({key[3]})",
                        "action": action,
                        **fields_changed,
                    }
            self.event("verification.create", "person", v["case_number"], changes)
        for (_pid, doc_type, number, country), (case, action, fields_changed) in documents.items():
            self.event(
                f"travel_document.{'create' if action == 'created' else 'update'}",
                "travel_document",
                f"{case}/{doc_type}/{number}/{country}",
                fields_changed,
            )
