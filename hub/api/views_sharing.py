"""Recording a sharing decision about the agency's own information: the consent app's
`sharing_decision_record`, exactly as the browser's decision aid calls it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response

from agencies.models import Agency, Area
from consent.models import Article6, Article9, Schedule1Reason, SharingDecision
from consent.policy import Visibility
from consent.services import sharing_decision_record
from hub.api.base import ApiViewMixin, idempotent
from hub.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictIntegerField,
)
from hub.api.models import Scope
from hub.api.selectors import agency_concerns
from hub.api.serializers import UtcDateTimeField
from hub.api.views import IDEMPOTENCY_PARAMETER

LEVELS = {
    "none": Visibility.NONE,
    "existence": Visibility.EXISTENCE,
    "summary": Visibility.SUMMARY,
    "full": Visibility.FULL,
}
LEVEL_NAMES = {int(v): k for k, v in LEVELS.items()}


class SharingDecisionInSerializer(serializers.Serializer):
    share = StrictBooleanField(help_text="false records a decision not to share, and why")
    level = StrictChoiceField(choices=list(LEVELS), help_text="How much the recipient sees")
    concern_id = StrictIntegerField(required=False, min_value=1)
    child_id = StrictIntegerField(
        required=False, min_value=1, help_text="Every concern of yours about the child"
    )
    up_to = StrictDateField(required=False, allow_null=True, default=None)
    recipient_agency = StrictCharField(required=False, max_length=32, help_text="Agency code")
    recipient_area = StrictCharField(
        required=False, max_length=32, help_text="Area code: that area's MASH"
    )
    purpose = StrictCharField(max_length=2000)
    necessity = StrictCharField(max_length=5000)
    article6 = StrictChoiceField(
        choices=Article6.choices, required=False, default="", allow_blank=True
    )
    article9 = StrictChoiceField(
        choices=Article9.choices, required=False, default="", allow_blank=True
    )
    schedule1_reason = StrictChoiceField(
        choices=Schedule1Reason.choices, required=False, default="", allow_blank=True
    )
    article10 = StrictBooleanField(required=False, default=False)
    dpa_part3 = StrictBooleanField(required=False, default=False)
    family_told = StrictBooleanField(required=False, allow_null=True, default=None)
    family_not_told_reason = StrictCharField(
        max_length=2000, required=False, default="", allow_blank=True
    )
    review_on = StrictDateField(required=False, allow_null=True, default=None)
    lift_marker_cap = StrictBooleanField(required=False, default=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("concern_id" in data) == ("child_id" in data):
            raise serializers.ValidationError("Give concern_id or child_id, not both")
        if ("recipient_agency" in data) == ("recipient_area" in data):
            raise serializers.ValidationError("Give recipient_agency or recipient_area, not both")
        return data


class SharingDecisionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    share = serializers.BooleanField()
    level = serializers.CharField()
    concern_id = serializers.IntegerField(allow_null=True)
    child_id = serializers.IntegerField()
    recipient_agency = serializers.CharField(allow_null=True)
    recipient_area = serializers.CharField(allow_null=True)
    article6 = serializers.CharField()
    decided_at = UtcDateTimeField()


def _represent(decision: Any) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "share": decision.share,
        "level": LEVEL_NAMES.get(int(decision.level), str(decision.level)),
        "concern_id": decision.concern_id,
        "child_id": decision.person_id,
        "recipient_agency": getattr(decision.recipient_agency, "code", None),
        "recipient_area": getattr(decision.recipient_area, "code", None),
        "article6": decision.article6,
        "decided_at": decision.decided_at,
    }


class SharingDecisionViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Record the decision and the reason — whether or not you share (golden rule 7)."""

    required_scopes = {"create": (Scope.SHARING_WRITE,)}

    def get_queryset(self):
        return SharingDecision.objects.none()  # write-only here

    @extend_schema(
        request=SharingDecisionInSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: SharingDecisionOutSerializer},
        summary="Record a sharing decision about your agency's information",
    )
    def create(self, request: Any) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _create(self, request: Any) -> Response:
        serializer = SharingDecisionInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user = request.user
        # What: only the agency's own concerns it can see; otherwise the same 404 as missing.
        own = agency_concerns(user)
        concern = person = None
        if "concern_id" in data:
            concern = own.filter(pk=data.pop("concern_id")).first()
            if concern is None:
                raise exceptions.NotFound()
        else:
            first = own.filter(subject__person_id=data.pop("child_id")).first()
            if first is None:
                raise exceptions.NotFound()
            person = first.subject.person
        recipient: dict[str, Any] = {}
        if "recipient_agency" in data:
            agency = Agency.objects.filter(code=data.pop("recipient_agency")).first()
            if agency is None:
                raise serializers.ValidationError({"recipient_agency": ["No such agency"]})
            recipient["recipient_agency"] = agency
        else:
            area = Area.objects.filter(code=data.pop("recipient_area")).first()
            if area is None:
                raise serializers.ValidationError({"recipient_area": ["No such area"]})
            recipient["recipient_area"] = area
        data["level"] = LEVELS[data["level"]]
        decision = sharing_decision_record(
            actor=user, concern=concern, person=person, **recipient, **data
        )
        return Response(SharingDecisionOutSerializer(_represent(decision)).data, status=201)
