"""Batch-level hold policy: a batch that departs sharply from its dataset's history waits for a steward.

Size is compared like with like: a full read with the previous full read (an incremental
batch of 12 rows after a 10,000-row initial load is normal, not a collapse).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from credithub.settings import Settings


class HoldPolicy(BaseModel):
    shrink_ratio: float = Field(0.9, description="Hold when rows <= previous * (1 - shrink_ratio).")
    max_failure_rate: float = 0.5
    failure_rate_jump: float = 0.25
    min_rows: int = 20
    history: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> HoldPolicy:
        return cls(
            shrink_ratio=settings.validation_hold_shrink_ratio,
            max_failure_rate=settings.validation_hold_max_failure_rate,
            failure_rate_jump=settings.validation_hold_failure_rate_jump,
            min_rows=settings.validation_hold_min_rows,
            history=settings.validation_hold_history,
        )


class BatchFacts(BaseModel):
    rows: int = Field(description="Rows the source delivered in this batch (fetched, before dedup).")
    full_read: bool
    evaluated: int
    failed: int = Field(description="Rows failing validation, source parse faults included.")
    batch_level_failures: int = 0

    @property
    def failure_rate(self) -> float:
        return self.failed / self.evaluated if self.evaluated else 0.0


class HistoryEntry(BaseModel):
    batch_id: int
    rows: int
    full_read: bool
    failure_rate: float
    evaluated: int


class HoldDecision(BaseModel):
    hold: bool
    reason_zh: str | None = None
    reason_en: str | None = None

    @property
    def text(self) -> str | None:
        return f"{self.reason_zh} / {self.reason_en}" if self.hold else None


def decide(policy: HoldPolicy, facts: BatchFacts, history: list[HistoryEntry]) -> HoldDecision:
    """Hold reasons, most specific first; several can apply and all are named."""
    zh: list[str] = []
    en: list[str] = []
    if facts.batch_level_failures:
        zh.append(f"整批校验规则未通过（{facts.batch_level_failures} 条）")
        en.append(f"{facts.batch_level_failures} batch-level expectation(s) failed")
    same_kind = [h for h in history if h.full_read == facts.full_read]
    if facts.full_read and same_kind:
        prev = same_kind[0]
        if prev.rows >= policy.min_rows and facts.rows <= prev.rows * (1 - policy.shrink_ratio):
            drop = 1 - facts.rows / prev.rows
            zh.append(f"本批行数 {facts.rows} 比上一次全量（批次 {prev.batch_id}，{prev.rows} 行）减少 {drop:.0%}")
            en.append(f"{facts.rows} rows, {drop:.0%} fewer than the previous full read "
                      f"(batch {prev.batch_id}, {prev.rows} rows)")
    if facts.evaluated >= policy.min_rows:
        rate = facts.failure_rate
        if rate > policy.max_failure_rate:
            zh.append(f"失败率 {rate:.1%} 超过上限 {policy.max_failure_rate:.0%}")
            en.append(f"failure rate {rate:.1%} above the limit {policy.max_failure_rate:.0%}")
        else:
            sized = [h for h in history if h.evaluated >= policy.min_rows]
            if sized:
                mean = sum(h.failure_rate for h in sized) / len(sized)
                if rate > mean + policy.failure_rate_jump:
                    zh.append(f"失败率 {rate:.1%} 远高于近 {len(sized)} 批的平均值 {mean:.1%}")
                    en.append(f"failure rate {rate:.1%} far above the mean {mean:.1%} of the last {len(sized)} batches")
    if not zh:
        return HoldDecision(hold=False)
    return HoldDecision(hold=True, reason_zh="批次暂缓发布：" + "；".join(zh), reason_en="Batch held: " + "; ".join(en))
