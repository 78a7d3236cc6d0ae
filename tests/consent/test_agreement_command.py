"""`consent_agreement_add --if-missing` lets set-up scripts (make seed) run more than once."""

import io

import pytest
from django.core.management import call_command

from consent.models import AreaSharingAgreement

pytestmark = pytest.mark.django_db


def test_if_missing_records_the_agreement_once(area):
    for _ in range(2):
        call_command(
            "consent_agreement_add",
            area=area.code,
            title="Demo agreement",
            if_missing=True,
            stdout=io.StringIO(),
        )
    assert AreaSharingAgreement.objects.filter(area=area).count() == 1
