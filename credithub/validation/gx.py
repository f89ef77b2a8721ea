"""The one place that imports great-expectations and builds its (ephemeral) context.

Order matters: GX's docs decorators log ~210 INFO lines at import unless its logger is
quietened first, and analytics must be off before the module loads.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from types import ModuleType
from typing import Any

_DOCS_SITE = "local"


def import_gx() -> ModuleType:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    import great_expectations as gx
    import tqdm

    # GX's progress bars start tqdm's monitor thread; a live extra thread makes forking the
    # validation workers unsafe (credithub.validation.parallel refuses to), and we never show them.
    tqdm.tqdm.monitor_interval = 0

    # Custom expectation types must be registered before any suite is read from JSON.
    import credithub.validation.custom_expectations  # noqa: F401

    return gx


def new_context(datadocs_dir: Path | None = None) -> Any:
    """A fresh in-memory context (names are unique per context, so one per run).

    With `datadocs_dir`, a filesystem Data Docs site named "local" is attached.
    """
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if datadocs_dir is not None:
        datadocs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name=_DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(datadocs_dir)},
                "site_index_builder": {"class_name": "KeepingSiteIndexBuilder",
                                       "module_name": "credithub.validation.site_index"},
            },
        )
    return context


DOCS_SITE = _DOCS_SITE
