"""Submitting a concern from an agency system: the subject record and the concern, through
`concerns.services`, in one transaction, keyed by the agency's own reference.

Used by the single and bulk endpoints alike, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError

from audit.services import appended_at_commit
from concerns import services as concern_services
from concerns.models import Concern
from hub.api.errors import pointer
from hub.api.selectors import agency_concerns

CONCERN_FIELDS = ("category", "level", "text", "occurred_at", "consent_status", "family_knows")
MARKERS = {
    "health": "marker_health",
    "do_not_disclose_family": "marker_do_not_disclose_family",
    "police_investigation": "marker_police_investigation",
    "sealed": "marker_sealed",
}


_HELD = {
    "path": "/external_reference",
    "code": "exists",
    "message": "Your agency already holds a concern under this reference",
}


@dataclass
class Outcome:
    result: str  # "created" | "existing" | "conflict"
    concern: Concern | None
    errors: list[dict[str, str]] = field(default_factory=list)


def differences(concern: Concern, data: dict[str, Any]) -> list[dict[str, str]]:
    """Where DATA (a validated submission) differs from the concern already held."""
    paths: list[list[str]] = [[f] for f in CONCERN_FIELDS if getattr(concern, f) != data[f]]
    markers = data.get("markers") or {}
    paths += [
        ["markers", name]
        for name, attr in MARKERS.items()
        if getattr(concern, attr) != markers.get(name, False)
    ]
    subject, sent = concern.subject, data["subject"]
    if sent.get("external_reference"):
        if subject.external_reference != sent["external_reference"].strip():
            paths.append(["subject", "external_reference"])
    else:
        for name in ("given_name", "family_name", "date_of_birth"):
            held, given = getattr(subject, name), sent.get(name)
            if (held.strip() if isinstance(held, str) else held) != (
                given.strip() if isinstance(given, str) else given
            ):
                paths.append(["subject", name])
    return [
        {
            "path": pointer(p),
            "code": "differs",
            "message": "Differs from the concern already held under this reference",
        }
        for p in paths
    ]


def _compare(actor: Any, data: dict[str, Any]) -> Outcome | None:
    reference = data["external_reference"]
    # The common case, a new reference, costs one indexed lookup; only a re-send reads the held
    # concern, and then through the consent rule like any other read.
    if not Concern.objects.filter(agency_id=actor.agency_id, external_reference=reference).exists():
        return None
    existing = agency_concerns(actor).filter(external_reference=reference).first()
    if existing is None:  # held, but not visible to this reader: say so, show nothing
        return Outcome("conflict", None, [_HELD])
    diffs = differences(existing, data)
    if diffs:
        return Outcome("conflict", existing, diffs)
    return Outcome("existing", existing)


def concern_submit(*, actor: Any, data: dict[str, Any], look_first: bool = True) -> Outcome:
    """Create the concern DATA describes, or find the one already sent under its reference.

    LOOK_FIRST (bulk) checks for the reference before doing any work: a bulk request is often
    a whole batch sent again after a timeout. A single submission passes False and lets the
    unique constraint on (agency, reference) find a re-send: one query fewer for every new
    concern, and a re-send costs a rolled-back attempt instead.

    Raises the services' ValidationError / PermissionDenied; nothing is written when they do.
    """
    if look_first:
        found = _compare(actor, data)
        if found is not None:
            return found
    subject = data["subject"]
    markers = data.get("markers") or {}
    try:
        # The record's and the concern's audit events are appended together as the last
        # statement, so the audit chain's lock is held for one insert and the commit.
        with appended_at_commit():
            record = concern_services.subject_record_create(actor=actor, **subject)
            concern = concern_services.concern_record(
                actor=actor,
                subject=record,
                external_reference=data["external_reference"],
                **{f: data[f] for f in CONCERN_FIELDS},
                **{attr: markers.get(name, False) for name, attr in MARKERS.items()},
            )
    except IntegrityError:
        # Sent twice at once: the other request won. Compare with what it saved.
        found = _compare(actor, data)
        if found is not None:
            return found
        return Outcome("conflict", None, [_HELD])
    return Outcome("created", concern)
