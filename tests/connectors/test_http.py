"""HTTP JSON transport against a real local server that injects faults."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import socket
from typing import Any, ClassVar

import pytest

from connectors.sdk import (
    DeclarativeConnector,
    HttpEndpoint,
    HttpJsonStream,
    HttpSourceConfig,
    SchemaDrift,
    SourceFault,
    SourceRow,
    StateCheckpoint,
)
from connectors.sdk.rows import RowSpec
from connectors.sdk.transports.http import HttpJsonTransport, retry_after_seconds
from credithub.errors import ConfigError, FatalSourceError, RetriableSourceError
from tests.connectors.fake_api import FakeApi, make_records

FIELDS = {"record_id": "record_id", "taxpayer_id": "taxpayer_id", "name": "name", "rating": "rating", "updated_at": "updated_at"}
SPEC = RowSpec(
    department="tax", stream="tax_ratings", columns=tuple(FIELDS), required=("record_id",),
    record_id_column="record_id", cursor_column="updated_at",
)


def transport(api: FakeApi, endpoint: HttpEndpoint, sleeps: list[float] | None = None, **cfg: Any) -> HttpJsonTransport:
    config = HttpSourceConfig(base_url=api.base_url, api_key=api.api_key, page_size=10, backoff_s=0.01, **cfg)
    recorder = sleeps.append if sleeps is not None else (lambda s: None)
    return HttpJsonTransport(config, endpoint, SPEC, sleep=recorder)


PAGE = HttpEndpoint(path="/page", paging="page", since_param="updated_since", total_path="total")
OFFSET = HttpEndpoint(path="/offset", paging="offset", since_param="updated_since")
CURSOR = HttpEndpoint(
    path="/cursor", paging="cursor", records_path="result.items", next_cursor_path="next_cursor", since_param="updated_since"
)


def rows(msgs: list[Any]) -> list[SourceRow]:
    return [m for m in msgs if isinstance(m, SourceRow)]


@pytest.mark.parametrize("endpoint", [PAGE, OFFSET, CURSOR], ids=["page", "offset", "cursor"])
def test_every_paging_style_reads_everything_once(fake_api: FakeApi, endpoint: HttpEndpoint) -> None:
    msgs = list(transport(fake_api, endpoint).read(None))
    ids = [r.record_id for r in rows(msgs)]
    assert ids == [r["record_id"] for r in fake_api.visible(None)]
    assert len(set(ids)) == 45
    assert rows(msgs)[12].location == f"GET {endpoint.path} page 2 item 3"
    assert msgs[-1] == StateCheckpoint(stream="tax_ratings", state={"cursor": "2026-01-05T08:00:00"})


def test_incremental_changed_since_reads_only_new_and_boundary(fake_api: FakeApi) -> None:
    t = transport(fake_api, PAGE)
    first = list(t.read(None))
    state = first[-1].state
    again = rows(list(t.read(state)))
    # The boundary value is re-read (inclusive since) and deduplicated downstream; nothing older.
    assert {r.record_id for r in again} <= {r.record_id for r in rows(first)}
    assert all(r.cursor_value >= state["cursor"] for r in again)
    assert "updated_since=2026-01-05T08%3A00%3A00" in fake_api.requests[-1]
    fake_api.records += make_records(5, start=100)
    newer = rows(list(t.read(state)))
    assert {f"T{i:05d}" for i in range(100, 105)} <= {r.record_id for r in newer}
    assert len(newer) < 20


def test_sorted_api_checkpoints_every_page(fake_api: FakeApi) -> None:
    sorted_page = PAGE.model_copy(update={"sorted_by_cursor": True})
    msgs = list(transport(fake_api, sorted_page).read(None))
    states = [m.state["cursor"] for m in msgs if isinstance(m, StateCheckpoint)]
    assert len(states) >= 5 and states == sorted(states)


def test_5xx_is_retried_with_exponential_backoff(fake_api: FakeApi) -> None:
    fake_api.plan = ["500", "503", "429"]
    sleeps: list[float] = []
    msgs = list(transport(fake_api, PAGE, sleeps).read(None))
    assert len(rows(msgs)) == 45
    assert sleeps == [0.01, 0.02, 0.04]


def test_persistent_500_raises_retriable_error_naming_page(fake_api: FakeApi) -> None:
    fake_api.always["page=2"] = "500"
    t = transport(fake_api, PAGE, max_retries=2)
    got: list[Any] = []
    with pytest.raises(RetriableSourceError) as err:
        for m in t.read(None):
            got.append(m)
    assert len(rows(got)) == 10  # page 1 was emitted before the failure
    assert err.value.context["page"] == 2 and err.value.context["department"] == "tax"
    assert "HTTP 500" in str(err.value) and "path=/page" in str(err.value)


def test_timeout_is_retried(fake_api: FakeApi) -> None:
    fake_api.plan = ["timeout:1.0"]
    sleeps: list[float] = []
    msgs = list(transport(fake_api, PAGE, sleeps, timeout_s=0.2).read(None))
    assert len(rows(msgs)) == 45 and len(sleeps) == 1


def test_timeouts_exhausted_raise_retriable(fake_api: FakeApi) -> None:
    fake_api.always["/api/page"] = "timeout:0.6"
    with pytest.raises(RetriableSourceError, match="timeout"):
        list(transport(fake_api, PAGE, timeout_s=0.2, max_retries=1).read(None))


def test_retry_after_seconds_and_http_date_are_honoured(fake_api: FakeApi) -> None:
    fake_api.plan = ["retry-after:3", "retry-after:0"]
    sleeps: list[float] = []
    list(transport(fake_api, PAGE, sleeps).read(None))
    assert sleeps == [3.0, 0.0]
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    header = email.utils.format_datetime(now + dt.timedelta(seconds=7), usegmt=True)
    assert retry_after_seconds(header, now=now) == 7.0


def test_real_retry_after_sleep_happens(fake_api: FakeApi) -> None:
    fake_api.plan = ["retry-after:1"]
    config = HttpSourceConfig(base_url=fake_api.base_url, api_key=fake_api.api_key, page_size=50, backoff_s=0)
    start = dt.datetime.now()
    assert len(rows(list(HttpJsonTransport(config, PAGE, SPEC).read(None)))) == 45
    assert (dt.datetime.now() - start).total_seconds() >= 1.0


def test_retry_after_longer_than_allowed_stops_at_once(fake_api: FakeApi) -> None:
    fake_api.plan = ["retry-after:3600"]
    sleeps: list[float] = []
    with pytest.raises(RetriableSourceError) as err:
        list(transport(fake_api, PAGE, sleeps, max_retry_after_s=60).read(None))
    assert sleeps == [] and err.value.context["retry_after"] == 3600


def test_malformed_json_once_is_retried(fake_api: FakeApi) -> None:
    fake_api.plan = ["malformed"]
    msgs = list(transport(fake_api, PAGE).read(None))
    assert len(rows(msgs)) == 45 and not [m for m in msgs if isinstance(m, SourceFault)]


def test_persistent_malformed_json_is_a_page_fault_and_holds_the_cursor(fake_api: FakeApi) -> None:
    fake_api.always["page=2"] = "malformed"
    msgs = list(transport(fake_api, PAGE, max_retries=1).read(None))
    faults = [m for m in msgs if isinstance(m, SourceFault)]
    assert len(faults) == 1
    assert faults[0].location == "GET /page page 2" and "JSON" in faults[0].reason
    assert '"record_id": "x"' in faults[0].raw  # the body lands raw
    assert len(rows(msgs)) == 35  # pages 1, 3, 4, 5 still read
    assert not [m for m in msgs if isinstance(m, StateCheckpoint)]  # next sync re-reads page 2


def test_body_without_record_list_is_a_fault(fake_api: FakeApi) -> None:
    fake_api.always["page=1"] = "noshape"
    msgs = list(transport(fake_api, PAGE, max_retries=0).read(None))
    fault = next(m for m in msgs if isinstance(m, SourceFault))
    assert "maintenance" in fault.raw and "data" in fault.reason


def test_malformed_json_with_cursor_paging_stops_retriably(fake_api: FakeApi) -> None:
    fake_api.always["/api/cursor"] = "malformed"
    got: list[Any] = []
    with pytest.raises(RetriableSourceError):
        for m in transport(fake_api, CURSOR, max_retries=0).read(None):
            got.append(m)
    assert isinstance(got[-1], SourceFault)


def test_wrong_key_is_fatal(fake_api: FakeApi) -> None:
    config = HttpSourceConfig(base_url=fake_api.base_url, api_key="wrong", page_size=10)
    with pytest.raises(FatalSourceError, match="401"):
        list(HttpJsonTransport(config, PAGE, SPEC).read(None))


def test_connection_refused_is_retriable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = HttpSourceConfig(base_url=f"http://127.0.0.1:{port}/api", page_size=10, max_retries=1, backoff_s=0)
    with pytest.raises(RetriableSourceError, match="connection error"):
        list(HttpJsonTransport(config, PAGE, SPEC).read(None))


def test_drift_and_missing_required_field_per_item(fake_api: FakeApi) -> None:
    fake_api.records[1]["new_col"] = "x"
    del fake_api.records[1]["record_id"]  # sorts first on page 1
    msgs = list(transport(fake_api, PAGE).read(None))
    drift = next(m for m in msgs if isinstance(m, SchemaDrift))
    assert drift.added == ["new_col"] and drift.missing == ["record_id"]
    fault = next(m for m in msgs if isinstance(m, SourceFault))
    assert fault.field == "record_id" and fault.location == "GET /page page 1 item 1"
    assert len(rows(msgs)) == 44


class Ratings(HttpJsonStream):
    name = "tax_ratings"
    fields: ClassVar = FIELDS
    primary_key = "record_id"
    cursor_field = "updated_at"
    endpoint = PAGE

    def to_canonical(self, staged: Any) -> Any:
        raise NotImplementedError


class Tax(DeclarativeConnector):
    name = "tax"
    title = "税务局"
    config_model = HttpSourceConfig
    streams = (Ratings,)


def test_secrets_never_in_spec_messages_or_logs(fake_api: FakeApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    spec = Tax.spec()
    assert spec["properties"]["api_key"]["anyOf"][0] == {"format": "password", "type": "string", "writeOnly": True}
    conn = Tax({"base_url": fake_api.base_url, "api_key": fake_api.api_key, "page_size": 10, "backoff_s": 0})
    fake_api.always["page=3"] = "500"
    out = [repr(conn.config), str(conn.config.model_dump()), str(conn.check())]
    try:
        out += [m.model_dump_json() for m in conn.stream("tax_ratings").read(None)]
    except RetriableSourceError as exc:
        out.append(str(exc))
    out.append(caplog.text)
    assert all(fake_api.api_key not in text for text in out)
    assert "HTTP Request" in caplog.text  # httpx did log, without the key


def test_bad_config_names_the_field() -> None:
    with pytest.raises(ConfigError, match="page_size") as err:
        Tax({"base_url": "http://127.0.0.1:1/api", "page_size": 0})
    assert err.value.context["department"] == "tax"
    with pytest.raises(ConfigError, match="base_url"):
        Tax({"base_url": "not a url"})


def test_check_reports_unreachable_source() -> None:
    conn = Tax({"base_url": "http://127.0.0.1:9/api", "max_retries": 0})
    res = conn.check()
    assert not res.ok and "tax_ratings" in res.message and "connection error" in res.message


def test_lookback_moves_changed_since_back(fake_api: FakeApi) -> None:
    t = transport(fake_api, PAGE, lookback_s=86400)
    state = {"cursor": "2026-01-05T08:00:00"}
    got = rows(list(t.read(state)))
    assert "updated_since=2026-01-04T08%3A00%3A00" in fake_api.requests[-1]
    assert {r.cursor_value for r in got} == {"2026-01-04T08:00:00", "2026-01-05T08:00:00"}
    msgs = list(t.read(state))
    assert msgs[-1] == StateCheckpoint(stream="tax_ratings", state={"cursor": "2026-01-05T08:00:00"})  # not moved back
    from connectors.sdk.transports.http import _minus_lookback

    assert _minus_lookback("2026-01-05", 86400) == "2026-01-04"
    assert _minus_lookback("2026-01-05 08:00:00", 3600) == "2026-01-05 07:00:00"
    assert _minus_lookback("v42", 3600) == "v42"
