"""Property-based run against /openapi.json: no server errors, responses conform to the schema.

The app is built at import time because `schema.parametrize()` needs the schema at
collection (schemathesis' from_fixture does not work with this pytest version). The data
lives in a temporary directory removed at interpreter exit.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import published_app

# Inputs JSON Schema cannot fully describe, answered 422 by design: check digits of an identifier,
# and reconciliation `queries` being a JSON document inside a string. Every other check still runs.
SEMANTIC_422 = {"/api/v1/lookup", "/api/v1/reconcile"}
PUBLIC_PATHS = r"^/(api/v1/(companies|lookup|match|reconcile)|healthz|readyz)"
_DATA = tempfile.TemporaryDirectory(prefix="credithub-schemathesis-")
APP, _IDS = published_app(Path(_DATA.name))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).include(path_regex=PUBLIC_PATHS)
# A body over the edge's size limit is refused with 413 before it is parsed: a rejection too.
schema.config.checks.negative_data_rejection.expected_statuses.append("413")


@schema.parametrize()
# derandomize: CI runs the same examples every time, so a red run is reproducible locally.
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms(case: schemathesis.Case) -> None:
    excluded = []
    if case.operation.path in SEMANTIC_422:
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)
