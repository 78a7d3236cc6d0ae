"""One error format for the whole API: RFC 9457 problem details with field paths.

    HTTP/1.1 400 Bad Request
    Content-Type: application/problem+json

    {"type": "urn:hub:problem:validation", "title": "The request is not valid", "status": 400,
     "detail": "...", "instance": "/api/v1/concerns/", "request_id": "…",
     "errors": [{"path": "/subject/postcode", "code": "invalid", "message": "Enter a full UK
     postcode, like AA1 1AA"}]}

`path` is a JSON Pointer (RFC 6901) into the request body ("" is the whole body; query
parameters and headers are "?name" and "header:Name"). See docs/api.md.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
NON_FIELD_KEYS = {"non_field_errors", "__all__"}

_TYPES = {
    400: ("urn:hub:problem:validation", "The request is not valid"),
    401: ("urn:hub:problem:unauthenticated", "Authentication is needed"),
    403: ("urn:hub:problem:forbidden", "Not allowed"),
    404: ("urn:hub:problem:not-found", "Not found"),
    405: ("urn:hub:problem:method-not-allowed", "Method not allowed"),
    406: ("urn:hub:problem:not-acceptable", "Not acceptable"),
    409: ("urn:hub:problem:conflict", "Conflict"),
    415: ("urn:hub:problem:unsupported-media-type", "Unsupported media type"),
    422: ("urn:hub:problem:idempotency-key-reused", "Idempotency key reused"),
    429: ("urn:hub:problem:throttled", "Too many requests"),
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with what the hub already holds"
    default_code = "conflict"

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was used before with a different request"
    default_code = "idempotency_key_reused"


def pointer(parts: list[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def flatten(details: Any, prefix: list[Any] | None = None) -> list[dict[str, str]]:
    """DRF's full error details (nested dicts/lists of {message, code}) as a flat list."""
    prefix = prefix or []
    if isinstance(details, dict) and set(details) == {"message", "code"}:
        return [
            {
                "path": pointer(prefix),
                "code": str(details["code"]),
                "message": str(details["message"]),
            }
        ]
    out: list[dict[str, str]] = []
    if isinstance(details, dict):
        for key, value in details.items():
            out += flatten(value, prefix if key in NON_FIELD_KEYS else [*prefix, key])
    elif isinstance(details, list):
        # A list of errors for one field, or a list of per-item errors (empty dicts are items
        # without errors).
        is_items = any(isinstance(v, dict) and set(v) != {"message", "code"} for v in details)
        for index, value in enumerate(details):
            out += flatten(value, [*prefix, index] if is_items else prefix)
    elif details not in (None, ""):
        out.append({"path": pointer(prefix), "code": "invalid", "message": str(details)})
    return out


def django_validation_to_drf(
    exc: DjangoValidationError, prefix: list[Any] | None = None
) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's, with the service's field names as paths."""
    detail = as_serializer_error(exc)
    if prefix:
        detail = _nest(detail, prefix)
    return exceptions.ValidationError(detail)


def _nest(detail: dict, prefix: list[Any]) -> dict:
    for key in reversed(prefix):
        detail = {key: detail}
    return detail


def problem(
    status_code: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    request: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    type_, title = _TYPES.get(status_code, ("about:blank", "Error"))
    body = {
        "type": type_,
        "title": title,
        "status": status_code,
        "detail": detail,
        "instance": getattr(request, "path", "") if request is not None else "",
        "request_id": getattr(getattr(request, "_request", request), "request_id", "") or "",
        "errors": errors or [],
    }
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, then everything rewritten as problem details. Unknown errors stay 500."""
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_to_drf(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    errors: list[dict[str, str]] = []
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.get_full_details())
        detail = "Correct the errors listed and send the request again"
    elif isinstance(exc, Conflict):
        errors = exc.errors
        detail = str(exc.detail)
    elif isinstance(exc, exceptions.APIException):
        detail = str(exc.detail)
    else:  # pragma: no cover - DRF only handles APIException, Http404, PermissionDenied
        detail = "Error"
    headers = {
        k: v for k, v in response.items() if k in ("Retry-After", "WWW-Authenticate", "Allow")
    }
    return problem(response.status_code, detail, errors=errors, request=request, headers=headers)
