"""MASH information requests addressed to the agency: list them, answer them.

Built on the triage app's own selector (`requests_for`: the agency's designated lead) and
service (`information_request_answer`, which records the consent app's sharing decision and
audits).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.models import Action
from audit.services import audit_record
from concerns.models import SubjectRecord
from consent.models import Article6, Article9, Schedule1Reason
from hub.api.base import ApiViewMixin, idempotent
from hub.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
)
from hub.api.models import Scope
from hub.api.serializers import UtcDateTimeField, query_params
from hub.api.views import IDEMPOTENCY_PARAMETER, _int_or_404, _page
from hub.triage.models import InformationRequest
from hub.triage.selectors import requests_for
from hub.triage.services import SHARE_LEVELS, information_request_answer


class RequestListParamsSerializer(serializers.Serializer):
    status = StrictChoiceField(choices=InformationRequest.Status.choices, required=False)
    after = StrictIntegerField(required=False, min_value=0)
    limit = StrictIntegerField(required=False, min_value=1, max_value=500, default=100)


class InformationRequestOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    child_id = serializers.IntegerField()
    your_references = serializers.ListField(
        child=serializers.CharField(),
        help_text="Your agency's own references for the child's records, to find them.",
    )
    mash_area = serializers.CharField()
    question = serializers.CharField()
    requested_at = UtcDateTimeField()
    due_at = UtcDateTimeField()
    overdue = serializers.BooleanField()
    status = serializers.CharField()
    answer = serializers.CharField()
    answered_at = UtcDateTimeField(allow_null=True)
    sharing_decision_id = serializers.IntegerField(allow_null=True)


class RequestPageSerializer(serializers.Serializer):
    results = InformationRequestOutSerializer(many=True)
    next_after = serializers.IntegerField(allow_null=True)


class AnswerSerializer(serializers.Serializer):
    answer = StrictChoiceField(choices=InformationRequest.Answer.choices)
    response_text = StrictCharField(max_length=10_000, required=False, default="", allow_blank=True)
    level = StrictChoiceField(
        choices=[(k, k.title()) for k in SHARE_LEVELS],
        required=False,
        default="summary",
        help_text="When sharing: how much the MASH may see of your agency's concerns",
    )
    article6 = StrictChoiceField(
        choices=Article6.choices, required=False, default=Article6.PUBLIC_TASK
    )
    purpose = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)
    necessity = StrictCharField(max_length=5000, required=False, default="", allow_blank=True)
    article9 = StrictChoiceField(
        choices=Article9.choices, required=False, default="", allow_blank=True
    )
    schedule1_reason = StrictChoiceField(
        choices=Schedule1Reason.choices, required=False, default="", allow_blank=True
    )
    article10 = StrictBooleanField(
        required=False, default=False, help_text="Criminal-offence data: Article 10 condition"
    )
    dpa_part3 = StrictBooleanField(
        required=False,
        default=False,
        help_text="Police only: DPA 2018 Part 3 with Schedule 8 paragraph 4",
    )
    family_told = StrictBooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When sharing: whether the family was told (or give the reason why not)",
    )
    family_not_told_reason = StrictCharField(
        max_length=2000, required=False, default="", allow_blank=True
    )


def _represent(request_obj: Any, references: dict[int, list[str]]) -> dict[str, Any]:
    item = request_obj.item
    return {
        "id": request_obj.pk,
        "child_id": item.person_id,
        "your_references": references.get(item.person_id, []),
        "mash_area": item.area.name,
        "question": request_obj.question,
        "requested_at": request_obj.requested_at,
        "due_at": request_obj.due_at,
        "overdue": request_obj.is_overdue,
        "status": request_obj.status,
        "answer": request_obj.answer,
        "answered_at": request_obj.answered_at,
        "sharing_decision_id": request_obj.sharing_decision_id,
    }


def _references(agency_id: int, person_ids: set[int]) -> dict[int, list[str]]:
    refs: dict[int, list[str]] = {}
    rows = SubjectRecord.objects.filter(agency_id=agency_id, person_id__in=person_ids)
    for person_id, ref in rows.exclude(external_reference="").values_list(
        "person_id", "external_reference"
    ):
        refs.setdefault(person_id, []).append(ref)
    return refs


class InformationRequestViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Requests from the MASH for what the agency holds about a child."""

    required_scopes = {
        "list": (Scope.INFO_REQUESTS_READ,),
        "retrieve": (Scope.INFO_REQUESTS_READ,),
        "answer": (Scope.INFO_REQUESTS_ANSWER,),
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return InformationRequest.objects.none()
        return requests_for(self.request.user).select_related("item__area")

    def _one(self, pk: Any) -> Any:
        found = self.get_queryset().filter(pk=_int_or_404(pk)).first()
        if found is None:
            raise exceptions.NotFound()
        return found

    def _audit(self, requests: list[Any]) -> None:
        for obj in requests:
            audit_record(
                actor=self.request.user,
                action=Action.INFO_REQUEST,
                object_type="information_request",
                object_id=obj.pk,
                child_id=obj.item.person_id,
                details={"step": "view", "via": "api"},
            )

    @extend_schema(
        parameters=[RequestListParamsSerializer],
        responses={200: RequestPageSerializer},
        summary="Information requests addressed to your agency",
    )
    def list(self, request: Any) -> Response:
        params = query_params(RequestListParamsSerializer, request)
        queryset = self.get_queryset().order_by("pk")
        if "status" in params:
            queryset = queryset.filter(status=params["status"])
        if "after" in params:
            queryset = queryset.filter(pk__gt=params["after"])
        rows, next_after = _page(list(queryset[: params["limit"] + 1]), params["limit"], "pk")
        self._audit(rows)
        refs = _references(request.user.agency_id, {r.item.person_id for r in rows})
        results = [_represent(r, refs) for r in rows]
        return Response(RequestPageSerializer({"results": results, "next_after": next_after}).data)

    @extend_schema(responses={200: InformationRequestOutSerializer})
    def retrieve(self, request: Any, pk: str | None = None) -> Response:
        obj = self._one(pk)
        self._audit([obj])
        refs = _references(request.user.agency_id, {obj.item.person_id})
        return Response(InformationRequestOutSerializer(_represent(obj, refs)).data)

    @extend_schema(
        request=AnswerSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: InformationRequestOutSerializer},
        summary="Answer: shared, nothing held, or declined (with the lawful basis)",
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Any, pk: str | None = None) -> Response:
        return idempotent(request, lambda: self._answer(request, pk))

    def _answer(self, request: Any, pk: Any) -> Response:
        obj = self._one(pk)
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answered = information_request_answer(
            actor=request.user, request=obj, **serializer.validated_data
        )
        answered = self.get_queryset().get(pk=answered.pk)
        refs = _references(request.user.agency_id, {answered.item.person_id})
        return Response(InformationRequestOutSerializer(_represent(answered, refs)).data)
