"""Pick the search backend from settings."""

from __future__ import annotations

from credithub.search.base import SearchBackend
from credithub.settings import Settings


def open_backend(settings: Settings) -> SearchBackend:
    """Elasticsearch when configured (search_backend="elasticsearch" or an es_url), else embedded tantivy.

    Opening is cheap (no index is read and no request is sent until first use), so API
    processes may open one backend each; only the pipeline should write.
    """
    if settings.search_backend == "elasticsearch" or settings.es_url:
        from credithub.search.elastic import ElasticBackend

        return ElasticBackend.from_settings(settings)
    from credithub.search.embedded import EmbeddedBackend

    return EmbeddedBackend(settings.index_dir)
