from django.urls import path

from hub.matching import views

app_name = "matching"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("review/<int:pk>/", views.review, name="review"),
    path("merges/", views.merges, name="merges"),
    path("merges/<int:pk>/unmerge/", views.unmerge, name="unmerge"),
    path("new-adults/", views.new_adults, name="new_adults"),
    path("households/<int:pk>/", views.household, name="household"),
]
