"""Sign-in, sign-out, failed sign-in and permission changes are audit events."""

from __future__ import annotations

from django.contrib import admin
from django.test import RequestFactory

from agencies.models import User
from agencies.services import user_update_access
from audit.models import Action, AuditEvent
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


def _last(action):
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


def _all_text(event) -> str:
    return " ".join(
        str(getattr(event, f.attname)) for f in AuditEvent._meta.fields if f.name != "hash"
    )


def test_sign_in_is_an_event(client, alice):
    response = client.post("/sign-in/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    event = _last(Action.LOGIN)
    assert (event.actor_id, event.object_type, event.object_id) == (alice.pk, "user", str(alice.pk))


def test_failed_sign_in_names_the_account_but_never_the_password(client, alice):
    response = client.post("/sign-in/", {"username": "alice", "password": "Wrong-Secret-123"})
    assert response.status_code == 200
    event = _last(Action.LOGIN_FAILED)
    assert event.actor_type == "anonymous" and event.actor_id is None
    assert (event.object_type, event.object_id) == ("user", str(alice.pk))
    assert event.details == {"known_account": True}
    assert "Wrong-Secret-123" not in _all_text(event)
    assert _last(Action.LOGIN) is None


def test_failed_sign_in_with_an_unknown_name_stores_no_name(client, db):
    client.post("/sign-in/", {"username": "Hunter2-typed-here", "password": "x"})
    event = _last(Action.LOGIN_FAILED)
    assert event.details == {"known_account": False}
    assert "Hunter2" not in _all_text(event)


def test_sign_out_is_an_event(client, alice):
    client.force_login(alice)
    client.post("/sign-out/")
    assert _last(Action.LOGOUT).actor_id == alice.pk


def test_admin_role_change_is_a_permission_event(bob, area):
    root = UserFactory(username="root", agency=None, is_superuser=True, is_staff=True)
    request = RequestFactory().post("/admin/")
    request.user = root
    bob.role = User.Role.DESIGNATED_LEAD
    bob.is_active = False
    admin.site._registry[User].save_model(request, bob, form=None, change=True)
    event = _last(Action.PERMISSION_CHANGE)
    assert (event.actor_id, event.object_id) == (root.pk, str(bob.pk))
    assert event.details == {
        "changes": {"role": ["practitioner", "designated_lead"], "is_active": [True, False]},
        "created": False,
    }
    bob.refresh_from_db()
    assert bob.role == User.Role.DESIGNATED_LEAD


def test_saving_without_an_access_change_writes_no_event(bob):
    bob.job_title = "Year 4 teacher"
    user_update_access(actor=None, user=bob)
    assert _last(Action.PERMISSION_CHANGE) is None


def test_admin_group_change_is_a_permission_event(client, bob):
    from django.contrib.auth.models import Group

    from agencies.services import user_update_related_access

    group = Group.objects.create(name="auditors")
    user_update_related_access(actor=None, user=bob, apply=lambda: bob.groups.add(group))
    assert _last(Action.PERMISSION_CHANGE).details["changes"] == {"groups": [[], [group.pk]]}
