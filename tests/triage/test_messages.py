"""Flash messages are rendered once, by base.html, with the banner their level calls for."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from hub.triage.services import triage_item_raise_for_flag
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_a_message_is_shown_once_after_a_redirect(area, tess, client):
    item, _ = triage_item_raise_for_flag(
        person_id=PersonFactory(area=area).pk, area_id=area.pk, band="amber", assessment_id=None
    )
    client.force_login(tess)
    page = client.post(
        reverse("triage:assign", args=[item.pk]), {"assignee": "me"}, follow=True
    ).content.decode()
    assert page.count("Assignment saved") == 1
    assert page.count("govuk-notification-banner__heading") == 1


def test_errors_and_warnings_are_not_shown_as_success(tess):
    request = RequestFactory().get("/")
    request.user = tess
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    messages.error(request, "Could not save the assignment")
    messages.success(request, "Answer sent")
    html = render_to_string("403.html", request=request)
    error_banner, success_banner = html.split('data-module="govuk-notification-banner"')[1:3]
    assert "Important" in error_banner and "Could not save the assignment" in error_banner
    assert "Success" in success_banner and "Answer sent" in success_banner
    assert html.count("govuk-notification-banner--success") == 1
