import pytest

from tests.cme.helpers import build_world


@pytest.fixture
def world(app):
    return build_world(app)
