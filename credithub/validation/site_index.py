"""A Data Docs index builder that keeps earlier runs' pages.

Each validation run uses a fresh ephemeral context whose stores only know that run; GX's
DefaultSiteIndexBuilder would then delete every older page from the shared site
("skip_and_clean_missing"). This builder keeps them (the steward console lists runs from
the validation_runs table) and indexes only what the current context knows, so no
"result not found" warnings pile up.
"""

from __future__ import annotations

from typing import Any

from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder


class KeepingSiteIndexBuilder(DefaultSiteIndexBuilder):
    def build(self, skip_and_clean_missing: bool = True, build_index: bool = True) -> Any:
        return super().build(skip_and_clean_missing=False, build_index=build_index)

    def _build_validation_and_profiling_result_site_keys(self, skip_and_clean_missing: bool) -> list[Any]:
        keys = super()._build_validation_and_profiling_result_site_keys(False)
        store_name = self.site_section_builders_config.get("validations", {}).get("source_store_name")
        if not store_name:
            return keys
        known = set(self.data_context.stores[store_name].list_keys())
        return [k for k in keys if k in known]
