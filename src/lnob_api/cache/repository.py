"""The SQL of the response cache: when does what anybody may see next change by itself?"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

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
