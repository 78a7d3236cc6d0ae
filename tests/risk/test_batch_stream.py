"""The batch path as the nightly sweep runs it: outside any transaction, streaming the facts
on a connection of its own while it commits block by block on Django's."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hub.risk.facts import fetch_facts
from hub.risk.models import Assessment, CurrentAssessment
from hub.risk.scoring import Scorer
from hub.risk.services import assessment_recompute_all, parameter_set_current

pytestmark = pytest.mark.django_db(transaction=True)


def test_streamed_batch_in_small_blocks_matches_the_per_child_read(area, school, gp, police):
    from tests.risk.conftest import Family

    families = [Family(area) for _ in range(5)]
    for i, fam in enumerate(families):
        fam.concern(school, "neglect", level=1 + i % 4, days_ago=3 + i)
        fam.concern(gp, "injury", level=2, person=fam.sibling, days_ago=8)
        if i % 2:
            fam.concern(police, "domestic_abuse", level=3, person=fam.adult, days_ago=12)
    at = timezone.now()
    stats = assessment_recompute_all(at=at, chunk_size=3)  # several blocks, several commits
    kids = sorted(k.pk for f in families for k in (f.child, f.sibling))
    assert stats.children == len(kids) == stats.new_versions
    params = parameter_set_current().parameters
    for kid in kids:
        facts = fetch_facts(at=at, window_days=params["window_days"], child_ids=[kid])
        expected = Scorer(params).score(facts.get(kid, []))
        written = CurrentAssessment.objects.get(pk=kid).assessment
        assert (written.score, written.band, written.explanation) == (
            expected.score,
            expected.band,
            expected.explanation,
        )
    # Unchanged data: a second sweep writes nothing new.
    again = assessment_recompute_all(at=at, chunk_size=3)
    assert again.new_versions == 0 and again.unchanged == len(kids)
    assert Assessment.objects.count() == len(kids)
