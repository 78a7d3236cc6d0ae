from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from agencies.models import Agency, Area, User


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "is_active"]
    list_filter = ["kind", "is_active", "areas"]
    search_fields = ["name", "code"]
    filter_horizontal = ["areas"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "agency", "role", "is_active"]
    list_filter = ["role", "agency", "is_active"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Agency and role", {"fields": ("agency", "role", "job_title")}),
    )

    def get_queryset(self, request):
        # An agency administrator manages only their own agency's people.
        qs = super().get_queryset(request).select_related("agency")
        if request.user.is_superuser:
            return qs
        return qs.filter(agency_id=request.user.agency_id)
