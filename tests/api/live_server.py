"""The real app under the uvicorn options `credithub serve` uses, on a free loopback port, in a thread."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from api.app import create_app
from api.server import uvicorn_options
from credithub.settings import Settings
from credithub.storage.db import Database


class AccessLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def served(settings: Settings) -> Iterator[tuple[str, AccessLog]]:
    Database(settings.resolved_database_url).migrate()
    options = uvicorn_options(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), **{**options, "port": port, "log_config": None})
    server = uvicorn.Server(config)
    access = logging.getLogger("uvicorn.access")
    handler, old_level = AccessLog(), access.level
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", handler
    finally:
        server.should_exit = True
        thread.join(10)
        access.removeHandler(handler)
        access.setLevel(old_level)
        sock.close()
