"""Matching pages for MASH staff (the review queue, merges, new adults) and the household view.

Views fetch through `hub.matching.selectors` and write through `hub.matching.services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import Action
from audit.services import audit_record
from concerns.models import HouseholdMember
from hub.matching import selectors, services
from hub.matching.comparisons import REASON_LABELS
from hub.matching.models import CandidateLink


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    links = (
        selectors.candidate_links_for(request.user)
        .filter(status=CandidateLink.Status.OPEN)
        .order_by("-probability", "created_at")[:200]
    )
    return render(request, "matching/queue.html", {"links": links})


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(selectors.candidate_links_for(request.user), pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        decision = request.POST.get("decision")
        note = request.POST.get("note", "")
        try:
            if decision == "accept":
                services.candidate_link_accept(actor=request.user, link=link, note=note)
                messages.success(request, "Merged: the records are now one person.")
                return redirect("matching:queue")
            if decision == "reject":
                services.candidate_link_reject(actor=request.user, link=link, note=note)
                messages.success(request, "Recorded as different people.")
                return redirect("matching:queue")
            errors.append("Choose whether these are the same person")
        except ValidationError as exc:
            errors.extend(exc.messages)
        except PermissionDenied as exc:
            errors.append(str(exc))
        link.refresh_from_db()
    audit_record(
        actor=request.user,
        action=Action.VIEW_CASE,
        object_type="candidate_link",
        object_id=link.pk,
        child_id=link.candidate_person_id,
    )
    evidence = link.evidence or []
    context = {
        "link": link,
        "errors": errors,
        "new_records": selectors.records_of(link.new_person_id),
        "candidate_records": selectors.records_of(link.candidate_person_id),
        "evidence_for": [e for e in evidence if e["weight"] > 0],
        "evidence_against": [e for e in evidence if e["weight"] < 0],
        "evidence_none": [e for e in evidence if e["weight"] == 0],
        "reasons": [REASON_LABELS.get(r, r) for r in link.reasons],
    }
    return render(request, "matching/review.html", context, status=400 if errors else 200)


@login_required
def merges(request: HttpRequest) -> HttpResponse:
    items = selectors.merges_for(request.user)[:200]
    return render(request, "matching/merges.html", {"merges": items})


@login_required
@require_POST
def unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_object_or_404(selectors.merges_for(request.user), pk=pk)
    try:
        services.person_unmerge(
            actor=request.user, merge=merge, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        items = selectors.merges_for(request.user)[:200]
        context = {"merges": items, "errors": exc.messages}
        return render(request, "matching/merges.html", context, status=400)
    messages.success(request, "Merge undone: each agency record is back with its person.")
    return redirect("matching:merges")


@login_required
def new_adults(request: HttpRequest) -> HttpResponse:
    members = selectors.new_adults_for(request.user)[:200]
    return render(request, "matching/new_adults.html", {"members": members})


@login_required
def household(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(selectors.households_for(request.user), pk=pk)
    is_mash = getattr(request.user, "is_mash_staff", False)
    rows = []
    members = (
        HouseholdMember.objects.filter(household=item, left_on__isnull=True)
        .select_related("person")
        .order_by("person__kind", "pk")
    )
    for member in members:
        records = selectors.records_of(member.person_id)
        own = [r for r in records if r.agency_id == request.user.agency_id]
        shown = records[0] if is_mash and records else (own[0] if own else None)
        rows.append(
            {
                "member": member,
                "name": shown.display_name if shown else "",
                "agencies": sorted({r.agency.name for r in records}),
            }
        )
    audit_record(
        actor=request.user,
        action=Action.VIEW_CASE,
        object_type="household",
        object_id=item.pk,
        details={"members": [row["member"].person_id for row in rows]},
    )
    return render(request, "matching/household.html", {"household": item, "rows": rows})
