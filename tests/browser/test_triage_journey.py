"""(Owned by the triage work; here to share the session browser fixture.) The whole MASH
journey in a real browser, with screenshots in test-artifacts/:
a flag appears, the triager opens it, asks the school, the school's lead answers, the triager
decides, the manager signs off, and the referrer sees the outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agencies.models import Agency, User
from concerns.models import HouseholdMember
from concerns.services import household_link, subject_record_create
from concerns.taxonomy import Category
from hub.triage.services import acknowledgements_send, triage_item_raise_for_flag
from tests.browser.conftest import sign_in
from tests.factories import AgencyFactory, AreaSharingAgreementFactory, UserFactory
from tests.triage.conftest import record_concern

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_mash_journey(page, artifacts, area, school, police, alice, charlie):
    # The area's information-sharing agreement: the MASH rule (consent) applies in triage.
    AreaSharingAgreementFactory(area=area)
    mash = AgencyFactory(
        code="northshire-mash",
        name="Northshire MASH",
        kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
        areas=[area],
    )
    health = AgencyFactory(
        code="shire-health", name="Shire Health", kind=Agency.Kind.HEALTH, areas=[area]
    )
    UserFactory(
        username="tess",
        first_name="Tess",
        last_name="Triager",
        agency=mash,
        role=User.Role.MASH_TRIAGER,
    )
    UserFactory(
        username="mo",
        first_name="Mo",
        last_name="Manager",
        agency=mash,
        role=User.Role.MASH_MANAGER,
    )
    UserFactory(
        username="dora",
        first_name="Dora",
        last_name="Lead",
        agency=school,
        role=User.Role.DESIGNATED_LEAD,
    )
    gp = UserFactory(username="gp", first_name="Gita", last_name="Practitioner", agency=health)
    # Three agencies' small worries about Sam over a few months.
    concerns = [
        record_concern(alice, text="Came to school hungry.", days_ago=120),
        record_concern(gp, category=Category.WAS_NOT_BROUGHT, level=1, text="Missed", days_ago=95),
        record_concern(alice, category=Category.EMOTIONAL_ABUSE, text="Withdrawn", days_ago=70),
        record_concern(
            charlie, category=Category.DOMESTIC_ABUSE, level=3, text="Call-out", days_ago=40
        ),
        record_concern(gp, category=Category.FALTERING_GROWTH, level=2, text="Weight", days_ago=30),
        record_concern(alice, category=Category.INJURY, level=3, text="Bruise", days_ago=6),
    ]
    person = concerns[0].subject.person
    parent = subject_record_create(
        actor=charlie, given_name="Pat", family_name="Synthetic", kind="adult", postcode="ZX1 1AA"
    )
    household_link(
        actor=charlie,
        person=parent.person,
        relationship=HouseholdMember.Relationship.PARENT,
        with_person=person,
    )
    # The flag appears (as the combined-risk job raises it).
    item, created = triage_item_raise_for_flag(
        person_id=person.pk,
        area_id=person.area_id,
        band="red",
        assessment_id=None,
        reason="School, health and police concerns",
    )
    assert created

    # The triager finds it at the top of the queue and opens it.
    sign_in(page, "tess", PASSWORD)
    page.goto("/mash/")
    row = page.locator(f'tr[data-item="{item.pk}"]')
    assert "Red" in row.inner_text()
    page.screenshot(path=str(artifacts / "triage-1-queue.png"), full_page=True)
    row.get_by_role("link").click()
    page.wait_for_selector("#chronology")
    assert page.locator(".chrono-mark").count() == 6
    school_rows = page.locator(f'#chronology-table tr[data-concern="{concerns[0].pk}"]')
    assert school_rows.get_attribute("data-visibility") == "summary"  # the MASH rule
    # Keyboard: tab onto a mark; its summary is its accessible name.
    first_mark = page.locator(".chrono-mark").first
    first_mark.focus()
    label = first_mark.get_attribute("aria-label")
    assert "Northgate School" in label or "Shire Health" in label
    page.screenshot(path=str(artifacts / "triage-2-case.png"), full_page=True)
    page.locator("#chronology-figure").screenshot(path=str(artifacts / "triage-chronology.png"))

    # Assign to me and ask the school.
    page.get_by_role("button", name="Assign").click()
    page.get_by_text("Ask agencies what they hold").click()
    page.get_by_role("checkbox", name="Northgate School").check()
    page.get_by_label("What do you need to know?").fill("Attendance and any injuries seen.")
    page.get_by_role("button", name="Send requests").click()
    assert "Awaiting answer" in page.locator("#requests").inner_text()
    sign_out(page)

    # The school's designated lead answers with a sharing decision.
    sign_in(page, "dora", PASSWORD)
    page.goto("/mash/requests/")
    page.locator("#inbox").get_by_role("link").first.click()
    page.get_by_role("radio", name="Shared").check()
    page.get_by_role("radio", name="Full detail").check()
    page.get_by_label("Why sharing is necessary and proportionate").fill(
        "Several agencies' concerns; the MASH must decide today."
    )
    page.get_by_label("Anything further the MASH should know").fill("Attendance 71% this term.")
    page.get_by_role("radio", name="No, the family has not been told").check()
    page.get_by_label("If not, why not").fill("Telling the family may put Sam at risk.")
    page.screenshot(path=str(artifacts / "triage-3-answer.png"), full_page=True)
    page.get_by_role("button", name="Send answer").click()
    assert "Shared" in page.locator("#inbox").inner_text()
    sign_out(page)

    # The triager decides; it is red, so it waits for the manager.
    sign_in(page, "tess", PASSWORD)
    page.goto(f"/mash/items/{item.pk}/")
    assert "Attendance 71% this term." in page.locator("#requests").inner_text()
    # The school's "shared, full detail" decision lets the MASH read the school's concerns.
    for concern in concerns:
        row = page.locator(f'#chronology-table tr[data-concern="{concern.pk}"]')
        expected = "full" if concern.agency_id == school.pk else "summary"
        assert row.get_attribute("data-visibility") == expected
    page.get_by_label("Outcome").select_option("strategy_s47")
    page.get_by_label("Rationale", exact=True).fill(
        "Pattern across three agencies; injury after call-out."
    )
    page.get_by_label("Next steps").fill("Strategy discussion today with police, health.")
    page.get_by_role("button", name="Record decision").click()
    assert "Awaiting manager sign-off" in page.locator("#item-status").inner_text()
    sign_out(page)

    # The manager signs it off.
    sign_in(page, "mo", PASSWORD)
    page.goto("/mash/summary/")
    page.locator("#awaiting").get_by_role("link").first.click()
    page.screenshot(path=str(artifacts / "triage-4-signoff.png"), full_page=True)
    page.get_by_role("button", name="Sign off decision").click()
    assert "Decision made" in page.locator("#item-status").inner_text()
    page.goto("/mash/summary/")
    page.screenshot(path=str(artifacts / "triage-5-summary.png"), full_page=True)
    sign_out(page)

    # The beat task acknowledges; the teacher who raised the worries sees the outcome.
    acknowledgements_send(now=timezone.now() + dt.timedelta(minutes=1))
    sign_in(page, "alice", PASSWORD)
    page.goto("/mash/feedback/")
    text = page.locator("#feedback").inner_text()
    assert "Decision made: strategy discussion / child protection enquiry (s47)" in text
    assert "Not yet" not in text
    page.screenshot(path=str(artifacts / "triage-6-referrer-feedback.png"), full_page=True)
