"""Small declarative connectors over the shared transports, used by the sync/acceptance tests."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from connectors.sdk import CsvFileStream, DeclarativeConnector, FileDropConfig, Message
from connectors.sdk.parsing import clean_identifier, parse_date
from credithub.domain import CanonicalRecord, CreditEvent

HEADER = "抽查编号,企业名称,组织机构代码,产品,抽查日期,结果,更新时间\n"


def write_checks(directory: Path, files: int, rows_per_file: int, encoding: str = "gbk") -> int:
    directory.mkdir(parents=True, exist_ok=True)
    n = 0
    for f in range(files):
        lines = [HEADER]
        for r in range(rows_per_file):
            n += 1
            lines.append(
                f"C{n:06d},深圳市测试{n}有限公司,{10000000 + n}-X,电线,2026-01-{1 + n % 28:02d},"
                f"{'合格' if n % 7 else '不合格'},2026-02-01T00:00:00\n"
            )
        (directory / f"spotchecks_{f:03d}.csv").write_bytes("".join(lines).encode(encoding))
    return n


class SpotChecks(CsvFileStream):
    name = "spot_checks"
    title = "产品质量监督抽查"
    pattern = "spotchecks_*.csv"
    fields: ClassVar = {
        "抽查编号": "record_id",
        "企业名称": "name",
        "组织机构代码": "org_code",
        "产品": "product",
        "抽查日期": "check_date",
        "结果": "result",
        "更新时间": "updated_at",
    }
    required_columns = ("抽查编号", "企业名称")
    identifier_fields: ClassVar = {"org_code": "org_code"}
    primary_key = "record_id"
    cursor_field = "updated_at"

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        date = parse_date(staged["check_date"])
        assert date is not None
        failed = staged["result"] == "不合格"
        return CanonicalRecord(
            department=self.connector.name,
            dataset=self.name,
            source_record_id=str(staged["record_id"]),
            name=staged["name"],
            org_code=clean_identifier(staged["org_code"]),
            events=[
                CreditEvent(
                    event_type="spot_check",
                    date=date,
                    title=f"产品抽查{staged['result']}：{staged['product']}",
                    severity="general" if failed else "neutral",
                    attributes={"product": staged["product"], "result": staged["result"]},
                )
            ],
        )


class QualityChecks(DeclarativeConnector):
    name = "quality_checks_demo"
    title = "质量监督抽查（示例）"
    config_model = FileDropConfig
    streams = (SpotChecks,)
    schedule = "0 2 * * *"


class SlowSpotChecks(SpotChecks):
    """Pauses after each file so a test can kill the process mid-sync."""

    def read(self, state: Mapping[str, Any] | None) -> Iterator[Message]:
        for msg in super().read(state):
            yield msg
            if msg.kind == "state":
                time.sleep(0.15)


class SlowQualityChecks(QualityChecks):
    streams = (SlowSpotChecks,)
