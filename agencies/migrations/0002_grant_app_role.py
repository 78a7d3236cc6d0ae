"""Give the application role (hub_app) data access to every table the migration role creates.

Runs as the migration role. Default privileges are per database, so this runs in every
database the hub migrates (including test databases). Where hub_app does not exist (a
developer who skipped `make db`), it does nothing. The audit app narrows its own tables.
"""

from django.db import migrations

GRANT = """
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub_app') THEN
    GRANT USAGE ON SCHEMA public TO hub_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO hub_app;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO hub_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public
      GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO hub_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public
      GRANT USAGE, SELECT ON SEQUENCES TO hub_app;
  END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("agencies", "0001_initial")]

    operations = [migrations.RunSQL(GRANT, reverse_sql=migrations.RunSQL.noop)]
