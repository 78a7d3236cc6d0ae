"""The MASH triage queue: items, RAG timescales, information requests, decisions, feedback.

One open item per child per area at a time. Items are written only by `hub.triage.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from agencies.models import Agency, Area
from concerns.models import Concern, Person


class Band(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


BAND_ORDER = {Band.GREEN: 0, Band.AMBER: 1, Band.RED: 2}

# Default RAG timescales in working minutes (Surrey/Oxfordshire practice: red 4 working hours,
# amber one working day, green three working days). An area overrides them with `RagTimescale`.
DEFAULT_TIMESCALE_MINUTES = {Band.RED: 4 * 60, Band.AMBER: 8 * 60, Band.GREEN: 3 * 8 * 60}

OPEN_STATUS_VALUES = ["open", "in_progress", "awaiting_signoff"]


class TriageItem(models.Model):
    class Source(models.TextChoices):
        FLAG = "flag", "Combined-risk flag"
        REFERRAL = "referral", "Direct referral"
        TRANSFER = "transfer", "Transfer from another area"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "Being looked at"
        AWAITING_SIGNOFF = "awaiting_signoff", "Awaiting manager sign-off"
        DECIDED = "decided", "Decision made"
        TRANSFERRED = "transferred", "Transferred"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.AWAITING_SIGNOFF)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="triage_items")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="triage_items")
    source = models.CharField(max_length=16, choices=Source.choices)
    band = models.CharField(max_length=8, choices=Band.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # The combined-risk assessment that raised or last raised the item (ids, not a FK, so the
    # risk app's history can be pruned without touching the queue).
    assessment_id = models.BigIntegerField(null=True, blank=True)
    # Concerns that brought the child here (the assessment's contributors, or the referring
    # concern): their agencies hear back through `selectors.feedback_for_concern`.
    contributing_concern_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    referral_concern = models.ForeignKey(
        Concern, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="triage_assignments",
    )
    # The RAG clock: started at creation (or at re-opening); the deadline is that plus the
    # band's working-time allowance for the area.
    clock_started_at = models.DateTimeField()
    deadline_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set whenever concerns join the item; the acknowledgement task clears it.
    acknowledgement_pending = models.BooleanField(default=True)
    transferred_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="transferred_into"
    )
    transferred_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "area"],
                condition=Q(status__in=OPEN_STATUS_VALUES),
                name="one_open_triage_item_per_child_and_area",
            )
        ]
        indexes = [
            models.Index(fields=["area", "status", "created_at"]),
            # The queue: keyset pages over (deadline, id), open items only.
            models.Index(
                fields=["area", "deadline_at", "id"],
                condition=Q(status__in=OPEN_STATUS_VALUES),
                name="triage_open_area_deadline",
            ),
            models.Index(
                fields=["deadline_at", "id"],
                condition=Q(status__in=OPEN_STATUS_VALUES),
                name="triage_open_deadline",
            ),
            models.Index(fields=["area", "status", "deadline_at", "id"], name="triage_queue"),
            GinIndex(fields=["contributing_concern_ids"], name="triage_contributing_gin"),
            models.Index(
                fields=["created_at"],
                condition=Q(acknowledgement_pending=True),
                name="triage_ack_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Triage item {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class RagTimescale(models.Model):
    """An area's allowance for a band, in working minutes (data: edit in the admin)."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="rag_timescales")
    band = models.CharField(max_length=8, choices=Band.choices)
    working_minutes = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "band"], name="one_timescale_per_area_band"),
            models.CheckConstraint(condition=Q(working_minutes__gt=0), name="timescale_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.band}: {self.working_minutes} working minutes"


class BankHoliday(models.Model):
    """A day the working-time clock does not run (England and Wales dates loaded by migration)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class RatingChange(models.Model):
    """A person changed an item's RAG band. The rationale is required."""

    item = models.ForeignKey(TriageItem, on_delete=models.PROTECT, related_name="rating_changes")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    changed_at = models.DateTimeField()
    from_band = models.CharField(max_length=8, choices=Band.choices)
    to_band = models.CharField(max_length=8, choices=Band.choices)
    rationale = models.TextField()

    class Meta:
        ordering = ["changed_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(rationale=""), name="rating_change_has_rationale")
        ]

    def __str__(self) -> str:
        return f"Rating change {self.pk} of item {self.item_id}"


class Outcome(models.TextChoices):
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    UNIVERSAL_SERVICES = "universal_services", "Universal services"
    EARLY_HELP = "early_help", "Early help"
    CHILD_IN_NEED = "child_in_need", "Child in need (s17)"
    STRATEGY_S47 = "strategy_s47", "Strategy discussion / s47 enquiry"
    POLICE_ACTION = "police_action", "Police action"
    TRANSFER = "transfer", "Transfer to another area"


class TriageDecision(models.Model):
    """What the MASH decided about an item, why, and who. Red items need a manager's sign-off."""

    item = models.ForeignKey(TriageItem, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    rationale = models.TextField()
    next_steps = models.TextField(blank=True)
    transfer_to_area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    decided_at = models.DateTimeField()
    band_at_decision = models.CharField(max_length=8, choices=Band.choices)
    deadline_at = models.DateTimeField()
    within_deadline = models.BooleanField()
    requires_signoff = models.BooleanField(default=False)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signoff_note = models.TextField(blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopen_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(rationale=""), name="decision_has_rationale"),
            models.CheckConstraint(
                condition=~Q(outcome="transfer") | Q(transfer_to_area__isnull=False),
                name="transfer_decision_names_area",
            ),
        ]
        indexes = [models.Index(fields=["decided_at"])]

    def __str__(self) -> str:
        return f"Decision {self.pk} on item {self.item_id}"

    @property
    def is_final(self) -> bool:
        return (not self.requires_signoff or self.signed_off_at is not None) and not (
            self.returned_at or self.reopened_at
        )


class InformationRequest(models.Model):
    """The MASH asks an agency what it holds about the child; its designated lead answers."""

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting answer"
        ANSWERED = "answered", "Answered"

    class Answer(models.TextChoices):
        SHARED = "shared", "Shared"
        NOTHING_HELD = "nothing_held", "Nothing relevant held"
        DECLINED = "declined", "Declined to share"

    item = models.ForeignKey(
        TriageItem, on_delete=models.PROTECT, related_name="information_requests"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="information_requests"
    )
    question = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    answer = models.CharField(max_length=16, choices=Answer.choices, blank=True)
    share_level = models.CharField(max_length=16, blank=True)
    article6 = models.CharField(max_length=32, blank=True)
    purpose = models.TextField(blank=True)
    necessity = models.TextField(blank=True)
    response_text = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # The consent app's sharing decision recorded with the answer (an id: consent owns it).
    sharing_decision_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "agency"],
                condition=Q(status="open"),
                name="one_open_request_per_item_and_agency",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(answered_at__isnull=False) & ~Q(answer="")),
                name="answered_request_has_answer",
            ),
        ]
        indexes = [models.Index(fields=["agency", "status", "due_at"])]

    def __str__(self) -> str:
        return f"Information request {self.pk} to agency {self.agency_id}"

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.status == self.Status.OPEN and self.due_at < timezone.now()


class Acknowledgement(models.Model):
    """The MASH told a referring agency it has its concern (due within one working day)."""

    item = models.ForeignKey(TriageItem, on_delete=models.PROTECT, related_name="acknowledgements")
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "concern"], name="one_ack_per_item_concern")
        ]

    def __str__(self) -> str:
        return f"Acknowledgement {self.pk} of concern {self.concern_id}"

    @property
    def on_time(self) -> bool:
        return self.sent_at <= self.due_at
