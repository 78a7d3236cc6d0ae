"""URLs of the concern-file upload page. Mounted beside `concerns.urls`:

    path("concerns/", include("concerns.upload_urls")),   # in hub/urls.py

so the page is at /concerns/upload/ and named "concerns_upload:upload".
"""

from django.urls import path

from concerns import upload_views

app_name = "concerns_upload"
urlpatterns = [
    path("upload/", upload_views.upload, name="upload"),
]
