"""What matching keeps: trained parameter versions, the review queue, and the merge history.

All writes go through `hub.matching.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from agencies.models import Area
from concerns.models import Person


class MatchParameters(models.Model):
    """One trained version of the Fellegi–Sunter parameters (m, u, lambda, term frequencies).

    Trained by `manage.py train_matching`, never on a request. Exactly one version is active;
    before any training the built-in defaults in `hub.matching.fs` are used (version 0).
    """

    version = models.PositiveIntegerField(unique=True)
    is_active = models.BooleanField(default=False)
    parameters = models.JSONField()
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "match parameters"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_match_params"
            )
        ]

    def __str__(self) -> str:
        return f"Match parameters v{self.version}"


class CandidateLink(models.Model):
    """A possible match for MASH staff to decide: are these two hub people one child?

    Raised when a new agency record scores between the thresholds against an existing person
    (or above the upper one on weak evidence). `new_person` is the person the record was given
    meanwhile; accepting merges it into `candidate_person`.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a decision"
        ACCEPTED = "accepted", "Same person: merged"
        REJECTED = "rejected", "Different people"
        WITHDRAWN = "withdrawn", "No longer applies"

    new_person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    candidate_person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="candidate_links"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    weight = models.FloatField()
    probability = models.FloatField()
    # [{"comparison", "label", "level", "level_label", "weight"}] — levels and bits, no values.
    evidence = models.JSONField(default=list)
    # Codes from `hub.matching.comparisons.REASON_LABELS` (bad input on either record).
    reasons = models.JSONField(default=list)
    parameters_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-probability", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["new_person", "candidate_person"],
                condition=Q(status="open"),
                name="one_open_candidate_link_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(new_person=models.F("candidate_person")),
                name="candidate_link_two_people",
            ),
        ]
        indexes = [models.Index(fields=["area", "status", "created_at"])]

    def __str__(self) -> str:
        return f"Candidate link {self.pk}"


class Merge(models.Model):
    """One merge of `absorbed` into `survivor`, with exactly what moved, so it can be undone."""

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    absorbed = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    candidate_link = models.ForeignKey(
        CandidateLink, on_delete=models.PROTECT, null=True, blank=True, related_name="merges"
    )
    reason = models.TextField()
    # Ids of the absorbed person's subject records and household memberships that moved.
    record_ids = models.JSONField(default=list)
    membership_ids = models.JSONField(default=list)
    merged_at = models.DateTimeField()
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unmerged_at = models.DateTimeField(null=True, blank=True)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unmerge_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-merged_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["absorbed"],
                condition=Q(unmerged_at__isnull=True),
                name="one_live_merge_per_absorbed_person",
            ),
            models.CheckConstraint(
                condition=Q(unmerged_at__isnull=True) | ~Q(unmerge_reason=""),
                name="unmerge_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Merge {self.pk}: {self.absorbed_id} into {self.survivor_id}"
