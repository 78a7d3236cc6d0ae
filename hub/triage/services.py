"""Every write to the triage queue. Views, commands and tasks call these; none saves a model.

Each service is keyword-only, takes the acting user (None for the system), runs in one
transaction and writes its audit event there. Audit details hold ids and codes only: never
names, rationales or concern text.

Audit actions used (the audit app's vocabulary): TRIAGE_FLAG (flag raised), TRIAGE_REFERRAL
(referral, acknowledgement), TRIAGE_DECISION (every step that manages an item: assignment,
rating change, decision, sign-off, return, re-opening, transfer; `details.step` says which),
INFO_REQUEST (asked, answered), VIEW_CASE (a case was opened).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency, Area, User
from audit.models import Action
from audit.services import audit_record
from concerns.models import Concern
from concerns.services import RECORDING_ROLES
from consent.models import Article6, SharingDecision
from consent.policy import Visibility
from consent.services import mash_involvement_open, sharing_decision_record
from hub.triage.calendar import WorkingCalendar, calendar
from hub.triage.models import (
    BAND_ORDER,
    DEFAULT_TIMESCALE_MINUTES,
    Acknowledgement,
    Band,
    InformationRequest,
    Outcome,
    RagTimescale,
    RatingChange,
    TriageDecision,
    TriageItem,
)

logger = logging.getLogger(__name__)

# A referral from a practitioner starts amber: the statutory baseline is a decision within one
# working day. The MASH changes the rating (with a rationale) once it has looked.
REFERRAL_BAND = Band.AMBER
REQUEST_DUE_CHOICES = {
    120: "2 working hours",
    240: "4 working hours",
    480: "1 working day",
    960: "2 working days",
}


# --- deadlines -------------------------------------------------------------------------------


def timescale_minutes(*, area_id: int, band: str) -> int:
    """The area's allowance for BAND in working minutes (its `RagTimescale`, else the default)."""
    row = (
        RagTimescale.objects.filter(area_id=area_id, band=band)
        .values_list("working_minutes", flat=True)
        .first()
    )
    return row if row is not None else DEFAULT_TIMESCALE_MINUTES[Band(band)]


def deadline_for(
    *, area_id: int, band: str, start: datetime, cal: WorkingCalendar | None = None
) -> datetime:
    cal = cal or calendar()
    return cal.add_working_minutes(start, timescale_minutes(area_id=area_id, band=band))


# --- who may do what -------------------------------------------------------------------------


def _require_mash_staff(actor: User, item: TriageItem) -> None:
    if not (actor and actor.is_mash_staff and item.area_id in actor.area_ids()):
        raise PermissionDenied("Only the area's MASH staff can do this")


def _require_manager(actor: User, item: TriageItem) -> None:
    _require_mash_staff(actor, item)
    if actor.role != User.Role.MASH_MANAGER:
        raise PermissionDenied("Only a MASH manager can do this")


def _require_open(item: TriageItem) -> None:
    if item.status not in TriageItem.OPEN_STATUSES:
        raise ValidationError({"__all__": ["This item is closed: re-open it first"]})


def _locked(item: TriageItem) -> TriageItem:
    return TriageItem.objects.select_for_update().get(pk=item.pk)


def _audit(actor: User | None, action: str, item: TriageItem, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="triage_item",
        object_id=item.pk,
        child_id=item.person_id,
        details={"area_id": item.area_id, **details},
    )


# --- raising items ---------------------------------------------------------------------------


def _contributing_concern_ids(assessment_id: int | None, person_id: int) -> list[int]:
    """The assessment's contributing concerns if the risk app says, else the child's active ones.

    Without an assessment (e.g. a flag raised by hand), every active concern about the child.
    """
    from hub.triage.risk_adapter import contributing_concern_ids

    ids = contributing_concern_ids(assessment_id)
    if ids is None:
        ids = list(
            Concern.objects.filter(subject__person_id=person_id, status=Concern.Status.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return sorted(set(ids))


def triage_item_raise_for_flag(
    *, person_id: int, area_id: int, band: str, assessment_id: int | None, reason: str = ""
) -> tuple[TriageItem, bool]:
    """Put a flagged child in front of the area's MASH: one open item, never one per recompute.

    Returns (item, created). An open item whose band is lower is raised to BAND (its deadline
    recomputed from when its clock started); a lower band never lowers it (that is a person's
    decision, with a rationale).
    """
    if band not in (Band.AMBER, Band.RED):
        raise ValueError("only amber and red flags raise triage items")
    now = timezone.now()
    cal = calendar()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                # The child is now in this area's MASH triage: the MASH rule (consent) applies.
                mash_involvement_open(
                    actor=None, person_id=person_id, area_id=area_id, reason="combined-risk flag"
                )
                item = (
                    TriageItem.objects.select_for_update()
                    .filter(
                        person_id=person_id, area_id=area_id, status__in=TriageItem.OPEN_STATUSES
                    )
                    .first()
                )
                contributing = _contributing_concern_ids(assessment_id, person_id)
                if item is not None:
                    if BAND_ORDER[Band(band)] > BAND_ORDER[Band(item.band)]:
                        previous = item.band
                        item.band, item.assessment_id, item.updated_at = band, assessment_id, now
                        item.deadline_at = deadline_for(
                            area_id=area_id, band=band, start=item.clock_started_at, cal=cal
                        )
                        item.contributing_concern_ids = sorted(
                            set(item.contributing_concern_ids) | set(contributing)
                        )
                        item.acknowledgement_pending = True
                        item.save(
                            update_fields=[
                                "acknowledgement_pending",
                                "band",
                                "assessment_id",
                                "updated_at",
                                "deadline_at",
                                "contributing_concern_ids",
                            ]
                        )
                        _audit(
                            None,
                            Action.TRIAGE_FLAG,
                            item,
                            band=band,
                            previous_band=previous,
                            raised=True,
                        )
                    return item, False
                item = TriageItem.objects.create(
                    person_id=person_id,
                    area_id=area_id,
                    source=TriageItem.Source.FLAG,
                    band=band,
                    assessment_id=assessment_id,
                    contributing_concern_ids=contributing,
                    reason=reason,
                    clock_started_at=now,
                    deadline_at=deadline_for(area_id=area_id, band=band, start=now, cal=cal),
                    created_at=now,
                    updated_at=now,
                )
                _audit(None, Action.TRIAGE_FLAG, item, band=band, assessment_id=assessment_id)
                return item, True
        except IntegrityError:
            # A racing task created the open item first; the second pass finds it.
            continue
    raise RuntimeError("could not raise triage item")


def referral_allowed(actor: User) -> bool:
    """Whether ACTOR's role may refer a child to the MASH from a concern they can see."""
    return getattr(actor, "role", None) in RECORDING_ROLES


def triage_referral_create(*, actor: User, concern_id: int, reason: str) -> tuple[TriageItem, bool]:
    """A practitioner refers the child of one of their concerns to the child's area MASH.

    The concern must be visible to the actor. If the child already has an open item in that
    area, the concern joins it. Returns (item, created).
    """
    from hub.triage.selectors import referral_area_for

    concern = (
        Concern.objects.visible_to(actor)
        .select_related("subject__person", "agency")
        .filter(pk=concern_id)
        .first()
    )
    if concern is None or not referral_allowed(actor):
        raise PermissionDenied("You cannot refer from that concern")
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why you are referring this child to the MASH"]})
    area = referral_area_for(concern)
    if area is None:
        raise ValidationError(
            {"__all__": ["The hub cannot tell which area's MASH covers this child"]}
        )
    person_id = concern.subject.person_id
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                mash_involvement_open(
                    actor=actor, person_id=person_id, area_id=area.pk, reason="referral"
                )
                item = (
                    TriageItem.objects.select_for_update()
                    .filter(
                        person_id=person_id, area_id=area.pk, status__in=TriageItem.OPEN_STATUSES
                    )
                    .first()
                )
                if item is not None:
                    if concern.pk not in item.contributing_concern_ids:
                        item.contributing_concern_ids = sorted(
                            {*item.contributing_concern_ids, concern.pk}
                        )
                        item.updated_at = now
                        item.acknowledgement_pending = True
                        item.save(
                            update_fields=[
                                "contributing_concern_ids",
                                "updated_at",
                                "acknowledgement_pending",
                            ]
                        )
                    _audit(actor, Action.TRIAGE_REFERRAL, item, concern_id=concern.pk, joined=True)
                    return item, False
                item = TriageItem.objects.create(
                    person_id=person_id,
                    area=area,
                    source=TriageItem.Source.REFERRAL,
                    band=REFERRAL_BAND,
                    referral_concern=concern,
                    referred_by=actor,
                    contributing_concern_ids=[concern.pk],
                    reason=reason.strip(),
                    clock_started_at=now,
                    deadline_at=deadline_for(area_id=area.pk, band=REFERRAL_BAND, start=now),
                    created_at=now,
                    updated_at=now,
                )
                _audit(actor, Action.TRIAGE_REFERRAL, item, concern_id=concern.pk)
                return item, True
        except IntegrityError:
            continue
    raise RuntimeError("could not record referral")


# --- working the queue -----------------------------------------------------------------------


def _eligible_assignee(user: User, item: TriageItem) -> bool:
    return bool(user.is_active and user.is_mash_staff and item.area_id in user.area_ids())


@transaction.atomic
def triage_item_assign(*, actor: User, item: TriageItem, assignee: User | None) -> TriageItem:
    """Give the item to ASSIGNEE (the actor, or a colleague), or unassign with None."""
    item = _locked(item)
    _require_mash_staff(actor, item)
    _require_open(item)
    if assignee is not None and not _eligible_assignee(assignee, item):
        raise ValidationError({"assignee": ["Choose someone on this area's MASH"]})
    previous = item.assignee_id
    item.assignee = assignee
    if assignee is not None and item.status == TriageItem.Status.OPEN:
        item.status = TriageItem.Status.IN_PROGRESS
    item.updated_at = timezone.now()
    item.save(update_fields=["assignee", "status", "updated_at"])
    _audit(
        actor,
        Action.TRIAGE_DECISION,
        item,
        step="assign",
        assignee_id=getattr(assignee, "pk", None),
        previous_assignee_id=previous,
    )
    return item


def triage_items_reassign(
    *, actor: User, item_ids: Sequence[int], assignee: User | None
) -> list[TriageItem]:
    """A manager moves several items to ASSIGNEE at once (all or none)."""
    if actor.role != User.Role.MASH_MANAGER:
        raise PermissionDenied("Only a MASH manager can reassign in bulk")
    if not item_ids:
        raise ValidationError({"items": ["Select at least one item"]})
    done = []
    with transaction.atomic():
        items = list(
            TriageItem.objects.select_for_update()
            .filter(pk__in=item_ids, area_id__in=actor.area_ids())
            .order_by("pk")
        )
        if len(items) != len(set(item_ids)):
            raise PermissionDenied("Some of those items are not in your areas")
        for item in items:
            done.append(triage_item_assign(actor=actor, item=item, assignee=assignee))
    return done


@transaction.atomic
def triage_item_rate(*, actor: User, item: TriageItem, band: str, rationale: str) -> TriageItem:
    """Change the RAG rating. A rationale is required; the deadline is recomputed."""
    item = _locked(item)
    _require_mash_staff(actor, item)
    if item.status not in (TriageItem.Status.OPEN, TriageItem.Status.IN_PROGRESS):
        raise ValidationError({"__all__": ["The rating cannot change once a decision is made"]})
    if band not in Band.values:
        raise ValidationError({"band": ["Choose red, amber or green"]})
    if not (rationale or "").strip():
        raise ValidationError({"rationale": ["Say why you are changing the rating"]})
    if band == item.band:
        raise ValidationError({"band": ["That is already the rating"]})
    now = timezone.now()
    change = RatingChange.objects.create(
        item=item,
        changed_by=actor,
        changed_at=now,
        from_band=item.band,
        to_band=band,
        rationale=rationale.strip(),
    )
    previous = item.band
    item.band = band
    item.deadline_at = deadline_for(area_id=item.area_id, band=band, start=item.clock_started_at)
    item.updated_at = now
    item.save(update_fields=["band", "deadline_at", "updated_at"])
    _audit(
        actor,
        Action.TRIAGE_DECISION,
        item,
        step="rate",
        band=band,
        previous_band=previous,
        rating_change_id=change.pk,
    )
    return item


# --- information requests --------------------------------------------------------------------


def information_request_create(
    *,
    actor: User,
    item: TriageItem,
    agencies: Iterable[Agency],
    question: str,
    due_in_minutes: int = 480,
) -> list[InformationRequest]:
    """Ask each agency what it holds about the item's child, due in working time."""
    agencies = list(agencies)
    errors: dict[str, list[str]] = {}
    if not agencies:
        errors["agencies"] = ["Choose at least one agency"]
    if not (question or "").strip():
        errors["question"] = ["Say what you need to know"]
    if due_in_minutes not in REQUEST_DUE_CHOICES:
        errors["due"] = ["Choose when the answer is needed"]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    due = calendar().add_working_minutes(now, due_in_minutes)
    created = []
    with transaction.atomic():
        item = _locked(item)
        _require_mash_staff(actor, item)
        _require_open(item)
        for agency in agencies:
            if not agency.is_active or not agency.areas.filter(pk=item.area_id).exists():
                raise ValidationError({"agencies": [f"{agency.name} does not serve this area"]})
            if InformationRequest.objects.filter(
                item=item, agency=agency, status=InformationRequest.Status.OPEN
            ).exists():
                raise ValidationError(
                    {"agencies": [f"{agency.name} already has an open request for this child"]}
                )
            request = InformationRequest.objects.create(
                item=item,
                agency=agency,
                question=question.strip(),
                requested_by=actor,
                requested_at=now,
                due_at=due,
            )
            audit_record(
                actor=actor,
                action=Action.INFO_REQUEST,
                object_type="information_request",
                object_id=request.pk,
                child_id=item.person_id,
                details={"step": "ask", "item_id": item.pk, "agency": agency.code},
            )
            created.append(request)
        if item.status == TriageItem.Status.OPEN:
            item.status = TriageItem.Status.IN_PROGRESS
            item.updated_at = now
            item.save(update_fields=["status", "updated_at"])
    return created


# How much of the agency's concerns the area's MASH may see when the lead shares.
SHARE_LEVELS: dict[str, Visibility] = {"summary": Visibility.SUMMARY, "full": Visibility.FULL}

# The consent service's field names -> the answer's (the form and the API use the answer's).
_DECISION_FIELDS = {"up_to": "answer", "recipient": "__all__", "review_on": "__all__"}
_NO_CONCERNS = (
    "Your agency has no concerns about this child on the hub: answer that you hold nothing, "
    "or record your concern first and then share it"
)


def record_sharing_decision(
    *,
    actor: User,
    request: InformationRequest,
    share: bool,
    level: Visibility,
    purpose: str,
    necessity: str,
    article6: str,
    article9: str,
    schedule1_reason: str,
    article10: bool,
    dpa_part3: bool,
    family_told: bool | None,
    family_not_told_reason: str,
    up_to: datetime,
) -> SharingDecision:
    """The answer's decision, through the consent app: every concern of the lead's agency about
    the child recorded up to UP_TO, for the asking area's MASH. The consent app's
    `ValidationError` comes back keyed by the answer's field names."""
    try:
        return sharing_decision_record(
            actor=actor,
            share=share,
            level=level,
            purpose=purpose,
            necessity=necessity,
            article6=article6,
            person=request.item.person,
            up_to=up_to,
            recipient_area=request.item.area,
            article9=article9,
            schedule1_reason=schedule1_reason,
            article10=article10,
            dpa_part3=dpa_part3,
            family_told=family_told,
            family_not_told_reason=family_not_told_reason,
            information_request_id=request.pk,
        )
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for field, messages in exc.message_dict.items():
            target = _DECISION_FIELDS.get(field, field)
            if field == "up_to":
                messages = [_NO_CONCERNS]
            errors.setdefault(target, []).extend(messages)
        raise ValidationError(errors) from exc


def information_request_answer(
    *,
    actor: User,
    request: InformationRequest,
    answer: str,
    response_text: str = "",
    level: str = "summary",
    article6: str = Article6.PUBLIC_TASK,
    purpose: str = "",
    necessity: str = "",
    article9: str = "",
    schedule1_reason: str = "",
    article10: bool = False,
    dpa_part3: bool = False,
    family_told: bool | None = None,
    family_not_told_reason: str = "",
) -> InformationRequest:
    """The agency's designated lead answers: a sharing decision (share or not) and any text.

    "shared" and "declined" record the consent app's sharing decision (to the asking area's
    MASH, covering the agency's concerns about the child so far) in the same transaction as the
    answer: if the consent app refuses the decision, the answer is not saved either. LEVEL is
    "summary" or "full"; the lawful-basis fields are the consent app's (`Article6`, `Article9`,
    `Schedule1Reason`, Article 10 / DPA 2018 Part 3, whether the family was told).
    """
    if actor.role != User.Role.DESIGNATED_LEAD or actor.agency_id != request.agency_id:
        raise PermissionDenied("Only the agency's designated lead can answer")
    errors: dict[str, list[str]] = {}
    if answer not in InformationRequest.Answer.values:
        errors["answer"] = ["Choose an answer"]
    sharing = answer == InformationRequest.Answer.SHARED
    if sharing:
        if level not in SHARE_LEVELS:
            errors["level"] = ["Choose how much to share"]
        if article6 not in Article6.values:
            errors["article6"] = ["Choose the lawful basis"]
        if not (necessity or "").strip():
            errors["necessity"] = ["Say why sharing is necessary and proportionate"]
    if answer == InformationRequest.Answer.DECLINED and not (response_text or "").strip():
        errors["response_text"] = ["Say why you are not sharing"]
    if errors:
        raise ValidationError(errors)
    purpose = (purpose or "").strip() or "Safeguarding: MASH information request"
    with transaction.atomic():
        request = (
            InformationRequest.objects.select_for_update()
            .select_related("item__person", "item__area")
            .get(pk=request.pk)
        )
        if request.status != InformationRequest.Status.OPEN:
            raise ValidationError({"__all__": ["This request has already been answered"]})
        now = timezone.now()
        decision_id = None
        if answer != InformationRequest.Answer.NOTHING_HELD:
            # Record the decision and the reason whether or not the agency shares (golden rule 7).
            decision_id = record_sharing_decision(
                actor=actor,
                request=request,
                share=sharing,
                level=SHARE_LEVELS[level] if sharing else Visibility.NONE,
                purpose=purpose,
                necessity=(necessity or "").strip() or (response_text or "").strip(),
                article6=article6 if sharing else "",
                article9=article9 if sharing else "",
                schedule1_reason=schedule1_reason if sharing else "",
                article10=article10 and sharing,
                dpa_part3=dpa_part3 and sharing,
                family_told=family_told if sharing else None,
                family_not_told_reason=(family_not_told_reason or "").strip() if sharing else "",
                up_to=now,
            ).pk
        request.status = InformationRequest.Status.ANSWERED
        request.answer = answer
        request.share_level = level if sharing else ""
        request.article6 = article6 if sharing else ""
        request.purpose = purpose
        request.necessity = (necessity or "").strip()
        request.response_text = (response_text or "").strip()
        request.answered_by = actor
        request.answered_at = now
        request.sharing_decision_id = decision_id
        request.save()
        audit_record(
            actor=actor,
            action=Action.INFO_REQUEST,
            object_type="information_request",
            object_id=request.pk,
            child_id=request.item.person_id,
            lawful_basis=request.article6,
            details={
                "step": "answer",
                "item_id": request.item_id,
                "answer": answer,
                "level": request.share_level,
                "sharing_decision_id": decision_id,
                "on_time": now <= request.due_at,
            },
        )
    return request


# --- decisions -------------------------------------------------------------------------------


def triage_decision_record(
    *,
    actor: User,
    item: TriageItem,
    outcome: str,
    rationale: str,
    next_steps: str = "",
    transfer_to_area: Area | None = None,
) -> TriageDecision:
    """Record the MASH's decision. Red items wait for a manager's sign-off (a manager deciding
    a red item signs it off by deciding)."""
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = ["Choose an outcome"]
    if not (rationale or "").strip():
        errors["rationale"] = ["Give the rationale for the decision"]
    if outcome == Outcome.TRANSFER:
        if transfer_to_area is None:
            errors["transfer_to_area"] = ["Choose the area to transfer to"]
        elif transfer_to_area.pk == item.area_id:
            errors["transfer_to_area"] = ["Choose a different area"]
    elif transfer_to_area is not None:
        transfer_to_area = None
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = _locked(item)
        _require_mash_staff(actor, item)
        if item.status not in (TriageItem.Status.OPEN, TriageItem.Status.IN_PROGRESS):
            raise ValidationError({"__all__": ["This item is not waiting for a decision"]})
        now = timezone.now()
        is_manager = actor.role == User.Role.MASH_MANAGER
        requires_signoff = item.band == Band.RED
        decision = TriageDecision.objects.create(
            item=item,
            outcome=outcome,
            rationale=rationale.strip(),
            next_steps=(next_steps or "").strip(),
            transfer_to_area=transfer_to_area,
            decided_by=actor,
            decided_at=now,
            band_at_decision=item.band,
            deadline_at=item.deadline_at,
            within_deadline=now <= item.deadline_at,
            requires_signoff=requires_signoff,
            signed_off_by=actor if requires_signoff and is_manager else None,
            signed_off_at=now if requires_signoff and is_manager else None,
        )
        _audit(
            actor,
            Action.TRIAGE_DECISION,
            item,
            step="decide",
            decision_id=decision.pk,
            outcome=outcome,
            band=item.band,
            within_deadline=decision.within_deadline,
            transfer_to_area_id=getattr(transfer_to_area, "pk", None),
        )
        if requires_signoff and not is_manager:
            item.status = TriageItem.Status.AWAITING_SIGNOFF
            item.updated_at = now
            item.save(update_fields=["status", "updated_at"])
        else:
            _finalise(actor, item, decision, now)
    return decision


def _finalise(actor: User, item: TriageItem, decision: TriageDecision, now: datetime) -> None:
    item.decided_at = decision.decided_at
    item.updated_at = now
    if decision.outcome == Outcome.TRANSFER:
        _transfer(actor, item, decision.transfer_to_area, now)
        return
    item.status = TriageItem.Status.DECIDED
    item.save(update_fields=["status", "decided_at", "updated_at"])


@transaction.atomic
def triage_decision_sign_off(
    *, actor: User, decision: TriageDecision, approve: bool = True, note: str = ""
) -> TriageDecision:
    """A manager approves a red item's decision (the item closes) or returns it (re-opens)."""
    decision = TriageDecision.objects.select_for_update().get(pk=decision.pk)
    item = _locked(decision.item)
    _require_manager(actor, item)
    if not (
        decision.requires_signoff
        and decision.signed_off_at is None
        and decision.returned_at is None
        and item.status == TriageItem.Status.AWAITING_SIGNOFF
    ):
        raise ValidationError({"__all__": ["This decision is not waiting for sign-off"]})
    if not approve and not (note or "").strip():
        raise ValidationError({"note": ["Say why you are returning the decision"]})
    now = timezone.now()
    decision.signoff_note = (note or "").strip()
    if approve:
        decision.signed_off_by, decision.signed_off_at = actor, now
        decision.save(update_fields=["signed_off_by", "signed_off_at", "signoff_note"])
        _audit(actor, Action.TRIAGE_DECISION, item, step="sign_off", decision_id=decision.pk)
        _finalise(actor, item, decision, now)
    else:
        decision.returned_by, decision.returned_at = actor, now
        decision.save(update_fields=["returned_by", "returned_at", "signoff_note"])
        item.status = TriageItem.Status.IN_PROGRESS
        item.updated_at = now
        item.save(update_fields=["status", "updated_at"])
        _audit(actor, Action.TRIAGE_DECISION, item, step="return", decision_id=decision.pk)
    return decision


def triage_item_reopen(*, actor: User, item: TriageItem, reason: str) -> TriageItem:
    """Re-open a decided item. The decision stays on record, marked re-opened, with the reason;
    the RAG clock restarts now."""
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why you are re-opening this item"]})
    try:
        with transaction.atomic():
            item = _locked(item)
            _require_mash_staff(actor, item)
            if item.status != TriageItem.Status.DECIDED:
                raise ValidationError({"__all__": ["Only a decided item can be re-opened"]})
            now = timezone.now()
            decision = item.decisions.filter(reopened_at__isnull=True).order_by("-pk").first()
            if decision is not None:
                decision.reopened_at, decision.reopened_by = now, actor
                decision.reopen_reason = reason.strip()
                decision.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
            item.status = TriageItem.Status.IN_PROGRESS
            item.decided_at = None
            item.clock_started_at = now
            item.deadline_at = deadline_for(area_id=item.area_id, band=item.band, start=now)
            item.updated_at = now
            item.save(
                update_fields=[
                    "status",
                    "decided_at",
                    "clock_started_at",
                    "deadline_at",
                    "updated_at",
                ]
            )
            _audit(
                actor,
                Action.TRIAGE_DECISION,
                item,
                step="reopen",
                decision_id=getattr(decision, "pk", None),
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"__all__": ["The child already has an open item in this area: work that one"]}
        ) from exc
    return item


def _transfer(actor: User, item: TriageItem, to_area: Area, now: datetime) -> TriageItem:
    """Move the case to TO_AREA's MASH, keeping its history (linked both ways)."""
    mash_involvement_open(
        actor=actor, person_id=item.person_id, area_id=to_area.pk, reason="transfer"
    )
    target = (
        TriageItem.objects.select_for_update()
        .filter(person_id=item.person_id, area=to_area, status__in=TriageItem.OPEN_STATUSES)
        .first()
    )
    if target is None:
        target = TriageItem.objects.create(
            person_id=item.person_id,
            area=to_area,
            source=TriageItem.Source.TRANSFER,
            band=item.band,
            assessment_id=item.assessment_id,
            contributing_concern_ids=item.contributing_concern_ids,
            referral_concern_id=item.referral_concern_id,
            referred_by_id=item.referred_by_id,
            reason=item.reason,
            transferred_from=item,
            clock_started_at=now,
            deadline_at=deadline_for(area_id=to_area.pk, band=item.band, start=now),
            created_at=now,
            updated_at=now,
        )
    else:
        target.contributing_concern_ids = sorted(
            set(target.contributing_concern_ids) | set(item.contributing_concern_ids)
        )
        if target.transferred_from_id is None:
            target.transferred_from = item
        target.updated_at = now
        target.acknowledgement_pending = True
        target.save(
            update_fields=[
                "contributing_concern_ids",
                "transferred_from",
                "updated_at",
                "acknowledgement_pending",
            ]
        )
    item.status = TriageItem.Status.TRANSFERRED
    item.transferred_to = target
    item.save(update_fields=["status", "decided_at", "updated_at", "transferred_to"])
    _audit(actor, Action.TRIAGE_DECISION, item, step="transfer_out", to_item_id=target.pk)
    _audit(actor, Action.TRIAGE_DECISION, target, step="transfer_in", from_item_id=item.pk)
    return target


# --- the case view and acknowledgements -------------------------------------------------------


def case_view_record(*, actor: User, item: TriageItem) -> None:
    """Write the VIEW_CASE event. Called before the case is rendered: no audit, no page."""
    with transaction.atomic():
        _audit(actor, Action.VIEW_CASE, item)


def information_request_view_record(*, actor: User, request: InformationRequest) -> None:
    """A designated lead opened a request (it names a child): a sensitive read, audited first."""
    audit_record(
        actor=actor,
        action=Action.INFO_REQUEST,
        object_type="information_request",
        object_id=request.pk,
        child_id=request.item.person_id,
        details={"step": "view", "item_id": request.item_id},
    )


def acknowledgements_send(*, now: datetime | None = None, limit: int = 500) -> int:
    """Acknowledge every contributing concern of recent items that has not been acknowledged.

    Idempotent (one acknowledgement per item and concern); due one working day after the item
    was created. Run by beat every few minutes. Returns how many were recorded.
    """
    now = now or timezone.now()
    cal = calendar()
    sent = 0
    with transaction.atomic():
        items = list(
            TriageItem.objects.select_for_update(skip_locked=True)
            .filter(created_at__lte=now, acknowledgement_pending=True)
            .order_by("created_at", "pk")[:limit]
        )
        for item in items:
            wanted = set(item.contributing_concern_ids)
            if item.referral_concern_id:
                wanted.add(item.referral_concern_id)
            done = set(item.acknowledgements.values_list("concern_id", flat=True))
            due = cal.add_working_days(item.created_at, 1)
            concerns = Concern.objects.filter(pk__in=wanted - done).select_related("agency")
            for concern in concerns:
                recipient_id = (
                    item.referred_by_id
                    if concern.pk == item.referral_concern_id and item.referred_by_id
                    else concern.author_id
                )
                ack = Acknowledgement.objects.create(
                    item=item,
                    concern=concern,
                    agency=concern.agency,
                    recipient_id=recipient_id,
                    due_at=due,
                    sent_at=now,
                )
                audit_record(
                    actor=None,
                    action=Action.TRIAGE_REFERRAL,
                    object_type="acknowledgement",
                    object_id=ack.pk,
                    child_id=item.person_id,
                    details={
                        "step": "acknowledge",
                        "item_id": item.pk,
                        "concern_id": concern.pk,
                        "agency": concern.agency.code,
                        "on_time": ack.on_time,
                    },
                )
                sent += 1
            item.acknowledgement_pending = False
            item.save(update_fields=["acknowledgement_pending"])
    return sent
