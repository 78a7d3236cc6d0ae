"""Writes for the API app: issuing and revoking credentials, last-used times, idempotency.

Each takes the acting user where a person acts, runs in one transaction and audits.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import SERVICE_ACCOUNT_PREFIX, Agency, User
from audit.models import Action
from audit.services import audit_record
from hub.api.models import ApiCredential, IdempotencyRecord, Scope

KEY_PREFIX = "hub"
# The scopes each credential role may hold. The audit trail is for information governance only.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    ApiCredential.Role.PRACTITIONER: frozenset(
        {Scope.CONCERNS_WRITE, Scope.CONCERNS_READ, Scope.CHILDREN_READ}
    ),
    # The designated lead answers the MASH's requests and decides about sharing.
    ApiCredential.Role.DESIGNATED_LEAD: frozenset(
        {
            Scope.CONCERNS_WRITE,
            Scope.CONCERNS_READ,
            Scope.CHILDREN_READ,
            Scope.INFO_REQUESTS_READ,
            Scope.INFO_REQUESTS_ANSWER,
            Scope.SHARING_WRITE,
        }
    ),
    ApiCredential.Role.IG_LEAD: frozenset({Scope.AUDIT_READ}),
}


def hash_secret(secret: str) -> str:
    """SHA-256 of the whole key. The key carries 256 bits of randomness, so no salt or stretching
    is needed (a slow hash would only slow every request)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_key(raw: str) -> tuple[str, str] | None:
    """("prefix", raw) for a well-formed key "hub_<prefix>_<secret>", else None."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], raw


def credential_for_key(raw: str) -> ApiCredential | None:
    """The active credential RAW belongs to, or None. Constant-time comparison of digests."""
    split = split_key(raw)
    if split is None:
        return None
    prefix, _ = split
    credential = _credential_with_user(prefix)
    if credential is None or not hmac.compare_digest(credential.key_hash, hash_secret(raw)):
        return None
    if not credential.is_active or not credential.service_user.is_active:
        return None
    return credential


@functools.cache
def _credential_query() -> str:
    """SELECT of a credential by prefix with its service user, the user's agency and the
    credential's agency - what `select_related` would load - written once per process from the
    models' own tables and columns. Every API request authenticates, and building this through
    the ORM cost about three times the query itself (4 Dec 2026 profile: 15% of a submission,
    bare create included)."""
    parts = [(ApiCredential, "c"), (User, "u"), (Agency, "ua"), (Agency, "a")]
    columns = ", ".join(
        f'{alias}."{f.column}"' for model, alias in parts for f in model._meta.concrete_fields
    )
    credential, user, agency = ApiCredential._meta, User._meta, Agency._meta
    column = {
        "service_user": credential.get_field("service_user").column,
        "agency": credential.get_field("agency").column,
        "user_agency": user.get_field("agency").column,
        "prefix": credential.get_field("prefix").column,
    }
    return (
        f'SELECT {columns} FROM "{credential.db_table}" c '  # noqa: S608 - names from the models
        f'JOIN "{user.db_table}" u ON u."{user.pk.column}" = c."{column["service_user"]}" '
        f'LEFT JOIN "{agency.db_table}" ua '
        f'ON ua."{agency.pk.column}" = u."{column["user_agency"]}" '
        f'JOIN "{agency.db_table}" a ON a."{agency.pk.column}" = c."{column["agency"]}" '
        f'WHERE c."{column["prefix"]}" = %s'
    )


def _credential_with_user(prefix: str) -> ApiCredential | None:
    with connection.cursor() as cursor:
        cursor.execute(_credential_query(), [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    values, built = list(row), []
    for model in (ApiCredential, User, Agency, Agency):
        fields = model._meta.concrete_fields
        chunk, values = values[: len(fields)], values[len(fields) :]
        pk = chunk[[f.primary_key for f in fields].index(True)]
        built.append(
            None
            if pk is None
            else model.from_db(connection.alias, [f.attname for f in fields], chunk)
        )
    credential, user, user_agency, agency = built
    User._meta.get_field("agency").set_cached_value(user, user_agency)
    ApiCredential._meta.get_field("service_user").set_cached_value(credential, user)
    ApiCredential._meta.get_field("agency").set_cached_value(credential, agency)
    return credential


def _require_admin(actor: User, agency: Agency) -> None:
    if actor.is_superuser:
        return
    if actor.agency_id != agency.pk or actor.role != User.Role.ADMINISTRATOR:
        raise PermissionDenied("Only an administrator of this agency can manage its API keys")


def api_credential_issue(
    *,
    actor: User,
    name: str,
    role: str,
    scopes: list[str],
    agency: Agency | None = None,
) -> tuple[ApiCredential, str]:
    """Issue a key for one of AGENCY's systems. Returns the credential and the key, which is
    never stored and cannot be shown again."""
    agency = agency or actor.agency
    if agency is None:
        raise ValidationError({"agency": ["Choose the agency the key is for"]})
    _require_admin(actor, agency)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Name the system that will hold this key"]
    elif len(name) > 100:
        errors["name"] = ["Name must be 100 characters or fewer"]
    if role not in ROLE_SCOPES:
        errors["role"] = ["Choose a role from the list"]
    chosen = sorted(set(scopes or []))
    if not chosen:
        errors["scopes"] = ["Choose at least one permission"]
    elif role in ROLE_SCOPES and not set(chosen) <= ROLE_SCOPES[role]:
        errors["scopes"] = ["Those permissions are not available to that role"]
    if errors:
        raise ValidationError(errors)

    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    with transaction.atomic():
        service_user = User(
            username=f"{SERVICE_ACCOUNT_PREFIX}{prefix}",
            first_name="API",
            last_name=name[:150],
            agency=agency,
            role=role,
            job_title="Agency system (API client)",
        )
        service_user.set_unusable_password()
        service_user.save(force_insert=True)
        credential = ApiCredential.objects.create(
            agency=agency,
            name=name,
            prefix=prefix,
            key_hash=hash_secret(raw),
            role=role,
            scopes=chosen,
            service_user=service_user,
            created_at=now,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.PERMISSION_CHANGE,
            object_type="api_credential",
            object_id=credential.pk,
            details={
                "event": "issued",
                "prefix": prefix,
                "agency": agency.code,
                "role": role,
                "scopes": chosen,
                "service_user_id": service_user.pk,
            },
        )
    return credential, raw


def api_credential_revoke(*, actor: User, credential: ApiCredential) -> ApiCredential:
    """Revoke a key at once. Its service account is deactivated too; both are kept for audit."""
    _require_admin(actor, credential.agency)
    with transaction.atomic():
        credential = ApiCredential.objects.select_for_update().get(pk=credential.pk)
        if credential.revoked_at is not None:
            return credential
        credential.revoked_at = timezone.now()
        credential.revoked_by = actor
        credential.save(update_fields=["revoked_at", "revoked_by"])
        User.objects.filter(pk=credential.service_user_id).update(is_active=False)
        audit_record(
            actor=actor,
            action=Action.PERMISSION_CHANGE,
            object_type="api_credential",
            object_id=credential.pk,
            details={"event": "revoked", "prefix": credential.prefix},
        )
    return credential


def api_credential_touch(*, credential: ApiCredential) -> None:
    """Record that the key was used. A conditional UPDATE, at most once per resolution period,
    so that a busy system does not write on every request. Bookkeeping: not an audit event."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.API_LAST_USED_RESOLUTION)
    if credential.last_used_at is not None and credential.last_used_at > stale:
        return
    ApiCredential.objects.filter(pk=credential.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
    ).update(last_used_at=now)
    credential.last_used_at = now


def idempotency_store(
    *,
    client: str,
    key: str,
    method: str,
    path: str,
    fingerprint: str,
    status_code: int,
    response: Any,
) -> IdempotencyRecord:
    """Keep a successful write's response so a retry with the same key replays it. Call inside
    the write's transaction: the record exists exactly when the write committed."""
    return IdempotencyRecord.objects.create(
        client=client,
        key=key,
        method=method,
        path=path,
        fingerprint=fingerprint,
        status_code=status_code,
        response=response,
        created_at=timezone.now(),
    )
