"""Information requests: asked by the MASH, answered by the agency's designated lead."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from hub.triage.models import InformationRequest, TriageItem
from hub.triage.services import (
    information_request_answer,
    information_request_create,
    triage_item_raise_for_flag,
)
from tests.factories import PersonFactory
from tests.triage.conftest import frozen, london

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(area):
    with frozen(london(2026, 11, 23, 10, 0)):
        item, _ = triage_item_raise_for_flag(
            person_id=PersonFactory(area=area).pk, area_id=area.pk, band="amber", assessment_id=None
        )
    return item


def test_round_trip_through_the_pages(item, tess, dora, school, police, client):
    client.force_login(tess)
    with frozen(london(2026, 11, 23, 11, 0)):
        response = client.post(
            reverse("triage:request_create", args=[item.pk]),
            {"agencies": [school.pk, police.pk], "question": "What do you hold?", "due": "480"},
        )
    assert response.status_code == 302
    requests = list(InformationRequest.objects.order_by("agency__name"))
    assert [r.agency for r in requests] == [school, police]
    assert requests[0].due_at == london(2026, 11, 24, 11, 0)  # one working day
    item.refresh_from_db()
    assert item.status == TriageItem.Status.IN_PROGRESS

    school_request, police_request = requests
    client.force_login(dora)
    inbox = client.get(reverse("triage:inbox")).content.decode()
    assert f'data-request="{school_request.pk}"' in inbox
    assert f'data-request="{police_request.pk}"' not in inbox  # the police's is not hers
    assert client.get(reverse("triage:request_answer", args=[police_request.pk])).status_code == 404
    page = client.get(reverse("triage:request_answer", args=[school_request.pk]))
    assert page.status_code == 200
    assert AuditEvent.objects.filter(
        action="info_request", details__step="view", actor_id=dora.pk
    ).exists()
    bad = client.post(
        reverse("triage:request_answer", args=[school_request.pk]),
        {"answer": "shared", "level": "summary", "article6": "public_task"},
    )
    assert bad.status_code == 400 and "necessary and proportionate" in bad.content.decode()
    answered = client.post(
        reverse("triage:request_answer", args=[school_request.pk]),
        {
            "answer": "shared",
            "level": "full",
            "article6": "public_task",
            "necessity": "Pattern of neglect; MASH must decide today",
            "response_text": "Attendance 71% this term.",
        },
    )
    assert answered.status_code == 302
    school_request.refresh_from_db()
    assert school_request.status == "answered" and school_request.share_level == "full"
    event = AuditEvent.objects.get(action="info_request", details__step="answer")
    assert event.lawful_basis == "public_task" and "71%" not in str(event.details)

    client.force_login(tess)
    body = client.get(reverse("triage:case", args=[item.pk])).content.decode()
    assert "Attendance 71% this term." in body and "Awaiting answer" in body


def test_only_the_agencys_designated_lead_can_answer(item, tess, alice, dora, pat, school):
    (request,) = information_request_create(
        actor=tess, item=item, agencies=[school], question="Anything?"
    )
    for actor in (alice, pat, tess):
        with pytest.raises(PermissionDenied):
            information_request_answer(actor=actor, request=request, answer="nothing_held")
    information_request_answer(actor=dora, request=request, answer="nothing_held")
    with pytest.raises(ValidationError):
        information_request_answer(actor=dora, request=request, answer="nothing_held")


def test_declining_needs_a_reason(item, tess, dora, school):
    (request,) = information_request_create(
        actor=tess, item=item, agencies=[school], question="Anything?"
    )
    with pytest.raises(ValidationError, match="not sharing"):
        information_request_answer(actor=dora, request=request, answer="declined")


def test_overdue_requests_stand_out_for_triager_and_manager(item, tess, mo, school, client):
    with frozen(london(2026, 11, 23, 11, 0)):
        information_request_create(
            actor=tess, item=item, agencies=[school], question="Anything?", due_in_minutes=120
        )
    with frozen(london(2026, 11, 23, 14, 0)):
        client.force_login(tess)
        queue = client.get(reverse("triage:queue")).content.decode()
        assert "Overdue information requests" in queue and "Northgate School" in queue
        case = client.get(reverse("triage:case", args=[item.pk])).content.decode()
        assert "Overdue" in case
        client.force_login(mo)
        summary = client.get(reverse("triage:summary")).content.decode()
    assert "Northgate School" in summary.split('id="overdue-requests"')[1]


def test_agencies_outside_the_area_cannot_be_asked(item, tess, area_b):
    from tests.factories import AgencyFactory

    elsewhere = AgencyFactory(code="far-school", areas=[area_b])
    with pytest.raises(ValidationError):
        information_request_create(actor=tess, item=item, agencies=[elsewhere], question="?")


def test_answer_records_a_sharing_decision_through_consent(item, tess, dora, school):
    pytest.importorskip(
        "consent.services",
        reason="consent.services.sharing_decision_record arrives with the consent branch",
    )
    (request,) = information_request_create(
        actor=tess, item=item, agencies=[school], question="Anything?"
    )
    answered = information_request_answer(
        actor=dora,
        request=request,
        answer="shared",
        level="summary",
        article6="public_task",
        necessity="Needed to decide on the referral",
    )
    assert answered.sharing_decision_id is not None
