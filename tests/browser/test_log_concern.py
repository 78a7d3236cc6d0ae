"""A demo practitioner signs in, logs a concern about a new child, and sees it in the chronology.

The user comes from `seed_demo` (the same command `make run` uses), with no children or concerns
so the test owns every record it counts.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from agencies.models import Agency, User
from concerns.models import AgencyTerm, Concern
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USERNAME = "oakfield-teacher"
PASSWORD = "demo-hub-password"


@pytest.fixture
def practitioner():
    call_command("seed_demo", children=1, concerns=0, allow_non_debug=True, stdout=None)
    school = Agency.objects.get(code="demo-fern-oakfield")
    AgencyTerm.objects.create(agency=school, term="Chronic", level=3)
    user = User.objects.get(username=USERNAME)
    assert user.role == User.Role.PRACTITIONER
    return user


def test_practitioner_logs_a_concern_for_a_new_child(page, artifacts, practitioner):
    sign_in(page, USERNAME, PASSWORD)
    page.get_by_role("button", name="Log a concern").click()
    page.get_by_role("button", name="Enter their details").click()
    assert page.locator("h1").inner_text() == "Who is the concern about?"
    page.screenshot(path=str(artifacts / "log-concern-form.png"), full_page=True)

    # Submitting with nothing filled in shows the GOV.UK error summary, and saves nothing.
    page.get_by_role("button", name="Save concern").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "Enter their first name" in summary.inner_text()
    page.screenshot(path=str(artifacts / "log-concern-errors.png"), full_page=True)
    assert Concern.objects.count() == 0

    page.get_by_label("First name").fill("Mia")
    page.get_by_label("Last name").fill("Example")
    page.locator("#id_person-date_of_birth_day").fill("14")
    page.locator("#id_person-date_of_birth_month").fill("6")
    page.locator("#id_person-date_of_birth_year").fill("2017")
    page.get_by_label("Female").check()
    page.get_by_label("Postcode (optional)").fill("zx1 2ab")
    # The school's own term "Chronic" stands for level 3: choosing it fills the level in.
    page.get_by_label("Your agency's term (optional)").select_option(label="Chronic (level 3)")
    level_3 = "Level 3 – targeted or complex needs (child in need, s17)"
    assert page.get_by_label(level_3).is_checked()
    page.locator("#id_concern-category").select_option(label="Neglect")
    text = "Arrived without a coat in the snow; said <mum> was asleep and there was no breakfast."
    page.get_by_label("What was seen or heard?").fill(text)
    page.locator("#id_concern-occurred_on_day").fill("2")
    page.locator("#id_concern-occurred_on_month").fill("11")
    page.locator("#id_concern-occurred_on_year").fill("2026")
    page.get_by_label("Time (optional)").fill("08:50")
    page.locator("#id_concern-family_knows_1").check()  # No
    page.get_by_label("Not sought").check()
    page.screenshot(path=str(artifacts / "log-concern-form-filled.png"), full_page=True)
    page.get_by_role("button", name="Save concern").click()

    panel = page.locator(".govuk-panel--confirmation")
    assert "Concern recorded" in panel.inner_text()
    concern = Concern.objects.get()
    assert f"C-{concern.pk}" in panel.inner_text()
    page.screenshot(path=str(artifacts / "log-concern-confirmation.png"), full_page=True)

    # The confirmation is a GET after a redirect: refreshing it creates nothing.
    page.reload()
    assert Concern.objects.count() == 1

    page.get_by_role("button", name="View the chronology").click()
    assert page.locator("h1").inner_text() == "Mia Example"
    chronology = page.locator("#chronology")
    assert "Neglect" in chronology.inner_text()
    assert "said <mum> was asleep" in chronology.inner_text()  # shown as text, not markup
    page.screenshot(path=str(artifacts / "log-concern-chronology.png"), full_page=True)

    page.locator("#chronology").get_by_role("link", name="Neglect").click()
    assert "Arrived without a coat" in page.locator("#concern-text").inner_text()
    page.screenshot(path=str(artifacts / "log-concern-detail.png"), full_page=True)

    # A correction is an amendment: the original stays visible with who, when and why.
    page.get_by_role("button", name="Amend").click()
    page.get_by_label("Why are you amending it?").fill("Spoke to the class teacher: early help")
    page.get_by_label("Level 2 – early help (additional needs)").check()
    page.screenshot(path=str(artifacts / "amend-form.png"), full_page=True)
    page.get_by_role("button", name="Save amendment").click()
    amendments = page.locator(".govuk-summary-card")
    assert "Spoke to the class teacher" in amendments.inner_text()
    assert "Level 3" in amendments.inner_text() and "Level 2" in amendments.inner_text()
    concern.refresh_from_db()
    assert concern.level == 2
    page.screenshot(path=str(artifacts / "log-concern-amended.png"), full_page=True)

    # The child is now found by a search of the agency's own records.
    page.get_by_role("link", name="Log a concern").first.click()
    page.get_by_label("Name").fill("mia")
    page.get_by_role("button", name="Search").click()
    assert "Mia Example" in page.locator("table").inner_text()
    page.screenshot(path=str(artifacts / "find-person.png"), full_page=True)

    page.get_by_role("link", name="Recent concerns").click()
    assert "Mia Example" in page.locator("#recent").inner_text()
    page.screenshot(path=str(artifacts / "recent-concerns.png"), full_page=True)
