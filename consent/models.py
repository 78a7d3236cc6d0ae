"""What the visibility rule reads: sharing decisions, consent records, MASH involvement and the
area's information-sharing agreement, break-glass grants, and in-app notifications.

Every row here is written by `consent.services` (which audits); nothing is cached, so a revoked
decision, a withdrawn consent or an expired grant stops counting on the very next query.

The law each field encodes is summarised in `docs/consent.md` (not legal advice).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from agencies.models import Agency, Area
from concerns.models import Concern, Household, Person


class Article6(models.TextChoices):
    """UK GDPR Article 6(1) lawful bases a safeguarding share uses."""

    PUBLIC_TASK = "public_task", "Public task – Article 6(1)(e)"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation – Article 6(1)(c)"
    VITAL_INTERESTS = "vital_interests", "Vital interests – Article 6(1)(d)"
    CONSENT = "consent", "Consent – Article 6(1)(a)"


ARTICLE6_CODES = {
    Article6.PUBLIC_TASK: "6(1)(e)",
    Article6.LEGAL_OBLIGATION: "6(1)(c)",
    Article6.VITAL_INTERESTS: "6(1)(d)",
    Article6.CONSENT: "6(1)(a)",
}


class Article9(models.TextChoices):
    """UK GDPR Article 9(2) conditions for special-category (e.g. health) data."""

    SAFEGUARDING = (
        "9_2_g_sch1_para18",
        "Article 9(2)(g) with DPA 2018 Schedule 1 paragraph 18 (safeguarding of children)",
    )
    HEALTH_CARE = (
        "9_2_h_sch1_para2",
        "Article 9(2)(h) with DPA 2018 Schedule 1 paragraph 2 (health or social care)",
    )


ARTICLE9_CODES = {Article9.SAFEGUARDING: "9(2)(g)+S1p18", Article9.HEALTH_CARE: "9(2)(h)+S1p2"}


class Schedule1Reason(models.TextChoices):
    """DPA 2018 Schedule 1 paragraph 18(2): why the processing goes ahead without consent."""

    CANNOT_BE_GIVEN = "cannot_be_given", "Consent cannot be given by the data subject"
    CANNOT_REASONABLY_OBTAIN = (
        "cannot_reasonably_obtain",
        "The controller cannot reasonably be expected to obtain consent",
    )
    WOULD_PREJUDICE = (
        "would_prejudice",
        "Obtaining consent would prejudice the protection of the child",
    )


class SharingDecision(models.Model):
    """One recorded decision to share — or not to share — an agency's information.

    What: one concern, or all of the owning agency's concerns about a child recorded up to
    `up_to`. With whom: exactly one of an agency, an area's MASH, or a named user. A decision
    counts while it shares, is not revoked and its review date has not passed; a consent-based
    decision also needs a live consent record covering the recipient.
    """

    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="sharing_decisions")
    concern = models.ForeignKey(
        Concern,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sharing_decisions",
    )
    up_to = models.DateTimeField(
        null=True, blank=True, help_text="Whole-child decisions cover concerns recorded by then."
    )
    recipient_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient_area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    share = models.BooleanField()
    level = models.PositiveSmallIntegerField()  # consent.policy.Visibility
    lift_marker_cap = models.BooleanField(
        default=False,
        help_text="The owner explicitly lets the recipient past the police-investigation or "
        "do-not-disclose-to-family cap.",
    )
    purpose = models.TextField()
    necessity = models.TextField(help_text="Necessity and proportionality, in the decider's words.")
    article6 = models.CharField(max_length=32, choices=Article6.choices, blank=True)
    article9 = models.CharField(max_length=32, choices=Article9.choices, blank=True)
    schedule1_reason = models.CharField(max_length=32, choices=Schedule1Reason.choices, blank=True)
    article10 = models.BooleanField(default=False)
    dpa_part3 = models.BooleanField(default=False)
    family_told = models.BooleanField(null=True)
    family_not_told_reason = models.TextField(blank=True)
    information_request_id = models.BigIntegerField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    # What the decider saw, frozen at the moment of the decision (for the printable record).
    knew = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(recipient_agency__isnull=False, recipient_area__isnull=True)
                    & Q(recipient_user__isnull=True)
                )
                | (
                    Q(recipient_agency__isnull=True, recipient_area__isnull=False)
                    & Q(recipient_user__isnull=True)
                )
                | (
                    Q(recipient_agency__isnull=True, recipient_area__isnull=True)
                    & Q(recipient_user__isnull=False)
                ),
                name="sharing_decision_one_recipient",
            ),
            models.CheckConstraint(
                condition=Q(concern__isnull=False) | Q(up_to__isnull=False),
                name="sharing_decision_whole_child_has_up_to",
            ),
            models.CheckConstraint(
                condition=Q(share=False) | (Q(level__gte=1, level__lte=3) & ~Q(article6="")),
                name="sharing_decision_share_has_basis_and_level",
            ),
            models.CheckConstraint(
                condition=~Q(necessity=""), name="sharing_decision_has_justification"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="sharing_decision_revocation_has_reason",
            ),
        ]
        indexes = [
            # The policy's look-ups: by concern, and by (child, owner) for whole-child decisions.
            models.Index(
                fields=["concern"],
                condition=Q(share=True, revoked_at__isnull=True),
                name="sharing_live_by_concern",
            ),
            models.Index(
                fields=["person", "owner_agency"],
                condition=Q(share=True, revoked_at__isnull=True),
                name="sharing_live_by_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Sharing decision {self.pk}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def lawful_basis_code(self) -> str:
        """A short code of the bases, for the audit event's `lawful_basis` column."""
        parts = [ARTICLE6_CODES.get(self.article6, "")] if self.article6 else []
        if self.article9:
            parts.append(ARTICLE9_CODES[self.article9])
        if self.article10:
            parts.append("Art10")
        if self.dpa_part3:
            parts.append("DPA3+S8p4")
        return "; ".join(parts)[:64]


class ConsentPurpose(models.TextChoices):
    SAFEGUARDING = "safeguarding", "Safeguarding and child protection"
    EARLY_HELP = "early_help", "Early help"
    ASSESSMENT = "assessment", "Assessment of need (Children Act 1989 s17)"
    HEALTH_CARE = "health_care", "Health care"
    EDUCATION = "education", "Education support"


class ConsentRecord(models.Model):
    """The family's consent (or refusal) to agencies sharing information about a child.

    Scope: the agencies between which sharing is consented, and for which purposes. Covers one
    child, or every child currently in a household (a family-level record). While GIVEN and not
    withdrawn it gives the scope agencies SUMMARY of each other's unsealed concerns about the
    child and keeps consent-based sharing decisions alive; withdrawal ends both at once and leaves
    access on other lawful bases untouched.
    """

    class Status(models.TextChoices):
        GIVEN = "given", "Given"
        REFUSED = "refused", "Refused"
        WITHDRAWN = "withdrawn", "Withdrawn"

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="consent_records"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="consent_records"
    )
    agencies = models.ManyToManyField(Agency, related_name="+")
    purposes = models.JSONField(default=list)  # ConsentPurpose values
    status = models.CharField(max_length=16, choices=Status.choices)
    given_by = models.CharField(
        max_length=200, help_text="Who gave or refused it (e.g. 'mother', 'the young person')."
    )
    given_on = models.DateField()
    evidence = models.TextField(help_text="How it was obtained and where the evidence is kept.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, household__isnull=True)
                | Q(person__isnull=True, household__isnull=False),
                name="consent_record_child_or_family",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_at__isnull=False),
                name="consent_withdrawal_has_time",
            ),
        ]
        indexes = [models.Index(fields=["person", "status"]), models.Index(fields=["household"])]

    def __str__(self) -> str:
        return f"Consent record {self.pk}"


class AreaSharingAgreement(models.Model):
    """An area's multi-agency information-sharing agreement: the data behind the MASH rule.

    While one is in force for an area, that area's MASH staff see SUMMARY of every agency's
    unsealed concerns about a child whose MASH involvement is open.
    """

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="sharing_agreements")
    title = models.CharField(max_length=200)
    article6 = models.CharField(max_length=32, choices=Article6.choices)
    article9 = models.CharField(max_length=32, choices=Article9.choices, blank=True)
    statutory_gateways = models.TextField(
        blank=True, help_text="e.g. Children Act 2004 ss10, 11, 16H; Crime and Disorder Act s115"
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["area", "-effective_from"]

    def __str__(self) -> str:
        return self.title


class MashInvolvement(models.Model):
    """A child is in an area's MASH triage (flagged or referred) from `opened_at` until closed."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="mash_involvements")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "area"],
                condition=Q(closed_at__isnull=True),
                name="one_open_mash_involvement_per_child_and_area",
            )
        ]

    def __str__(self) -> str:
        return f"MASH involvement {self.pk}"


class BreakGlassGrant(models.Model):
    """Emergency FULL access (never to sealed concerns) for one MASH manager to one child."""

    class Reason(models.TextChoices):
        CONSENT = "consent", "Consent"
        LEGAL_REQUIREMENT = "legal_requirement", "Legal requirement"
        PUBLIC_INTEREST = "public_interest", "Overriding public interest"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    justification = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    audit_seq = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(justification=""), name="break_glass_has_justification"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("granted_at")), name="break_glass_expires"
            ),
        ]
        indexes = [models.Index(fields=["user", "person", "expires_at"])]

    def __str__(self) -> str:
        return f"Break-glass grant {self.pk}"


class Notification(models.Model):
    """An in-app message to one user. Holds ids and a link, never names or concern text."""

    class Kind(models.TextChoices):
        BREAK_GLASS = "break_glass", "Break-glass access"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    message = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"Notification {self.pk}"
