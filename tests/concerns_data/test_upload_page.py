"""The upload page end to end with the test client: the cast, the per-row report, bad input."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agencies.models import User
from audit.models import AuditEvent
from concerns.models import Concern
from tests.concerns_data.conftest import base_record
from tests.concerns_data.test_csv_and_command import csv_bytes, csv_row
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db]


def url() -> str:
    return reverse("concerns_upload:upload")


def jsonl_file(*records, name="concerns.jsonl") -> SimpleUploadedFile:
    body = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
    return SimpleUploadedFile(name, body.encode(), content_type="application/x-ndjson")


def upload(client, file, fmt="jsonl"):
    return client.post(url(), {"file": file, "format": fmt})


def rows(response) -> list[str]:
    html = response.content.decode()
    return [chunk.split('"', 1)[0] for chunk in html.split('data-status="')[1:]]


def test_practitioner_uploads_json_lines_and_gets_a_per_row_report(client, alice):
    client.force_login(alice)
    page = client.get(url())
    assert page.status_code == 200
    assert b"Upload concerns from a file" in page.content

    response = upload(
        client,
        jsonl_file(base_record(), base_record(reference="NS-C-0002", level=9)),
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert rows(response) == ["created", "invalid"]
    html = response.content.decode()
    assert "<code>level</code>: Must be a level from 1 to 4" in html
    concern = Concern.objects.get()
    assert concern.author == alice and concern.external_reference == "NS-C-0001"
    event = AuditEvent.objects.get(action="import")
    assert event.details["source"] == "upload" and event.actor_id == alice.pk

    # Uploading the same file again creates nothing.
    again = upload(client, jsonl_file(base_record()))
    assert rows(again) == ["already_imported"]
    assert Concern.objects.count() == 1


def test_designated_lead_uploads_csv(client, dora):
    client.force_login(dora)
    file = SimpleUploadedFile("c.csv", csv_bytes([csv_row()]).getvalue(), content_type="text/csv")
    response = upload(client, file, fmt="csv")
    assert rows(response) == ["created"]
    assert Concern.objects.get().author == dora


def test_charlie_of_the_police_cannot_import_for_the_school(client, charlie, school):
    client.force_login(charlie)
    response = upload(client, jsonl_file(base_record()))
    assert response.status_code == 200
    assert rows(response) == ["refused"]
    assert "You can only import concerns for your own agency" in response.content.decode()
    assert not Concern.objects.filter(agency=school).exists()


@pytest.mark.parametrize("role", [User.Role.IG_LEAD, User.Role.MASH_TRIAGER, "administrator"])
def test_other_roles_are_refused(client, school, role):
    user = UserFactory(username=f"u-{role}", agency=school, role=role)
    client.force_login(user)
    assert client.get(url()).status_code == 403
    assert upload(client, jsonl_file(base_record())).status_code == 403
    assert not Concern.objects.exists()


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_missing_file_and_format_show_the_error_summary(client, alice):
    client.force_login(alice)
    response = client.post(url(), {})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_file">Select a file to upload' in html
    assert 'href="#id_format_0">Select the file format' in html
    assert not AuditEvent.objects.filter(action="import").exists()


def test_too_many_rows_are_refused_before_anything_is_imported(client, alice, settings):
    settings.IMPORT_UPLOAD_MAX_ROWS = 2
    client.force_login(alice)
    records = [base_record(reference=f"NS-C-{n}") for n in range(3)]
    response = upload(client, jsonl_file(*records))
    assert response.status_code == 400
    assert "at most 2 rows" in response.content.decode()
    assert not Concern.objects.exists()


def test_html_in_a_reference_is_shown_as_text(client, alice):
    client.force_login(alice)
    response = upload(client, jsonl_file(base_record(reference="<b>x</b>", level=0)))
    html = response.content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_csrf_is_enforced(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert upload(client, jsonl_file(base_record())).status_code == 403
    assert not Concern.objects.exists()
