"""IG review screens: the IG lead only (everyone else 404), filters, keyset pages, export."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from audit.models import Action, AuditEvent, BreakGlassReview
from audit.services import audit_record

IG_URLS = [
    ("audit:events", []),
    ("audit:export", []),
    ("audit:child", [1]),
    ("audit:disclosures", []),
    ("audit:break_glass", []),
    ("audit:reports", []),
]


@pytest.mark.parametrize(("name", "args"), IG_URLS)
@pytest.mark.parametrize("who", ["alice", "dora", "charlie", "triager"])
def test_everyone_but_the_ig_lead_gets_404(client, request, name, args, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(name, args=args)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(reverse("audit:events"))
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_events_filter_by_child_and_keyset_pages(client, ig_lead, alice, charlie):
    seqs = [
        audit_record(actor=alice, action=Action.VIEW_CONCERN, child_id=501).seq for _ in range(55)
    ]
    other = audit_record(actor=charlie, action=Action.VIEW_CONCERN, child_id=502)
    client.force_login(ig_lead)
    page1 = client.get(reverse("audit:events"), {"child": 501})
    rows = page1.context["page"].rows
    assert [e.seq for e in rows] == seqs[::-1][:50]
    assert other.seq not in [e.seq for e in rows]
    next_before = page1.context["page"].next_before
    assert next_before == seqs[5]
    page2 = client.get(reverse("audit:events"), {"child": 501, "before": next_before})
    assert [e.seq for e in page2.context["page"].rows] == seqs[:5][::-1]
    assert page2.context["page"].next_before is None
    # The IG lead's search is itself recorded, with the child it was about.
    search = AuditEvent.objects.filter(action=Action.AUDIT_SEARCH).order_by("-seq").first()
    assert (search.actor_id, search.child_id) == (ig_lead.pk, 501)


@pytest.mark.parametrize(
    ("params", "expect"),
    [
        ({"actor": "charlie"}, {"charlie"}),
        ({"agency": "northgate-school"}, {"alice"}),
        ({"action": "share.decision"}, {"charlie"}),
        ({"lawful_basis": "public_task"}, {"charlie"}),
    ],
)
def test_event_filters(client, ig_lead, alice, charlie, params, expect):
    audit_record(actor=alice, action=Action.VIEW_CONCERN, child_id=600)
    audit_record(actor=charlie, action=Action.SHARE, child_id=600, lawful_basis="public_task")
    client.force_login(ig_lead)
    response = client.get(reverse("audit:events"), {**params, "child": 600})
    assert {e.actor_username for e in response.context["page"].rows} == expect


def test_date_range_filter(client, ig_lead, alice):
    from django.utils import timezone

    event = audit_record(actor=alice, action=Action.VIEW_CONCERN, child_id=700)
    today = timezone.localdate(event.at)
    client.force_login(ig_lead)
    rows = (
        client.get(reverse("audit:events"), {"child": 700, "date_from": today, "date_to": today})
        .context["page"]
        .rows
    )
    assert [e.seq for e in rows] == [event.seq]
    rows = (
        client.get(
            reverse("audit:events"), {"child": 700, "date_to": today.replace(year=today.year - 1)}
        )
        .context["page"]
        .rows
    )
    assert rows == []


def test_who_has_seen_this_child(client, ig_lead, alice, charlie):
    audit_record(actor=alice, action=Action.VIEW_CONCERN, child_id=800)
    audit_record(actor=alice, action=Action.VIEW_CHRONOLOGY, child_id=800)
    audit_record(actor=charlie, action=Action.VIEW_CASE, child_id=800)
    audit_record(actor=charlie, action=Action.CONCERN_CREATE, child_id=800)  # not a view
    client.force_login(ig_lead)
    response = client.get(reverse("audit:child", args=[800]))
    viewers = {v["actor_username"]: v["views"] for v in response.context["viewers"]}
    assert viewers == {"alice": 2, "charlie": 1}
    assert b"alice" in response.content


def test_disclosures_show_basis_and_decider(client, ig_lead, dora):
    share = audit_record(
        actor=dora,
        action=Action.SHARE,
        child_id=900,
        lawful_basis="dpa2018-sch1-para18",
        justification="Risk of significant harm",
    )
    audit_record(actor=dora, action=Action.VIEW_CONCERN, child_id=900)
    client.force_login(ig_lead)
    response = client.get(reverse("audit:disclosures"), {"child": 900})
    assert [e.seq for e in response.context["page"].rows] == [share.seq]
    assert b"dpa2018-sch1-para18" in response.content and b"dora" in response.content


def test_break_glass_review_is_appended_not_edited(client, ig_lead, charlie):
    event = audit_record(
        actor=charlie, action=Action.BREAK_GLASS, child_id=950, justification="Child missing"
    )
    client.force_login(ig_lead)
    listing = client.get(reverse("audit:break_glass"), {"status": "unreviewed"})
    assert event.seq in [e.seq for e, _ in listing.context["rows"]]
    response = client.post(
        reverse("audit:break_glass_review", args=[event.seq]),
        {"outcome": "justified", "note": "Agreed"},
    )
    assert response.status_code == 302
    review = BreakGlassReview.objects.get(event_seq=event.seq)
    assert (review.reviewer_id, review.outcome) == (ig_lead.pk, "justified")
    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.justification == "Child missing"  # the event itself is untouched
    listing = client.get(reverse("audit:break_glass"), {"status": "unreviewed"})
    assert event.seq not in [e.seq for e, _ in listing.context["rows"]]
    listing = client.get(reverse("audit:break_glass"), {"status": "reviewed"})
    assert b"Reviewed" in listing.content
    assert AuditEvent.objects.filter(
        action=Action.BREAK_GLASS_REVIEW, object_id=str(event.seq)
    ).exists()


def test_review_of_a_non_break_glass_event_is_404(client, ig_lead, alice):
    event = audit_record(actor=alice, action=Action.VIEW_CONCERN)
    client.force_login(ig_lead)
    url = reverse("audit:break_glass_review", args=[event.seq])
    assert client.post(url, {"outcome": "justified"}).status_code == 404


def test_csv_export_is_itself_audited_and_formula_safe(client, ig_lead, alice):
    audit_record(actor=alice, action=Action.SHARE, child_id=990, justification="=HYPERLINK(1)")
    client.force_login(ig_lead)
    response = client.get(reverse("audit:export"), {"child": 990})
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "seq"
    shared = [r for r in rows[1:] if r[7] == "share.decision"]
    assert len(shared) == 1 and shared[0][12] == "'=HYPERLINK(1)"
    export = AuditEvent.objects.filter(action=Action.EXPORT).order_by("-seq").first()
    assert (export.actor_id, export.child_id, export.object_type) == (ig_lead.pk, 990, "audit_csv")
    # The export event was written before the rows were read, so it is in its own file.
    assert str(export.seq) in [r[0] for r in rows[1:]]


def test_event_list_query_count(client, ig_lead, alice, django_assert_max_num_queries):
    for _ in range(30):
        audit_record(actor=alice, action=Action.VIEW_CONCERN, child_id=1)
    client.force_login(ig_lead)
    with django_assert_max_num_queries(8):
        client.get(reverse("audit:events"))


@pytest.mark.parametrize(
    "params",
    [
        {"child": "99999999999999999999999"},
        {"before": "99999999999999999999999"},
        {"actor": "99999999999999999999999"},
        {"date_from": "2026-02-30"},
        {"date_from": "2026-03-02", "date_to": "2026-03-01"},
    ],
)
def test_bad_filters_never_error(client, ig_lead, params):
    client.force_login(ig_lead)
    assert client.get(reverse("audit:events"), params).status_code == 200
    assert client.get(reverse("audit:disclosures"), params).status_code == 200
    assert client.get(reverse("audit:break_glass"), params).status_code == 200


def test_an_export_whose_event_cannot_be_written_discloses_nothing(
    client, ig_lead, alice, monkeypatch
):
    from django.db import DatabaseError

    import audit.views

    audit_record(actor=alice, action=Action.SHARE, child_id=991)

    def broken(**kwargs):
        raise DatabaseError("audit insert failed")

    monkeypatch.setattr(audit.views, "audit_record", broken)
    client.force_login(ig_lead)
    client.raise_request_exception = False
    response = client.get(reverse("audit:export"), {"child": 991})
    assert response.status_code == 500
    assert not getattr(response, "streaming", False)
    assert b"share.decision" not in response.content
