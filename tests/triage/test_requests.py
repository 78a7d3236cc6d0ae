"""Information requests: asked by the MASH, answered by the agency's designated lead."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from consent.models import SharingDecision
from consent.policy import Visibility, visibility_of
from hub.triage.models import InformationRequest, TriageItem
from hub.triage.services import (
    information_request_answer,
    information_request_create,
    triage_item_raise_for_flag,
)
from tests.factories import AreaSharingAgreementFactory, PersonFactory
from tests.triage.conftest import frozen, london, record_concern

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(area):
    with frozen(london(2026, 11, 23, 10, 0)):
        item, _ = triage_item_raise_for_flag(
            person_id=PersonFactory(area=area).pk, area_id=area.pk, band="amber", assessment_id=None
        )
    return item


@pytest.fixture
def concern_item(area, alice):
    """An item about a child the school (alice, dora's agency) has a concern about, in an area
    with an information-sharing agreement in force (so the MASH rule applies)."""
    AreaSharingAgreementFactory(area=area)
    with frozen(london(2026, 11, 20, 10, 0)):
        concern = record_concern(alice, text="Sam came to school hungry again; alice's words.")
    with frozen(london(2026, 11, 23, 10, 0)):
        item, _ = triage_item_raise_for_flag(
            person_id=concern.subject.person_id, area_id=area.pk, band="amber", assessment_id=None
        )
    return item, concern


def test_round_trip_through_the_pages(concern_item, tess, dora, school, police, client):
    item, concern = concern_item
    # Before the school answers, the MASH rule shows the MASH a summary of the school's concern.
    assert visibility_of(tess, concern) == Visibility.SUMMARY
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
    form = {
        "answer": "shared",
        "level": "full",
        "article6": "public_task",
        "necessity": "Pattern of neglect; MASH must decide today",
        "response_text": "Attendance 71% this term.",
    }
    # The consent app refuses a share without saying whether the family was told: the form
    # shows its message against the field, and neither the answer nor a decision is saved.
    refused = client.post(reverse("triage:request_answer", args=[school_request.pk]), form)
    assert refused.status_code == 400
    refused_page = refused.content.decode()
    assert 'href="#family_told"' in refused_page
    assert "Say whether the family was told, or why not" in refused_page
    school_request.refresh_from_db()
    assert school_request.status == "open" and not SharingDecision.objects.exists()
    assert visibility_of(tess, concern) == Visibility.SUMMARY

    answered = client.post(
        reverse("triage:request_answer", args=[school_request.pk]),
        {**form, "family_told": "no", "family_not_told_reason": "Telling them may put Sam at risk"},
    )
    assert answered.status_code == 302
    school_request.refresh_from_db()
    assert school_request.status == "answered" and school_request.share_level == "full"
    decision = SharingDecision.objects.get(pk=school_request.sharing_decision_id)
    assert decision.share and decision.level == Visibility.FULL
    assert decision.recipient_area_id == item.area_id and decision.information_request_id == (
        school_request.pk
    )
    assert decision.family_told is False
    event = AuditEvent.objects.get(action="info_request", details__step="answer")
    assert event.lawful_basis == "public_task" and "71%" not in str(event.details)
    # The school's "shared full" answer lets the area's MASH read its concern in full.
    assert visibility_of(tess, concern) == Visibility.FULL

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


def test_answer_records_a_sharing_decision_through_consent(concern_item, tess, dora, school):
    item, concern = concern_item
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
        family_told=True,
    )
    decision = SharingDecision.objects.get(pk=answered.sharing_decision_id)
    assert decision.level == Visibility.SUMMARY and decision.recipient_area_id == item.area_id
    assert decision.knew["concerns"][0]["id"] == concern.pk


def test_declining_records_a_decision_not_to_share(concern_item, tess, dora, school):
    item, concern = concern_item
    (request,) = information_request_create(
        actor=tess, item=item, agencies=[school], question="Anything?"
    )
    answered = information_request_answer(
        actor=dora, request=request, answer="declined", response_text="Not proportionate yet"
    )
    decision = SharingDecision.objects.get(pk=answered.sharing_decision_id)
    assert not decision.share and decision.level == Visibility.NONE
    assert decision.necessity == "Not proportionate yet"
    assert visibility_of(tess, concern) == Visibility.SUMMARY  # the MASH rule still applies


def test_a_refused_decision_leaves_the_request_open(item, tess, dora, school):
    """The school holds nothing about this child on the hub: the consent app refuses a decision
    about no concerns, so the answer is not saved either (one transaction)."""
    (request,) = information_request_create(
        actor=tess, item=item, agencies=[school], question="Anything?"
    )
    with pytest.raises(ValidationError) as refused:
        information_request_answer(
            actor=dora,
            request=request,
            answer="shared",
            necessity="Needed",
            family_told=True,
        )
    assert "answer" in refused.value.message_dict
    request.refresh_from_db()
    assert request.status == "open" and request.sharing_decision_id is None
    assert not SharingDecision.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["share", "share_refused"]).exists()


def test_sharing_health_information_in_full_needs_article9(area, tess, school):
    """A health concern shared in full needs an Article 9 condition (and, with 9(2)(g), the
    Schedule 1 paragraph 18 reason): the consent app's rule, reached through the answer."""
    from agencies.models import User
    from tests.factories import UserFactory

    nurse = UserFactory(username="nurse", agency=school, role=User.Role.PRACTITIONER)
    lead = UserFactory(username="lead2", agency=school, role=User.Role.DESIGNATED_LEAD)
    concern = record_concern(nurse, text="Synthetic health detail.", marker_health=True)
    item, _ = triage_item_raise_for_flag(
        person_id=concern.subject.person_id, area_id=area.pk, band="amber", assessment_id=None
    )
    (request,) = information_request_create(
        actor=tess, item=item, agencies=[school], question="Anything?"
    )
    args = {
        "actor": lead,
        "request": request,
        "answer": "shared",
        "level": "full",
        "necessity": "Needed",
        "family_told": True,
    }
    with pytest.raises(ValidationError) as no_article9:
        information_request_answer(**args)
    assert "article9" in no_article9.value.message_dict
    with pytest.raises(ValidationError) as no_reason:
        information_request_answer(**args, article9="9_2_g_sch1_para18")
    assert "schedule1_reason" in no_reason.value.message_dict
    answered = information_request_answer(
        **args, article9="9_2_g_sch1_para18", schedule1_reason="would_prejudice"
    )
    assert SharingDecision.objects.get(pk=answered.sharing_decision_id).article9 == (
        "9_2_g_sch1_para18"
    )
    assert visibility_of(tess, concern) == Visibility.FULL
