"""Feedback to referrers: status on their own concern, acknowledgement within a working day."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from audit.models import AuditEvent
from hub.triage.models import Acknowledgement, TriageItem
from hub.triage.selectors import feedback_for_concern
from hub.triage.services import (
    acknowledgements_send,
    triage_decision_record,
    triage_item_assign,
    triage_item_raise_for_flag,
    triage_referral_create,
)
from hub.triage.tasks import send_acknowledgements
from tests.triage.conftest import frozen, london, record_concern

pytestmark = pytest.mark.django_db


def test_referral_round_trip_to_the_referrer(alice, alice_concern, tess, client):
    assert feedback_for_concern(alice_concern) is None
    client.force_login(alice)
    page = client.get(reverse("triage:refer", args=[alice_concern.pk]))
    assert page.status_code == 200
    assert (
        client.post(reverse("triage:refer", args=[alice_concern.pk]), {"reason": ""}).status_code
        == 400
    )
    done = client.post(
        reverse("triage:refer", args=[alice_concern.pk]), {"reason": "Third time this month"}
    )
    assert done.status_code == 200 and "Referral sent" in done.content.decode()
    item = TriageItem.objects.get(referral_concern=alice_concern)
    assert item.source == "referral" and item.band == "amber" and item.referred_by == alice
    assert feedback_for_concern(alice_concern).label == "Received"

    triage_item_assign(actor=tess, item=item, assignee=tess)
    assert feedback_for_concern(alice_concern).label == "Being looked at"
    triage_decision_record(actor=tess, item=item, outcome="early_help", rationale="Level 2")
    assert feedback_for_concern(alice_concern).label == "Decision made: early help offered"


def test_cannot_refer_from_a_concern_you_cannot_see(alice_concern, charlie, client):
    with pytest.raises(PermissionDenied):
        triage_referral_create(actor=charlie, concern_id=alice_concern.pk, reason="x")
    client.force_login(charlie)
    assert client.get(reverse("triage:refer", args=[alice_concern.pk])).status_code == 404


def test_a_second_referral_joins_the_open_item(alice, bob, alice_concern):
    item, created = triage_referral_create(actor=alice, concern_id=alice_concern.pk, reason="r")
    other = record_concern(bob, text="bob's")
    again, created_again = triage_referral_create(actor=bob, concern_id=other.pk, reason="r")
    assert created and not created_again and again.pk == item.pk
    again.refresh_from_db()
    assert set(again.contributing_concern_ids) == {alice_concern.pk, other.pk}
    with pytest.raises(ValidationError):
        triage_referral_create(actor=alice, concern_id=alice_concern.pk, reason=" ")


def test_every_contributing_agency_hears_back_from_a_flag(alice_concern, charlie, tess, mo):
    police_concern = record_concern(charlie, text="call-out")
    person = alice_concern.subject.person
    item, _ = triage_item_raise_for_flag(
        person_id=person.pk, area_id=person.area_id, band="red", assessment_id=None
    )
    assert set(item.contributing_concern_ids) == {alice_concern.pk, police_concern.pk}
    decision = triage_decision_record(
        actor=tess, item=item, outcome="child_in_need", rationale="s17"
    )
    assert feedback_for_concern(police_concern).label == "Being looked at"  # awaiting sign-off
    from hub.triage.services import triage_decision_sign_off

    triage_decision_sign_off(actor=mo, decision=decision)
    for concern in (alice_concern, police_concern):
        assert feedback_for_concern(concern).label == (
            "Decision made: child in need assessment (s17)"
        )


def test_feedback_include_shows_only_to_the_concerns_own_agency(alice, charlie, alice_concern):
    triage_referral_create(actor=alice, concern_id=alice_concern.pk, reason="r")
    template = Template("{% load triage %}{% triage_feedback concern %}")
    for user, expected in ((alice, True), (charlie, False)):
        request = RequestFactory().get("/")
        request.user = user
        html = template.render(Context({"request": request, "concern": alice_concern}))
        assert ('data-feedback="received"' in html) is expected


def test_acknowledgement_within_one_working_day_by_the_calendar(alice, alice_concern):
    # Referred on Friday 16:30: one working day later is Monday 16:30.
    with frozen(london(2026, 11, 27, 16, 30)):
        item, _ = triage_referral_create(actor=alice, concern_id=alice_concern.pk, reason="r")
    with frozen(london(2026, 11, 30, 10, 0)):
        assert acknowledgements_send() == 1
        assert acknowledgements_send() == 0  # idempotent
    ack = Acknowledgement.objects.get(item=item)
    assert ack.due_at == london(2026, 11, 30, 16, 30)
    assert ack.on_time and ack.recipient == alice and ack.concern == alice_concern
    assert feedback_for_concern(alice_concern).acknowledged_at == ack.sent_at
    event = AuditEvent.objects.get(object_type="acknowledgement")
    assert event.details["on_time"] is True


def test_acknowledgement_over_christmas_and_late_ones_are_marked(alice, alice_concern):
    with frozen(london(2026, 12, 24, 15, 0)):
        item, _ = triage_referral_create(actor=alice, concern_id=alice_concern.pk, reason="r")
    with frozen(london(2026, 12, 29, 15, 30)):
        send_acknowledgements()  # the beat task
    ack = Acknowledgement.objects.get(item=item)
    assert ack.due_at == london(2026, 12, 29, 15, 0) and not ack.on_time


def test_new_contributors_are_acknowledged_too(alice, bob, alice_concern):
    triage_referral_create(actor=alice, concern_id=alice_concern.pk, reason="r")
    acknowledgements_send()
    other = record_concern(bob, text="bob's")
    triage_referral_create(actor=bob, concern_id=other.pk, reason="r")
    assert acknowledgements_send() == 1
    assert Acknowledgement.objects.filter(recipient=bob).count() == 1


def test_my_feedback_page_lists_only_my_agencys_concerns(alice, charlie, alice_concern, client):
    police_concern = record_concern(charlie, text="call-out")
    person = alice_concern.subject.person
    triage_item_raise_for_flag(
        person_id=person.pk, area_id=person.area_id, band="amber", assessment_id=None
    )
    client.force_login(alice)
    body = client.get(reverse("triage:feedback")).content.decode()
    assert f'data-concern="{alice_concern.pk}"' in body
    assert f'data-concern="{police_concern.pk}"' not in body and "Received" in body


def test_triage_pages_are_in_the_navigation_for_the_right_roles(alice, dora, tess, mo):
    from hub.navigation import links_for

    names = {u.username: {link.url_name for link in links_for(u)} for u in (alice, dora, tess, mo)}
    assert "triage:queue" in names["tess"] and "triage:summary" not in names["tess"]
    assert {"triage:queue", "triage:summary"} <= names["mo"]
    assert "triage:inbox" in names["dora"] and "triage:queue" not in names["dora"]
    assert "triage:feedback" in names["alice"] and "triage:inbox" not in names["alice"]
