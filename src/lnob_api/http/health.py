"""Liveness and readiness probes."""

from __future__ import annotations

import anyio
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse

from lnob_api.db import availability
from lnob_api.db.request import RequestDb

# Load balancers give a probe a couple of seconds: answer within that, even when the database
# stalls (its connect, pool and statement bounds may be longer).
READY_WITHIN = 1.5
_HEADERS = {"Cache-Control": "no-store"}


async def healthz(request: Request) -> JSONResponse:
    """The process is up."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The database answers, within ``READY_WITHIN`` seconds, and is migrated to the code's
    head revision."""
    db = RequestDb(request.app.state.database)
    try:
        with anyio.fail_after(READY_WITHIN):
            revision = await db.scalar(sa.text("SELECT version_num FROM alembic_version"))
            await db.close()
    except TimeoutError:
        # Answer now; the outage middleware releases the connection after the answer.
        return _unavailable("the database did not answer in time")
    except Exception as exc:
        await db.close(failed=True)
        if availability.failure_of(exc) is None:
            return _unavailable(f"database not ready ({type(exc).__name__})")
        return _unavailable(f"the database is unreachable ({type(exc).__name__})")
    heads = request.app.state.migration_heads
    if revision not in heads:
        return _unavailable("database not migrated")
    return JSONResponse({"status": "ok", "revision": revision}, headers=_HEADERS)


def _unavailable(reason: str) -> JSONResponse:
    headers = _HEADERS | {"Retry-After": "5"}
    return JSONResponse({"status": "unavailable", "reason": reason}, 503, headers=headers)
