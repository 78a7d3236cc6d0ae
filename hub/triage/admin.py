"""RAG timescales and bank holidays are data: managed here, with documented defaults."""

from django.contrib import admin

from hub.triage.models import BankHoliday, RagTimescale


@admin.register(RagTimescale)
class RagTimescaleAdmin(admin.ModelAdmin):
    list_display = ("area", "band", "working_minutes")
    list_filter = ("area", "band")


@admin.register(BankHoliday)
class BankHolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    date_hierarchy = "date"
