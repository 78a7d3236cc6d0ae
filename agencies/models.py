"""Agencies, the local-authority areas they serve, and the people who use the hub."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models


class Area(models.Model):
    """A local-authority area. Each has one MASH; one police force can serve several areas."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    # Postcode districts (outward codes such as "ZZ1") that lie in the area, used to place a
    # subject's address in an area. Data, not code: an area's boundary changes without a deploy.
    postcode_districts = ArrayField(models.CharField(max_length=4), default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    class Kind(models.TextChoices):
        POLICE = "police", "Police"
        HEALTH = "health", "Health"
        EDUCATION = "education", "Education"
        CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
        PROBATION = "probation", "Probation"
        HOUSING = "housing", "Housing"
        OTHER = "other", "Other"

    class SameAgencyVisibility(models.TextChoices):
        """How much colleagues in the author's own agency see by default (consent defaults)."""

        NONE = "none", "Only the author and the designated lead"
        SUMMARY = "summary", "Summary for everyone in the agency"
        FULL = "full", "Full detail for everyone in the agency"

    code = models.SlugField(
        max_length=32, unique=True, help_text="Short code used in imports and the API."
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    areas = models.ManyToManyField(Area, related_name="agencies")
    same_agency_visibility = models.CharField(
        max_length=16, choices=SameAgencyVisibility.choices, default=SameAgencyVisibility.FULL
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


# Username prefix of an agency system's service account (`hub.api`): people cannot choose it,
# since Django's username validator refuses ":".
SERVICE_ACCOUNT_PREFIX = "api:"


class UserQuerySet(models.QuerySet):
    def people(self) -> UserQuerySet:
        """Users who are people, not an agency system's service account (an API key's user).

        Use it wherever the hub picks somebody to contact, notify or assign work to: a system
        holding the designated-lead role is not the designated lead.
        """
        return self.exclude(username__startswith=SERVICE_ACCOUNT_PREFIX)


class HubUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in. Every user belongs to one agency and holds one role."""

    class Role(models.TextChoices):
        PRACTITIONER = "practitioner", "Practitioner"
        DESIGNATED_LEAD = "designated_lead", "Designated lead"
        MASH_TRIAGER = "mash_triager", "MASH triager"
        MASH_MANAGER = "mash_manager", "MASH manager"
        IG_LEAD = "ig_lead", "Information-governance lead"
        ADMINISTRATOR = "administrator", "Administrator"

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="members", null=True, blank=True
    )
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.PRACTITIONER)
    job_title = models.CharField(max_length=200, blank=True)

    objects = HubUserManager()

    class Meta:
        constraints = [
            # Only a platform superuser may stand outside every agency.
            models.CheckConstraint(
                condition=models.Q(agency__isnull=False) | models.Q(is_superuser=True),
                name="user_has_agency_unless_superuser",
            )
        ]

    @property
    def is_service_account(self) -> bool:
        return self.username.startswith(SERVICE_ACCOUNT_PREFIX)

    @property
    def is_mash_staff(self) -> bool:
        return self.role in {self.Role.MASH_TRIAGER, self.Role.MASH_MANAGER}

    def area_ids(self) -> list[int]:
        """The areas the user's agency serves (a MASH user's queue scope)."""
        if self.agency_id is None:
            return []
        return list(self.agency.areas.values_list("id", flat=True))
