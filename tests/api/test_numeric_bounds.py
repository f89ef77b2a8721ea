"""Every numeric path, query, form and body parameter refuses out-of-range numbers with 422, never 500.

Ids are 1..2^63-1 (BIGINT), record versions fit INTEGER, page numbers are bounded, and floats
are finite and in range (1e308 hours used to overflow a timedelta). One row per parameter,
run against the full app (create_app) over a database with real quarantined records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import published_app
from tests.stewardship.conftest import World, full_app_world

HUGE_INTS = ["9223372036854775808", "99999999999999999999999", "-9223372036854775809"]
NOT_INTS = ["1e308", "inf", "nan"]
BAD_FLOATS = ["1e308", "inf", "-inf", "nan", "Infinity", "NaN", "-1"]
# JSON has no inf/nan, but Python's parser (and so the API's) accepts these literals.
BAD_JSON_NUMBERS = ["9223372036854775808", "1e308", "NaN", "Infinity", "-Infinity", "0", "-1"]


@dataclass(frozen=True)
class Case:
    method: str
    url: str  # "{v}" marks where the value goes
    form: dict[str, str] | None = None
    body: str | None = None  # raw JSON with "{v}"
    auth: bool = False

    def send(self, client: TestClient, value: str, headers: dict[str, str]) -> int:
        url = self.url.replace("{v}", value)
        h = dict(headers) if self.auth else {}
        if self.body is not None:
            h["content-type"] = "application/json"
            r = client.request(self.method, url, content=self.body.replace("{v}", value), headers=h)
        elif self.form is not None:
            r = client.request(self.method, url, data={k: v.replace("{v}", value) for k, v in self.form.items()}, headers=h)
        else:
            r = client.request(self.method, url, headers=h)
        return r.status_code


PUBLIC_INT_CASES = [
    Case("GET", "/api/v1/companies?q=华信&page={v}"),
    Case("GET", "/api/v1/companies?q=华信&size={v}"),
    Case("GET", "/api/v1/companies/E0001/events?page={v}"),
    Case("GET", "/api/v1/companies/E0001/events?size={v}"),
    Case("GET", "/?q=华信&page={v}"),
]
PUBLIC_JSON_CASES = [
    Case("POST", "/api/v1/match", body='{"queries": [{"name": "华信", "limit": {v}}]}'),
    Case("GET", '/api/v1/reconcile?queries={"q0": {"query": "华信", "limit": {v}}}'),
    Case("POST", "/api/v1/reconcile", form={"queries": '{"q0": {"query": "华信", "limit": {v}}}'}),
]

# {rid}/{bid}: a real record/batch the admin may see, so only the bad number can be refused.
STEWARD_INT_CASES = [
    Case("GET", "/api/v1/steward/queue?batch_id={v}", auth=True),
    Case("GET", "/api/v1/steward/queue?page={v}", auth=True),
    Case("GET", "/api/v1/steward/queue?page_size={v}", auth=True),
    Case("GET", "/api/v1/steward/records/{v}", auth=True),
    Case("POST", "/api/v1/steward/records/{v}/fix", body='{"version": 1, "changes": {"name": "x"}}', auth=True),
    Case("POST", "/api/v1/steward/records/{v}/reject", body='{"version": 1, "reason": "x"}', auth=True),
    Case("POST", "/api/v1/steward/records/{v}/release-now", auth=True),
    Case("POST", "/api/v1/steward/batches/{v}/decision", body='{"decision": "release", "note": "x"}', auth=True),
    Case("GET", "/api/v1/steward/validation-runs?batch_id={v}", auth=True),
    Case("GET", "/api/v1/steward/audit?page={v}", auth=True),
    Case("GET", "/api/v1/steward/audit?page_size={v}", auth=True),
    Case("GET", "/steward?batch_id={v}", auth=True),
    Case("GET", "/steward?page={v}", auth=True),
    Case("GET", "/steward/records/{v}", auth=True),
    Case("POST", "/steward/records/{v}/fix", form={"version": "1", "note": "x"}, auth=True),
    Case("POST", "/steward/records/{rid}/fix", form={"version": "{v}", "f__name": "x"}, auth=True),
    Case("POST", "/steward/records/{v}/reject", form={"version": "1", "reason": "x"}, auth=True),
    Case("POST", "/steward/records/{rid}/reject", form={"version": "{v}", "reason": "x"}, auth=True),
    Case("POST", "/steward/records/{v}/release-now", auth=True),
    Case("POST", "/steward/bulk", form={"ids": "{v}", "action": "reject", "reason": "x"}, auth=True),
    Case("POST", "/steward/batches/{v}/decision", form={"decision": "release", "note": "x"}, auth=True),
    Case("GET", "/steward/audit?page={v}", auth=True),
    Case("GET", "/api/v1/steward/changes/{v}", auth=True),
    Case("POST", "/api/v1/steward/changes/{v}/approve", body='{"note": "x"}', auth=True),
    Case("POST", "/api/v1/steward/changes/{v}/reject", body='{"reason": "x"}', auth=True),
    Case("POST", "/steward/changes/{v}/approve", form={"note": "x"}, auth=True),
    Case("POST", "/steward/changes/{v}/reject", form={"reason": "x"}, auth=True),
]
STEWARD_FLOAT_CASES = [
    Case("GET", "/api/v1/steward/queue?older_than_hours={v}", auth=True),
    Case("GET", "/api/v1/steward/queue?newer_than_hours={v}", auth=True),
    Case("GET", "/steward?older_than_hours={v}", auth=True),
]
STEWARD_JSON_CASES = [
    Case("POST", "/api/v1/steward/records/{rid}/fix", body='{"version": {v}, "changes": {"name": "x"}}', auth=True),
    Case("POST", "/api/v1/steward/records/{rid}/reject", body='{"version": {v}, "reason": "x"}', auth=True),
    Case("POST", "/api/v1/steward/bulk/fix", body='{"ids": [{v}], "changes": {"name": "x"}}', auth=True),
    Case("POST", "/api/v1/steward/bulk/reject", body='{"ids": [{v}], "reason": "x"}', auth=True),
]
# A changed field's value may be any number, but a finite one that fits a BIGINT.
STEWARD_VALUE_CASES = [
    Case("POST", "/api/v1/steward/records/{rid}/fix", body='{"version": 1, "changes": {"name": {v}}}', auth=True),
    Case("POST", "/api/v1/steward/bulk/fix", body='{"ids": [{rid}], "changes": {"name": {v}}}', auth=True),
]


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app, _ = published_app(tmp_path_factory.mktemp("bounds"))
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def steward(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, World]]:
    with full_app_world(tmp_path_factory.mktemp("bounds-steward") / "var") as pair:
        yield pair


def _expect_422(client: TestClient, case: Case, value: str, headers: dict[str, str]) -> None:
    status = case.send(client, value, headers)
    assert status == 422, f"{case.method} {case.url} with {value!r}: {status}"


@pytest.mark.parametrize("case", PUBLIC_INT_CASES, ids=lambda c: c.url)
@pytest.mark.parametrize("value", HUGE_INTS + NOT_INTS + ["0"])
def test_public_int_parameters(public: TestClient, case: Case, value: str) -> None:
    _expect_422(public, case, value, {})


@pytest.mark.parametrize("case", PUBLIC_JSON_CASES, ids=lambda c: f"{c.method} {c.url}")
@pytest.mark.parametrize("value", BAD_JSON_NUMBERS)
def test_public_json_numbers(public: TestClient, case: Case, value: str) -> None:
    _expect_422(public, case, value, {})


def _ids(case: Case, w: World) -> Case:
    return Case(case.method, case.url.replace("{rid}", str(w.tax_bad[0])),
                case.form and {k: v.replace("{rid}", str(w.tax_bad[0])) for k, v in case.form.items()},
                case.body and case.body.replace("{rid}", str(w.tax_bad[0])), case.auth)


@pytest.mark.parametrize("case", STEWARD_INT_CASES, ids=lambda c: f"{c.method} {c.url}")
@pytest.mark.parametrize("value", HUGE_INTS + NOT_INTS)
def test_steward_int_parameters(steward: tuple[TestClient, World], case: Case, value: str) -> None:
    client, w = steward
    _expect_422(client, _ids(case, w), value, w.auth("admin"))


@pytest.mark.parametrize("case", STEWARD_FLOAT_CASES, ids=lambda c: c.url)
@pytest.mark.parametrize("value", BAD_FLOATS)
def test_steward_float_parameters(steward: tuple[TestClient, World], case: Case, value: str) -> None:
    client, w = steward
    _expect_422(client, case, value, w.auth("admin"))


@pytest.mark.parametrize("case", STEWARD_JSON_CASES, ids=lambda c: f"{c.method} {c.url}")
@pytest.mark.parametrize("value", ["9223372036854775808", "99999999999999999999999", "1e308", "NaN", "Infinity"])
def test_steward_json_numbers(steward: tuple[TestClient, World], case: Case, value: str) -> None:
    client, w = steward
    _expect_422(client, _ids(case, w), value, w.auth("admin"))


@pytest.mark.parametrize("case", STEWARD_VALUE_CASES, ids=lambda c: f"{c.method} {c.url}")
@pytest.mark.parametrize("value", ["9223372036854775808", "NaN", "Infinity", "-Infinity"])
def test_steward_changed_values(steward: tuple[TestClient, World], case: Case, value: str) -> None:
    client, w = steward
    _expect_422(client, _ids(case, w), value, w.auth("admin"))


def test_in_range_values_still_work(steward: tuple[TestClient, World]) -> None:
    client, w = steward
    h = w.auth("admin")
    r = client.get("/api/v1/steward/queue", params={"older_than_hours": "0", "newer_than_hours": "87600",
                                                    "batch_id": str(w.tax_batch)}, headers=h)
    assert r.status_code == 200 and r.json()["total"] == 2
    assert client.get("/api/v1/steward/records/9223372036854775807", headers=h).status_code == 404
    assert client.get("/steward", params={"older_than_hours": "1.5"}, headers=h).status_code == 200
