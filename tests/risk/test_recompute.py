"""The per-child recompute, the batch recompute and the point-in-time path against PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from concerns.models import HouseholdMember, Person
from hub.risk.models import Assessment, CurrentAssessment
from hub.risk.services import (
    assess_iter,
    assessment_recompute_all,
    assessment_recompute_child,
    assessment_recompute_person,
    flags_raise_pending,
    parameter_set_current,
)
from hub.triage.models import TriageItem
from tests.factories import ConcernAmendmentFactory

pytestmark = pytest.mark.django_db


def test_child_recompute_counts_own_and_household_concerns(family, school, gp, police):
    own = family.concern(school, "neglect", level=2)
    adult = family.concern(police, "domestic_abuse", level=3, person=family.adult)
    sib = family.concern(gp, "injury", level=2, person=family.sibling)
    a = assessment_recompute_child(child_id=family.child.pk)
    vias = {c["id"]: c["via"] for c in a.explanation["concerns"]}
    assert vias == {own.pk: "child", adult.pk: "adult", sib.pk: "sibling"}
    assert a.parameter_set.version == parameter_set_current().version
    head = CurrentAssessment.objects.get(pk=family.child.pk)
    assert head.assessment_id == a.pk and head.band == a.band and head.version == 1


def test_recompute_is_idempotent(family, school):
    family.concern(school, "neglect", level=2)
    first = assessment_recompute_child(child_id=family.child.pk)
    assert first is not None
    assert assessment_recompute_child(child_id=family.child.pk) is None
    assert Assessment.objects.filter(person=family.child).count() == 1


def test_withdrawn_concern_stops_counting(family, school, dora):
    from concerns.services import concern_withdraw

    c = family.concern(school, "neglect", level=3, author=dora)
    assert assessment_recompute_child(child_id=family.child.pk).concern_ids == [c.pk]
    concern_withdraw(actor=dora, concern=c, reason="Recorded against the wrong child")
    again = assessment_recompute_child(child_id=family.child.pk)
    assert again.concern_ids == [] and again.score == 0 and again.version == 2


def test_left_household_member_no_longer_counts(family, police):
    family.concern(police, "domestic_abuse", level=3, person=family.adult)
    assert assessment_recompute_child(child_id=family.child.pk).concern_ids
    HouseholdMember.objects.filter(person=family.adult).update(left_on=timezone.localdate())
    assert assessment_recompute_child(child_id=family.child.pk).concern_ids == []


def test_batch_and_per_child_paths_agree(area, school, gp, police):
    from tests.risk.conftest import Family

    families = [Family(area) for _ in range(4)]
    for i, fam in enumerate(families):
        fam.concern(school, "neglect", level=1 + i % 3, days_ago=10 + i)
        fam.concern(gp, "was_not_brought", days_ago=20 + i)
        fam.concern(gp, "was_not_brought", days_ago=40)
        fam.concern(gp, "faltering_growth", days_ago=5)
        fam.concern(police, "domestic_abuse", level=3, person=fam.adult, days_ago=30)
        fam.concern(school, "injury", level=2, days_ago=25 - i)
        fam.concern(school, "missing_from_education", person=fam.sibling, days_ago=100 + i)
    at = timezone.now()
    kids = sorted(f.pk for fam in families for f in (fam.child, fam.sibling))
    batch = dict(assess_iter(at=at, parameters=[parameter_set_current().parameters], as_of=False))
    stats = assessment_recompute_all(at=at)
    assert stats.children == len(kids) and stats.new_versions == len(kids)
    per_child = {}
    for kid in kids:
        # The per-child path's own read of the same data, at the same time.
        from hub.risk.facts import fetch_facts
        from hub.risk.scoring import Scorer

        facts = fetch_facts(at=at, window_days=365, child_ids=[kid])
        per_child[kid] = Scorer(parameter_set_current().parameters).score(facts.get(kid, []))
    for kid in kids:
        written = Assessment.objects.get(person_id=kid, version=1)
        assert (written.score, written.band, written.explanation) == (
            per_child[kid].score,
            per_child[kid].band,
            per_child[kid].explanation,
        )
        assert batch[kid][0].explanation == per_child[kid].explanation
    # Rises are marked in the batch and raised after it, once.
    flagged = CurrentAssessment.objects.filter(flag_pending=True)
    assert flagged.count() == stats.flags > 0
    assert not TriageItem.objects.exists()
    assert flags_raise_pending() == stats.flags
    assert TriageItem.objects.count() == stats.flags and not flagged.exists()
    assert flags_raise_pending() == 0


def test_batch_never_overwrites_a_newer_per_child_result(family, school, monkeypatch):
    from hub.risk import services

    before = timezone.now() - dt.timedelta(seconds=5)
    # The batch read its facts at BEFORE, when the child had no concern yet...
    monkeypatch.setattr(services, "_facts_source", lambda ids, **kw: ((i, []) for i in ids))
    family.concern(school, "neglect", level=3)
    # ...and a per-child recompute committed a newer result meanwhile.
    newer = assessment_recompute_child(child_id=family.child.pk)
    stats = assessment_recompute_all(at=before)
    assert stats.skipped_newer >= 1
    head = CurrentAssessment.objects.get(pk=family.child.pk)
    assert head.assessment_id == newer.pk
    assert Assessment.objects.filter(person=family.child).count() == 1


def test_recompute_person_covers_household_and_clears_outbox(family, police):
    from concerns.models import RecomputeOutbox

    family.concern(police, "domestic_abuse", level=3, person=family.adult)
    RecomputeOutbox.objects.create(person_id=family.adult.pk, created_at=timezone.now())
    done = assessment_recompute_person(person_id=family.adult.pk)
    assert sorted(done) == sorted([family.child.pk, family.sibling.pk])
    assert not RecomputeOutbox.objects.exists()
    assert Assessment.objects.filter(person=family.sibling).exists()


def test_as_of_uses_what_was_recorded_and_amended_by_then(family, school, dora):
    now = timezone.now()
    Person.objects.filter(pk=family.child.pk).update(created_at=now - dt.timedelta(days=60))
    c = family.concern(school, "neglect", level=4, days_ago=30, author=dora)
    c.recorded_at = now - dt.timedelta(days=20)
    c.save(update_fields=["recorded_at"])
    later = family.concern(school, "neglect", level=2, days_ago=2)
    ConcernAmendmentFactory(
        concern=c,
        amended_by=dora,
        amended_at=now - dt.timedelta(days=5),
        changes={"level": {"before": 1, "after": 4}},
    )
    day = now - dt.timedelta(days=10)
    params = [parameter_set_current().parameters]
    [(_cid, [old])] = list(assess_iter(at=day, parameters=params, only=[family.child.pk]))
    assert old.concern_ids == [c.pk]  # `later` was not recorded yet
    assert later.pk not in old.concern_ids
    live = assessment_recompute_child(child_id=family.child.pk)
    assert live.explanation["concerns"][0]["w"] > old.explanation["concerns"][0]["w"]


def test_the_application_role_cannot_change_or_delete_assessments_or_parameters():
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    exists = connection.cursor()
    exists.execute("SELECT 1 FROM pg_roles WHERE rolname = 'hub_app'")
    if exists.fetchone() is None:
        pytest.skip("no hub_app role here (make db-roles creates it)")
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, dbname=db["NAME"], user="hub_app"
    ) as app:
        for sql in (
            "UPDATE risk_assessment SET score = 0 WHERE false",
            "DELETE FROM risk_assessment WHERE false",
            "UPDATE risk_parameterset SET note = '' WHERE false",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(sql)
            app.rollback()
        app.execute("UPDATE risk_currentassessment SET score = score WHERE false")  # the pointer
