"""The daily access-monitoring report."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from audit.models import AccessFinding, Action
from audit.monitoring import access_report_build, is_out_of_hours
from audit.services import audit_record
from audit.tasks import access_monitoring_daily
from hub.triage.services import triage_item_raise_for_flag
from tests.factories import ConcernFactory, PersonFactory, SubjectRecordFactory

Kind = AccessFinding.Kind
LONDON = ZoneInfo("Europe/London")


def _findings(report, kind, actor=None):
    qs = report.findings.filter(kind=kind)
    if actor is not None:
        qs = qs.filter(actor_id=actor.pk)
    return {f.child_id for f in qs}


def test_report_flags_unexplained_access_break_glass_and_many_children(
    alice, charlie, triager, school, area, settings
):
    settings.AUDIT_MANY_CHILDREN_THRESHOLD = 2
    known, stranger, flagged = PersonFactory(), PersonFactory(), PersonFactory()
    ConcernFactory(subject=SubjectRecordFactory(agency=school, person=known), agency=school)
    triage_item_raise_for_flag(
        person_id=flagged.pk, area_id=area.pk, band="red", assessment_id=None
    )
    for child in (known, stranger, flagged):
        audit_record(actor=alice, action=Action.VIEW_CONCERN, child_id=child.pk)
    audit_record(actor=triager, action=Action.VIEW_CASE, child_id=flagged.pk)
    glass = audit_record(actor=charlie, action=Action.BREAK_GLASS, child_id=known.pk)

    report = access_report_build(day=timezone.localdate())

    # Alice's school holds a concern about `known`: explained. The others are not.
    assert _findings(report, Kind.UNEXPLAINED, alice) == {stranger.pk, flagged.pk}
    # The triager's agency serves the area whose MASH has `flagged` in its queue: explained.
    assert _findings(report, Kind.UNEXPLAINED, triager) == set()
    assert report.findings.get(kind=Kind.BREAK_GLASS, actor_id=charlie.pk).event_seq == glass.seq
    many = report.findings.get(kind=Kind.MANY_CHILDREN)
    assert (many.actor_id, many.count) == (alice.pk, 3)
    assert report.accesses >= 5
    assert report.accesses - report.accesses_explained >= 3  # 2 of alice's + the break-glass
    assert 0 < report.explained_share < 1
    # Out of hours follows the configured working day.
    expected = is_out_of_hours(glass.at)
    assert bool(_findings(report, Kind.OUT_OF_HOURS, alice)) == expected


def test_out_of_hours_rule(settings):
    settings.AUDIT_WORKING_HOURS = (8, 18)
    assert not is_out_of_hours(datetime(2026, 11, 25, 9, 0, tzinfo=LONDON))  # Wednesday
    assert is_out_of_hours(datetime(2026, 11, 25, 19, 30, tzinfo=LONDON))
    assert is_out_of_hours(datetime(2026, 11, 25, 7, 59, tzinfo=LONDON))
    assert is_out_of_hours(datetime(2026, 11, 28, 10, 0, tzinfo=LONDON))  # Saturday


def test_rebuilding_a_day_replaces_its_report(alice):
    audit_record(actor=alice, action=Action.VIEW_CONCERN, child_id=1)
    first = access_monitoring_daily(timezone.localdate().isoformat())
    second = access_monitoring_daily(timezone.localdate().isoformat())
    from audit.models import AccessReport

    assert AccessReport.objects.filter(pk=first).count() == 0
    assert AccessReport.objects.filter(pk=second).count() == 1


def test_report_pages(client, ig_lead, alice):
    audit_record(actor=alice, action=Action.VIEW_CONCERN, child_id=77)
    client.force_login(ig_lead)
    response = client.post(reverse("audit:report_rebuild"), {"day": timezone.localdate()})
    assert response.status_code == 302
    detail = client.get(response["Location"])
    assert detail.status_code == 200 and b"alice" in detail.content
    assert b"Explained automatically" in client.get(reverse("audit:reports")).content
