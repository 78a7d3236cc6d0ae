"""Hypothesis: over generated states (owners, markers, decisions with their levels, caps and
revocations, consent, MASH involvement, break-glass), a concern is in `visible_to(user)` exactly
when `visibility_of` says so, at the same level; and grant → view → revoke → view fails at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from concerns.models import Concern
from consent.models import BreakGlassGrant, ConsentRecord, MashInvolvement, SharingDecision
from consent.policy import Visibility, visibility_of
from consent.services import sharing_decision_record, sharing_decision_revoke
from tests.factories import ConcernFactory, PersonFactory, SubjectRecordFactory

pytestmark = pytest.mark.django_db

concern_st = st.fixed_dictionaries(
    {
        "owner": st.sampled_from(["O_full", "O_summary", "O_none", "P", "H"]),
        "child": st.integers(0, 2),
        "health": st.booleans(),
        "police": st.booleans(),
        "family": st.booleans(),
        "sealed": st.booleans(),
    }
)
decision_st = st.fixed_dictionaries(
    {
        "concern": st.integers(0, 5),
        "whole_child": st.booleans(),
        "to": st.sampled_from(["agency:P", "agency:H", "agency:M", "area", "user:H", "user:P"]),
        "level": st.sampled_from([1, 2, 3]),
        "lift": st.booleans(),
        "art9": st.booleans(),
        "consent_basis": st.booleans(),
        "revoked": st.booleans(),
        "expired": st.booleans(),
        "share": st.booleans(),
    }
)
state_st = st.fixed_dictionaries(
    {
        "concerns": st.lists(concern_st, min_size=1, max_size=6),
        "decisions": st.lists(decision_st, max_size=5),
        "consent": st.lists(
            st.tuples(st.integers(0, 2), st.sampled_from(["P", "H", "M"]), st.booleans()),
            max_size=2,
        ),
        "mash": st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=2),
        "break_glass": st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=1),
    }
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(state=state_st)
def test_list_and_single_check_agree_over_generated_states(world, state):
    ag, users = world.agencies, world.users
    area_a = ag["P"].areas.get()
    now = timezone.now()
    children = [PersonFactory(area=area_a) for _ in range(3)]
    concerns = []
    for c in state["concerns"]:
        subject = SubjectRecordFactory(agency=ag[c["owner"]], person=children[c["child"]])
        author = users.get((c["owner"], "author")) or users[(c["owner"], "practitioner")]
        concerns.append(
            ConcernFactory(
                subject=subject,
                agency=ag[c["owner"]],
                author=author,
                marker_health=c["health"],
                marker_police_investigation=c["police"],
                marker_do_not_disclose_family=c["family"],
                marker_sealed=c["sealed"],
                recorded_at=now - dt.timedelta(hours=1),
            )
        )
    for d in state["decisions"]:
        concern = concerns[d["concern"] % len(concerns)]
        kind, _, who = d["to"].partition(":")
        SharingDecision.objects.create(
            owner_agency=concern.agency,
            person=concern.subject.person,
            concern=None if d["whole_child"] else concern,
            up_to=now if d["whole_child"] else None,
            recipient_agency=ag[who] if kind == "agency" else None,
            recipient_area=area_a if kind == "area" else None,
            recipient_user=users[(who, "practitioner")] if kind == "user" else None,
            share=d["share"],
            level=d["level"],
            lift_marker_cap=d["lift"],
            article9="9_2_h_sch1_para2" if d["art9"] else "",
            article6="consent" if d["consent_basis"] else "public_task",
            purpose="p",
            necessity="n",
            decided_by=users[(concern.agency.name, "designated_lead")],
            decided_at=now,
            revoked_at=now if d["revoked"] else None,
            revoked_reason="r" if d["revoked"] else "",
            review_on=timezone.localdate() - dt.timedelta(days=1) if d["expired"] else None,
        )
    for child, agency, live in state["consent"]:
        record = ConsentRecord.objects.create(
            person=children[child],
            purposes=["safeguarding"],
            status="given" if live else "withdrawn",
            given_by="parent",
            given_on=now.date(),
            evidence="e",
            recorded_by=users[("O_full", "designated_lead")],
            recorded_by_agency=ag["O_full"],
            recorded_at=now,
            withdrawn_at=None if live else now,
        )
        record.agencies.set([ag[agency], *[ag[o] for o in ("O_full", "O_summary", "O_none")]])
    for child, open_ in state["mash"]:
        MashInvolvement.objects.get_or_create(
            person=children[child],
            area=area_a,
            closed_at=None if open_ else now,
            defaults={"reason": "flag", "opened_at": now},
        )
    for child, live in state["break_glass"]:
        BreakGlassGrant.objects.create(
            user=users[("M", "mash_manager")],
            person=children[child],
            reason="public_interest",
            justification="j",
            granted_at=now - dt.timedelta(minutes=5 if live else 120),
            expires_at=now + dt.timedelta(minutes=55) if live else now - dt.timedelta(minutes=60),
        )
    ids = [c.pk for c in concerns]
    # One viewer per distinct relation to the owners (the full cast is the policy matrix's job).
    for viewer in world.viewers[::3]:
        listed = dict(
            Concern.objects.filter(pk__in=ids)
            .visible_to(viewer.user)
            .values_list("pk", "visibility")
        )
        for concern in concerns:
            single = visibility_of(viewer.user, concern)
            assert Visibility(listed.get(concern.pk, 0)) == single
            assert (concern.pk in listed) == (single > Visibility.NONE)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    level=st.sampled_from([Visibility.EXISTENCE, Visibility.SUMMARY, Visibility.FULL]),
    to=st.sampled_from(["agency", "user", "area"]),
    marker=st.sampled_from(["none", "health", "family"]),
)
def test_grant_view_revoke_view(world, level, to, marker):
    ag, users = world.agencies, world.users
    lead = users[("O_full", "designated_lead")]
    viewer = users[("P", "mash_triager")]
    subject = SubjectRecordFactory(agency=ag["O_full"], person=PersonFactory())
    concern = ConcernFactory(
        subject=subject,
        agency=ag["O_full"],
        author=users[("O_full", "author")],
        marker_health=marker == "health",
        marker_do_not_disclose_family=marker == "family",
    )
    assert visibility_of(viewer, concern) == Visibility.NONE
    decision = sharing_decision_record(
        actor=lead,
        concern=concern,
        share=True,
        level=level,
        purpose="Enquiry",
        necessity="Needed now",
        article6="public_task",
        article9="9_2_h_sch1_para2",
        family_told=True,
        lift_marker_cap=True,
        recipient_agency=ag["P"] if to == "agency" else None,
        recipient_user=viewer if to == "user" else None,
        recipient_area=ag["P"].areas.get() if to == "area" else None,
    )
    assert visibility_of(viewer, concern) == level
    assert Concern.objects.visible_to(viewer).filter(pk=concern.pk).exists()
    sharing_decision_revoke(actor=lead, decision=decision, reason="Done")
    assert visibility_of(viewer, concern) == Visibility.NONE
    assert not Concern.objects.visible_to(viewer).filter(pk=concern.pk).exists()
