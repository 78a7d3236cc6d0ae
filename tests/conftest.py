"""The shared cast: alice (a teacher at Northgate School) and her designated lead dora; bob, a
second teacher at the same school; charlie, a police officer who must not see the school's
concerns until the consent rules say so."""

from __future__ import annotations

import pytest

from agencies.models import Agency, User
from tests.factories import AgencyFactory, AreaFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_matching_parameters():
    # Online matching remembers the active parameter version for a few seconds per process;
    # each test starts from its own database's version.
    from hub.matching import online

    online.forget_active_version()


@pytest.fixture
def area(db):
    return AreaFactory(code="northshire", name="Northshire", postcode_districts=["ZX1", "ZX2"])


@pytest.fixture
def school(area):
    return AgencyFactory(
        code="northgate-school", name="Northgate School", kind=Agency.Kind.EDUCATION, areas=[area]
    )


@pytest.fixture
def police(area):
    return AgencyFactory(
        code="shire-police", name="Shire Police", kind=Agency.Kind.POLICE, areas=[area]
    )


@pytest.fixture
def alice(school):
    return UserFactory(username="alice", agency=school, role=User.Role.PRACTITIONER)


@pytest.fixture
def bob(school):
    return UserFactory(username="bob", agency=school, role=User.Role.PRACTITIONER)


@pytest.fixture
def dora(school):
    return UserFactory(username="dora", agency=school, role=User.Role.DESIGNATED_LEAD)


@pytest.fixture
def charlie(police):
    return UserFactory(username="charlie", agency=police, role=User.Role.PRACTITIONER)
