"""The concern page offers "Refer to the MASH" exactly when the referral service would accept."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from concerns import services

pytestmark = pytest.mark.django_db


def _concern(actor):
    subject = services.subject_record_create(actor=actor, given_name="Rae", family_name="Button")
    return services.concern_record(
        actor=actor,
        subject=subject,
        category="neglect",
        level=2,
        text="Synthetic.",
        occurred_at=timezone.now() - dt.timedelta(days=1),
        consent_status="not_sought",
    )


def test_button_follows_the_referral_rule(client, alice):
    concern = _concern(alice)
    client.force_login(alice)
    page = client.get(reverse("concerns:detail", args=[concern.pk])).content.decode()
    assert reverse("triage:refer", args=[concern.pk]) in page
    services.concern_withdraw(actor=alice, concern=concern, reason="Wrong child")
    page = client.get(reverse("concerns:detail", args=[concern.pk])).content.decode()
    assert reverse("triage:refer", args=[concern.pk]) not in page
