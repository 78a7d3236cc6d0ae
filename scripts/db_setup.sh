#!/usr/bin/env bash
# Create the hub's database roles and database if they are missing (idempotent).
#   hub_owner  LOGIN CREATEDB  owns the schema, runs migrations (MIGRATION_DATABASE_URL), and
#                              creates the test databases
#   hub_app    LOGIN           what the running hub connects as (DATABASE_URL): no ownership,
#                              no superuser, no BYPASSRLS
#   hub_audit  NOLOGIN         owns the audit tables, so nobody connecting as hub_app can alter them
# See docs/database-roles.md.
set -euo pipefail
SUPER_URL=${PG_SUPERUSER_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=${HUB_DB:-hub}
psql "$SUPER_URL" -v ON_ERROR_STOP=1 -q <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_owner') THEN
    CREATE ROLE hub_owner LOGIN CREATEDB;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_app') THEN
    CREATE ROLE hub_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_audit') THEN
    CREATE ROLE hub_audit NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END
$$;
-- The migration role may hand audit tables to hub_audit (ALTER ... OWNER needs membership).
GRANT hub_audit TO hub_owner;
-- The application role never gets a way round the audit tables' protection (docs/audit.md).
ALTER ROLE hub_app NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
ALTER ROLE hub_audit NOLOGIN;
DO $$
BEGIN
  IF pg_has_role('hub_app', 'hub_audit', 'MEMBER') THEN
    REVOKE hub_audit FROM hub_app;
  END IF;
  IF pg_has_role('hub_app', 'hub_owner', 'MEMBER') THEN
    REVOKE hub_owner FROM hub_app;
  END IF;
END
$$;
SQL
if ! psql "$SUPER_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  psql "$SUPER_URL" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE \"$DB\" OWNER hub_owner"
  echo "Created database $DB"
fi
