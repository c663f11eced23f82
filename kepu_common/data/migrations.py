"""Versioned schema migrations with yoyo: the shared tables first, then the service's own."""
import logging
from pathlib import Path

from yoyo import get_backend, read_migrations

from kepu_common.data.db import ensure_database

log = logging.getLogger(__name__)

COMMON_MIGRATIONS = Path(__file__).parents[1] / "migrations"


def apply_migrations(url, service_migrations, lock_timeout=120):
    """Create the database if needed and apply pending migrations; returns their ids.

    yoyo holds its lock table while applying, so instances starting at once apply each migration once
    (the others wait up to lock_timeout seconds).
    """
    ensure_database(url)
    backend = get_backend(url)  # the postgresql:// scheme is yoyo's psycopg2 backend
    sources = [str(COMMON_MIGRATIONS)] + ([str(service_migrations)] if Path(service_migrations).is_dir() else [])
    migrations = read_migrations(*sources)
    with backend.lock(timeout=lock_timeout):
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    applied = [m.id for m in pending]
    if applied:
        log.info("applied migrations: %s", ", ".join(applied))
    backend.connection.close()
    return applied
