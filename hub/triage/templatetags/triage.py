"""`{% triage_feedback concern %}`: the MASH's feedback on a concern, for its own agency only."""

from __future__ import annotations

from typing import Any

from django import template

from hub.triage.selectors import feedback_for_concern
from hub.triage.services import referral_allowed

register = template.Library()


@register.inclusion_tag("triage/_feedback.html", takes_context=True)
def triage_feedback(context: dict[str, Any], concern: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    agency_id = getattr(concern, "agency_id", None)
    if user is None or agency_id is None or user.agency_id != agency_id:
        return {"feedback": None}
    from concerns.models import Concern

    if not isinstance(concern, Concern):
        concern = Concern(pk=concern.id, agency_id=agency_id)
    return {"feedback": feedback_for_concern(concern)}


@register.inclusion_tag("triage/_refer_button.html", takes_context=True)
def triage_refer_button(context: dict[str, Any], view: Any) -> dict[str, Any]:
    """The "Refer to the MASH" button on a concern page the viewer can already see, shown when
    the referral service would accept the viewer (`referral_allowed`) and the concern stands."""
    request = context.get("request")
    user = getattr(request, "user", None)
    show = referral_allowed(user) and getattr(view, "status", None) != "withdrawn"
    return {"concern_id": view.id, "show": show}
