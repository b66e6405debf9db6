"""PostgreSQL access: connections from settings and schema migrations run on start."""

from satmon.db.migrate import applied_migrations, connect, migrate

__all__ = ["applied_migrations", "connect", "migrate"]
