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


class AuditEvent(models.Model):
    """One thing somebody did or saw. Written only by `audit.services.audit_record`.

    `seq` is the chain position (gap-free, serialised by an advisory lock); `hash` is
    SHA-256(prev_hash || canonical JSON of the event's fields).
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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["child_id", "seq"]),
            models.Index(fields=["actor_id", "seq"]),
            models.Index(fields=["action", "seq"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"
