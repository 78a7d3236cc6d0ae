"""Writes to users' access (role, agency, active flag, staff/superuser, groups, permissions).

Every change to what a person may do is an audit event (`permission.change`), written in the
same transaction as the change. The Django admin's UserAdmin calls these.

Agencies imports `audit.services` here and nowhere else: the audit app imports nothing of
agencies' code (it copies actor fields by attribute), so there is no cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from agencies.models import User
from audit.models import Action
from audit.services import audit_record

ACCESS_FIELDS = ("agency_id", "role", "is_active", "is_staff", "is_superuser")


def _access(user: User) -> dict[str, Any]:
    return {f: getattr(user, f) for f in ACCESS_FIELDS}


def _related_access(user: User) -> dict[str, list[int]]:
    if user.pk is None:
        return {"groups": [], "user_permissions": []}
    return {
        "groups": sorted(user.groups.values_list("pk", flat=True)),
        "user_permissions": sorted(user.user_permissions.values_list("pk", flat=True)),
    }


@transaction.atomic
def user_update_access(*, actor: Any, user: User, created: bool = False) -> User:
    """Save USER (as edited, e.g. by an admin form) and audit any change to their access."""
    before = (
        None
        if created or user.pk is None
        else User.objects.filter(pk=user.pk).values(*ACCESS_FIELDS).first()
    )
    user.save()
    after = _access(user)
    changes = {
        f: [None if before is None else before[f], after[f]]
        for f in ACCESS_FIELDS
        if before is None or before[f] != after[f]
    }
    if changes:
        audit_record(
            actor=actor,
            action=Action.PERMISSION_CHANGE,
            object_type="user",
            object_id=user.pk,
            details={"changes": changes, "created": before is None},
        )
    return user


@transaction.atomic
def user_update_related_access(*, actor: Any, user: User, apply: Callable[[], None]) -> None:
    """Run APPLY (which saves USER's groups and permissions) and audit what it changed."""
    before = _related_access(user)
    apply()
    after = _related_access(user)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        audit_record(
            actor=actor,
            action=Action.PERMISSION_CHANGE,
            object_type="user",
            object_id=user.pk,
            details={"changes": changes, "created": False},
        )
