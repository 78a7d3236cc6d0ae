"""Matching (hub/matching): a MASH triager works the review queue in a real browser.

Kept here, beside the browser harness, because its session-scoped Playwright fixtures cannot be
shared with tests/matching/ (a second Playwright instance in one process fails)."""

from __future__ import annotations

import datetime as dt

import pytest

from agencies.models import Agency, User
from concerns import services as concern_services
from hub.matching.models import CandidateLink
from tests.browser.conftest import sign_in
from tests.factories import AgencyFactory, AreaFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_triager_sees_both_records_and_merges(page, artifacts):
    area = AreaFactory(code="b-area", name="Browsershire", postcode_districts=["ZX1"])
    school = AgencyFactory(code="b-school", name="Brook School", areas=[area])
    police = AgencyFactory(
        code="b-police", name="Brook Police", kind=Agency.Kind.POLICE, areas=[area]
    )
    mash = AgencyFactory(code="b-mash", name="Browsershire MASH", areas=[area])
    teacher = UserFactory(username="b-teacher", agency=school)
    officer = UserFactory(username="b-officer", agency=police)
    UserFactory(username="b-mash", agency=mash, role=User.Role.MASH_TRIAGER)
    common = dict(date_of_birth=dt.date(2016, 4, 9), postcode="ZX1 4AB", address="14 Mill Road")
    concern_services.subject_record_create(
        actor=teacher, given_name="Amelia", family_name="Ravenscroft", **common
    )
    concern_services.subject_record_create(
        actor=officer, given_name="A", family_name="Ravenscroft", **common
    )
    link = CandidateLink.objects.get()

    sign_in(page, "b-mash", "correct-horse-battery")
    page.goto("/matching/")
    page.click(f"a[href='/matching/review/{link.pk}/']")
    assert page.locator("h1").inner_text() == "Are these the same child?"
    assert page.get_by_text("Initials only, not a full name").is_visible()
    assert page.get_by_text("Brook School").is_visible()
    assert page.get_by_text("Brook Police").is_visible()
    page.screenshot(path=str(artifacts / "matching-review.png"), full_page=True)
    page.check("#decision-accept")
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_url("**/matching/")
    assert page.get_by_text("Merged: the records are now one person.").is_visible()
    link.refresh_from_db()
    assert link.status == "accepted"
