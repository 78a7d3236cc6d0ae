from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import request_context


class RequestContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID) that its audit events carry."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        client_ip = request.META.get("REMOTE_ADDR") or None
        with request_context(request_id=request_id, client_ip=client_ip):
            request.request_id = request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
