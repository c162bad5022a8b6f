"""SQL that turns a validated token's subject into the facts a Principal needs (one statement)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.db.request import RequestDb, Row

# One round trip: the client, the user (if any), their memberships, and whether the jti is revoked.
_PRINCIPAL_QUERY = """
    SELECT
      c.id AS client_pk, c.organisation_id AS client_org, c.scopes AS client_scopes,
      c.revoked_at IS NOT NULL AS client_revoked,
      ARRAY(SELECT m.coalition_id FROM coalition_members m
            WHERE m.organisation_id = c.organisation_id) AS client_coalitions,
      u.id AS user_id, u.is_active AS user_active, u.is_partnership_admin,
      ARRAY(SELECT ou.organisation_id FROM organisation_users ou WHERE ou.user_id = u.id)
        AS user_orgs,
      COALESCE((SELECT json_object_agg(r.coalition_id, r.role) FROM coalition_user_roles r
                WHERE r.user_id = u.id), '{}'::json) AS user_roles,
      EXISTS (SELECT 1 FROM coalition_members m JOIN organisation_users ou
                ON ou.organisation_id = m.organisation_id WHERE ou.user_id = u.id)
        AS user_org_in_coalition,
      EXISTS (SELECT 1 FROM revoked_tokens t WHERE t.jti = :jti) AS revoked
    FROM (SELECT 1) AS one
    LEFT JOIN oauth_clients c ON c.client_id = :client_id
    LEFT JOIN users u ON u.id = :user_id
    """
_PRINCIPAL_SQL = sa.text(_PRINCIPAL_QUERY)
# The same for asyncpg itself (``RequestDb.driver_first``): every bearer request runs it.
_PRINCIPAL_DRIVER_SQL = (
    _PRINCIPAL_QUERY.replace(":client_id", "$1").replace(":user_id", "$2").replace(":jti", "$3")
)

# The facts' columns, in the order the statement returns them.
FACT_COLUMNS = (
    "client_pk",
    "client_org",
    "client_scopes",
    "client_revoked",
    "client_coalitions",
    "user_id",
    "user_active",
    "is_partnership_admin",
    "user_orgs",
    "user_roles",
    "user_org_in_coalition",
    "revoked",
)


@lru_cache(maxsize=256)
def with_principal_facts(sql: str, parameters: int) -> str:
    """A read statement of ``parameters`` positional parameters, its row followed by the
    principal's facts (``FACT_COLUMNS``, read in the same snapshot: the bearer check folded
    into the request's one statement); the facts take parameters ``parameters + 1`` to ``+ 3``
    (client id, user id, jti)."""
    facts = (
        _PRINCIPAL_QUERY.replace(":client_id", f"${parameters + 1}")
        .replace(":user_id", f"${parameters + 2}")
        .replace(":jti", f"${parameters + 3}")
    )
    # ``sql`` is a compiled plan (every value a parameter), never text from a request.
    return f"SELECT q.*, f.* FROM ({sql}) AS q CROSS JOIN ({facts}) AS f"  # noqa: S608


_EXTERNAL_USER_SQL = sa.text(
    """
    SELECT u.id FROM users u
    WHERE u.is_active AND (lower(u.email) = lower(:value) OR u.external_subject = :value)
    ORDER BY (u.external_subject = :value) DESC NULLS LAST
    LIMIT 1
    """
)


async def principal_facts(
    db: RequestDb, *, client_id: str, user_id: int | None, jti: str
) -> Row | None:
    return await db.driver_first(_PRINCIPAL_DRIVER_SQL, client_id, user_id, jti)


async def user_facts(session: AsyncSession, user_id: int) -> Row | None:
    """The facts of ``principal_facts`` for a user acting without a token (the CLI)."""
    params: dict[str, Any] = {"client_id": "", "user_id": user_id, "jti": ""}
    row = (await session.execute(_PRINCIPAL_SQL, params)).mappings().first()
    return dict(row) if row is not None else None


async def user_for_external_claim(db: RequestDb, value: str) -> int | None:
    """The active user whose e-mail or external subject equals ``value``."""
    row = await db.first(_EXTERNAL_USER_SQL, {"value": value})
    return int(row["id"]) if row is not None else None


async def user_identity(db: RequestDb, user_id: int) -> Row | None:
    """Name and e-mail of a user, for the ``viewer`` field."""
    return await db.first(sa.text("SELECT name, email FROM users WHERE id = :id"), {"id": user_id})
