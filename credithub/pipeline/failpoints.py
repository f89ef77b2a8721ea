"""Fail points: named places where the fault-injection harness (tests/faults) kills the process.

A stage calls ``fail_point("validate.promoted", index=n)`` at a boundary it must survive. When
the environment variable ``CREDITHUB_FAILPOINTS`` names that point (``validate.promoted`` or,
with an index, ``validate.promoted@3``), the process kills itself with SIGKILL there: no
``finally`` block, no ``atexit``, no flush — exactly what an operator's ``kill -9``, an OOM
kill or a power cut does. Unset (production), a fail point is one dictionary lookup.

Read from the environment, not Settings, on purpose: the harness arms one subprocess, and
the point must also fire inside forked workers and Airflow tasks that build their own Settings.
"""

from __future__ import annotations

import os
import signal

ENV = "CREDITHUB_FAILPOINTS"


def fail_point(name: str, *, index: int | None = None) -> None:
    armed = os.environ.get(ENV)
    if not armed:
        return
    wanted = {p.strip() for p in armed.split(",") if p.strip()}
    if name in wanted or (index is not None and f"{name}@{index}" in wanted):
        os.kill(os.getpid(), signal.SIGKILL)
