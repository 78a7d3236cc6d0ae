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


def test_racing_recomputes_of_one_child_leave_the_newest_on_top(area, school, gp, police):
    import threading

    from django.db import connection

    from tests.risk.conftest import Family

    fam = Family(area)
    fam.concern(school, "neglect", level=2, days_ago=9)
    errors: list[BaseException] = []

    def recompute():
        from hub.risk.services import assessment_recompute_child

        try:
            assessment_recompute_child(child_id=fam.child.pk)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    for agency, category in ((gp, "was_not_brought"), (police, "missing_from_home")):
        fam.concern(agency, category, level=2, days_ago=2)  # committed: a new piece arrives
        threads = [threading.Thread(target=recompute) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    versions = list(
        Assessment.objects.filter(person=fam.child)
        .order_by("version")
        .values_list("version", "snapshot_at")
    )
    assert [v for v, _ in versions] == list(range(1, len(versions) + 1))
    assert [s for _, s in versions] == sorted(s for _, s in versions)  # never an older on top
    head = CurrentAssessment.objects.get(pk=fam.child.pk)
    assert head.version == versions[-1][0] and head.snapshot_at >= versions[-1][1]
    assert len(head.assessment.concern_ids) == 3
