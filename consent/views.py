"""Pages of the consent app (mounted at /sharing/). Every concern shown here is fetched through
`Concern.objects.visible_to(user)` and rendered through `present`; anything out of scope is a
404 exactly like a missing id. Writes go through `consent.services`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from agencies.models import Agency, Area, User
from audit.models import Action
from concerns.models import Concern, Person
from consent import services
from consent.aid import STEPS
from consent.models import (
    Article6,
    Article9,
    BreakGlassGrant,
    ConsentPurpose,
    ConsentRecord,
    Notification,
    Schedule1Reason,
    SharingDecision,
)
from consent.policy import SOURCES, Visibility, present, visible_concerns

SOURCE_LABELS = {
    "own": "Your own agency's record (author, designated lead or agency setting)",
    "decision": "A recorded sharing decision",
    "consent": "The family's consent",
    "mash": "The MASH rule (the child is in your MASH's triage)",
    "break_glass": "Your break-glass access",
}


def _visible(user: Any) -> Any:
    return Concern.objects.select_related("agency", "subject").visible_to(user)


def _concern_or_404(user: Any, pk: int) -> Concern:
    concern = _visible(user).filter(pk=pk).first()
    if concern is None:
        raise Http404("No such concern")
    return concern


# ------------------------------------------------------------------------------ what you can see


@login_required
def concern_access(request: HttpRequest, pk: int) -> HttpResponse:
    """One concern at the viewer's level, and why they see that much."""
    concern = (
        visible_concerns(
            request.user, Concern.objects.select_related("agency", "subject"), explain=True
        )
        .filter(pk=pk)
        .first()
    )
    if concern is None:
        raise Http404("No such concern")
    with transaction.atomic():
        services.access_view_record(
            actor=request.user,
            action=Action.VIEW_CONCERN,
            concern_ids=[concern.pk],
            child_id=concern.subject.person_id,
        )
    reasons = [
        (SOURCE_LABELS[name], Visibility(getattr(concern, f"vis_{name}")))
        for name in SOURCES
        if getattr(concern, f"vis_{name}")
    ]
    return render(
        request,
        "consent/concern_access.html",
        {
            "view": present(concern),
            "reasons": reasons,
            "can_decide": services.can_decide_for(request.user, concern.agency_id),
        },
    )


@login_required
def child_access(request: HttpRequest, person_id: int) -> HttpResponse:
    """Everything about a child the viewer may see, each at its level (404 when nothing)."""
    concerns = list(
        _visible(request.user).filter(subject__person_id=person_id).order_by("-occurred_at", "-pk")
    )
    if not concerns:
        raise Http404("No such child")
    with transaction.atomic():
        services.access_view_record(
            actor=request.user,
            action=Action.VIEW_CHRONOLOGY,
            concern_ids=[c.pk for c in concerns],
            child_id=person_id,
        )
    user = request.user
    return render(
        request,
        "consent/child_access.html",
        {
            "person_id": person_id,
            "views": [present(c) for c in concerns],
            "can_break_glass": isinstance(user, User) and user.role == User.Role.MASH_MANAGER,
            "can_decide": services.can_decide_for(user, user.agency_id)
            and any(c.agency_id == user.agency_id for c in concerns),
        },
    )


# -------------------------------------------------------------------------------- decision aid


def _aid_subject(request: HttpRequest, kind: str, pk: int) -> tuple[list[Concern], Person]:
    """What the decider is deciding about: their agency's concern(s), seen in FULL, or 404."""
    user = request.user
    if kind == "concern":
        concern = _concern_or_404(user, pk)
        if not services.can_decide_for(user, concern.agency_id):
            raise Http404("No such concern")
        return [concern], concern.subject.person
    if kind == "child":
        if not services.can_decide_for(user, user.agency_id):
            raise Http404("No such child")
        concerns = list(
            _visible(user)
            .filter(subject__person_id=pk, agency_id=user.agency_id)
            .order_by("occurred_at", "pk")
        )
        if not concerns:
            raise Http404("No such child")
        return concerns, concerns[0].subject.person
    raise Http404("Unknown decision subject")


def _session_key(kind: str, pk: int) -> str:
    return f"consent_aid:{kind}:{pk}"


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dt.date):
            out[key] = value.isoformat()
        elif hasattr(value, "pk"):
            out[key] = value.pk
        else:
            out[key] = value
    return out


@login_required
@require_http_methods(["GET", "POST"])
def decision_aid(request: HttpRequest, kind: str, pk: int, step: int = 1) -> HttpResponse:
    concerns, person = _aid_subject(request, kind, pk)
    if not 1 <= step <= len(STEPS):
        raise Http404("No such step")
    current = STEPS[step - 1]
    key = _session_key(kind, pk)
    answers: dict[str, Any] = request.session.get(key, {})
    errors: list[str] = []
    if request.method == "POST":
        form = current.form(request.POST)
        if form.is_valid():
            answers.update(_jsonable(form.cleaned_data))
            request.session[key] = answers
            if step < len(STEPS):
                return redirect("consent:decision_aid_step", kind=kind, pk=pk, step=step + 1)
            try:
                decision = _record_from_answers(request.user, kind, concerns, person, answers)
            except ValidationError as exc:
                errors = exc.messages
            except PermissionDenied as exc:
                errors = [str(exc)]
            else:
                request.session.pop(key, None)
                messages.success(request, "Your decision has been recorded.")
                return redirect("consent:decision_detail", pk=decision.pk)
    else:
        initial = {k: v for k, v in answers.items() if k in current.form.base_fields}
        if kind == "concern" and step == 1:
            initial.setdefault("scope", "concern")
        form = current.form(initial=initial)
    return render(
        request,
        "consent/decision_aid.html",
        {
            "step": current,
            "steps": STEPS,
            "form": form,
            "kind": kind,
            "pk": pk,
            "views": [present(c) for c in concerns],
            "answers": answers,
            "errors": errors,
        },
    )


def _record_from_answers(
    actor: User, kind: str, concerns: list[Concern], person: Person, a: dict[str, Any]
) -> SharingDecision:
    share = a.get("share") == "yes"
    whole = kind == "child" or a.get("scope") == "child"
    recipient_kind = a.get("recipient_kind")
    up_to = dt.date.fromisoformat(a["up_to"]) if a.get("up_to") else None
    review_on = dt.date.fromisoformat(a["review_on"]) if a.get("review_on") else None
    family_told = {"yes": True, "no": False}.get(a.get("family_told", ""))
    return services.sharing_decision_record(
        actor=actor,
        share=share,
        level=Visibility(int(a.get("level") or 0)),
        purpose=a.get("purpose", ""),
        necessity=a.get("necessity", ""),
        article6=a.get("article6", ""),
        concern=None if whole else concerns[0],
        person=person if whole else None,
        up_to=up_to if whole else None,
        recipient_agency=Agency.objects.filter(pk=a.get("recipient_agency")).first()
        if recipient_kind == "agency"
        else None,
        recipient_area=Area.objects.filter(pk=a.get("recipient_area")).first()
        if recipient_kind == "area"
        else None,
        recipient_user=User.objects.filter(pk=a.get("recipient_user_id")).first()
        if recipient_kind == "user"
        else None,
        review_on=review_on,
        article9=a.get("article9", ""),
        schedule1_reason=a.get("schedule1_reason", ""),
        article10=bool(a.get("article10")),
        dpa_part3=bool(a.get("dpa_part3")),
        family_told=family_told,
        family_not_told_reason=a.get("family_not_told_reason", ""),
        lift_marker_cap=bool(a.get("lift_marker_cap")) and share,
        notes={"safety": a.get("safety", ""), "advice": a.get("advice", "")},
    )


# ----------------------------------------------------------------------------------- decisions


def _decision_or_404(user: Any, pk: int) -> SharingDecision:
    """The owning agency's deciders and IG lead (and the decider) may read a decision record."""
    decision = (
        SharingDecision.objects.select_related(
            "owner_agency", "recipient_agency", "recipient_area", "recipient_user", "decided_by"
        )
        .filter(pk=pk)
        .first()
    )
    if decision is None or not isinstance(user, User):
        raise Http404("No such decision")
    allowed = decision.decided_by_id == user.pk or (
        user.agency_id == decision.owner_agency_id
        and user.role in (User.Role.DESIGNATED_LEAD, User.Role.MASH_MANAGER, User.Role.IG_LEAD)
    )
    if not allowed:
        raise Http404("No such decision")
    return decision


@login_required
def decision_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    decisions = SharingDecision.objects.none()
    if isinstance(user, User) and user.role in (
        User.Role.DESIGNATED_LEAD,
        User.Role.MASH_MANAGER,
        User.Role.IG_LEAD,
    ):
        decisions = SharingDecision.objects.filter(owner_agency_id=user.agency_id).select_related(
            "recipient_agency", "recipient_area", "recipient_user", "decided_by"
        )[:200]
    return render(request, "consent/decision_list.html", {"decisions": decisions})


@login_required
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable record: what the decider knew, the basis, and why."""
    decision = _decision_or_404(request.user, pk)
    snapshot = decision.knew.get("concerns") or (
        [{"id": decision.concern_id}] if decision.concern_id else []
    )
    ids = [c["id"] for c in snapshot]
    # Shown as the viewer may see each concern *now* (the snapshot holds ids, never content).
    current = {c.pk: present(c) for c in _visible(request.user).filter(pk__in=ids)}
    knew = [{**c, "view": current.get(c["id"])} for c in snapshot]
    if current:
        with transaction.atomic():
            services.access_view_record(
                actor=request.user,
                action=Action.VIEW_CONCERN,
                concern_ids=sorted(current),
                child_id=decision.person_id,
            )
    return render(
        request,
        "consent/decision_detail.html",
        {
            "decision": decision,
            "knew": knew,
            "notes": decision.knew.get("notes", {}),
            "article6": dict(Article6.choices).get(decision.article6, ""),
            "article9": dict(Article9.choices).get(decision.article9, ""),
            "schedule1": dict(Schedule1Reason.choices).get(decision.schedule1_reason, ""),
            "level": Visibility(decision.level).name.title() if decision.level else "None",
            "can_revoke": decision.share
            and decision.revoked_at is None
            and services.can_decide_for(request.user, decision.owner_agency_id),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def decision_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    decision = _decision_or_404(request.user, pk)
    if not services.can_decide_for(request.user, decision.owner_agency_id):
        raise Http404("No such decision")
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.sharing_decision_revoke(
                actor=request.user, decision=decision, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, "The decision has been revoked. Access has ended.")
            return redirect("consent:decision_detail", pk=decision.pk)
    return render(request, "consent/decision_revoke.html", {"decision": decision, "errors": errors})


# ------------------------------------------------------------------------------------- consent


def _child_or_404(user: Any, person_id: int) -> Person:
    """A child the viewer sees at least one concern about (else 404, like a missing one)."""
    if not _visible(user).filter(subject__person_id=person_id).exists():
        raise Http404("No such child")
    return get_object_or_404(Person, pk=person_id)


@login_required
@require_http_methods(["GET", "POST"])
def consent_records(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _child_or_404(request.user, person_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.consent_record_create(
                actor=request.user,
                person=person,
                status=request.POST.get("status", ""),
                agencies=list(
                    Agency.objects.filter(pk__in=request.POST.getlist("agencies"), is_active=True)
                ),
                purposes=request.POST.getlist("purposes"),
                given_by=request.POST.get("given_by", ""),
                given_on=_parse_date(request.POST.get("given_on", "")),
                evidence=request.POST.get("evidence", ""),
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, "Consent recorded.")
            return redirect("consent:consent_records", person_id=person.pk)
    # Only records that involve the viewer's agency: the evidence can itself be sensitive.
    mine = Q(agencies=request.user.agency_id) | Q(recorded_by_agency=request.user.agency_id)
    records = (
        ConsentRecord.objects.filter(mine, person=person)
        .distinct()
        .prefetch_related("agencies")
        .select_related("recorded_by_agency")
    )
    return render(
        request,
        "consent/consent_records.html",
        {
            "person": person,
            "records": records,
            "errors": errors,
            "agencies": Agency.objects.filter(is_active=True),
            "purposes": ConsentPurpose.choices,
            "statuses": [
                (ConsentRecord.Status.GIVEN, "Given"),
                (ConsentRecord.Status.REFUSED, "Refused"),
            ],
        },
    )


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(ConsentRecord, pk=pk, person__isnull=False)
    _child_or_404(request.user, record.person_id)
    try:
        services.consent_record_withdraw(
            actor=request.user, record=record, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Withdrawal recorded. Consent-based access has ended.")
    return redirect("consent:consent_records", person_id=record.person_id)


# --------------------------------------------------------------------------------- break-glass


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, person_id: int) -> HttpResponse:
    user = request.user
    if not (isinstance(user, User) and user.role == User.Role.MASH_MANAGER):
        raise Http404("No such page")
    person = get_object_or_404(Person, pk=person_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            grant = services.break_glass_open(
                actor=user,
                person_id=person.pk,
                password=request.POST.get("password", ""),
                reason=request.POST.get("reason", ""),
                justification=request.POST.get("justification", ""),
            )
        except (ValidationError, PermissionDenied) as exc:
            errors = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        else:
            messages.warning(
                request,
                f"Break-glass access is open until {grant.expires_at:%H:%M}. The owning "
                "agencies and the IG lead have been told.",
            )
            return redirect("consent:child_access", person_id=person.pk)
    return render(
        request,
        "consent/break_glass.html",
        {
            "person": person,
            "errors": errors,
            "reasons": BreakGlassGrant.Reason.choices,
            "minutes": services.break_glass_minutes(),
        },
    )


@login_required
def break_glass_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A grant, for the manager who opened it and the people who were told about it."""
    grant = get_object_or_404(BreakGlassGrant.objects.select_related("user"), pk=pk)
    user = request.user
    told = Notification.objects.filter(
        recipient_id=user.pk, kind=Notification.Kind.BREAK_GLASS, link=request.path
    ).exists()
    if grant.user_id != user.pk and not told:
        raise Http404("No such grant")
    return render(request, "consent/break_glass_detail.html", {"grant": grant})


# ------------------------------------------------------------------------------- notifications


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = Notification.objects.filter(recipient=request.user)[:100]
    return render(request, "consent/notifications.html", {"notifications": items})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.notification_mark_read(actor=request.user, notification=notification)
    return redirect(notification.link or reverse("consent:notifications"))
