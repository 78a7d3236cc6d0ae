"""Admin for what agencies configure themselves: their own terms mapped onto the hub's.

Concerns, people's records and amendments are deliberately NOT registered: an admin form would
write them without the services, so without the audit trail and the amendment history.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from concerns.models import AgencyTerm


@admin.register(AgencyTerm)
class AgencyTermAdmin(admin.ModelAdmin):
    list_display = ["term", "agency", "category", "level", "description"]
    list_filter = ["category", "level"]
    search_fields = ["term", "description"]
    ordering = ["agency__name", "term"]

    # An agency administrator sees and maps only their own agency's terms; a platform
    # superuser sees every agency's.
    def get_queryset(self, request: HttpRequest):
        qs = super().get_queryset(request).select_related("agency")
        if request.user.is_superuser:
            return qs
        return qs.filter(agency_id=request.user.agency_id)

    def get_list_filter(self, request: HttpRequest):
        if request.user.is_superuser:
            return ["agency", *self.list_filter]
        return self.list_filter

    def get_exclude(self, request: HttpRequest, obj=None):
        return [] if request.user.is_superuser else ["agency"]

    def save_model(self, request: HttpRequest, obj: AgencyTerm, form, change: bool) -> None:
        if not request.user.is_superuser:
            obj.agency_id = request.user.agency_id
        super().save_model(request, obj, form, change)
