from django.urls import path

from hub.triage import views

app_name = "triage"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("reassign/", views.items_reassign, name="reassign"),
    path("summary/", views.summary, name="summary"),
    path("items/<int:pk>/", views.case, name="case"),
    path("items/<int:pk>/assign/", views.item_assign, name="assign"),
    path("items/<int:pk>/rating/", views.item_rate, name="rate"),
    path("items/<int:pk>/requests/", views.request_create, name="request_create"),
    path("items/<int:pk>/decision/", views.decision_create, name="decide"),
    path("items/<int:pk>/reopen/", views.item_reopen, name="reopen"),
    path("decisions/<int:pk>/sign-off/", views.decision_sign_off, name="sign_off"),
    path("requests/", views.inbox, name="inbox"),
    path("requests/<int:pk>/", views.request_answer, name="request_answer"),
    path("refer/<int:concern_id>/", views.refer, name="refer"),
    path("feedback/", views.my_feedback, name="feedback"),
]
