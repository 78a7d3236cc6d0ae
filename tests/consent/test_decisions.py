import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from concerns.models import Concern
from consent.models import SharingDecision
from consent.policy import Visibility, visibility_of
from consent.services import sharing_decision_record, sharing_decision_revoke
from tests.consent.conftest import make_concern

pytestmark = pytest.mark.django_db

GOOD = dict(
    share=True,
    level=Visibility.FULL,
    purpose="Police safeguarding enquiry",
    necessity="The police need the detail to assess risk tonight; nothing less will do.",
    article6="public_task",
    family_told=False,
    family_not_told_reason="Telling them could put the child at risk",
)


def test_lead_shares_a_concern_and_the_police_see_it_at_once(dora, charlie, concern):
    assert visibility_of(charlie, concern) == Visibility.NONE
    decision = sharing_decision_record(
        actor=dora, concern=concern, recipient_agency=charlie.agency, **GOOD
    )
    assert visibility_of(charlie, concern) == Visibility.FULL
    assert list(Concern.objects.visible_to(charlie)) == [concern]
    event = AuditEvent.objects.get(action="share.decision", object_id=str(decision.pk))
    assert event.lawful_basis == "6(1)(e)"
    assert "nothing less will do" in event.justification
    assert event.details["recipient_agency_id"] == charlie.agency_id
    assert event.child_id == concern.subject.person_id


def test_revocation_takes_effect_on_the_very_next_query(dora, charlie, concern):
    decision = sharing_decision_record(
        actor=dora, concern=concern, recipient_agency=charlie.agency, **GOOD
    )
    assert Concern.objects.visible_to(charlie).filter(pk=concern.pk).exists()
    sharing_decision_revoke(actor=dora, decision=decision, reason="Enquiry closed")
    assert not Concern.objects.visible_to(charlie).filter(pk=concern.pk).exists()
    assert visibility_of(charlie, concern) == Visibility.NONE
    assert AuditEvent.objects.filter(action="share.revoked", object_id=str(decision.pk)).exists()
    with pytest.raises(ValidationError, match="already revoked"):
        sharing_decision_revoke(actor=dora, decision=decision, reason="again")


def test_a_passed_review_date_ends_access(dora, charlie, concern):
    decision = sharing_decision_record(
        actor=dora,
        concern=concern,
        recipient_agency=charlie.agency,
        review_on=timezone.localdate(),
        **GOOD,
    )
    assert visibility_of(charlie, concern) == Visibility.FULL
    SharingDecision.objects.filter(pk=decision.pk).update(
        review_on=timezone.localdate() - dt.timedelta(days=1)
    )
    assert visibility_of(charlie, concern) == Visibility.NONE


def test_a_decision_not_to_share_is_recorded_with_reasons_and_grants_nothing(
    dora, charlie, concern
):
    decision = sharing_decision_record(
        actor=dora,
        concern=concern,
        recipient_agency=charlie.agency,
        share=False,
        level=Visibility.FULL,
        purpose="Police request",
        necessity="Not relevant to the enquiry; the child is not at risk from this.",
        article6="",
    )
    assert not decision.share
    assert visibility_of(charlie, concern) == Visibility.NONE
    event = AuditEvent.objects.get(action="share.refused", object_id=str(decision.pk))
    assert "Not relevant" in event.justification


def test_whole_record_decision_covers_concerns_recorded_up_to_its_date(
    dora, alice, charlie, child_record
):
    earlier = make_concern(alice, child_record)
    decision = sharing_decision_record(
        actor=dora, person=child_record.person, recipient_agency=charlie.agency, **GOOD
    )
    later = make_concern(alice, child_record, recorded_at=timezone.now() + dt.timedelta(seconds=5))
    assert visibility_of(charlie, earlier) == Visibility.FULL
    assert visibility_of(charlie, later) == Visibility.NONE
    assert decision.knew["concerns"][0]["id"] == earlier.pk


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"article6": ""}, "article6", "lawful basis"),
        ({"necessity": "   "}, "necessity", "necessary and proportionate"),
        ({"purpose": ""}, "purpose", "needed for"),
        ({"family_told": None, "family_not_told_reason": ""}, "family_told", "family"),
        ({"level": Visibility.NONE}, "level", "how much"),
        ({"article9": "9_2_g_sch1_para18"}, "schedule1_reason", "paragraph 18"),
        ({"dpa_part3": True}, "dpa_part3", "Part 3"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(dora, charlie, concern, change, field, message):
    with pytest.raises(ValidationError) as exc:
        sharing_decision_record(
            actor=dora, concern=concern, recipient_agency=charlie.agency, **(GOOD | change)
        )
    assert field in exc.value.message_dict
    assert message.lower() in " ".join(exc.value.message_dict[field]).lower()
    assert not SharingDecision.objects.exists()


def test_health_information_needs_an_article_9_condition_beyond_summary(
    dora, alice, charlie, child_record
):
    health = make_concern(alice, child_record, marker_health=True)
    with pytest.raises(ValidationError) as exc:
        sharing_decision_record(actor=dora, concern=health, recipient_agency=charlie.agency, **GOOD)
    assert "Article 9" in str(exc.value.message_dict["article9"])
    sharing_decision_record(
        actor=dora,
        concern=health,
        recipient_agency=charlie.agency,
        article9="9_2_g_sch1_para18",
        schedule1_reason="would_prejudice",
        **GOOD,
    )
    assert visibility_of(charlie, health) == Visibility.FULL


def test_criminal_offence_data_needs_article_10_or_part_3(charlie, dora, police, area):
    from agencies.models import User
    from tests.factories import PersonFactory, SubjectRecordFactory, UserFactory

    police_lead = UserFactory(username="pl", agency=police, role=User.Role.DESIGNATED_LEAD)
    subject = SubjectRecordFactory(agency=police, person=PersonFactory(area=area))
    concern = make_concern(charlie, subject)
    with pytest.raises(ValidationError) as exc:
        sharing_decision_record(
            actor=police_lead, concern=concern, recipient_agency=dora.agency, **GOOD
        )
    assert "criminal-offence" in str(exc.value.message_dict["article10"])
    decision = sharing_decision_record(
        actor=police_lead, concern=concern, recipient_agency=dora.agency, dpa_part3=True, **GOOD
    )
    assert "DPA3+S8p4" in decision.lawful_basis_code
    assert visibility_of(dora, concern) == Visibility.FULL


def test_nobody_decides_about_another_agencys_concerns(alice, dora, charlie, concern, police):
    from agencies.models import User
    from tests.factories import UserFactory

    police_lead = UserFactory(username="pl2", agency=police, role=User.Role.DESIGNATED_LEAD)
    with pytest.raises(PermissionDenied):
        sharing_decision_record(actor=police_lead, concern=concern, recipient_agency=police, **GOOD)
    with pytest.raises(PermissionDenied):  # a practitioner is not the decider
        sharing_decision_record(actor=alice, concern=concern, recipient_agency=police, **GOOD)
    with pytest.raises(PermissionDenied):
        decision = sharing_decision_record(
            actor=dora, concern=concern, recipient_agency=police, **GOOD
        )
        sharing_decision_revoke(actor=police_lead, decision=decision, reason="mine now")
    assert visibility_of(charlie, concern) == Visibility.FULL  # the revoke was refused


def test_markers_cap_at_existence_unless_the_owner_lifts_the_cap(
    dora, alice, charlie, child_record
):
    marked = make_concern(alice, child_record, marker_police_investigation=True)
    common = dict(concern=marked, recipient_agency=charlie.agency, article10=True, **GOOD)
    first = sharing_decision_record(actor=dora, **common)
    assert visibility_of(charlie, marked) == Visibility.EXISTENCE
    sharing_decision_revoke(actor=dora, decision=first, reason="replace")
    sharing_decision_record(actor=dora, lift_marker_cap=True, **common)
    assert visibility_of(charlie, marked) == Visibility.FULL


def test_sealed_is_invisible_outside_the_agency_whatever_is_decided(
    dora, alice, bob, charlie, child_record
):
    sealed = make_concern(alice, child_record, marker_sealed=True)
    sharing_decision_record(
        actor=dora, concern=sealed, recipient_agency=charlie.agency, lift_marker_cap=True, **GOOD
    )
    assert visibility_of(charlie, sealed) == Visibility.NONE
    assert visibility_of(bob, sealed) == Visibility.FULL  # the owning agency (setting: full)
    assert visibility_of(alice, sealed) == Visibility.FULL


def test_a_mash_manager_decides_for_the_mashs_own_records_only(manon, charlie, concern, area):
    from tests.factories import PersonFactory, SubjectRecordFactory

    mash_record = make_concern(
        manon, SubjectRecordFactory(agency=manon.agency, person=PersonFactory(area=area))
    )
    sharing_decision_record(
        actor=manon, concern=mash_record, recipient_agency=charlie.agency, **GOOD
    )
    assert visibility_of(charlie, mash_record) == Visibility.FULL
    assert visibility_of(manon, mash_record) == Visibility.FULL
    with pytest.raises(PermissionDenied):
        sharing_decision_record(
            actor=manon, concern=concern, recipient_agency=charlie.agency, **GOOD
        )


class _ApiClient:
    """An agency system, as the API app would present it: not a person."""

    is_authenticated = True
    is_active = True
    audit_actor_type = "api_client"

    def __init__(self, pk, agency_id):
        self.pk, self.agency_id = pk, agency_id


def test_an_api_client_gets_only_the_rules_that_do_not_depend_on_a_person(
    dora, alice, charlie, concern
):
    # Same primary key as alice (the author) and the agency's lead role do not leak to a client.
    client = _ApiClient(pk=alice.pk, agency_id=charlie.agency_id)
    assert visibility_of(client, concern) == Visibility.NONE
    sharing_decision_record(actor=dora, concern=concern, recipient_user=charlie, **GOOD)
    assert visibility_of(client, concern) == Visibility.NONE  # named for charlie, not the system
    sharing_decision_record(
        actor=dora, concern=concern, recipient_agency=charlie.agency, **(GOOD | {"level": 2})
    )
    assert visibility_of(client, concern) == Visibility.SUMMARY
    same_agency_client = _ApiClient(pk=999_999, agency_id=dora.agency_id)
    assert visibility_of(same_agency_client, concern) == Visibility.FULL  # agency setting: full
