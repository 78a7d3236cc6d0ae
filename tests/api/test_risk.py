"""A child's combined-risk explanation over the API: the risk page's rule and audit, as JSON."""

from __future__ import annotations

import pytest

from agencies.models import Agency, User
from audit.models import AuditEvent
from hub.risk.services import assessment_recompute_person
from tests.api.conftest import client_for, submission
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/concerns/"
NHS = "9434765919"


def _submit(api, ref, **subject):
    body = submission(ref)
    body["subject"] = {**body["subject"], "external_reference": f"P-{ref}", **subject}
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_each_reader_sees_only_what_the_policy_allows(school_api, police_api, area):
    school = _submit(school_api, "R-1", nhs_number=NHS)
    police = _submit(police_api, "R-2", nhs_number=NHS)
    child_id = school["child_id"]
    assert police["child_id"] == child_id
    assessment_recompute_person(person_id=child_id)

    response = school_api.get(f"/api/v1/children/{child_id}/risk/")
    assert response.status_code == 200
    body = response.json()
    assert [c["concern_id"] for c in body["contributions"]] == [school["id"]]
    assert body["hidden_contributions"] == 1  # the police's concern: counted, never described
    assert body["score"] is None and body["band"] is None  # only the area's MASH sees the band
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.filter(action="case.view", child_id=child_id).latest("seq")
    assert event.actor_type == "api_client" and event.details["via"] == "api"

    mash = AgencyFactory(code="csc", kind=Agency.Kind.CHILDRENS_SOCIAL_CARE, areas=[area])
    triager = UserFactory(username="tess", agency=mash, role=User.Role.MASH_TRIAGER)
    client = client_for(None)
    client.force_login(triager)
    as_mash = client.get(f"/api/v1/children/{child_id}/risk/").json()
    assert as_mash["band"] in {"green", "amber", "red"} and as_mash["score"] is not None
    assert as_mash["parameter_version"] >= 1


def test_a_child_the_reader_sees_nothing_of_is_missing(school_api, police_api):
    only_school = _submit(school_api, "R-3", given_name="Zed")
    assessment_recompute_person(person_id=only_school["child_id"])
    assert police_api.get(f"/api/v1/children/{only_school['child_id']}/risk/").status_code == 404
    assert police_api.get("/api/v1/children/999999/risk/").status_code == 404
    assert police_api.get("/api/v1/children/abc/risk/").status_code == 404
