"""The audit chain's status for the IG endpoint — the audit app's own verifier, never a second
one.

Uses `audit.verify.verify_chain` (the set-based SQL check against checkpoints).
"""

from __future__ import annotations

from typing import Any

from audit.verify import verify_chain


def chain_status() -> dict[str, Any]:
    """{intact, events_checked, last_seq, first_broken_seq, problems}."""
    result = verify_chain()
    return {
        "intact": bool(result.ok),
        "events_checked": result.events,
        "last_seq": result.last_seq or None,
        "first_broken_seq": result.broken_seq,
        "problems": [str(p) for p in result.problems],
    }
