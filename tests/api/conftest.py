"""API fixtures: each agency's administrator, and keys for the school's and the police's
systems (charlie's force)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import User
from hub.api.models import ApiCredential, Scope
from hub.api.services import api_credential_issue
from tests.factories import UserFactory

# Fixed once, so that two submissions built moments apart have the same content.
OCCURRED_AT = (timezone.now() - dt.timedelta(days=1)).replace(microsecond=0).isoformat()
ALL_PRACTITIONER_SCOPES = [Scope.CONCERNS_WRITE, Scope.CONCERNS_READ, Scope.CHILDREN_READ]


@pytest.fixture(autouse=True)
def _own_throttle_namespace(settings):
    """Each test counts requests in its own Redis namespace, so runs never leak into each
    other; the default rate is high enough never to throttle a test that is not about it."""
    api = dict(settings.CACHES["api"], KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    settings.CACHES = {**settings.CACHES, "api": api}
    settings.API_THROTTLE_RATE = "100000/min"


@pytest.fixture
def school_admin(school):
    return UserFactory(username="sam-admin", agency=school, role=User.Role.ADMINISTRATOR)


@pytest.fixture
def police_admin(police):
    return UserFactory(username="pat-admin", agency=police, role=User.Role.ADMINISTRATOR)


@pytest.fixture
def issue():
    def _issue(admin, *, scopes=ALL_PRACTITIONER_SCOPES, role=ApiCredential.Role.PRACTITIONER):
        return api_credential_issue(actor=admin, name="MIS", role=role, scopes=list(scopes))

    return _issue


def client_for(raw_key: str | None) -> APIClient:
    client = APIClient()
    if raw_key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def school_key(school_admin, issue):
    return issue(school_admin)


@pytest.fixture
def police_key(police_admin, issue):
    """charlie's force's system."""
    return issue(police_admin)


@pytest.fixture
def school_api(school_key):
    return client_for(school_key[1])


@pytest.fixture
def police_api(police_key):
    return client_for(police_key[1])


def submission(ref: str = "SCH-1", **overrides):
    body = {
        "external_reference": ref,
        "subject": {
            "external_reference": f"PUPIL-{ref}",
            "given_name": "Amy",
            "family_name": "Testcase",
            "date_of_birth": "2015-03-02",
            "postcode": "ZX1 4AB",
        },
        "category": "neglect",
        "level": 2,
        "text": "Came to school hungry three days running.",
        "occurred_at": OCCURRED_AT,
        "consent_status": "not_sought",
    }
    body.update(overrides)
    return body
