"""Assessments and parameter versions are append-only: the running hub (hub_app) may insert and
read them, never change or delete them. Runs as the migration role; a no-op where hub_app does
not exist (see docs/database-roles.md)."""

from django.db import migrations

REVOKE = """
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_app') THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON risk_assessment, risk_parameterset FROM hub_app;
  END IF;
END
$$;
"""

GRANT = """
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_app') THEN
    GRANT UPDATE, DELETE ON risk_assessment, risk_parameterset TO hub_app;
  END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("risk", "0003_tuning_preview")]

    operations = [migrations.RunSQL(REVOKE, reverse_sql=GRANT)]
