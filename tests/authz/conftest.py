import functools

import pytest

from tests.authz.world import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(autouse=True)
def _shared_jinja_environment(monkeypatch):
    """govuk-frontend-django builds a new Jinja environment (and recompiles the GOV.UK macros)
    for every component on every page; the route matrix renders hundreds of pages. Sharing one
    environment gives byte-identical HTML, much faster. Test-only: see docs/consent.md."""
    from govuk_frontend_django.components import base

    original = base.Environment

    @functools.cache
    def shared(**kwargs):
        return original(**kwargs)

    def environment(*, loader, autoescape):
        return shared(loader=_LOADER, autoescape=_AUTOESCAPE)

    global _LOADER, _AUTOESCAPE
    if _LOADER is None:
        _LOADER = base.ChoiceLoader(
            [
                base.PrefixLoader(
                    {"govuk_frontend_jinja": base.PackageLoader("govuk_frontend_jinja")}
                )
            ]
        )
        _AUTOESCAPE = base.select_autoescape()
    monkeypatch.setattr(base, "Environment", environment)


_LOADER = None
_AUTOESCAPE = None
