"""A real Airflow deployment in a temp dir for tests: api-server, scheduler, dag-processor and
N Celery workers (Redis broker, PostgreSQL metadata + result backend), each its own process
group so the test can kill everything it started, whatever state it is in.

Airflow is never imported here: every Airflow process is a subprocess with its own environment,
so this runs beside tests/dags/conftest.py (which configures an in-process SQLite Airflow).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"


def worker_hostname() -> str:
    """`[core] hostname_callable` of the test workers: two workers on one machine would otherwise
    record the same FQDN in task_instance.hostname, and the test could not tell them apart."""
    return os.environ["CELERY_STACK_WORKER_NAME"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class CeleryStack:
    home: Path
    metadata_url: str  # postgresql+psycopg://... (Airflow metadata and Celery results)
    broker_url: str  # redis://...
    hub_env: Mapping[str, str]  # CREDITHUB_* for every Airflow process (tasks build Settings())
    queue: str = field(default_factory=lambda: f"credithub_test_{secrets.token_hex(4)}")
    api_port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CREDITHUB_"))}
        return {
            **keep,
            **self.hub_env,
            "PATH": f"{BIN}:{keep.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),  # the workers import worker_hostname from this module
            "GX_ANALYTICS_ENABLED": "False",
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_url,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": self.metadata_url,
            "AIRFLOW__API_AUTH__JWT_SECRET": self._secret,
            "AIRFLOW__API__SECRET_KEY": self._secret,
            "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + self.metadata_url,
            # A queue of our own on the shared Redis: other test runs never take our tasks.
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "300",
            **extra,
        }

    def __post_init__(self) -> None:
        self._secret = secrets.token_urlsafe(24)
        (self.home / "logs").mkdir(parents=True, exist_ok=True)

    def airflow(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """One Airflow CLI command; raises with its output when it fails."""
        done = subprocess.run(
            [str(BIN / "airflow"), *args], env=self.env(), capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    def start(self, name: str, *args: str, **extra_env: str) -> None:
        log = (self.home / "logs" / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [str(BIN / "airflow"), *args],
            env=self.env(**extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() kills the children too
        )

    def start_services(self) -> None:
        self.start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(self.api_port), "--workers", "1")
        self.start("scheduler", "scheduler")
        self.start("dag-processor", "dag-processor")

    def start_worker(self, name: str, concurrency: int) -> None:
        self.start(
            name,
            "celery", "worker",
            "--celery-hostname", f"{name}@%h",
            "--concurrency", str(concurrency),
            "--queues", self.queue,
            "--skip-serve-logs",  # one log server port per machine; two workers here would clash
            AIRFLOW__CORE__HOSTNAME_CALLABLE="tests.dags.celery_stack.worker_hostname",
            CELERY_STACK_WORKER_NAME=name,
        )

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.home / "logs" / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace")[-chars:] if path.exists() else ""

    def wait_for_api(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.api}/api/v2/monitor/health", timeout=2).status_code == 200:
                    return
            time.sleep(1)
        raise TimeoutError(f"api-server not up after {timeout}s:\n{self.log_tail('api-server')}")

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.api}/api/v2{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def wait_for_dag(self, dag_id: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(httpx.HTTPStatusError):
                self.request("GET", f"/dags/{dag_id}")
                return
            time.sleep(2)
        raise TimeoutError(f"{dag_id} not parsed after {timeout}s:\n{self.log_tail('dag-processor')}")

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        run = self.request("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return str(run["dag_run_id"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        state = "queued"
        while time.monotonic() < deadline:
            self.check_alive()
            state = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in {"success", "failed"}:
                return state
            time.sleep(2)
        raise TimeoutError(f"{dag_id} run {run_id} still {state} after {timeout}s:\n{self.log_tail('scheduler')}")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        out = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
        return list(out["task_instances"])

    def stop(self) -> None:
        """SIGTERM every process group, then SIGKILL what is left after a grace period."""
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group: task processes a worker forked too
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


@contextlib.contextmanager
def running(stack: CeleryStack) -> Iterator[CeleryStack]:
    try:
        yield stack
    finally:
        stack.stop()
