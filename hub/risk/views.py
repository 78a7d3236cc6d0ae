"""Pages: a child's combined-risk explanation, and the MASH managers' tuning screen.

Every concern shown goes through `Concern.objects.visible_to(user)` and `consent.policy.present`;
a concern the viewer may not see is never named, and a child none of whose concerns the viewer
can see is a 404 (unless the viewer is MASH staff for the child's area).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from agencies.models import User
from audit.models import Action
from audit.services import audit_record
from concerns.models import Concern, Person
from consent.policy import present
from hub.risk.models import Assessment, CurrentAssessment, ParameterSet, TuningPreview
from hub.risk.parameters import validate_parameters
from hub.risk.scoring import RULE_LABELS
from hub.risk.services import (
    Preview,
    parameter_set_create,
    parameter_set_current,
    tuning_preview_request,
)

VIA_LABELS = {
    "child": "About the child",
    "adult": "About an adult in the household",
    "sibling": "About another child in the household",
}


def _is_area_mash(user: User, child: Person) -> bool:
    return bool(user.is_mash_staff and child.area_id and child.area_id in user.area_ids())


@login_required
def child_risk(request: HttpRequest, child_id: int) -> HttpResponse:
    child = Person.objects.filter(
        pk=child_id, kind=Person.Kind.CHILD, merged_into__isnull=True
    ).first()
    if child is None:
        raise Http404
    user = request.user
    is_mash = _is_area_mash(user, child)
    if (
        not is_mash
        and not Concern.objects.visible_to(user).filter(subject__person_id=child.pk).exists()
    ):
        raise Http404
    head = (
        CurrentAssessment.objects.filter(pk=child.pk)
        .select_related("assessment__parameter_set")
        .first()
    )
    assessment: Assessment | None = head.assessment if head else None
    context: dict[str, Any] = {"child": child, "assessment": assessment, "is_mash": is_mash}
    shown_ids: list[int] = []
    if assessment is not None:
        explanation = assessment.explanation
        wanted = {c["id"] for c in explanation["concerns"]}
        for rule in explanation["rules"]:
            wanted.update(rule["ids"])
        views = {
            c.pk: present(c)
            for c in Concern.objects.visible_to(user)
            .filter(pk__in=wanted)
            .select_related("agency", "subject")
        }
        rows, hidden = [], 0
        for item in explanation["concerns"]:
            view = views.get(item["id"])
            if view is None:
                hidden += 1
                continue
            rows.append({"view": view, "weight": item["w"], "via": VIA_LABELS[item["via"]]})
        rules = []
        for rule in explanation["rules"]:
            if is_mash or all(i in views for i in rule["ids"]):
                detail = (
                    f"× {rule['multiplier']:g} ({rule['agencies']} agencies)"
                    if rule["code"] == "jigsaw"
                    else f"+ {rule['points']:.2f} points"
                )
                rules.append(
                    {"label": RULE_LABELS.get(rule["code"], rule["code"]), "detail": detail}
                )
        shown_ids = sorted(views)
        context.update(rows=rows, hidden=hidden, rules=rules)
        if is_mash:
            context["history"] = (
                Assessment.objects.filter(person=child)
                .select_related("parameter_set")
                .order_by("-version")[:20]
            )
    audit_record(
        actor=user,
        action=Action.VIEW_CASE,
        object_type="risk_assessment",
        object_id=assessment.pk if assessment else "",
        child_id=child.pk,
        details={"concern_ids": shown_ids, "score_shown": is_mash},
    )
    return render(request, "risk/child.html", context)


def _require_manager(user: User) -> None:
    if getattr(user, "role", None) != User.Role.MASH_MANAGER:
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def tuning(request: HttpRequest) -> HttpResponse:
    _require_manager(request.user)
    current = parameter_set_current()
    context: dict[str, Any] = {
        "current": current,
        "versions": ParameterSet.objects.order_by("-version")[:20],
        "errors": [],
        "note": "",
        "text": json.dumps(current.parameters, indent=2),
    }
    preview_id = request.GET.get("preview", "")
    if request.method == "GET" and preview_id.isdigit():
        preview = TuningPreview.objects.filter(pk=int(preview_id)).first()
        if preview is None:
            raise Http404
        context["text"] = json.dumps(preview.parameters, indent=2)
        context["pending"] = preview.status == TuningPreview.Status.PENDING
        context["failed"] = preview.status == TuningPreview.Status.FAILED
        context["preview_id"] = preview.pk
        if preview.status == TuningPreview.Status.DONE:
            context["preview"] = Preview.from_json(preview.result)
            context["stale"] = preview.base_version != current.version
    if request.method == "POST":
        text = request.POST.get("parameters", "")
        note = request.POST.get("note", "")
        preview_field = request.POST.get("preview", "")
        if not preview_field.isdigit():
            preview_field = ""
        context.update(text=text, note=note, preview_id=preview_field)
        try:
            proposed = json.loads(text)
        except json.JSONDecodeError as exc:
            context["errors"] = [f"The parameters are not JSON: {exc.msg} (line {exc.lineno})"]
            return render(request, "risk/tuning.html", context, status=400)
        try:
            if request.POST.get("action") == "save":
                clean = validate_parameters(proposed)
                previewed = TuningPreview.objects.filter(
                    pk=int(request.POST.get("preview") or 0),
                    status=TuningPreview.Status.DONE,
                    base_version=current.version,
                ).first()
                if previewed is None or previewed.parameters != clean:
                    raise ValidationError("Preview these parameters before saving them")
                if not note.strip():
                    raise ValidationError("Say why the parameters are changing")
                saved = parameter_set_create(actor=request.user, parameters=clean, note=note)
                messages.success(request, f"Saved as version {saved.version}")
                return redirect("risk:tuning")
            preview = tuning_preview_request(actor=request.user, parameters=proposed)
        except ValidationError as exc:
            context["errors"] = exc.messages
            return render(request, "risk/tuning.html", context, status=400)
        return redirect(f"{reverse('risk:tuning')}?preview={preview.pk}")
    return render(request, "risk/tuning.html", context)
