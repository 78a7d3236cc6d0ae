"""The audit chain's status for the IG endpoint — the audit app's own verifier, never a second
one.

Uses `audit.verify.verify_chain` (the set-based SQL check against checkpoints) where the audit
app provides it; before that lands, walks the chain with `audit.services.compute_hash`, the
same function that wrote each hash.
"""

from __future__ import annotations

from typing import Any


def chain_status() -> dict[str, Any]:
    """{intact, events_checked, last_seq, first_broken_seq, problems}."""
    try:
        from audit.verify import verify_chain  # type: ignore[import-not-found]
    except ImportError:
        return _walk()
    result = verify_chain()
    return {
        "intact": bool(result.ok),
        "events_checked": result.events,
        "last_seq": result.last_seq or None,
        "first_broken_seq": result.broken_seq,
        "problems": [str(p) for p in result.problems],
    }


def _walk() -> dict[str, Any]:
    from audit.models import AuditEvent
    from audit.services import GENESIS_HASH, compute_hash, event_fields  # type: ignore[attr-defined]

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
                "problems": [f"event {event.seq} does not match its hash or its predecessor"],
            }
        prev_hash, expected_seq = event.hash, event.seq + 1
    return {
        "intact": True,
        "events_checked": checked,
        "last_seq": last_seq,
        "first_broken_seq": None,
        "problems": [],
    }
