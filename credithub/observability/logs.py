"""Structured JSON logs with the batch and department on every line.

`log_context(batch=..., department=...)` binds fields in a contextvar for the code inside it
(threads and asyncio tasks each see their own); a filter copies them onto every record, so
library log lines (SQLAlchemy, httpx, Airflow) carry them too.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

_CONTEXT: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("credithub_log_context", default={})
ALWAYS = ("batch", "department")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


@contextmanager
def log_context(**fields: Any) -> Iterator[Mapping[str, Any]]:
    """Bind fields (e.g. batch=12, department="tax", stage="validate") for every log line inside.

    Also binds them as structlog contextvars: Airflow 3 task logs merge those into every line
    (stdlib lines included), so task logs carry batch and department too.
    """
    given = {k: v for k, v in fields.items() if v is not None}
    merged = {**_CONTEXT.get(), **given}
    token = _CONTEXT.set(merged)
    try:
        with _structlog_bound(given):
            yield merged
    finally:
        _CONTEXT.reset(token)


@contextmanager
def _structlog_bound(fields: Mapping[str, Any]) -> Iterator[None]:
    try:
        from structlog.contextvars import bound_contextvars
    except ImportError:  # structlog comes with Airflow; the API image may not need it
        yield
        return
    with bound_contextvars(**fields):
        yield


def current_context() -> Mapping[str, Any]:
    return _CONTEXT.get()


class ContextFilter(logging.Filter):
    """Copies bound context onto the record; explicit `extra=` values win."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _CONTEXT.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        for key in ALWAYS:
            if not hasattr(record, key):
                setattr(record, key, None)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "batch": getattr(record, "batch", None),
            "department": getattr(record, "department", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class ContextAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger with fixed fields, for code that keeps a logger per batch."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs


def bind(logger: logging.Logger, **fields: Any) -> ContextAdapter:
    return ContextAdapter(logger, fields)


def configure_logging(json_lines: bool = True, level: int | str = logging.INFO, stream: IO[str] | None = None) -> logging.Handler:
    """Install one handler on the root logger (replacing a previous one from here). Returns it.

    Call with `settings.log_json` at process start (API, CLI, Airflow task entry).
    """
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_credithub", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._credithub = True  # type: ignore[attr-defined]
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [dept=%(department)s batch=%(batch)s] %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
    return handler
