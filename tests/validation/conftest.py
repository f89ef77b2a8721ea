from __future__ import annotations

import pytest

from tests.validation.helpers import SpotChecksStream


@pytest.fixture
def spot_stream() -> SpotChecksStream:
    return SpotChecksStream(None)  # type: ignore[arg-type]
