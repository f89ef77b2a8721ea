"""Elasticsearch backend (production): versioned indices behind one alias.

    {prefix}-profiles          alias every reader and incremental writer uses
    {prefix}-profiles-v{n}     one index per full build, settings/mappings from the index template

A rebuild bulk-loads a new version with the client's streaming helper, refreshes it,
then moves the alias in one atomic POST _aliases (remove old + add new) and deletes
the old and any orphaned versions (failed builds), so searches never see a gap.
Request bodies come from credithub.search.queries (pure functions, tested as JSON).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers

from credithub.errors import ConfigError, SearchBackendError
from credithub.search import queries
from credithub.search.analysis import analyse_query
from credithub.search.base import SearchQuery, SearchResult
from credithub.search.ranking import Candidate, MatchData, assemble, fetch_limit
from credithub.settings import Settings

BULK_CHUNK_SIZE = 500
BULK_MAX_RETRIES = 3  # 429 back-pressure is retried by the helper with exponential backoff
# Indexing is faster without periodic refreshes; the build refreshes once before the swap.
BUILD_SETTINGS = {"index": {"refresh_interval": "-1"}}
SERVE_SETTINGS = {"index": {"refresh_interval": "1s"}}
REQUEST_TIMEOUT_S = 30


class ElasticBackend:
    """SearchBackend on an Elasticsearch 9 cluster. Cheap to construct (no request until used)."""

    def __init__(self, client: Elasticsearch, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
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
        client = Elasticsearch(settings.es_url, basic_auth=auth, request_timeout=REQUEST_TIMEOUT_S)
        return cls(client, settings.es_index_prefix)

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
    def _bulk(self, actions: Iterable[dict[str, Any]], *, refresh: str | bool = False) -> tuple[int, list[Any]]:
        done, errors = 0, []
        try:
            for ok, item in helpers.streaming_bulk(
                self.client, actions, chunk_size=BULK_CHUNK_SIZE, max_retries=BULK_MAX_RETRIES,
                raise_on_error=False, raise_on_exception=True, refresh=refresh,
            ):
                op = next(iter(item.values()))
                if ok and op.get("result") != "not_found":
                    done += 1
                elif not ok and op.get("status") != 404:
                    errors.append(item)
        except (ApiError, TransportError) as exc:
            raise SearchBackendError("Elasticsearch bulk request failed", alias=self.alias, reason=str(exc)) from exc
        return done, errors

    def rebuild(self, documents: Iterable[dict[str, Any]]) -> str:
        self.ensure_template()
        versions = self._all_versions()
        new = queries.index_name(self.prefix, (self._number(versions[-1]) + 1) if versions else 1)
        self._call("index creation", self.client.indices.create, index=new, settings=BUILD_SETTINGS)
        try:
            _, errors = self._bulk(queries.bulk_actions(new, documents))
            if errors:
                raise SearchBackendError("documents rejected while rebuilding the index", index=new,
                                         rejected=len(errors), first=str(errors[0])[:500])
            self._call("settings update", self.client.indices.put_settings, index=new, settings=SERVE_SETTINGS)
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
