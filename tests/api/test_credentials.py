"""Issuing, storing and revoking agency systems' keys."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from hub.api.models import ApiCredential
from hub.api.services import api_credential_issue, api_credential_revoke
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def test_key_is_stored_hashed_and_acts_through_a_service_account(school_key, school_admin, school):
    credential, raw = school_key
    assert raw.startswith(f"hub_{credential.prefix}_") and len(raw) > 50
    assert credential.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiCredential.objects.values().get(pk=credential.pk))
    user = credential.service_user
    assert user.agency == school and user.role == "practitioner"
    assert not user.has_usable_password()
    event = AuditEvent.objects.get(action="permission.change", object_id=str(credential.pk))
    assert event.actor_id == school_admin.pk and event.details["event"] == "issued"
    assert raw not in str(event.details)


def test_last_used_is_recorded(school_key):
    credential, raw = school_key
    assert credential.last_used_at is None
    client_for(raw).get("/api/v1/concerns/")
    credential.refresh_from_db()
    assert credential.last_used_at is not None


def test_only_the_agencys_administrators_manage_its_keys(alice, police_admin, school_key):
    with pytest.raises(PermissionDenied):
        api_credential_issue(actor=alice, name="x", role="practitioner", scopes=["concerns:read"])
    with pytest.raises(PermissionDenied):
        api_credential_revoke(actor=police_admin, credential=school_key[0])


def test_scopes_must_fit_the_role(school_admin):
    with pytest.raises(ValidationError) as err:
        api_credential_issue(
            actor=school_admin, name="MIS", role="practitioner", scopes=["audit:read"]
        )
    assert "scopes" in err.value.message_dict
    with pytest.raises(ValidationError):
        api_credential_issue(actor=school_admin, name="", role="nope", scopes=[])


def test_revocation_is_audited_and_deactivates_the_service_account(school_key, school_admin):
    credential, _ = school_key
    api_credential_revoke(actor=school_admin, credential=credential)
    credential.refresh_from_db()
    assert credential.revoked_by == school_admin and not credential.service_user.is_active
    assert AuditEvent.objects.filter(details__event="revoked").count() == 1


def test_credentials_page_issues_once_lists_own_agency_only_and_revokes(
    client, school_admin, police_key, alice
):
    client.force_login(school_admin)
    response = client.post(
        "/api/credentials/",
        {"name": "School MIS", "role": "practitioner", "scopes": ["concerns:write"]},
    )
    assert response.status_code == 200
    raw = response.context["issued_key"]
    assert raw and raw in response.content.decode()
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    page = client.get("/api/credentials/").content.decode()
    assert raw not in page  # shown once
    assert "School MIS" in page and police_key[0].prefix not in page
    credential = ApiCredential.objects.get(name="School MIS")
    other = client.post(f"/api/credentials/{police_key[0].pk}/revoke/")
    assert other.status_code == 404
    client.post(f"/api/credentials/{credential.pk}/revoke/")
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    invalid = client.post("/api/credentials/", {"name": "", "role": "practitioner"})
    assert invalid.status_code == 400 and "govuk-error-summary" in invalid.content.decode()
    client.force_login(alice)
    assert client.get("/api/credentials/").status_code == 403


def test_a_system_with_the_designated_lead_role_is_never_the_person_to_contact(
    school_admin, school, issue
):
    from agencies.models import User
    from consent.policy import designated_lead_contact
    from tests.factories import UserFactory

    credential, _raw = issue(
        school_admin, role=ApiCredential.Role.DESIGNATED_LEAD, scopes=["sharing:write"]
    )
    assert credential.service_user.is_service_account
    lead = UserFactory(
        username="dana", first_name="Dana", last_name="Lead", agency=school, role="designated_lead"
    )
    assert credential.service_user.pk < lead.pk  # the system would be picked first by pk
    assert designated_lead_contact(school).startswith("Dana Lead, designated lead")
    people = User.objects.people().filter(agency=school, role="designated_lead")
    assert list(people) == [lead]


def test_key_lookup_loads_what_select_related_would(school_key, django_assert_num_queries):
    """The authenticating query is written once from the models (hub.api.services): the same
    credential, user and agencies as the ORM's select_related, with no further queries."""
    from hub.api.services import credential_for_key

    credential, key = school_key
    with django_assert_num_queries(1):
        found = credential_for_key(key)
        assert found.service_user.agency.code == found.agency.code == "northgate-school"
    expected = ApiCredential.objects.select_related("service_user__agency", "agency").get(
        pk=credential.pk
    )
    for name in ("pk", "prefix", "key_hash", "role", "scopes", "created_at", "revoked_at"):
        assert getattr(found, name) == getattr(expected, name), name
    for name in ("pk", "username", "role", "is_active", "agency_id", "password"):
        assert getattr(found.service_user, name) == getattr(expected.service_user, name), name
    assert found.agency.areas.count() == expected.agency.areas.count()
    assert credential_for_key(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert credential_for_key("hub_nosuchprefix_secret") is None
