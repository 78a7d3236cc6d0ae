"""The case view reads the combined-risk assessment defensively, and only ever shows the
contributing concerns the viewer may see."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse

from hub.triage import risk_adapter
from hub.triage.services import triage_item_raise_for_flag
from tests.triage.conftest import record_concern

pytestmark = pytest.mark.django_db


class FakeAssessments:
    """Stands in for `risk.Assessment` with the attributes the adapter looks for."""

    def __init__(self, rows):
        self.rows = rows
        self.objects = self
        self._meta = SimpleNamespace(get_fields=lambda: [SimpleNamespace(name="person")])
        self._filter = {}

    def filter(self, **kwargs):
        self._filter = kwargs
        return self

    def order_by(self, *args):
        return self

    def first(self):
        if "pk" in self._filter:
            return self.rows.get(self._filter["pk"])
        return next(iter(self.rows.values()), None)


def test_no_risk_app_means_no_assessment(tess):
    if risk_adapter._assessment_model() is None:
        assert risk_adapter.contributing_concern_ids(1) is None
    assert risk_adapter.risk_summary(assessment_id=None, person_id=0, viewer=tess) is None


def test_assessment_feeds_contributors_and_explanation(monkeypatch, alice, charlie, tess, client):
    mine = record_concern(alice, text="school")
    police = record_concern(charlie, text="police")
    other = record_concern(alice, text="not a contributor", days_ago=2)
    assessment = SimpleNamespace(
        pk=7,
        score=41.5,
        band="red",
        created_at=None,
        explanation={
            "concerns": [
                {"concern_id": mine.pk, "weight": 12},
                {"concern_id": police.pk, "weight": 20},
            ],
            "rules": [{"description": "Concerns from several agencies", "weight": 9.5}],
        },
    )
    monkeypatch.setattr(risk_adapter, "_assessment_model", lambda: FakeAssessments({7: assessment}))
    person = mine.subject.person
    item, _ = triage_item_raise_for_flag(
        person_id=person.pk, area_id=person.area_id, band="red", assessment_id=7
    )
    assert item.contributing_concern_ids == sorted([mine.pk, police.pk])
    assert other.pk not in item.contributing_concern_ids
    client.force_login(tess)
    body = client.get(reverse("triage:case", args=[item.pk])).content.decode()
    assert "Score 41.5" in body and "Concerns from several agencies (+9.5)" in body
    # Contributors tess may not see are counted, never described; those she may see are listed.
    from concerns.models import Concern

    visible = set(
        Concern.objects.visible_to(tess)
        .filter(pk__in=[mine.pk, police.pk])
        .values_list("pk", flat=True)
    )
    hidden = 2 - len(visible)
    if hidden:
        assert f"{hidden} further record{'s' if hidden > 1 else ''} you cannot see" in body
    assert body.count("– weight ") == len(visible)
