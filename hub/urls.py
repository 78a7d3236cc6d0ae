from django.contrib import admin
from django.urls import include, path

from audit.auth import AuditedLoginView, AuditedLogoutView
from hub import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("sign-in/", AuditedLoginView.as_view(), name="login"),
    path("sign-out/", AuditedLogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("concerns/", include("concerns.urls")),
    path("sharing/", include("consent.urls")),
    path("audit/", include("audit.urls")),
    path("risk/", include("hub.risk.urls")),
    path("matching/", include("hub.matching.urls")),
    path("mash/", include("hub.triage.urls")),
    path("api/", include("hub.api.urls")),
]
