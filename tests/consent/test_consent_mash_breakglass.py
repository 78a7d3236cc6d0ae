import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agencies.models import User
from audit.models import AuditEvent
from concerns.models import Concern
from consent.models import BreakGlassGrant, MashInvolvement, Notification
from consent.policy import Visibility, visibility_of
from consent.services import (
    break_glass_open,
    consent_record_create,
    consent_record_withdraw,
    mash_involvement_close,
    mash_involvement_open,
    sharing_decision_record,
)
from consent.tasks import notification_email_send
from hub.triage.services import triage_item_raise_for_flag
from tests.consent.conftest import make_concern
from tests.consent.test_decisions import GOOD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _consent(actor, person, agencies, **kw):
    return consent_record_create(
        actor=actor,
        person=person,
        status="given",
        agencies=agencies,
        purposes=["safeguarding"],
        given_by="mother",
        given_on=timezone.localdate(),
        evidence="Signed form scanned to the school's record",
        **kw,
    )


# ------------------------------------------------------------------------------------ consent


def test_consent_gives_summary_and_withdrawal_ends_only_consent_based_access(
    dora, charlie, hana, concern, child_record
):
    record = _consent(dora, child_record.person, [dora.agency, charlie.agency, hana.agency])
    assert visibility_of(charlie, concern) == Visibility.SUMMARY
    assert visibility_of(hana, concern) == Visibility.SUMMARY
    # The police also hold a consent-based decision; health a public-task one.
    sharing_decision_record(
        actor=dora,
        concern=concern,
        recipient_agency=charlie.agency,
        **(GOOD | {"article6": "consent"}),
    )
    sharing_decision_record(actor=dora, concern=concern, recipient_agency=hana.agency, **GOOD)
    assert visibility_of(charlie, concern) == Visibility.FULL
    consent_record_withdraw(actor=dora, record=record, reason="Mother phoned to withdraw")
    assert visibility_of(charlie, concern) == Visibility.NONE  # consent-based: gone at once
    assert visibility_of(hana, concern) == Visibility.FULL  # public task: stays
    withdrawn = AuditEvent.objects.get(action="consent.withdrawn", object_id=str(record.pk))
    assert withdrawn.details["consent_based_decisions"]
    assert AuditEvent.objects.filter(action="consent.recorded").count() == 1


def test_consent_based_decision_needs_consent_on_record(dora, charlie, concern):
    with pytest.raises(ValidationError, match="no consent on record"):
        sharing_decision_record(
            actor=dora,
            concern=concern,
            recipient_agency=charlie.agency,
            **(GOOD | {"article6": "consent"}),
        )


def test_consent_record_input_is_checked(dora, child_record):
    with pytest.raises(ValidationError) as exc:
        consent_record_create(
            actor=dora,
            person=child_record.person,
            status="given",
            agencies=[],
            purposes=["made-up"],
            given_by="",
            given_on=timezone.localdate() + dt.timedelta(days=1),
            evidence="",
        )
    assert set(exc.value.message_dict) == {
        "agencies",
        "purposes",
        "given_by",
        "given_on",
        "evidence",
    }


def test_refused_consent_grants_nothing(dora, hana, concern, child_record):
    consent_record_create(
        actor=dora,
        person=child_record.person,
        status="refused",
        agencies=[dora.agency, hana.agency],
        purposes=["safeguarding"],
        given_by="father",
        given_on=timezone.localdate(),
        evidence="Said no at the meeting",
    )
    assert visibility_of(hana, concern) == Visibility.NONE


# ------------------------------------------------------------------------------------ MASH rule


def test_a_triage_flag_opens_the_mash_rule_for_that_areas_mash(
    trish, charlie, alice, concern, child_record, area, agreement
):
    police_triager = UserFactory(username="pt", agency=charlie.agency, role=User.Role.MASH_TRIAGER)
    sealed = make_concern(alice, child_record, marker_sealed=True)
    marked = make_concern(alice, child_record, marker_do_not_disclose_family=True)
    assert visibility_of(trish, concern) == Visibility.NONE
    triage_item_raise_for_flag(
        person_id=child_record.person_id, area_id=area.pk, band="amber", assessment_id=None
    )
    assert MashInvolvement.objects.filter(person=child_record.person, closed_at=None).count() == 1
    assert visibility_of(trish, concern) == Visibility.SUMMARY
    assert visibility_of(police_triager, concern) == Visibility.SUMMARY
    assert visibility_of(charlie, concern) == Visibility.NONE  # not MASH staff
    assert visibility_of(trish, sealed) == Visibility.NONE
    assert visibility_of(trish, marked) == Visibility.EXISTENCE
    # A second flag does not open a second involvement.
    triage_item_raise_for_flag(
        person_id=child_record.person_id, area_id=area.pk, band="red", assessment_id=None
    )
    assert MashInvolvement.objects.filter(person=child_record.person).count() == 1


def test_the_mash_rule_needs_an_agreement_in_force(trish, concern, child_record, area):
    mash_involvement_open(
        actor=None, person_id=child_record.person_id, area_id=area.pk, reason="referral"
    )
    assert visibility_of(trish, concern) == Visibility.NONE


def test_an_involvement_in_another_area_does_not_count(trish, concern, child_record, agreement):
    from tests.factories import MashInvolvementFactory

    MashInvolvementFactory(person=child_record.person)  # some other area
    assert visibility_of(trish, concern) == Visibility.NONE
    MashInvolvementFactory(person=child_record.person, area=agreement.area)
    assert visibility_of(trish, concern) == Visibility.SUMMARY


def test_closing_the_involvement_ends_the_mash_rule(trish, concern, child_record, area, agreement):
    involvement = mash_involvement_open(
        actor=None, person_id=child_record.person_id, area_id=area.pk, reason="referral"
    )
    assert visibility_of(trish, concern) == Visibility.SUMMARY
    mash_involvement_close(actor=trish, involvement=involvement, reason="No further action")
    assert visibility_of(trish, concern) == Visibility.NONE


def test_full_for_the_mash_needs_a_decision(dora, trish, concern, child_record, area, agreement):
    mash_involvement_open(
        actor=None, person_id=child_record.person_id, area_id=area.pk, reason="flag"
    )
    sharing_decision_record(
        actor=dora, concern=concern, recipient_area=area, information_request_id=77, **GOOD
    )
    assert visibility_of(trish, concern) == Visibility.FULL


# ---------------------------------------------------------------------------------- break-glass


def test_break_glass_opens_full_for_an_hour_and_tells_the_owners(
    manon, dora, iggy, alice, concern, child_record, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dora.email = "dora@example.test"
    dora.save(update_fields=["email"])
    sealed = make_concern(alice, child_record, marker_sealed=True)
    with django_capture_on_commit_callbacks() as callbacks:
        grant = break_glass_open(
            actor=manon,
            person_id=child_record.person_id,
            password="correct-horse-battery",
            reason="public_interest",
            justification="Child missing tonight; school lead unreachable",
        )
    assert len(callbacks) == 1
    assert grant.expires_at - grant.granted_at == dt.timedelta(minutes=60)
    assert visibility_of(manon, concern) == Visibility.FULL
    assert visibility_of(manon, sealed) == Visibility.NONE
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"dora", "iggy"}
    event = AuditEvent.objects.get(action="break_glass", object_id=str(grant.pk))
    assert event.justification.startswith("Child missing")
    assert event.details["awaiting_ig_review"] is True
    for notification in Notification.objects.all():
        assert notification_email_send(notification.pk) is True
        assert notification_email_send(notification.pk) is False  # idempotent
    assert sorted(m.to[0] for m in mail.outbox) == ["dora@example.test", "iggy@example.test"]
    assert "Child missing" not in mail.outbox[0].body
    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        granted_at=timezone.now() - dt.timedelta(minutes=61),
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )
    assert visibility_of(manon, concern) == Visibility.NONE


def test_break_glass_refuses_a_wrong_password_and_non_managers(manon, trish, child_record):
    with pytest.raises(PermissionDenied, match="password"):
        break_glass_open(
            actor=manon,
            person_id=child_record.person_id,
            password="wrong",
            reason="public_interest",
            justification="x",
        )
    assert AuditEvent.objects.filter(action="auth.login_failed").exists()
    with pytest.raises(PermissionDenied):
        break_glass_open(
            actor=trish,
            person_id=child_record.person_id,
            password="correct-horse-battery",
            reason="public_interest",
            justification="x",
        )
    with pytest.raises(ValidationError) as exc:
        break_glass_open(
            actor=manon,
            person_id=child_record.person_id,
            password="correct-horse-battery",
            reason="because",
            justification=" ",
        )
    assert set(exc.value.message_dict) == {"reason", "justification"}
    assert not BreakGlassGrant.objects.exists()
    assert not Concern.objects.visible_to(manon).exists()


def test_the_agreement_command_records_an_audited_agreement(area, trish, concern, child_record):
    from django.core.management import call_command

    from consent.models import AreaSharingAgreement

    call_command("consent_agreement_add", "--area", area.code, "--title", "Northshire ISA")
    agreement = AreaSharingAgreement.objects.get()
    assert agreement.article6 == "public_task"
    assert AuditEvent.objects.filter(
        object_type="area_sharing_agreement", object_id=str(agreement.pk)
    ).exists()
    mash_involvement_open(
        actor=None, person_id=child_record.person_id, area_id=area.pk, reason="referral"
    )
    assert visibility_of(trish, concern) == Visibility.SUMMARY
