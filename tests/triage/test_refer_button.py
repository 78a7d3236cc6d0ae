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


def test_feedback_for_many_concerns_is_one_query_unless_the_mash_had_them(
    alice, django_assert_num_queries
):
    from concerns.models import Concern
    from hub.triage.selectors import feedback_for_concern, feedback_for_concerns
    from hub.triage.services import triage_referral_create

    concerns = [_concern(alice) for _ in range(5)]
    with django_assert_num_queries(1):
        assert feedback_for_concerns(concerns) == {}
    triage_referral_create(actor=alice, concern_id=concerns[2].pk, reason="Worried")
    fresh = list(Concern.objects.filter(pk__in=[c.pk for c in concerns]))
    found = feedback_for_concerns(fresh)
    assert set(found) == {concerns[2].pk}
    assert found[concerns[2].pk] == feedback_for_concern(concerns[2])
