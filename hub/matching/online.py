"""Matching one arriving record against the people the hub already knows.

Blocking happens in PostgreSQL: one query ORs together indexed conditions (same NHS number,
same UPN, same or day/month-swapped date of birth, same forename and surname either way round,
same surname and year of birth, same postcode), so only a few hundred records come back even
against a million. Scoring happens in Python with the active parameters (`hub.matching.linkage`).
The indexes live in this app's migrations (`0002_blocking_indexes`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.utils import timezone

from concerns.models import SubjectRecord
from hub.matching import conf, linkage
from hub.matching.comparisons import MatchRecord, nhs_conflict, prepare, swap_day_month
from hub.matching.models import MatchParameters

_FIELDS = (
    "pk",
    "person_id",
    "agency_id",
    "given_name_norm",
    "family_name_norm",
    "date_of_birth",
    "sex",
    "postcode",
    "address_norm",
    "school",
    "upn",
    "nhs_number",
)
# What scoring reads of a stored record: no primary key or agency, so identical records of one
# person collapse into one candidate.
_CANDIDATE_FIELDS = _FIELDS[1:2] + _FIELDS[3:]
_cache: dict[int, tuple[linkage.Parameters, linkage.Scorer]] = {}
# Which version is active, as last read, and when (time.monotonic()).
_active: dict[str, float] = {"version": -1, "read_at": 0.0}
RECHECK_SECONDS = 5.0


def active_scorer() -> tuple[int, linkage.Scorer]:
    """The active parameter version and its scorer (version 0: the built-in defaults).

    Which version is active is read at most every RECHECK_SECONDS per process (it changes
    when somebody trains or activates parameters, not per request); saving parameters forgets
    it at once in the saving process (`forget_active_version`).
    """
    now = time.monotonic()
    if _active["version"] < 0 or now - _active["read_at"] > RECHECK_SECONDS:
        row = (
            MatchParameters.objects.filter(is_active=True).values_list("version", flat=True).first()
        )
        _active.update(version=row or 0, read_at=now)
    version = int(_active["version"])
    if version not in _cache:
        if version:
            data = MatchParameters.objects.get(version=version).parameters
            params = linkage.Parameters.from_json(data)
        else:
            params = linkage.Parameters.default()
        _cache.clear()
        _cache[version] = (params, linkage.Scorer(params))
    return version, _cache[version][1]


def forget_active_version() -> None:
    """Read the active version afresh on the next match (after saving parameters)."""
    _active.update(version=-1, read_at=0.0)


def thresholds() -> linkage.Thresholds:
    return linkage.Thresholds(
        auto_link=float(conf.get("AUTO_LINK_PROBABILITY")),
        review=float(conf.get("REVIEW_PROBABILITY")),
        cautious_forenames=bool(conf.get("CAUTIOUS_FORENAMES")),
    )


def record_from_details(details: Any, *, key: object = None) -> MatchRecord:
    """A `MatchRecord` from `concerns.resolution.SubjectDetails` (already normalised)."""
    return prepare(
        key,
        forename=details.given_name_norm,
        surname=details.family_name_norm,
        dob=details.date_of_birth,
        sex=details.sex,
        postcode=details.postcode,
        address=details.address_norm,
        school=details.school,
        upn=details.upn,
        nhs=details.nhs_number,
        today=timezone.localdate(),
        normalised=True,
    )


def _stored_record(values: dict[str, Any]) -> MatchRecord:
    """A `MatchRecord` from a stored subject record's columns (without `pk` and `agency_id`
    for a blocking candidate, where identical rows are one)."""
    return prepare(
        values.get("pk"),
        forename=values["given_name_norm"],
        surname=values["family_name_norm"],
        dob=values["date_of_birth"],
        sex=values["sex"],
        postcode=values["postcode"],
        address=values["address_norm"],
        school=values["school"],
        upn=values["upn"],
        nhs=values["nhs_number"],
        source=values.get("agency_id"),
        person=values["person_id"],
        normalised=True,
    )


# One blocking rule: a WHERE clause over the subject-record table, its parameters, its cap.
Rule = tuple[str, list[Any], int]


def blocking_rules(rec: MatchRecord) -> list[Rule]:
    """The blocking rules REC can use, each with the most rows it may bring back.

    Tight rules (an identifier, the date of birth, the full name) are what a real match almost
    always shares, and their blocks are small. Loose rules (surname and year of birth, postcode)
    catch the rest, but a common surname or a large postcode can hold thousands of records, so
    they are capped lower: a capped block can only cost a missed link (a duplicate person for
    the MASH to merge later), never a wrong one. Each rule is served by an index
    (`migrations/0002_blocking_indexes.py` and the subject model's own).
    """
    tight, loose = int(conf.get("MAX_CANDIDATES_TIGHT")), int(conf.get("MAX_CANDIDATES_LOOSE"))
    rules: list[Rule] = []
    if rec.nhs:
        rules.append(("nhs_number = %s", [rec.nhs], tight))
    if rec.upn:
        rules.append(("upn = %s", [rec.upn], tight))
    if rec.dob is not None:
        swapped = swap_day_month(rec.dob)
        dates = [rec.dob, *([swapped] if swapped else [])]
        rules.append(("date_of_birth = ANY(%s)", [dates], tight))
        if rec.surname:
            year = [rec.surname, date(rec.dob.year, 1, 1), date(rec.dob.year, 12, 31)]
            rules.append(("family_name_norm = %s AND date_of_birth BETWEEN %s AND %s", year, loose))
    if rec.forename and rec.surname:
        for first, last in ((rec.forename, rec.surname), (rec.surname, rec.forename)):
            rules.append(("family_name_norm = %s AND given_name_norm = %s", [last, first], tight))
    if rec.postcode:
        rules.append(("postcode = %s", [rec.postcode], loose))
    return rules


def candidate_records(rec: MatchRecord, *, exclude_person: int | None = None) -> list[MatchRecord]:
    """The distinct records blocking brings back for REC, in one query.

    Each rule is its own capped subquery; UNION (not UNION ALL) drops duplicate rows, so a
    person with fifty identical records from one system is scored once, not fifty times. The
    SQL is written out rather than built by the ORM: composing seven capped subqueries through
    the ORM cost more than running them, on every arriving record.
    """
    rules = blocking_rules(rec)
    if not rules:
        return []
    meta = SubjectRecord._meta
    columns = ", ".join(meta.get_field(name).column for name in _CANDIDATE_FIELDS)
    not_person = "" if exclude_person is None else " AND person_id <> %s"
    parts, params = [], []
    for where, values, cap in rules:
        # Only this module's constant clauses and the model's own names are interpolated;
        # every value is a parameter.
        sql = f"(SELECT {columns} FROM {meta.db_table} WHERE {where}{not_person} LIMIT %s)"  # noqa: S608
        parts.append(sql)
        params += [*values, *([exclude_person] if exclude_person is not None else []), cap]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(parts), params)
        return [
            _stored_record(dict(zip(_CANDIDATE_FIELDS, row, strict=True)))
            for row in cursor.fetchall()
        ]


@dataclass
class PersonScore:
    person_id: int
    weight: float
    probability: float
    best_record: MatchRecord
    evidence: list[linkage.Evidence]
    reasons: tuple[str, ...]
    identifier_agrees: bool
    decision: linkage.Decision


@dataclass
class OnlineMatch:
    record: MatchRecord
    version: int
    scored: list[PersonScore] = field(default_factory=list)  # best first, review or better

    @property
    def best(self) -> PersonScore | None:
        return self.scored[0] if self.scored else None

    @property
    def decision(self) -> linkage.Decision:
        return self.best.decision if self.best else linkage.Decision.NEW


def match(rec: MatchRecord, *, exclude_person: int | None = None) -> OnlineMatch:
    """Score REC against every blocked candidate; people at review level or above, best first.

    Read-only: the caller (`services.resolve_subject`) acts on the outcome.
    """
    version, scorer = active_scorer()
    limits = thresholds()
    by_person: dict[int, list[MatchRecord]] = defaultdict(list)
    for cand in candidate_records(rec, exclude_person=exclude_person):
        by_person[cand.person].append(cand)
    out = OnlineMatch(record=rec, version=version)
    for person_id, records in by_person.items():
        # Two valid, different NHS numbers anywhere between them: never the same person.
        if any(nhs_conflict(rec, other) for other in records):
            continue
        best_w, best_rec, reasons = None, None, ()
        for other in records:
            w, why = linkage.pair_score(scorer, rec, other, limits)
            if w is not None and (best_w is None or w > best_w):
                best_w, best_rec, reasons = w, other, why
        if best_w is None or best_rec is None or best_w < limits.review_weight:
            continue
        ident = bool(rec.upn and rec.upn == best_rec.upn) or bool(
            rec.nhs and rec.nhs == best_rec.nhs
        )
        out.scored.append(
            PersonScore(
                person_id=person_id,
                weight=best_w,
                probability=linkage.probability(best_w),
                best_record=best_rec,
                evidence=scorer.evidence(rec, best_rec),
                reasons=reasons,
                identifier_agrees=ident,
                decision=linkage.decide(best_w, limits, reasons, identifier_agrees=ident),
            )
        )
    out.scored.sort(key=lambda s: -s.weight)
    return out


def all_records() -> list[MatchRecord]:
    """Every agency record the hub holds, normalised for matching (batch jobs only)."""
    rows = SubjectRecord.objects.order_by("pk").values_list(*_FIELDS).iterator(chunk_size=5000)
    return [_stored_record(dict(zip(_FIELDS, row, strict=True))) for row in rows]
