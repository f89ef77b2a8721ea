"""The acceptance suite passes good connectors and catches bad ones."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from connectors.acceptance import CHECKS, make_acceptance_test, run_acceptance
from connectors.sdk import (
    CheckResult,
    DeclarativeConnector,
    HttpEndpoint,
    HttpJsonStream,
    HttpSourceConfig,
    Message,
    SqlSourceConfig,
    SqlStream,
)
from credithub.domain import CanonicalRecord
from tests.connectors.fake_api import FakeApi
from tests.connectors.sample_connectors import QualityChecks, SpotChecks, write_checks


def sample_source(directory: Path) -> dict[str, Any]:
    write_checks(directory, 3, 20)
    return {"directory": str(directory), "encoding": "gbk"}


# One pytest case per check, exactly as a connector package would use it.
test_sample_connector_acceptance = make_acceptance_test(QualityChecks, sample_source)


def outcome(report: Any, name: str) -> Any:
    return next(o for o in report.outcomes if o.name == name)


def test_full_report_passes_for_a_good_connector(tmp_path: Path) -> None:
    report = run_acceptance(QualityChecks, sample_source(tmp_path / "src"), work_dir=tmp_path / "work")
    assert [o.name for o in report.outcomes] == list(CHECKS)
    report.assert_ok()
    assert "60 rows" in outcome(report, "read").detail
    assert "injected" in outcome(report, "bad_rows").detail


class DuplicateIds(SpotChecks):
    def record_id(self, data: Mapping[str, Any]) -> Any:
        return "same"


class BadDeclaration(SpotChecks):
    primary_key = "no_such_field"
    identifier_fields: ClassVar = {"org_code": "passport"}


class LeakyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    directory: Path
    encoding: str = "auto"
    api_token: str = "t0ken-value-123"  # a secret typed as a plain string


class Leaky(QualityChecks):
    name = "leaky"
    config_model = LeakyConfig

    def check(self) -> CheckResult:
        return CheckResult(ok=True, message=f"using token {self.config.api_token}")


class NeverChecks(QualityChecks):
    name = "never_checks"

    def check(self) -> CheckResult:
        return CheckResult(ok=True, message="fine")


def test_the_suite_catches_broken_connectors(tmp_path: Path) -> None:
    cfg = sample_source(tmp_path / "src")

    class Dups(QualityChecks):
        streams = (DuplicateIds,)

    class Decl(QualityChecks):
        streams = (BadDeclaration,)

    rep = run_acceptance(Dups, cfg, work_dir=tmp_path / "w1", only=["read"])
    assert not rep.ok and "primary key not unique" in rep.outcomes[0].detail
    rep = run_acceptance(Decl, cfg, work_dir=tmp_path / "w2", only=["declaration"])
    assert "no_such_field" in rep.outcomes[0].detail and "passport" in rep.outcomes[0].detail
    rep = run_acceptance(NeverChecks, cfg, work_dir=tmp_path / "w3", only=["check_broken"])
    assert not rep.ok and "passed on a broken source" in rep.outcomes[0].detail


def test_the_suite_catches_unmarked_and_leaked_secrets(tmp_path: Path) -> None:
    cfg = sample_source(tmp_path / "src")
    rep = run_acceptance(Leaky, cfg, work_dir=tmp_path / "w", only=["spec"])
    assert not rep.ok and "api_token" in rep.outcomes[0].detail

    class LeakyHttp(DeclarativeConnector):
        name = "leaky_http"
        title = "泄密"
        config_model = HttpSourceConfig
        streams = ()

        def check(self) -> CheckResult:
            return CheckResult(ok=True, message=self.config.api_key.get_secret_value())

    rep = run_acceptance(
        LeakyHttp, {"base_url": "http://127.0.0.1:9/", "api_key": "k-123456"}, work_dir=tmp_path / "w4", only=["check_ok", "no_secrets"]
    )
    assert outcome(rep, "no_secrets").ok is False


def test_bad_config_must_name_the_field(tmp_path: Path) -> None:
    rep = run_acceptance(
        QualityChecks, sample_source(tmp_path / "src"), bad_configs=[{"directory": 5, "encoding": "latin-9"}],
        work_dir=tmp_path / "w", only=["bad_config"],
    )
    assert rep.ok and "3 invalid configs" in rep.outcomes[0].detail


class Ratings(HttpJsonStream):
    name = "tax_ratings"
    title = "纳税信用评级"
    fields: ClassVar = {"record_id": "record_id", "taxpayer_id": "taxpayer_id", "name": "name", "rating": "rating", "updated_at": "updated_at"}
    identifier_fields: ClassVar = {"taxpayer_id": "tax_no"}
    primary_key = "record_id"
    cursor_field = "updated_at"
    endpoint = HttpEndpoint(path="/page", paging="page", since_param="updated_since", sorted_by_cursor=True)

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        return CanonicalRecord(
            department=self.connector.name, dataset=self.name, source_record_id=staged["record_id"],
            name=staged["name"], tax_no=staged["taxpayer_id"],
        )


class Tax(DeclarativeConnector):
    name = "tax_demo"
    title = "税务局（示例）"
    config_model = HttpSourceConfig
    streams = (Ratings,)


def test_http_connector_passes_with_bad_rows_injected_by_a_proxy(fake_api: FakeApi, tmp_path: Path) -> None:
    good = {"base_url": fake_api.base_url, "api_key": fake_api.api_key, "page_size": 10, "backoff_s": 0, "max_retries": 1}
    report = run_acceptance(Tax, good, work_dir=tmp_path / "w")
    report.assert_ok()
    # The API is read through a proxy that corrupts one record of the first page.
    assert outcome(report, "bad_rows").detail.startswith("injected: 1 new faults")
    assert "1 secret(s)" in outcome(report, "no_secrets").detail
    fake_api.always["page=2"] = "malformed"
    rep = run_acceptance(Tax, good, bad_rows_config=good, work_dir=tmp_path / "w2", only=["bad_rows"])
    assert not rep.ok  # the same faults as the good source: nothing new was reported


class Register(SqlStream):
    name = "register"
    title = "企业登记"
    table = "qy_djxx"
    fields: ClassVar = {"record_id": "record_id", "uscc": "uscc", "name": "name", "updated_at": "updated_at"}
    identifier_fields: ClassVar = {"uscc": "uscc"}
    primary_key = "record_id"
    cursor_field = "updated_at"
    pk_column = "id"

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        return CanonicalRecord(department=self.connector.name, dataset=self.name, source_record_id=staged["record_id"], name=staged["name"], uscc=staged["uscc"], is_register=True)


class Market(DeclarativeConnector):
    name = "market_demo"
    title = "市场监督管理局（示例）"
    config_model = SqlSourceConfig
    streams = (Register,)


def test_sql_connector_passes_with_injected_bad_row(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "qy.db"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE qy_djxx (id INTEGER PRIMARY KEY, record_id TEXT, uscc TEXT, name TEXT, updated_at TEXT)")
        c.executemany(
            "INSERT INTO qy_djxx VALUES (?,?,?,?,?)",
            [(i, f"R{i}", f"9144030000000000{i:02d}", f"公司{i}", f"2026-01-{1 + i // 5:02d}") for i in range(1, 30)],
        )
    report = run_acceptance(Market, {"url": f"sqlite:///{db}", "checkpoint_every": 7}, work_dir=tmp_path / "w")
    report.assert_ok()
    assert "injected: 1 new faults" in outcome(report, "bad_rows").detail


def _unused(_: Iterator[Message]) -> None:  # keeps Message imported for type readers
    return None


def test_expectation_suite_columns_must_be_staged_fields(tmp_path: Path) -> None:
    rep = run_acceptance(QualityChecks, sample_source(tmp_path / "src"), work_dir=tmp_path / "w", only=["expectations"])
    assert rep.outcomes[0].skipped and "quality_checks_demo.spot_checks.json" in rep.outcomes[0].detail
    from credithub.settings import REPO_ROOT

    class QS(QualityChecks):
        name = "quality_supervision"  # the real suite names 'issue' and 'updated_at', which the sample lacks

    class NoIssue(SpotChecks):
        fields: ClassVar = {k: v for k, v in SpotChecks.fields.items() if v != "product"}

    class QSNoProduct(QS):
        streams = (NoIssue,)

    assert (REPO_ROOT / "expectations" / "quality_supervision.spot_checks.json").exists()
    rep = run_acceptance(QSNoProduct, sample_source(tmp_path / "src2"), work_dir=tmp_path / "w2", only=["expectations"])
    assert not rep.ok and "product" in rep.outcomes[0].detail


def test_a_secret_in_a_log_line_is_caught(tmp_path: Path) -> None:
    import logging

    class LogsKey(DeclarativeConnector):
        name = "logs_key"
        title = "日志泄密"
        config_model = HttpSourceConfig
        streams = ()

        def check(self) -> CheckResult:
            logging.getLogger("some.library").debug("connecting with key %s", self.config.api_key.get_secret_value())
            return CheckResult(ok=True, message="ok")

    cfg = {"base_url": "http://127.0.0.1:9/", "api_key": "k-abcdef"}
    rep = run_acceptance(LogsKey, cfg, work_dir=tmp_path, only=["check_ok", "no_secrets"])
    assert outcome(rep, "check_ok").ok and not outcome(rep, "no_secrets").ok
    rep = run_acceptance(LogsKey, cfg, work_dir=tmp_path / "x", only=["no_secrets"])
    assert not rep.ok  # alone, the check runs the others to produce output first
