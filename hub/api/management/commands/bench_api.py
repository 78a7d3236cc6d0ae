"""Load test: 50 concurrent agency systems submitting concerns to the hub under gunicorn.

    python manage.py bench_api [--clients 50] [--duration 20] [--workers 4]

Starts gunicorn on 127.0.0.1 (a free port) against the database in DATABASE_URL, issues one
API key per client for a bench agency (through the service, so it is audited), then runs two
bounded phases and stops the server:

1. the real endpoint, POST /api/v1/concerns/ — validation, resolution, idempotency by
   reference, the consent policy for the response, audit in the same transaction, and whatever
   `concerns.services.people_changed` enqueues after commit;
2. a bare DRF create of the same rows (hub/api/bench.py) with none of that.

It prints throughput and p50/p95/p99 latency for each, and the ratio. Data written is synthetic
and stays in the database (bench agency "bench-systems").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from agencies.models import Agency, Area, User
from hub.api.models import Scope
from hub.api.services import api_credential_issue

TARGET_RATE, TARGET_P95_MS = 300, 250
_STEMS = ("Ash", "Brook", "Cole", "Dale", "Elm", "Fern", "Glen", "Hart", "Ivy", "Kings", "Lang",
          "Mar", "North", "Oak", "Pen", "Red", "Stan", "Thorn", "Wal", "West")  # fmt: skip
_ENDINGS = ("ford", "ley", "wood", "ton", "field", "by", "well", "ham", "worth", "croft")
_FIRST = ("Al", "Bel", "Cor", "Dar", "El", "Fin", "Gr", "Is", "Jo", "Ka", "Le", "Mi", "No",
          "Ol", "Pe", "Ro", "Sa", "Te", "Vi", "Zo")  # fmt: skip
_FIRST_ENDINGS = ("an", "ia", "en", "ie", "o", "a", "ah", "ey", "yn", "ix")
_UNIT = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's unit uses


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    # CPU seconds used during the timed phase: "server" (gunicorn), "database" (PostgreSQL),
    # "client" (this load generator).
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return self.statuses.get(201, 0)

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0


def _calibrate() -> float:
    """Millions of simple Python loop iterations per second on one core: the same bench on a
    machine half as fast gives about half the figures, so results carry their machine's speed."""
    start, total = time.perf_counter(), 0
    for i in range(5_000_000):
        total += i
    return 5 / (time.perf_counter() - start)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _body(rng: random.Random) -> dict[str, Any]:
    """One synthetic submission. Names and postcodes are long-tailed, as agency data is: a
    handful of surnames and nine postcodes would put every earlier submission in the arriving
    one's blocking block, a load no real area produces (matching caps such blocks anyway).
    Forenames are 200 made-up names, not "Kid<number>": matching compares letters only, so
    numbered names were all the same name, and every child sharing a date of birth was queued
    for MASH review (until 4 Dec 2026 about half of all bench submissions were)."""
    ref = uuid.uuid4().hex
    occurred = dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=rng.randint(1, 300))
    return {
        "external_reference": f"BENCH-{ref}",
        "subject": {
            "given_name": rng.choice(_FIRST) + rng.choice(_FIRST_ENDINGS),
            "family_name": rng.choice(_STEMS) + rng.choice(_ENDINGS),
            "date_of_birth": f"20{rng.randint(10, 22)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            "postcode": f"ZX9 {rng.randint(1, 9)}{rng.choice(_UNIT)}{rng.choice(_UNIT)}",
        },
        "category": rng.choice(["neglect", "emotional_abuse", "domestic_abuse", "self_harm"]),
        "level": rng.randint(1, 4),
        "text": "Synthetic benchmark concern. " * 4,
        "occurred_at": occurred.replace(microsecond=0).isoformat(),
        "consent_status": "not_sought",
    }


async def _post(host: str, port: int, head: bytes, body: bytes) -> int:
    """One POST on its own connection; the status code. A few lines of asyncio instead of an
    HTTP client library: the load generator shares the two cores with the server, and httpx
    used half a core at these rates. `Connection: close` makes every worker class end the
    response with the connection (gunicorn's sync workers close it anyway)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
    return int(response[9:12])


async def _client(
    base: tuple[str, int], path: str, key: str, phase: Phase, deadline: float, seed: int
) -> None:
    rng = random.Random(seed)
    host, port = base
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
        "Content-Type: application/json\r\nConnection: close\r\nContent-Length: "
    ).encode()
    while time.perf_counter() < deadline:
        body = json.dumps(_body(rng)).encode()
        start = time.perf_counter()
        try:
            status = await asyncio.wait_for(_post(host, port, head, body), timeout=30)
        except (OSError, ValueError, TimeoutError):
            status = 0
        phase.latencies.append(time.perf_counter() - start)
        phase.statuses[status] = phase.statuses.get(status, 0) + 1


async def _run_phase(
    base: tuple[str, int],
    path: str,
    keys: list[str],
    seconds: float,
    name: str,
    server_pid: int,
) -> tuple[Phase, int | None, int | None]:
    """The timed phase, and the Celery queue length just before and after it."""
    phase = Phase(name)
    # Warm-up (not counted): every worker process imports and connects.
    warm = Phase("warm-up")
    await asyncio.gather(
        *(_client(base, path, k, warm, time.perf_counter() + 2, i) for i, k in enumerate(keys))
    )
    queued_before = _queue_length()
    cpu_before = _cpu_seconds(server_pid)
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(_client(base, path, k, phase, deadline, 1000 + i) for i, k in enumerate(keys))
    )
    phase.elapsed = time.perf_counter() - start
    cpu_after = _cpu_seconds(server_pid)
    phase.cpu = {k: cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after}
    return phase, queued_before, _queue_length()


def _cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server (gunicorn and its workers), by PostgreSQL (every
    process of the cluster on this machine) and by this load generator, which all share the
    two cores. Read from /proc (Linux); without it, only the load generator's own figure."""
    times = os.times()
    used = {"client": times.user + times.system}
    proc = Path("/proc")
    if not proc.is_dir():
        return used
    tick = os.sysconf("SC_CLK_TCK")
    used["server"] = used["database"] = 0.0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        spent = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if int(entry.name) == server_pid or int(fields[1]) == server_pid:
            used["server"] += spent
        elif name.startswith("postgres"):
            used["database"] += spent
    return used


def _queue_length() -> int | None:
    """Messages waiting in the Celery default queue (Redis list "celery"), if reachable."""
    try:
        import redis

        return int(redis.Redis.from_url(settings.REDIS_URL).llen("celery"))
    except Exception:
        return None


class Command(BaseCommand):
    help = "Load-test concern submission under gunicorn: the real endpoint vs a bare DRF create."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clients", type=int, default=50)
        parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
        parser.add_argument("--threads", type=int, default=1, help="threads per worker")

    def handle(self, *args: Any, **options: Any) -> None:
        clients, seconds = options["clients"], options["duration"]
        keys = self._keys(clients)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "API_BENCH_BARE": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
        }
        command = [
            sys.executable, "-m", "gunicorn", "hub.wsgi:application",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(options["workers"]),
            "--threads", str(options["threads"]),
            "--worker-class", "gthread" if options["threads"] > 1 else "sync",
            "--backlog", "2048", "--log-level", "warning",
        ]  # fmt: skip
        self.stdout.write(
            f"gunicorn: {options['workers']} workers x {options['threads']} threads on {base}; "
            f"{clients} clients; {seconds:.0f}s per phase; cores: {os.cpu_count()}; "
            f"load average before: {os.getloadavg()[0]:.2f}; "
            f"CPU calibration: {_calibrate():.0f} M Python loop iterations/s (compare machines)"
        )
        server = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603
        try:
            self._wait_ready(base)
            address = ("127.0.0.1", port)
            full, queued_before, queued_after = asyncio.run(
                _run_phase(
                    address,
                    "/api/v1/concerns/",
                    keys,
                    seconds,
                    "hub (policy+audit+enqueue)",
                    server.pid,
                )
            )
            bare, _, _ = asyncio.run(
                _run_phase(
                    address,
                    "/api/v1/bench/bare-concerns/",
                    keys,
                    seconds,
                    "bare DRF create",
                    server.pid,
                )
            )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        for phase in (full, bare):
            self._report(phase)
        if queued_before is not None and queued_after is not None:
            self.stdout.write(
                f"Celery messages enqueued during the timed hub phase: "
                f"{queued_after - queued_before} for {full.ok} concerns"
                " (0 means concerns.services.people_changed enqueues nothing yet)"
            )
        ratio = bare.rate / full.rate if full.rate else float("inf")
        self.stdout.write(
            f"ratio bare/hub: throughput x{ratio:.2f}, "
            f"p95 {full.pct(95):.0f} ms vs {bare.pct(95):.0f} ms "
            f"(x{full.pct(95) / bare.pct(95):.2f} latency for doing it properly)"
        )
        self.stdout.write(
            f"target: >= {TARGET_RATE} concerns/s and p95 <= {TARGET_P95_MS} ms -> "
            + ("met" if full.rate >= TARGET_RATE and full.pct(95) <= TARGET_P95_MS else "NOT met")
            + f"; load average after: {os.getloadavg()[0]:.2f}"
        )

    def _report(self, phase: Phase) -> None:
        others = {k: v for k, v in sorted(phase.statuses.items()) if k != 201}
        self.stdout.write(
            f"{phase.name:28} {phase.ok:6} created in {phase.elapsed:5.1f}s = "
            f"{phase.rate:6.1f} concerns/s; latency p50 {phase.pct(50):6.1f} ms, "
            f"p95 {phase.pct(95):6.1f} ms, p99 {phase.pct(99):6.1f} ms, "
            f"mean {statistics.fmean(phase.latencies) * 1000 if phase.latencies else 0:6.1f} ms"
            + (f"; other statuses {others}" if others else "")
        )
        if phase.ok:
            per = ", ".join(
                f"{who} {seconds / phase.ok * 1000:.1f} ms"
                for who, seconds in sorted(phase.cpu.items(), key=lambda kv: -kv[1])
            )
            self.stdout.write(f"{'':28} CPU per created concern: {per}")

    def _keys(self, count: int) -> list[str]:
        area, _ = Area.objects.get_or_create(
            code="bench-area", defaults={"name": "Benchshire", "postcode_districts": ["ZX9"]}
        )
        agency, _ = Agency.objects.get_or_create(
            code="bench-systems",
            defaults={"name": "Bench Systems Trust", "kind": Agency.Kind.HEALTH},
        )
        agency.areas.add(area)
        admin, created = User.objects.get_or_create(
            username="bench-admin", defaults={"agency": agency, "role": User.Role.ADMINISTRATOR}
        )
        if created:
            admin.set_unusable_password()
            admin.save(update_fields=["password"])
        return [
            api_credential_issue(
                actor=admin,
                name=f"bench client {i}",
                role="practitioner",
                scopes=[Scope.CONCERNS_WRITE, Scope.CONCERNS_READ],
            )[1]
            for i in range(count)
        ]

    def _wait_ready(self, base: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/health/", timeout=2) as response:  # noqa: S310 - our own server
                    if response.status == 200:
                        return
            except OSError:  # refused while gunicorn starts, or an HTTP error status
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not become ready within 30 s")
