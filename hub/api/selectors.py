"""Reads for the API, all built on `Concern.objects.visible_to(user)` and `present()`.

Triage feedback is read defensively: the triage work is extending its models in parallel, so
only what `hub.triage` offers at import time is used.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from concerns.models import Concern, ConcernQuerySet
from consent.policy import Visibility, present

_ABOVE_EXISTENCE = (
    "external_reference",
    "contact",
    "category",
    "category_label",
    "level",
    "occurred_at",
    "status",
    "text",
    "markers",
    "family_knows",
    "consent_status",
    "triage",
)
VISIBILITY_NAMES = {
    Visibility.EXISTENCE: "existence",
    Visibility.SUMMARY: "summary",
    Visibility.FULL: "full",
}


def agency_concerns(user: Any) -> ConcernQuerySet:
    """The reader's own agency's concerns, as far as the consent rule lets the reader see them."""
    return (
        Concern.objects.visible_to(user)
        .filter(agency_id=user.agency_id)
        .select_related("agency", "subject")
    )


def child_concerns(user: Any, child_id: int) -> ConcernQuerySet:
    """Every concern about the child (and about people merged into it) the reader may see."""
    from django.db.models import Q

    return (
        Concern.objects.visible_to(user)
        .filter(Q(subject__person_id=child_id) | Q(subject__person__merged_into_id=child_id))
        .select_related("agency", "subject")
        .order_by("occurred_at", "pk")
    )


def triage_feedback(concerns: Iterable[Concern]) -> dict[int, dict[str, Any]]:
    """What the MASH tells the referring agency about each concern, keyed by concern id.

    Uses the triage app's `feedback_for_concern` (the same words the browser shows).
    """
    from hub.triage.selectors import feedback_for_concerns

    return {
        pk: {
            "status": feedback.key,
            "label": feedback.label,
            "area": feedback.area_name,
            "since": feedback.since,
            "acknowledged_at": feedback.acknowledged_at,
        }
        for pk, feedback in feedback_for_concerns(concerns).items()
    }


def represent(
    concern: Concern, viewer: Any, triage: dict[int, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """CONCERN as the API shows it to VIEWER: `present()` plus, for the viewer's own agency,
    its reference and the MASH's progress."""
    if getattr(concern, "visibility", None) is None:
        # Recorded but not visible to its own submitter under the agency's settings.
        return {
            **dict.fromkeys(_ABOVE_EXISTENCE),
            "id": concern.pk,
            "visibility": "existence",
            "agency_id": concern.agency_id,
            "agency_name": concern.agency.name,
            "child_id": concern.subject.person_id,
        }
    view = present(concern)
    own = concern.agency_id == viewer.agency_id and view.is_full
    return {
        "id": view.id,
        "visibility": VISIBILITY_NAMES[view.visibility],
        "agency_id": view.agency_id,
        "agency_name": view.agency_name,
        "child_id": view.person_id,
        "external_reference": concern.external_reference if own else None,
        "contact": view.contact,
        "category": view.category,
        "category_label": view.category_label,
        "level": view.level,
        "occurred_at": view.occurred_at,
        "status": view.status,
        "text": view.text,
        "markers": view.markers,
        "family_knows": view.family_knows,
        "consent_status": view.consent_status,
        "triage": (triage or {}).get(view.id) if own else None,
    }
