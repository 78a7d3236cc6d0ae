"""`appended_at_commit`: a block's events are held and appended together at its end, inside
its transaction — committed with their actions, dropped with a rolled-back savepoint, and the
chain still verifies."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agencies.models import User
from audit.models import Action, AuditEvent
from audit.services import appended_at_commit, audit_record
from audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def _inserts(queries) -> list[str]:
    return [q["sql"] for q in queries if "INSERT INTO audit_auditevent" in q["sql"]]


def test_events_are_held_until_the_end_then_appended_in_one_insert_in_order(alice):
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries, appended_at_commit():
        first = audit_record(actor=alice, action=Action.SUBJECT_CREATE, object_id=1)
        audit_record(actor=alice, action=Action.CONCERN_CREATE, object_id=2)
        assert first.seq is None  # held, not yet in the chain
        assert AuditEvent.objects.count() == before
        with appended_at_commit():  # nested: appends with the outermost block
            audit_record(actor=None, action=Action.TRIAGE_FLAG, object_id=3)
    assert len(_inserts(queries)) == 1
    events = list(AuditEvent.objects.order_by("-seq")[:3])[::-1]
    assert [e.object_id for e in events] == ["1", "2", "3"]
    assert [e.seq for e in events] == [events[0].seq, events[0].seq + 1, events[0].seq + 2]
    assert verify_chain().ok


def test_an_event_inside_a_rolled_back_savepoint_is_dropped_with_it(alice):
    before = AuditEvent.objects.count()
    with appended_at_commit():
        audit_record(actor=alice, action=Action.SUBJECT_CREATE, object_id="kept")
        try:
            with transaction.atomic():
                audit_record(actor=alice, action=Action.CONCERN_CREATE, object_id="undone")
                raise RuntimeError("the inner action fails and the caller carries on")
        except RuntimeError:
            pass
    ids = list(AuditEvent.objects.order_by("seq").values_list("object_id", flat=True))
    assert ids[before:] == ["kept"]


def test_an_error_in_the_block_rolls_back_its_actions_and_writes_no_event(alice):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), appended_at_commit():
        User.objects.filter(pk=alice.pk).update(first_name="Changed")
        audit_record(actor=alice, action=Action.PERMISSION_CHANGE, object_id=alice.pk)
        raise RuntimeError("fails after auditing")
    assert AuditEvent.objects.count() == before
    alice.refresh_from_db()
    assert alice.first_name != "Changed"  # the block is its own savepoint
    # Outside any block, events are appended at once again.
    assert audit_record(actor=alice, action=Action.VIEW_CASE).seq is not None
