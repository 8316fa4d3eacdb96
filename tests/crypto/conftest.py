import pytest

from tests.crypto.models import test_tables


@pytest.fixture
def tables(app):
    with test_tables():
        yield
