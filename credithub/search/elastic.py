"""Elasticsearch backend (production): versioned indices behind one alias.

    {prefix}-profiles          alias every reader and incremental writer uses
    {prefix}-profiles-v{n}     one index per full build, settings/mappings from the index template

A rebuild bulk-loads a new version without replicas or refreshes, then sets the configured
replicas and refresh interval, refreshes it, moves the alias in one atomic POST _aliases
(remove old + add new) and deletes the old and any orphaned versions (failed builds), so
searches never see a gap. Request bodies come from credithub.search.queries (pure functions,
tested as JSON).

Shards and replicas are settings (CREDITHUB_ES_SHARDS, CREDITHUB_ES_REPLICAS), given when each
version is created: create-time settings override the index template's. Bulk requests go out
`CREDITHUB_ES_BULK_THREADS` at a time: each chunk is sent by the client's streaming helper,
which retries 429 back-pressure with exponential backoff (the client's parallel_bulk helper
does not retry, so it is not used), and chunks run on a small thread pool with a bounded
number in flight, so memory stays flat on a million-document rebuild.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers

from credithub.errors import ConfigError, SearchBackendError
from credithub.search import queries
from credithub.search.analysis import analyse_query
from credithub.search.base import SearchQuery, SearchResult
from credithub.search.ranking import Candidate, MatchData, assemble, fetch_limit
from credithub.settings import Settings

BULK_CHUNK_SIZE = 500
BULK_THREADS = 4
BULK_MAX_RETRIES = 3  # 429 back-pressure is retried by the helper with exponential backoff
REQUEST_TIMEOUT_S = 30


def build_settings(shards: int) -> dict[str, Any]:
    """Settings of a version while it is bulk-loaded: no periodic refresh and no replicas
    (each document is indexed once; replicas copy the finished segments afterwards)."""
    return {"index": {"number_of_shards": shards, "number_of_replicas": 0, "refresh_interval": "-1"}}


def serve_settings(replicas: int) -> dict[str, Any]:
    """Settings a version gets once loaded, before it goes live."""
    return {"index": {"number_of_replicas": replicas, "refresh_interval": "1s"}}


def _chunks(actions: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(actions)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


class ElasticBackend:
    """SearchBackend on an Elasticsearch 9 cluster. Cheap to construct (no request until used)."""

    def __init__(
        self,
        client: Elasticsearch,
        prefix: str,
        *,
        shards: int = 1,
        replicas: int = 1,
        bulk_threads: int = BULK_THREADS,
        bulk_chunk_size: int = BULK_CHUNK_SIZE,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.shards = shards
        self.replicas = replicas
        self.bulk_threads = bulk_threads
        self.bulk_chunk_size = bulk_chunk_size
        self.alias = queries.alias_name(prefix)
        self._version_re = re.compile(rf"^{re.escape(self.alias)}-v(\d+)$")

    @classmethod
    def from_settings(cls, settings: Settings) -> ElasticBackend:
        if not settings.es_url:
            raise ConfigError("the Elasticsearch backend needs CREDITHUB_ES_URL", setting="es_url")
        auth = None
        if settings.es_username:
            password = settings.es_password.get_secret_value() if settings.es_password else ""
            auth = (settings.es_username, password)
        # One pooled connection per concurrent bulk request, plus room for searches.
        client = Elasticsearch(settings.es_url, basic_auth=auth, request_timeout=REQUEST_TIMEOUT_S,
                               connections_per_node=max(10, settings.es_bulk_threads + 2))
        return cls(client, settings.es_index_prefix, shards=settings.es_shards, replicas=settings.es_replicas,
                   bulk_threads=settings.es_bulk_threads, bulk_chunk_size=settings.es_bulk_chunk_size)

    # ---- versions ----------------------------------------------------------------
    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NotFoundError:
            raise
        except (ApiError, TransportError) as exc:
            raise SearchBackendError(f"Elasticsearch {what} failed", alias=self.alias, reason=str(exc)) from exc

    def _live_indices(self) -> list[str]:
        try:
            response = self._call("alias lookup", self.client.indices.get_alias, name=self.alias)
        except NotFoundError:
            return []
        return sorted(response.body.keys())

    def _all_versions(self) -> list[str]:
        response = self._call(
            "index listing", self.client.indices.get, index=f"{self.alias}-v*", expand_wildcards="open,closed",
            allow_no_indices=True, ignore_unavailable=True,
        )
        return sorted((name for name in response.body if self._version_re.match(name)), key=self._number)

    def _number(self, index: str) -> int:
        m = self._version_re.match(index)
        return int(m.group(1)) if m else -1

    def live_version(self) -> str | None:
        live = self._live_indices()
        return live[-1] if live else None

    def ensure_template(self) -> None:
        body = queries.index_template(self.prefix)
        self._call("index template", self.client.indices.put_index_template, name=self.alias, **body)

    # ---- writing ---------------------------------------------------------------
    def _bulk_chunk(self, chunk: list[dict[str, Any]], refresh: str | bool) -> tuple[int, list[Any]]:
        """One bulk request (split further only past the helper's byte limit), 429s retried."""
        done, errors = 0, []
        for ok, item in helpers.streaming_bulk(
            self.client, chunk, chunk_size=len(chunk), max_retries=BULK_MAX_RETRIES,
            raise_on_error=False, raise_on_exception=True, refresh=refresh,
        ):
            op = next(iter(item.values()))
            if ok and op.get("result") != "not_found":
                done += 1
            elif not ok and op.get("status") != 404:
                errors.append(item)
        return done, errors

    def _bulk(self, actions: Iterable[dict[str, Any]], *, refresh: str | bool = False) -> tuple[int, list[Any]]:
        """Send `actions` in chunks, up to `bulk_threads` requests at once; (applied, rejected items)."""
        done, errors = 0, []

        def collect(finished: Iterable[Future[tuple[int, list[Any]]]]) -> None:
            nonlocal done
            for future in finished:
                n, errs = future.result()
                done += n
                errors.extend(errs)

        try:
            if self.bulk_threads == 1:
                for chunk in _chunks(actions, self.bulk_chunk_size):
                    n, errs = self._bulk_chunk(chunk, refresh)
                    done += n
                    errors.extend(errs)
                return done, errors
            pool = ThreadPoolExecutor(self.bulk_threads, thread_name_prefix="es-bulk")
            try:
                pending: set[Future[tuple[int, list[Any]]]] = set()
                for chunk in _chunks(actions, self.bulk_chunk_size):
                    # Bounded: at most two chunks queued per thread, however long the stream.
                    if len(pending) >= 2 * self.bulk_threads:
                        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                        collect(finished)
                    pending.add(pool.submit(self._bulk_chunk, chunk, refresh))
                collect(wait(pending).done)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)  # after an error: queued chunks are not sent
        except (ApiError, TransportError) as exc:
            raise SearchBackendError("Elasticsearch bulk request failed", alias=self.alias, reason=str(exc)) from exc
        return done, errors

    def rebuild(self, documents: Iterable[dict[str, Any]]) -> str:
        self.ensure_template()
        versions = self._all_versions()
        new = queries.index_name(self.prefix, (self._number(versions[-1]) + 1) if versions else 1)
        self._call("index creation", self.client.indices.create, index=new, settings=build_settings(self.shards))
        try:
            _, errors = self._bulk(queries.bulk_actions(new, documents))
            if errors:
                raise SearchBackendError("documents rejected while rebuilding the index", index=new,
                                         rejected=len(errors), first=str(errors[0])[:500])
            self._call("settings update", self.client.indices.put_settings, index=new,
                       settings=serve_settings(self.replicas))
            self._call("refresh", self.client.indices.refresh, index=new)
            old = self._live_indices()
            self._call("alias swap", self.client.indices.update_aliases,
                       actions=queries.alias_swap_actions(self.alias, new, old))
        except BaseException:
            with contextlib.suppress(ApiError, TransportError):  # keep the original error; cleanup() retries later
                self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        self.cleanup(keep=new)
        return new

    def cleanup(self, keep: str | None = None) -> list[str]:
        """Delete every version that is not live (old builds and orphans of failed ones)."""
        live = set(self._live_indices()) | ({keep} if keep else set())
        stale = [name for name in self._all_versions() if name not in live]
        if stale:
            self._call("index deletion", self.client.indices.delete, index=",".join(stale), ignore_unavailable=True)
        return stale

    def upsert(self, documents: Iterable[dict[str, Any]]) -> int:
        docs = list(documents)
        if not docs:
            return 0
        if self.live_version() is None:
            self.rebuild(docs)
            return len(docs)
        # refresh=wait_for: the caller reads its own writes without forcing a refresh.
        done, errors = self._bulk(queries.bulk_actions(self.alias, docs), refresh="wait_for")
        if errors:
            raise SearchBackendError("documents rejected by Elasticsearch", alias=self.alias,
                                     rejected=len(errors), first=str(errors[0])[:500])
        return done

    def delete(self, entity_ids: Sequence[str]) -> int:
        ids = [e for e in dict.fromkeys(entity_ids) if e]
        if not ids or self.live_version() is None:
            return 0
        done, errors = self._bulk(queries.delete_actions(self.alias, ids), refresh="wait_for")
        if errors:
            raise SearchBackendError("Elasticsearch refused deletions", alias=self.alias, first=str(errors[0])[:500])
        return done

    # ---- reading ---------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        plan = analyse_query(query.q)
        offset, limit = fetch_limit(plan, query)
        body = queries.search_body(plan, query, offset, limit)
        try:
            response = self._call("search", self.client.search, index=self.alias, body=body)
        except NotFoundError:
            return SearchResult(total=0, page=query.page, size=query.size, hits=[])
        hits = response.body["hits"]
        candidates = [Candidate(MatchData.from_source(h["_source"]), float(h.get("_score") or 0.0), h["_source"])
                      for h in hits["hits"]]
        return assemble(plan, query, candidates, int(hits["total"]["value"]))

    def needs_rebuild(self) -> bool:
        # Name variants are stored, not indexed (enabled: false), and ranking derives what older
        # documents lack, so documents of every DOCUMENT_VERSION so far stay searchable.
        return False

    def count(self) -> int:
        try:
            return int(self._call("count", self.client.count, index=self.alias).body["count"])
        except NotFoundError:
            return 0

    def drop_all(self) -> None:
        """Delete every version, the alias and the template (tests, decommissioning)."""
        versions = self._all_versions()
        if versions:
            self.client.indices.delete(index=",".join(versions), ignore_unavailable=True)
        try:
            self.client.indices.delete_index_template(name=self.alias)
        except NotFoundError:
            pass

    def close(self) -> None:
        self.client.close()
