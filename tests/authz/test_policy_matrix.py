"""Every viewer (agency relation × role) against every concern (owner's setting × marker ×
consent/decision state): the SQL rule must give exactly what the oracle says."""

from __future__ import annotations

from collections import Counter

import pytest

from concerns.models import Concern
from consent.policy import Visibility, visibility_of
from tests.authz.world import MARKERS, STATES, expected

pytestmark = pytest.mark.django_db


def test_queryset_matches_the_oracle_for_every_viewer_and_concern(world):
    mismatches = []
    seen: Counter[Visibility] = Counter()
    ids = [s.concern.pk for s in world.specs]
    for viewer in world.viewers:
        got = dict(
            Concern.objects.filter(pk__in=ids)
            .visible_to(viewer.user)
            .values_list("pk", "visibility")
        )
        for spec in world.specs:
            want = expected(viewer, spec)
            have = Visibility(got.get(spec.concern.pk, 0))
            seen[want] += 1
            if have != want:
                mismatches.append(
                    (
                        viewer.agency,
                        viewer.role,
                        viewer.is_author,
                        spec.owner,
                        spec.marker,
                        spec.state,
                        int(want),
                        int(have),
                    )
                )
    assert not mismatches, mismatches[:20]
    # The matrix really exercises every level.
    assert all(seen[level] > 0 for level in Visibility)
    assert len(world.specs) == 3 * len(MARKERS) * len(STATES)


def test_single_object_check_matches_the_oracle_on_a_sample(world):
    for viewer in world.viewers[::4]:
        for spec in world.specs[::7]:
            assert visibility_of(viewer.user, spec.concern) == expected(viewer, spec), (
                viewer.agency,
                viewer.role,
                spec.owner,
                spec.marker,
                spec.state,
            )
