"""Typed exceptions. Every error that reaches a user names where it happened.

The API maps these to RFC 9457 problem responses in one place (api/errors.py);
the CLI prints them; Airflow retry policies key on the retriable/fatal split.
"""

from __future__ import annotations


class CreditHubError(Exception):
    """Base class. `context` carries department, batch, record, field where known."""

    def __init__(self, message: str, **context: object) -> None:
        self.message = message
        self.context = {k: v for k, v in context.items() if v is not None}
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.context.items())
        return f"{self.message} ({where})" if where else self.message


class ConfigError(CreditHubError):
    """A configuration value is missing or invalid; retrying cannot help."""


class SourceError(CreditHubError):
    """A department source failed."""


class RetriableSourceError(SourceError):
    """Transient source failure (HTTP 5xx, timeout, connection refused): retry with backoff."""


class FatalSourceError(SourceError):
    """The source cannot be read as configured (auth, missing file, malformed export)."""


class SchemaDriftError(FatalSourceError):
    """A required column disappeared or was renamed: a steward must act; retrying cannot help."""


class NotFoundError(CreditHubError):
    """The requested object does not exist."""


class PermissionDeniedError(CreditHubError):
    """Authenticated, but not allowed to see or change this object."""


class AuthenticationError(CreditHubError):
    """Missing, unknown, revoked or expired credentials."""


class ConflictError(CreditHubError):
    """A concurrent change won (optimistic locking) or the request contradicts stored state."""


class StorageError(CreditHubError):
    """The database or the disk cannot be written or reached (disk full, server gone).

    Not a department's fault: the run stops instead of failing every department in turn.
    Everything committed before it stays; the next run resumes from there."""


class RunInProgressError(ConflictError):
    """Another process holds the lock of the stage and data this call needs."""


class ValidationFailedError(CreditHubError):
    """Input data failed validation; `context['failures']` lists why."""


class SearchBackendError(CreditHubError):
    """The search engine failed or refused a request (index locked, cluster error, bad response)."""
