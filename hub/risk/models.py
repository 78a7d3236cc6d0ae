"""Combined-risk parameter versions, assessments (append-only) and each child's current one.

* `ParameterSet` — immutable, numbered versions of the scoring parameters. A MASH manager's
  change is a new version; the highest version is in force.
* `Assessment` — one computed version of a child's combined risk. Never updated or deleted;
  each records the parameter version it used and an explanation (concern ids, weights, rules).
* `CurrentAssessment` — one row per child pointing at the assessment on top. It is the row
  recomputes lock: a result only goes on top when the data it read is at least as new as what
  is there (`snapshot_at`), so two racing recomputes never leave an older result on top.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from concerns.models import Person


class Band(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


BAND_RANK = {Band.GREEN.value: 0, Band.AMBER.value: 1, Band.RED.value: 2}


class ParameterSet(models.Model):
    version = models.PositiveIntegerField(unique=True)
    parameters = models.JSONField()
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Risk parameters v{self.version}"


class Assessment(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="risk_assessments")
    version = models.PositiveIntegerField()
    parameter_set = models.ForeignKey(ParameterSet, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    band = models.CharField(max_length=8, choices=Band.choices)
    previous_band = models.CharField(max_length=8, choices=Band.choices, blank=True)
    # {"concerns": [{"id", "w", "via"}...], "rules": [{"code", "points"|"multiplier", "ids"}],
    #  "base": float, "agencies": int, "multiplier": float}
    explanation = models.JSONField()
    # When the data this assessment was computed from was read (the DB clock before the read).
    snapshot_at = models.DateTimeField()
    computed_at = models.DateTimeField()
    # "child" (a recompute after a change), "batch" (the nightly/after-parameters sweep).
    source = models.CharField(max_length=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "version"], name="assessment_version_unique"),
            models.CheckConstraint(condition=Q(score__gte=0), name="assessment_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Assessment v{self.version} of person {self.person_id}"

    @property
    def concern_ids(self) -> list[int]:
        return [c["id"] for c in self.explanation.get("concerns", [])]


class CurrentAssessment(models.Model):
    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, primary_key=True, related_name="current_risk"
    )
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=0)
    score = models.FloatField(default=0)
    band = models.CharField(max_length=8, choices=Band.choices, default=Band.GREEN)
    # A digest of (parameter version, band, concern ids, rules) to skip unchanged results.
    fingerprint = models.CharField(max_length=64, blank=True)
    snapshot_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # The batch path marks a rise here, in the same transaction as the assessment; the triage
    # flag is raised after (`flags_raise_pending`), so a sweep is never held up by the queue's
    # audit chain and a lost worker loses no flag.
    flag_pending = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["band"]),
            models.Index(
                fields=["person"], condition=Q(flag_pending=True), name="risk_head_flag_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"Current assessment of person {self.person_id}"


class TuningPreview(models.Model):
    """What a proposed parameter set would do, worked out before it is saved. Small estates
    are worked out in the request; large ones by a worker (`risk.tuning_preview`)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Working"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    base_version = models.PositiveIntegerField()
    parameters = models.JSONField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Tuning preview {self.pk}"
