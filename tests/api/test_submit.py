"""Submitting concerns: single, idempotent by reference, bulk, errors, headers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from concerns.models import Concern, Person, SubjectRecord
from tests.api.conftest import submission

pytestmark = pytest.mark.django_db

URL = "/api/v1/concerns/"
BULK = "/api/v1/concerns/bulk/"


def test_submit_records_through_the_service_and_audits_as_the_credential(
    school_api, school_key, school
):
    credential, _ = school_key
    response = school_api.post(URL, submission(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    concern = Concern.objects.get(pk=body["id"])
    assert concern.agency == school
    assert concern.author_id == credential.service_user_id
    assert concern.external_reference == "SCH-1"
    assert body["result"] == "created" and body["external_reference"] == "SCH-1"
    assert response["Location"] == body["url"] == f"/api/v1/concerns/{concern.pk}/"
    shown = school_api.get(body["url"]).json()
    assert shown["visibility"] == "full" and shown["external_reference"] == "SCH-1"
    assert shown["text"] == "Came to school hungry three days running."
    event = AuditEvent.objects.get(action="concern.create", object_id=str(concern.pk))
    assert event.actor_type == "api_client"
    assert event.actor_username == f"api:{credential.prefix}"
    assert event.actor_agency_code == "northgate-school"
    assert response["Cache-Control"] == "no-store"


def test_resend_with_same_content_returns_the_same_concern(school_api):
    first = school_api.post(URL, submission(), format="json")
    again = school_api.post(URL, submission(), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["result"] == "existing"
    assert Concern.objects.count() == 1
    # A single re-send is found by the unique reference after an attempt that rolled back:
    # nothing of that attempt remains, its audit events included.
    assert SubjectRecord.objects.count() == 1 and Person.objects.count() == 1
    assert AuditEvent.objects.filter(action="concern.create").count() == 1
    assert AuditEvent.objects.filter(action="subject.create").count() == 1


def test_a_new_submission_costs_no_savepoints_and_no_lookup_first(school_api):
    """Round trips of one new concern (docs/api.md, load figures). The services take no
    savepoints of their own, the reference is not looked up before the insert, and the arrival
    lock is one statement, whatever keys it takes."""
    with CaptureQueriesContext(connection) as queries:
        response = school_api.post(URL, submission(), format="json")
    assert response.status_code == 201, response.json()
    sql = [q["sql"].lstrip() for q in queries.captured_queries]
    assert len([s for s in sql if s.startswith("SAVEPOINT")]) == 1  # the submission block
    assert not [s for s in sql if s.startswith("SELECT 1 AS") and "concerns_concern" in s]
    locks = [s for s in sql if "pg_advisory_xact_lock" in s]
    assert len(locks) == 1 and locks[0].count("pg_advisory_xact_lock") == 2  # DOB and swap


def test_resend_with_different_content_is_a_conflict_naming_the_fields(school_api):
    school_api.post(URL, submission(), format="json")
    response = school_api.post(URL, submission(text="Something else", level=3), format="json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 409 and body["type"] == "urn:hub:problem:conflict"
    assert {e["path"] for e in body["errors"]} == {"/text", "/level"}
    assert Concern.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            {"subject": {"given_name": "Amy", "family_name": "T", "postcode": "nope"}},
            "/subject/postcode",
        ),
        (
            {"subject": {"given_name": "Amy", "family_name": "T", "nhs_number": "1234567890"}},
            "/subject/nhs_number",
        ),
        ({"occurred_at": (timezone.now() + dt.timedelta(days=2)).isoformat()}, "/occurred_at"),
        ({"occurred_at": "2026-01-01T10:00:00"}, "/occurred_at"),  # naive: refused
        ({"level": "2"}, "/level"),
        ({"level": 5}, "/level"),
        ({"category": "nonsense"}, "/category"),
        ({"text": "   "}, "/text"),
        ({"markers": {"health": "true"}}, "/markers/health"),
        ({"external_reference": 17}, "/external_reference"),
        (
            {"subject": {"given_name": "Amy", "family_name": "T", "date_of_birth": "20150302"}},
            "/subject/date_of_birth",
        ),
    ],
)
def test_bad_input_is_a_400_with_the_field_path_and_writes_nothing(school_api, change, path):
    response = school_api.post(URL, submission(**change), format="json")
    assert response.status_code == 400, response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert response["Cache-Control"] == "no-store"
    assert path in [e["path"] for e in response.json()["errors"]]
    assert not Concern.objects.exists()
    assert not SubjectRecord.objects.exists()


def test_malformed_json_is_a_400_problem(school_api):
    response = school_api.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] == "urn:hub:problem:validation"


def test_form_encoded_body_is_415(school_api):
    response = school_api.post(URL, {"external_reference": "x"})
    assert response.status_code == 415


def test_bulk_reports_each_item_and_a_bad_item_blocks_nothing(school_api):
    items = [
        submission("B-1"),
        submission(
            "B-2", subject={"given_name": "Ben", "family_name": "T", "nhs_number": "1234567890"}
        ),
        {"external_reference": "B-3"},
        submission("B-4"),
        submission("B-1", text="changed"),
        submission("B-4"),
    ]
    response = school_api.post(BULK, {"items": items}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    results = [(r["index"], r["result"], r["status"]) for r in body["results"]]
    assert results == [
        (0, "created", 201),
        (1, "invalid", 400),
        (2, "invalid", 400),
        (3, "created", 201),
        (4, "conflict", 409),
        (5, "existing", 200),
    ]
    assert (body["created"], body["existing"], body["failed"]) == (2, 1, 3)
    assert "/items/1/subject/nhs_number" in [e["path"] for e in body["results"][1]["errors"]]
    assert "/items/2/category" in [e["path"] for e in body["results"][2]["errors"]]
    assert "/items/4/text" in [e["path"] for e in body["results"][4]["errors"]]
    # The bad item is never half-written: no subject record without its concern.
    assert set(Concern.objects.values_list("external_reference", flat=True)) == {"B-1", "B-4"}
    assert SubjectRecord.objects.count() == 2
    assert body["results"][5]["concern_id"] == body["results"][3]["concern_id"]


def test_bulk_envelope_limits(school_api, settings):
    assert school_api.post(BULK, {"items": []}, format="json").status_code == 400
    too_many = {"items": [{}] * (settings.API_BULK_MAX_ITEMS + 1)}
    response = school_api.post(BULK, too_many, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "/items"


def test_idempotency_key_replays_a_bulk_result_and_refuses_reuse(school_api):
    body = {"items": [submission("K-1")]}
    first = school_api.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    again = school_api.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.json()["results"][0]["result"] == "created"
    assert again.json() == first.json()  # replayed, not re-run ("existing")
    assert again["Idempotent-Replayed"] == "true"
    other = school_api.post(
        BULK, {"items": [submission("K-2")]}, format="json", HTTP_IDEMPOTENCY_KEY="abc-123"
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:hub:problem:idempotency-key-reused"
    assert Concern.objects.count() == 1


def test_idempotency_key_must_be_printable(school_api):
    response = school_api.post(
        BULK, {"items": [submission()]}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "header:Idempotency-Key"
    assert not Concern.objects.exists()


def test_withdraw_with_idempotency_key(school_api):
    concern_id = school_api.post(URL, submission(), format="json").json()["id"]
    url = f"{URL}{concern_id}/withdraw/"
    first = school_api.post(
        url, {"reason": "Sent in error"}, format="json", HTTP_IDEMPOTENCY_KEY="w1"
    )
    again = school_api.post(
        url, {"reason": "Sent in error"}, format="json", HTTP_IDEMPOTENCY_KEY="w1"
    )
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "withdrawn" and again.json() == first.json()
    assert AuditEvent.objects.filter(action="concern.withdraw").count() == 1
    assert school_api.post(url, {}, format="json").json()["errors"][0]["path"] == "/reason"


def test_throttled_client_gets_429_with_retry_after(school_api, settings):
    settings.API_THROTTLE_RATE = "2/min"
    codes = [school_api.get(URL).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = school_api.get(URL)
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["type"] == "urn:hub:problem:throttled"


def test_unknown_api_routes_are_problem_404s(school_api):
    response = school_api.get("/api/v1/no-such-thing/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response["Cache-Control"] == "no-store"
