"""The one visibility rule: how much of each concern each person may see.

Every query that returns concerns goes through `visible_concerns` (reached as
`Concern.objects.visible_to(user)`); single reads use the same queryset, so a concern out of
scope is missing, exactly like one that does not exist (404).

Levels: NONE (invisible), EXISTENCE (that an agency holds something), SUMMARY (agency,
category, level, date), FULL (text and markers).

Foundation rule: a user sees their own agency's concerns in full; nothing else.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from django.db.models import IntegerField, Value

if TYPE_CHECKING:
    from concerns.models import Concern, ConcernQuerySet


class Visibility(IntEnum):
    NONE = 0
    EXISTENCE = 1
    SUMMARY = 2
    FULL = 3


def visible_concerns(user, queryset: ConcernQuerySet) -> ConcernQuerySet:
    """QUERYSET narrowed to what USER may see, annotated with `visibility` (a `Visibility`)."""
    if user is None or not user.is_authenticated or user.agency_id is None:
        return queryset.none()
    return queryset.filter(agency_id=user.agency_id).annotate(
        visibility=Value(int(Visibility.FULL), output_field=IntegerField())
    )


def visibility_of(user, concern: Concern) -> Visibility:
    """The single-object form of the rule; always agrees with `visible_concerns`."""
    from concerns.models import Concern

    row = (
        Concern.objects.filter(pk=concern.pk)
        .visible_to(user)
        .values_list("visibility", flat=True)
        .first()
    )
    return Visibility(row) if row is not None else Visibility.NONE
