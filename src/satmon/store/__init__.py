"""PostgreSQL: connections from settings, migrations run on start, and one module per
table holding that table's writes and reads (``results``, ``dedupe``)."""

from satmon.store.migrate import applied_migrations, connect, migrate

__all__ = ["applied_migrations", "connect", "migrate"]
