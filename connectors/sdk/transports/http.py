"""JSON HTTP API transport (httpx): paging, incremental "changed since", retries.

Usage (HttpJsonStream does this for you):

    endpoint = HttpEndpoint(path="/ratings", paging="page", records_path="data",
                            since_param="updated_since")
    t = HttpJsonTransport(HttpSourceConfig(base_url="http://127.0.0.1:8081/api", api_key="k"), endpoint, spec)
    for msg in t.read(state):   # state = {"cursor": "<max cursor seen>"} or None
        ...

Paging (`HttpEndpoint.paging`):
- "page":   ?page=1&page_size=N, page += 1; stops on an empty or short page (or `total_path` reached).
- "offset": ?offset=0&limit=N, offset += N; same stop rule.
- "cursor": ?cursor=<token from next_cursor_path of the previous body>; stops when the token is empty.
- "none":   one request.
Incremental: with a saved state the request carries `since_param=<saved cursor>` (the server must
treat it as >=, inclusive, so rows sharing the boundary value are re-read and deduplicated, never
lost); rows whose cursor is lower than the saved one are dropped client-side. `lookback_s` moves the
"since" value back by a window for APIs whose timestamps arrive late. The state is the
maximum cursor seen (string comparison: use ISO timestamps). If the API returns rows sorted by the
cursor (`sorted_by_cursor=True`) a checkpoint follows every page, else only the end of the read.

Failures:
- 5xx, 429, timeouts and connection errors are retried `max_retries` times with exponential backoff
  (`backoff_s * 2**attempt`, capped by `max_backoff_s`); a Retry-After header (seconds or HTTP date)
  is honoured instead when present; one longer than `max_retry_after_s` stops at once. When retries
  are exhausted → RetriableSourceError naming department, stream, path and page (Airflow retries).
- Other 4xx → FatalSourceError (401/403: credentials; 404: wrong path).
- Malformed JSON (or a body without a record list) is retried like a 5xx (bodies get truncated in
  transit); if it persists the page becomes ONE SourceFault with the body text as raw (it lands and
  is quarantined), reading continues with the next page (page/offset paging) and no further
  checkpoint is emitted in this read, so the next sync re-reads from before the bad page.
  With cursor paging the next page is unknown: the fault is emitted, then RetriableSourceError.
Secrets: the api key travels in a header, the password via basic auth; neither appears in any
location, message or log line (locations carry only path and page).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict

from connectors.sdk.base import Message, SourceFault, StateCheckpoint
from connectors.sdk.config import HttpSourceConfig
from connectors.sdk.rows import RowSpec, jsonable
from credithub.errors import FatalSourceError, RetriableSourceError


class HttpEndpoint(BaseModel):
    """Where a stream's records live in the API and how they are paged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    paging: Literal["page", "offset", "cursor", "none"] = "page"
    records_path: str = "data"
    """Dotted path to the record list in the body ('' = the body itself is the list)."""
    page_param: str = "page"
    first_page: int = 1
    size_param: str = "page_size"
    offset_param: str = "offset"
    limit_param: str = "limit"
    cursor_param: str = "cursor"
    next_cursor_path: str = "next_cursor"
    total_path: str | None = None
    since_param: str | None = None
    params: dict[str, str] = {}
    sorted_by_cursor: bool = False


class _BadBody(Exception):
    def __init__(self, reason: str, body: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.body = body


def _release(resp: httpx.Response) -> None:
    # httpx links a response and its stream in a reference cycle, so every page body would wait
    # for a full garbage collection; breaking the cycle frees it now and keeps memory flat.
    resp.close()
    resp.stream = httpx.ByteStream(b"")
    resp._content = b""  # noqa: SLF001 - the body is parsed; drop the bytes


def _minus_lookback(cursor: str | None, seconds: float) -> str | None:
    """The saved cursor moved back by the lookback window, in the same ISO layout; unchanged if not a date."""
    if cursor is None or not seconds:
        return cursor
    try:
        when = dt.datetime.fromisoformat(cursor)
    except ValueError:
        return cursor
    moved = (when - dt.timedelta(seconds=seconds)).isoformat()
    if len(cursor) == 10:  # a plain date
        return moved[:10]
    return moved.replace("T", " ") if len(cursor) > 10 and cursor[10] == " " else moved


def _dig(body: Any, path: str) -> Any:
    cur = body
    for part in [p for p in path.split(".") if p]:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


class HttpJsonTransport:
    """One endpoint of a JSON API."""

    def __init__(
        self, config: HttpSourceConfig, endpoint: HttpEndpoint, spec: RowSpec, *, sleep: Any = time.sleep
    ) -> None:
        self.config = config
        self.endpoint = endpoint
        self.spec = spec
        self._sleep = sleep

    def client(self) -> httpx.Client:
        headers = {"Accept": "application/json"}
        if self.config.api_key is not None:
            key = self.config.api_key.get_secret_value()
            if self.config.api_key_header.lower() == "authorization":
                headers["Authorization"] = f"Bearer {key}"
            else:
                headers[self.config.api_key_header] = key
        auth = None
        if self.config.username is not None:
            pw = self.config.password.get_secret_value() if self.config.password else ""
            auth = httpx.BasicAuth(self.config.username, pw)
        return httpx.Client(
            base_url=str(self.config.base_url).rstrip("/") + "/",
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(self.config.timeout_s),
            verify=self.config.verify_tls,
            follow_redirects=True,
        )

    def _where(self, page: int) -> str:
        return f"GET {self.endpoint.path} page {page}"

    def _ctx(self, page: int) -> dict[str, Any]:
        return {"department": self.spec.department, "stream": self.spec.stream, "path": self.endpoint.path, "page": page}

    def fetch(self, client: httpx.Client, params: Mapping[str, Any], page: int) -> Any:
        """GET with retries; returns the parsed body or raises _BadBody after retries on bad JSON."""
        cfg = self.config
        last_problem = ""
        bad: _BadBody | None = None
        url = self.endpoint.path.lstrip("/")
        for attempt in range(cfg.max_retries + 1):
            delay = min(cfg.backoff_s * (2**attempt), cfg.max_backoff_s)
            try:
                resp = client.get(url, params=dict(params))
            except httpx.TimeoutException as exc:
                last_problem = f"timeout after {cfg.timeout_s}s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                last_problem = f"connection error ({type(exc).__name__}: {exc})"
            else:
                status = resp.status_code
                if status >= 500 or status == 429:
                    last_problem = f"HTTP {status}"
                    wait = retry_after_seconds(resp.headers.get("Retry-After"))
                    if wait is not None:
                        if wait > cfg.max_retry_after_s:
                            raise RetriableSourceError(
                                f"HTTP {status} with Retry-After {wait:.0f}s (longer than max_retry_after_s)",
                                retry_after=wait,
                                **self._ctx(page),
                            )
                        delay = wait
                elif status >= 400:
                    hint = {401: "credentials rejected", 403: "access denied", 404: "path not found"}.get(status, "")
                    raise FatalSourceError(f"HTTP {status} {hint}".strip(), **self._ctx(page))
                else:
                    try:
                        body = resp.json()
                        _release(resp)
                    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                        bad = _BadBody(f"JSON 格式错误：{exc}", resp.text[:4000])
                        last_problem = "malformed JSON"
                    else:
                        records = _dig(body, self.endpoint.records_path) if self.endpoint.records_path else body
                        if isinstance(records, list):
                            return body
                        bad = _BadBody(
                            f"响应中 {self.endpoint.records_path or '正文'} 不是记录列表", json.dumps(body, ensure_ascii=False)[:4000]
                        )
                        last_problem = "unexpected body shape"
            if attempt < cfg.max_retries:
                self._sleep(delay)
        if bad is not None and last_problem in {"malformed JSON", "unexpected body shape"}:
            raise bad
        raise RetriableSourceError(
            f"giving up after {cfg.max_retries + 1} attempts: {last_problem}", **self._ctx(page)
        )

    def check(self) -> str:
        with self.client() as client:
            params = self._params(None, page=1, offset=0, token=None)
            body = self.fetch(client, params, 1)
            records = _dig(body, self.endpoint.records_path) if self.endpoint.records_path else body
            return f"GET {self.endpoint.path} ok ({len(records)} records on the first page)"

    def _params(self, since: str | None, *, page: int, offset: int, token: str | None) -> dict[str, Any]:
        e = self.endpoint
        params: dict[str, Any] = dict(e.params)
        if e.paging == "page":
            params[e.page_param] = page
            params[e.size_param] = self.config.page_size
        elif e.paging == "offset":
            params[e.offset_param] = offset
            params[e.limit_param] = self.config.page_size
        elif e.paging == "cursor":
            params[e.size_param] = self.config.page_size
            if token:
                params[e.cursor_param] = token
        if since is not None and e.since_param:
            params[e.since_param] = since
        return params

    def read(self, state: Mapping[str, Any] | None) -> Iterator[Message]:
        e = self.endpoint
        max_cursor: str | None = (state or {}).get("cursor")
        saved = _minus_lookback(max_cursor, self.config.lookback_s)
        can_checkpoint = True
        drift_checked = False
        page_no, offset, token = e.first_page, 0, None
        request_no = 0
        seen_total = 0
        with self.client() as client:
            while True:
                request_no += 1
                where = self._where(request_no)
                params = self._params(saved, page=page_no, offset=offset, token=token)
                try:
                    body = self.fetch(client, params, request_no)
                except _BadBody as bad:
                    can_checkpoint = False
                    yield SourceFault(stream=self.spec.stream, location=where, reason=bad.reason + "（重试后仍失败，本页记录未读取）", raw=bad.body)
                    if e.paging in ("cursor", "none"):
                        if e.paging == "cursor":
                            raise RetriableSourceError(
                                "malformed JSON page; cursor paging cannot skip it", **self._ctx(request_no)
                            ) from None
                        break
                    page_no += 1
                    offset += self.config.page_size
                    continue
                records = _dig(body, e.records_path) if e.records_path else body
                for i, item in enumerate(records, 1):
                    loc = f"{where} item {i}"
                    if not isinstance(item, Mapping):
                        yield self.spec.fault(loc, "记录不是 JSON 对象", json.dumps(item, ensure_ascii=False)[:4000])
                        continue
                    data = {str(k): jsonable(v) for k, v in item.items()}
                    if not drift_checked:
                        drift_checked = True
                        drift, missing = self.spec.header_drift(data.keys(), loc)
                        if drift is not None:
                            yield drift
                    missing_here = [c for c in self.spec.required if c not in data]
                    if missing_here:
                        yield self.spec.fault(
                            loc, f"记录缺少必需字段 {'、'.join(missing_here)}", json.dumps(data, ensure_ascii=False)[:4000], missing_here[0]
                        )
                        continue
                    cur = data.get(self.spec.cursor_column) if self.spec.cursor_column else None
                    if saved is not None and cur is not None and str(cur) < str(saved):
                        continue  # older than the saved cursor: already synced
                    if cur is not None and (max_cursor is None or str(cur) > max_cursor):
                        max_cursor = str(cur)
                    yield self.spec.make_row(data, loc)
                seen_total += len(records)
                if e.sorted_by_cursor and can_checkpoint and max_cursor is not None:
                    yield StateCheckpoint(stream=self.spec.stream, state={"cursor": max_cursor})
                if e.paging == "none" or not records:
                    break
                if e.paging == "cursor":
                    token = _dig(body, e.next_cursor_path)
                    if not token:
                        break
                    token = str(token)
                    continue
                total = _dig(body, e.total_path) if e.total_path else None
                if len(records) < self.config.page_size or (isinstance(total, int) and seen_total >= total):
                    break
                page_no += 1
                offset += len(records)
        if can_checkpoint and max_cursor is not None:
            yield StateCheckpoint(stream=self.spec.stream, state={"cursor": max_cursor})
