from django.urls import path

from concerns import views

app_name = "concerns"
urlpatterns = [
    path("recent/", views.recent, name="recent"),
    path("new/", views.find, name="find"),
    path("new/person/", views.new_person, name="new_person"),
    path("new/subject/<int:subject_id>/", views.new_for_subject, name="new_for_subject"),
    path("people/<int:person_id>/", views.person, name="person"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/recorded/", views.recorded, name="recorded"),
    path("<int:pk>/amend/", views.amend, name="amend"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
