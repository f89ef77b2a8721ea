"""All configuration in one place, read from CREDITHUB_* environment variables (or a .env file).

Nothing else in the code reads the environment: stages receive a Settings object.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CREDITHUB_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    var_dir: Path = Field(REPO_ROOT / "var", description="Working directory for the embedded defaults.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; SQLite file under var/ when unset.")
    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    es_url: str | None = Field(None, description="Elasticsearch URL; enables the ES backend and its contract tests.")
    es_username: str | None = None
    es_password: SecretStr | None = None
    es_index_prefix: str = "credithub"
    es_shards: int = Field(1, ge=1, le=1024, description="Primary shards of each new index version (fixed once created).")
    es_replicas: int = Field(1, ge=0, le=32, description="Replicas of each index version (0 on a single-node cluster).")
    es_bulk_threads: int = Field(4, ge=1, le=64, description="Concurrent bulk requests while publishing to Elasticsearch.")
    es_bulk_chunk_size: int = Field(500, ge=1, le=10_000, description="Documents per bulk request.")
    sources_config: Path | None = Field(
        None, description="YAML/JSON file with one connector config per department; sandbox when unset."
    )
    sandbox_companies: int = Field(300, ge=10, description="Companies in the default sandbox population.")
    sandbox_seed: int = 20261128
    expectations_dir: Path = REPO_ROOT / "expectations"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    rate_limit_per_minute: int = Field(600, ge=1)
    disclosure_policy_path: Path | None = Field(
        None, description="JSON file overriding the packaged default disclosure policy (publicity periods per event type)."
    )
    timezone: str = Field("Asia/Shanghai", description="Calendar used for publicity periods and 'today'.")
    log_json: bool = False
    metrics_refresh_s: float = Field(
        60.0, gt=0, description="Re-read the pipeline numbers behind /metrics at most this often (background; "
        "a scrape serves the last good read, so its cost does not grow with the tables)."
    )
    metrics_first_scrape_wait_s: float = Field(
        5.0, ge=0, description="The first scrape of a process waits this long for the first read."
    )
    sync_chunk_rows: int = Field(2000, ge=1, description="Rows landed per transaction by the sync stage.")
    validate_chunk_rows: int = Field(
        50_000, ge=1, description="Rows per suite run and per promotion transaction in the validate stage (bounds memory)."
    )
    lock_wait_seconds: float = Field(
        6 * 3600, ge=0, description="How long a pipeline stage waits for another run holding its lock before it gives up."
    )

    # Where HTTP department sources live, as JSON {"tax": "http://host:port", ...}. When set, the
    # Airflow tasks use these instead of starting the sandbox servers themselves (orchestration).
    source_base_urls: dict[str, str] | None = None

    # Airflow task policy (orchestration); read by the DAG files so no DAG code holds numbers.
    airflow_retries: int = Field(3, ge=0)
    airflow_retry_delay: dt.timedelta = Field(dt.timedelta(seconds=60), description="First retry delay; doubles.")
    airflow_max_retry_delay: dt.timedelta = dt.timedelta(minutes=30)
    airflow_task_timeout: dt.timedelta = dt.timedelta(hours=2)
    airflow_start_date: dt.date = dt.date(2026, 1, 1)
    airflow_deadline_alerts: bool = Field(
        True, description="Freshness-SLA DeadlineAlert on ingest DAGs (off under dag.test(): Airflow 3.3.2 bug)."
    )
    airflow_partitions: int = Field(
        4, ge=1, le=256, description="Default number of entity hash partitions the profiles stage fans out into "
        "(mapped tasks on the Celery workers); the DAG param `partitions` overrides it per run."
    )

    # Department scorecard (credithub/scorecard). Thresholds are policy: keep them configurable.
    scorecard_warning_fraction: float = Field(0.8, gt=0, lt=1, description="Warn when this share of an SLA has elapsed.")
    scorecard_window: dt.timedelta = Field(dt.timedelta(days=7), description="Window for the validation failure rate.")
    scorecard_failure_rate_warning: float = Field(0.10, ge=0, le=1)
    scorecard_failure_rate_yellow: float = Field(0.20, ge=0, le=1)
    scorecard_min_rows: int = Field(20, ge=1, description="Fewer validated rows in the window: no failure-rate card.")
    scorecard_backlog_age_yellow: dt.timedelta = dt.timedelta(days=3)
    scorecard_backlog_count_yellow: int = Field(500, ge=1)
    scorecard_red_after: dt.timedelta = Field(dt.timedelta(days=2), description="A yellow card open this long turns red.")
    scorecard_notify: list[Literal["email", "webhook"]] = Field(default_factory=list)
    scorecard_notify_min_level: Literal["warning", "yellow", "red"] = "yellow"
    scorecard_webhook_url: str | None = None
    scorecard_smtp_host: str = "127.0.0.1"
    scorecard_smtp_port: int = 25
    scorecard_smtp_username: str | None = None
    scorecard_smtp_password: SecretStr | None = None
    scorecard_mail_from: str = "credithub@localhost"
    scorecard_mail_to: list[str] = Field(default_factory=list)

    # Validation (credithub/validation, credithub/pipeline/validate.py): batch hold policy and Data Docs.
    validation_hold_shrink_ratio: float = Field(
        0.9, gt=0, le=1, description="Hold a full read with this share fewer rows than the previous full read."
    )
    validation_hold_max_failure_rate: float = Field(0.5, gt=0, le=1, description="Hold above this failure rate.")
    validation_hold_failure_rate_jump: float = Field(
        0.25, gt=0, le=1, description="Hold when the failure rate exceeds the recent history's mean by this much."
    )
    validation_hold_min_rows: int = Field(20, ge=1, description="Smaller batches are never held (too noisy).")
    validation_hold_history: int = Field(5, ge=1, description="Previous validation runs the policy compares with.")
    validation_build_datadocs: bool = Field(True, description="Build GX Data Docs for every validation run.")
    validation_datadocs_max_rows: int = Field(
        200_000, ge=0, description="Skip Data Docs for batches larger than this (rendering cost)."
    )
    validation_workers: int = Field(
        1, ge=1, description="Processes for batches >= 200k rows (hash partitions by record key); 1 = one process."
    )
    steward_token_secret: SecretStr | None = Field(
        None, description="Server secret (pepper) for steward token hashes; HMAC-SHA256 when set."
    )

    # Web edge (api/limits.py, api/clientip.py, api/server.py; threat model in docs/security.md).
    max_request_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body accepted (413 above); the batch endpoints need < 1 MiB."
    )
    request_body_limits: dict[str, Annotated[int, Field(ge=1024)]] = Field(
        default_factory=dict, description='Larger limits per path prefix, e.g. {"/api/v1/uploads": 52428800}.'
    )
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies (IPs or networks, comma-separated) whose X-Forwarded-For is believed; "
        "empty: forwarded headers are ignored and the TCP peer is the client.",
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="Public URL of the site; absolute links are built from it, never from Host."
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        return [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value

    @field_validator("public_base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError("public_base_url must be an absolute http(s) URL without query, e.g. https://credit.example.gov.cn")
        return value.rstrip("/")

    # Steward console security (credithub/stewardship, api/steward): token expiry, console sessions,
    # the origin state-changing console requests must come from, and the two-steward rule.
    steward_token_days: int = Field(
        90, ge=1, le=3650, description="Default lifetime of a new steward token (`stewards add --expires-days`)."
    )
    steward_session_idle_timeout: dt.timedelta = Field(
        dt.timedelta(minutes=30), description="A console session unused this long is over."
    )
    steward_session_absolute_timeout: dt.timedelta = Field(
        dt.timedelta(hours=12), description="A console session is over this long after sign-in, used or not."
    )
    steward_public_origin: str | None = Field(
        None, description="Origin of the console as browsers see it (scheme://host[:port]); "
        "default http://{api_host}:{api_port}. Console posts from any other origin get 403."
    )
    steward_two_person_approval: bool = Field(
        True, description="A steward's fix of an identity field waits for a second steward's approval."
    )
    steward_identity_fields: list[str] = Field(
        default_factory=lambda: ["name", "uscc", "org_code", "reg_no", "tax_no", "taxpayer_id", "legal_rep",
                                 "legal_rep_id_no"],
        description="Fields whose steward edits need a second steward's approval.",
    )

    @field_validator("var_dir", "expectations_dir", "sources_config", "disclosure_policy_path")
    @classmethod
    def _pin_relative_paths(cls, value: Path | None) -> Path | None:
        # Resolved once, against the directory the process started in, rather than refused:
        # `CREDITHUB_VAR_DIR=var2 credithub run` means ./var2 to whoever typed it, while the
        # stages hand these paths to code that rejects relative paths (GX's data context) or
        # runs in another working directory (sandbox servers, Airflow workers).
        return value.expanduser().absolute() if value is not None else None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'credithub.db'}"

    @property
    def index_dir(self) -> Path:
        return self.var_dir / "index"

    @property
    def sandbox_dir(self) -> Path:
        return self.var_dir / "sandbox"

    @property
    def datadocs_dir(self) -> Path:
        return self.var_dir / "datadocs"

    @property
    def resolved_steward_origin(self) -> str:
        if self.steward_public_origin:
            return self.steward_public_origin.rstrip("/")
        return f"http://{self.api_host}:{self.api_port}"


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (tests pass var_dir etc.)."""
    return Settings(**overrides)  # type: ignore[arg-type]
