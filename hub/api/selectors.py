"""Reads for the API, all built on `Concern.objects.visible_to(user)` and `present()`.

Triage progress is read defensively: the triage work is extending its models in parallel, so
only what `hub.triage.models` offers at import time is used.
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


def triage_progress(person_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The latest MASH triage item's progress for each person, keyed by person id.

    Feedback to referrers is added when the triage app provides `feedback_for_people`
    (ids → list of messages); until then the list is omitted.
    """
    ids = set(person_ids)
    if not ids:
        return {}
    try:
        from hub.triage.models import TriageItem
    except ImportError:  # pragma: no cover - triage is installed in every deployment
        return {}
    progress: dict[int, dict[str, Any]] = {}
    for item in TriageItem.objects.filter(person_id__in=ids).order_by("person_id", "-updated_at"):
        progress.setdefault(item.person_id, {"status": item.status, "updated_at": item.updated_at})
    try:
        from hub.triage.selectors import feedback_for_people  # type: ignore[import-not-found]
    except ImportError:
        return progress
    for person_id, messages in feedback_for_people(set(progress)).items():
        if person_id in progress:
            progress[person_id]["feedback"] = list(messages)
    return progress


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
        "triage": (triage or {}).get(view.person_id) if own else None,
    }
