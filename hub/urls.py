from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from audit.auth import AuditedLoginView, AuditedLogoutView
from hub import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    # GOV.UK Frontend's stylesheet asks for its fonts and images at /assets/.
    re_path(
        r"^assets/(?P<path>.+)$",
        RedirectView.as_view(url="/static/govuk-frontend/dist/govuk/assets/%(path)s"),
    ),
    path("sign-in/", AuditedLoginView.as_view(), name="login"),
    path("sign-out/", AuditedLogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("concerns/", include("concerns.urls")),
    path("concerns/", include("concerns.upload_urls")),
    path("sharing/", include("consent.urls")),
    path("audit/", include("audit.urls")),
    path("risk/", include("hub.risk.urls")),
    path("matching/", include("hub.matching.urls")),
    path("mash/", include("hub.triage.urls")),
    path("api/", include("hub.api.urls")),
]
