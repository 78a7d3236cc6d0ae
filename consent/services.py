"""Every write the consent app makes. Views, commands, tasks and other apps call these.

Each is keyword-only, takes the acting user, runs in one transaction and writes its audit event
in that transaction. Bad input raises `ValidationError` with a message a practitioner can act
on; acting outside one's authority raises `PermissionDenied`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, Area, User
from audit.models import Action
from audit.services import audit_record
from concerns.models import Concern, Household, Person
from consent.models import (
    AreaSharingAgreement,
    Article6,
    Article9,
    BreakGlassGrant,
    ConsentPurpose,
    ConsentRecord,
    MashInvolvement,
    Notification,
    Schedule1Reason,
    SharingDecision,
)
from consent.policy import Visibility

log = logging.getLogger(__name__)

DECIDING_ROLES = {User.Role.DESIGNATED_LEAD, User.Role.MASH_MANAGER}
CRIMINAL_OFFENCE_AGENCY_KINDS = {Agency.Kind.POLICE, Agency.Kind.PROBATION}


# --------------------------------------------------------------------------- sharing decisions


def can_decide_for(actor: Any, agency_id: int | None) -> bool:
    """The owning agency's designated lead, or a MASH manager for the MASH's own information."""
    return (
        isinstance(actor, User)
        and actor.is_active
        and actor.agency_id is not None
        and actor.agency_id == agency_id
        and actor.role in DECIDING_ROLES
    )


def _scope_concerns(
    *,
    actor: User,
    owner: Agency,
    concern: Concern | None,
    person: Person | None,
    up_to: datetime | None,
) -> list[Concern]:
    """The owner's concerns a decision covers, read through the rule (the decider sees their
    own agency's concerns in full)."""
    if concern is not None:
        return [concern]
    assert person is not None and up_to is not None
    return list(
        Concern.objects.visible_to(actor)
        .filter(agency=owner, subject__person=person, recorded_at__lte=up_to)
        .select_related("agency")
        .order_by("occurred_at", "pk")
    )


def _is_health(concern: Concern) -> bool:
    return concern.marker_health or concern.agency.kind == Agency.Kind.HEALTH


def _is_criminal_offence(concern: Concern) -> bool:
    return (
        concern.marker_police_investigation or concern.agency.kind in CRIMINAL_OFFENCE_AGENCY_KINDS
    )


def _as_up_to(value: date | datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValidationError({"up_to": ["Give the date and time with a time zone"]})
        return min(value, now)
    end_of_day = datetime.combine(value, time.max, tzinfo=timezone.get_current_timezone())
    return min(end_of_day, now)


def _knew(concerns: list[Concern]) -> dict[str, Any]:
    """What the decider saw, frozen for the printable record: ids, categories, levels, markers
    (the text stays in the concern, where the owner can always read it)."""
    return {
        "concerns": [
            {
                "id": c.pk,
                "category": c.category,
                "level": c.level,
                "occurred_at": c.occurred_at.isoformat(),
                "status": c.status,
                "markers": {
                    "health": c.marker_health,
                    "do_not_disclose_family": c.marker_do_not_disclose_family,
                    "police_investigation": c.marker_police_investigation,
                    "sealed": c.marker_sealed,
                },
            }
            for c in concerns
        ]
    }


@transaction.atomic
def sharing_decision_record(
    *,
    actor: User,
    share: bool,
    level: Visibility,
    purpose: str,
    necessity: str,
    article6: str,
    concern: Concern | None = None,
    person: Person | None = None,
    up_to: date | datetime | None = None,
    recipient_agency: Agency | None = None,
    recipient_area: Area | None = None,
    recipient_user: User | None = None,
    review_on: date | None = None,
    article9: str = "",
    schedule1_reason: str = "",
    article10: bool = False,
    dpa_part3: bool = False,
    family_told: bool | None = None,
    family_not_told_reason: str = "",
    information_request_id: int | None = None,
    lift_marker_cap: bool = False,
    notes: dict[str, str] | None = None,
) -> SharingDecision:
    """Record a decision to share — or not to share — the actor's agency's information.

    What: CONCERN, or every concern of the actor's agency about PERSON recorded up to UP_TO
    (default: now). With whom: exactly one of RECIPIENT_AGENCY, RECIPIENT_AREA (that area's
    MASH) or RECIPIENT_USER (a named worker). Sharing needs a UK GDPR Article 6 basis; health
    information shared beyond SUMMARY needs an Article 9 condition (9(2)(g) with DPA 2018
    Schedule 1 paragraph 18 and which of its three reasons, or 9(2)(h) with paragraph 2);
    criminal-offence data needs Article 10 or, for police law-enforcement processing, DPA 2018
    Part 3 with Schedule 8 paragraph 4. LIFT_MARKER_CAP lets the recipient past the
    police-investigation / do-not-disclose-to-family cap; nothing opens a sealed concern.
    NOTES (the decision aid's answers: safety, advice) are kept with what the decider knew.
    """
    now = timezone.now()
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    # What, and whose.
    if (concern is None) == (person is None):
        raise ValidationError({"__all__": ["Choose one concern, or a child's whole record"]})
    if concern is not None:
        if up_to is not None:
            err("up_to", "A date limit applies only to a decision about a whole record")
        owner_id = concern.agency_id
        person = concern.subject.person
    else:
        owner_id = actor.agency_id
    if not can_decide_for(actor, owner_id):
        raise PermissionDenied(
            "Only the owning agency's designated lead (or a MASH manager, for the MASH's own "
            "information) can decide about sharing it"
        )
    owner = actor.agency
    up_to_at = None if concern is not None else _as_up_to(up_to, now)
    covered = _scope_concerns(
        actor=actor, owner=owner, concern=concern, person=person, up_to=up_to_at
    )
    if concern is None and not covered:
        err("up_to", "Your agency holds no concerns about this child recorded by that date")

    # With whom.
    recipients = [r for r in (recipient_agency, recipient_area, recipient_user) if r is not None]
    if len(recipients) != 1:
        err("recipient", "Choose who the information is for: one agency, one MASH or one person")
    elif recipient_agency is not None and recipient_agency.pk == owner.pk:
        err("recipient", "Your own agency already sees this under its own setting")
    elif recipient_user is not None and not recipient_user.is_active:
        err("recipient", "That person's account is not active")

    # Why, and on what basis.
    purpose, necessity = (purpose or "").strip(), (necessity or "").strip()
    family_not_told_reason = (family_not_told_reason or "").strip()
    if not purpose:
        err("purpose", "Say what the information is needed for")
    if not necessity:
        err(
            "necessity",
            "Explain in your own words why sharing is necessary and proportionate"
            if share
            else "Record the reasons for not sharing",
        )
    try:
        level = Visibility(int(level))
    except (TypeError, ValueError):
        err("level", "Choose how much to share")
        level = Visibility.NONE
    if share and level == Visibility.NONE:
        err("level", "Choose how much to share: that it exists, a summary, or the full detail")
    if article6 and article6 not in Article6.values:
        err("article6", "Choose a lawful basis from the list")
    if share and not article6:
        err("article6", "Choose the lawful basis under UK GDPR Article 6 before sharing")
    if article9 and article9 not in Article9.values:
        err("article9", "Choose an Article 9 condition from the list")
    if schedule1_reason and schedule1_reason not in Schedule1Reason.values:
        err("schedule1_reason", "Choose a reason from the list")
    if article9 == Article9.SAFEGUARDING and not schedule1_reason:
        err(
            "schedule1_reason",
            "Schedule 1 paragraph 18 applies only where consent cannot be given, cannot "
            "reasonably be obtained, or asking would prejudice the child's protection: say which",
        )
    if schedule1_reason and article9 != Article9.SAFEGUARDING:
        err("schedule1_reason", "A paragraph 18 reason goes with Article 9(2)(g) only")
    if dpa_part3 and owner.kind != Agency.Kind.POLICE:
        err("dpa_part3", "DPA 2018 Part 3 is for police law-enforcement processing only")
    if review_on is not None and review_on < timezone.localdate():
        err("review_on", "The review date must be today or later")
    if share:
        recipient_is_health = (
            recipient_agency is not None and recipient_agency.kind == Agency.Kind.HEALTH
        ) or (
            recipient_user is not None
            and recipient_user.agency is not None
            and recipient_user.agency.kind == Agency.Kind.HEALTH
        )
        if (
            level > Visibility.SUMMARY
            and not article9
            and not recipient_is_health
            and any(_is_health(c) for c in covered)
        ):
            err(
                "article9",
                "This includes health information: choose an Article 9 condition before "
                "sharing more than a summary",
            )
        if any(_is_criminal_offence(c) for c in covered) and not (article10 or dpa_part3):
            err(
                "article10",
                "This includes criminal-offence data: confirm the Article 10 condition, or (for "
                "police law-enforcement processing) DPA 2018 Part 3 with Schedule 8 paragraph 4",
            )
        if family_told is None and not family_not_told_reason:
            err("family_told", "Say whether the family was told, or why not")
        if family_told is False and not family_not_told_reason:
            err("family_not_told_reason", "Say why the family was not told")
        if article6 == Article6.CONSENT and person is not None:
            recipient_agency_id = (
                recipient_agency.pk
                if recipient_agency is not None
                else (recipient_user.agency_id if recipient_user is not None else None)
            )
            consent = ConsentRecord.objects.filter(
                Q(person=person)
                | Q(household__members__person=person, household__members__left_on__isnull=True),
                status=ConsentRecord.Status.GIVEN,
                withdrawn_at__isnull=True,
                agencies=owner,
            )
            if recipient_agency_id is not None:
                consent = consent.filter(agencies=recipient_agency_id)
            if not consent.exists():
                err(
                    "article6",
                    "There is no consent on record that covers your agency and the recipient: "
                    "record the consent first, or choose another basis",
                )
    if lift_marker_cap and not share:
        err("lift_marker_cap", "Lifting the marker cap only applies when sharing")
    if errors:
        raise ValidationError(errors)

    decision = SharingDecision.objects.create(
        owner_agency=owner,
        person=person,
        concern=concern,
        up_to=up_to_at,
        recipient_agency=recipient_agency,
        recipient_area=recipient_area,
        recipient_user=recipient_user,
        share=share,
        level=int(level),
        lift_marker_cap=lift_marker_cap,
        purpose=purpose,
        necessity=necessity,
        article6=article6 or "",
        article9=article9,
        schedule1_reason=schedule1_reason,
        article10=article10,
        dpa_part3=dpa_part3,
        family_told=family_told,
        family_not_told_reason=family_not_told_reason,
        information_request_id=information_request_id,
        review_on=review_on,
        knew=_knew(covered) | {"notes": {k: str(v) for k, v in (notes or {}).items()}},
        decided_by=actor,
        decided_at=now,
    )
    audit_record(
        actor=actor,
        action=Action.SHARE if share else Action.SHARE_REFUSED,
        object_type="sharing_decision",
        object_id=decision.pk,
        child_id=person.pk,
        lawful_basis=decision.lawful_basis_code,
        justification=f"Purpose: {purpose}\nNecessity and proportionality: {necessity}",
        details={
            "share": share,
            "level": int(level),
            "scope": "concern" if concern is not None else "child",
            "concern_id": concern.pk if concern is not None else None,
            "concern_ids": [c.pk for c in covered],
            "up_to": up_to_at.isoformat() if up_to_at else None,
            "recipient_agency_id": recipient_agency.pk if recipient_agency else None,
            "recipient_area_id": recipient_area.pk if recipient_area else None,
            "recipient_user_id": recipient_user.pk if recipient_user else None,
            "article6": article6,
            "article9": article9,
            "schedule1_reason": schedule1_reason,
            "article10": article10,
            "dpa_part3": dpa_part3,
            "lift_marker_cap": lift_marker_cap,
            "family_told": family_told,
            "review_on": review_on.isoformat() if review_on else None,
            "information_request_id": information_request_id,
        },
    )
    return decision


@transaction.atomic
def sharing_decision_revoke(*, actor: User, decision: SharingDecision, reason: str) -> None:
    """Withdraw a decision to share. The very next query no longer honours it."""
    if not can_decide_for(actor, decision.owner_agency_id):
        raise PermissionDenied("Only the owning agency's decider can revoke this decision")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why you are revoking this decision"]})
    decision = SharingDecision.objects.select_for_update().get(pk=decision.pk)
    if not decision.share:
        raise ValidationError({"__all__": ["A decision not to share has nothing to revoke"]})
    if decision.revoked_at is not None:
        raise ValidationError({"__all__": ["This decision was already revoked"]})
    decision.revoked_at = timezone.now()
    decision.revoked_by = actor
    decision.revoked_reason = reason
    decision.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    audit_record(
        actor=actor,
        action=Action.SHARE_REVOKED,
        object_type="sharing_decision",
        object_id=decision.pk,
        child_id=decision.person_id,
        lawful_basis=decision.lawful_basis_code,
        justification=reason,
        details={"concern_id": decision.concern_id},
    )


def access_view_record(
    *, actor: User, action: str, concern_ids: list[int], child_id: int | None
) -> None:
    """Audit a read of concerns (ids and levels only) before the page leaves the server."""
    audit_record(
        actor=actor,
        action=action,
        object_type="concern" if len(concern_ids) == 1 else "child",
        object_id=concern_ids[0] if len(concern_ids) == 1 else (child_id or ""),
        child_id=child_id,
        details={"concern_ids": concern_ids[:500], "count": len(concern_ids)},
    )


# ----------------------------------------------------------------------------- consent records


@transaction.atomic
def consent_record_create(
    *,
    actor: User,
    status: str,
    agencies: list[Agency],
    purposes: list[str],
    given_by: str,
    given_on: date,
    evidence: str,
    person: Person | None = None,
    household: Household | None = None,
) -> ConsentRecord:
    """Record a family's consent to sharing between AGENCIES for PURPOSES (or its refusal)."""
    if not isinstance(actor, User) or actor.agency_id is None:
        raise PermissionDenied("Only a member of an agency can record consent")
    errors: dict[str, list[str]] = {}
    if (person is None) == (household is None):
        errors["__all__"] = ["Record consent for one child or one family"]
    if status not in (ConsentRecord.Status.GIVEN, ConsentRecord.Status.REFUSED):
        errors["status"] = ["Say whether consent was given or refused"]
    agencies = list(dict.fromkeys(agencies))
    if not agencies:
        errors["agencies"] = ["Choose the agencies the consent covers"]
    unknown = set(purposes) - set(ConsentPurpose.values)
    if not purposes or unknown:
        errors["purposes"] = ["Choose the purposes the consent covers"]
    if not (given_by or "").strip():
        errors["given_by"] = ["Say who gave or refused consent"]
    if given_on is None or given_on > timezone.localdate():
        errors["given_on"] = ["Enter the date consent was given or refused (today or earlier)"]
    if not (evidence or "").strip():
        errors["evidence"] = ["Say how consent was obtained and where the evidence is kept"]
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord.objects.create(
        person=person,
        household=household,
        purposes=sorted(set(purposes)),
        status=status,
        given_by=given_by.strip(),
        given_on=given_on,
        evidence=evidence.strip(),
        recorded_by=actor,
        recorded_by_agency=actor.agency,
        recorded_at=timezone.now(),
    )
    record.agencies.set(agencies)
    audit_record(
        actor=actor,
        action=Action.CONSENT_RECORDED,
        object_type="consent_record",
        object_id=record.pk,
        child_id=person.pk if person is not None else None,
        lawful_basis="6(1)(a)" if status == ConsentRecord.Status.GIVEN else "",
        details={
            "status": status,
            "household_id": household.pk if household is not None else None,
            "agencies": sorted(a.code for a in agencies),
            "purposes": record.purposes,
        },
    )
    return record


@transaction.atomic
def consent_record_withdraw(*, actor: User, record: ConsentRecord, reason: str) -> ConsentRecord:
    """The family withdrew consent: consent-based access ends now; other bases stay."""
    if not isinstance(actor, User) or actor.agency_id is None:
        raise PermissionDenied("Only a member of an agency can record a withdrawal")
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say how and when the family withdrew consent"]})
    record = ConsentRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != ConsentRecord.Status.GIVEN:
        raise ValidationError({"__all__": ["Only consent that was given can be withdrawn"]})
    record.status = ConsentRecord.Status.WITHDRAWN
    record.withdrawn_at = timezone.now()
    record.withdrawn_by = actor
    record.withdrawn_reason = reason.strip()
    record.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    affected = SharingDecision.objects.filter(
        share=True, revoked_at__isnull=True, article6=Article6.CONSENT
    )
    if record.person_id is not None:
        affected = affected.filter(person_id=record.person_id)
    else:
        affected = affected.filter(
            person__households__household_id=record.household_id,
            person__households__left_on__isnull=True,
        )
    audit_record(
        actor=actor,
        action=Action.CONSENT_WITHDRAWN,
        object_type="consent_record",
        object_id=record.pk,
        child_id=record.person_id,
        justification=record.withdrawn_reason,
        details={
            "household_id": record.household_id,
            "consent_based_decisions": sorted(affected.values_list("pk", flat=True)),
        },
    )
    return record


# ------------------------------------------------------------------------------------ MASH rule


@transaction.atomic
def area_sharing_agreement_create(
    *,
    actor: User | None,
    area: Area,
    title: str,
    article6: str,
    effective_from: date,
    article9: str = "",
    statutory_gateways: str = "",
    effective_to: date | None = None,
) -> AreaSharingAgreement:
    """Record an area's information-sharing agreement (the data behind the MASH rule)."""
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = ["Give the agreement's title"]
    if article6 not in Article6.values:
        errors["article6"] = ["Choose the agreement's Article 6 basis"]
    if article9 and article9 not in Article9.values:
        errors["article9"] = ["Choose an Article 9 condition from the list"]
    if effective_to is not None and effective_to < effective_from:
        errors["effective_to"] = ["The end date must be after the start date"]
    if errors:
        raise ValidationError(errors)
    agreement = AreaSharingAgreement.objects.create(
        area=area,
        title=title.strip(),
        article6=article6,
        article9=article9,
        statutory_gateways=statutory_gateways,
        effective_from=effective_from,
        effective_to=effective_to,
    )
    audit_record(
        actor=actor,
        action=Action.PERMISSION_CHANGE,
        object_type="area_sharing_agreement",
        object_id=agreement.pk,
        lawful_basis=article6,
        details={"area_id": area.pk, "article9": article9},
    )
    return agreement


def mash_involvement_open(
    *, actor: User | None, person_id: int, area_id: int, reason: str
) -> MashInvolvement:
    """The child is in AREA's MASH triage: its MASH staff may now see SUMMARY (MASH rule).

    Idempotent: an open involvement is returned as it is. Call inside the transaction that puts
    the child in the queue (a flag or a referral).
    """
    for _attempt in range(2):
        try:
            with transaction.atomic():
                existing = MashInvolvement.objects.filter(
                    person_id=person_id, area_id=area_id, closed_at__isnull=True
                ).first()
                if existing is not None:
                    return existing
                involvement = MashInvolvement.objects.create(
                    person_id=person_id,
                    area_id=area_id,
                    reason=(reason or "")[:200],
                    opened_at=timezone.now(),
                    opened_by=actor,
                )
                audit_record(
                    actor=actor,
                    action=Action.PERMISSION_CHANGE,
                    object_type="mash_involvement",
                    object_id=involvement.pk,
                    child_id=person_id,
                    justification=involvement.reason,
                    details={"area_id": area_id, "opened": True},
                )
                return involvement
        except IntegrityError:
            continue  # a racing transaction opened it first; the second pass finds it
    raise RuntimeError("could not open MASH involvement")


@transaction.atomic
def mash_involvement_close(
    *, actor: User | None, involvement: MashInvolvement, reason: str
) -> MashInvolvement:
    """The child left the MASH's triage: the MASH rule stops applying on the next query."""
    involvement = MashInvolvement.objects.select_for_update().get(pk=involvement.pk)
    if involvement.closed_at is not None:
        return involvement
    involvement.closed_at = timezone.now()
    involvement.closed_by = actor
    involvement.save(update_fields=["closed_at", "closed_by"])
    audit_record(
        actor=actor,
        action=Action.PERMISSION_CHANGE,
        object_type="mash_involvement",
        object_id=involvement.pk,
        child_id=involvement.person_id,
        justification=(reason or "").strip(),
        details={"area_id": involvement.area_id, "opened": False},
    )
    return involvement


# ---------------------------------------------------------------------------------- break-glass


def break_glass_minutes() -> int:
    return int(getattr(settings, "CONSENT_BREAK_GLASS_MINUTES", 60))


def break_glass_open(
    *, actor: User, person_id: int, password: str, reason: str, justification: str
) -> BreakGlassGrant:
    """Emergency FULL access for a MASH manager to one child's unsealed concerns.

    The password is checked again; the owning agencies' designated leads and IG leads are told
    at once (in the hub, and by email after commit); the BREAK_GLASS audit event carries the
    justification and awaits IG review.
    """
    if not isinstance(actor, User) or actor.role != User.Role.MASH_MANAGER or not actor.is_active:
        raise PermissionDenied("Only a MASH manager can use break-glass access")
    if not actor.check_password(password or ""):
        audit_record(
            actor=actor,
            action=Action.LOGIN_FAILED,
            object_type="break_glass",
            child_id=person_id,
            details={"reason": "break-glass password check failed"},
        )
        raise PermissionDenied("That password is not right")
    errors: dict[str, list[str]] = {}
    if reason not in BreakGlassGrant.Reason.values:
        errors["reason"] = ["Choose the reason: consent, legal requirement or public interest"]
    if not (justification or "").strip():
        errors["justification"] = ["Explain why this cannot wait for the owning agency"]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        person = Person.objects.filter(pk=person_id).first()
        if person is None:
            raise ValidationError({"__all__": ["No such child"]})
        now = timezone.now()
        minutes = break_glass_minutes()
        grant = BreakGlassGrant.objects.create(
            user=actor,
            person=person,
            reason=reason,
            justification=justification.strip(),
            granted_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        # Whom to tell: the agencies holding unsealed information about the child. This reads
        # agency ids only (no concern leaves this function), so it is outside the visibility rule.
        owner_ids = set(
            Concern.objects.filter(subject__person_id=person.pk, marker_sealed=False).values_list(
                "agency_id", flat=True
            )
        )
        recipients = list(
            User.objects.people()
            .filter(is_active=True)
            .filter(
                Q(agency_id__in=owner_ids, role=User.Role.DESIGNATED_LEAD)
                | Q(agency_id__in=owner_ids | {actor.agency_id}, role=User.Role.IG_LEAD)
            )
            .exclude(pk=actor.pk)
            .order_by("pk")
        )
        link = reverse("consent:break_glass_detail", args=[grant.pk])
        notifications = [
            Notification.objects.create(
                recipient=user,
                kind=Notification.Kind.BREAK_GLASS,
                message=(
                    f"Break-glass access opened by {actor.username} to child {person.pk} "
                    f"for {minutes} minutes ({grant.get_reason_display()}). Review it."
                ),
                link=link,
                created_at=now,
            )
            for user in recipients
        ]
        event = audit_record(
            actor=actor,
            action=Action.BREAK_GLASS,
            object_type="break_glass_grant",
            object_id=grant.pk,
            child_id=person.pk,
            lawful_basis=reason,
            justification=grant.justification,
            details={
                "expires_at": grant.expires_at.isoformat(),
                "minutes": minutes,
                "notified_user_ids": [u.pk for u in recipients],
                "awaiting_ig_review": True,
            },
        )
        grant.audit_seq = event.seq
        grant.save(update_fields=["audit_seq"])
        ids = [n.pk for n in notifications]
        transaction.on_commit(lambda: _enqueue_emails(ids))
    return grant


def _enqueue_emails(notification_ids: list[int]) -> None:
    from consent.tasks import notification_email_send

    for notification_id in notification_ids:
        try:
            notification_email_send.delay(notification_id)
        except Exception:  # the in-app notification stands; the broker may be down
            log.exception("could not enqueue notification email %s", notification_id)


@transaction.atomic
def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("Not your notification")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notification.refresh_from_db()
    return notification
