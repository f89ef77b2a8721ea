"""Which errors a retry can fix.

RetriableSourceError (and transport errors) -> retry with exponential backoff;
FatalSourceError / SchemaDriftError / ConfigError -> fail at once: a steward or an operator
must act, and retrying would only delay the alarm.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

import httpx

from credithub.errors import ConfigError, FatalSourceError, RetriableSourceError, SchemaDriftError

if TYPE_CHECKING:
    from airflow.sdk import ExceptionRetryPolicy

FAIL_AT_ONCE: tuple[type[BaseException], ...] = (SchemaDriftError, FatalSourceError, ConfigError)
RETRIABLE: tuple[type[BaseException], ...] = (RetriableSourceError, httpx.TransportError, ConnectionError, TimeoutError)


def classify(exc: BaseException) -> Literal["retry", "fail", "default"]:
    """The same decision the Airflow policy makes, for code and tests that do not run Airflow."""
    if isinstance(exc, FAIL_AT_ONCE):
        return "fail"
    if isinstance(exc, RETRIABLE):
        return "retry"
    return "default"


def retry_policy() -> ExceptionRetryPolicy:
    """Airflow 3.3 retry policy for tasks that touch department sources.

    Unknown errors fall back to the task's `retries` (RetryAction.DEFAULT).
    """
    from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule

    return ExceptionRetryPolicy(
        rules=[
            RetryRule(
                exception=list(FAIL_AT_ONCE[:1]),
                action=RetryAction.FAIL,
                reason="schema drift: a department steward must act; retrying cannot help",
            ),
            RetryRule(
                exception=list(FAIL_AT_ONCE[1:]),
                action=RetryAction.FAIL,
                reason="configuration or fatal source error: retrying cannot help",
            ),
            RetryRule(exception=list(RETRIABLE), action=RetryAction.RETRY),
        ]
    )


def backoff_args(retries: int, first_delay: dt.timedelta, max_delay: dt.timedelta, timeout: dt.timedelta) -> dict:
    """default_args for exponential backoff (delay doubles per try, capped) and a task timeout."""
    return {
        "retries": retries,
        "retry_delay": first_delay,
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": max_delay,
        "execution_timeout": timeout,
    }
