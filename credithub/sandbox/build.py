"""Write a whole sandbox: one population, 17 department sources, and the ground truth."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from credithub.errors import ConfigError
from credithub.sandbox.context import GenContext
from credithub.sandbox.departments import WRITERS
from credithub.sandbox.population import build_outsiders, build_population
from credithub.sandbox.store import Population

ProgressFn = Callable[[str], None]

MANIFEST_FILE = "manifest.json"
TRUTH_FILE = "ground_truth.jsonl"
COMPANIES_FILE = "companies.jsonl"


class SandboxManifest(BaseModel):
    out_dir: Path
    seed: int
    companies: int
    fault_rate: float
    paths: dict[str, list[str]] = Field(description="department -> files relative to out_dir")
    counts: dict[str, dict[str, int]] = Field(description="department -> stream -> records written")
    api_keys: dict[str, str] = Field(default_factory=dict, description="department -> API key its server demands")
    days_advanced: int = Field(0, description="Days `advance` has moved the sandbox past its generation day.")
    basic_auth: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="department -> {username, password} its server demands"
    )
    last_changed: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="department -> stream -> existing records the last `advance` gave a new version (change_share)",
    )

    def total(self) -> int:
        return sum(sum(s.values()) for s in self.counts.values())


def generate(
    out_dir: Path, companies: int, seed: int, *, fault_rate: float = 0.04, progress: ProgressFn | None = None
) -> SandboxManifest:
    """Generate the sandbox under `out_dir`; the same seed and size always give the same data."""
    if companies < 10:
        raise ConfigError("a sandbox needs at least 10 companies", field="companies", value=companies)
    if not 0 <= fault_rate <= 0.5:
        raise ConfigError("fault rate must be between 0 and 0.5", field="fault_rate", value=fault_rate)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Files of an earlier sandbox here (other size, or days advanced) would be read as new drops.
    for department in WRITERS:
        if (out_dir / department).is_dir():
            shutil.rmtree(out_dir / department)
    (out_dir / TRUTH_FILE).unlink(missing_ok=True)
    rng = random.Random(seed)
    # The population lives in companies.jsonl (streamed, then read back as departments need it),
    # and ground truth is streamed as records are written: memory stays flat at any size.
    companies_file = build_population(rng, companies, out_dir / COMPANIES_FILE)
    population = Population(companies_file)
    outsiders = build_outsiders(random.Random(f"{seed}:outsiders"), population, max(2, companies // 40))
    if progress:
        progress("population")
    truth_part = out_dir / (TRUTH_FILE + ".part")
    try:
        with truth_part.open("w", encoding="utf-8", buffering=1 << 20) as truth:
            ctx = GenContext(
                rng=rng, companies=population, out_dir=out_dir, fault_rate=fault_rate, outsiders=outsiders, truth=truth
            )
            api_keys = {"tax": f"sbx-{rng.getrandbits(64):016x}"}
            basic_auth = {
                "housing_provident_fund": {"username": "gjj_credithub", "password": f"{rng.getrandbits(48):012x}"}
            }
            for department, writer in WRITERS.items():
                # Each department draws from its own random stream, so adding one never reshuffles the others.
                ctx.rng = random.Random(f"{seed}:{department}")
                writer(ctx)
                if progress:
                    progress(department)
    finally:
        companies_file.close()
    # Renamed last: a run finding ground_truth.jsonl takes the sandbox as complete.
    truth_part.replace(out_dir / TRUTH_FILE)
    manifest = SandboxManifest(
        out_dir=out_dir,
        seed=seed,
        companies=companies,
        fault_rate=fault_rate,
        paths=ctx.files,
        counts=ctx.counts,
        api_keys=api_keys,
        basic_auth=basic_auth,
    )
    (out_dir / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    return manifest


def load_manifest(out_dir: Path) -> SandboxManifest:
    path = Path(out_dir) / MANIFEST_FILE
    if not path.exists():
        raise ConfigError("no sandbox here: run `credithub sandbox generate` first", file=str(path))
    return SandboxManifest.model_validate_json(path.read_text(encoding="utf-8"))
