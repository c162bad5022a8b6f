"""Liveness and readiness probes."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse


async def healthz(request: Request) -> JSONResponse:
    """The process is up."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The database answers and is migrated to the code's head revision."""
    from lnob_api.db.request import RequestDb

    db = RequestDb(request.app.state.database)
    try:
        revision = await db.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except Exception as exc:
        return JSONResponse(
            {"status": "unavailable", "reason": type(exc).__name__}, status_code=503
        )
    finally:
        await db.close()
    heads = request.app.state.migration_heads
    if revision not in heads:
        return JSONResponse(
            {"status": "unavailable", "reason": "database not migrated"}, status_code=503
        )
    return JSONResponse({"status": "ok", "revision": revision})
