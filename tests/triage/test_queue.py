"""The queue: deadlines from creation in working time, ordering, filters, scope, assignment."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from hub.triage.models import RagTimescale, RatingChange, TriageItem
from hub.triage.selectors import QueueFilters, queue_page
from hub.triage.services import (
    triage_item_assign,
    triage_item_raise_for_flag,
    triage_item_rate,
    triage_items_reassign,
)
from tests.factories import PersonFactory
from tests.triage.conftest import frozen, london

pytestmark = pytest.mark.django_db


def flag(area, band, when):
    with frozen(when):
        item, _ = triage_item_raise_for_flag(
            person_id=PersonFactory(area=area).pk, area_id=area.pk, band=band, assessment_id=None
        )
    return item


def test_queue_is_ordered_by_working_time_deadline_not_creation(area, tess):
    green = flag(area, "amber", london(2026, 11, 26, 10, 0))  # Thursday; rated down below
    with frozen(london(2026, 11, 26, 10, 0)):
        triage_item_rate(actor=tess, item=green, band="green", rationale="Known family, low risk")
    red = flag(area, "red", london(2026, 11, 27, 16, 0))  # Fri, just before close
    amber = flag(area, "amber", london(2026, 11, 28, 11, 0))  # Saturday: clock starts Monday
    green.refresh_from_db()
    assert green.deadline_at == london(2026, 12, 1, 10, 0)
    assert red.deadline_at == london(2026, 11, 30, 12, 0)
    assert amber.deadline_at == london(2026, 11, 30, 17, 0)
    with frozen(london(2026, 11, 30, 14, 0)):
        page = queue_page(tess, QueueFilters())
    assert [r.pk for r in page.rows] == [red.pk, amber.pk, green.pk]
    assert page.rows[0].overdue and page.rows[0].time_left == "overdue by 2 h"
    assert not page.rows[1].overdue and page.rows[1].time_left == "3 h left"
    assert page.overdue == 1 and page.total == 3


def test_bank_holiday_deadline_and_area_timescales(area, area_b, tess):
    # Christmas 2026: Friday 25th and Monday 28th (substitute Boxing Day) are bank holidays.
    red = flag(area, "red", london(2026, 12, 24, 16, 0))
    assert red.deadline_at == london(2026, 12, 29, 12, 0)
    # Merton-style timescales for another area: red within 2 working hours.
    RagTimescale.objects.create(area=area_b, band="red", working_minutes=120)
    quick = flag(area_b, "red", london(2026, 12, 24, 16, 0))
    assert quick.deadline_at == london(2026, 12, 29, 10, 0)


def test_changing_a_rating_needs_a_rationale_recomputes_the_deadline_and_is_audited(area, tess):
    item = flag(area, "amber", london(2026, 11, 23, 10, 0))
    with pytest.raises(ValidationError, match="Say why"):
        triage_item_rate(actor=tess, item=item, band="red", rationale="  ")
    with frozen(london(2026, 11, 23, 11, 0)):
        triage_item_rate(actor=tess, item=item, band="red", rationale="Police report received")
    item.refresh_from_db()
    assert item.band == "red"
    # Computed from when the item was created, not from the change.
    assert item.deadline_at == london(2026, 11, 23, 14, 0)
    change = RatingChange.objects.get(item=item)
    assert (change.from_band, change.to_band) == ("amber", "red")
    event = AuditEvent.objects.filter(object_id=str(item.pk), details__step="rate").get()
    assert event.details["previous_band"] == "amber"
    assert "Police" not in str(event.details)


def test_filters_and_assignment(area, tess, mo):
    a = flag(area, "amber", london(2026, 11, 23, 10, 0))
    b = flag(area, "red", london(2026, 11, 23, 10, 0))
    triage_item_assign(actor=tess, item=a, assignee=tess)
    a.refresh_from_db()
    assert a.assignee == tess and a.status == TriageItem.Status.IN_PROGRESS
    assert [r.pk for r in queue_page(tess, QueueFilters(assignee="me")).rows] == [a.pk]
    assert [r.pk for r in queue_page(tess, QueueFilters(assignee="none")).rows] == [b.pk]
    assert [r.pk for r in queue_page(tess, QueueFilters(band="red")).rows] == [b.pk]
    assert [r.pk for r in queue_page(tess, QueueFilters(status="decided")).rows] == []


def test_bulk_reassignment_is_for_managers_only(area, tess, mo, client):
    items = [flag(area, "amber", london(2026, 11, 23, 10, i)) for i in range(3)]
    with pytest.raises(PermissionDenied):
        triage_items_reassign(actor=tess, item_ids=[i.pk for i in items], assignee=tess)
    client.force_login(mo)
    response = client.post(
        reverse("triage:reassign"),
        {"items": [items[0].pk, items[2].pk], "assignee": tess.pk},
    )
    assert response.status_code == 302
    assert set(TriageItem.objects.filter(assignee=tess).values_list("pk", flat=True)) == {
        items[0].pk,
        items[2].pk,
    }
    assert AuditEvent.objects.filter(details__step="assign", actor_id=mo.pk).count() == 2
    client.force_login(tess)
    assert client.post(reverse("triage:reassign"), {"items": [items[1].pk]}).status_code == 403


def test_keyset_pages_cover_every_item_once(area, tess):
    items = [flag(area, "amber", london(2026, 11, 23, 9, 0)) for _ in range(55)]
    first = queue_page(tess, QueueFilters())
    assert len(first.rows) == 50 and first.next_cursor
    from hub.triage.selectors import decode_cursor

    second = queue_page(tess, QueueFilters(after=decode_cursor(first.next_cursor)))
    seen = [r.pk for r in first.rows + second.rows]
    assert sorted(seen) == sorted(i.pk for i in items) and second.next_cursor is None


def test_queue_page_query_count_does_not_grow_with_rows(
    area, tess, client, django_assert_max_num_queries
):
    client.force_login(tess)
    for i in range(3):
        flag(area, "amber", london(2026, 11, 23, 9, i))
    with django_assert_max_num_queries(14) as small:
        assert client.get(reverse("triage:queue")).status_code == 200
    for i in range(40):
        flag(area, "red", london(2026, 11, 23, 10, i))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("triage:queue"))
    assert response.status_code == 200
    assert response.content.decode().count('data-item="') == 43


# --- scope ----------------------------------------------------------------------------------


def test_triager_of_another_area_sees_neither_queue_nor_items(area, area_b, tess, bea, client):
    mine = flag(area, "red", london(2026, 11, 23, 10, 0))
    theirs = flag(area_b, "amber", london(2026, 11, 23, 10, 0))
    client.force_login(bea)
    body = client.get(reverse("triage:queue")).content.decode()
    assert f'data-item="{theirs.pk}"' in body and f'data-item="{mine.pk}"' not in body
    assert client.get(reverse("triage:queue"), {"area": area.pk}).status_code == 404
    assert client.get(reverse("triage:case", args=[mine.pk])).status_code == 404
    missing = client.get(reverse("triage:case", args=[999_999]))
    assert missing.status_code == 404
    for name in ("triage:assign", "triage:rate", "triage:decide", "triage:request_create"):
        assert client.post(reverse(name, args=[mine.pk]), {"assignee": "me"}).status_code == 404
    assert not AuditEvent.objects.filter(action="case.view", actor_id=bea.pk).exists()


@pytest.mark.parametrize("who", ["alice", "dora", "charlie"])
def test_non_mash_users_get_404(request, area, who, client):
    item = flag(area, "red", london(2026, 11, 23, 10, 0))
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("triage:queue")).status_code == 404
    assert client.get(reverse("triage:case", args=[item.pk])).status_code == 404
    assert client.get(reverse("triage:summary")).status_code == 404


def test_next_cannot_redirect_off_site(area, tess, client):
    item = flag(area, "amber", london(2026, 11, 23, 10, 0))
    client.force_login(tess)
    response = client.post(
        reverse("triage:assign", args=[item.pk]),
        {"assignee": "me", "next": "https://evil.example/phish"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("triage:case", args=[item.pk])
