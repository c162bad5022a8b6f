"""Test data factories: plain async functions over a connection, each returning the new row.

They insert with SQLAlchemy Core inside the test's transaction (rolled back afterwards).
Coalitions take an unused country code, since the reference seed already holds the seven
partnership coalitions.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api import models

_seq = itertools.count(1)
# Countries without a seeded coalition, used in turn by create_coalition.
_FREE_COUNTRIES = [
    "UG",
    "TZ",
    "GH",
    "ZM",
    "RW",
    "ET",
    "PK",
    "LK",
    "KH",
    "LA",
    "PH",
    "ID",
    "SN",
    "ML",
    "NE",
    "BF",
    "MZ",
    "ZW",
    "BO",
    "PE",
    "CO",
    "GT",
    "HN",
    "NI",
]


def _n() -> int:
    return next(_seq)


async def _insert(conn: AsyncConnection, model: Any, values: dict[str, Any]) -> Any:
    table = model.__table__
    row = (await conn.execute(sa.insert(table).values(**values).returning(table))).mappings().one()
    return row


async def create_organisation(conn: AsyncConnection, **overrides: Any) -> Any:
    n = _n()
    values = {"slug": f"org-{n}", "name": f"Organisation {n}", "kind": "NATIONAL_NGO"}
    return await _insert(conn, models.Organisation, values | overrides)


async def create_coalition(conn: AsyncConnection, **overrides: Any) -> Any:
    taken = set((await conn.execute(sa.select(models.Coalition.code))).scalars())
    code = overrides.pop("code", None) or next(c for c in _FREE_COUNTRIES if c not in taken)
    n = _n()
    values = {
        "code": code,
        "slug": f"coalition-{code.lower()}-{n}",
        "name": f"Coalition {code} {n}",
    }
    return await _insert(conn, models.Coalition, values | overrides)


async def add_member(
    conn: AsyncConnection, coalition: Any, organisation: Any, role: str = "MEMBER"
) -> None:
    await conn.execute(
        sa.insert(models.CoalitionMember.__table__).values(
            coalition_id=coalition["id"], organisation_id=organisation["id"], role=role
        )
    )


async def create_user(conn: AsyncConnection, **overrides: Any) -> Any:
    n = _n()
    values = {"email": f"user{n}@example.org", "name": f"User {n}"}
    return await _insert(conn, models.User, values | overrides)


async def create_project(conn: AsyncConnection, coalition: Any, **overrides: Any) -> Any:
    n = _n()
    values = {
        "coalition_id": coalition["id"],
        "slug": f"project-{n}",
        "title": f"Project {n}",
        "visibility": "PUBLIC",
    }
    return await _insert(conn, models.Project, values | overrides)


async def create_dataset(conn: AsyncConnection, coalition: Any, **overrides: Any) -> Any:
    """A PUBLISHED, PUBLIC dataset unless told otherwise (drafts get no published_at)."""
    n = _n()
    status = overrides.get("status", "PUBLISHED")
    values: dict[str, Any] = {
        "coalition_id": coalition["id"],
        "slug": f"dataset-{n}",
        "title": f"Dataset {n}",
        "visibility": "PUBLIC",
        "status": status,
        "published_at": None if status == "DRAFT" else datetime(2021, 6, 1, tzinfo=UTC),
    }
    if status == "RETRACTED":
        values["retraction_reason"] = "withdrawn for tests"
        values["retracted_at"] = datetime(2022, 1, 1, tzinfo=UTC)
    return await _insert(conn, models.Dataset, values | overrides)


async def indicator_id(conn: AsyncConnection, code: str) -> int:
    return int(
        (
            await conn.execute(sa.select(models.Indicator.id).where(models.Indicator.code == code))
        ).scalar_one()
    )


async def link_indicator(conn: AsyncConnection, dataset: Any, code: str) -> None:
    await conn.execute(
        sa.insert(models.DatasetIndicator.__table__).values(
            dataset_id=dataset["id"], indicator_id=await indicator_id(conn, code)
        )
    )


async def create_observation(conn: AsyncConnection, dataset: Any, **overrides: Any) -> Any:
    """One observation of indicator 1.1.1 (or ``indicator`` code) for the dataset's coalition."""
    code = overrides.pop("indicator", "1.1.1")
    period = overrides.pop("period", "2020")
    year = int(period[:4])
    values: dict[str, Any] = {
        "dataset_id": dataset["id"],
        "indicator_id": await indicator_id(conn, code),
        "area_code": overrides.pop("area_code", "KE"),
        "period": period,
        "period_start": date(year, 1, 1),
        "period_end": date(year, 12, 31),
        "value": 12.5,
        "unit": "PERCENT",
        "sample_size": 100,
    }
    return await _insert(conn, models.Observation, values | overrides)


async def create_publication(
    conn: AsyncConnection, coalition: Any | None = None, **overrides: Any
) -> Any:
    n = _n()
    values = {
        "slug": f"publication-{n}",
        "title": f"Publication {n}",
        "kind": "REPORT",
        "coalition_id": coalition["id"] if coalition is not None else None,
        "visibility": "PUBLIC",
    }
    return await _insert(conn, models.Publication, values | overrides)


async def create_grant(conn: AsyncConnection, coalition: Any, **overrides: Any) -> Any:
    return await _insert(conn, models.Grant, {"coalition_id": coalition["id"]} | overrides)


async def create_client(conn: AsyncConnection, organisation: Any, **overrides: Any) -> Any:
    """A confidential OAuth client; its secret is ``secret-<client_id>``."""
    from lnob_api.auth.secrets import hash_secret

    n = _n()
    client_id = overrides.pop("client_id", f"client-{n}")
    values = {
        "client_id": client_id,
        "secret_hash": hash_secret(f"secret-{client_id}"),
        "name": f"Client {n}",
        "organisation_id": organisation["id"],
        "scopes": ["data:read", "data:write", "coalition:admin", "partnership:admin"],
        "grant_types": ["client_credentials", "authorization_code", "refresh_token"],
        "redirect_uris": ["http://127.0.0.1:9999/callback"],
    }
    return await _insert(conn, models.OAuthClient, values | overrides)


async def give_role(conn: AsyncConnection, user: Any, coalition: Any, role: str) -> None:
    await conn.execute(
        sa.insert(models.CoalitionUserRole.__table__).values(
            coalition_id=coalition["id"], user_id=user["id"], role=role
        )
    )


async def join_organisation(conn: AsyncConnection, user: Any, organisation: Any) -> None:
    await conn.execute(
        sa.insert(models.OrganisationUser.__table__).values(
            organisation_id=organisation["id"], user_id=user["id"]
        )
    )


async def link_publication_coalition(
    conn: AsyncConnection, publication: Any, coalition: Any
) -> None:
    await conn.execute(
        sa.insert(models.PublicationCoalition.__table__).values(
            publication_id=publication["id"], coalition_id=coalition["id"]
        )
    )
