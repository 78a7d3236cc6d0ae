"""Scenario tests: what the combined-risk work is for, through the services people use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agencies.models import User
from concerns.models import RecomputeOutbox
from concerns.services import concern_record, concern_withdraw, household_link
from hub.risk.models import CurrentAssessment
from hub.risk.services import assessment_recompute_person
from hub.triage.models import TriageItem
from tests.factories import SubjectRecordFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gina(gp):
    return UserFactory(username="gina", agency=gp, role=User.Role.PRACTITIONER)


def record(actor, subject, category, level, days_ago):
    concern = concern_record(
        actor=actor,
        subject=subject,
        category=category,
        level=level,
        text="Synthetic scenario concern.",
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        consent_status="not_sought",
    )
    return concern


def band_after(person_id):
    assessment_recompute_person(person_id=person_id)
    return CurrentAssessment.objects.get(pk=person_id)


def subjects_for(person, *agencies):
    return [SubjectRecordFactory(person=person, agency=a) for a in agencies]


def test_three_agencies_each_one_low_level_concern_add_up(area, school, gp, police, alice,
                                                          gina, charlie):  # fmt: skip
    from tests.factories import PersonFactory

    # Each concern alone, about a child of its own, stays green.
    for actor, agency, category in (
        (alice, school, "neglect"),
        (gina, gp, "was_not_brought"),
        (charlie, police, "domestic_abuse"),
    ):
        alone = PersonFactory(area=area)
        (subject,) = subjects_for(alone, agency)
        record(actor, subject, category, 2, days_ago=10)
        assert band_after(alone.pk).band == "green"
    # The same three, within a few weeks, about one child.
    child = PersonFactory(area=area)
    s_school, s_gp, s_police = subjects_for(child, school, gp, police)
    record(alice, s_school, "neglect", 2, days_ago=30)
    record(gina, s_gp, "was_not_brought", 2, days_ago=16)
    record(charlie, s_police, "domestic_abuse", 2, days_ago=3)
    head = band_after(child.pk)
    assert head.band in {"amber", "red"}
    rules = {r["code"] for r in head.assessment.explanation["rules"]}
    assert "jigsaw" in rules
    item = TriageItem.objects.get(person=child, status="open")
    assert item.area == area and item.band == head.band
    assert item.assessment_id == head.assessment_id
    # Recomputing again raises no second item.
    band_after(child.pk)
    assert TriageItem.objects.filter(person=child).count() == 1


def test_control_family_with_one_explained_accident_stays_green(area, school, gp, alice, gina):
    from tests.factories import PersonFactory

    child = PersonFactory(area=area)
    sibling = PersonFactory(area=area)
    parent = PersonFactory(area=area, kind="adult")
    household_link(actor=alice, person=child, relationship="child", address="1 Elm Row",
                   postcode="ZX1 1AA")  # fmt: skip
    household_link(actor=alice, person=sibling, relationship="sibling", with_person=child)
    household_link(actor=alice, person=parent, relationship="parent", with_person=child)
    (subject,) = subjects_for(child, gp)
    record(gina, subject, "injury", 1, days_ago=12)  # a fall in the park, explained, level 1
    assert band_after(child.pk).band == "green"
    assert band_after(sibling.pk).band == "green"
    assert not TriageItem.objects.filter(person__in=[child, sibling]).exists()


def test_withdrawn_concern_stops_counting(area, school, gp, police, alice, gina, charlie, dora):
    from tests.factories import PersonFactory

    child = PersonFactory(area=area)
    s_school, s_gp, s_police = subjects_for(child, school, gp, police)
    wrong = record(alice, s_school, "physical_abuse", 3, days_ago=5)
    record(gina, s_gp, "was_not_brought", 2, days_ago=6)
    record(charlie, s_police, "domestic_abuse", 2, days_ago=7)
    before = band_after(child.pk)
    assert wrong.pk in before.assessment.concern_ids
    concern_withdraw(actor=dora, concern=wrong, reason="Recorded against the wrong child")
    after = band_after(child.pk)
    assert wrong.pk not in after.assessment.concern_ids
    assert after.score < before.score and after.version == before.version + 1


def test_concern_about_a_parent_recomputes_every_child_in_the_household(area, police, alice,
                                                                        charlie):  # fmt: skip
    from tests.factories import PersonFactory

    child, sibling = PersonFactory(area=area), PersonFactory(area=area)
    parent = PersonFactory(area=area, kind="adult")
    household_link(actor=alice, person=child, relationship="child", address="2 Oak Row",
                   postcode="ZX1 1AB")  # fmt: skip
    household_link(actor=alice, person=sibling, relationship="sibling", with_person=child)
    household_link(actor=alice, person=parent, relationship="parent", with_person=child)
    # Linking queued its own recomputes (tested in test_household_link_recompute); start clean.
    RecomputeOutbox.objects.all().delete()
    (subject,) = subjects_for(parent, police)
    concern = record(charlie, subject, "domestic_abuse", 3, days_ago=2)
    assert RecomputeOutbox.objects.filter(person_id=parent.pk).exists()
    done = assessment_recompute_person(person_id=parent.pk)
    assert sorted(done) == sorted([child.pk, sibling.pk])
    for kid in (child, sibling):
        head = CurrentAssessment.objects.get(pk=kid.pk)
        assert head.assessment.explanation["concerns"] == [
            {"id": concern.pk, "w": head.assessment.explanation["base"], "via": "adult"}
        ]
    assert not RecomputeOutbox.objects.exists()
