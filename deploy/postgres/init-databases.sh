#!/bin/bash
# First start of the postgres container: one database and owner for CreditHub, one for Airflow.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE credithub LOGIN PASSWORD '${CREDITHUB_DB_PASSWORD}';
CREATE DATABASE credithub OWNER credithub ENCODING 'UTF8';
CREATE ROLE airflow LOGIN PASSWORD '${AIRFLOW_DB_PASSWORD}';
CREATE DATABASE airflow OWNER airflow ENCODING 'UTF8';
SQL
