"""`credithub run`, unchanged, with a clock on its stages: used by run_e2e.py as the measured process.

    CREDITHUB_STAGE_CLOCK=stages.json .venv/bin/python -m bench.e2e.timed_run run --report-json report.json

The main job reports progress with one message per step ("sync tax", "resolve", "profiles",
"publish"). This wrapper times the gaps between those messages and writes them, grouped by the
first word, to the file named by CREDITHUB_STAGE_CLOCK when the process ends. Everything else is
the real CLI: same command line, same code path, same exit code. It wraps the progress callback
rather than changing the pipeline, which is being rewritten while these benchmarks are taken.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import credithub.pipeline.run as pipeline_run
from credithub.cli.main import main


class StageClock:
    """Seconds per stage, from the moments the progress messages change."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.current = "startup"  # migrations, sandbox servers: everything before the first message
        self.since = self.started
        self.seconds: dict[str, float] = {}
        self.steps: list[tuple[str, float]] = []

    def step(self, message: str) -> None:
        now = time.perf_counter()
        stage = message.split(" ", 1)[0] if message else "unnamed"
        self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.since
        self.steps.append((message, round(now - self.started, 3)))
        self.current, self.since = stage, now

    def finish(self) -> dict[str, Any]:
        self.step("end")
        self.seconds.pop("end", None)
        return {
            "stage_seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "steps": self.steps,
            "total_seconds": round(time.perf_counter() - self.started, 3),
        }


def _install(out: Path) -> None:
    clock = StageClock()
    original: Callable[..., Any] = pipeline_run.run_pipeline

    @functools.wraps(original)
    def timed(*args: Any, progress: Callable[[str], None] | None = None, **kwargs: Any) -> Any:
        def both(message: str) -> None:
            clock.step(message)
            if progress is not None:
                progress(message)

        return original(*args, progress=both, **kwargs)

    pipeline_run.run_pipeline = timed  # the CLI imports it from the module when the command runs
    import credithub.cli.main as cli_main

    if hasattr(cli_main, "run_pipeline"):  # in case the CLI ever imports it at module level
        cli_main.run_pipeline = timed
    atexit.register(lambda: out.write_text(json.dumps(clock.finish(), indent=2), encoding="utf-8"))


if __name__ == "__main__":
    target = os.environ.get("CREDITHUB_STAGE_CLOCK")
    if target:
        _install(Path(target))
    sys.argv[0] = "credithub"
    main()
