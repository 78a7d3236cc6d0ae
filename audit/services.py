"""The one way anything is written to the audit trail.

`audit_record` must be called inside the transaction of the action it records, before any data
leaves: if the event cannot be written, the action fails with it. Call it as late in the
transaction as you can: the chain's lock is held from the insert until the transaction ends,
so every other auditing transaction waits for yours. A service that composes several audited
services (the API's concern submission) runs them in `appended_at_commit()`, which appends all
their events in one insert at the end of its transaction.

PostgreSQL assigns `seq`, `at`, `prev_hash` and `hash` (trigger `audit_event_chain`, see
audit/migrations/0003_append_only_chain.py and docs/audit.md); Python never computes a hash.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from audit import context
from audit.models import Action, AuditEvent, BreakGlassReview

logger = logging.getLogger(__name__)

GENESIS_HASH = bytes(32)
# pg_advisory_xact_lock key serialising chain appends ("audit" in ASCII); the trigger uses it.
CHAIN_LOCK_KEY = 0x6175646974
# The canonical text joins fields with this character, so no text field may contain it.
SEPARATOR = "\x1f"

_COLUMNS = (
    "actor_type",
    "actor_id",
    "actor_username",
    "actor_agency_id",
    "actor_agency_code",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "child_id",
    "lawful_basis",
    "justification",
    "details",
    "request_id",
    "client_ip",
)
_INSERT_HEAD = """
INSERT INTO audit_auditevent (
  seq, at, prev_hash, hash, actor_type, actor_id, actor_username, actor_agency_id,
  actor_agency_code, actor_role, action, object_type, object_id, child_id, lawful_basis,
  justification, details, request_id, client_ip
) VALUES """
_ROW = """(0, now(), ''::bytea, ''::bytea, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
  %s::jsonb, %s, %s)"""
_INSERT_SQL = _INSERT_HEAD + _ROW + " RETURNING seq, at, prev_hash, hash"
# The same insert as one self-contained statement for an event alone in its transaction (a
# read): in autocommit it is its own transaction, and `set_config(..., true)` makes that one
# commit skip waiting for the WAL flush. One round trip; the chain lock is held only inside
# the server, never across a network round trip or a disk sync.
_INSERT_ALONE_SQL = """
INSERT INTO audit_auditevent (
  seq, at, prev_hash, hash, actor_type, actor_id, actor_username, actor_agency_id,
  actor_agency_code, actor_role, action, object_type, object_id, child_id, lawful_basis,
  justification, details, request_id, client_ip
) SELECT 0, now(), ''::bytea, ''::bytea, %s, %s::bigint, %s, %s::bigint, %s, %s, %s, %s, %s,
  %s::bigint, %s, %s, %s::jsonb, %s, %s::inet
FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
RETURNING seq, at, prev_hash, hash
"""


class AnonymousActor:
    """Somebody not (yet) signed in, e.g. a failed sign-in. Has no id, agency or role."""

    audit_actor_type = "anonymous"
    pk = None


def _clean(value: Any, limit: int) -> str:
    text = "" if value is None else str(value)
    return text.replace(SEPARATOR, " ")[:limit]


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None:
        return {
            "actor_type": "system",
            "actor_id": None,
            "actor_username": "",
            "actor_agency_id": None,
            "actor_agency_code": "",
            "actor_role": "",
        }
    actor_type = getattr(actor, "audit_actor_type", "user")
    agency = getattr(actor, "agency", None)
    return {
        "actor_type": _clean(actor_type, 16),
        "actor_id": actor.pk,
        "actor_username": _clean(getattr(actor, "username", "") or getattr(actor, "name", ""), 150),
        "actor_agency_id": getattr(agency, "pk", None),
        "actor_agency_code": _clean(getattr(agency, "code", ""), 32),
        "actor_role": _clean(getattr(actor, "role", ""), 32),
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    child_id: int | None = None,
    lawful_basis: str = "",
    justification: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. `actor` is a user, an API client, or None for the system.

    `details` holds ids and codes only — never concern text, names or dates of birth.
    One INSERT statement: atomic by itself, and part of the caller's transaction if there is one.
    """
    ctx = context.current()
    values: dict[str, Any] = {
        **_actor_fields(actor),
        "action": _clean(action, 32),
        "object_type": _clean(object_type, 64),
        "object_id": _clean(object_id, 64),
        "child_id": child_id,
        "lawful_basis": _clean(lawful_basis, 64),
        "justification": _clean(justification, 10_000),
        "details": json.dumps(details or {}, cls=DjangoJSONEncoder, sort_keys=True),
        "request_id": _clean(ctx.request_id, 64),
        "client_ip": ctx.client_ip,
    }
    params = [values[c] for c in _COLUMNS]
    held = getattr(connection, _HELD_ATTR, None)
    if held is not None and connection.in_atomic_block:
        # Inside `appended_at_commit`: appended with the block's other events at its end.
        marker = _Held()
        transaction.on_commit(marker)  # dropped by Django if its savepoint rolls back
        held.append((marker, params))
        values["details"] = details or {}
        return AuditEvent(seq=None, **values)
    if connection.in_atomic_block or not getattr(settings, "AUDIT_ASYNC_COMMIT_ALONE", True):
        # Part of the caller's transaction: committed (durably) with the action it records.
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_SQL, params)
            seq, at, prev_hash, hash_ = cursor.fetchone()
    else:
        # An event alone in its transaction (a read: a view, search or export). Committing
        # without waiting for the WAL flush keeps the chain lock for microseconds instead of a
        # disk sync; the event is committed and visible before any data leaves, and the next
        # synchronous commit (any write, every checkpoint) makes it durable. See docs/audit.md.
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_ALONE_SQL, params)
            seq, at, prev_hash, hash_ = cursor.fetchone()
    _checkpoint_due([seq])
    values["details"] = details or {}
    return AuditEvent(seq=seq, at=at, prev_hash=prev_hash, hash=hash_, **values)


def _checkpoint_due(seqs: list[int]) -> None:
    every = getattr(settings, "AUDIT_CHECKPOINT_EVERY", 1000)
    if every and any(seq % every == 0 for seq in seqs):
        _enqueue_checkpoint()


# --- appending a block's events together, at its end -------------------------------------------

_HELD_ATTR = "_audit_held_events"


class _Held:
    """Marks one held event in Django's on-commit list: gone if its savepoint rolled back."""

    def __call__(self) -> None:  # runs after commit; the event was appended before it
        return None


@contextmanager
def appended_at_commit() -> Iterator[None]:
    """A transaction (or savepoint) whose audit events are appended together at its end.

    The chain's lock is held from an event's insert until the transaction commits, so a
    service that audits early and then keeps working makes every other auditing transaction
    wait. Inside this block `audit_record` holds its events (returning them unsaved, without a
    `seq`) and the block's last statement appends them all in one INSERT, still inside the
    transaction: the events commit with the actions they record, or neither does. Events
    recorded inside a savepoint that rolled back are dropped with it, exactly as their
    inserts would have been. Nested blocks append with the outermost one.
    """
    if getattr(connection, _HELD_ATTR, None) is not None:
        yield
        return
    held: list[tuple[_Held, list[Any]]] = []
    try:
        with transaction.atomic():
            setattr(connection, _HELD_ATTR, held)
            yield
            setattr(connection, _HELD_ATTR, None)
            _append_held(held)
    finally:
        setattr(connection, _HELD_ATTR, None)


def _append_held(held: list[tuple[_Held, list[Any]]]) -> None:
    alive = {id(func) for _sids, func, _robust in connection.run_on_commit}
    rows = [params for marker, params in held if id(marker) in alive]
    if not rows:
        return
    sql = _INSERT_HEAD + ", ".join([_ROW] * len(rows)) + " RETURNING seq"
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for params in rows for value in params])
        _checkpoint_due([row[0] for row in cursor.fetchall()])


def _enqueue_checkpoint() -> None:
    def enqueue() -> None:
        from audit.tasks import audit_checkpoint

        try:
            audit_checkpoint.delay()
        except Exception:  # a broker outage must not fail the request; beat catches up
            logger.warning("audit: could not enqueue checkpoint; beat will write it")

    transaction.on_commit(enqueue)


def break_glass_review_record(
    *, actor: Any, event_seq: int, outcome: str, note: str = ""
) -> BreakGlassReview:
    """Mark a break-glass event reviewed. Appends a review; the event itself never changes."""
    if outcome not in BreakGlassReview.Outcome.values:
        raise ValueError("unknown review outcome")
    with transaction.atomic():
        event = AuditEvent.objects.filter(seq=event_seq, action=Action.BREAK_GLASS).first()
        if event is None:
            raise AuditEvent.DoesNotExist(f"no break-glass event {event_seq}")
        review = BreakGlassReview.objects.create(
            event_seq=event_seq,
            at=timezone.now(),
            reviewer_id=actor.pk,
            reviewer_username=actor.username,
            outcome=outcome,
            note=note.replace(SEPARATOR, " "),
        )
        audit_record(
            actor=actor,
            action=Action.BREAK_GLASS_REVIEW,
            object_type="audit_event",
            object_id=event_seq,
            child_id=event.child_id,
            details={"outcome": outcome, "review_id": review.pk},
        )
    return review


def checkpoint_write() -> tuple[int, str, datetime, bool] | None:
    """Record the chain's head as a checkpoint (table) if it moved; returns the latest one.

    Runs the SECURITY DEFINER function `audit_checkpoint_write()`: the application role cannot
    write checkpoints any other way. Returns (seq, hash hex, at, created) or None if no events.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT cp_seq, cp_hash, cp_at, cp_created FROM audit_checkpoint_write()")
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0], bytes(row[1]).hex(), row[2], row[3]
