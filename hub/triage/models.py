"""The MASH triage queue's items. One open item per child per area at a time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from agencies.models import Area
from concerns.models import Concern, Person


class Band(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


BAND_ORDER = {Band.GREEN: 0, Band.AMBER: 1, Band.RED: 2}


class TriageItem(models.Model):
    class Source(models.TextChoices):
        FLAG = "flag", "Combined-risk flag"
        REFERRAL = "referral", "Direct referral"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "Being looked at"
        DECIDED = "decided", "Decision made"
        TRANSFERRED = "transferred", "Transferred"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="triage_items")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="triage_items")
    source = models.CharField(max_length=16, choices=Source.choices)
    band = models.CharField(max_length=8, choices=Band.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # The combined-risk assessment that raised or last raised the item (ids, not a FK, so the
    # risk app's history can be pruned without touching the queue).
    assessment_id = models.BigIntegerField(null=True, blank=True)
    referral_concern = models.ForeignKey(
        Concern, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "area"],
                condition=Q(status__in=["open", "in_progress"]),
                name="one_open_triage_item_per_child_and_area",
            )
        ]
        indexes = [models.Index(fields=["area", "status", "created_at"])]

    def __str__(self) -> str:
        return f"Triage item {self.pk}"
