"""MASH triage pages. Views fetch through scoped selectors (404 out of scope) and write through
services; they never save a model or decide access themselves."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.models import Agency, Area, User
from concerns.models import Concern
from consent.models import Article6, Article9, Schedule1Reason
from hub.triage import chronology, selectors, services
from hub.triage.models import Band, InformationRequest, Outcome, TriageDecision, TriageItem
from hub.triage.risk_adapter import risk_summary


def _error_list(exc: ValidationError) -> list[dict[str, str]]:
    """ValidationError -> GOV.UK error summary entries [{"field", "text"}]."""
    out = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for text in errors:
                out.append({"field": "" if field == "__all__" else field, "text": text})
    else:
        out = [{"field": "", "text": text} for text in exc.messages]
    return out


def _require_mash(request: HttpRequest) -> None:
    if not request.user.is_mash_staff:
        raise Http404("Not found")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the queue -------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    _require_mash(request)
    user = request.user
    area_ids = selectors.area_ids(user)
    area = _int(request.GET.get("area"))
    if area is not None and area not in area_ids:
        raise Http404("Not found")
    filters = selectors.QueueFilters(
        area=area,
        band=request.GET.get("band", ""),
        assignee=request.GET.get("assignee", ""),
        status=request.GET.get("status", "open") or "open",
        after=selectors.decode_cursor(request.GET.get("after", "")),
    )
    page = selectors.queue_page(user, filters)
    # Display strings prepared here: one pass in Python is cheaper than template lookups.
    band_classes = {
        "red": "govuk-tag--red",
        "amber": "govuk-tag--orange",
        "green": "govuk-tag--green",
    }
    for row in page.rows:
        child = page.names.get(row.person_id)
        row.child_name = child.name if child else "Child"
        row.url = reverse("triage:case", args=[row.pk])
        row.band_class = band_classes.get(row.band, "")
        row.band_label = row.get_band_display()
        row.source_label = row.get_source_display()
        row.status_label = row.get_status_display()
        row.deadline_text = timezone.localtime(row.deadline_at).strftime("%a %-d %b %H:%M")
        row.assignee_name = (
            (row.assignee.get_full_name() or row.assignee.username) if row.assignee else ""
        )
    areas = list(Area.objects.filter(pk__in=area_ids).order_by("name"))
    staff = list(
        User.objects.people()
        .filter(
            is_active=True,
            role__in=[User.Role.MASH_TRIAGER, User.Role.MASH_MANAGER],
            agency__areas__in=area_ids,
        )
        .distinct()
        .order_by("last_name", "username")
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "triage/queue.html",
        {
            "page": page,
            "filters": filters,
            "areas": areas,
            "staff": staff,
            "bands": Band.choices,
            "statuses": [
                ("open", "Open (all)"),
                ("awaiting_signoff", "Awaiting sign-off"),
                ("decided", "Decided"),
                ("transferred", "Transferred"),
                ("all", "All"),
            ],
            "is_manager": user.role == User.Role.MASH_MANAGER,
            "base_query": query.urlencode(),
            "overdue_requests": selectors.overdue_requests_for_items(selectors.items_for(user)),
        },
    )


@login_required
@require_POST
def item_assign(request: HttpRequest, pk: int) -> HttpResponse:
    _require_mash(request)
    item = selectors.item_for(request.user, pk)
    who = request.POST.get("assignee", "")
    assignee = _assignee(request, who)
    try:
        services.triage_item_assign(actor=request.user, item=item, assignee=assignee)
        messages.success(request, "Assignment saved")
    except ValidationError as exc:
        messages.error(request, "; ".join(e["text"] for e in _error_list(exc)))
    return redirect(_safe_next(request, reverse("triage:case", args=[item.pk])))


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """The posted `next` if it is a path on this site, else FALLBACK (no open redirects)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _assignee(request: HttpRequest, who: str) -> User | None:
    if who == "me":
        return request.user
    if who in ("", "none"):
        return None
    assignee = User.objects.filter(pk=_int(who)).first()
    if assignee is None:
        raise Http404("Not found")
    return assignee


@login_required
@require_POST
def items_reassign(request: HttpRequest) -> HttpResponse:
    _require_mash(request)
    if request.user.role != User.Role.MASH_MANAGER:
        raise PermissionDenied("Only a MASH manager can reassign in bulk")
    ids = [i for i in (_int(v) for v in request.POST.getlist("items")) if i is not None]
    # Every selected item must be in scope: one not found is a 404, like any other.
    if selectors.items_for(request.user).filter(pk__in=ids).count() != len(set(ids)):
        raise Http404("Not found")
    assignee = _assignee(request, request.POST.get("assignee", ""))
    try:
        done = services.triage_items_reassign(actor=request.user, item_ids=ids, assignee=assignee)
        messages.success(request, f"{len(done)} item{'s' if len(done) != 1 else ''} reassigned")
    except ValidationError as exc:
        messages.error(request, "; ".join(e["text"] for e in _error_list(exc)))
    return redirect(_safe_next(request, reverse("triage:queue")))


# --- the case --------------------------------------------------------------------------------


def _render_case(
    request: HttpRequest,
    item: TriageItem,
    *,
    errors: list[dict[str, str]] | None = None,
    form: str = "",
    status: int = 200,
) -> HttpResponse:
    # Viewing a case is audited before anything of it is rendered.
    services.case_view_record(actor=request.user, item=item)
    case = selectors.case_for(request.user, item)
    now = timezone.now()
    risk = risk_summary(
        assessment_id=item.assessment_id, person_id=item.person_id, viewer=request.user
    )
    # The explanation names concerns by id only; the viewer learns about those they may see.
    risk_visible = [(row.view, row.weight) for row in risk.rows] if risk else []
    return render(
        request,
        "triage/case.html",
        {
            "case": case,
            "item": item,
            "chronology": chronology.build(case.concerns, case.about, now=now),
            "risk": risk,
            "risk_visible": risk_visible,
            "risk_hidden": risk.hidden if risk else 0,
            "time_left": selectors.describe_time_left(item.deadline_at - now)
            if item.is_open
            else "",
            "overdue": item.is_open and item.deadline_at < now,
            "colleagues": selectors.mash_colleagues(item),
            "agencies": selectors.askable_agencies(item),
            "other_areas": Area.objects.exclude(pk=item.area_id).order_by("name"),
            "outcomes": Outcome.choices,
            "bands": Band.choices,
            "due_choices": sorted(services.REQUEST_DUE_CHOICES.items()),
            "is_manager": request.user.role == User.Role.MASH_MANAGER,
            "errors": errors or [],
            "form": form,
            "post": request.POST if request.method == "POST" else {},
            "pending_decision": next(
                (
                    d
                    for d in reversed(case.decisions)
                    if d.item_id == item.pk
                    and d.requires_signoff
                    and d.signed_off_at is None
                    and d.returned_at is None
                ),
                None,
            ),
        },
        status=status,
    )


@login_required
@require_GET
def case(request: HttpRequest, pk: int) -> HttpResponse:
    _require_mash(request)
    return _render_case(request, selectors.item_for(request.user, pk))


def _case_post(request: HttpRequest, pk: int, form: str, action) -> HttpResponse:
    _require_mash(request)
    item = selectors.item_for(request.user, pk)
    try:
        message = action(item)
    except ValidationError as exc:
        return _render_case(request, item, errors=_error_list(exc), form=form, status=400)
    messages.success(request, message)
    return redirect("triage:case", pk=item.pk)


@login_required
@require_POST
def item_rate(request: HttpRequest, pk: int) -> HttpResponse:
    def act(item: TriageItem) -> str:
        services.triage_item_rate(
            actor=request.user,
            item=item,
            band=request.POST.get("band", ""),
            rationale=request.POST.get("rationale", ""),
        )
        return "Rating changed and deadline recalculated"

    return _case_post(request, pk, "rating", act)


@login_required
@require_POST
def request_create(request: HttpRequest, pk: int) -> HttpResponse:
    def act(item: TriageItem) -> str:
        ids = [i for i in (_int(v) for v in request.POST.getlist("agencies")) if i is not None]
        agencies = list(Agency.objects.filter(pk__in=ids, areas=item.area_id).distinct())
        if len(agencies) != len(set(ids)):
            raise ValidationError({"agencies": ["Choose agencies that serve this area"]})
        created = services.information_request_create(
            actor=request.user,
            item=item,
            agencies=agencies,
            question=request.POST.get("question", ""),
            due_in_minutes=_int(request.POST.get("due")) or 0,
        )
        return f"{len(created)} information request{'s' if len(created) != 1 else ''} sent"

    return _case_post(request, pk, "request", act)


@login_required
@require_POST
def decision_create(request: HttpRequest, pk: int) -> HttpResponse:
    def act(item: TriageItem) -> str:
        area_id = _int(request.POST.get("transfer_to_area"))
        to_area = Area.objects.filter(pk=area_id).first() if area_id else None
        decision = services.triage_decision_record(
            actor=request.user,
            item=item,
            outcome=request.POST.get("outcome", ""),
            rationale=request.POST.get("rationale", ""),
            next_steps=request.POST.get("next_steps", ""),
            transfer_to_area=to_area,
        )
        if decision.requires_signoff and decision.signed_off_at is None:
            return "Decision recorded: a manager must sign it off"
        return "Decision recorded"

    return _case_post(request, pk, "decision", act)


@login_required
@require_POST
def decision_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    _require_mash(request)
    decision = TriageDecision.objects.filter(
        pk=pk, item__in=selectors.items_for(request.user)
    ).first()
    if decision is None:
        raise Http404("Not found")

    def act(item: TriageItem) -> str:
        approve = request.POST.get("approve", "yes") == "yes"
        services.triage_decision_sign_off(
            actor=request.user,
            decision=decision,
            approve=approve,
            note=request.POST.get("note", ""),
        )
        return "Decision signed off" if approve else "Decision returned to the triager"

    return _case_post(request, decision.item_id, "signoff", act)


@login_required
@require_POST
def item_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    def act(item: TriageItem) -> str:
        services.triage_item_reopen(
            actor=request.user, item=item, reason=request.POST.get("reason", "")
        )
        return "Item re-opened"

    return _case_post(request, pk, "reopen", act)


# --- the designated lead's inbox -------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    if request.user.role != User.Role.DESIGNATED_LEAD:
        raise Http404("Not found")
    requests = list(
        selectors.requests_for(request.user)
        .select_related("item__area", "requested_by")
        .order_by("status", "due_at", "pk")[:200]
    )
    names = selectors.identities(r.item.person_id for r in requests)
    now = timezone.now()
    for r in requests:
        r.child = names.get(r.item.person_id)
        r.overdue = r.status == InformationRequest.Status.OPEN and r.due_at < now
        r.time_left = (
            selectors.describe_time_left(r.due_at - now)
            if r.status == InformationRequest.Status.OPEN
            else ""
        )
    return render(request, "triage/inbox.html", {"requests": requests})


@login_required
@require_http_methods(["GET", "POST"])
def request_answer(request: HttpRequest, pk: int) -> HttpResponse:
    info_request = selectors.request_for(request.user, pk)
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        try:
            services.information_request_answer(
                actor=request.user,
                request=info_request,
                answer=request.POST.get("answer", ""),
                response_text=request.POST.get("response_text", ""),
                level=request.POST.get("level", "summary"),
                article6=request.POST.get("article6", ""),
                purpose=request.POST.get("purpose", ""),
                necessity=request.POST.get("necessity", ""),
                article9=request.POST.get("article9", ""),
                schedule1_reason=request.POST.get("schedule1_reason", ""),
                article10=request.POST.get("article10") == "yes",
                dpa_part3=request.POST.get("dpa_part3") == "yes",
                family_told={"yes": True, "no": False}.get(request.POST.get("family_told", "")),
                family_not_told_reason=request.POST.get("family_not_told_reason", ""),
            )
        except ValidationError as exc:
            errors = _error_list(exc)
        else:
            messages.success(request, "Answer sent to the MASH")
            return redirect("triage:inbox")
    services.information_request_view_record(actor=request.user, request=info_request)
    own_records = []
    seen: set[tuple] = set()
    for record in info_request.item.person.records.filter(
        agency_id=request.user.agency_id
    ).order_by("pk"):
        key = (record.display_name, record.date_of_birth, record.external_reference)
        if key not in seen:
            seen.add(key)
            own_records.append(record)
    return render(
        request,
        "triage/request_answer.html",
        {
            "req": info_request,
            "own_records": own_records,
            "child": selectors.identities([info_request.item.person_id]).get(
                info_request.item.person_id
            ),
            "errors": errors,
            "field_errors": {e["field"]: e["text"] for e in reversed(errors) if e["field"]},
            "post": request.POST if request.method == "POST" else {},
            "answers": InformationRequest.Answer.choices,
            "article6_choices": Article6.choices,
            "article9_choices": Article9.choices,
            "schedule1_choices": Schedule1Reason.choices,
            "police": request.user.agency.kind == Agency.Kind.POLICE,
            "overdue": info_request.is_overdue,
        },
        status=400 if errors else 200,
    )


# --- the manager's summary -------------------------------------------------------------------


@login_required
@require_GET
def summary(request: HttpRequest) -> HttpResponse:
    if request.user.role != User.Role.MASH_MANAGER:
        raise Http404("Not found")
    return render(
        request,
        "triage/summary.html",
        {"summary": selectors.manager_summary(request.user)},
    )


# --- referral from a concern -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def refer(request: HttpRequest, concern_id: int) -> HttpResponse:
    concern = (
        Concern.objects.visible_to(request.user)
        .select_related("agency", "subject")
        .filter(pk=concern_id)
        .first()
    )
    if concern is None:
        raise Http404("Not found")
    from consent.policy import present

    view = present(concern)
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        try:
            item, created = services.triage_referral_create(
                actor=request.user, concern_id=concern.pk, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            errors = _error_list(exc)
        else:
            return render(
                request,
                "triage/referred.html",
                {"concern": view, "created": created, "area": item.area},
            )
    return render(
        request,
        "triage/refer.html",
        {
            "concern": view,
            "feedback": selectors.feedback_for_concern(concern),
            "errors": errors,
            "post": request.POST if request.method == "POST" else {},
        },
        status=400 if errors else 200,
    )


@login_required
@require_GET
def my_feedback(request: HttpRequest) -> HttpResponse:
    """What the MASH has done with my agency's concerns: the referrer's closed loop."""
    rows = selectors.concerns_with_feedback(request.user)
    return render(request, "triage/feedback.html", {"rows": rows})
