"""Storage: SQLAlchemy 2 models, Alembic migrations, and the Database handle."""

from credithub.storage.db import Database

__all__ = ["Database"]
