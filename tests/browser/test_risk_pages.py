"""The combined-risk pages in a real browser: a MASH manager reads a flagged child's
explanation and previews a parameter change (screenshots in test-artifacts/)."""

import json

import pytest

from agencies.models import Agency, User
from hub.risk.parameters import default_parameters
from hub.risk.services import assessment_recompute_child
from tests.browser.conftest import sign_in
from tests.factories import AgencyFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mash_manager_reads_explanation_and_previews(page, artifacts, area, school, police):
    from tests.risk.conftest import Family

    gp = AgencyFactory(code="elm-surgery", kind=Agency.Kind.HEALTH, areas=[area])
    mash = AgencyFactory(code="northshire-mash", kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
                         areas=[area])  # fmt: skip
    UserFactory(username="maggie", agency=mash, role=User.Role.MASH_MANAGER)
    family = Family(area)
    family.concern(school, "neglect", level=2, days_ago=20)
    family.concern(gp, "was_not_brought", level=2, days_ago=10)
    family.concern(police, "domestic_abuse", level=3, person=family.adult, days_ago=5)
    assessment = assessment_recompute_child(child_id=family.child.pk)

    sign_in(page, "maggie", "correct-horse-battery")
    page.goto(f"/risk/child/{family.child.pk}/")
    assert page.locator("[data-band]").inner_text().lower() == assessment.band
    assert page.locator("[data-rule]").count() >= 1
    page.screenshot(path=str(artifacts / "risk-child.png"), full_page=True)

    page.goto("/risk/tuning/")
    proposed = default_parameters()
    proposed["bands"] = {"amber": 100.0, "red": 200.0}
    page.fill("#parameters", json.dumps(proposed, indent=2))
    page.click("button[value=preview]")
    assert page.locator("#preview-changes [data-child]").count() >= 1
    page.screenshot(path=str(artifacts / "risk-tuning-preview.png"), full_page=True)
    page.fill("#note", "Fewer flags while the queue is rebuilt")
    page.click("button[value=save]")
    assert "Saved as version 2" in page.locator(".govuk-notification-banner").inner_text()
