import pytest

from audit.models import AuditEvent
from hub.triage.models import TriageItem
from hub.triage.services import triage_item_raise_for_flag
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_flag_raises_one_item_and_only_ever_raises_its_band(area):
    person = PersonFactory(area=area)
    item, created = triage_item_raise_for_flag(
        person_id=person.pk, area_id=area.pk, band="amber", assessment_id=1
    )
    assert created
    again, created = triage_item_raise_for_flag(
        person_id=person.pk, area_id=area.pk, band="amber", assessment_id=2
    )
    assert not created and again.pk == item.pk
    triage_item_raise_for_flag(person_id=person.pk, area_id=area.pk, band="red", assessment_id=3)
    item.refresh_from_db()
    assert item.band == "red" and item.assessment_id == 3
    assert TriageItem.objects.count() == 1
    assert AuditEvent.objects.filter(action="triage.flag", child_id=person.pk).count() == 2


def test_green_never_raises_an_item(area):
    person = PersonFactory(area=area)
    with pytest.raises(ValueError):
        triage_item_raise_for_flag(
            person_id=person.pk, area_id=area.pk, band="green", assessment_id=None
        )
