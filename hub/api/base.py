"""What every API view shares: authentication, fail-closed permissions, throttling, the error
format, JSON only, and `Cache-Control: no-store`."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from hub.api.authentication import ApiKeyAuthentication
from hub.api.errors import IdempotencyKeyReused, problem, problem_exception_handler
from hub.api.models import IdempotencyRecord
from hub.api.permissions import HasDeclaredScopes
from hub.api.services import idempotency_store
from hub.api.throttling import ClientRateThrottle

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")


class ApiViewMixin:
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [HasDeclaredScopes]
    throttle_classes = [ClientRateThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    # {action or method: (scope, ...)}. Anything not listed is refused (HasDeclaredScopes).
    required_scopes: dict[str, tuple[str, ...]] = {}

    def get_exception_handler(self) -> Callable[..., Response | None]:
        return problem_exception_handler

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        # Personal data must not be kept by browsers, proxies or client libraries' caches.
        response["Cache-Control"] = "no-store"
        return response


def _fingerprint(request: Any) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), cls=JSONEncoder)
    raw = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class _Replay(Exception):
    pass


def idempotent(request: Any, handler: Callable[[], Response], *, atomic: bool = True) -> Response:
    """Run HANDLER once per `Idempotency-Key`: a retry with the same key and request replays
    the stored response; the same key with a different request is refused (422).

    ATOMIC (the default) runs the write and stores its response in one transaction, so two
    concurrent retries cannot both write. A bulk submission passes False: its items commit one
    by one (one long transaction would hold the audit chain's lock for every other writer);
    there the agency's reference on each item is what prevents duplicates, and the key only
    replays the report.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return handler()
    if not IDEMPOTENCY_KEY_RE.match(key):
        return problem(
            400,
            "Correct the errors listed and send the request again",
            errors=[
                {
                    "path": f"header:{IDEMPOTENCY_HEADER}",
                    "code": "invalid",
                    "message": "Use 1 to 255 printable ASCII characters, e.g. a UUID",
                }
            ],
            request=request,
        )
    client, fingerprint = ClientRateThrottle.client_key(request), _fingerprint(request)

    def replay() -> Response | None:
        record = IdempotencyRecord.objects.filter(client=client, key=key).first()
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return Response(
            record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"}
        )

    stored = replay()
    if stored is not None:
        return stored

    def store(response: Response) -> None:
        if not 200 <= response.status_code < 300:
            return  # errors are not kept: a retry after a 4xx runs again
        with transaction.atomic():
            idempotency_store(
                client=client,
                key=key,
                method=request.method,
                path=request.path,
                fingerprint=fingerprint,
                status_code=response.status_code,
                response=json.loads(json.dumps(response.data, cls=JSONEncoder)),
            )

    if not atomic:
        response = handler()
        # A concurrent retry may have stored its report first; ours is as true.
        with contextlib.suppress(IntegrityError):
            store(response)
        return response
    try:
        with transaction.atomic():
            response = handler()
            try:
                store(response)
            except IntegrityError as exc:
                raise _Replay from exc  # a concurrent retry committed first: undo ours
    except _Replay:
        stored = replay()
        assert stored is not None
        return stored
    return response
