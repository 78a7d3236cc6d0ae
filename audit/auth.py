"""Sign-in and sign-out views that write audit events (login, logout, failed login).

A failed sign-in never stores the password, nor the typed username: people often type a
password into the username box, so the typed text may itself be a secret. When the typed name
matches an existing account, the event names that account by id (object `user`), so the IG lead
can see attempts against a real account; the event's actor is "anonymous", because the account
holder did not act. The client address and request id are on every event.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpResponse

from audit.models import Action
from audit.services import AnonymousActor, audit_record


class AuditedLoginView(auth_views.LoginView):
    def form_valid(self, form) -> HttpResponse:
        user = form.get_user()
        # The event first: if it cannot be written, nobody is signed in.
        with transaction.atomic():
            audit_record(actor=user, action=Action.LOGIN, object_type="user", object_id=user.pk)
            return super().form_valid(form)

    def form_invalid(self, form) -> HttpResponse:
        typed = str(form.data.get("username", ""))[:150]
        target = (
            get_user_model().objects.filter(username=typed).values_list("pk", flat=True).first()
            if typed
            else None
        )
        audit_record(
            actor=AnonymousActor(),
            action=Action.LOGIN_FAILED,
            object_type="user" if target else "",
            object_id=target or "",
            details={"known_account": target is not None},
        )
        return super().form_invalid(form)


class AuditedLogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            with transaction.atomic():
                audit_record(
                    actor=user, action=Action.LOGOUT, object_type="user", object_id=user.pk
                )
        return super().post(request, *args, **kwargs)
