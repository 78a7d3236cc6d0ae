"""Information requests and sharing decisions through the API.

These endpoints call the triage and consent apps' services; they are mounted (and these tests
run) once those apps provide them.
"""

from __future__ import annotations

import pytest

from agencies.models import Agency, User
from tests.api.conftest import client_for, submission
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/concerns/"


@pytest.fixture
def lead_key(school_admin, issue):
    return issue(
        school_admin,
        role="designated_lead",
        scopes=[
            "concerns:write",
            "concerns:read",
            "info_requests:read",
            "info_requests:answer",
            "sharing:write",
        ],
    )


@pytest.fixture
def lead_api(lead_key):
    return client_for(lead_key[1])


@pytest.fixture
def school_concern(lead_api):
    return lead_api.post(URL, submission(), format="json").json()


@pytest.fixture
def open_request(area, school, school_concern):
    from hub.triage.services import information_request_create, triage_item_raise_for_flag

    mash = AgencyFactory(
        code="northshire-mash", kind=Agency.Kind.CHILDRENS_SOCIAL_CARE, areas=[area]
    )
    triager = UserFactory(username="tess", agency=mash, role=User.Role.MASH_TRIAGER)
    item, _ = triage_item_raise_for_flag(
        person_id=school_concern["child_id"], area_id=area.pk, band="amber", assessment_id=None
    )
    (request,) = information_request_create(
        actor=triager, item=item, agencies=[school], question="What do you hold?"
    )
    return request


def test_designated_lead_system_lists_and_answers_requests(lead_api, open_request, police_api):
    listed = lead_api.get("/api/v1/information-requests/", {"status": "open"}).json()["results"]
    assert [r["id"] for r in listed] == [open_request.pk]
    assert listed[0]["your_references"] == ["PUPIL-SCH-1"]
    url = f"/api/v1/information-requests/{open_request.pk}/answer/"
    bad = lead_api.post(url, {"answer": "declined"}, format="json")
    assert bad.status_code == 400
    assert "/response_text" in [e["path"] for e in bad.json()["errors"]]
    # "nothing_held" records no sharing decision ("shared" and "declined" do: tests below).
    body = {"answer": "nothing_held", "response_text": "No records for this child."}
    answered = lead_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="ans-1")
    assert answered.status_code == 200, answered.json()
    assert answered.json()["status"] == "answered"
    again = lead_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="ans-1")
    assert again.json() == answered.json()
    # Another agency's system never sees the request, and a practitioner key may not read them.
    assert police_api.get(f"/api/v1/information-requests/{open_request.pk}/").status_code == 403


def test_requests_are_scoped_to_the_agency(open_request, police_admin, issue):
    _, police_lead = issue(
        police_admin, role="designated_lead", scopes=["info_requests:read", "info_requests:answer"]
    )
    client = client_for(police_lead)
    assert client.get(f"/api/v1/information-requests/{open_request.pk}/").status_code == 404
    assert client.get("/api/v1/information-requests/").json()["results"] == []
    answer = client.post(
        f"/api/v1/information-requests/{open_request.pk}/answer/",
        {"answer": "nothing_held"},
        format="json",
    )
    assert answer.status_code == 404


def test_designated_lead_system_records_a_sharing_decision(lead_api, school_concern, police):
    body = {
        "share": True,
        "level": "summary",
        "concern_id": school_concern["id"],
        "recipient_agency": police.code,
        "purpose": "Joint assessment",
        "necessity": "The police hold related information.",
        "article6": "public_task",
        "family_told": True,
    }
    response = lead_api.post("/api/v1/sharing-decisions/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["recipient_agency"] == police.code
    missing = lead_api.post(
        "/api/v1/sharing-decisions/", {**body, "concern_id": 99999999}, format="json"
    )
    assert missing.status_code == 404
    both = lead_api.post("/api/v1/sharing-decisions/", {**body, "child_id": 1}, format="json")
    assert both.status_code == 400


def test_other_agencies_cannot_decide_about_the_schools_concern(
    school_concern, police_admin, issue, police
):
    _, police_lead = issue(police_admin, role="designated_lead", scopes=["sharing:write"])
    body = {
        "share": True,
        "level": "full",
        "concern_id": school_concern["id"],
        "recipient_area": "northshire",
        "purpose": "x",
        "necessity": "y",
        "article6": "public_task",
        "family_told": True,
    }
    assert (
        client_for(police_lead).post("/api/v1/sharing-decisions/", body, format="json").status_code
        == 404
    )


def test_a_shared_answer_records_the_decision_and_lets_the_mash_read_in_full(
    lead_api, open_request, school_concern
):
    from concerns.models import Concern
    from consent.models import SharingDecision
    from consent.policy import Visibility, visibility_of

    url = f"/api/v1/information-requests/{open_request.pk}/answer/"
    body = {
        "answer": "shared",
        "level": "full",
        "article6": "public_task",
        "necessity": "The MASH must decide today.",
        "response_text": "Attendance 71% this term.",
    }
    # The consent app refuses without the family question: its field comes back as the path,
    # and the request stays open (the answer and the decision are one transaction).
    refused = lead_api.post(url, body, format="json")
    assert refused.status_code == 400
    assert "/family_told" in [e["path"] for e in refused.json()["errors"]]
    assert lead_api.get(f"/api/v1/information-requests/{open_request.pk}/").json()["status"] == (
        "open"
    )
    assert not SharingDecision.objects.exists()

    answered = lead_api.post(url, {**body, "family_told": True}, format="json")
    assert answered.status_code == 200, answered.json()
    decision = SharingDecision.objects.get(pk=answered.json()["sharing_decision_id"])
    assert decision.level == Visibility.FULL and decision.recipient_area_id == (
        open_request.item.area_id
    )
    triager = open_request.requested_by
    concern = Concern.objects.get(pk=school_concern["id"])
    assert visibility_of(triager, concern) == Visibility.FULL
