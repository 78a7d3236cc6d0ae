"""The page where an agency's administrators issue and revoke their systems' API keys."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from agencies.models import User
from hub.api.models import ApiCredential, Scope
from hub.api.services import ROLE_SCOPES, api_credential_issue, api_credential_revoke


def _require_administrator(request: HttpRequest) -> None:
    user = request.user
    if not (user.is_superuser or (user.agency_id and user.role == User.Role.ADMINISTRATOR)):
        raise PermissionDenied


def _credentials(user: User):
    """Only the administrator's own agency's keys."""
    return ApiCredential.objects.filter(agency_id=user.agency_id).select_related("created_by")


@never_cache
@login_required
def credential_list(request: HttpRequest) -> HttpResponse:
    _require_administrator(request)
    errors: dict[str, list[str]] = {}
    issued_key = None
    form = {"name": "", "role": ApiCredential.Role.PRACTITIONER, "scopes": []}
    if request.method == "POST":
        form = {
            "name": request.POST.get("name", ""),
            "role": request.POST.get("role", ""),
            "scopes": request.POST.getlist("scopes"),
        }
        try:
            _credential, issued_key = api_credential_issue(actor=request.user, **form)
        except ValidationError as exc:
            errors = exc.message_dict
    status = 400 if errors else 200
    return render(
        request,
        "api/credentials.html",
        {
            "credentials": _credentials(request.user),
            "issued_key": issued_key,  # shown on this response only; never stored
            "errors": errors,
            "form": form,
            "roles": ApiCredential.Role.choices,
            "scopes": Scope.choices,
            "role_scopes": {role: sorted(scopes) for role, scopes in ROLE_SCOPES.items()},
        },
        status=status,
    )


@require_POST
@login_required
def credential_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _require_administrator(request)
    credential = _credentials(request.user).filter(pk=pk).first()
    if credential is None:
        raise Http404
    api_credential_revoke(actor=request.user, credential=credential)
    return redirect("api:credentials")
