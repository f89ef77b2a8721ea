"""Dependencies: everything comes from app.state, built by create_app from Settings (no globals)."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from api.public.service import PublicService
from credithub.search.base import SearchBackend
from credithub.settings import Settings


class LazyBackend:
    """Opens the search backend on first use (the API can start before the first publish)."""

    def __init__(self, settings: Settings, backend: SearchBackend | None = None) -> None:
        self._settings = settings
        self._backend = backend
        self._lock = threading.Lock()

    def __call__(self) -> SearchBackend:
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    from credithub.search.factory import open_backend

                    self._backend = open_backend(self._settings)
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


def get_service(request: Request) -> PublicService:
    service: PublicService = request.app.state.public_service
    return service


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Service = Annotated[PublicService, Depends(get_service)]
