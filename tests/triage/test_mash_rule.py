"""The MASH rule through triage: once a child is in an area's MASH triage (a flag, a direct
referral or a transfer), that area's MASH staff see a summary of every agency's concerns about
the child, where the area has an information-sharing agreement in force (consent app)."""

from __future__ import annotations

import pytest

from concerns.taxonomy import Category
from consent.models import MashInvolvement
from consent.policy import Visibility, visibility_of
from hub.triage.services import triage_decision_record, triage_referral_create
from tests.factories import AreaSharingAgreementFactory
from tests.triage.conftest import record_concern

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(alice, charlie):
    """Sam: a school concern (alice) and a police concern (charlie), one child on the hub."""
    school_concern = record_concern(alice, text="SCHOOL-TEXT hungry")
    police_concern = record_concern(charlie, category=Category.DOMESTIC_ABUSE, text="POLICE-TEXT")
    assert school_concern.subject.person_id == police_concern.subject.person_id
    return school_concern, police_concern


def test_a_referral_lets_the_areas_mash_see_a_summary_of_other_agencies_concerns(
    area, sam, alice, tess
):
    AreaSharingAgreementFactory(area=area)
    school_concern, police_concern = sam
    assert visibility_of(tess, police_concern) == Visibility.NONE  # not in triage yet

    item, created = triage_referral_create(
        actor=alice, concern_id=school_concern.pk, reason="Hungry again; police call-out"
    )

    assert created and item.area_id == area.pk
    assert MashInvolvement.objects.filter(
        person_id=item.person_id, area=area, closed_at__isnull=True
    ).exists()
    assert visibility_of(tess, police_concern) == Visibility.SUMMARY
    assert visibility_of(tess, school_concern) == Visibility.SUMMARY


def test_a_transfer_opens_the_rule_for_the_receiving_mash(area, area_b, sam, alice, tess, bea):
    AreaSharingAgreementFactory(area=area)
    AreaSharingAgreementFactory(area=area_b)
    school_concern, police_concern = sam
    item, _ = triage_referral_create(actor=alice, concern_id=school_concern.pk, reason="Referral")
    assert visibility_of(bea, police_concern) == Visibility.NONE

    triage_decision_record(
        actor=tess,
        item=item,
        outcome="transfer",
        rationale="Family moved to Southshire",
        transfer_to_area=area_b,
    )

    assert visibility_of(bea, police_concern) == Visibility.SUMMARY


def test_without_an_agreement_in_force_a_referral_opens_nothing_to_read(area, sam, alice, tess):
    school_concern, police_concern = sam
    triage_referral_create(actor=alice, concern_id=school_concern.pk, reason="Referral")
    assert visibility_of(tess, police_concern) == Visibility.NONE


def test_another_areas_case_answers_exactly_like_a_missing_one(area, sam, alice, bea, client):
    from django.urls import reverse

    school_concern, _ = sam
    item, _ = triage_referral_create(actor=alice, concern_id=school_concern.pk, reason="Referral")
    client.force_login(bea)
    existing = client.get(reverse("triage:case", args=[item.pk]))
    missing = client.get(reverse("triage:case", args=[item.pk + 10_000]))
    assert existing.status_code == missing.status_code == 404
    assert existing.content == missing.content
