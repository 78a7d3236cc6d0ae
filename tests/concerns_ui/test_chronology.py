"""The chronology, a concern's page, amendments, withdrawal and the recent list, for the cast:
alice records; bob (same school) sees; dora (the school's designated lead) may change; charlie
(police) sees nothing and gets 404s exactly like missing records."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEvent
from concerns import services
from concerns.models import AgencyTerm, Concern, ConcernAmendment, SubjectRecord
from concerns.taxonomy import Category, ConsentStatus
from tests.concerns_ui.conftest import concern_data

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    """The page without its per-response CSRF token, to compare two 404s."""
    return re.sub(r'value="[^"]*"', 'value=""', response.content.decode())


def _person_url(concern: Concern) -> str:
    return reverse("concerns:person", args=[concern.subject.person_id])


def test_chronology_lists_the_agencys_concerns_newest_first(alice, alice_client, amy, amy_concern):
    later = services.concern_record(
        actor=alice,
        subject=amy,
        category=Category.DOMESTIC_ABUSE,
        level=3,
        text="Said there was shouting at home last night.",
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        consent_status=ConsentStatus.NOT_SAFE,
        marker_do_not_disclose_family=True,
    )
    response = alice_client.get(_person_url(amy_concern))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Amy Testcase" in html
    assert "NS-0042" in html
    rows = response.context["chronology"].rows
    assert [r.view.id for r in rows] == [later.pk, amy_concern.pk]
    assert html.index("shouting at home") < html.index("Came to school hungry")
    assert "Domestic abuse" in html and "Level 3" in html


def test_chronology_view_is_audited_with_ids_only(alice, alice_client, amy_concern):
    alice_client.get(_person_url(amy_concern))
    event = AuditEvent.objects.get(action=Action.VIEW_CHRONOLOGY)
    assert event.actor_id == alice.pk
    assert event.child_id == amy_concern.subject.person_id
    assert event.details == {"concern_ids": [amy_concern.pk], "count": 1}
    assert "hungry" not in str(event.details) and "Amy" not in str(event.details)


def test_colleague_sees_the_chronology_and_the_concern_but_cannot_change_it(
    bob_client, amy_concern
):
    assert b"Came to school hungry" in bob_client.get(_person_url(amy_concern)).content
    page = bob_client.get(reverse("concerns:detail", args=[amy_concern.pk]))
    assert page.status_code == 200
    assert b"Came to school hungry" in page.content
    assert reverse("concerns:amend", args=[amy_concern.pk]).encode() not in page.content
    assert bob_client.get(reverse("concerns:amend", args=[amy_concern.pk])).status_code == 403
    response = bob_client.post(
        reverse("concerns:withdraw", args=[amy_concern.pk]), {"withdraw-reason": "mine now"}
    )
    assert response.status_code == 403
    amy_concern.refresh_from_db()
    assert amy_concern.status == Concern.Status.ACTIVE


@pytest.mark.parametrize(
    "url_name", ["concerns:detail", "concerns:recorded", "concerns:amend", "concerns:withdraw"]
)
def test_another_agency_gets_404_on_a_concern_exactly_like_a_missing_one(
    charlie_client, amy_concern, url_name
):
    real = charlie_client.get(reverse(url_name, args=[amy_concern.pk]))
    missing = charlie_client.get(reverse(url_name, args=[amy_concern.pk + 1000]))
    assert real.status_code == missing.status_code == 404
    assert _page(real) == _page(missing)
    assert "Page not found" in _page(real)
    post = charlie_client.post(
        reverse(url_name, args=[amy_concern.pk]), {"withdraw-reason": "x", "amend-reason": "x"}
    )
    assert post.status_code in {404, 405}
    amy_concern.refresh_from_db()
    assert amy_concern.status == Concern.Status.ACTIVE
    assert not ConcernAmendment.objects.exists()
    assert not AuditEvent.objects.filter(
        actor_username="charlie", action__in=[Action.VIEW_CONCERN, Action.VIEW_CHRONOLOGY]
    ).exists()


def test_another_agency_gets_404_on_the_person_page_exactly_like_a_missing_one(
    charlie_client, amy_concern
):
    real = charlie_client.get(_person_url(amy_concern))
    missing = charlie_client.get(reverse("concerns:person", args=[999_999]))
    assert real.status_code == missing.status_code == 404
    assert _page(real) == _page(missing)
    assert "Amy" not in _page(real)


def test_person_page_shows_once_the_agency_has_its_own_record(charlie, charlie_client, amy):
    """Charlie's force records the same child (same NHS-less name, DOB, postcode): the person
    page opens for him, with none of the school's concerns."""
    services.concern_record(
        actor=amy.created_by,
        subject=amy,
        category=Category.NEGLECT,
        level=2,
        text="School-only detail.",
        occurred_at=timezone.now() - dt.timedelta(days=1),
        consent_status=ConsentStatus.NOT_SOUGHT,
    )
    theirs = services.subject_record_create(
        actor=charlie,
        given_name="Amy",
        family_name="Testcase",
        date_of_birth=dt.date(2015, 3, 2),
        postcode="ZX1 4AB",
    )
    assert theirs.person_id == amy.person_id
    response = charlie_client.get(reverse("concerns:person", args=[amy.person_id]))
    assert response.status_code == 200
    assert b"School-only detail" not in response.content
    assert b"NS-0042" not in response.content  # the school's reference is the school's
    assert response.context["chronology"].rows == []


def test_charlie_sees_nothing_in_lists(charlie_client, amy_concern):
    response = charlie_client.get(reverse("concerns:recent"))
    assert response.status_code == 200
    assert response.context["result"].rows == []
    assert b"Came to school hungry" not in response.content
    assert b"Amy" not in response.content


def test_recent_list_shows_the_agencys_concerns_and_is_audited(bob, bob_client, amy_concern):
    response = bob_client.get(reverse("concerns:recent"))
    assert [r.view.id for r in response.context["result"].rows] == [amy_concern.pk]
    assert b"Amy Testcase" in response.content
    event = AuditEvent.objects.filter(action=Action.SEARCH, actor_id=bob.pk).get()
    assert event.details["concern_ids"] == [amy_concern.pk]


def test_recent_list_pages(alice, alice_client, amy):
    for n in range(27):
        services.concern_record(
            actor=alice,
            subject=amy,
            category=Category.NEGLECT,
            level=1,
            text=f"note {n}",
            occurred_at=timezone.now() - dt.timedelta(days=n + 1),
            consent_status=ConsentStatus.NOT_SOUGHT,
        )
    first = alice_client.get(reverse("concerns:recent"))
    second = alice_client.get(reverse("concerns:recent"), {"page": "2"})
    assert len(first.context["result"].rows) == 25 and first.context["result"].has_next
    assert len(second.context["result"].rows) == 2 and not second.context["result"].has_next
    assert b"Older" in first.content
    assert alice_client.get(reverse("concerns:recent"), {"page": "x"}).status_code == 200


def test_concern_page_is_audited(alice, alice_client, amy_concern):
    alice_client.get(reverse("concerns:detail", args=[amy_concern.pk]))
    event = AuditEvent.objects.get(action=Action.VIEW_CONCERN)
    assert (event.actor_id, event.object_id) == (alice.pk, str(amy_concern.pk))
    assert event.child_id == amy_concern.subject.person_id


def test_chronology_query_count_does_not_grow_with_concerns(
    alice, alice_client, amy, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            concern = services.concern_record(
                actor=alice,
                subject=amy,
                category=Category.NEGLECT,
                level=2,
                text=f"concern {i}",
                occurred_at=timezone.now() - dt.timedelta(days=i + 1),
                consent_status=ConsentStatus.NOT_SOUGHT,
            )
            if i % 3 == 0:
                services.concern_amend(actor=alice, concern=concern, reason="typo", level=3)
            if i % 5 == 0:
                services.concern_withdraw(actor=alice, concern=concern, reason="wrong child")

    url = reverse("concerns:person", args=[amy.person_id])
    add(2)
    with django_assert_max_num_queries(14):
        small = alice_client.get(url)
    add(30)
    with django_assert_max_num_queries(14) as captured:
        large = alice_client.get(url)
    print(f"chronology of 32 concerns: {len(captured)} queries")
    assert len(small.context["chronology"].rows) == 2
    assert len(large.context["chronology"].rows) == 32
    with django_assert_max_num_queries(14):
        alice_client.get(reverse("concerns:recent"))


def test_amend_keeps_the_original_and_shows_the_history(alice, alice_client, amy_concern):
    url = reverse("concerns:amend", args=[amy_concern.pk])
    page = alice_client.get(url)
    assert page.status_code == 200
    assert b"Came to school hungry." in page.content  # prefilled
    initial = page.context["form"].initial
    local = timezone.localtime(amy_concern.occurred_at)
    data = concern_data(
        prefix="amend",
        text="Came to school hungry and tired.",
        level="3",
        occurred_on_day=str(local.day),
        occurred_on_month=str(local.month),
        occurred_on_year=str(local.year),
        occurred_time=initial["occurred_time"],
        family_knows=amy_concern.family_knows,
        consent_status=amy_concern.consent_status,
        reason="Spoke to the class teacher again",
    )
    response = alice_client.post(url, data)
    assert response.status_code == 302
    amendment = ConcernAmendment.objects.get()
    assert set(amendment.changes) == {"text", "level"}  # the untouched date is not "changed"
    assert amendment.changes["text"]["before"] == "Came to school hungry."
    detail = alice_client.get(reverse("concerns:detail", args=[amy_concern.pk]))
    html = detail.content.decode()
    assert "Came to school hungry and tired." in html
    assert "Came to school hungry.<br>" in html or "Came to school hungry.\n" in html
    assert "Spoke to the class teacher again" in html
    chronology = alice_client.get(_person_url(amy_concern)).content.decode()
    assert "Amended" in chronology


def test_amend_needs_a_reason_and_a_change(alice_client, amy_concern):
    url = reverse("concerns:amend", args=[amy_concern.pk])
    initial = alice_client.get(url).context["form"].initial
    local = timezone.localtime(amy_concern.occurred_at)
    same = concern_data(
        prefix="amend",
        text=amy_concern.text,
        level=str(amy_concern.level),
        occurred_on_day=str(local.day),
        occurred_on_month=str(local.month),
        occurred_on_year=str(local.year),
        occurred_time=initial["occurred_time"],
        family_knows=amy_concern.family_knows,
        consent_status=amy_concern.consent_status,
    )
    no_reason = alice_client.post(url, {**same, "amend-level": "4", "amend-reason": ""})
    assert b'<a href="#id_amend-reason">Say why you are amending this concern</a>' in (
        no_reason.content
    )
    no_change = alice_client.post(url, {**same, "amend-reason": "checking"})
    assert b"Nothing was changed" in no_change.content
    assert not ConcernAmendment.objects.exists()


def test_designated_lead_can_withdraw_with_a_reason(dora_client, alice_client, amy_concern):
    detail = dora_client.get(reverse("concerns:detail", args=[amy_concern.pk]))
    assert reverse("concerns:withdraw", args=[amy_concern.pk]).encode() in detail.content
    url = reverse("concerns:withdraw", args=[amy_concern.pk])
    missing = dora_client.post(url, {"withdraw-reason": "  "})
    assert b"Say why you are withdrawing this concern" in missing.content
    assert dora_client.post(url, {"withdraw-reason": "Recorded against the wrong child"})[
        "Location"
    ] == reverse("concerns:detail", args=[amy_concern.pk])
    amy_concern.refresh_from_db()
    assert amy_concern.status == Concern.Status.WITHDRAWN
    assert (
        b"Concern withdrawn"
        in dora_client.get(reverse("concerns:detail", args=[amy_concern.pk])).content
    )
    page = alice_client.get(reverse("concerns:detail", args=[amy_concern.pk])).content.decode()
    assert "Concern withdrawn" not in page  # the notice was dora's, once
    assert "Recorded against the wrong child" in page
    assert "Came to school hungry." in page  # kept
    assert reverse("concerns:amend", args=[amy_concern.pk]) not in page  # nothing to change now
    chronology = alice_client.get(_person_url(amy_concern)).content.decode()
    assert "Withdrawn" in chronology


def test_navigation_depends_on_role(alice_client, school):
    from agencies.models import User
    from tests.concerns_ui.conftest import signed_in
    from tests.factories import UserFactory

    home = alice_client.get(reverse("home")).content.decode()
    assert 'href="/concerns/new/"' in home
    assert "Recent concerns" in home
    ig = signed_in(UserFactory(username="ivy", agency=school, role=User.Role.IG_LEAD))
    ig_home = ig.get(reverse("home")).content.decode()
    assert 'href="/concerns/new/"' not in ig_home
    assert "Recent concerns" in ig_home


def test_navigation_registry_skips_unwired_pages_and_marks_the_current_one(alice):
    from hub import navigation

    before = list(navigation.NAVIGATION)
    try:
        navigation.register("Queue", "triage:not-built-yet", roles=["mash_triager"])
        links = navigation.links_for(alice, "/concerns/recent/")
        labels = [link.label for link in links]
        assert "Queue" not in labels
        assert labels[:2] == ["Log a concern", "Recent concerns"]
        assert [link.current for link in links][:2] == [False, True]
        assert sum(link.current for link in links) == 1
    finally:
        navigation.NAVIGATION[:] = before


def test_admin_registers_agency_terms_but_no_concern_data():
    assert admin.site.is_registered(AgencyTerm)
    for model in (Concern, ConcernAmendment, SubjectRecord):
        assert not admin.site.is_registered(model)


def test_agency_admin_sees_only_their_own_terms(alice, police):
    from django.test import RequestFactory

    mine = AgencyTerm.objects.create(agency=alice.agency, term="Acute", level=4)
    AgencyTerm.objects.create(agency=police, term="Significant harm", level=4)
    model_admin = admin.site._registry[AgencyTerm]
    request = RequestFactory().get("/")
    request.user = alice
    assert list(model_admin.get_queryset(request)) == [mine]
    assert model_admin.get_exclude(request) == ["agency"]
