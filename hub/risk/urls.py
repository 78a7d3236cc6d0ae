from django.urls import path

from hub.risk import views

app_name = "risk"
urlpatterns = [
    path("child/<int:child_id>/", views.child_risk, name="child"),
    path("tuning/", views.tuning, name="tuning"),
]
