"""Move a generated sandbox one day forward, so incremental ("changed since") syncs have work.

Some departments publish new records and change earlier ones: the register updates company
statuses (SQL rows with a newer change time), the abnormal-operations list gains and removes
entries, tax announces and corrects arrears (API records), quality supervision drops a new
export file, transport re-assesses a rating. Ground truth and the manifest grow accordingly.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from pathlib import Path

from credithub.sandbox.build import COMPANIES_FILE, MANIFEST_FILE, TRUTH_FILE, SandboxManifest, load_manifest
from credithub.sandbox.context import GenContext
from credithub.sandbox.departments import market_regulation, quality_supervision, tax, transport
from credithub.sandbox.population import AS_OF, Company
from credithub.sandbox.words import REGION_PREFIX

ADVANCERS: dict[str, Callable[[GenContext], None]] = {
    "market_regulation": market_regulation.advance,
    "tax": tax.advance,
    "quality_supervision": quality_supervision.advance,
    "transport": transport.advance,
}


def advance(out_dir: Path) -> SandboxManifest:
    """Publish the next day's changes in the sandbox under `out_dir` (deterministic per seed and day)."""
    out_dir = Path(out_dir)
    manifest = load_manifest(out_dir)
    day = manifest.days_advanced + 1
    everyone = [
        Company.model_validate_json(line)
        for line in (out_dir / COMPANIES_FILE).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    companies = [c for c in everyone if c.city == REGION_PREFIX]
    ctx = GenContext(
        rng=random.Random(),
        companies=companies,
        out_dir=out_dir,
        fault_rate=manifest.fault_rate,
        counts={d: dict(s) for d, s in manifest.counts.items()},
        files={d: list(f) for d, f in manifest.paths.items()},
        today=AS_OF + dt.timedelta(days=day),
    )
    for department, advancer in ADVANCERS.items():
        ctx.rng = random.Random(f"{manifest.seed}:day{day}:{department}")
        advancer(ctx)
    with (out_dir / COMPANIES_FILE).open("w", encoding="utf-8") as f:
        for c in everyone:
            f.write(c.model_dump_json() + "\n")
    with (out_dir / TRUTH_FILE).open("a", encoding="utf-8") as f:
        for t in ctx.truth:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    updated = manifest.model_copy(update={"counts": ctx.counts, "paths": ctx.files, "days_advanced": day})
    (out_dir / MANIFEST_FILE).write_text(updated.model_dump_json(indent=2), encoding="utf-8")
    return updated
