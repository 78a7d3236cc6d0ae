"""Bulk import of agencies' concerns from JSON Lines or CSV (format: docs/import-format.md).

One importer serves `manage.py import_concerns`, the browser upload page and (later) the API's
bulk endpoint. Each line goes through the ordinary services (`subject_record_create`,
`household_link`, `concern_record`) inside its own savepoint, so:

* a bad line is reported with its line number and the field paths at fault, and nothing of it
  is saved — not even a subject that was valid when the concern after it was not;
* good lines are saved whatever happens to the lines around them;
* the agency's own reference for the concern makes re-imports safe: an identical re-send is
  "already imported", a different one under the same reference is a conflict, and nothing is
  ever created twice;
* a line for an agency other than the importing user's is refused.

The import as a whole writes one summary audit event (`Action.IMPORT`), beside the per-record
events the services write. Reports and the audit hold line numbers, references, field paths and
generic messages — never names, dates of birth or concern text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency, User
from audit.models import Action
from audit.services import audit_record
from concerns import services
from concerns.models import AgencyTerm, Concern, HouseholdMember, Person, SubjectRecord
from concerns.taxonomy import Category, ConsentStatus, FamilyKnows, Level
from concerns.validators import normalise_nhs_number, normalise_postcode, normalise_upn

FORMAT_JSONL = "jsonl"
FORMAT_CSV = "csv"
FORMATS = (FORMAT_JSONL, FORMAT_CSV)
# A line longer than this cannot be a concern (text is at most 10,000 characters).
MAX_LINE_BYTES = 200_000
MAX_REFERENCE = 100

MARKERS = {
    "health": "marker_health",
    "do_not_disclose_family": "marker_do_not_disclose_family",
    "police_investigation": "marker_police_investigation",
    "sealed": "marker_sealed",
}
SUBJECT_FIELDS = (
    "reference",
    "kind",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "nhs_number",
    "upn",
    "address",
    "postcode",
    "school",
)
TOP_FIELDS = (
    "agency",
    "reference",
    "subject",
    "household",
    "category",
    "level",
    "occurred_at",
    "text",
    "markers",
    "consent_status",
    "family_knows",
)
HOUSEHOLD_FIELDS = ("address", "postcode", "relationship", "members")
MEMBER_FIELDS = ("reference", "relationship", "subject")
ADULT_RELATIONSHIPS = {
    HouseholdMember.Relationship.PARENT,
    HouseholdMember.Relationship.CARER,
    HouseholdMember.Relationship.PARTNER_OF_PARENT,
    HouseholdMember.Relationship.OTHER_ADULT,
}
SEX_WORDS = {"female": "F", "male": "M", "other": "X", "unknown": "U", "not known": "U"}

# CSV: one flat column per JSON path. `household_members` holds "REF=relationship" pairs
# separated by ";", and `markers` marker names separated by ";".
CSV_COLUMNS: dict[str, str] = {
    "agency": "agency",
    "reference": "reference",
    "subject_reference": "subject.reference",
    "subject_kind": "subject.kind",
    "given_name": "subject.given_name",
    "family_name": "subject.family_name",
    "other_names": "subject.other_names",
    "date_of_birth": "subject.date_of_birth",
    "sex": "subject.sex",
    "nhs_number": "subject.nhs_number",
    "upn": "subject.upn",
    "address": "subject.address",
    "postcode": "subject.postcode",
    "school": "subject.school",
    "household_address": "household.address",
    "household_postcode": "household.postcode",
    "household_relationship": "household.relationship",
    "household_members": "household.members",
    "category": "category",
    "level": "level",
    "occurred_at": "occurred_at",
    "text": "text",
    "markers": "markers",
    "consent_status": "consent_status",
    "family_knows": "family_knows",
}
CSV_REQUIRED = (
    "agency",
    "reference",
    "subject_reference",
    "given_name",
    "family_name",
    "category",
    "level",
    "occurred_at",
    "text",
    "consent_status",
)
_CSV_PATH_TO_COLUMN = {path: column for column, path in CSV_COLUMNS.items()}


class Status(StrEnum):
    CREATED = "created"
    ALREADY_IMPORTED = "already_imported"
    CONFLICT = "conflict"
    INVALID = "invalid"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return {
            "created": "Imported",
            "already_imported": "Already imported",
            "conflict": "Conflict",
            "invalid": "Not imported",
            "refused": "Refused",
        }[self.value]


FAILED_STATUSES = frozenset({Status.CONFLICT, Status.INVALID, Status.REFUSED})


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class LineResult:
    line: int
    status: Status
    reference: str = ""
    errors: tuple[FieldError, ...] = ()
    concern_id: int | None = None

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def reason(self) -> str:
        return "; ".join(str(e) for e in self.errors)


@dataclass
class ImportReport:
    format: str
    source: str
    results: list[LineResult] = field(default_factory=list)
    # Problems with the file as a whole (an unreadable CSV header, bytes that are not UTF-8).
    file_errors: list[str] = field(default_factory=list)
    sha256: str = ""
    audit_seq: int | None = None

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def totals(self) -> dict[str, int]:
        return {s.value: self.count(s) for s in Status} | {"lines": len(self.results)}

    @property
    def failed(self) -> bool:
        return bool(self.file_errors) or any(r.failed for r in self.results)


class _Errors:
    """Errors gathered while reading one line, each under its field path."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(FieldError(path, message))

    def extend_from(self, exc: ValidationError, prefix: str = "") -> None:
        if hasattr(exc, "error_dict"):
            for name, errs in exc.error_dict.items():
                path = "" if name == "__all__" else _join(prefix, name)
                for err in errs:
                    for message in err.messages:
                        self.add(path, message)
        else:
            for message in exc.messages:
                self.add(prefix, message)

    def __bool__(self) -> bool:
        return bool(self.items)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# --------------------------------------------------------------------------------------------
# Reading one record (a dict, from JSON or from a CSV row) into checked values
# --------------------------------------------------------------------------------------------


@dataclass
class SubjectInput:
    reference: str
    kind: str
    fields: dict[str, Any]  # keyword arguments for subject_record_create, minus actor/agency


@dataclass
class MemberInput:
    reference: str
    relationship: str
    subject: SubjectInput | None


@dataclass
class HouseholdInput:
    address: str
    postcode: str
    relationship: str
    members: list[MemberInput]


@dataclass
class ConcernInput:
    agency: Agency
    reference: str
    subject: SubjectInput
    household: HouseholdInput | None
    category: str
    level: int
    occurred_at: datetime
    text: str
    markers: dict[str, bool]
    consent_status: str
    family_knows: str

    def comparable(self) -> dict[str, Any]:
        """What an identical re-send must match (see `_original_values`)."""
        return {
            "subject": self.subject.reference,
            "category": self.category,
            "level": self.level,
            "occurred_at": self.occurred_at,
            "text": self.text,
            "consent_status": self.consent_status,
            "family_knows": self.family_knows,
            **{MARKERS[name]: value for name, value in self.markers.items()},
        }


class AgencyTerms:
    """An agency's own words for categories and levels (`AgencyTerm`), loaded once per import."""

    def __init__(self, agency: Agency) -> None:
        self.by_term = {t.term.strip().lower(): t for t in AgencyTerm.objects.filter(agency=agency)}

    def get(self, value: str) -> AgencyTerm | None:
        return self.by_term.get(value.strip().lower())


_CATEGORY_LOOKUP = {c.value: c.value for c in Category} | {
    c.label.lower(): c.value for c in Category
}


class _Reader:
    """Checks one record's shape and values; every problem is added to `errors` with its path."""

    def __init__(self, errors: _Errors, terms: AgencyTerms) -> None:
        self.errors = errors
        self.terms = terms

    def string(
        self,
        data: dict[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        max_length: int | None = None,
    ) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.errors.add(path, "This field is required")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.errors.add(path, "Must be text")
            return ""
        text = str(value)
        if "\x00" in text:
            self.errors.add(path, "Must not contain NUL characters")
            return ""
        if max_length is not None and len(text.strip()) > max_length:
            self.errors.add(path, f"Must be {max_length:,} characters or fewer")
            return ""
        return text.strip() if key != "text" else text

    def unknown_keys(self, data: dict[str, Any], allowed: Iterable[str], prefix: str) -> None:
        for key in data:
            if key not in allowed:
                self.errors.add(_join(prefix, str(key)), "Unknown field")

    def subject(
        self, data: Any, prefix: str, *, reference: str | None = None, default_kind: str
    ) -> SubjectInput | None:
        if data is None:
            self.errors.add(prefix, "This field is required")
            return None
        if not isinstance(data, dict):
            self.errors.add(prefix, "Must be an object")
            return None
        allowed = SUBJECT_FIELDS if reference is None else SUBJECT_FIELDS[1:]
        self.unknown_keys(data, allowed, prefix)
        if reference is None:
            reference = self.string(
                data, "reference", f"{prefix}.reference", required=True, max_length=MAX_REFERENCE
            )
        kind = self.string(data, "kind", f"{prefix}.kind").lower() or default_kind
        if kind not in Person.Kind.values:
            self.errors.add(f"{prefix}.kind", "Must be child or adult")
        fields: dict[str, Any] = {}
        for name in ("given_name", "family_name", "other_names", "address", "school"):
            max_length = SubjectRecord._meta.get_field(name).max_length
            fields[name] = self.string(
                data,
                name,
                f"{prefix}.{name}",
                required=name in ("given_name", "family_name"),
                max_length=max_length,
            )
        for name, normalise in (
            ("nhs_number", normalise_nhs_number),
            ("upn", normalise_upn),
            ("postcode", normalise_postcode),
        ):
            raw = self.string(data, name, f"{prefix}.{name}", max_length=30)
            try:
                fields[name] = normalise(raw)
            except ValidationError as exc:
                self.errors.extend_from(exc, f"{prefix}.{name}")
        dob = self.string(data, "date_of_birth", f"{prefix}.date_of_birth")
        fields["date_of_birth"] = None
        if dob:
            try:
                fields["date_of_birth"] = date.fromisoformat(dob)
            except ValueError:
                self.errors.add(f"{prefix}.date_of_birth", "Must be a date like 2015-03-27")
            else:
                if fields["date_of_birth"] > timezone.localdate():
                    self.errors.add(f"{prefix}.date_of_birth", "Date of birth must be in the past")
        sex = self.string(data, "sex", f"{prefix}.sex")
        fields["sex"] = SubjectRecord.Sex.UNKNOWN
        if sex:
            code = SEX_WORDS.get(sex.lower(), sex.upper())
            if code in SubjectRecord.Sex.values:
                fields["sex"] = code
            else:
                self.errors.add(f"{prefix}.sex", "Must be F, M, X or U")
        return SubjectInput(reference=reference, kind=kind, fields=fields)

    def household(self, data: Any, subject: SubjectInput | None) -> HouseholdInput | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            self.errors.add("household", "Must be an object")
            return None
        self.unknown_keys(data, HOUSEHOLD_FIELDS, "household")
        address = self.string(data, "address", "household.address", max_length=300)
        postcode_raw = self.string(data, "postcode", "household.postcode", max_length=30)
        postcode = ""
        try:
            postcode = normalise_postcode(postcode_raw)
        except ValidationError as exc:
            self.errors.extend_from(exc, "household.postcode")
        if postcode and not address:
            self.errors.add("household.address", "Give the address with the postcode")
        default_relationship = (
            HouseholdMember.Relationship.OTHER_ADULT
            if subject is not None and subject.kind == Person.Kind.ADULT
            else HouseholdMember.Relationship.CHILD
        )
        relationship = self.relationship(
            data.get("relationship"), "household.relationship", default_relationship
        )
        members: list[MemberInput] = []
        raw_members = data.get("members") or []
        if not isinstance(raw_members, list):
            self.errors.add("household.members", "Must be a list")
            raw_members = []
        for i, raw in enumerate(raw_members):
            path = f"household.members[{i}]"
            if not isinstance(raw, dict):
                self.errors.add(path, "Must be an object")
                continue
            self.unknown_keys(raw, MEMBER_FIELDS, path)
            reference = self.string(
                raw, "reference", f"{path}.reference", required=True, max_length=MAX_REFERENCE
            )
            if subject is not None and reference and reference == subject.reference:
                self.errors.add(f"{path}.reference", "A person cannot be their own relative")
            member_relationship = self.relationship(
                raw.get("relationship"), f"{path}.relationship", None
            )
            member_subject = None
            if raw.get("subject") is not None:
                member_subject = self.subject(
                    raw["subject"],
                    f"{path}.subject",
                    reference=reference,
                    default_kind=Person.Kind.ADULT
                    if member_relationship in ADULT_RELATIONSHIPS
                    else Person.Kind.CHILD,
                )
            members.append(MemberInput(reference, member_relationship, member_subject))
        if not address and not members:
            self.errors.add("household", "Give an address or members (or leave household out)")
        return HouseholdInput(address, postcode, relationship, members)

    def relationship(self, value: Any, path: str, default: str | None) -> str:
        if value in (None, ""):
            if default is None:
                self.errors.add(path, "This field is required")
                return ""
            return default
        if not isinstance(value, str) or value.lower() not in HouseholdMember.Relationship.values:
            choices = ", ".join(HouseholdMember.Relationship.values)
            self.errors.add(path, f"Must be one of: {choices}")
            return ""
        return value.lower()

    def category_and_level(self, data: dict[str, Any]) -> tuple[str, int]:
        category = ""
        term_level: int | None = None
        raw = self.string(data, "category", "category", required=True, max_length=100)
        if raw:
            key = raw.strip().lower()
            category = _CATEGORY_LOOKUP.get(key) or _CATEGORY_LOOKUP.get(key.replace(" ", "_"), "")
            if not category:
                term = self.terms.get(raw)
                if term is not None and term.category:
                    category, term_level = term.category, term.level
                else:
                    self.errors.add(
                        "category",
                        "Not a category of the common taxonomy or one of your agency's terms",
                    )
        level = 0
        raw_level = data.get("level")
        if raw_level is None or raw_level == "":
            if term_level is not None:
                level = term_level
            else:
                self.errors.add("level", "This field is required")
        elif isinstance(raw_level, bool):
            self.errors.add("level", "Must be a level from 1 to 4 or one of your agency's terms")
        elif isinstance(raw_level, int) or (
            isinstance(raw_level, str) and raw_level.strip().isdigit()
        ):
            level = int(raw_level)
            if level not in Level.values:
                self.errors.add("level", "Must be a level from 1 to 4")
        elif isinstance(raw_level, str):
            term = self.terms.get(raw_level)
            if term is not None and term.level is not None:
                level = term.level
            else:
                self.errors.add(
                    "level", "Must be a level from 1 to 4 or one of your agency's terms"
                )
        else:
            self.errors.add("level", "Must be a level from 1 to 4 or one of your agency's terms")
        return category, level

    def occurred_at(self, data: dict[str, Any]) -> datetime | None:
        raw = self.string(data, "occurred_at", "occurred_at", required=True, max_length=40)
        if not raw:
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.errors.add("occurred_at", "Must be a date and time like 2026-03-01T14:30:00Z")
            return None
        if len(raw) <= 10:  # a date alone: when in the day is unknown, so say so
            self.errors.add("occurred_at", "Give a time as well as a date")
            return None
        if timezone.is_naive(value):
            # Documented: a time without an offset is UK local time.
            value = timezone.make_aware(value)
        if value > timezone.now():
            self.errors.add("occurred_at", "Must be in the past")
        return value

    def markers(self, value: Any) -> dict[str, bool]:
        result = dict.fromkeys(MARKERS, False)
        if value in (None, "", []):
            return result
        if isinstance(value, list):
            items = value
        elif isinstance(value, dict):
            items = []
            for name, flag in value.items():
                if not isinstance(flag, bool):
                    self.errors.add(f"markers.{name}", "Must be true or false")
                elif flag:
                    items.append(name)
                elif name not in MARKERS:
                    self.errors.add(f"markers.{name}", "Unknown marker")
        else:
            self.errors.add("markers", "Must be a list of marker names")
            return result
        for name in items:
            if not isinstance(name, str) or name.strip().lower() not in MARKERS:
                choices = ", ".join(MARKERS)
                self.errors.add("markers", f"Unknown marker; use: {choices}")
                continue
            result[name.strip().lower()] = True
        return result

    def choice(
        self, data: dict[str, Any], key: str, choices: list[str], *, default: str = ""
    ) -> str:
        value = self.string(data, key, key, required=not default, max_length=40).lower()
        if not value:
            return default
        value = value.replace(" ", "_")
        if value not in choices:
            self.errors.add(key, f"Must be one of: {', '.join(choices)}")
            return default
        return value


def read_record(
    data: Any, *, actor: User, terms: AgencyTerms
) -> tuple[ConcernInput | None, Status, _Errors, str]:
    """Check one record. Returns (input or None, status if it failed, errors, reference)."""
    errors = _Errors()
    if not isinstance(data, dict):
        errors.add("", "Each line must be a JSON object")
        return None, Status.INVALID, errors, ""
    reader = _Reader(errors, terms)
    reference = reader.string(
        data, "reference", "reference", required=True, max_length=MAX_REFERENCE
    )
    agency_code = reader.string(data, "agency", "agency", required=True, max_length=32)
    if errors:
        return None, Status.INVALID, errors, reference
    if actor.agency is None or agency_code != actor.agency.code:
        # Unknown codes and other agencies' codes read the same: an importer learns nothing
        # about which agencies exist.
        errors.add("agency", "You can only import concerns for your own agency")
        return None, Status.REFUSED, errors, reference
    reader.unknown_keys(data, TOP_FIELDS, "")
    subject = reader.subject(data.get("subject"), "subject", default_kind=Person.Kind.CHILD)
    household = reader.household(data.get("household"), subject)
    category, level = reader.category_and_level(data)
    occurred_at = reader.occurred_at(data)
    text = reader.string(data, "text", "text", required=True, max_length=services.MAX_TEXT)
    if text and not text.strip():
        errors.add("text", "This field is required")
    markers = reader.markers(data.get("markers"))
    consent_status = reader.choice(data, "consent_status", ConsentStatus.values)
    family_knows = reader.choice(
        data, "family_knows", FamilyKnows.values, default=FamilyKnows.UNKNOWN
    )
    if errors or subject is None or occurred_at is None:
        return None, Status.INVALID, errors, reference
    return (
        ConcernInput(
            agency=actor.agency,
            reference=reference,
            subject=subject,
            household=household,
            category=category,
            level=level,
            occurred_at=occurred_at,
            text=text,
            markers=markers,
            consent_status=consent_status,
            family_knows=family_knows,
        ),
        Status.CREATED,
        errors,
        reference,
    )


# --------------------------------------------------------------------------------------------
# Saving one record through the services, in its own savepoint
# --------------------------------------------------------------------------------------------


class _LineFailed(Exception):
    def __init__(self, status: Status, errors: _Errors) -> None:
        super().__init__(status)
        self.status = status
        self.errors = errors


def _original_values(concern: Concern) -> dict[str, Any]:
    """The concern as first recorded: today's values with every amendment undone."""
    values: dict[str, Any] = {
        "subject": concern.subject.external_reference,
        "category": concern.category,
        "level": concern.level,
        "occurred_at": concern.occurred_at,
        "text": concern.text,
        "consent_status": concern.consent_status,
        "family_knows": concern.family_knows,
        **{column: getattr(concern, column) for column in MARKERS.values()},
    }
    for amendment in concern.amendments.order_by("-amended_at", "-pk"):
        for name, change in (amendment.changes or {}).items():
            before = change.get("before")
            if name == "occurred_at" and isinstance(before, str):
                before = datetime.fromisoformat(before)
            values[name] = before
    return values


def _existing_outcome(existing: Concern, record: ConcernInput) -> tuple[Status, _Errors]:
    original = _original_values(existing)
    wanted = record.comparable()
    differing = sorted(name for name, value in wanted.items() if original.get(name) != value)
    errors = _Errors()
    if not differing:
        return Status.ALREADY_IMPORTED, errors
    shown = [
        name.removeprefix("marker_") + (" marker" if name.startswith("marker_") else "")
        for name in differing
    ]
    errors.add(
        "reference",
        "Your agency already imported a different concern with this reference "
        f"(it differs in: {', '.join(shown)}); send an amendment instead",
    )
    return Status.CONFLICT, errors


def _find_existing(record: ConcernInput) -> Concern | None:
    # An idempotency check on the importing agency's own reference. It returns nothing to the
    # importer but a status, so it does not go through the visibility rule.
    return (
        Concern.objects.filter(agency=record.agency, external_reference=record.reference)
        .select_related("subject")
        .first()
    )


def _subject_for(actor: User, agency: Agency, subject: SubjectInput, path: str) -> SubjectRecord:
    try:
        return services.subject_record_create(
            actor=actor,
            agency=agency,
            external_reference=subject.reference,
            kind=subject.kind,
            **subject.fields,
        )
    except ValidationError as exc:
        errors = _Errors()
        errors.extend_from(exc, path)
        raise _LineFailed(Status.INVALID, errors) from exc


def _household_of(person: Person) -> int | None:
    return (
        HouseholdMember.objects.filter(person=person, left_on__isnull=True)
        .values_list("household_id", flat=True)
        .first()
    )


def _save(actor: User, record: ConcernInput) -> Concern:
    agency = record.agency
    subject = _subject_for(actor, agency, record.subject, "subject")
    if record.household is not None:
        household = record.household
        if household.address:
            services.household_link(
                actor=actor,
                person=subject.person,
                relationship=household.relationship,
                address=household.address,
                postcode=household.postcode,
            )
        for i, member in enumerate(household.members):
            path = f"household.members[{i}]"
            related = SubjectRecord.objects.filter(
                agency=agency, external_reference=member.reference
            ).first()
            if related is None:
                if member.subject is None:
                    errors = _Errors()
                    errors.add(
                        f"{path}.reference",
                        "Your agency has no person with this reference: import them first, "
                        "or give their details under subject",
                    )
                    raise _LineFailed(Status.INVALID, errors)
                related = _subject_for(actor, agency, member.subject, f"{path}.subject")
            if _household_of(subject.person) is None and _household_of(related.person):
                # The subject joins the household the relative already lives in.
                services.household_link(
                    actor=actor,
                    person=subject.person,
                    relationship=household.relationship,
                    with_person=related.person,
                )
            else:
                services.household_link(
                    actor=actor,
                    person=related.person,
                    relationship=member.relationship,
                    with_person=subject.person,
                )
    try:
        return services.concern_record(
            actor=actor,
            subject=subject,
            category=record.category,
            level=record.level,
            text=record.text,
            occurred_at=record.occurred_at,
            consent_status=record.consent_status,
            family_knows=record.family_knows,
            external_reference=record.reference,
            **{MARKERS[name]: value for name, value in record.markers.items()},
        )
    except ValidationError as exc:
        errors = _Errors()
        errors.extend_from(exc)
        raise _LineFailed(Status.INVALID, errors) from exc


def import_record(
    *, actor: User, data: Any, line: int, terms: AgencyTerms | None = None
) -> LineResult:
    """Import one record (a parsed JSON object). All of it is saved, or none of it."""
    terms = terms if terms is not None else AgencyTerms(actor.agency)
    record, status, errors, reference = read_record(data, actor=actor, terms=terms)
    if record is None:
        return LineResult(line, status, reference, tuple(errors.items))
    for _attempt in range(2):
        existing = _find_existing(record)
        if existing is not None:
            status, errors = _existing_outcome(existing, record)
            return LineResult(line, status, reference, tuple(errors.items))
        try:
            with transaction.atomic():
                concern = _save(actor, record)
        except _LineFailed as exc:
            return LineResult(line, exc.status, reference, tuple(exc.errors.items))
        except PermissionDenied as exc:
            refused = _Errors()
            refused.add("", str(exc) or "Not allowed")
            return LineResult(line, Status.REFUSED, reference, tuple(refused.items))
        except IntegrityError:
            # Another import saved the same reference between our check and our insert: the
            # savepoint rolled back, and the second pass compares with what it saved.
            continue
        except DataError:
            failed = _Errors()
            failed.add("", "A value is too long or not in a form the hub can store")
            return LineResult(line, Status.INVALID, reference, tuple(failed.items))
        return LineResult(line, Status.CREATED, reference, (), concern.pk)
    failed = _Errors()
    failed.add("reference", "Could not be saved; try this line again")
    return LineResult(line, Status.INVALID, reference, tuple(failed.items))


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """Passes bytes through, keeping a SHA-256 of everything read (for the audit event)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        if not data:
            return 0
        if isinstance(data, str):
            data = data.encode("utf-8")
        n = len(data)
        buffer[:n] = data
        self.digest.update(data)
        return n


@dataclass
class _Parsed:
    line: int
    data: Any = None
    error: str = ""


def _jsonl_records(stream: io.BufferedReader) -> Iterator[_Parsed]:
    line = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        line += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while True:  # skip the rest of the over-long line
                more = stream.readline(MAX_LINE_BYTES)
                if not more or more.endswith(b"\n"):
                    break
            yield _Parsed(line, error=f"Line is longer than {MAX_LINE_BYTES:,} bytes")
            continue
        if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield _Parsed(line, error="Line is not UTF-8 text")
            continue
        if not text.strip():
            continue
        try:
            yield _Parsed(line, data=json.loads(text, parse_constant=_reject_constant))
        except (ValueError, RecursionError) as exc:
            yield _Parsed(line, error=f"Not valid JSON ({_json_reason(exc)})")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return str(exc)[:100]


def _csv_records(stream: io.BufferedReader, report: ImportReport) -> Iterator[_Parsed]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_rows(csv.reader(text), report)
    finally:
        text.detach()  # leave the byte stream open, so the caller can finish hashing it


def _csv_rows(reader: Any, report: ImportReport) -> Iterator[_Parsed]:
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as exc:
        report.file_errors.append(f"The header row could not be read ({exc.__class__.__name__})")
        return
    if header is None:
        report.file_errors.append("The file is empty: the first row must be the header")
        return
    columns = [h.strip().lower() for h in header]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    missing = [c for c in CSV_REQUIRED if c not in columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if unknown or missing or duplicated:
        for label, names in (
            ("Unknown column", unknown),
            ("Missing column", missing),
            ("Repeated column", duplicated),
        ):
            if names:
                report.file_errors.append(
                    f"{label}{'s' if len(names) > 1 else ''} in the header: {', '.join(names)}"
                )
        return
    previous_end = reader.line_num
    while True:
        start = previous_end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            report.file_errors.append(
                f"The file is not UTF-8 text from about line {start}; the rest was not read"
            )
            return
        except csv.Error as exc:
            yield _Parsed(start, error=f"Not a valid CSV row ({exc})")
            previous_end = reader.line_num
            continue
        previous_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            yield _Parsed(start, error=f"Row has {len(row)} cells; the header has {len(columns)}")
            continue
        yield _Parsed(start, data=_csv_row_to_record(dict(zip(columns, row, strict=True))))


def _csv_row_to_record(row: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column, value in row.items():
        value = value.strip() if column != "text" else value
        if value == "":
            continue
        path = CSV_COLUMNS[column]
        if column == "household_members":
            members = []
            for pair in value.split(";"):
                if not pair.strip():
                    continue
                reference, _, relationship = pair.partition("=")
                members.append(
                    {"reference": reference.strip(), "relationship": relationship.strip()}
                )
            value = members  # type: ignore[assignment]
        elif column == "markers":
            value = [m.strip() for m in value.replace(",", ";").split(";") if m.strip()]  # type: ignore[assignment]
        target = record
        *parents, leaf = path.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return record


def _csv_path(path: str) -> str:
    """A JSON field path as the CSV column a person filling the sheet knows it by."""
    if path in _CSV_PATH_TO_COLUMN:
        return _CSV_PATH_TO_COLUMN[path]
    if path.startswith("household.members"):
        return "household_members"
    return path


def _as_csv_paths(result: LineResult) -> LineResult:
    if not result.errors:
        return result
    errors = tuple(FieldError(_csv_path(e.path), e.message) for e in result.errors)
    return LineResult(result.line, result.status, result.reference, errors, result.concern_id)


def _require_importer(actor: User) -> None:
    if actor is None or not actor.is_active or actor.agency_id is None:
        raise PermissionDenied("Only a member of an agency can import concerns")
    if actor.role not in services.RECORDING_ROLES:
        raise PermissionDenied("Your role cannot record concerns")


def import_file(
    *, actor: User, stream: IO[bytes], fmt: str, source: str = "command"
) -> ImportReport:
    """Import every line of STREAM (bytes) as ACTOR. Never raises for bad content: see report."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    _require_importer(actor)
    report = ImportReport(format=fmt, source=source)
    hashing = _HashingReader(stream)
    buffered = io.BufferedReader(hashing)
    terms = AgencyTerms(actor.agency)
    parsed = _jsonl_records(buffered) if fmt == FORMAT_JSONL else _csv_records(buffered, report)
    for item in parsed:
        if item.error:
            result = LineResult(item.line, Status.INVALID, "", (FieldError("", item.error),))
        else:
            result = import_record(actor=actor, data=item.data, line=item.line, terms=terms)
        report.results.append(_as_csv_paths(result) if fmt == FORMAT_CSV else result)
    while buffered.read(65536):  # hash the whole file even if reading stopped early
        pass
    report.sha256 = hashing.digest.hexdigest()
    with transaction.atomic():
        event = audit_record(
            actor=actor,
            action=Action.IMPORT,
            object_type="import",
            object_id=report.sha256,
            details={
                "format": fmt,
                "source": source,
                "sha256": report.sha256,
                "file_errors": len(report.file_errors),
                **report.totals,
            },
        )
    report.audit_seq = event.seq
    return report
