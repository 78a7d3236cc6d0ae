import pytest

from tests.authz.world import build_world


@pytest.fixture
def world(db):
    return build_world()
