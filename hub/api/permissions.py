"""Fail-closed permissions: every view declares the scopes each of its actions needs.

A view (or one of its actions) with no declaration refuses everybody. Agency systems hold the
scopes on their credential (never more than their role allows); people signed in to the
browser hold the scopes of their role.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.permissions import BasePermission

from agencies.models import User
from hub.api.authentication import credential_of
from hub.api.models import Scope
from hub.api.services import ROLE_SCOPES

logger = logging.getLogger(__name__)

_RECORDING = frozenset({Scope.CONCERNS_WRITE, Scope.CONCERNS_READ, Scope.CHILDREN_READ})
PERSON_ROLE_SCOPES: dict[str, frozenset[str]] = {
    User.Role.PRACTITIONER: _RECORDING,
    User.Role.DESIGNATED_LEAD: _RECORDING
    | {Scope.INFO_REQUESTS_READ, Scope.INFO_REQUESTS_ANSWER, Scope.SHARING_WRITE},
    User.Role.MASH_TRIAGER: _RECORDING,
    User.Role.MASH_MANAGER: _RECORDING | {Scope.SHARING_WRITE},
    User.Role.IG_LEAD: frozenset({Scope.AUDIT_READ}),
    User.Role.ADMINISTRATOR: frozenset(),
}


def granted_scopes(request: Any) -> frozenset[str]:
    user = request.user
    if user is None or not user.is_authenticated or user.agency_id is None:
        return frozenset()
    credential = credential_of(request)
    if credential is not None:
        return frozenset(credential.scopes) & ROLE_SCOPES.get(credential.role, frozenset())
    return PERSON_ROLE_SCOPES.get(user.role, frozenset())


def declared_scopes(view: Any) -> tuple[str, ...] | None:
    """The scopes VIEW declares for the current action (viewsets) or method, or None."""
    declared = getattr(view, "required_scopes", None)
    if not isinstance(declared, dict):
        return None
    action = getattr(view, "action", None) or view.request.method.lower()
    scopes = declared.get(action)
    return tuple(scopes) if scopes else None


class HasDeclaredScopes(BasePermission):
    message = "Your credential does not allow this"

    def has_permission(self, request: Any, view: Any) -> bool:
        required = declared_scopes(view)
        if required is None:
            logger.warning(
                "refused: %s has no declared scopes for %s",
                type(view).__name__,
                getattr(view, "action", request.method),
            )
            return False
        if not (request.user and request.user.is_authenticated):
            return False
        return set(required) <= granted_scopes(request)
