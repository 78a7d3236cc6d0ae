"""Every write to people, households and concerns. Views, the import, the API and tasks call
these; none of them saves a model directly.

Each service is keyword-only, takes the acting user, runs in one transaction and writes its
audit event in that transaction.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, User
from audit.models import Action
from audit.services import audit_record
from concerns.models import (
    Concern,
    ConcernAmendment,
    Household,
    HouseholdMember,
    Person,
    RecomputeOutbox,
    SubjectRecord,
)
from concerns.resolution import SubjectDetails, area_for, resolve_person
from concerns.taxonomy import Category, ConsentStatus, FamilyKnows, Level
from concerns.validators import (
    normalise_address,
    normalise_name,
    normalise_nhs_number,
    normalise_postcode,
    normalise_upn,
)

logger = logging.getLogger(__name__)

MAX_TEXT = 10_000
RECORDING_ROLES = {
    User.Role.PRACTITIONER,
    User.Role.DESIGNATED_LEAD,
    User.Role.MASH_TRIAGER,
    User.Role.MASH_MANAGER,
}
AMENDABLE_FIELDS = (
    "category",
    "level",
    "text",
    "occurred_at",
    "family_knows",
    "consent_status",
    "marker_health",
    "marker_do_not_disclose_family",
    "marker_police_investigation",
    "marker_sealed",
)


def _require_member(actor: User, agency: Agency) -> None:
    if actor.agency_id != agency.pk:
        raise PermissionDenied("You can only record information for your own agency")


# _NO_SAVEPOINT: the two services an agency system's submission runs (a record, then its
# concern) validate everything they can before their atomic block, so what can fail inside is a
# database error, which aborts the whole transaction anyway. Their blocks therefore take no
# savepoint of their own when nested: two SAVEPOINT/RELEASE round trips per submission saved.
# A caller that catches a database error from them and carries on must (and every caller does)
# wrap the call in its own atomic() - the API's `appended_at_commit`, the importer's per-line
# block, the browser form's block. Called outside any transaction, they open one as before.


def subject_record_create(
    *,
    actor: User,
    given_name: str,
    family_name: str,
    date_of_birth: date | None = None,
    sex: str = SubjectRecord.Sex.UNKNOWN,
    nhs_number: str = "",
    upn: str = "",
    address: str = "",
    postcode: str = "",
    school: str = "",
    other_names: str = "",
    external_reference: str = "",
    kind: str = Person.Kind.CHILD,
    agency: Agency | None = None,
) -> SubjectRecord:
    """Record a person as the actor's agency knows them, and resolve them to a hub person."""
    agency = agency or actor.agency
    _require_member(actor, agency)
    errors: dict[str, list[str]] = {}
    given_name, family_name = (given_name or "").strip(), (family_name or "").strip()
    if not given_name:
        errors.setdefault("given_name", []).append("Enter a first name")
    if not family_name:
        errors.setdefault("family_name", []).append("Enter a last name")
    if date_of_birth and date_of_birth > timezone.localdate():
        errors.setdefault("date_of_birth", []).append("Date of birth must be in the past")
    normalised: dict[str, str] = {}
    for field, fn, raw in (
        ("nhs_number", normalise_nhs_number, nhs_number),
        ("upn", normalise_upn, upn),
        ("postcode", normalise_postcode, postcode),
    ):
        try:
            normalised[field] = fn(raw)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    if sex not in SubjectRecord.Sex.values:
        errors.setdefault("sex", []).append("Choose a sex from the list")
    if errors:
        raise ValidationError(errors)

    external_reference = (external_reference or "").strip()
    if external_reference:
        existing = SubjectRecord.objects.filter(
            agency=agency, external_reference=external_reference
        ).first()
        if existing is not None:
            return existing

    details = SubjectDetails(
        given_name_norm=normalise_name(given_name),
        family_name_norm=normalise_name(family_name),
        date_of_birth=date_of_birth,
        nhs_number=normalised["nhs_number"],
        postcode=normalised["postcode"],
        upn=normalised["upn"],
        sex=sex,
        address_norm=normalise_address(address),
        school=school,
    )
    with transaction.atomic(savepoint=False):  # see _NO_SAVEPOINT
        person = resolve_person(details, agency=agency, kind=kind)
        record = SubjectRecord.objects.create(
            agency=agency,
            person=person,
            external_reference=external_reference,
            given_name=given_name,
            family_name=family_name,
            other_names=other_names.strip(),
            date_of_birth=date_of_birth,
            sex=sex,
            nhs_number=details.nhs_number,
            upn=details.upn,
            address=address.strip(),
            postcode=details.postcode,
            school=school.strip(),
            given_name_norm=details.given_name_norm,
            family_name_norm=details.family_name_norm,
            address_norm=details.address_norm,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.SUBJECT_CREATE,
            object_type="subject_record",
            object_id=record.pk,
            child_id=person.pk,
            details={"person_id": person.pk, "agency": agency.code},
        )
    return record


def household_link(
    *,
    actor: User,
    person: Person,
    relationship: str,
    household: Household | None = None,
    with_person: Person | None = None,
    address: str = "",
    postcode: str = "",
) -> HouseholdMember:
    """Put PERSON in a household: the given one, WITH_PERSON's current one, or one at ADDRESS."""
    if relationship not in HouseholdMember.Relationship.values:
        raise ValidationError({"relationship": ["Choose a relationship from the list"]})
    with transaction.atomic():
        if household is None and with_person is not None:
            membership = (
                HouseholdMember.objects.filter(person=with_person, left_on__isnull=True)
                .select_related("household")
                .first()
            )
            household = membership.household if membership else None
            if household is None:
                household = Household.objects.create(area=with_person.area)
                HouseholdMember.objects.create(
                    household=household,
                    person=with_person,
                    relationship=HouseholdMember.Relationship.CHILD
                    if with_person.kind == Person.Kind.CHILD
                    else HouseholdMember.Relationship.OTHER_ADULT,
                    recorded_by_agency=actor.agency,
                )
        if household is None:
            key = normalise_address(address) + "|" + normalise_postcode(postcode)
            household = Household.objects.filter(address_key=key).first() if address else None
            if household is None:
                household = Household.objects.create(
                    address_key=key if address else "",
                    postcode=normalise_postcode(postcode),
                    area=area_for(normalise_postcode(postcode), actor.agency)
                    if actor.agency
                    else None,
                )
        member, created = HouseholdMember.objects.get_or_create(
            household=household,
            person=person,
            left_on=None,
            defaults={"relationship": relationship, "recorded_by_agency": actor.agency},
        )
        if created:
            audit_record(
                actor=actor,
                action=Action.SUBJECT_CREATE,
                object_type="household_member",
                object_id=member.pk,
                child_id=person.pk,
                details={"household_id": household.pk, "relationship": relationship},
            )
            # A new member changes the household's combined risk for every child in it.
            people_changed(
                actor=actor,
                person_ids=set(
                    HouseholdMember.objects.filter(
                        household=household, left_on__isnull=True
                    ).values_list("person_id", flat=True)
                ),
            )
    return member


def _validate_concern_fields(fields: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "category" in fields and fields["category"] not in Category.values:
        errors["category"] = ["Choose a category from the list"]
    if "level" in fields and fields["level"] not in Level.values:
        errors["level"] = ["Choose a level from 1 to 4"]
    if "text" in fields:
        text = fields["text"] or ""
        if not text.strip():
            errors["text"] = ["Describe what was seen or heard"]
        elif len(text) > MAX_TEXT:
            errors["text"] = [f"Description must be {MAX_TEXT:,} characters or fewer"]
    if "occurred_at" in fields:
        occurred_at = fields["occurred_at"]
        if not isinstance(occurred_at, datetime) or timezone.is_naive(occurred_at):
            errors["occurred_at"] = ["Enter when it happened"]
        elif occurred_at > timezone.now():
            errors["occurred_at"] = ["When it happened must be today or in the past"]
    if "family_knows" in fields and fields["family_knows"] not in FamilyKnows.values:
        errors["family_knows"] = ["Say whether the family knows"]
    if "consent_status" in fields and fields["consent_status"] not in ConsentStatus.values:
        errors["consent_status"] = ["Choose the consent status at the time"]
    return errors


def concern_record(
    *,
    actor: User,
    subject: SubjectRecord,
    category: str,
    level: int,
    text: str,
    occurred_at: datetime,
    consent_status: str,
    family_knows: str = FamilyKnows.UNKNOWN,
    marker_health: bool = False,
    marker_do_not_disclose_family: bool = False,
    marker_police_investigation: bool = False,
    marker_sealed: bool = False,
    external_reference: str = "",
    submission_token: Any = None,
) -> Concern:
    """Record a concern about SUBJECT for the actor's agency.

    Re-sending the same `submission_token` (a refresh, a double click) returns the concern it
    created instead of a second one.
    """
    _require_member(actor, subject.agency)
    if actor.role not in RECORDING_ROLES:
        raise PermissionDenied("Your role cannot record concerns")
    fields = {
        "category": category,
        "level": level,
        "text": text,
        "occurred_at": occurred_at,
        "family_knows": family_knows,
        "consent_status": consent_status,
    }
    errors = _validate_concern_fields(fields)
    if errors:
        raise ValidationError(errors)
    if submission_token is not None:
        existing = Concern.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            if existing.author_id != actor.pk:
                raise PermissionDenied("That form was submitted by someone else")
            return existing
    now = timezone.now()
    with transaction.atomic(savepoint=False):  # see _NO_SAVEPOINT
        concern = Concern.objects.create(
            agency=subject.agency,
            author=actor,
            subject=subject,
            marker_health=marker_health,
            marker_do_not_disclose_family=marker_do_not_disclose_family,
            marker_police_investigation=marker_police_investigation,
            marker_sealed=marker_sealed,
            external_reference=(external_reference or "").strip(),
            submission_token=submission_token,
            recorded_at=now,
            updated_at=now,
            **fields,
        )
        audit_record(
            actor=actor,
            action=Action.CONCERN_CREATE,
            object_type="concern",
            object_id=concern.pk,
            child_id=subject.person_id,
            details={"agency": subject.agency.code, "category": category, "level": level},
        )
        _after_concern_change(concern)
    return concern


def concern_amend(*, actor: User, concern: Concern, reason: str, **changes: Any) -> Concern:
    """Correct a concern. The previous values stay in a `ConcernAmendment`, with who and why."""
    _require_can_change(actor, concern)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why you are amending this concern"]})
    unknown = set(changes) - set(AMENDABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {"__all__": [f"These cannot be amended: {', '.join(sorted(unknown))}"]}
        )
    errors = _validate_concern_fields(changes)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        concern = Concern.objects.select_for_update().get(pk=concern.pk)
        if concern.status != Concern.Status.ACTIVE:
            raise ValidationError({"__all__": ["A withdrawn concern cannot be amended"]})
        diff = {
            field: {"before": _jsonable(getattr(concern, field)), "after": _jsonable(value)}
            for field, value in changes.items()
            if getattr(concern, field) != value
        }
        if not diff:
            raise ValidationError({"__all__": ["Nothing was changed"]})
        now = timezone.now()
        for field in diff:
            setattr(concern, field, changes[field])
        concern.updated_at = now
        concern.save(update_fields=[*diff, "updated_at"])
        amendment = ConcernAmendment.objects.create(
            concern=concern, amended_by=actor, amended_at=now, reason=reason.strip(), changes=diff
        )
        audit_record(
            actor=actor,
            action=Action.CONCERN_AMEND,
            object_type="concern",
            object_id=concern.pk,
            child_id=concern.subject.person_id,
            details={"amendment_id": amendment.pk, "fields": sorted(diff)},
        )
        _after_concern_change(concern)
    return concern


def concern_withdraw(*, actor: User, concern: Concern, reason: str) -> Concern:
    """Mark a concern withdrawn, with a reason. It is kept, and stops counting towards risk."""
    _require_can_change(actor, concern)
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why you are withdrawing this concern"]})
    with transaction.atomic():
        concern = Concern.objects.select_for_update().get(pk=concern.pk)
        if concern.status == Concern.Status.WITHDRAWN:
            return concern
        now = timezone.now()
        concern.status = Concern.Status.WITHDRAWN
        concern.withdrawn_at = now
        concern.withdrawn_by = actor
        concern.withdrawn_reason = reason.strip()
        concern.updated_at = now
        concern.save(
            update_fields=[
                "status",
                "withdrawn_at",
                "withdrawn_by",
                "withdrawn_reason",
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            action=Action.CONCERN_WITHDRAW,
            object_type="concern",
            object_id=concern.pk,
            child_id=concern.subject.person_id,
        )
        _after_concern_change(concern)
    return concern


def _require_can_change(actor: User, concern: Concern) -> None:
    if actor.agency_id != concern.agency_id or not (
        actor.pk == concern.author_id or actor.role == User.Role.DESIGNATED_LEAD
    ):
        raise PermissionDenied("Only the author or their agency's designated lead can change this")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _after_concern_change(concern: Concern) -> None:
    people_changed(actor=None, person_ids={concern.subject.person_id})


def people_changed(*, actor: User | None, person_ids: set[int] | frozenset[int]) -> None:
    """Tell the rest of the hub that what is known about these people changed.

    Called inside the transaction of a change (a concern recorded, amended or withdrawn; a merge
    or unmerge; a household change). Writes one outbox row per person in that transaction, and
    after commit asks the combined-risk worker (by task name: concerns does not import hub) to
    recompute each person's child and household. If the broker is down the change still
    commits and the user sees no error; the beat task `risk.drain_outbox` picks the rows up.
    """
    ids = sorted({int(pid) for pid in person_ids if pid is not None})
    if not ids:
        return
    now = timezone.now()
    RecomputeOutbox.objects.bulk_create(
        [RecomputeOutbox(person_id=pid, created_at=now) for pid in ids]
    )
    transaction.on_commit(lambda: _enqueue_recompute(ids))


RECOMPUTE_TASK = "risk.recompute_person"


def _enqueue_recompute(person_ids: list[int]) -> None:
    from celery import current_app

    for done, pid in enumerate(person_ids):
        try:
            current_app.send_task(RECOMPUTE_TASK, args=[pid], retry=False)
        except Exception:  # the broker is down: the outbox rows stay for the drain
            logger.warning(
                "recompute of persons %s not enqueued; left in the outbox", person_ids[done:]
            )
            return
