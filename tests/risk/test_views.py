"""The child's risk explanation and the tuning screen: who sees what."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from hub.risk.models import ParameterSet
from hub.risk.parameters import default_parameters
from hub.risk.services import assessment_recompute_child, parameter_set_current

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(family, school, gp, police):
    own = family.concern(school, "neglect", level=2, days_ago=20)
    health = family.concern(gp, "was_not_brought", level=2, days_ago=10)
    call_out = family.concern(police, "domestic_abuse", level=3, person=family.adult, days_ago=5)
    assessment = assessment_recompute_child(child_id=family.child.pk)
    return family, assessment, own, health, call_out


def test_practitioner_sees_only_their_own_agencys_contributions(client, alice, flagged):
    family, _assessment, own, health, call_out = flagged
    client.force_login(alice)
    response = client.get(reverse("risk:child", args=[family.child.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-concern="{own.pk}"' in body
    assert f'data-concern="{health.pk}"' not in body
    assert f'data-concern="{call_out.pk}"' not in body
    assert "data-score" not in body  # the score is for the MASH
    assert "data-rule" not in body  # the jigsaw rests on concerns alice cannot see
    event = AuditEvent.objects.filter(action="case.view", child_id=family.child.pk).get()
    assert event.details["concern_ids"] == [own.pk]


def test_someone_who_sees_none_of_the_childs_concerns_gets_404(client, charlie, flagged):
    from tests.factories import PersonFactory

    family = flagged[0]
    client.force_login(charlie)  # police: the call-out is about the adult, not the child
    assert client.get(reverse("risk:child", args=[family.child.pk])).status_code == 404
    other = PersonFactory(area=family.area)
    assert client.get(reverse("risk:child", args=[other.pk])).status_code == 404
    assert client.get(reverse("risk:child", args=[999_999])).status_code == 404


def test_mash_staff_of_the_area_see_score_band_and_rules(client, mash_triager, flagged):
    family, assessment, *_ = flagged
    client.force_login(mash_triager)
    response = client.get(reverse("risk:child", args=[family.child.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-band="{assessment.band}"' in body
    assert "data-rule" in body
    # The concerns themselves still go through the consent rule: none shared with the MASH yet.
    assert "data-concern=" not in body
    assert 'data-hidden="3"' in body


def test_mash_staff_of_another_area_get_404(client, flagged):
    from agencies.models import Agency, User
    from tests.factories import AgencyFactory, AreaFactory, UserFactory

    elsewhere = AreaFactory(code="southshire")
    mash = AgencyFactory(code="south-mash", kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
                         areas=[elsewhere])  # fmt: skip
    stranger = UserFactory(username="sam", agency=mash, role=User.Role.MASH_MANAGER)
    client.force_login(stranger)
    assert client.get(reverse("risk:child", args=[flagged[0].child.pk])).status_code == 404


def test_tuning_is_for_mash_managers_only(client, alice, mash_triager):
    for user in (alice, mash_triager):
        client.force_login(user)
        assert client.get(reverse("risk:tuning")).status_code == 404


def test_tuning_previews_then_saves_a_new_version(client, mash_manager, flagged):
    family = flagged[0]
    client.force_login(mash_manager)
    url = reverse("risk:tuning")
    assert client.get(url).status_code == 200
    proposed = default_parameters()
    proposed["bands"] = {"amber": 100.0, "red": 200.0}
    response = client.post(
        url, {"parameters": json.dumps(proposed), "action": "preview"}, follow=True
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    assert flagged[1].band != "green"
    assert preview.today_current[flagged[1].band] >= 1
    assert preview.today_proposed == {"green": preview.children, "amber": 0, "red": 0}
    changed = {c[0] for c in preview.changes}
    assert family.child.pk in changed
    assert len(preview.months) == 12
    assert ParameterSet.objects.count() == 1  # nothing saved by a preview
    assert 'value="save"' in response.content.decode()
    preview_id = response.context["preview_id"]
    # Saving something other than what was previewed is refused.
    other = default_parameters()
    response = client.post(
        url,
        {"parameters": json.dumps(other), "action": "save", "note": "x", "preview": preview_id},
    )
    assert response.status_code == 400 and "Preview these parameters" in response.content.decode()
    response = client.post(
        url,
        {
            "parameters": json.dumps(proposed),
            "action": "save",
            "note": "Higher thresholds",
            "preview": preview_id,
        },
    )
    assert response.status_code == 302
    current = parameter_set_current()
    assert current.version == 2 and current.parameters["bands"]["red"] == 200.0
    assert ParameterSet.objects.get(version=1).parameters == default_parameters()
    assert AuditEvent.objects.filter(action="risk.parameters").count() == 1
    # The next assessment records the version it used.
    family.concern(flagged[2].agency, "neglect", level=1)
    assert assessment_recompute_child(child_id=family.child.pk).parameter_set.version == 2


def test_tuning_refuses_invalid_parameters(client, mash_manager):
    client.force_login(mash_manager)
    url = reverse("risk:tuning")
    response = client.post(url, {"parameters": "{not json", "action": "preview"})
    assert response.status_code == 400 and "govuk-error-summary" in response.content.decode()
    bad = default_parameters()
    bad["bands"]["red"] = 1
    response = client.post(url, {"parameters": json.dumps(bad), "action": "save", "note": "x"})
    assert response.status_code == 400
    assert "red must be higher" in response.content.decode()
    assert ParameterSet.objects.count() == 1


def test_large_estate_preview_is_worked_out_by_a_worker(client, mash_manager, flagged,
                                                       monkeypatch):  # fmt: skip
    from hub.risk import services
    from hub.risk.models import TuningPreview

    monkeypatch.setattr(services, "TUNING_INLINE_MAX_CHILDREN", 0)
    client.force_login(mash_manager)
    url = reverse("risk:tuning")
    proposed = default_parameters()
    response = client.post(url, {"parameters": json.dumps(proposed), "action": "preview"})
    assert response.status_code == 302
    preview = TuningPreview.objects.get()
    assert preview.status == "pending"
    page = client.get(response["Location"])
    assert "data-pending" in page.content.decode() and "preview" not in page.context
    services.tuning_preview_run(preview_id=preview.pk)  # what the `risk.tuning_preview` task does
    page = client.get(response["Location"])
    assert page.context["preview"].children == 2
    assert page.context["preview"].changes == []  # same parameters: nobody moves
