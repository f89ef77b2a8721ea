"""Pairwise precision / recall / F1 of entity resolution on sandbox ground truth.

Reads every stream of every department the sandbox serves through the real connectors
(stream.read → stage → to_canonical; rows whose mapping fails are skipped, as validation
would quarantine them), resolves the records with the same matcher the pipeline stage uses,
and compares the clusters with ground_truth.jsonl.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from entity_resolution.matcher import MatcherConfig, MatchRecord, Resolver


class PairScores(BaseModel):
    scope: str
    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float


class EvalResult(BaseModel):
    overall: PairScores
    departments: list[PairScores]
    records_read: int
    records_skipped: int
    seconds_read: float
    seconds_resolve: float
    config: dict[str, float | int]


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pair_scores(
    truth: dict[str, str], predicted: dict[str, str], *, scope: str = "overall",
    member: Callable[[str], bool] | None = None,
) -> PairScores:
    """Pairwise scores over records in both maps; with `member`, only pairs touching a member record count."""
    keys = [k for k in truth if k in predicted]
    is_member = member or (lambda _k: True)
    cells: Counter[tuple[str, str]] = Counter()
    cells_m: Counter[tuple[str, str]] = Counter()
    for k in keys:
        cell = (predicted[k], truth[k])
        cells[cell] += 1
        if is_member(k):
            cells_m[cell] += 1

    def touching(total: Counter, inside: Counter) -> int:  # type: ignore[type-arg]
        # pairs with at least one member = all pairs - pairs with no member
        return sum(_pairs(n) - _pairs(n - inside.get(c, 0)) for c, n in total.items())

    pred_t: Counter[str] = Counter()
    pred_m: Counter[str] = Counter()
    true_t: Counter[str] = Counter()
    true_m: Counter[str] = Counter()
    for (p, t), n in cells.items():
        pred_t[p] += n
        true_t[t] += n
    for (p, t), n in cells_m.items():
        pred_m[p] += n
        true_m[t] += n
    tp = touching(cells, cells_m)
    pp = touching(pred_t, pred_m)
    tt = touching(true_t, true_m)
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScores(scope=scope, records=sum(cells_m.values()), true_pairs=tt, predicted_pairs=pp,
                      correct_pairs=tp, precision=precision, recall=recall, f1=f1)


def read_truth(sandbox_dir: Path) -> dict[str, str]:
    """'department/stream/source_record_id' -> company id."""
    out: dict[str, str] = {}
    with (sandbox_dir / "ground_truth.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                t = json.loads(line)
                out[f"{t['department']}/{t['stream']}/{t['source_record_id']}"] = t["company_id"]
    return out


def read_sandbox_records(
    sandbox_dir: Path, progress: Callable[[str], None] | None = None
) -> tuple[list[MatchRecord], int]:
    """Read every sandbox department through its connector; returns (records, rows skipped)."""
    from connectors.registry import load_registry
    from credithub.pipeline.resolve import record_key
    from credithub.sandbox import sources_config
    from credithub.sandbox.server import serve_sandbox

    registry = load_registry()
    records: list[MatchRecord] = []
    skipped = 0
    with serve_sandbox(sandbox_dir) as server:
        configs = sources_config(sandbox_dir, server.base_urls)
        for department, config in configs.items():
            cls = registry.get(department)
            if cls is None:
                continue
            connector = cls(config)
            for stream in connector.stream_instances():
                if progress:
                    progress(f"{department}/{stream.name}")
                for msg in stream.read(None):
                    if msg.kind != "row":
                        continue
                    try:
                        rec = stream.to_canonical(stream.stage(msg.data))
                    except Exception:  # noqa: BLE001 - validation would quarantine this row; it is not resolved
                        skipped += 1
                        continue
                    records.append(MatchRecord(
                        key=record_key(department, stream.name, rec.source_record_id),
                        name=rec.name, former_names=tuple(rec.former_names), uscc=rec.uscc, reg_no=rec.reg_no,
                        org_code=rec.org_code, tax_no=rec.tax_no, address=rec.address, legal_rep=rec.legal_rep,
                        established=rec.established.isoformat() if rec.established else None,
                        is_register=rec.is_register, department=department,
                    ))
    return records, skipped


def evaluate_records(
    records: Iterable[MatchRecord], truth: dict[str, str], config: MatcherConfig | None = None
) -> tuple[PairScores, list[PairScores], float]:
    """Resolve `records` (the stage's incremental path) and score them per department and overall."""
    started = time.perf_counter()
    resolver = Resolver(config)
    resolver.add_many(records)
    seconds = time.perf_counter() - started
    predicted = resolver.clusters()
    overall = pair_scores(truth, predicted)
    departments = sorted({k.split("/", 1)[0] for k in predicted if k in truth})
    per = [
        pair_scores(truth, predicted, scope=d, member=lambda k, d=d: k.startswith(d + "/"))  # type: ignore[misc]
        for d in departments
    ]
    return overall, per, seconds
