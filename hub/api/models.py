"""Credentials for agency systems, and the stored outcome of idempotent writes.

An `ApiCredential` is one agency system's key: bound to one agency, a role and a set of scopes,
stored as a SHA-256 digest of a high-entropy secret (the secret is shown once, when issued).
Each credential acts through its own service-account `User` of that agency (unusable password,
never signs in to the browser), so every service that takes `actor` works unchanged and the
audit trail names the credential (`actor_type = "api_client"`, username `api:<prefix>`).

All writes go through `hub.api.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from agencies.models import Agency


class Scope(models.TextChoices):
    CONCERNS_WRITE = "concerns:write", "Submit concerns"
    CONCERNS_READ = "concerns:read", "Read the agency's concerns"
    CHILDREN_READ = "children:read", "Read chronologies under the consent policy"
    INFO_REQUESTS_READ = "info_requests:read", "Read MASH information requests to the agency"
    INFO_REQUESTS_ANSWER = "info_requests:answer", "Answer MASH information requests"
    SHARING_WRITE = "sharing:write", "Record sharing decisions about the agency's information"
    AUDIT_READ = "audit:read", "Query the audit trail (information-governance lead only)"


class ApiCredential(models.Model):
    class Role(models.TextChoices):
        # The roles a system may act in. Administrator and MASH roles are people's roles.
        PRACTITIONER = "practitioner", "Practitioner (submits and reads its own concerns)"
        DESIGNATED_LEAD = "designated_lead", "Designated lead"
        IG_LEAD = "ig_lead", "Information-governance lead (audit queries)"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="api_credentials")
    name = models.CharField(max_length=100, help_text="Which system holds this key.")
    # Public part of the key ("hub_<prefix>_<secret>"), used to find the row.
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.PRACTITIONER)
    scopes = ArrayField(models.CharField(max_length=32, choices=Scope.choices), default=list)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_credential"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False),
                name="api_credential_revocation_has_actor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The stored response to a write sent with an `Idempotency-Key` header, for replay."""

    # "c:<credential id>" or "u:<user id>": keys are per client, never shared between clients.
    client = models.CharField(max_length=32)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    # SHA-256 of method, path and the canonical request body: a re-use with other content is
    # refused rather than replayed.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_per_client")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"Idempotency {self.client}/{self.key}"
