"""The agency systems API: /api/v1/..., its OpenAPI schema at /api/schema/ and docs."""

from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from hub.api import pages, views, views_requests, views_sharing

app_name = "api"

router = SimpleRouter()
router.register("concerns", views.ConcernViewSet, basename="concern")
router.register("children", views.ChildViewSet, basename="child")
router.register("audit", views.AuditViewSet, basename="audit")
router.register(
    "information-requests", views_requests.InformationRequestViewSet, basename="information-request"
)
router.register(
    "sharing-decisions", views_sharing.SharingDecisionViewSet, basename="sharing-decision"
)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("credentials/", pages.credential_list, name="credentials"),
    path("credentials/<int:pk>/revoke/", pages.credential_revoke, name="credential-revoke"),
]
if settings.API_BENCH_BARE:  # only the benchmark's own server (see hub/api/bench.py)
    from hub.api.bench import BareConcernCreate

    urlpatterns.append(path("v1/bench/bare-concerns/", BareConcernCreate.as_view()))
# Anything else under /api/v1/ is a problem-details 404, never an HTML page.
urlpatterns.append(re_path(r"^v1/.*$", views.not_found))
