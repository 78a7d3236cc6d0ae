"""Fixtures for the combined-risk tests: a family at one address, and agencies around it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agencies.models import Agency, User
from concerns.models import HouseholdMember, Person
from hub.risk.services import parameter_set_current
from tests.factories import (
    AgencyFactory,
    ConcernFactory,
    HouseholdFactory,
    HouseholdMemberFactory,
    PersonFactory,
    SubjectRecordFactory,
    UserFactory,
)


@pytest.fixture
def gp(area):
    return AgencyFactory(
        code="elm-surgery", name="Elm Surgery", kind=Agency.Kind.HEALTH, areas=[area]
    )


@pytest.fixture
def params(db):
    return parameter_set_current().parameters


@pytest.fixture
def mash_manager(area):
    mash = AgencyFactory(
        code="northshire-mash",
        name="Northshire MASH",
        kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
        areas=[area],
    )
    return UserFactory(username="maggie", agency=mash, role=User.Role.MASH_MANAGER)


@pytest.fixture
def mash_triager(mash_manager):
    return UserFactory(username="tariq", agency=mash_manager.agency, role=User.Role.MASH_TRIAGER)


class Family:
    """A child, a sibling and a parent living together, and a way to log concerns about them."""

    def __init__(self, area):
        self.area = area
        self.child = PersonFactory(area=area, kind=Person.Kind.CHILD)
        self.sibling = PersonFactory(area=area, kind=Person.Kind.CHILD)
        self.adult = PersonFactory(area=area, kind=Person.Kind.ADULT)
        self.household = HouseholdFactory(area=area)
        for person, rel in (
            (self.child, HouseholdMember.Relationship.CHILD),
            (self.sibling, HouseholdMember.Relationship.SIBLING),
            (self.adult, HouseholdMember.Relationship.PARENT),
        ):
            HouseholdMemberFactory(household=self.household, person=person, relationship=rel)
        self._subjects: dict[tuple[int, int], object] = {}

    def subject(self, person, agency):
        key = (person.pk, agency.pk)
        if key not in self._subjects:
            self._subjects[key] = SubjectRecordFactory(
                person=person, agency=agency, external_reference=f"{agency.code}-{person.pk}"
            )
        return self._subjects[key]

    def concern(self, agency, category, level=2, days_ago=3, person=None, **kw):
        return ConcernFactory(
            subject=self.subject(person or self.child, agency),
            category=category,
            level=level,
            occurred_at=timezone.now() - dt.timedelta(days=days_ago),
            **kw,
        )


@pytest.fixture
def family(area):
    return Family(area)
