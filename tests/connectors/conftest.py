from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connectors.fake_api import FakeApi, make_records


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi(make_records(45))
    with api.running():
        yield api
