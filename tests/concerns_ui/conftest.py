"""Fixtures for the practitioner pages: signed-in clients for the cast and form data."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from concerns import services
from concerns.taxonomy import Category, ConsentStatus, FamilyKnows


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice) -> Client:
    return signed_in(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return signed_in(bob)


@pytest.fixture
def charlie_client(charlie) -> Client:
    return signed_in(charlie)


@pytest.fixture
def dora_client(dora) -> Client:
    return signed_in(dora)


def person_data(**overrides) -> dict[str, str]:
    data = {
        "person-kind": "child",
        "person-given_name": "Amy",
        "person-family_name": "Testcase",
        "person-other_names": "",
        "person-date_of_birth_day": "2",
        "person-date_of_birth_month": "3",
        "person-date_of_birth_year": "2015",
        "person-sex": "F",
        "person-nhs_number": "943 476 5919",
        "person-upn": "",
        "person-address": "1 Test Street",
        "person-postcode": "zx1 4ab",
        "person-school": "Northgate School",
        "person-external_reference": "",
    }
    data.update({f"person-{k}": v for k, v in overrides.items()})
    return data


def concern_data(prefix: str = "concern", token: uuid.UUID | None = None, **overrides) -> dict:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    data = {
        "category": Category.NEGLECT.value,
        "level": "2",
        "text": "Came to school hungry again and said there was no food at home.",
        "occurred_on_day": str(yesterday.day),
        "occurred_on_month": str(yesterday.month),
        "occurred_on_year": str(yesterday.year),
        "occurred_time": "09:15",
        "family_knows": FamilyKnows.NO.value,
        "consent_status": ConsentStatus.NOT_SOUGHT.value,
    }
    if prefix == "concern":
        data["submission_token"] = str(token or uuid.uuid4())
        data["agency_term"] = ""
    data.update(overrides)
    return {f"{prefix}-{k}": v for k, v in data.items() if v is not None}


@pytest.fixture
def amy(alice):
    """Alice's school's record of Amy."""
    return services.subject_record_create(
        actor=alice,
        given_name="Amy",
        family_name="Testcase",
        date_of_birth=dt.date(2015, 3, 2),
        postcode="ZX1 4AB",
        external_reference="NS-0042",
    )


@pytest.fixture
def amy_concern(alice, amy):
    return services.concern_record(
        actor=alice,
        subject=amy,
        category=Category.NEGLECT,
        level=2,
        text="Came to school hungry.",
        occurred_at=timezone.now() - dt.timedelta(days=2),
        consent_status=ConsentStatus.NOT_SOUGHT,
    )
