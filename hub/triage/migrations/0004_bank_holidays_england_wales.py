"""England and Wales bank holidays 2025–2027 (gov.uk/bank-holidays). Add later years as data."""

from django.db import migrations

DATES = [
    ("2025-01-01", "New Year's Day"),
    ("2025-04-18", "Good Friday"),
    ("2025-04-21", "Easter Monday"),
    ("2025-05-05", "Early May bank holiday"),
    ("2025-05-26", "Spring bank holiday"),
    ("2025-08-25", "Summer bank holiday"),
    ("2025-12-25", "Christmas Day"),
    ("2025-12-26", "Boxing Day"),
    ("2026-01-01", "New Year's Day"),
    ("2026-04-03", "Good Friday"),
    ("2026-04-06", "Easter Monday"),
    ("2026-05-04", "Early May bank holiday"),
    ("2026-05-25", "Spring bank holiday"),
    ("2026-08-31", "Summer bank holiday"),
    ("2026-12-25", "Christmas Day"),
    ("2026-12-28", "Boxing Day (substitute day)"),
    ("2027-01-01", "New Year's Day"),
    ("2027-03-26", "Good Friday"),
    ("2027-03-29", "Easter Monday"),
    ("2027-05-03", "Early May bank holiday"),
    ("2027-05-31", "Spring bank holiday"),
    ("2027-08-30", "Summer bank holiday"),
    ("2027-12-27", "Christmas Day (substitute day)"),
    ("2027-12-28", "Boxing Day (substitute day)"),
]


def load(apps, schema_editor):
    BankHoliday = apps.get_model("triage", "BankHoliday")
    for day, name in DATES:
        BankHoliday.objects.get_or_create(date=day, defaults={"name": name})


def unload(apps, schema_editor):
    apps.get_model("triage", "BankHoliday").objects.filter(date__in=[d for d, _ in DATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("triage", "0003_deadlines_required")]

    operations = [migrations.RunPython(load, unload)]
