"""A designated lead walks the decision aid in a real browser and prints the record."""

import pytest

from agencies.models import Agency, User
from tests.browser.conftest import sign_in
from tests.factories import AgencyFactory, ConcernFactory, SubjectRecordFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_shares_through_the_decision_aid(page, artifacts):
    school = AgencyFactory(code="b-school", name="Brook School", kind=Agency.Kind.EDUCATION)
    police = AgencyFactory(code="b-police", name="Brook Police", kind=Agency.Kind.POLICE)
    lead = UserFactory(username="blead", agency=school, role=User.Role.DESIGNATED_LEAD)
    concern = ConcernFactory(
        subject=SubjectRecordFactory(agency=school), agency=school, author=lead
    )
    sign_in(page, "blead", "correct-horse-battery")
    page.goto(f"/sharing/concerns/{concern.pk}/")
    page.click("text=Decide whether to share this")
    page.check("input[name=scope][value=concern]")
    page.check("input[name=recipient_kind][value=agency]")
    page.select_option("select[name=recipient_agency]", str(police.pk))
    page.fill("textarea[name=purpose]", "Welfare check")
    page.click("button:has-text('Continue')")
    page.fill("textarea[name=safety]", "Risk of harm tonight")
    page.click("button:has-text('Continue')")
    page.select_option("select[name=article6]", "public_task")
    page.screenshot(path=str(artifacts / "consent-aid-basis.png"), full_page=True)
    page.click("button:has-text('Continue')")
    page.check("input[name=level][value='3']")
    page.fill("textarea[name=necessity]", "The officer needs the detail.")
    page.click("button:has-text('Continue')")
    page.check("input[name=family_told][value=yes]")
    page.click("button:has-text('Continue')")
    page.click("button:has-text('Continue')")  # no advice needed
    page.check("input[name=share][value=yes]")
    page.click("button:has-text('Record the decision')")
    assert "Record of a decision to share" in page.locator("h1").inner_text()
    assert "Public task" in page.content()
    page.screenshot(path=str(artifacts / "consent-decision-record.png"), full_page=True)
