"""Per-client throttling in a fixed window, counted in Redis so every web worker shares it."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from hub.api.authentication import credential_of

_PERIODS = {"s": 1, "sec": 1, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" → (600, 60)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def _count(key: str, ttl: int) -> int:
    """Increment the window's counter: INCR and EXPIRE in one round trip to Redis."""
    cache = caches["api"]
    full_key = cache.make_and_validate_key(key)
    client = cache._cache.get_client(full_key, write=True)  # django's RedisCacheClient
    pipe = client.pipeline(transaction=False)
    pipe.incr(full_key)
    pipe.expire(full_key, ttl)
    count, _ = pipe.execute()
    return int(count)


class ClientRateThrottle(BaseThrottle):
    """`settings.API_THROTTLE_RATE` requests per window for each credential (or person)."""

    def __init__(self) -> None:
        self._wait: float | None = None

    @staticmethod
    def client_key(request: Any) -> str:
        credential = credential_of(request)
        if credential is not None:
            return f"c:{credential.pk}"
        if request.user and request.user.is_authenticated:
            return f"u:{request.user.pk}"
        return f"ip:{request.META.get('REMOTE_ADDR', '')}"

    def allow_request(self, request: Any, view: Any) -> bool:
        limit, period = parse_rate(settings.API_THROTTLE_RATE)
        now = time.time()
        window = int(now // period)
        key = f"throttle:{self.client_key(request)}:{period}:{window}"
        count = _count(key, period + 1)
        if count > limit:
            self._wait = (window + 1) * period - now
            return False
        return True

    def wait(self) -> float | None:
        return self._wait
