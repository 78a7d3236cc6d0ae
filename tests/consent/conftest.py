"""The consent cast on top of the shared one: alice/bob/dora at the school, charlie at the police,
plus a health visitor, the area's MASH (a triager and a manager), and IG leads."""

from __future__ import annotations

import datetime as dt

import pytest

from agencies.models import Agency, User
from tests.factories import (
    AgencyFactory,
    AreaSharingAgreementFactory,
    ConcernFactory,
    SubjectRecordFactory,
    UserFactory,
)


@pytest.fixture
def health(area):
    return AgencyFactory(
        code="shire-health", name="Shire Health", kind=Agency.Kind.HEALTH, areas=[area]
    )


@pytest.fixture
def mash(area):
    return AgencyFactory(
        code="northshire-mash",
        name="Northshire MASH",
        kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
        areas=[area],
    )


@pytest.fixture
def hana(health):
    return UserFactory(username="hana", agency=health, role=User.Role.PRACTITIONER)


@pytest.fixture
def trish(mash):
    return UserFactory(username="trish", agency=mash, role=User.Role.MASH_TRIAGER)


@pytest.fixture
def manon(mash):
    return UserFactory(
        username="manon", agency=mash, role=User.Role.MASH_MANAGER, email="manon@example.test"
    )


@pytest.fixture
def iggy(school):
    return UserFactory(
        username="iggy", agency=school, role=User.Role.IG_LEAD, email="iggy@example.test"
    )


@pytest.fixture
def agreement(area):
    return AreaSharingAgreementFactory(
        area=area,
        title="Northshire MASH information-sharing agreement",
        article9="9_2_g_sch1_para18",
        statutory_gateways="Children Act 2004 ss10, 11",
        effective_from=dt.date(2024, 1, 1),
    )


@pytest.fixture
def child_record(school, area):
    from tests.factories import PersonFactory

    return SubjectRecordFactory(agency=school, person=PersonFactory(area=area))


@pytest.fixture
def concern(alice, child_record):
    return ConcernFactory(subject=child_record, agency=alice.agency, author=alice)


def make_concern(author, subject, **kw):
    return ConcernFactory(subject=subject, agency=author.agency, author=author, **kw)
