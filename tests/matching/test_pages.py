"""The matching pages with the cast: MASH staff of the area succeed; everyone else gets 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from concerns import services as concern_services
from concerns.models import HouseholdMember, Person
from hub.matching.models import CandidateLink

pytestmark = pytest.mark.django_db


def subject(actor, **kw):
    defaults = dict(
        given_name="Amelia",
        family_name="Ravenscroft",
        date_of_birth=dt.date(2016, 4, 9),
        sex="F",
        postcode="ZX1 4AB",
        address="14 Mill Road",
    )
    defaults.update(kw)
    return concern_services.subject_record_create(actor=actor, **defaults)


@pytest.fixture
def link(alice, charlie):
    subject(alice)
    subject(charlie, given_name="A", external_reference="P-1")
    return CandidateLink.objects.get()


def test_queue_and_review_show_both_records_and_the_evidence(client, maria, link):
    client.force_login(maria)
    page = client.get(reverse("matching:queue"))
    assert page.status_code == 200
    assert reverse("matching:review", args=[link.pk]).encode() in page.content
    page = client.get(reverse("matching:review", args=[link.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Northgate School" in body and "Shire Police" in body
    assert "Amelia" in body
    assert "Initials only, not a full name" in body
    assert "Same child" in body  # evidence for
    assert "Date of birth" in body


@pytest.mark.parametrize("who", ["alice", "charlie", "dora", "otto"])
def test_non_mash_or_other_area_gets_404(client, request, link, who):
    client.force_login(request.getfixturevalue(who))
    queue = client.get(reverse("matching:queue"))
    if who == "otto":  # MASH staff of another area: their own (empty) queue
        assert queue.status_code == 200
        assert reverse("matching:review", args=[link.pk]).encode() not in queue.content
    else:
        assert queue.status_code == 404
    assert client.get(reverse("matching:review", args=[link.pk])).status_code == 404
    response = client.post(reverse("matching:review", args=[link.pk]), {"decision": "accept"})
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.status == "open"


def test_anonymous_is_sent_to_sign_in(client, link):
    response = client.get(reverse("matching:review", args=[link.pk]))
    assert response.status_code == 302


def test_accept_merges_then_unmerge_from_the_merges_page(client, maria, link):
    client.force_login(maria)
    response = client.post(reverse("matching:review", args=[link.pk]), {"decision": "accept"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.status == "accepted"
    merge = link.merges.get()
    assert Person.objects.get(pk=link.new_person_id).merged_into_id == link.candidate_person_id
    page = client.get(reverse("matching:merges"))
    assert reverse("matching:unmerge", args=[merge.pk]).encode() in page.content
    client.post(reverse("matching:unmerge", args=[merge.pk]), {"reason": "Wrong child"})
    assert Person.objects.get(pk=link.new_person_id).merged_into_id is None


def test_a_decision_must_be_chosen(client, maria, link):
    client.force_login(maria)
    response = client.post(reverse("matching:review", args=[link.pk]), {"decision": ""})
    assert response.status_code == 400
    assert b"Choose whether these are the same person" in response.content


def test_reject(client, maria, link):
    client.force_login(maria)
    client.post(reverse("matching:review", args=[link.pk]), {"decision": "reject"})
    link.refresh_from_db()
    assert link.status == "rejected" and link.decided_by == maria


# --- households -------------------------------------------------------------------------------


@pytest.fixture
def household(alice, charlie):
    child = subject(alice).person
    adult = subject(
        charlie,
        given_name="Dean",
        family_name="Slater",
        date_of_birth=dt.date(1990, 2, 3),
        sex="M",
        kind=Person.Kind.ADULT,
    ).person
    concern_services.household_link(
        actor=alice,
        person=child,
        relationship="child",
        address="14 Mill Road",
        postcode="ZX1 4AB",
    )
    member = concern_services.household_link(
        actor=charlie, person=adult, relationship="partner_of_parent", with_person=child
    )
    return member.household


def test_household_view_lists_members_with_the_agencies_that_know_them(client, maria, household):
    client.force_login(maria)
    page = client.get(reverse("matching:household", args=[household.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Amelia Ravenscroft" in body and "Dean Slater" in body
    assert "Northgate School" in body and "Shire Police" in body


def test_agency_with_a_member_sees_the_household_without_other_agencies_names(
    client, alice, household
):
    client.force_login(alice)
    page = client.get(reverse("matching:household", args=[household.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Amelia Ravenscroft" in body
    assert "Dean Slater" not in body  # known only to the police
    assert "Shire Police" in body  # but that the police know an adult there is shown


def test_household_is_404_to_agencies_without_a_member_and_other_areas(client, otto, household):
    from tests.factories import AgencyFactory, UserFactory

    stranger = UserFactory(username="stan", agency=AgencyFactory(code="elsewhere-school"))
    for user in (stranger, otto):
        client.force_login(user)
        assert client.get(reverse("matching:household", args=[household.pk])).status_code == 404


def test_new_adult_in_a_household_with_children_is_listed_for_the_area_mash(
    client, maria, otto, alice, household
):
    adult_member = HouseholdMember.objects.get(household=household, person__kind="adult")
    client.force_login(maria)
    page = client.get(reverse("matching:new_adults"))
    assert page.status_code == 200
    assert f"Person {adult_member.person_id}".encode() in page.content
    client.force_login(otto)
    assert (
        f"Person {adult_member.person_id}".encode()
        not in client.get(reverse("matching:new_adults")).content
    )
    client.force_login(alice)
    assert client.get(reverse("matching:new_adults")).status_code == 404


def test_unmerge_without_a_reason_shows_the_error(client, maria, link):
    client.force_login(maria)
    client.post(reverse("matching:review", args=[link.pk]), {"decision": "accept"})
    merge = link.merges.get()
    response = client.post(reverse("matching:unmerge", args=[merge.pk]), {"reason": " "})
    assert response.status_code == 400
    assert b"Say why this merge was wrong" in response.content
    merge.refresh_from_db()
    assert merge.unmerged_at is None
