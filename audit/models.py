"""The audit event: append-only, hash-chained. Rows hold ids, never concern text or names."""

from __future__ import annotations

from django.db import models


class Action(models.TextChoices):
    VIEW_CONCERN = "concern.view", "Viewed a concern"
    VIEW_CHRONOLOGY = "chronology.view", "Viewed a chronology"
    VIEW_CASE = "case.view", "Viewed a case"
    CONCERN_CREATE = "concern.create", "Recorded a concern"
    CONCERN_AMEND = "concern.amend", "Amended a concern"
    CONCERN_WITHDRAW = "concern.withdraw", "Withdrew a concern"
    SHARE = "share.decision", "Decided to share"
    SHARE_REFUSED = "share.refused", "Decided not to share"
    SHARE_REVOKED = "share.revoked", "Revoked a sharing decision"
    CONSENT_RECORDED = "consent.recorded", "Recorded consent"
    CONSENT_WITHDRAWN = "consent.withdrawn", "Recorded withdrawal of consent"
    INFO_REQUEST = "info_request", "Information request"
    TRIAGE_FLAG = "triage.flag", "Child flagged for MASH triage"
    TRIAGE_REFERRAL = "triage.referral", "Child referred to the MASH"
    TRIAGE_DECISION = "triage.decision", "Triage decision"
    BREAK_GLASS = "break_glass", "Break-glass access"
    EXPORT = "export", "Export"
    SEARCH = "search", "Search"
    LOGIN = "auth.login", "Signed in"
    LOGOUT = "auth.logout", "Signed out"
    LOGIN_FAILED = "auth.login_failed", "Failed sign-in"
    PERMISSION_CHANGE = "permission.change", "Changed a permission"
    MERGE = "record.merge", "Merged records"
    UNMERGE = "record.unmerge", "Unmerged records"
    SUBJECT_CREATE = "subject.create", "Recorded a person"
    IMPORT = "import", "Imported a file"
    BREAK_GLASS_REVIEW = "break_glass.review", "Reviewed a break-glass use"
    AUDIT_SEARCH = "audit.search", "Searched the audit trail"
    RISK_PARAMETERS = "risk.parameters", "Saved combined-risk parameters"
    RISK_PREVIEW = "risk.preview", "Previewed combined-risk parameters"
    MATCH_REVIEW_QUEUED = "match.review_queued", "Queued a possible match for review"
    MATCH_REJECTED = "match.rejected", "Judged two records to be different people"
    MATCH_PARAMETERS = "match.parameters", "Saved matching parameters"


# Actions that read a child's records: "who has seen this child's records" and monitoring.
VIEW_ACTIONS = (
    Action.VIEW_CONCERN,
    Action.VIEW_CHRONOLOGY,
    Action.VIEW_CASE,
    Action.SEARCH,
    Action.EXPORT,
    Action.BREAK_GLASS,
)
# Actions that disclose (or decide not to disclose) information, with a lawful basis.
DISCLOSURE_ACTIONS = (
    Action.SHARE,
    Action.SHARE_REFUSED,
    Action.SHARE_REVOKED,
    Action.INFO_REQUEST,
    Action.EXPORT,
)


class AuditEvent(models.Model):
    """One thing somebody did or saw. Written only by `audit.services.audit_record`.

    The table is owned by the NOLOGIN role `hub_audit` and created by this app's migrations
    (`managed = False` keeps Django's test flush, which truncates, away from it). PostgreSQL
    assigns `seq`, `at`, `prev_hash` and `hash` in a BEFORE INSERT trigger, under an advisory
    lock, so appends are serialised and the chain never forks: `hash = SHA-256(prev_hash ||
    audit_canonical(event))`, the canonical text built by one SQL function (docs/audit.md).
    """

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    # The actor, copied at the moment of the event: deleting or changing a user never
    # cascades into, or changes, the audit.
    actor_type = models.CharField(max_length=16)  # "user", "api_client", "system"
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_agency_id = models.BigIntegerField(null=True)
    actor_agency_code = models.CharField(max_length=32, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    child_id = models.BigIntegerField(null=True)
    lawful_basis = models.CharField(max_length=64, blank=True)
    justification = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(null=True)
    prev_hash = models.BinaryField()
    hash = models.BinaryField()

    class Meta:
        managed = False
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    @property
    def hash_hex(self) -> str:
        return bytes(self.hash).hex()

    @property
    def prev_hash_hex(self) -> str:
        return bytes(self.prev_hash).hex()


class AuditCheckpoint(models.Model):
    """The chain's head (seq, hash) at a moment. Written only by the SQL function
    `audit_checkpoint_write()` (SECURITY DEFINER, owned by hub_audit): the application role can
    call it but cannot insert, edit or delete a checkpoint itself. Also appended to the file
    `settings.AUDIT_CHECKPOINT_FILE`, to be shipped off the host."""

    seq = models.BigIntegerField(unique=True)
    head_hash = models.BinaryField()
    at = models.DateTimeField()

    class Meta:
        managed = False
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"checkpoint @{self.seq}"

    @property
    def head_hash_hex(self) -> str:
        return bytes(self.head_hash).hex()


class BreakGlassReview(models.Model):
    """An IG lead's review of one break-glass event. Append-only like the events: a later review
    supersedes an earlier one for display, nothing is edited."""

    class Outcome(models.TextChoices):
        JUSTIFIED = "justified", "Justified"
        NOT_JUSTIFIED = "not_justified", "Not justified: referred on"

    event_seq = models.BigIntegerField()
    at = models.DateTimeField()
    reviewer_id = models.BigIntegerField(null=True)
    reviewer_username = models.CharField(max_length=150)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    note = models.TextField(blank=True, max_length=2000)

    class Meta:
        managed = False
        ordering = ["event_seq", "id"]

    def __str__(self) -> str:
        return f"review of #{self.event_seq}"


class AccessReport(models.Model):
    """One run of the daily access monitoring over a period (derived data, rebuilt on demand)."""

    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    created_at = models.DateTimeField()
    first_seq = models.BigIntegerField(null=True)
    last_seq = models.BigIntegerField(null=True)
    accesses = models.PositiveIntegerField(default=0)
    accesses_explained = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    pairs_explained = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["period_start"], name="one_access_report_per_period")
        ]

    def __str__(self) -> str:
        return f"access report {self.period_start:%Y-%m-%d}"

    @property
    def explained_share(self) -> float | None:
        return self.accesses_explained / self.accesses if self.accesses else None


class AccessFinding(models.Model):
    class Kind(models.TextChoices):
        UNEXPLAINED = "unexplained", "Access not explained by a relationship"
        OUT_OF_HOURS = "out_of_hours", "Out-of-hours access"
        MANY_CHILDREN = "many_children", "Unusually many children viewed"
        BREAK_GLASS = "break_glass", "Break-glass use"

    report = models.ForeignKey(AccessReport, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_agency_code = models.CharField(max_length=32, blank=True)
    child_id = models.BigIntegerField(null=True)
    event_seq = models.BigIntegerField(null=True)
    at = models.DateTimeField(null=True)
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["kind", "event_seq"]
        indexes = [models.Index(fields=["report", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.event_seq}"
