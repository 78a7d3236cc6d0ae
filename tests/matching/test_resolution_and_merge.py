"""Online matching of arriving records, the review queue, and merge/unmerge, in the database."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from concerns import services as concern_services
from concerns.models import HouseholdMember, Person, SubjectRecord
from hub.matching import services
from hub.matching.comparisons import REASON_INITIALS_ONLY, REASON_MISSING_DOB
from hub.matching.models import CandidateLink, Merge

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


def test_strong_match_links_automatically(alice, charlie):
    school = subject(alice)
    police = subject(charlie, given_name="Millie", date_of_birth=dt.date(2016, 9, 4))
    assert police.person_id == school.person_id
    assert not CandidateLink.objects.exists()


def test_unrelated_record_is_a_new_person(alice, charlie):
    a = subject(alice)
    b = subject(
        charlie,
        given_name="Oscar",
        family_name="Nwosu",
        date_of_birth=dt.date(2009, 1, 30),
        sex="M",
        postcode="ZX2 9QQ",
        address="3 Station Road",
    )
    assert a.person_id != b.person_id
    assert not CandidateLink.objects.exists()


def test_middling_match_goes_to_review_with_a_new_person(alice, charlie):
    a = subject(alice)
    # Same surname, date of birth and address, a different first name: could be a twin.
    b = subject(charlie, given_name="Oscar", sex="U")
    assert a.person_id != b.person_id
    link = CandidateLink.objects.get()
    assert link.status == "open"
    assert {link.new_person_id, link.candidate_person_id} == {a.person_id, b.person_id}
    assert link.probability >= 0.5
    assert "forenames_differ" in link.reasons
    queued = AuditEvent.objects.get(object_type="candidate_link", object_id=str(link.pk))
    assert queued.action == "match.review_queued"


def test_different_valid_nhs_numbers_never_link(alice, charlie):
    a = subject(alice, nhs_number="943 476 5919")
    b = subject(charlie, nhs_number="401 023 2137")
    assert a.person_id != b.person_id
    assert not CandidateLink.objects.exists()


def test_equal_nhs_numbers_link_despite_everything_else(alice, charlie):
    a = subject(alice, nhs_number="9434765919")
    b = subject(
        charlie,
        given_name="Zed",
        family_name="Other",
        date_of_birth=dt.date(2001, 1, 1),
        postcode="",
        address="",
        nhs_number="9434765919",
    )
    assert a.person_id == b.person_id


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"date_of_birth": None}, REASON_MISSING_DOB),
        ({"given_name": "A"}, REASON_INITIALS_ONLY),
    ],
)
def test_bad_input_goes_to_review_with_reason_never_auto_link(alice, charlie, changes, reason):
    a = subject(alice)
    b = subject(charlie, **changes)
    assert b.person_id != a.person_id
    link = CandidateLink.objects.get()
    assert reason in link.reasons


def test_future_dob_and_bad_nhs_do_not_raise_in_the_matcher():
    from concerns.resolution import SubjectDetails
    from hub.matching import online

    details = SubjectDetails(
        given_name_norm="amelia",
        family_name_norm="ravenscroft",
        date_of_birth=dt.date(2999, 1, 1),
        nhs_number="9434765918",
    )
    result = online.match(online.record_from_details(details))
    assert result.decision == "new"
    assert set(result.record.reasons) == {"future_dob", "invalid_nhs_number"}


def test_merge_and_unmerge_round_trip_keeps_record_ownership(alice, charlie, maria):
    a1 = subject(alice)
    b1 = subject(charlie, given_name="Oscar", sex="U", postcode="ZX2 9QQ", address="3 Station Road")
    b2 = subject(
        charlie,
        given_name="Oscar",
        sex="U",
        postcode="ZX2 9QQ",
        address="3 Station Road",
        external_reference="P-2",
    )
    assert b2.person_id == b1.person_id != a1.person_id
    survivor, absorbed = a1.person, b1.person
    membership = concern_services.household_link(
        actor=charlie,
        person=absorbed,
        relationship="child",
        address="3 Station Road",
        postcode="ZX2 9QQ",
    )
    with mock.patch("hub.matching.services.people_changed") as changed:
        merge = services.person_merge(
            actor=maria, survivor=survivor, absorbed=absorbed, reason="Same child"
        )
    changed.assert_called_once_with(actor=maria, person_ids={survivor.pk, absorbed.pk})
    assert set(SubjectRecord.objects.filter(person=survivor).values_list("pk", flat=True)) == {
        a1.pk,
        b1.pk,
        b2.pk,
    }
    absorbed.refresh_from_db()
    assert absorbed.merged_into_id == survivor.pk
    assert HouseholdMember.objects.get(pk=membership.pk).person_id == survivor.pk
    assert AuditEvent.objects.filter(action="record.merge", object_id=str(survivor.pk)).exists()
    # A record arriving after the merge stays with the survivor when the merge is undone.
    later = subject(alice, external_reference="S-9")
    assert later.person_id == survivor.pk

    with mock.patch("hub.matching.services.people_changed") as changed:
        services.person_unmerge(actor=maria, merge=merge, reason="Twins, not one child")
    changed.assert_called_once()
    assert SubjectRecord.objects.get(pk=a1.pk).person_id == survivor.pk
    assert SubjectRecord.objects.get(pk=later.pk).person_id == survivor.pk
    assert SubjectRecord.objects.get(pk=b1.pk).person_id == absorbed.pk
    assert SubjectRecord.objects.get(pk=b2.pk).person_id == absorbed.pk
    assert HouseholdMember.objects.get(pk=membership.pk).person_id == absorbed.pk
    absorbed.refresh_from_db()
    assert absorbed.merged_into_id is None
    assert AuditEvent.objects.filter(action="record.unmerge").count() == 1
    merge.refresh_from_db()
    assert merge.unmerged_by == maria and merge.record_ids == [b1.pk, b2.pk]
    with pytest.raises(ValidationError):
        services.person_unmerge(actor=maria, merge=merge, reason="again")


def test_merge_refuses_different_nhs_numbers_and_non_mash_staff(alice, charlie, maria):
    a = subject(alice, nhs_number="9434765919")
    b = subject(charlie, nhs_number="4010232137")
    with pytest.raises(ValidationError):
        services.person_merge(actor=maria, survivor=a.person, absorbed=b.person, reason="x")
    with pytest.raises(PermissionDenied):
        services.person_merge(actor=alice, survivor=a.person, absorbed=b.person, reason="x")
    assert not Merge.objects.exists()


def test_accept_merges_and_reject_is_not_proposed_again(alice, charlie, maria):
    a = subject(alice)
    subject(charlie, given_name="Oscar", sex="U")
    link = CandidateLink.objects.get()
    services.candidate_link_reject(actor=maria, link=link, note="Twin brother")
    link.refresh_from_db()
    assert link.status == "rejected"
    rejected = AuditEvent.objects.filter(object_type="candidate_link", object_id=str(link.pk))
    assert {e.action for e in rejected} == {"match.review_queued", "match.rejected"}
    # The same records arriving again do not re-queue a judged pair.
    subject(
        charlie,
        given_name="Oscar",
        sex="U",
        postcode="ZX2 9QQ",
        address="3 Station Road",
        external_reference="P-3",
    )
    assert CandidateLink.objects.filter(status="open").count() == 0

    c = subject(alice, given_name="A", external_reference="S-2")
    link2 = CandidateLink.objects.get(status="open", candidate_person_id=a.person_id)
    merge = services.candidate_link_accept(actor=maria, link=link2)
    assert merge.survivor_id == link2.candidate_person_id
    assert Person.objects.get(pk=c.person_id).merged_into_id == a.person_id


def test_accept_after_a_side_was_merged_elsewhere_uses_the_survivors(alice, charlie, maria):
    a = subject(alice)
    b = subject(charlie, given_name="A", external_reference="P-9")
    c = subject(
        charlie,
        given_name="Amelia",
        family_name="Zzyzx",
        date_of_birth=dt.date(2001, 1, 1),
        postcode="ZX2 1AA",
        address="1 Other Way",
        external_reference="P-10",
    )
    link = CandidateLink.objects.get(new_person_id=b.person_id)
    # The new person is merged into a third person first; accepting then merges that survivor.
    services.person_merge(actor=maria, survivor=c.person, absorbed=b.person, reason="test")
    merge = services.candidate_link_accept(actor=maria, link=link)
    assert (merge.survivor_id, merge.absorbed_id) == (a.person_id, c.person_id)
    assert set(
        SubjectRecord.objects.filter(person_id=a.person_id).values_list("pk", flat=True)
    ) == {a.pk, b.pk, c.pk}


def test_parent_and_child_of_one_name_are_never_linked_automatically(alice, charlie):
    child = subject(alice, given_name="Sami", family_name="Garside")
    parent = subject(
        charlie,
        given_name="Sami",
        family_name="Garside",
        date_of_birth=dt.date(1992, 4, 20),
        kind=Person.Kind.ADULT,
    )
    assert parent.person_id != child.person_id
    link = CandidateLink.objects.filter(new_person_id=parent.person_id).first()
    assert link is None or "dobs_years_apart" in link.reasons


def test_siblings_at_one_address_are_new_people_not_review(alice, charlie):
    a = subject(alice, given_name="Grace", date_of_birth=dt.date(2016, 4, 25))
    b = subject(charlie, given_name="Ruby", date_of_birth=dt.date(2019, 6, 11))
    assert a.person_id != b.person_id
    assert not CandidateLink.objects.exists()


def test_a_merged_persons_page_shows_the_merged_chronology_and_still_404s_outsiders(
    alice, charlie, maria, client
):
    from django.utils import timezone

    from tests.factories import AgencyFactory, UserFactory

    a = subject(alice)
    b = subject(charlie, given_name="Oscar", sex="U", postcode="ZX2 9QQ", address="3 Station Road")
    concern_services.concern_record(
        actor=alice,
        subject=a,
        category="neglect",
        level=2,
        text="Synthetic: arrives hungry",
        occurred_at=timezone.now() - dt.timedelta(days=2),
        consent_status="not_sought",
    )
    services.person_merge(actor=maria, survivor=a.person, absorbed=b.person, reason="Same child")
    client.force_login(alice)
    page = client.get(f"/concerns/people/{b.person_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="merged-notice"' in html and "arrives hungry" in html
    # Somebody whose agency knows neither record gets 404 for the old id, as for any other.
    stranger = UserFactory(username="stranger", agency=AgencyFactory(code="elsewhere"))
    client.force_login(stranger)
    assert client.get(f"/concerns/people/{b.person_id}/").status_code == 404
