"""A new household member changes the combined risk of every child already in the household."""

import pytest

from concerns import services
from concerns.models import Person, RecomputeOutbox

pytestmark = pytest.mark.django_db


def test_household_link_queues_a_recompute_for_every_member(alice, monkeypatch):
    # Only the outbox row matters here; no broker message is sent inside the test transaction.
    monkeypatch.setattr("django.db.transaction.on_commit", lambda *args, **kwargs: None)
    child = services.subject_record_create(actor=alice, given_name="Ann", family_name="Linkcase")
    adult = services.subject_record_create(
        actor=alice, given_name="Max", family_name="Linkcase", kind=Person.Kind.ADULT
    )
    RecomputeOutbox.objects.all().delete()
    services.household_link(
        actor=alice, person=adult.person, relationship="partner_of_parent", with_person=child.person
    )
    queued = set(RecomputeOutbox.objects.values_list("person_id", flat=True))
    assert {child.person_id, adult.person_id} <= queued
