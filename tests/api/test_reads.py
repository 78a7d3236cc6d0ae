"""Reading the agency's concerns and a child's chronology: visibility, triage, audit."""

from __future__ import annotations

import pytest

from agencies.models import User
from audit.models import AuditEvent
from concerns.models import Concern
from hub.triage.services import triage_item_raise_for_flag
from tests.api.conftest import client_for, submission
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/concerns/"


def test_list_pages_through_own_concerns_with_triage_progress_and_audit(school_api, area):
    ids = [school_api.post(URL, submission(f"L-{i}"), format="json").json()["id"] for i in range(3)]
    concern = Concern.objects.get(pk=ids[0])
    triage_item_raise_for_flag(
        person_id=concern.subject.person_id, area_id=area.pk, band="amber", assessment_id=None
    )
    page = school_api.get(URL, {"limit": 2}).json()
    assert [c["id"] for c in page["results"]] == ids[:2]
    triage = page["results"][0]["triage"]
    assert triage["status"] in {"open", "received"} and triage["area"] == "Northshire"
    rest = school_api.get(URL, {"limit": 2, "after": page["next_after"]}).json()
    assert [c["id"] for c in rest["results"]] == ids[2:] and rest["next_after"] is None
    by_ref = school_api.get(URL, {"external_reference": "L-1"}).json()["results"]
    assert [c["id"] for c in by_ref] == [ids[1]]
    views = AuditEvent.objects.filter(action="concern.view")
    assert views.count() == 3
    assert views.first().details["concern_ids"] == ids[:2]


@pytest.mark.parametrize(
    "params", [{"limit": "abc"}, {"limit": "0"}, {"after": "-1"}, {"limit": "1.5"}]
)
def test_bad_query_parameters_are_400(school_api, params):
    response = school_api.get(URL, params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == f"/{next(iter(params))}"


def test_retrieve_is_audited(school_api):
    concern_id = school_api.post(URL, submission(), format="json").json()["id"]
    response = school_api.get(f"{URL}{concern_id}/")
    assert response.status_code == 200 and response.json()["id"] == concern_id
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="concern.view", object_id=str(concern_id)).exists()


def test_chronology_in_date_order_and_audited(school_api):
    first = school_api.post(
        URL, submission("C-1", occurred_at="2026-01-05T09:00:00Z"), format="json"
    ).json()
    second = school_api.post(
        URL, submission("C-2", occurred_at="2025-12-01T09:00:00Z"), format="json"
    ).json()
    child_id = first["child_id"]
    assert second["child_id"] == child_id
    response = school_api.get(f"/api/v1/children/{child_id}/chronology/")
    assert response.status_code == 200
    assert [e["id"] for e in response.json()["entries"]] == [second["id"], first["id"]]
    event = AuditEvent.objects.get(action="chronology.view")
    assert event.child_id == child_id and event.actor_type == "api_client"


def test_missing_child_and_junk_ids_are_404(school_api):
    assert school_api.get("/api/v1/children/999999/chronology/").status_code == 404
    assert school_api.get("/api/v1/children/abc/chronology/").status_code == 404
    assert school_api.get(f"{URL}abc/").status_code == 404


def test_people_use_the_same_api_with_session_authentication(alice, school_api):
    concern_id = school_api.post(URL, submission(), format="json").json()["id"]
    client = client_for(None)
    client.force_login(alice)
    listed = client.get(URL).json()["results"]
    assert [c["id"] for c in listed] == [concern_id]
    event = AuditEvent.objects.filter(action="concern.view").last()
    assert event.actor_type == "user" and event.actor_id == alice.pk


def test_ig_lead_queries_the_audit_trail_and_the_chain(
    school, school_key, school_api, school_admin, issue
):
    school_api.post(URL, submission(), format="json")
    _, ig_key = issue(school_admin, role="ig_lead", scopes=["audit:read"])
    ig = client_for(ig_key)
    response = ig.get("/api/v1/audit/events/", {"action": "concern.create"})
    assert response.status_code == 200, response.json()
    events = response.json()["results"]
    assert [e["action"] for e in events] == ["concern.create"]
    assert "hungry" not in str(events)
    status = ig.get("/api/v1/audit/verification/").json()
    assert status["intact"] is True and status["events_checked"] >= 3
    assert AuditEvent.objects.filter(action="search", object_type="audit_event").exists()
    # A person with the IG role may use it too; a practitioner's key or session may not.
    lead = UserFactory(username="ivy", agency=school, role=User.Role.IG_LEAD)
    session = client_for(None)
    session.force_login(lead)
    assert session.get("/api/v1/audit/verification/").status_code == 200
    assert school_api.get("/api/v1/audit/events/").status_code == 403
