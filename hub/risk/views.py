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
from hub.risk.models import ParameterSet, TuningPreview
from hub.risk.parameters import validate_parameters
from hub.risk.selectors import child_risk_for
from hub.risk.services import (
    Preview,
    parameter_set_create,
    parameter_set_current,
    tuning_preview_request,
)


@login_required
def child_risk(request: HttpRequest, child_id: int) -> HttpResponse:
    risk = child_risk_for(viewer=request.user, child_id=child_id)
    context: dict[str, Any] = {
        "child": risk.child,
        "assessment": risk.assessment,
        "is_mash": risk.is_mash,
    }
    if risk.assessment is not None:
        context.update(
            rows=[{"view": r.view, "weight": r.weight, "via": r.via} for r in risk.rows],
            hidden=risk.hidden,
            rules=[{"label": r.label, "detail": r.detail} for r in risk.rules],
        )
        if risk.is_mash:
            context["history"] = risk.history
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
