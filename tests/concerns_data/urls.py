"""The hub's URLs plus the upload page, until the lead mounts `concerns.upload_urls`."""

from django.urls import include, path

from hub.urls import urlpatterns as hub_urlpatterns

urlpatterns = list(hub_urlpatterns)
if not any(getattr(p, "namespace", None) == "concerns_upload" for p in urlpatterns):
    urlpatterns.append(path("concerns/", include("concerns.upload_urls")))
