from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from agencies.models import Agency, Area, User
from agencies.services import user_update_access, user_update_related_access


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

    def save_model(self, request, obj, form, change):
        # Role, agency and active-flag changes are audited (permission.change).
        user_update_access(actor=request.user, user=obj, created=not change)

    def save_related(self, request, form, formsets, change):
        user_update_related_access(
            actor=request.user,
            user=form.instance,
            apply=lambda: super(UserAdmin, self).save_related(request, form, formsets, change),
        )
