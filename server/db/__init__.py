"""The one way into the database.

- ``models.py``: the tables (created only by Alembic migrations, ``server/migrations``).
- In a request: the ``db_session`` the SQLAlchemy plugin gives each handler (one transaction,
  committed after a 2xx); services use SQLAlchemy Core or the ORM on it.
- Hand-written SQL only on measured hot paths (push, pull, pack, street results): asyncpg
  statements (``$1`` parameters) on ``driver.driver_connection(session)``, inside the same
  transaction.
- Outside a request (CLI, workers, tests): ``engine.make_engine`` and ``engine.transaction``.
- Reads that may be a moment behind (figures, open data, OGC API): the ``read_session`` dependency
  (``reads.py``), a streaming replica's session when there is one, else the request's own.
"""
