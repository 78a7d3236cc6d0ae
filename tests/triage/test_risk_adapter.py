"""The case view shows the combined-risk assessment through the risk app's own explanation
reader, and only ever describes the contributing concerns the viewer may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from concerns.models import Concern
from hub.risk.models import CurrentAssessment
from hub.risk.scoring import RULE_LABELS
from hub.risk.services import assessment_recompute_person
from hub.triage import risk_adapter
from hub.triage.services import triage_item_raise_for_flag
from tests.triage.conftest import record_concern

pytestmark = pytest.mark.django_db


def test_no_assessment_means_none(tess):
    assert risk_adapter.contributing_concern_ids(1) is None
    assert risk_adapter.risk_summary(assessment_id=None, person_id=0, viewer=tess) is None


def test_assessment_feeds_contributors_and_explanation(alice, charlie, tess, client):
    mine = record_concern(alice, text="school")
    police = record_concern(charlie, text="police")
    person = mine.subject.person
    assert police.subject.person_id == person.pk
    assessment_recompute_person(person_id=person.pk)
    assessment = CurrentAssessment.objects.get(pk=person.pk).assessment
    assert set(assessment.concern_ids) == {mine.pk, police.pk}
    item, _ = triage_item_raise_for_flag(
        person_id=person.pk, area_id=person.area_id, band="red", assessment_id=assessment.pk
    )
    assert item.contributing_concern_ids == sorted([mine.pk, police.pk])
    other = record_concern(alice, given="Other", text="another child", days_ago=2)
    assert other.pk not in item.contributing_concern_ids
    client.force_login(tess)
    body = client.get(reverse("triage:case", args=[item.pk])).content.decode()
    assert f"Score {round(assessment.score, 1)}" in body
    for rule in assessment.explanation["rules"]:
        assert RULE_LABELS[rule["code"]] in body
    # Contributors tess may not see are counted, never described; those she may see are listed.
    visible = set(
        Concern.objects.visible_to(tess)
        .filter(pk__in=[mine.pk, police.pk])
        .values_list("pk", flat=True)
    )
    hidden = 2 - len(visible)
    if hidden:
        assert f"{hidden} further record{'s' if hidden > 1 else ''} you cannot see" in body
    assert body.count("– weight ") == len(visible)


def test_rules_read_as_words(alice, charlie, tess):
    mine = record_concern(alice, text="school")
    record_concern(charlie, text="police")
    assessment_recompute_person(person_id=mine.subject.person_id)
    summary = risk_adapter.risk_summary(
        assessment_id=None, person_id=mine.subject.person_id, viewer=tess
    )
    assert summary is not None
    assert summary.rules == [
        f"{RULE_LABELS[r['code']]}: "
        + (
            f"× {r['multiplier']:g} ({r['agencies']} agencies)"
            if r["code"] == "jigsaw"
            else f"+ {r['points']:.2f} points"
        )
        for r in CurrentAssessment.objects.get(pk=mine.subject.person_id).assessment.explanation[
            "rules"
        ]
    ]
    assert summary.rules  # two agencies within days: the jigsaw rule fires
