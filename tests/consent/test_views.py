import datetime

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from consent.models import ConsentRecord, SharingDecision
from consent.policy import Visibility, visibility_of

pytestmark = pytest.mark.django_db


def _walk_aid(client, concern, charlie, share="yes"):
    steps = [
        {
            "scope": "concern",
            "recipient_kind": "agency",
            "recipient_agency": charlie.agency_id,
            "purpose": "Police welfare check tonight",
        },
        {"safety": "Without it the officer goes in blind; with it, little risk to the child."},
        {"article6": "public_task"},
        {"level": "3", "necessity": "The officer needs the detail; a summary would not do."},
        {"family_told": "no", "family_not_told_reason": "Could put the child at risk"},
        {"advice": "Discussed with the IG lead"},
        {"share": share},
    ]
    response = None
    for number, data in enumerate(steps, start=1):
        url = reverse("consent:decision_aid_step", args=["concern", concern.pk, number])
        response = client.post(url, data)
        assert response.status_code == 302, (number, response.content.decode()[:2000])
    return response


def test_the_decision_aid_ends_in_a_recorded_printable_decision(client, dora, charlie, concern):
    client.force_login(dora)
    page = client.get(reverse("consent:decision_aid", args=["concern", concern.pk]))
    assert page.status_code == 200
    assert "Data protection law is not a barrier" in page.content.decode()
    response = _walk_aid(client, concern, charlie)
    decision = SharingDecision.objects.get()
    assert response["Location"] == reverse("consent:decision_detail", args=[decision.pk])
    assert decision.share and decision.level == Visibility.FULL
    assert decision.knew["notes"]["advice"] == "Discussed with the IG lead"
    assert visibility_of(charlie, concern) == Visibility.FULL
    record = client.get(response["Location"]).content.decode()
    for text in (
        "Public task",
        "a summary would not do",
        "Discussed with the IG lead",
        "Could put the child at risk",
        "Print this record",
        concern.text,
    ):
        assert text in record


def test_the_aid_records_a_decision_not_to_share(client, dora, charlie, concern):
    client.force_login(dora)
    _walk_aid(client, concern, charlie, share="no")
    decision = SharingDecision.objects.get()
    assert not decision.share
    assert visibility_of(charlie, concern) == Visibility.NONE
    assert AuditEvent.objects.filter(action="share.refused").count() == 1


def test_revoking_through_the_page_ends_access(client, dora, charlie, concern):
    client.force_login(dora)
    _walk_aid(client, concern, charlie)
    decision = SharingDecision.objects.get()
    url = reverse("consent:decision_revoke", args=[decision.pk])
    assert client.post(url, {"reason": ""}).status_code == 200  # error shown, nothing revoked
    assert visibility_of(charlie, concern) == Visibility.FULL
    assert client.post(url, {"reason": "Check done"}).status_code == 302
    assert visibility_of(charlie, concern) == Visibility.NONE


def test_guessing_ids_never_reveals_whether_a_concern_exists(client, charlie, concern):
    client.force_login(charlie)
    existing = client.get(reverse("consent:concern_access", args=[concern.pk]))
    missing = client.get(reverse("consent:concern_access", args=[concern.pk + 10_000]))
    assert existing.status_code == missing.status_code == 404
    assert existing.content == missing.content
    person = concern.subject.person_id
    for name in ("child_access", "consent_records"):
        assert client.get(reverse(f"consent:{name}", args=[person])).status_code == 404
    aid = reverse("consent:decision_aid", args=["concern", concern.pk])
    assert client.get(aid).status_code == 404


def test_a_practitioner_sees_the_concern_and_why_but_cannot_decide(client, alice, concern):
    client.force_login(alice)
    page = client.get(reverse("consent:concern_access", args=[concern.pk])).content.decode()
    assert 'data-visibility="full"' in page and "Your own agency" in page
    assert "Decide whether to share" not in page
    aid = reverse("consent:decision_aid", args=["concern", concern.pk])
    assert client.get(aid).status_code == 404
    assert AuditEvent.objects.filter(action="concern.view", object_id=str(concern.pk)).exists()


def test_consent_pages_record_and_withdraw(client, dora, charlie, concern):
    client.force_login(dora)
    url = reverse("consent:consent_records", args=[concern.subject.person_id])
    response = client.post(
        url,
        {
            "status": "given",
            "agencies": [dora.agency_id, charlie.agency_id],
            "purposes": ["safeguarding"],
            "given_by": "mother",
            "given_on": "2026-01-05",
            "evidence": "Signed form",
        },
    )
    assert response.status_code == 302
    record = ConsentRecord.objects.get()
    assert visibility_of(charlie, concern) == Visibility.SUMMARY
    client.post(reverse("consent:consent_withdraw", args=[record.pk]), {"reason": "By phone"})
    assert visibility_of(charlie, concern) == Visibility.NONE


def test_break_glass_page_is_for_mash_managers_only(client, manon, trish, concern):
    url = reverse("consent:break_glass", args=[concern.subject.person_id])
    client.force_login(trish)
    assert client.get(url).status_code == 404
    client.force_login(manon)
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"reason": "public_interest", "justification": "x", "password": "no"})
    assert "password is not right" in wrong.content.decode()
    ok = client.post(
        url,
        {
            "reason": "public_interest",
            "justification": "Missing child",
            "password": "correct-horse-battery",
        },
    )
    assert ok.status_code == 302
    page = client.get(ok["Location"]).content.decode()
    assert 'data-visibility="full"' in page


def test_notifications_reach_the_owners_lead(client, manon, dora, concern):
    from consent.services import break_glass_open

    grant = break_glass_open(
        actor=manon,
        person_id=concern.subject.person_id,
        password="correct-horse-battery",
        reason="legal_requirement",
        justification="Court order",
    )
    client.force_login(dora)
    page = client.get(reverse("consent:notifications")).content.decode()
    assert "Break-glass access opened by manon" in page
    detail = client.get(reverse("consent:break_glass_detail", args=[grant.pk]))
    assert detail.status_code == 200 and "Court order" in detail.content.decode()


def test_consent_records_show_only_those_involving_the_viewers_agency(
    client, dora, trish, hana, concern, area, agreement
):
    from consent.services import consent_record_create, mash_involvement_open

    person = concern.subject.person
    consent_record_create(
        actor=dora,
        person=person,
        status="given",
        agencies=[dora.agency, hana.agency],
        purposes=["health_care"],
        given_by="mother",
        given_on=datetime.date(2026, 1, 5),
        evidence="Evidence only the school and health should read",
    )
    mash_involvement_open(actor=None, person_id=person.pk, area_id=area.pk, reason="flag")
    client.force_login(trish)  # sees the child under the MASH rule, not in the consent's scope
    page = client.get(reverse("consent:consent_records", args=[person.pk])).content.decode()
    assert "Evidence only the school" not in page and "No consent recorded" in page
    client.force_login(dora)
    page = client.get(reverse("consent:consent_records", args=[person.pk])).content.decode()
    assert "Evidence only the school" not in page  # evidence is not listed, the record is
    assert "mother" in page
