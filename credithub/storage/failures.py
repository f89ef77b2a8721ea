"""Which errors mean the storage failed (a full disk, a database gone), not the data or the code.

Such a failure is no department's fault: the run stops with one clear StorageError instead of
failing every department in turn, and what was committed stays for the next run to resume from.
"""

from __future__ import annotations

import errno

from sqlalchemy.exc import DBAPIError

from credithub.errors import StorageError

_RESUME_HINT = "已提交的数据均已保存，排除故障后重新运行即可 / everything committed is kept; run again once fixed"
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_GONE_WORDS = ("connection refused", "server closed the connection", "terminating connection",
               "too many connections", "does not allow connections", "connection is closed", "unable to open database",
               "consuming input failed", "connection failed", "connection to server")
_DISK_FULL_WORDS = ("disk is full", "database or disk is full", "no space left", "file too large", "disk i/o error")


def storage_failure(exc: BaseException) -> StorageError | None:
    """The StorageError `exc` amounts to (disk full, database gone), or None for any other error."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS:
        return StorageError(f"磁盘已满 / disk full: {exc.strerror}. {_RESUME_HINT}", path=exc.filename)
    if isinstance(exc, DBAPIError):
        text = str(exc.orig).lower()
        if any(word in text for word in _DISK_FULL_WORDS):
            return StorageError(f"磁盘已满或写入失败，数据库无法写入 / the database cannot be written (disk full or I/O "
                                f"error): {exc.orig}. {_RESUME_HINT}")
        if exc.connection_invalidated or any(word in text for word in _GONE_WORDS):
            return StorageError(f"数据库不可用 / the database went away or refused the connection: {exc.orig}. "
                                f"{_RESUME_HINT}")
    # Raised while handling a storage failure (e.g. recording a failed batch on a full disk)?
    underlying = exc.__cause__ or exc.__context__
    if underlying is not None and underlying is not exc:
        return storage_failure(underlying)
    return None
