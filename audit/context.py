"""Per-request context (request id, client address) that audit events copy.

Set by RequestContextMiddleware for web requests; commands and Celery tasks leave it empty
or set it with `request_context(...)`.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_ip: str | None = None


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "audit_request_context", default=None
)


def current() -> RequestContext:
    return _current.get() or _EMPTY


@contextlib.contextmanager
def request_context(
    *, request_id: str | None = None, client_ip: str | None = None
) -> Iterator[RequestContext]:
    ctx = RequestContext(request_id=request_id or uuid.uuid4().hex, client_ip=client_ip)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
