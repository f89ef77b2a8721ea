#!/usr/bin/env bash
# `make airflow`: Airflow 3 standalone (SQLite, one terminal) with CreditHub's DAGs, for a person
# to watch in the UI at http://127.0.0.1:${AIRFLOW_PORT:-8080}. Login: user "admin"; the password is
# printed at start-up and kept in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated.
#
# Everything stays under var/ (CREDITHUB_VAR_DIR): the hub database, the sandbox sources, the
# search index and AIRFLOW_HOME. With no CREDITHUB_SOURCES_CONFIG, the DAG tasks read the sandbox
# (generated here once; HTTP departments are served by each task for its duration).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_BIN="${ROOT}/.venv/bin"
export PATH="${VENV_BIN}:${PATH}"

export CREDITHUB_VAR_DIR="${CREDITHUB_VAR_DIR:-${ROOT}/var}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-${CREDITHUB_VAR_DIR}/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="${ROOT}/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///${AIRFLOW_HOME}/airflow.db}"
export AIRFLOW__API__PORT="${AIRFLOW_PORT:-8080}"
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
# task processes report to the api-server's execution API: keep it on the same port
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:${AIRFLOW__API__PORT}/execution/"
# SQLite hub database: a few tasks at a time
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="${AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT:-120}"
# New DAGs start unpaused so a person sees them run; pause any in the UI.
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False}"
export GX_ANALYTICS_ENABLED=False
mkdir -p "${AIRFLOW_HOME}"

# Hub schema and (sandbox mode) the sandbox sources, once, before tasks run in parallel.
python - <<'PY'
from credithub.settings import Settings
from credithub.storage.db import Database

settings = Settings()
db = Database(settings.resolved_database_url)
db.migrate()
db.dispose()
if settings.sources_config is None and not (settings.sandbox_dir / "ground_truth.jsonl").exists():
    from credithub import sandbox

    sandbox.generate(settings.sandbox_dir, settings.sandbox_companies, settings.sandbox_seed)
    print(f"sandbox generated under {settings.sandbox_dir}")
print(f"hub database ready: {settings.resolved_database_url}")
PY

# One pool slot per department (credithub/orchestration/pools.py): Airflow never schedules a task
# whose pool is missing, so create them before the scheduler starts (idempotent).
airflow db migrate >/dev/null
python -m credithub.orchestration.pools > "${AIRFLOW_HOME}/credithub-pools.json"
airflow pools import "${AIRFLOW_HOME}/credithub-pools.json"

echo "Airflow home: ${AIRFLOW_HOME}; DAGs: ${AIRFLOW__CORE__DAGS_FOLDER}"
echo "UI: http://127.0.0.1:${AIRFLOW__API__PORT}  (trigger 'credithub_pipeline' for the whole job)"
exec airflow standalone
