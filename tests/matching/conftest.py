"""Fixtures for matching: a MASH triager (maria) and manager for the cast's area, and a second
area whose MASH (otto) must not see the first area's queue."""

from __future__ import annotations

import pytest

from agencies.models import Agency, User
from tests.factories import AgencyFactory, AreaFactory, UserFactory


@pytest.fixture
def mash(area):
    return AgencyFactory(
        code="northshire-mash",
        name="Northshire MASH",
        kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
        areas=[area],
    )


@pytest.fixture
def maria(mash):
    return UserFactory(username="maria", agency=mash, role=User.Role.MASH_TRIAGER)


@pytest.fixture
def other_area(db):
    return AreaFactory(code="southshire", name="Southshire", postcode_districts=["ZY1"])


@pytest.fixture
def otto(other_area):
    mash = AgencyFactory(
        code="southshire-mash",
        name="Southshire MASH",
        kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
        areas=[other_area],
    )
    return UserFactory(username="otto", agency=mash, role=User.Role.MASH_TRIAGER)
