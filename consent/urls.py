from django.urls import path

from consent import views

app_name = "consent"
urlpatterns = [
    path("", views.decision_list, name="decision_list"),
    path("concerns/<int:pk>/", views.concern_access, name="concern_access"),
    path("children/<int:person_id>/", views.child_access, name="child_access"),
    path("decide/<str:kind>/<int:pk>/", views.decision_aid, name="decision_aid"),
    path(
        "decide/<str:kind>/<int:pk>/step/<int:step>/",
        views.decision_aid,
        name="decision_aid_step",
    ),
    path("decisions/<int:pk>/", views.decision_detail, name="decision_detail"),
    path("decisions/<int:pk>/revoke/", views.decision_revoke, name="decision_revoke"),
    path("children/<int:person_id>/consent/", views.consent_records, name="consent_records"),
    path("consent/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("children/<int:person_id>/break-glass/", views.break_glass, name="break_glass"),
    path("break-glass/<int:pk>/", views.break_glass_detail, name="break_glass_detail"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
