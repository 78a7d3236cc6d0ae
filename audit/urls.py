from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="events"),
    path("export.csv", views.export_csv, name="export"),
    path("children/<int:child_id>/", views.child_access, name="child"),
    path("disclosures/", views.disclosures, name="disclosures"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("break-glass/<int:seq>/review/", views.break_glass_review, name="break_glass_review"),
    path("monitoring/", views.report_list, name="reports"),
    path("monitoring/rebuild/", views.report_rebuild, name="report_rebuild"),
    path("monitoring/<int:pk>/", views.report_detail, name="report"),
]
