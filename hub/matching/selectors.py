"""Who may see what in matching. Out of scope is a 404, exactly like missing."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from agencies.models import User
from concerns.models import Household, HouseholdMember, Person, SubjectRecord
from hub.matching import conf
from hub.matching.models import CandidateLink, Merge


def _require_mash(user: User) -> list[int]:
    if not user.is_authenticated or not getattr(user, "is_mash_staff", False):
        raise Http404
    return user.area_ids()


def candidate_links_for(user: User) -> QuerySet[CandidateLink]:
    """The review queue of USER's areas (MASH staff only)."""
    return CandidateLink.objects.filter(area_id__in=_require_mash(user))


def merges_for(user: User) -> QuerySet[Merge]:
    return Merge.objects.filter(survivor__area_id__in=_require_mash(user)).select_related(
        "survivor", "absorbed"
    )


def households_for(user: User) -> QuerySet[Household]:
    """Households USER may see: the MASH of the household's area, or an agency that holds a
    record of one of its current members."""
    if not user.is_authenticated or user.agency_id is None:
        return Household.objects.none()
    if getattr(user, "is_mash_staff", False):
        return Household.objects.filter(area_id__in=user.area_ids())
    known = HouseholdMember.objects.filter(
        household=OuterRef("pk"),
        left_on__isnull=True,
        person__records__agency_id=user.agency_id,
    )
    return Household.objects.filter(Exists(known))


def new_adults_for(user: User) -> QuerySet[HouseholdMember]:
    """Adults who joined a household with children in the last NEW_ADULT_DAYS (MASH only)."""
    areas = _require_mash(user)
    since = timezone.now() - timedelta(days=int(conf.get("NEW_ADULT_DAYS")))
    children = HouseholdMember.objects.filter(
        household=OuterRef("household"),
        left_on__isnull=True,
        person__kind=Person.Kind.CHILD,
    )
    return (
        HouseholdMember.objects.filter(
            household__area_id__in=areas,
            person__kind=Person.Kind.ADULT,
            left_on__isnull=True,
            created_at__gte=since,
        )
        .filter(Exists(children))
        .select_related("household", "person", "recorded_by_agency")
        .order_by("-created_at")
    )


def records_of(person_id: int) -> list[SubjectRecord]:
    return list(
        SubjectRecord.objects.filter(person_id=person_id).select_related("agency").order_by("pk")
    )
