"""The case view: child, household, risk, chronology picture and table at each visibility."""

from __future__ import annotations

import pytest
from django.db.models import IntegerField, Value
from django.urls import reverse

from agencies.models import Agency
from audit.models import AuditEvent
from concerns.models import HouseholdMember
from concerns.services import household_link, subject_record_create
from concerns.taxonomy import Category
from consent import policy
from consent.policy import Visibility
from hub.triage.services import triage_item_raise_for_flag
from tests.factories import AgencyFactory, UserFactory
from tests.triage.conftest import record_concern

pytestmark = pytest.mark.django_db


@pytest.fixture
def health(area):
    return AgencyFactory(
        code="shire-health", name="Shire Health", kind=Agency.Kind.HEALTH, areas=[area]
    )


@pytest.fixture
def family(alice, charlie, health, tess):
    """Sam: a school concern (alice), a police concern (charlie), a GP concern (health), and a
    household with a parent and a sibling."""
    school_concern = record_concern(alice, text="SCHOOL-TEXT hungry", level=2)
    person = school_concern.subject.person
    police_concern = record_concern(
        charlie,
        category=Category.DOMESTIC_ABUSE,
        level=3,
        text="POLICE-TEXT call-out",
        days_ago=40,
    )
    gp = UserFactory(username="gp", agency=health)
    health_concern = record_concern(
        gp, category=Category.WAS_NOT_BROUGHT, text="GP-TEXT", days_ago=80
    )
    assert police_concern.subject.person_id == person.pk == health_concern.subject.person_id
    parent = subject_record_create(
        actor=charlie, given_name="Pat", family_name="Parent", kind="adult", postcode="ZX1 1AA"
    )
    sibling = subject_record_create(
        actor=alice, given_name="Kim", family_name="Synthetic", postcode="ZX1 1AA"
    )
    household_link(
        actor=alice,
        person=parent.person,
        relationship=HouseholdMember.Relationship.PARENT,
        with_person=person,
    )
    household_link(
        actor=alice,
        person=sibling.person,
        relationship=HouseholdMember.Relationship.SIBLING,
        with_person=person,
    )
    item, _ = triage_item_raise_for_flag(
        person_id=person.pk, area_id=person.area_id, band="red", assessment_id=None
    )
    return {
        "item": item,
        "school": school_concern,
        "police": police_concern,
        "health": health_concern,
    }


@pytest.fixture
def mixed_visibility(monkeypatch, mash, school, police):
    """A stand-in consent rule: MASH sees the school's concerns in full, the police's as a
    summary, everyone else's as existence only. The case view must render each faithfully."""
    levels = {school.pk: Visibility.FULL, police.pk: Visibility.SUMMARY}

    def rule(user, queryset):
        from django.db.models import Case, When

        whens = [When(agency_id=a, then=Value(int(v))) for a, v in levels.items()]
        return queryset.annotate(
            visibility=Case(
                *whens, default=Value(int(Visibility.EXISTENCE)), output_field=IntegerField()
            )
        )

    monkeypatch.setattr(policy, "visible_concerns", rule)


def test_case_view_is_audited_before_rendering_and_shows_household(family, tess, client):
    client.force_login(tess)
    item = family["item"]
    response = client.get(reverse("triage:case", args=[item.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="case.view", actor_id=tess.pk)
    assert event.child_id == item.person_id and event.object_id == str(item.pk)
    body = response.content.decode()
    assert "Sam Synthetic" in body
    assert "Pat Parent" in body and "Parent" in body
    assert "Kim Synthetic" in body and "Sibling" in body
    assert "No assessment yet" in body


def test_case_view_fails_closed_if_the_view_cannot_be_audited(family, tess, client, monkeypatch):
    import hub.triage.services as services

    def broken(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(services, "audit_record", broken)
    client.force_login(tess)
    client.raise_request_exception = False
    response = client.get(reverse("triage:case", args=[family["item"].pk]))
    assert response.status_code == 500
    assert b"SCHOOL-TEXT" not in response.content


def test_case_view_shows_what_the_consent_rule_allows_and_no_more(family, tess, client):
    """Whatever the rule in force (foundation: nothing of other agencies; consent's MASH rule:
    summaries), the table has one row per concern the rule returns, and no text beyond it."""
    from concerns.models import Concern

    client.force_login(tess)
    body = client.get(reverse("triage:case", args=[family["item"].pk])).content.decode()
    visible = {
        c.pk: c.visibility
        for c in Concern.objects.visible_to(tess).filter(
            pk__in=[family[k].pk for k in ("school", "police", "health")]
        )
    }
    assert body.count("data-visibility=") == len(visible)
    for key, text in (("school", "SCHOOL-TEXT"), ("police", "POLICE-TEXT"), ("health", "GP-TEXT")):
        assert (text in body) is (visible.get(family[key].pk) == Visibility.FULL)


def test_chronology_picture_and_table_at_each_visibility(family, tess, client, mixed_visibility):
    client.force_login(tess)
    body = client.get(reverse("triage:case", args=[family["item"].pk])).content.decode()
    # Full: text shown; summary: category but no text; existence: neither, with whom to ask.
    assert "SCHOOL-TEXT" in body
    assert "POLICE-TEXT" not in body and "Domestic abuse" in body
    assert "GP-TEXT" not in body and "Was not brought" not in body
    assert "This agency holds a record. Ask" in body
    # The picture: an SVG with a lane per agency and focusable, labelled marks.
    svg = body[
        body.index('<svg id="chronology"') : body.index(
            "</svg>", body.index('<svg id="chronology"')
        )
    ]
    assert svg.count('class="chrono-lane"') == 3
    assert svg.count('tabindex="0"') == 3  # two dated marks + one "held, not shared" badge
    assert 'aria-label="' in svg and "<title>" in svg
    assert f'data-concern="{family["police"].pk}"' in svg
    assert f'data-concern="{family["health"].pk}"' not in svg
    assert "Shire Health holds 1 record not shared with you" in svg
    # Level sizes the mark: the level-3 police mark is larger than the level-2 school one.
    import re

    mark = (
        r'data-concern="(\d+)">\s*<title>[^<]*</title>\s*'
        r'<circle class="chrono-focus"[^>]*></circle>\s*<circle cx="[^"]+" cy="[^"]+" r="(\d+)"'
    )
    radii = {int(cid): int(r) for cid, r in re.findall(mark, svg)}
    assert radii[family["police"].pk] > radii[family["school"].pk]
    # The table has one row per visible concern, each marked with its visibility.
    assert body.count('data-visibility="full"') == 1
    assert body.count('data-visibility="summary"') == 1
    assert body.count('data-visibility="existence"') == 1
