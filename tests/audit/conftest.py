"""Fixtures for the audit tests: the IG lead, and raw connections as other database roles."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from agencies.models import Agency, User
from tests.factories import AgencyFactory, UserFactory


@pytest.fixture(autouse=True)
def _checkpoint_file(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    settings.AUDIT_CHECKPOINT_EVERY = 0


@pytest.fixture
def council(area):
    return AgencyFactory(
        code="northshire-council",
        name="Northshire Council",
        kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
        areas=[area],
    )


@pytest.fixture
def ig_lead(council):
    return UserFactory(username="irene", agency=council, role=User.Role.IG_LEAD)


@pytest.fixture
def triager(council):
    return UserFactory(username="tom", agency=council, role=User.Role.MASH_TRIAGER)


def dsn(role: str) -> str:
    s = connection.settings_dict
    return f"postgresql://{role}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def app_conn(db):
    """A raw connection to the test database as the application role (autocommit)."""
    with psycopg.connect(dsn("hub_app"), autocommit=True) as conn:
        yield conn


@pytest.fixture
def super_conn(transactional_db):
    """A raw connection as the PostgreSQL superuser: the attacker in the tamper tests."""
    with psycopg.connect(dsn("postgres"), autocommit=True) as conn:
        yield conn
