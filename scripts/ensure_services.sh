#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer. Where this machine can start them (a local Debian
# cluster, a local redis-server) and they are down, start them; otherwise say which is missing
# and how to start it, and exit 1 — never a traceback.
set -u
PGHOST_=${PGHOST:-127.0.0.1}; PGPORT_=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}; REDIS_PORT=${REDIS_PORT:-6379}

up() { python3 - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

wait_up() { for _ in $(seq 1 30); do up "$1" "$2" && return 0; sleep 1; done; return 1; }

if ! up "$PGHOST_" "$PGPORT_"; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is not answering on $PGHOST_:$PGPORT_ — starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  if ! wait_up "$PGHOST_" "$PGPORT_"; then
    cat >&2 <<MSG
PostgreSQL cannot be reached at $PGHOST_:$PGPORT_.
Start it, then run the command again:
  - a local service:  sudo pg_ctlcluster <version> main start   (or: sudo systemctl start postgresql)
  - with Docker:      docker compose up -d db redis
MSG
    exit 1
  fi
fi

if ! up "$REDIS_HOST" "$REDIS_PORT"; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Redis is not answering on $REDIS_HOST:$REDIS_PORT — starting a local redis-server"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null || true
  fi
  if ! wait_up "$REDIS_HOST" "$REDIS_PORT"; then
    cat >&2 <<MSG
Redis cannot be reached at $REDIS_HOST:$REDIS_PORT.
Start it, then run the command again:
  - a local service:  redis-server --daemonize yes --bind 127.0.0.1 --port 6379
  - with Docker:      docker compose up -d db redis
MSG
    exit 1
  fi
fi
echo "PostgreSQL and Redis are answering"
