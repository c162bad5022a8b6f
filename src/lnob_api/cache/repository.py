"""The SQL of the response cache: when does what anybody may see next change by itself?"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from lnob_api import models
from lnob_api.models.tables import access_requests as _requests
from lnob_api.models.tables import consents as _consents
from lnob_api.models.tables import datasets as _datasets
from lnob_api.models.tables import grants as _grants


def _soonest(column: sa.ColumnElement[Any], *where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return sa.select(sa.func.min(column).label("at")).where(column > sa.func.now(), *where)


def next_change_statement() -> sa.Select[Any]:
    """Seconds until the next time-driven change of visibility (embargo release, a superseded
    version's end, a grant, consent or approved access request expiring), or NULL."""
    times = sa.union_all(
        _soonest(_datasets.c.release_at),
        _soonest(_datasets.c.superseded_at),
        _soonest(_grants.c.expires_at, _grants.c.revoked_at.is_(None)),
        _soonest(_consents.c.expires_at, _consents.c.withdrawn_at.is_(None)),
        _soonest(_requests.c.expires_at),
    ).subquery()
    return sa.select(sa.func.extract("epoch", sa.func.min(times.c.at) - sa.func.now()))


def next_change_sql() -> str:
    """The same statement as plain SQL text, for the listener's own asyncpg connection."""
    compiled = next_change_statement().compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
    return str(compiled)


# --- the leases of the listening workers (cache.leases) ------------------------------------------

# Register (``$2`` NULL: heard is the current version) or renew a worker's lease. The lease is
# extended only when the worker has heard every version committed before this statement began:
# a renewal never lets a worker trust past a write it has not heard. Returns the data version
# this statement saw (the worker's heard is at least it when the lease was extended).
RENEW_SQL = """
WITH current_version AS (
    SELECT coalesce((SELECT version FROM data_versions WHERE id = 1), 0) AS version
), renewed AS (
    INSERT INTO cache_listeners AS l (worker, heard, lease_until)
    SELECT $1, coalesce($2::bigint, v.version),
           CASE WHEN coalesce($2::bigint, v.version) >= v.version
                THEN now() + make_interval(secs => $3::float8) ELSE now() END
    FROM current_version AS v
    ON CONFLICT (worker) DO UPDATE SET
        heard = greatest(l.heard, EXCLUDED.heard),
        lease_until = CASE WHEN EXCLUDED.lease_until > now()
                           THEN EXCLUDED.lease_until ELSE l.lease_until END
    RETURNING heard
)
SELECT (SELECT version FROM current_version) AS version, (SELECT heard FROM renewed) AS heard
"""
# A worker stopping gives its lease back; rows of workers gone for a day are dropped.
RELEASE_SQL = "DELETE FROM cache_listeners WHERE worker = $1"
FORGET_GONE_SQL = "DELETE FROM cache_listeners WHERE lease_until < now() - interval '1 day'"


def behind_statement(version: int) -> sa.Select[Any]:
    """The workers whose lease still runs and who have not yet recorded ``version``."""
    listeners = models.CacheListener.__table__
    return sa.select(listeners.c.worker).where(
        listeners.c.heard < version, listeners.c.lease_until > sa.func.now()
    )
