"""The database settings, from the environment: the primary, an optional read replica for the reporting reads, and
an optional connection pool (psycopg's, Django ≥ 5.1) on PostgreSQL. Pure functions, so tests can check them."""

from __future__ import annotations

import environ

REPLICA = "replica"


def database(
    url: str,
    *,
    conn_max_age: int = 0,
    pool_max_size: int = 0,
    pool_min_size: int = 1,
    pool_timeout: float = 10.0,
) -> dict:
    """One entry of ``DATABASES`` for ``url``. With ``pool_max_size`` > 0 on PostgreSQL each process keeps a pool
    of at most that many connections (at least ``pool_min_size`` open; a request waits ``pool_timeout`` seconds
    for one, then fails as an outage, 503); Django requires persistent connections off with a pool."""
    config = environ.Env.db_url_config(url)
    config["ATOMIC_REQUESTS"] = False
    config["CONN_MAX_AGE"] = conn_max_age
    if config["ENGINE"] == "django.db.backends.postgresql":
        # No JIT: the app's statements are short; compiling one took 0.3 s of the 0.5 s the office's high-value
        # patent count ran at a million loans (issue 22), for nothing the plan then gained.
        config.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    if pool_max_size > 0 and config["ENGINE"] == "django.db.backends.postgresql":
        if not 0 < pool_min_size <= pool_max_size:
            raise ValueError("DATABASE_POOL_MIN_SIZE must be between 1 and DATABASE_POOL_MAX_SIZE")
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": pool_min_size,
            "max_size": pool_max_size,
            "timeout": pool_timeout,
        }
        config["CONN_MAX_AGE"] = 0
    return config


def databases(primary: str, replica: str = "", **options) -> dict:
    """``DATABASES``: ``default`` is the primary; with a ``replica`` URL, ``replica`` too (a hot standby the
    reporting reads go to; tests stand in for it with a mirror of the primary)."""
    configured = {"default": database(primary, **options)}
    if replica:
        configured[REPLICA] = database(replica, **options)
    return configured
