"""How agency systems authenticate: `Authorization: Bearer hub_<prefix>_<secret>`.

The credential acts as its own service-account user (see `hub.api.models`). That user object is
marked `audit_actor_type = "api_client"` so every audit event it causes names the credential.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from hub.api.models import ApiCredential
from hub.api.services import api_credential_touch, credential_for_key

API_CLIENT_ACTOR_TYPE = "api_client"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[Any, ApiCredential] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # no key offered: another authenticator (the session) may apply
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one key: Authorization: Bearer <key>")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The key is not valid") from exc
        credential = credential_for_key(raw)
        if credential is None:
            # Unknown, wrong and revoked keys look the same.
            raise exceptions.AuthenticationFailed("The key is not valid or has been revoked")
        user = credential.service_user
        user.audit_actor_type = API_CLIENT_ACTOR_TYPE
        api_credential_touch(credential=credential)
        return user, credential

    def authenticate_header(self, request: Any) -> str:
        return f'{self.keyword} realm="api"'


def credential_of(request: Any) -> ApiCredential | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiCredential) else None


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "hub.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "hub_<prefix>_<secret>",
            "description": "A key issued to one agency system by the agency's administrator.",
        }
