"""Give items raised before deadlines existed a clock and a deadline, then require both."""

from django.db import migrations, models


def fill(apps, schema_editor):
    from hub.triage.calendar import calendar

    TriageItem = apps.get_model("triage", "TriageItem")
    minutes = {"red": 240, "amber": 480, "green": 1440}
    cal = calendar(holidays=[])
    for item in TriageItem.objects.filter(deadline_at__isnull=True):
        item.clock_started_at = item.created_at
        item.deadline_at = cal.add_working_minutes(item.created_at, minutes.get(item.band, 480))
        item.save(update_fields=["clock_started_at", "deadline_at"])


class Migration(migrations.Migration):
    dependencies = [("triage", "0002_queue_deadlines_requests_decisions")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="triageitem",
            name="clock_started_at",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="triageitem",
            name="deadline_at",
            field=models.DateTimeField(),
        ),
    ]
