"""All configuration in one place, read from CREDITHUB_* environment variables (or a .env file).

Nothing else in the code reads the environment: stages receive a Settings object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDITHUB_", env_file=".env", extra="ignore")

    var_dir: Path = Field(REPO_ROOT / "var", description="Working directory for the embedded defaults.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; SQLite file under var/ when unset.")
    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    es_url: str | None = Field(None, description="Elasticsearch URL; enables the ES backend and its contract tests.")
    es_username: str | None = None
    es_password: SecretStr | None = None
    es_index_prefix: str = "credithub"
    sources_config: Path | None = Field(
        None, description="YAML/JSON file with one connector config per department; sandbox when unset."
    )
    sandbox_companies: int = Field(300, ge=10, description="Companies in the default sandbox population.")
    sandbox_seed: int = 20261128
    expectations_dir: Path = REPO_ROOT / "expectations"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    rate_limit_per_minute: int = Field(600, ge=1)
    log_json: bool = False

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


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (tests pass var_dir etc.)."""
    return Settings(**overrides)  # type: ignore[arg-type]
