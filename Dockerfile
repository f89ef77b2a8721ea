# CreditHub images: `api` (FastAPI app) and `airflow` (Airflow 3 with the CreditHub DAGs).
# Both install this project (editable, so expectations/ and dags/ resolve next to the code).
#   docker build --target api -t credithub-api .
#   docker build --target airflow -t credithub-airflow .

FROM python:3.11-slim-bookworm AS base
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GX_ANALYTICS_ENABLED=False
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 50000 --gid 0 --create-home --home-dir /home/credithub credithub \
 && mkdir -p /opt/credithub /opt/airflow /var/lib/credithub \
 && chown -R 50000:0 /opt/airflow /var/lib/credithub
WORKDIR /opt/credithub
# Dependencies first (cached while only the code changes).
COPY pyproject.toml README.md ./
RUN mkdir -p credithub connectors entity_resolution api \
 && touch credithub/__init__.py connectors/__init__.py entity_resolution/__init__.py api/__init__.py \
 && pip install -e . \
 && rm -rf credithub connectors entity_resolution api
COPY credithub ./credithub
COPY connectors ./connectors
COPY entity_resolution ./entity_resolution
COPY api ./api
COPY expectations ./expectations
COPY dags ./dags
RUN pip install --no-deps -e . && python -c "import credithub, connectors.registry, api.app"
ENV CREDITHUB_VAR_DIR=/var/lib/credithub
USER 50000
ENTRYPOINT ["/usr/bin/tini", "--"]

FROM base AS api
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s CMD curl -fsS http://localhost:8000/healthz || exit 1
CMD ["bash", "-c", "credithub migrate && credithub serve --host 0.0.0.0 --port 8000"]

FROM base AS airflow
ENV AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/credithub/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
EXPOSE 8080
CMD ["airflow", "api-server", "--port", "8080"]
