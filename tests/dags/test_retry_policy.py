"""The retry policy maps credithub.errors to Airflow decisions: retry what a retry can fix."""

from __future__ import annotations

import httpx
import pytest

from credithub.errors import ConfigError, FatalSourceError, RetriableSourceError, SchemaDriftError
from credithub.orchestration.retry import classify, retry_policy


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (RetriableSourceError("HTTP 503", department="tax"), "retry"),
        (httpx.ConnectError("refused"), "retry"),
        (TimeoutError(), "retry"),
        (SchemaDriftError("column QYMC missing", department="market_regulation"), "fail"),
        (FatalSourceError("folder missing", department="customs"), "fail"),
        (ConfigError("bad config", department="courts"), "fail"),
        (ValueError("bug"), "default"),
    ],
)
def test_airflow_policy_agrees_with_classify(exc: BaseException, expected: str) -> None:
    decision = retry_policy().evaluate(exc, try_number=1, max_tries=4)
    assert classify(exc) == expected
    assert decision.action.value == expected
    if expected == "fail":
        assert "retrying cannot help" in decision.reason
