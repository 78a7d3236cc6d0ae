from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from hub.navigation import RECORDING_ROLES, links_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: what this user's role can do, from the navigation registry."""
    user = request.user
    can_record = user.agency_id is not None and user.role in RECORDING_ROLES
    nav_items = [
        link for link in links_for(user) if not (can_record and link.url_name == "concerns:find")
    ]
    return render(request, "home.html", {"can_record": can_record, "nav_items": nav_items})


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
