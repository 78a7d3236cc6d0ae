"""Relationships that explain why a user looked at a child's records.

Each explainer takes the day's accesses and returns the (actor_id, child_id) pairs it explains.
The audit app imports nothing of the domain apps: models are looked up lazily by label, and an
explainer whose app is not installed explains nothing. Add explainers (e.g. "the user holds an
allocated case for the child") through `settings.AUDIT_ACCESS_EXPLAINERS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps

MASH_ROLES = {"mash_triager", "mash_manager"}


@dataclass(frozen=True)
class Access:
    actor_id: int
    agency_id: int | None
    role: str
    child_id: int


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def agency_holds_concern(accesses: Iterable[Access]) -> set[tuple[int, int]]:
    """The user's agency has recorded a concern about the child (ids only, no concern read)."""
    accesses = list(accesses)
    concern = _model("concerns.Concern")
    if concern is None or not accesses:
        return set()
    agency_ids = {a.agency_id for a in accesses if a.agency_id is not None}
    child_ids = {a.child_id for a in accesses}
    held = set(
        concern.objects.filter(agency_id__in=agency_ids, subject__person_id__in=child_ids)
        .values_list("agency_id", "subject__person_id")
        .distinct()
    )
    return {(a.actor_id, a.child_id) for a in accesses if (a.agency_id, a.child_id) in held}


def child_in_area_triage(accesses: Iterable[Access]) -> set[tuple[int, int]]:
    """A MASH user whose agency serves an area where the child has a triage item."""
    accesses = [a for a in accesses if a.role in MASH_ROLES and a.agency_id is not None]
    item = _model("triage.TriageItem")
    agency = _model("agencies.Agency")
    if item is None or agency is None or not accesses:
        return set()
    child_areas: dict[int, set[int]] = {}
    for person_id, area_id in item.objects.filter(
        person_id__in={a.child_id for a in accesses}
    ).values_list("person_id", "area_id"):
        child_areas.setdefault(person_id, set()).add(area_id)
    agency_areas: dict[int, set[int]] = {}
    for agency_id, area_id in agency.areas.through.objects.filter(
        agency_id__in={a.agency_id for a in accesses}
    ).values_list("agency_id", "area_id"):
        agency_areas.setdefault(agency_id, set()).add(area_id)
    return {
        (a.actor_id, a.child_id)
        for a in accesses
        if child_areas.get(a.child_id, set()) & agency_areas.get(a.agency_id, set())
    }
