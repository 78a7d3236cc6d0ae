"""The one visibility rule: how much of each concern each person may see.

Every query that returns concerns goes through `visible_concerns` (reached as
`Concern.objects.visible_to(user)`); single reads use the same queryset, so a concern out of
scope is missing, exactly like one that does not exist (404).

Levels: NONE (invisible), EXISTENCE (that an agency holds something), SUMMARY (agency,
category, level, date), FULL (text and markers).

Foundation rule: a user sees their own agency's concerns in full; nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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


@dataclass(frozen=True)
class ConcernView:
    """What a viewer may be shown of one concern. Fields above their level are None.

    HTML views, the API, the triage case view, exports and risk explanations all render
    concerns through `present`, so no template or serializer decides access by itself.
    """

    id: int
    visibility: Visibility
    agency_id: int
    agency_name: str
    person_id: int
    contact: str | None = None  # EXISTENCE: whom to ask
    category: str | None = None  # SUMMARY and above
    category_label: str | None = None
    level: int | None = None
    occurred_at: datetime | None = None
    status: str | None = None
    text: str | None = None  # FULL only
    markers: dict[str, bool] | None = None
    family_knows: str | None = None
    consent_status: str | None = None
    author_id: int | None = None

    @property
    def is_full(self) -> bool:
        return self.visibility >= Visibility.FULL

    @property
    def is_summary(self) -> bool:
        return self.visibility >= Visibility.SUMMARY


def designated_lead_contact(agency) -> str:
    from agencies.models import User

    lead = (
        User.objects.filter(agency=agency, role=User.Role.DESIGNATED_LEAD, is_active=True)
        .order_by("pk")
        .first()
    )
    if lead is None:
        return f"the safeguarding lead at {agency.name}"
    name = lead.get_full_name() or lead.username
    return f"{name}, designated lead at {agency.name}"


def present(concern: Concern) -> ConcernView:
    """CONCERN (fetched through `visible_to`, so annotated) reduced to its viewer's level."""
    level = Visibility(getattr(concern, "visibility", Visibility.NONE))
    if level == Visibility.NONE:
        raise ValueError("present() needs a concern fetched through visible_to(user)")
    base = {
        "id": concern.pk,
        "visibility": level,
        "agency_id": concern.agency_id,
        "agency_name": concern.agency.name,
        "person_id": concern.subject.person_id,
    }
    if level == Visibility.EXISTENCE:
        return ConcernView(**base, contact=designated_lead_contact(concern.agency))
    summary = {
        "category": concern.category,
        "category_label": concern.get_category_display(),
        "level": concern.level,
        "occurred_at": concern.occurred_at,
        "status": concern.status,
    }
    if level == Visibility.SUMMARY:
        return ConcernView(**base, **summary)
    return ConcernView(
        **base,
        **summary,
        text=concern.text,
        markers={
            "health": concern.marker_health,
            "do_not_disclose_family": concern.marker_do_not_disclose_family,
            "police_investigation": concern.marker_police_investigation,
            "sealed": concern.marker_sealed,
        },
        family_knows=concern.family_knows,
        consent_status=concern.consent_status,
        author_id=concern.author_id,
    )
