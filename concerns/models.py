"""People, households and concerns.

Two things are kept apart on purpose:

* `SubjectRecord` — what one agency recorded about a person (names, date of birth, identifiers,
  address, the agency's own reference). Many records, from many agencies, can describe one
  person, and each stays as the agency recorded it.
* `Person` — the hub's resolved individual (a child, or an adult in a child's household) that
  one or more subject records resolve to. `concerns.resolution.resolve_person` decides which;
  the matching work replaces that rule behind the same function.

Concerns are never edited in place (amendments keep the original) and never deleted
(withdrawal keeps the record). All writes go through `concerns.services`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from agencies.models import Agency, Area
from concerns.taxonomy import Category, ConsentStatus, FamilyKnows, Level


class Person(models.Model):
    """The hub's resolved individual: a child, or an adult in a child's household."""

    class Kind(models.TextChoices):
        CHILD = "child", "Child"
        ADULT = "adult", "Adult"

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CHILD)
    # The local-authority area whose MASH is responsible (from the address, else the agency).
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="people", null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When matching merges two people, the absorbed one points at the survivor (kept for unmerge).
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from"
    )

    class Meta:
        indexes = [models.Index(fields=["area", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class Child(Person):
    """A proxy for people who are children: the subject of chronologies and assessments."""

    class Meta:
        proxy = True


class Household(models.Model):
    """People living at one normalised address, or linked by declared relationships."""

    address_key = models.CharField(max_length=300, blank=True, db_index=True)
    postcode = models.CharField(max_length=8, blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, null=True, related_name="households")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Household {self.pk}"


class HouseholdMember(models.Model):
    class Relationship(models.TextChoices):
        CHILD = "child", "Child"
        SIBLING = "sibling", "Sibling"
        PARENT = "parent", "Parent"
        CARER = "carer", "Carer"
        PARTNER_OF_PARENT = "partner_of_parent", "Partner of a parent"
        OTHER_ADULT = "other_adult", "Other adult"

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="households")
    relationship = models.CharField(max_length=24, choices=Relationship.choices)
    joined_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True)
    recorded_by_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["household", "person"],
                condition=Q(left_on__isnull=True),
                name="one_current_membership_per_household",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_relationship_display()} in household {self.household_id}"


class SubjectRecord(models.Model):
    """What one agency recorded about a person. Identifiers are stored normalised."""

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "X", "Other"
        UNKNOWN = "U", "Not known"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="subject_records")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="records")
    external_reference = models.CharField(max_length=100, blank=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    other_names = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    nhs_number = models.CharField(max_length=10, blank=True, db_index=True)
    upn = models.CharField("unique pupil number", max_length=13, blank=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    school = models.CharField(max_length=200, blank=True)
    # Normalised forms for resolution and matching.
    given_name_norm = models.CharField(max_length=100, blank=True)
    family_name_norm = models.CharField(max_length=100, blank=True)
    address_norm = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "external_reference"],
                condition=~Q(external_reference=""),
                name="subject_reference_unique_per_agency",
            )
        ]
        indexes = [
            models.Index(
                fields=["family_name_norm", "given_name_norm", "date_of_birth", "postcode"],
                name="subject_exact_match_idx",
            ),
            models.Index(fields=["agency", "family_name_norm"]),
        ]

    def __str__(self) -> str:
        return f"{self.agency.code} record {self.pk}"

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class AgencyTerm(models.Model):
    """An agency's own word (a GP's "acute", a force's "significant harm") mapped onto ours."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=100)
    category = models.CharField(max_length=40, choices=Category.choices, blank=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, null=True, blank=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "term"], name="agency_term_unique"),
            models.CheckConstraint(
                condition=~Q(category="") | Q(level__isnull=False),
                name="agency_term_maps_to_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency.code}: {self.term}"


class ConcernQuerySet(models.QuerySet):
    def visible_to(self, user) -> ConcernQuerySet:
        """Concerns USER may see at least the existence of, annotated with `visibility`.

        The rule lives in `consent.policy`; this is the only door views use.
        """
        from consent.policy import visible_concerns  # consent builds on concerns

        return visible_concerns(user, self)

    def active(self) -> ConcernQuerySet:
        return self.filter(status=Concern.Status.ACTIVE)


class Concern(models.Model):
    """A worry about a person, recorded by one practitioner of one agency."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        WITHDRAWN = "withdrawn", "Withdrawn"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="concerns")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="concerns"
    )
    subject = models.ForeignKey(SubjectRecord, on_delete=models.PROTECT, related_name="concerns")
    category = models.CharField(max_length=40, choices=Category.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    text = models.TextField(max_length=10_000)
    occurred_at = models.DateTimeField()
    family_knows = models.CharField(
        max_length=8, choices=FamilyKnows.choices, default=FamilyKnows.UNKNOWN
    )
    consent_status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    # Sensitivity markers, respected by the consent policy everywhere.
    marker_health = models.BooleanField("health information", default=False)
    marker_do_not_disclose_family = models.BooleanField(
        "do not disclose to the family", default=False
    )
    marker_police_investigation = models.BooleanField(
        "active police investigation / do not tip off", default=False
    )
    marker_sealed = models.BooleanField("sealed (invisible outside the agency)", default=False)
    external_reference = models.CharField(max_length=100, blank=True)
    # One per browser form render: a refresh or double click cannot create a second concern.
    submission_token = models.UUIDField(null=True, blank=True, unique=True, default=None)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True)
    recorded_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects = ConcernQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "external_reference"],
                condition=~Q(external_reference=""),
                name="concern_reference_unique_per_agency",
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="concern_level_1_4"
            ),
            models.CheckConstraint(
                condition=Q(status="active")
                | (Q(withdrawn_at__isnull=False) & ~Q(withdrawn_reason="")),
                name="concern_withdrawal_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["subject", "occurred_at"]),
            models.Index(fields=["agency", "recorded_at"]),
            models.Index(fields=["recorded_at"]),
        ]

    def __str__(self) -> str:
        return f"Concern {self.pk}"

    @property
    def person_id(self) -> int:
        return self.subject.person_id


class ConcernAmendment(models.Model):
    """A correction. The concern shows the latest values; each amendment keeps what was there."""

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="amendments")
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amended_at = models.DateTimeField()
    reason = models.TextField()
    # {"field": {"before": ..., "after": ...}} for each field that changed.
    changes = models.JSONField()

    class Meta:
        ordering = ["amended_at", "pk"]

    def __str__(self) -> str:
        return f"Amendment {self.pk} of concern {self.concern_id}"


def new_submission_token() -> uuid.UUID:
    return uuid.uuid4()


class RecomputeOutbox(models.Model):
    """A person whose information changed and whose combined risk must be recomputed.

    Written in the same transaction as the change (`concerns.services.people_changed`), so a
    broker outage loses nothing: the recompute deletes the rows it has covered, and a beat
    task drains whatever is left (see docs/risk.md). Ids only, never names.
    """

    person_id = models.BigIntegerField(db_index=True)
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Recompute person {self.person_id}"
