"""Writes to the triage queue. Each takes the actor (None for the system) and audits."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import Action
from audit.services import audit_record
from consent.services import mash_involvement_open
from hub.triage.models import BAND_ORDER, Band, TriageItem


def triage_item_raise_for_flag(
    *, person_id: int, area_id: int, band: str, assessment_id: int | None, reason: str = ""
) -> tuple[TriageItem, bool]:
    """Put a flagged child in front of the area's MASH: one open item, never one per recompute.

    Returns (item, created). An open item whose band is lower is raised to BAND; a lower band
    never lowers it (that is a person's decision, with a rationale).
    """
    if band not in (Band.AMBER, Band.RED):
        raise ValueError("only amber and red flags raise triage items")
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                # The child is now in this area's MASH triage: the MASH rule (consent) applies.
                mash_involvement_open(
                    actor=None, person_id=person_id, area_id=area_id, reason="combined-risk flag"
                )
                item = (
                    TriageItem.objects.select_for_update()
                    .filter(
                        person_id=person_id, area_id=area_id, status__in=TriageItem.OPEN_STATUSES
                    )
                    .first()
                )
                if item is not None:
                    if BAND_ORDER[Band(band)] > BAND_ORDER[Band(item.band)]:
                        previous = item.band
                        item.band, item.assessment_id, item.updated_at = band, assessment_id, now
                        item.save(update_fields=["band", "assessment_id", "updated_at"])
                        audit_record(
                            actor=None,
                            action=Action.TRIAGE_FLAG,
                            object_type="triage_item",
                            object_id=item.pk,
                            child_id=person_id,
                            details={"band": band, "previous_band": previous, "raised": True},
                        )
                    return item, False
                item = TriageItem.objects.create(
                    person_id=person_id,
                    area_id=area_id,
                    source=TriageItem.Source.FLAG,
                    band=band,
                    assessment_id=assessment_id,
                    reason=reason,
                    created_at=now,
                    updated_at=now,
                )
                audit_record(
                    actor=None,
                    action=Action.TRIAGE_FLAG,
                    object_type="triage_item",
                    object_id=item.pk,
                    child_id=person_id,
                    details={"band": band, "assessment_id": assessment_id},
                )
                return item, True
        except IntegrityError:
            # A racing task created the open item first; the second pass finds it.
            continue
    raise RuntimeError("could not raise triage item")
