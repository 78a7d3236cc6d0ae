#!/usr/bin/env bash
# Start the hub for a demo: web server, Celery worker and beat. Ctrl-C stops all three.
set -euo pipefail
BIN=.venv/bin
PORT=${PORT:-8000}
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
$BIN/celery -A hub worker --loglevel=INFO --concurrency=2 &
pids+=($!)
$BIN/celery -A hub beat --loglevel=INFO --schedule=/tmp/hub-celerybeat-schedule &
pids+=($!)
echo
echo "The hub is at http://127.0.0.1:$PORT/  (demo sign-ins are listed above; Ctrl-C stops it)"
echo
$BIN/python manage.py runserver "127.0.0.1:$PORT" --noreload &
pids+=($!)
wait -n
