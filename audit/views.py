"""IG review screens. Only the information-governance lead sees them; everyone else gets 404.

Reads of the audit trail are themselves audited (`audit.search`; the CSV export as `export`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import (
    DISCLOSURE_ACTIONS,
    VIEW_ACTIONS,
    AccessReport,
    Action,
    AuditEvent,
    BreakGlassReview,
)
from audit.monitoring import access_report_build
from audit.selectors import (
    BIGINT_MAX,
    EventFilterForm,
    child_viewers,
    filter_events,
    keyset_page,
    latest_reviews,
)
from audit.services import audit_record, break_glass_review_record

IG_LEAD = "ig_lead"
EXPORT_MAX_ROWS = getattr(settings, "AUDIT_EXPORT_MAX_ROWS", 100_000)
CSV_COLUMNS = [
    "seq",
    "at",
    "actor_type",
    "actor_id",
    "actor_username",
    "actor_agency_code",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "child_id",
    "lawful_basis",
    "justification",
    "request_id",
    "client_ip",
]


def ig_lead_required(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if getattr(request.user, "role", None) != IG_LEAD:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _filters(request: HttpRequest) -> tuple[EventFilterForm, dict]:
    form = EventFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, data


def _audited_search(
    request: HttpRequest, screen: str, data: dict, child_id: int | None = None
) -> None:
    details = {"screen": screen}
    details.update({k: str(v) for k, v in data.items() if v not in (None, "") and k != "before"})
    audit_record(
        actor=request.user,
        action=Action.AUDIT_SEARCH,
        object_type="audit",
        child_id=child_id or data.get("child") or None,
        details=details,
    )


def _before(request: HttpRequest) -> int | None:
    before = request.GET.get("before", "")
    return min(int(before), BIGINT_MAX) if before.isdigit() and len(before) < 25 else None


def _querystring(request: HttpRequest, **overrides) -> str:
    params = request.GET.copy()
    for key, value in overrides.items():
        params[key] = value
    return params.urlencode()


@ig_lead_required
def event_list(request: HttpRequest) -> HttpResponse:
    form, data = _filters(request)
    page = (
        keyset_page(filter_events(data), data.get("before")) if data or not form.is_bound else None
    )
    _audited_search(request, "events", data)
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "page": page,
            "next_query": _querystring(request, before=page.next_before)
            if page and page.next_before
            else "",
            "export_query": _querystring(request),
        },
    )


@ig_lead_required
def child_access(request: HttpRequest, child_id: int) -> HttpResponse:
    events = AuditEvent.objects.filter(child_id=child_id, action__in=VIEW_ACTIONS)
    page = keyset_page(events, _before(request))
    _audited_search(request, "child_access", {}, child_id=child_id)
    return render(
        request,
        "audit/child_access.html",
        {
            "child_id": child_id,
            "viewers": child_viewers(child_id),
            "page": page,
            "next_query": f"before={page.next_before}" if page.next_before else "",
        },
    )


@ig_lead_required
def disclosures(request: HttpRequest) -> HttpResponse:
    form, data = _filters(request)
    qs = filter_events(data, AuditEvent.objects.filter(action__in=DISCLOSURE_ACTIONS))
    page = keyset_page(qs, data.get("before"))
    _audited_search(request, "disclosures", data)
    return render(
        request,
        "audit/disclosures.html",
        {
            "form": form,
            "page": page,
            "next_query": _querystring(request, before=page.next_before)
            if page.next_before
            else "",
        },
    )


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=BreakGlassReview.Outcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)


@ig_lead_required
def break_glass(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = AuditEvent.objects.filter(action=Action.BREAK_GLASS)
    reviewed = BreakGlassReview.objects.values("event_seq")
    if status == "unreviewed":
        qs = qs.exclude(seq__in=reviewed)
    elif status == "reviewed":
        qs = qs.filter(seq__in=reviewed)
    page = keyset_page(qs, _before(request))
    reviews = latest_reviews([e.seq for e in page.rows])
    _audited_search(request, "break_glass", {"status": status})
    return render(
        request,
        "audit/break_glass.html",
        {
            "rows": [(e, reviews.get(e.seq)) for e in page.rows],
            "page": page,
            "status": status,
            "review_form": ReviewForm(),
            "next_query": _querystring(request, before=page.next_before)
            if page.next_before
            else "",
        },
    )


@ig_lead_required
@require_http_methods(["GET", "POST"])
def break_glass_review(request: HttpRequest, seq: int) -> HttpResponse:
    event = get_object_or_404(AuditEvent, seq=seq, action=Action.BREAK_GLASS)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        break_glass_review_record(
            actor=request.user,
            event_seq=event.seq,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
        return redirect(reverse("audit:break_glass"))
    reviews = list(BreakGlassReview.objects.filter(event_seq=seq).order_by("id"))
    return render(
        request, "audit/break_glass_review.html", {"event": event, "form": form, "reviews": reviews}
    )


def _csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: a cell starting with one of these is quoted as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@ig_lead_required
@require_http_methods(["GET"])
def export_csv(request: HttpRequest) -> HttpResponse:
    form, data = _filters(request)
    if form.is_bound and not form.is_valid():
        return render(request, "audit/event_list.html", {"form": form, "page": None}, status=400)
    # The export is itself an event, written before any row leaves.
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        object_type="audit_csv",
        child_id=data.get("child") or None,
        details={
            "filters": {k: str(v) for k, v in data.items() if v not in (None, "")},
            "max_rows": EXPORT_MAX_ROWS,
        },
    )
    qs = filter_events(data).order_by("-seq").values_list(*CSV_COLUMNS)[:EXPORT_MAX_ROWS]

    def rows() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(CSV_COLUMNS)
        for row in qs.iterator(chunk_size=2000):
            yield writer.writerow([_csv_safe(v) for v in row])

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
    return response


@ig_lead_required
def report_list(request: HttpRequest) -> HttpResponse:
    reports = AccessReport.objects.order_by("-period_start")[:60]
    return render(request, "audit/report_list.html", {"reports": reports})


@ig_lead_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(AccessReport, pk=pk)
    findings = list(report.findings.order_by("kind", "event_seq")[:2000])
    _audited_search(request, "access_report", {"report": pk})
    return render(request, "audit/report_detail.html", {"report": report, "findings": findings})


@ig_lead_required
@require_POST
def report_rebuild(request: HttpRequest) -> HttpResponse:
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        raise Http404 from None
    report = access_report_build(day=day)
    return redirect(reverse("audit:report", args=[report.pk]))
