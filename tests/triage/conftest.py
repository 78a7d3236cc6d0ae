"""The MASH cast on top of the shared one: tess (triager) and mo (manager) at the Northshire
MASH; bea (triager) at the Southshire MASH, who must never see Northshire's queue; pat, the
police designated lead."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agencies.models import Agency, User
from concerns.services import concern_record, subject_record_create
from concerns.taxonomy import Category, ConsentStatus
from tests.factories import AgencyFactory, AreaFactory, UserFactory

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@contextmanager
def frozen(moment: dt.datetime):
    """Pin `timezone.now()` (which every service reads) to MOMENT."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


@pytest.fixture
def area_b(db):
    return AreaFactory(code="southshire", name="Southshire", postcode_districts=["ZY1"])


@pytest.fixture
def mash(area):
    return AgencyFactory(
        code="northshire-mash",
        name="Northshire MASH",
        kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
        areas=[area],
    )


@pytest.fixture
def mash_b(area_b):
    return AgencyFactory(
        code="southshire-mash",
        name="Southshire MASH",
        kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
        areas=[area_b],
    )


@pytest.fixture
def tess(mash):
    return UserFactory(
        username="tess",
        first_name="Tess",
        last_name="Triager",
        agency=mash,
        role=User.Role.MASH_TRIAGER,
    )


@pytest.fixture
def mo(mash):
    return UserFactory(
        username="mo",
        first_name="Mo",
        last_name="Manager",
        agency=mash,
        role=User.Role.MASH_MANAGER,
    )


@pytest.fixture
def bea(mash_b):
    return UserFactory(
        username="bea",
        first_name="Bea",
        last_name="Southern",
        agency=mash_b,
        role=User.Role.MASH_TRIAGER,
    )


@pytest.fixture
def pat(police):
    return UserFactory(
        username="pat",
        first_name="Pat",
        last_name="Lead",
        agency=police,
        role=User.Role.DESIGNATED_LEAD,
    )


def record_concern(
    actor,
    *,
    given="Sam",
    family="Synthetic",
    category=Category.NEGLECT,
    level=2,
    text="Synthetic concern text.",
    days_ago=10,
    postcode="ZX1 1AA",
    **markers,
):
    subject = subject_record_create(
        actor=actor,
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(2015, 3, 2),
        postcode=postcode,
    )
    return concern_record(
        actor=actor,
        subject=subject,
        category=category,
        level=level,
        text=text,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        consent_status=ConsentStatus.NOT_SOUGHT,
        **markers,
    )


@pytest.fixture
def alice_concern(alice):
    return record_concern(alice, text="Sam came to school hungry again; alice's words.")
