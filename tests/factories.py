"""factory_boy factories for the cast every test uses. All data is synthetic."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from agencies.models import Agency, Area, User
from concerns.models import Concern, Person, SubjectRecord
from concerns.taxonomy import Category, ConsentStatus


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"area-{n}")
    name = factory.Sequence(lambda n: f"Testshire {n}")
    postcode_districts = factory.Sequence(lambda n: [f"ZW{n % 90 + 1}"])


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.Sequence(lambda n: f"Test Agency {n}")
    kind = Agency.Kind.EDUCATION

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        if not create:
            return
        self.areas.set(extracted if extracted is not None else [AreaFactory()])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    agency = factory.SubFactory(AgencyFactory)
    role = User.Role.PRACTITIONER
    password = factory.django.Password("correct-horse-battery")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    kind = Person.Kind.CHILD


class SubjectRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubjectRecord

    agency = factory.SubFactory(AgencyFactory)
    person = factory.SubFactory(PersonFactory)
    given_name = factory.Sequence(lambda n: f"Kid{n}")
    family_name = "Testcase"
    given_name_norm = factory.LazyAttribute(lambda o: o.given_name.lower())
    family_name_norm = factory.LazyAttribute(lambda o: o.family_name.lower())
    date_of_birth = dt.date(2016, 5, 4)


class ConcernFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Concern

    subject = factory.SubFactory(SubjectRecordFactory)
    agency = factory.LazyAttribute(lambda o: o.subject.agency)
    author = factory.SubFactory(UserFactory, agency=factory.SelfAttribute("..agency"))
    category = Category.NEGLECT
    level = 2
    text = "Synthetic test concern text."
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    consent_status = ConsentStatus.NOT_SOUGHT
    recorded_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


# --- consent (docs/consent.md): the data behind the MASH rule, for other apps' tests ---------


class AreaSharingAgreementFactory(factory.django.DjangoModelFactory):
    """An area's information-sharing agreement in force: the MASH rule applies there."""

    class Meta:
        model = "consent.AreaSharingAgreement"

    area = factory.SubFactory(AreaFactory)
    title = factory.Sequence(lambda n: f"Information-sharing agreement {n}")
    article6 = "public_task"
    effective_from = dt.date(2020, 1, 1)


class MashInvolvementFactory(factory.django.DjangoModelFactory):
    """A child open in an area's MASH triage (tests only: the app calls mash_involvement_open)."""

    class Meta:
        model = "consent.MashInvolvement"

    person = factory.SubFactory(PersonFactory)
    area = factory.SubFactory(AreaFactory)
    reason = "flag"
    opened_at = factory.LazyFunction(timezone.now)


# --- combined risk (tests/risk) -------------------------------------------------------------
from concerns.models import ConcernAmendment, Household, HouseholdMember  # noqa: E402


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household


class HouseholdMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdMember

    household = factory.SubFactory(HouseholdFactory)
    person = factory.SubFactory(PersonFactory)
    relationship = HouseholdMember.Relationship.CHILD


class ConcernAmendmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConcernAmendment

    reason = "Synthetic correction"
    amended_at = factory.LazyFunction(timezone.now)
    changes = factory.LazyFunction(dict)
