"""Move a generated sandbox one day forward, so incremental ("changed since") syncs have work.

Some departments publish new records and change earlier ones: the register updates company
statuses (SQL rows with a newer change time), the abnormal-operations list gains and removes
entries, tax announces and corrects arrears (API records), quality supervision drops a new
export file, transport re-assesses a rating. Ground truth and the manifest grow accordingly.
Optionally a given share of all records also changes in place (`change_share`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

from credithub.errors import ConfigError
from credithub.sandbox.build import COMPANIES_FILE, MANIFEST_FILE, TRUTH_FILE, SandboxManifest, load_manifest
from credithub.sandbox.changes import change_records
from credithub.sandbox.context import GenContext
from credithub.sandbox.departments import market_regulation, quality_supervision, tax, transport
from credithub.sandbox.population import AS_OF
from credithub.sandbox.store import CompanyFile, Population

ADVANCERS: dict[str, Callable[[GenContext], None]] = {
    "market_regulation": market_regulation.advance,
    "tax": tax.advance,
    "quality_supervision": quality_supervision.advance,
    "transport": transport.advance,
}


def advance(out_dir: Path, *, change_share: float = 0.0) -> SandboxManifest:
    """Publish the next day's changes in the sandbox under `out_dir` (deterministic per seed and day).

    With `change_share` > 0, that share of all records also gets a new version that day (see
    changes.py): the "1 % of records changed" day of an incremental benchmark.
    """
    if not 0 <= change_share <= 1:
        raise ConfigError("change share must be between 0 and 1", field="change_share", value=change_share)
    out_dir = Path(out_dir)
    manifest = load_manifest(out_dir)
    day = manifest.days_advanced + 1
    companies_path = out_dir / COMPANIES_FILE
    # The population stays on disk; only the companies a day changes are held (and written back).
    everyone = CompanyFile.scan(companies_path)
    # The register's companies come first in the file, the few outside companies after them.
    companies = Population(everyone, 0, manifest.companies)
    with (out_dir / TRUTH_FILE).open("a", encoding="utf-8") as truth:
        ctx = GenContext(
            rng=random.Random(),
            companies=companies,
            out_dir=out_dir,
            fault_rate=manifest.fault_rate,
            counts={d: dict(s) for d, s in manifest.counts.items()},
            files={d: list(f) for d, f in manifest.paths.items()},
            today=AS_OF + dt.timedelta(days=day),
            truth=truth,
        )
        for department, advancer in ADVANCERS.items():
            ctx.rng = random.Random(f"{manifest.seed}:day{day}:{department}")
            advancer(ctx)
        changed: dict[str, dict[str, int]] = {}
        if change_share > 0:
            ctx.rng = random.Random(f"{manifest.seed}:day{day}:changes")
            changed = change_records(ctx, change_share).changed
    everyone.close()
    if everyone.changed:
        tmp = companies_path.with_name(companies_path.name + ".tmp")
        everyone.write_to(tmp)
        tmp.replace(companies_path)
    updated = manifest.model_copy(
        update={"counts": ctx.counts, "paths": ctx.files, "days_advanced": day, "last_changed": changed}
    )
    (out_dir / MANIFEST_FILE).write_text(updated.model_dump_json(indent=2), encoding="utf-8")
    return updated
