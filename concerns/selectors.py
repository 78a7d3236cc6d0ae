"""Reads of people and concerns for the practitioner pages. Every read of concerns goes through
`Concern.objects.visible_to(actor)` and is rendered through `consent.policy.present`; every read
that shows concerns or searches people writes its audit event *before* the data is returned, so
nothing is seen without a record of it. Audit details hold ids and counts, never search terms,
names or concern text.

Out of scope answers `Http404`, exactly like missing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from agencies.models import User
from audit.models import Action
from audit.services import audit_record
from concerns.models import Concern, ConcernAmendment, Person, SubjectRecord
from concerns.resolution import survivor_of
from concerns.validators import normalise_name
from consent.policy import ConcernView, present

SEARCH_LIMIT = 50


# ---------------------------------------------------------------------------------------------
# People the actor's agency recorded


def subject_search(
    *,
    actor: User,
    name: str = "",
    date_of_birth: date | None = None,
    reference: str = "",
    limit: int = SEARCH_LIMIT,
) -> list[SubjectRecord]:
    """The actor's own agency's records of people matching every criterion given.

    NAME matches each word against first, last and other names (prefix for first and last);
    REFERENCE matches the agency's own reference, an NHS number or a UPN exactly.
    """
    if actor.agency_id is None:
        return []
    qs = SubjectRecord.objects.filter(agency_id=actor.agency_id)
    criteria = []
    words = normalise_name(name).split()
    for word in words:
        qs = qs.filter(
            Q(given_name_norm__startswith=word)
            | Q(family_name_norm__startswith=word)
            | Q(other_names__icontains=word)
        )
    if words:
        criteria.append("name")
    if date_of_birth is not None:
        qs = qs.filter(date_of_birth=date_of_birth)
        criteria.append("date_of_birth")
    reference = (reference or "").strip()
    if reference:
        compact = "".join(reference.split()).upper()
        qs = qs.filter(Q(external_reference=reference) | Q(nhs_number=compact) | Q(upn=compact))
        criteria.append("reference")
    if not criteria:
        return []
    results = list(qs.order_by("family_name_norm", "given_name_norm", "pk")[:limit])
    audit_record(
        actor=actor,
        action=Action.SEARCH,
        object_type="subject_record",
        details={
            "scope": "own_agency_people",
            "criteria": criteria,
            "result_count": len(results),
            "subject_record_ids": [r.pk for r in results],
        },
    )
    return results


def own_reference_taken(*, actor: User, reference: str) -> bool:
    """Whether the actor's agency already holds a person with this reference of its own."""
    reference = (reference or "").strip()
    return bool(reference) and (
        SubjectRecord.objects.filter(
            agency_id=actor.agency_id, external_reference=reference
        ).exists()
    )


def own_subject_record(*, actor: User, pk: int) -> SubjectRecord:
    """A record of the actor's agency (to log a concern against it); 404 for any other."""
    try:
        return SubjectRecord.objects.select_related("person").get(pk=pk, agency_id=actor.agency_id)
    except SubjectRecord.DoesNotExist:
        raise Http404("No such person") from None


# ---------------------------------------------------------------------------------------------
# Concerns


@dataclass(frozen=True)
class ConcernRow:
    """One concern as a list shows it: the consent-reduced view plus what the list needs."""

    view: ConcernView
    subject_name: str | None
    subject_person_id: int
    recorded_at: datetime | None
    author_name: str | None
    amendment_count: int

    @property
    def withdrawn(self) -> bool:
        return self.view.status == Concern.Status.WITHDRAWN


def _subject_name(actor: User, concern: Concern, view: ConcernView) -> str | None:
    # A person's name as another agency recorded it is shown only with full visibility.
    if concern.subject.agency_id == actor.agency_id or view.is_full:
        return concern.subject.display_name
    return None


def _author_name(concern: Concern, view: ConcernView) -> str | None:
    if not view.is_full or concern.author is None:
        return None
    return concern.author.get_full_name() or concern.author.username


def _row(actor: User, concern: Concern) -> ConcernRow:
    view = present(concern)
    return ConcernRow(
        view=view,
        subject_name=_subject_name(actor, concern, view),
        subject_person_id=concern.subject.person_id,
        recorded_at=concern.recorded_at if view.is_summary else None,
        author_name=_author_name(concern, view),
        amendment_count=getattr(concern, "amendment_count", 0) if view.is_summary else 0,
    )


def _visible(actor: User):
    return (
        Concern.objects.visible_to(actor)
        .select_related("agency", "subject", "author")
        .annotate(amendment_count=Count("amendments"))
    )


@dataclass(frozen=True)
class Chronology:
    person: Person
    records: list[SubjectRecord]  # the actor's own agency's records of the person
    rows: list[ConcernRow] = field(default_factory=list)
    # The id asked for, when it was a person since merged into this one (a bookmark, a link
    # in an old notification): the page shows the person the records now belong to.
    merged_from: int | None = None

    @property
    def name(self) -> str:
        if self.records:
            return self.records[0].display_name
        named = next((row.subject_name for row in self.rows if row.subject_name), None)
        return named or f"Person {self.person.pk}"


def chronology_for(*, actor: User, person_id: int) -> Chronology:
    """The dated list of concerns about a person that the actor may see, newest first.

    Raises Http404 when the actor's agency has no record of the person and no visible concern
    about them, exactly as for a person who does not exist.
    """
    person = Person.objects.filter(pk=person_id).first()
    if person is None or actor.agency_id is None:
        raise Http404("No such person")
    # A merged person's records moved to the survivor; follow the merge, then apply the same
    # rule to the survivor (so a reader with no view of it still gets 404).
    person = survivor_of(person)
    records = list(
        SubjectRecord.objects.filter(person_id=person.pk, agency_id=actor.agency_id).order_by("pk")
    )
    concerns = list(
        _visible(actor).filter(subject__person_id=person.pk).order_by("-occurred_at", "-pk")
    )
    if not records and not concerns:
        raise Http404("No such person")
    rows = [_row(actor, c) for c in concerns]
    audit_record(
        actor=actor,
        action=Action.VIEW_CHRONOLOGY,
        object_type="person",
        object_id=person.pk,
        child_id=person.pk,
        details={"concern_ids": [c.pk for c in concerns], "count": len(concerns)},
    )
    merged_from = person_id if person.pk != person_id else None
    return Chronology(person=person, records=records, rows=rows, merged_from=merged_from)


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str
    is_text: bool


@dataclass(frozen=True)
class AmendmentEntry:
    at: datetime
    by_name: str
    reason: str
    changes: list[FieldChange]


FIELD_LABELS = {
    "category": "Category",
    "level": "Level of need",
    "text": "What was seen or heard",
    "occurred_at": "When it happened",
    "family_knows": "Family knows",
    "consent_status": "Consent at the time",
    "marker_health": "Health information",
    "marker_do_not_disclose_family": "Do not disclose to the family",
    "marker_police_investigation": "Active police investigation",
    "marker_sealed": "Sealed",
}


def _display_value(field_name: str, value) -> str:
    if value is None or value == "":
        return "Not given"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field_name == "occurred_at":
        try:
            moment = timezone.localtime(datetime.fromisoformat(str(value)))
        except ValueError:
            return str(value)
        return date_format(moment, "j F Y, H:i")
    model_field = Concern._meta.get_field(field_name)
    choices = dict(model_field.flatchoices)  # type: ignore[union-attr]
    return str(choices.get(value, value))


def _amendment_entry(amendment: ConcernAmendment) -> AmendmentEntry:
    by = amendment.amended_by
    changes = [
        FieldChange(
            label=FIELD_LABELS.get(name, name),
            before=_display_value(name, change.get("before")),
            after=_display_value(name, change.get("after")),
            is_text=name == "text",
        )
        for name, change in sorted(
            amendment.changes.items(),
            key=lambda item: list(FIELD_LABELS).index(item[0]) if item[0] in FIELD_LABELS else 99,
        )
    ]
    return AmendmentEntry(
        at=amendment.amended_at,
        by_name=by.get_full_name() or by.username,
        reason=amendment.reason,
        changes=changes,
    )


@dataclass(frozen=True)
class ConcernDetail:
    row: ConcernRow
    concern: Concern  # for the amend/withdraw services only; templates use `row.view`
    amendments: list[AmendmentEntry]
    can_change: bool
    withdrawn_by_name: str | None
    withdrawn_reason: str | None
    withdrawn_at: datetime | None = None

    @property
    def view(self) -> ConcernView:
        return self.row.view


def can_change(actor: User, concern: Concern) -> bool:
    """Whether to offer amend/withdraw. `concerns.services` enforces the same rule."""
    return (
        concern.status == Concern.Status.ACTIVE
        and actor.agency_id == concern.agency_id
        and (actor.pk == concern.author_id or actor.role == User.Role.DESIGNATED_LEAD)
    )


def visible_concern(*, actor: User, pk: int) -> Concern:
    """The concern (annotated with its visibility) or Http404. Unaudited: for write paths,
    whose services audit the change; pages that show a concern use `concern_detail_for`."""
    concern = _visible(actor).filter(pk=pk).first()
    if concern is None:
        raise Http404("No such concern")
    return concern


def concern_for_submission(*, actor: User, token: uuid.UUID | None) -> Concern | None:
    """The concern the actor's form (its submission token) already created, if any: a refresh
    or second click is sent to it instead of creating another."""
    if token is None:
        return None
    return (
        Concern.objects.visible_to(actor)
        .filter(submission_token=token, author_id=actor.pk)
        .only("pk")
        .first()
    )


def concern_detail_for(*, actor: User, pk: int) -> ConcernDetail:
    """One concern with its amendment history (original values kept), audited as a view."""
    concern = visible_concern(actor=actor, pk=pk)
    row = _row(actor, concern)
    amendments: list[AmendmentEntry] = []
    withdrawn_by_name = withdrawn_reason = withdrawn_at = None
    if row.view.is_full:
        amendments = [
            _amendment_entry(a)
            for a in concern.amendments.select_related("amended_by").order_by("amended_at", "pk")
        ]
        if concern.status == Concern.Status.WITHDRAWN:
            withdrawn_reason = concern.withdrawn_reason
            withdrawn_at = concern.withdrawn_at
            if concern.withdrawn_by is not None:
                withdrawn_by_name = (
                    concern.withdrawn_by.get_full_name() or concern.withdrawn_by.username
                )
    audit_record(
        actor=actor,
        action=Action.VIEW_CONCERN,
        object_type="concern",
        object_id=concern.pk,
        child_id=concern.subject.person_id,
        details={"visibility": int(row.view.visibility), "amendments": len(amendments)},
    )
    return ConcernDetail(
        row=row,
        concern=concern,
        amendments=amendments,
        can_change=can_change(actor, concern),
        withdrawn_by_name=withdrawn_by_name,
        withdrawn_reason=withdrawn_reason,
        withdrawn_at=withdrawn_at,
    )


@dataclass(frozen=True)
class RecentPage:
    rows: list[ConcernRow]
    page: int
    has_next: bool


RECENT_PAGE_SIZE = 25


def recent_concerns_for(*, actor: User, page: int = 1) -> RecentPage:
    """The actor's own agency's concerns, most recently recorded first, a page at a time."""
    page = max(1, page)
    start = (page - 1) * RECENT_PAGE_SIZE
    concerns = list(
        _visible(actor)
        .filter(agency_id=actor.agency_id)
        .order_by("-recorded_at", "-pk")[start : start + RECENT_PAGE_SIZE + 1]
    )
    has_next = len(concerns) > RECENT_PAGE_SIZE
    concerns = concerns[:RECENT_PAGE_SIZE]
    audit_record(
        actor=actor,
        action=Action.SEARCH,
        object_type="concern",
        details={
            "scope": "own_agency_recent",
            "page": page,
            "result_count": len(concerns),
            "concern_ids": [c.pk for c in concerns],
        },
    )
    return RecentPage(rows=[_row(actor, c) for c in concerns], page=page, has_next=has_next)
