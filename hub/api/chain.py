"""The audit chain's status for the IG endpoint, using the audit app's own hashing.

When the audit app ships its verifier (checkpoints, `verify_audit`), this should call it instead;
until then it walks the chain with `audit.services.compute_hash`, so there is still one
definition of what a valid event is.
"""

from __future__ import annotations

from typing import Any

from audit.models import AuditEvent
from audit.services import GENESIS_HASH, compute_hash, event_fields


def chain_status() -> dict[str, Any]:
    """{intact, events_checked, last_seq, first_broken_seq}: the first event whose hash, link
    to its predecessor or position does not hold, if any."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    last_seq: int | None = None
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        last_seq = event.seq
        if (
            event.seq != expected_seq
            or event.prev_hash != prev_hash
            or compute_hash(prev_hash, event_fields(event)) != event.hash
        ):
            return {
                "intact": False,
                "events_checked": checked,
                "last_seq": last_seq,
                "first_broken_seq": event.seq,
            }
        prev_hash, expected_seq = event.hash, event.seq + 1
    return {
        "intact": True,
        "events_checked": checked,
        "last_seq": last_seq,
        "first_broken_seq": None,
    }
