"""`manage.py assess --as-of DATE`: what the hub would have shown on a past day."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from concerns.models import Concern, Person, SubjectRecord
from hub.risk.models import Assessment
from tests.factories import ConcernAmendmentFactory

pytestmark = pytest.mark.django_db


def _backdate(concern, recorded_days_ago):
    Concern.objects.filter(pk=concern.pk).update(
        recorded_at=timezone.now() - dt.timedelta(days=recorded_days_ago)
    )


def test_as_of_json_uses_records_amendments_and_withdrawals_as_they_stood(family, school, gp,
                                                                          dora):  # fmt: skip
    now = timezone.now()
    Person.objects.filter(pk__in=[family.child.pk, family.sibling.pk]).update(
        created_at=now - dt.timedelta(days=100)
    )
    amended = family.concern(school, "neglect", level=4, days_ago=40, author=dora)
    _backdate(amended, 39)
    ConcernAmendmentFactory(
        concern=amended,
        amended_by=dora,
        amended_at=now - dt.timedelta(days=5),
        changes={"level": {"before": 1, "after": 4}, "category": {"before": "other",
                                                                  "after": "neglect"}},
    )  # fmt: skip
    withdrawn_later = family.concern(gp, "was_not_brought", level=2, days_ago=30)
    _backdate(withdrawn_later, 29)
    Concern.objects.filter(pk=withdrawn_later.pk).update(
        status="withdrawn", withdrawn_at=now - dt.timedelta(days=2), withdrawn_reason="Wrong child"
    )
    not_yet = family.concern(gp, "injury", level=3, days_ago=3)
    SubjectRecord.objects.update(created_at=now - dt.timedelta(days=100))
    day = timezone.localdate() - dt.timedelta(days=10)

    out = StringIO()
    call_command("assess", "--as-of", day.isoformat(), "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    rows = {row["child_id"]: row for row in data["children"]}
    assert set(rows) == {family.child.pk, family.sibling.pk}
    row = rows[family.child.pk]
    assert set(row["concern_ids"]) == {amended.pk, withdrawn_later.pk}
    assert not_yet.pk not in row["concern_ids"]
    assert sorted(row["agency_references"]) == sorted(
        [f"{school.code}:{school.code}-{family.child.pk}", f"{gp.code}:{gp.code}-{family.child.pk}"]
    )
    assert "jigsaw" in row["rules"]
    # Level 1 "other" then (0.5 x 1), not the level 4 neglect it became: a small score.
    assert row["band"] == "green" and row["score"] < 8
    assert not Assessment.objects.exists()  # live assessments untouched

    today = StringIO()
    call_command("assess", "--as-of", timezone.localdate().isoformat(), stdout=today)
    line = next(x for x in today.getvalue().splitlines() if x.startswith(f"{family.child.pk}\t"))
    assert str(not_yet.pk) in line and str(withdrawn_later.pk) not in line.split("concerns=")[1]
