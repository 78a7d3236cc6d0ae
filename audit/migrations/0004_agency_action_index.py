"""An index for the IG screen's "agency and action" filter.

At 10 million events an agency holds ~200,000 of them; without this index a rare action for one
agency meant walking all of the agency's events (0.5 s measured). Created as the migration role,
which (through hub_audit) owns the table.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only_chain")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS audit_event_agency_action_seq "
            "ON audit_auditevent (actor_agency_id, action, seq);",
            reverse_sql="DROP INDEX IF EXISTS audit_event_agency_action_seq;",
        )
    ]
