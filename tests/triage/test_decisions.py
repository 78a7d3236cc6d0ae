"""Decisions, red sign-off, re-opening, transfer, and the manager's summary."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from hub.triage.models import TriageDecision, TriageItem
from hub.triage.selectors import manager_summary
from hub.triage.services import (
    triage_decision_record,
    triage_decision_sign_off,
    triage_item_raise_for_flag,
    triage_item_reopen,
)
from tests.factories import PersonFactory
from tests.triage.conftest import frozen, london

pytestmark = pytest.mark.django_db


def flag(area, band, when=None):
    with frozen(when or london(2026, 11, 23, 10, 0)):
        item, _ = triage_item_raise_for_flag(
            person_id=PersonFactory(area=area).pk, area_id=area.pk, band=band, assessment_id=None
        )
    return item


def test_amber_decision_closes_the_item(area, tess):
    item = flag(area, "amber")
    with pytest.raises(ValidationError):
        triage_decision_record(actor=tess, item=item, outcome="early_help", rationale="")
    with frozen(london(2026, 11, 23, 15, 0)):
        decision = triage_decision_record(
            actor=tess,
            item=item,
            outcome="early_help",
            rationale="Needs met at level 2",
            next_steps="Early help assessment by school",
        )
    item.refresh_from_db()
    assert item.status == TriageItem.Status.DECIDED and decision.within_deadline
    assert not decision.requires_signoff


def test_red_needs_a_managers_sign_off(area, tess, mo, client):
    item = flag(area, "red")
    with frozen(london(2026, 11, 23, 16, 0)):  # deadline was 14:00: late
        decision = triage_decision_record(
            actor=tess, item=item, outcome="strategy_s47", rationale="Significant harm likely"
        )
    item.refresh_from_db()
    assert item.status == TriageItem.Status.AWAITING_SIGNOFF
    assert decision.requires_signoff and not decision.within_deadline
    with pytest.raises(PermissionDenied):
        triage_decision_sign_off(actor=tess, decision=decision)
    with pytest.raises(ValidationError):
        triage_decision_sign_off(actor=mo, decision=decision, approve=False, note="")
    client.force_login(mo)
    response = client.post(
        reverse("triage:sign_off", args=[decision.pk]), {"approve": "yes", "note": "Agreed"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    decision.refresh_from_db()
    assert item.status == TriageItem.Status.DECIDED and decision.signed_off_by == mo
    steps = list(
        AuditEvent.objects.filter(object_id=str(item.pk), action="triage.decision").values_list(
            "details__step", flat=True
        )
    )
    assert steps == ["decide", "sign_off"]


def test_returned_decision_goes_back_to_the_triager(area, tess, mo):
    item = flag(area, "red")
    decision = triage_decision_record(
        actor=tess, item=item, outcome="no_further_action", rationale="Explained accident"
    )
    triage_decision_sign_off(actor=mo, decision=decision, approve=False, note="Ask health first")
    item.refresh_from_db()
    assert item.status == TriageItem.Status.IN_PROGRESS


def test_reopening_is_recorded_and_restarts_the_clock(area, tess):
    item = flag(area, "amber")
    decision = triage_decision_record(
        actor=tess, item=item, outcome="no_further_action", rationale="Nothing further"
    )
    with pytest.raises(ValidationError):
        triage_item_reopen(actor=tess, item=item, reason="")
    with frozen(london(2026, 11, 25, 9, 30)):
        triage_item_reopen(actor=tess, item=item, reason="New police report")
    item.refresh_from_db()
    decision.refresh_from_db()
    assert item.status == TriageItem.Status.IN_PROGRESS and decision.reopened_by == tess
    assert item.deadline_at == london(2026, 11, 26, 9, 30)
    assert AuditEvent.objects.filter(details__step="reopen").count() == 1


def test_transfer_moves_the_case_with_its_history(area, area_b, tess, bea, client):
    item = flag(area, "amber")
    triage_decision_record(
        actor=tess,
        item=item,
        outcome="transfer",
        rationale="Family moved to Southshire",
        transfer_to_area=area_b,
    )
    item.refresh_from_db()
    assert item.status == TriageItem.Status.TRANSFERRED
    moved = item.transferred_to
    assert moved.area == area_b and moved.transferred_from == item
    assert moved.source == TriageItem.Source.TRANSFER and moved.is_open
    client.force_login(bea)
    body = client.get(reverse("triage:case", args=[moved.pk])).content.decode()
    assert "Transferred from" in body and "Northshire MASH" in body
    assert "Family moved to Southshire" in body  # the history came with it
    assert client.get(reverse("triage:case", args=[item.pk])).status_code == 404
    client.force_login(tess)
    body = client.get(reverse("triage:case", args=[item.pk])).content.decode()
    assert "Transferred" in body and "Southshire MASH" in body
    queue = client.get(reverse("triage:queue"), {"status": "transferred"}).content.decode()
    assert f'data-item="{item.pk}"' in queue


def test_manager_summary(area, tess, mo):
    on_time = flag(area, "amber")
    late = flag(area, "red")
    flag(area, "red")  # still open, and overdue by the time we look
    with frozen(london(2026, 11, 23, 12, 0)):
        triage_decision_record(actor=tess, item=on_time, outcome="early_help", rationale="r")
    with frozen(london(2026, 11, 23, 16, 0)):
        triage_decision_record(actor=mo, item=late, outcome="police_action", rationale="r")
    with frozen(london(2026, 11, 23, 16, 30)):
        summary = manager_summary(mo)
    bands = {b.band: b for b in summary.bands}
    assert bands["amber"].decided_on_time == 1 and bands["amber"].decided_late == 0
    assert bands["red"].decided_late == 1 and bands["red"].open == 1
    assert bands["red"].overdue_now == 1
    # Two decisions: 2 h and 6 h after the clock started.
    assert summary.decisions_counted == 2
    assert summary.median_to_decision.total_seconds() == 4 * 3600
    assert TriageDecision.objects.get(item=late).signed_off_by == mo  # manager's own red


def test_summary_page_shows_the_timescales_in_force(area, mo, client):
    from hub.triage.models import RagTimescale

    RagTimescale.objects.create(area=area, band="red", working_minutes=120)
    client.force_login(mo)
    body = client.get(reverse("triage:summary")).content.decode()
    timescales = body.split('id="timescales"')[1]
    assert "Red: 2 working hours" in timescales
    assert "Amber: 1 working day" in timescales and "Green: 3 working days" in timescales
