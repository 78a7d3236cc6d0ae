"""Indexes for online blocking on the subject-record table (owned by concerns).

They are added here, not in concerns, because only matching's blocking query needs them; they
change no model state. See `hub.matching.online.blocking_rules`.
"""

from django.db import migrations

INDEXES = {
    "matching_sr_dob": "(date_of_birth)",
    "matching_sr_postcode": "(postcode) WHERE postcode <> ''",
    "matching_sr_upn": "(upn) WHERE upn <> ''",
    "matching_sr_family_dob": "(family_name_norm, date_of_birth)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0001_initial"),
        ("concerns", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON concerns_subjectrecord {spec}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, spec in INDEXES.items()
    ]
