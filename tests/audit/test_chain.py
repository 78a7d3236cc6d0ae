"""The event, the chain and serialised appends."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import DatabaseError, DataError, connection, connections, transaction

from agencies.models import User
from audit.models import Action, AuditEvent
from audit.services import GENESIS_HASH, audit_record
from audit.verify import verify_chain


def test_event_copies_the_actor_and_links_to_the_previous_event(alice):
    first = audit_record(
        actor=alice,
        action=Action.VIEW_CONCERN,
        object_type="concern",
        object_id=12,
        child_id=34,
        lawful_basis="public_task",
    )
    second = audit_record(actor=None, action=Action.TRIAGE_FLAG, child_id=34)
    stored = AuditEvent.objects.get(seq=first.seq)
    assert (stored.actor_type, stored.actor_id, stored.actor_username) == (
        "user",
        alice.pk,
        "alice",
    )
    assert (stored.actor_agency_code, stored.actor_role) == ("northgate-school", "practitioner")
    assert (stored.object_type, stored.object_id, stored.child_id) == ("concern", "12", 34)
    assert second.seq == first.seq + 1
    assert bytes(AuditEvent.objects.get(seq=second.seq).prev_hash) == bytes(stored.hash)
    assert len(bytes(stored.hash)) == 32 and bytes(stored.hash) != GENESIS_HASH
    assert AuditEvent.objects.get(seq=second.seq).actor_type == "system"


def test_changing_the_user_never_changes_the_event(alice, charlie):
    event = audit_record(actor=alice, action=Action.VIEW_CONCERN, child_id=1)
    User.objects.filter(pk=alice.pk).update(role=User.Role.MASH_MANAGER, agency=charlie.agency)
    stored = AuditEvent.objects.get(seq=event.seq)
    assert (stored.actor_role, stored.actor_agency_code) == ("practitioner", "northgate-school")


def test_an_api_client_actor(db):
    class Client:
        audit_actor_type = "api_client"
        pk = 5
        name = "shire-police-system"
        agency = None

    event = audit_record(actor=Client(), action=Action.CONCERN_CREATE)
    stored = AuditEvent.objects.get(seq=event.seq)
    assert (stored.actor_type, stored.actor_id, stored.actor_username) == (
        "api_client",
        5,
        "shire-police-system",
    )


def test_the_separator_cannot_be_smuggled_in(alice):
    event = audit_record(
        actor=alice, action=Action.SHARE, justification="a\x1fb", details={"k": "x\x1fy"}
    )
    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.justification == "a b"
    assert verify_chain().ok
    with (
        pytest.raises(DatabaseError, match="separator"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO audit_auditevent (seq, at, actor_type, actor_username, "
            "actor_agency_code, actor_role, action, object_type, object_id, lawful_basis, "
            "justification, details, request_id, prev_hash, hash) VALUES (0, now(), 'user', "
            "'', '', '', 'x', '', '', '', E'a\\x1fb', '{}', '', '', '')"
        )


def test_no_event_no_action(alice):
    """If the event cannot be written, the action in the same transaction is undone."""
    with pytest.raises(DataError), transaction.atomic():
        User.objects.filter(pk=alice.pk).update(role=User.Role.IG_LEAD)
        audit_record(actor=alice, action=Action.PERMISSION_CHANGE, child_id="not-a-number")
    alice.refresh_from_db()
    assert alice.role == User.Role.PRACTITIONER


def test_request_context_is_recorded(client, alice):
    client.force_login(alice)
    response = client.post("/sign-out/", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.filter(action=Action.LOGOUT).order_by("-seq").first()
    assert event.client_ip == "10.1.2.3"
    assert event.request_id == response["X-Request-ID"]


@pytest.mark.parametrize("in_transaction", [True, False], ids=["in-transaction", "alone"])
def test_concurrent_writers_never_fork_the_chain(transactional_db, in_transaction):
    writers, per_writer = 4, 25
    start = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    barrier = threading.Barrier(writers)
    seen: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                if in_transaction:  # a service's transaction: synchronous commit
                    with transaction.atomic():
                        event = audit_record(actor=None, action=Action.SEARCH, object_id=i)
                else:  # a read's event alone: one statement, asynchronous commit
                    event = audit_record(actor=None, action=Action.SEARCH, object_id=i)
                with lock:
                    seen.append(event.seq)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(seen) == list(range(start + 1, start + 1 + writers * per_writer))
    rows = list(
        AuditEvent.objects.filter(seq__gt=start)
        .order_by("seq")
        .values_list("seq", "prev_hash", "hash")
    )
    assert [r[0] for r in rows] == sorted(seen)
    for (_, _, prev), (_, link, _) in itertools.pairwise(rows):
        assert bytes(link) == bytes(prev)
    result = verify_chain()
    assert result.ok, result.problems
