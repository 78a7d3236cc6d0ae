import pytest

from agencies.models import User
from tests.browser.conftest import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_page_renders_with_govuk_styles(page, artifacts):
    UserFactory(username="smoke", role=User.Role.PRACTITIONER)
    sign_in(page, "smoke", "correct-horse-battery")
    assert page.locator("h1").first.inner_text() == "Safeguarding hub"
    # The GOV.UK stylesheet was served (from the npm package) and applied.
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontWeight")
    assert font in {"700", "bold"}
    page.screenshot(path=str(artifacts / "smoke-home.png"), full_page=True)
