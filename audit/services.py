"""The one way anything is written to the audit trail.

`audit_record` must be called inside the transaction of the action it records, before any data
leaves: if the event cannot be written, the action fails with it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from audit import context
from audit.models import AuditEvent

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key serialising chain appends ("audit" in ASCII).
CHAIN_LOCK_KEY = 0x6175646974


def canonical_json(fields: dict[str, Any]) -> str:
    """The event's fields as canonical JSON: sorted keys, no spaces, UTF-8, ISO timestamps."""
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def event_fields(event: AuditEvent) -> dict[str, Any]:
    """The fields covered by the hash, in a form that round-trips through the database."""
    return {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "actor_agency_id": event.actor_agency_id,
        "actor_agency_code": event.actor_agency_code,
        "actor_role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "child_id": event.child_id,
        "lawful_basis": event.lawful_basis,
        "justification": event.justification,
        "details": event.details,
        "request_id": event.request_id,
        "client_ip": event.client_ip,
    }


def compute_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode("utf-8")).hexdigest()


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
        "actor_type": actor_type,
        "actor_id": actor.pk,
        "actor_username": getattr(actor, "username", "") or getattr(actor, "name", ""),
        "actor_agency_id": getattr(agency, "pk", None),
        "actor_agency_code": getattr(agency, "code", "") or "",
        "actor_role": getattr(actor, "role", "") or "",
    }


@transaction.atomic
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
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    ctx = context.current()
    event = AuditEvent(
        seq=seq,
        at=datetime.now(tz=UTC),
        action=str(action),
        object_type=object_type,
        object_id=str(object_id) if object_id not in (None, "") else "",
        child_id=child_id,
        lawful_basis=lawful_basis,
        justification=justification,
        details=details or {},
        request_id=ctx.request_id,
        client_ip=ctx.client_ip,
        prev_hash=prev_hash,
        **_actor_fields(actor),
    )
    event.hash = compute_hash(prev_hash, event_fields(event))
    event.save(force_insert=True)
    return event
