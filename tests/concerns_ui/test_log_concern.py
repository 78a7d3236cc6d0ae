"""Logging a concern in the browser's forms: the happy paths and every kind of bad input."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import User
from audit.models import Action, AuditEvent
from concerns import services, views
from concerns.models import AgencyTerm, Concern, SubjectRecord
from tests.concerns_ui.conftest import concern_data, person_data, signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW = reverse("concerns:new_person")


def test_new_person_and_concern_saved_together_then_redirected(alice, alice_client):
    response = alice_client.post(NEW, {**person_data(), **concern_data()})
    concern = Concern.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("concerns:recorded", args=[concern.pk])
    record = SubjectRecord.objects.get()
    assert (record.given_name, record.nhs_number, record.postcode) == (
        "Amy",
        "9434765919",
        "ZX1 4AB",
    )
    assert record.agency_id == alice.agency_id
    assert concern.subject_id == record.pk
    assert concern.author_id == alice.pk
    assert timezone.localtime(concern.occurred_at).strftime("%H:%M") == "09:15"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {Action.SUBJECT_CREATE, Action.CONCERN_CREATE} <= actions

    page = alice_client.get(response["Location"])
    assert page.status_code == 200
    assert b"Concern recorded" in page.content
    assert f"C-{concern.pk}".encode() in page.content


def test_form_page_renders_with_a_fresh_token_each_time(alice_client):
    first = alice_client.get(NEW)
    second = alice_client.get(NEW)
    assert first.status_code == 200
    token1 = first.context["concern_form"].initial["submission_token"]
    token2 = second.context["concern_form"].initial["submission_token"]
    assert token1 != token2
    assert str(token1).encode() in first.content
    assert b'data-module="govuk-character-count"' in first.content
    assert b'data-maxlength="10000"' in first.content


def test_double_submit_or_refresh_creates_one_concern_and_one_person(alice_client):
    data = {**person_data(), **concern_data(token=uuid.uuid4())}
    first = alice_client.post(NEW, data)
    second = alice_client.post(NEW, data)
    assert Concern.objects.count() == 1
    assert SubjectRecord.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_someone_elses_token_cannot_hijack_their_concern(alice_client, bob_client):
    token = uuid.uuid4()
    alice_client.post(NEW, {**person_data(), **concern_data(token=token)})
    response = bob_client.post(NEW, {**person_data(given_name="Ben"), **concern_data(token=token)})
    assert response.status_code == 200
    assert b"That form was submitted by someone else" in response.content
    assert Concern.objects.count() == 1
    assert SubjectRecord.objects.count() == 1


def test_empty_form_shows_every_error_beside_its_field_and_in_the_summary(alice_client):
    blank = {k: "" for k in {**person_data(), **concern_data()}}
    blank["concern-submission_token"] = str(uuid.uuid4())
    response = alice_client.post(NEW, blank)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    for anchor, message in [
        ("#id_person-kind_0", "Select whether this is a child or an adult"),
        ("#id_person-given_name", "Enter their first name"),
        ("#id_person-family_name", "Enter their last name"),
        ("#id_concern-category", "Select a category"),
        ("#id_concern-level_0", "Select the level of need"),
        ("#id_concern-text", "Enter what was seen or heard"),
        ("#id_concern-occurred_on_day", "Enter the date it happened"),
        ("#id_concern-family_knows_0", "Select whether the family knows about this concern"),
        ("#id_concern-consent_status_0", "Select the consent status at the time"),
    ]:
        assert f'<a href="{anchor}">{message}</a>' in html, message
        # ...and the same message beside the field.
        assert html.count(message) >= 2, message
    assert response.context["concern_form"].errors
    assert "Error: " in html.split("</title>")[0]
    assert SubjectRecord.objects.count() == 0
    assert Concern.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nhs_number", "943 476 5918", "Enter a valid NHS number: the check digit does not match"),
        ("nhs_number", "12345", "Enter an NHS number of 10 digits, like 943 476 5919"),
        ("postcode", "not a postcode", "Enter a full UK postcode, like AA1 1AA"),
        ("upn", "A12345678901X", "Enter a valid unique pupil number"),
    ],
)
def test_invalid_identifiers_are_refused_and_nothing_is_saved(alice_client, field, value, message):
    response = alice_client.post(NEW, {**person_data(**{field: value}), **concern_data()})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'href="#id_person-{field}"' in html
    assert f'id="id_person-{field}-error"' in html
    assert SubjectRecord.objects.count() == 0
    assert Concern.objects.count() == 0


def test_valid_upn_accepted(alice_client):
    response = alice_client.post(NEW, {**person_data(upn="a123456789012"), **concern_data()})
    assert response.status_code == 302
    assert SubjectRecord.objects.get().upn == "A123456789012"


@pytest.mark.parametrize(
    ("overrides", "anchor", "message"),
    [
        (
            {"occurred_on_year": str(timezone.localdate().year + 1)},
            "#id_concern-occurred_on_day",
            "The date it happened must be today or in the past",
        ),
        (
            {"occurred_on_day": "31", "occurred_on_month": "2"},
            "#id_concern-occurred_on_day",
            "The date it happened must be a real date",
        ),
        (
            {"occurred_on_month": ""},
            "#id_concern-occurred_on_day",
            "The date it happened must include a month",
        ),
        ({"occurred_time": "25:99"}, "#id_concern-occurred_time", "Enter a real time"),
        ({"occurred_time": "soon"}, "#id_concern-occurred_time", "Enter a time like 14:30"),
        ({"level": "7"}, "#id_concern-level_0", "Select a level from 1 to 4"),
        ({"category": "gossip"}, "#id_concern-category", "Select a category from the list"),
        ({"text": "   "}, "#id_concern-text", "Enter what was seen or heard"),
        (
            {"text": "x" * 10_001},
            "#id_concern-text",
            "What was seen or heard must be 10,000 characters or fewer",
        ),
    ],
)
def test_bad_concern_fields_are_refused(alice_client, overrides, anchor, message):
    response = alice_client.post(NEW, {**person_data(), **concern_data(**overrides)})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="{anchor}">{message}' in html
    assert Concern.objects.count() == 0
    assert SubjectRecord.objects.count() == 0


def test_a_time_later_today_is_in_the_future(alice_client, monkeypatch):
    from types import SimpleNamespace

    from concerns import forms as concern_forms

    # The form's clock reads noon today, whatever the real time is.
    today = timezone.localdate()
    noon = timezone.make_aware(dt.datetime.combine(today, dt.time(12, 0)))
    clock = SimpleNamespace(
        now=lambda: noon,
        localdate=lambda: today,
        make_aware=timezone.make_aware,
        localtime=timezone.localtime,
    )
    monkeypatch.setattr(concern_forms, "timezone", clock)
    data = concern_data(
        occurred_on_day=str(today.day),
        occurred_on_month=str(today.month),
        occurred_on_year=str(today.year),
        occurred_time="13:00",
    )
    response = alice_client.post(NEW, {**person_data(), **data})
    assert b'<a href="#id_concern-occurred_time">The time must be now or in the past' in (
        response.content
    )
    assert Concern.objects.count() == 0


def test_ten_thousand_characters_with_line_breaks_is_accepted(alice_client):
    # Browsers send CRLF; each line break counts as one character, as on the page.
    text = ("y" * 99 + "\r\n") * 100  # 10,000 characters once line breaks are normalised
    response = alice_client.post(NEW, {**person_data(), **concern_data(text=text)})
    assert response.status_code == 302
    assert len(Concern.objects.get().text) == 10_000


def test_service_validation_error_is_shown_beside_the_field_and_rolls_back_the_person(
    alice_client, monkeypatch
):
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError({"occurred_at": ["When it happened must be today or in the past"]})

    monkeypatch.setattr(views.services, "concern_record", refuse)
    response = alice_client.post(NEW, {**person_data(), **concern_data()})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#id_concern-occurred_on_day">When it happened must be' in html
    # subject_record_create ran, but its transaction was rolled back with the concern's.
    assert SubjectRecord.objects.count() == 0


def test_html_typed_into_the_text_is_shown_as_text(alice_client):
    payload = '<script>alert("x")</script><b>bold</b>'
    alice_client.post(NEW, {**person_data(), **concern_data(text=payload)})
    concern = Concern.objects.get()
    assert concern.text == payload  # stored as typed
    for url in (
        reverse("concerns:detail", args=[concern.pk]),
        reverse("concerns:person", args=[concern.subject.person_id]),
    ):
        html = alice_client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
        assert "<b>bold</b>" not in html


def test_html_in_a_name_is_shown_as_text(alice_client):
    alice_client.post(NEW, {**person_data(given_name="<i>Amy</i>"), **concern_data()})
    person_id = SubjectRecord.objects.get().person_id
    html = alice_client.get(reverse("concerns:person", args=[person_id])).content.decode()
    assert "<i>Amy</i>" not in html
    assert "&lt;i&gt;Amy&lt;/i&gt;" in html


def test_csrf_is_enforced(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(NEW, {**person_data(), **concern_data()})
    assert response.status_code == 403
    assert Concern.objects.count() == 0


def test_signed_out_users_are_sent_to_sign_in(client):
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    response = client.post(NEW, {**person_data(), **concern_data()})
    assert response.status_code == 302
    assert Concern.objects.count() == 0


def test_roles_that_cannot_record_are_refused(school):
    ig = UserFactory(username="ivy", agency=school, role=User.Role.IG_LEAD)
    client = signed_in(ig)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {**person_data(), **concern_data()}).status_code == 403
    assert Concern.objects.count() == 0


def test_concern_about_a_person_the_agency_already_recorded(alice_client, bob_client, amy):
    url = reverse("concerns:new_for_subject", args=[amy.pk])
    page = bob_client.get(url)
    assert page.status_code == 200
    assert b"About Amy Testcase" in page.content
    response = bob_client.post(url, concern_data())
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert concern.subject_id == amy.pk
    assert SubjectRecord.objects.count() == 1


def test_another_agencys_person_cannot_be_used(charlie_client, amy):
    url = reverse("concerns:new_for_subject", args=[amy.pk])
    assert charlie_client.get(url).status_code == 404
    assert charlie_client.post(url, concern_data()).status_code == 404
    assert Concern.objects.count() == 0


def test_agency_term_fills_blank_category_and_level(alice, alice_client, amy):
    acute = AgencyTerm.objects.create(agency=alice.agency, term="Acute", level=4)
    AgencyTerm.objects.create(agency=alice.agency, term="Hunger", category="neglect", level=2)
    url = reverse("concerns:new_for_subject", args=[amy.pk])
    page = alice_client.get(url).content.decode()
    assert "Your agency's term (optional)" in page
    assert "Acute (level 4)" in page
    response = alice_client.post(
        url, concern_data(agency_term=str(acute.pk), level="", category="injury")
    )
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert (concern.category, concern.level) == ("injury", 4)


def test_another_agencys_term_is_not_offered(alice_client, police, amy):
    theirs = AgencyTerm.objects.create(agency=police, term="Significant harm", level=4)
    url = reverse("concerns:new_for_subject", args=[amy.pk])
    assert b"Significant harm" not in alice_client.get(url).content
    response = alice_client.post(url, concern_data(agency_term=str(theirs.pk)))
    assert b"Select one of your agency" in response.content
    assert Concern.objects.count() == 0


def test_search_finds_only_own_agency_records_and_audits_without_terms(
    alice, alice_client, charlie, charlie_client, amy
):
    url = reverse("concerns:find")
    response = alice_client.get(url, {"name": "amy test"})
    assert b"Amy Testcase" in response.content
    assert list(response.context["results"]) == [amy]
    event = AuditEvent.objects.filter(action=Action.SEARCH).latest("seq")
    assert event.actor_id == alice.pk
    assert event.details["result_count"] == 1
    assert event.details["criteria"] == ["name"]
    assert "amy" not in str(event.details).lower()

    by_ref = alice_client.get(url, {"reference": "NS-0042"})
    assert list(by_ref.context["results"]) == [amy]
    by_dob = alice_client.get(
        url, {"date_of_birth_day": "2", "date_of_birth_month": "3", "date_of_birth_year": "2015"}
    )
    assert list(by_dob.context["results"]) == [amy]

    theirs = charlie_client.get(url, {"name": "amy"})
    assert theirs.context["results"] == []
    assert b"Amy Testcase" not in theirs.content


def test_empty_search_asks_for_something(alice_client):
    response = alice_client.get(reverse("concerns:find"), {"name": ""})
    assert b"Enter a name, a date of birth or a reference" in response.content
    assert not AuditEvent.objects.filter(action=Action.SEARCH).exists()


def test_services_are_the_only_writers(alice_client, monkeypatch):
    """The view saves nothing itself: with the services stubbed out, nothing is written."""
    calls = []

    def fake_subject(**kwargs):
        calls.append("subject")
        raise services.PermissionDenied("stub")

    monkeypatch.setattr(views.services, "subject_record_create", fake_subject)
    response = alice_client.post(NEW, {**person_data(), **concern_data()})
    assert calls == ["subject"]
    assert response.status_code == 200
    assert b"stub" in response.content
    assert SubjectRecord.objects.count() == 0
    assert Concern.objects.count() == 0


def test_future_date_of_birth_is_refused(alice_client):
    next_year = str(timezone.localdate().year + 1)
    response = alice_client.post(
        NEW, {**person_data(date_of_birth_year=next_year), **concern_data()}
    )
    assert b'<a href="#id_person-date_of_birth_day">Date of birth must be today or in the past' in (
        response.content
    )
    assert SubjectRecord.objects.count() == 0


def test_a_reference_the_agency_already_uses_is_not_silently_reused(alice_client, amy):
    response = alice_client.post(
        NEW, {**person_data(given_name="Zed", external_reference="NS-0042"), **concern_data()}
    )
    assert b"already has someone with this reference" in response.content
    assert Concern.objects.count() == 0
    assert SubjectRecord.objects.count() == 1


def test_a_mangled_token_is_replaced_so_the_form_can_be_sent_again(alice_client):
    data = {**person_data(), **concern_data()}
    data["concern-submission_token"] = "not-a-uuid"
    response = alice_client.post(NEW, data)
    assert b"The form has expired" in response.content
    assert Concern.objects.count() == 0
    fresh = response.context["concern_form"]["submission_token"].value()
    uuid.UUID(fresh)  # a new, valid token is in the re-shown form
    assert alice_client.post(NEW, {**data, "concern-submission_token": fresh}).status_code == 302
    assert Concern.objects.count() == 1


def test_a_racing_second_submit_leaves_no_extra_person(alice_client, monkeypatch):
    """The second submit passes the view's check before the first has committed (simulated by
    hiding the first concern from that check): it still ends on the first concern, and the
    person record it made is rolled back."""
    from concerns import selectors

    data = {**person_data(), **concern_data()}
    first = alice_client.post(NEW, data)
    monkeypatch.setattr(selectors, "concern_for_submission", lambda **kwargs: None)
    second = alice_client.post(NEW, data)
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Concern.objects.count() == 1
    assert SubjectRecord.objects.count() == 1
