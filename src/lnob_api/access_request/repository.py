"""Access request SQL: the scoped source and filters, and the lookups the use cases need."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import requests_visibility, visibility
from lnob_api.auth.principal import Principal
from lnob_api.declare.conditions import Conditions, coalition_coded, equal
from lnob_api.declare.entities import ACCESS_REQUEST
from lnob_api.domain_kit.sql import newest_first, visible_lock
from lnob_api.models.tables import access_requests
from lnob_api.models.tables import coalitions as _coalitions
from lnob_api.models.tables import datasets as _datasets
from lnob_api.models.tables import oauth_clients as _clients
from lnob_api.models.tables import organisations as _organisations
from lnob_api.models.tables import users as _users
from lnob_api.read.relations import ToOne

# Newest first: what an admin works through.
ACCESS_REQUESTS = newest_first(
    "AccessRequest", access_requests, requests_visibility.access_request_visible
)
ACCESS_REQUEST_BY_ID = ToOne(ACCESS_REQUESTS)


# The ``accessRequests`` filter (all given conditions must hold).
filters = Conditions(
    status=equal(access_requests.c.status),
    coalition_code=coalition_coded(access_requests.c.coalition_id),
    dataset_id=equal(access_requests.c.dataset_id),
    **ACCESS_REQUEST.conditions.conditions,
)


@dataclass(frozen=True, slots=True)
class DatasetFacts:
    """What a request needs to know about a dataset whose metadata the caller sees."""

    id: int
    coalition_id: int
    title: str
    status: str
    superseded: bool
    data_visible: bool


async def dataset_seen_by(
    session: AsyncSession, principal: Principal, dataset_id: int
) -> DatasetFacts | None:
    """The dataset if the principal sees its metadata, with whether it may read its data."""
    stmt = sa.select(
        _datasets.c.id,
        _datasets.c.coalition_id,
        _datasets.c.title,
        _datasets.c.status,
        _datasets.c.superseded_at.is_not(None).label("superseded"),
        visibility.dataset_data_visible(principal).label("data_visible"),
    ).where(_datasets.c.id == dataset_id, visibility.dataset_visible(principal))
    row = (await session.execute(stmt)).mappings().first()
    return DatasetFacts(**row) if row is not None else None


async def dataset_state(session: AsyncSession, dataset_id: int) -> tuple[str, str]:
    """(status, title) of a dataset, for those who decide on requests to it."""
    stmt = sa.select(_datasets.c.status, _datasets.c.title).where(_datasets.c.id == dataset_id)
    row = (await session.execute(stmt)).one()
    return str(row.status), str(row.title)


async def user_identity(session: AsyncSession, user_id: int) -> tuple[str, str]:
    stmt = sa.select(_users.c.name, _users.c.email).where(_users.c.id == user_id)
    row = (await session.execute(stmt)).one()
    return str(row.name), str(row.email)


@dataclass(frozen=True, slots=True)
class ClientFacts:
    client_id: str
    name: str
    organisation_id: int


async def client_facts(session: AsyncSession, client_pk: int) -> ClientFacts:
    stmt = sa.select(_clients.c.client_id, _clients.c.name, _clients.c.organisation_id).where(
        _clients.c.id == client_pk
    )
    return ClientFacts(**(await session.execute(stmt)).mappings().one())


async def coalition_code(session: AsyncSession, coalition_id: int) -> str:
    stmt = sa.select(_coalitions.c.code).where(_coalitions.c.id == coalition_id)
    return str((await session.execute(stmt)).scalar_one())


async def organisation_id_by_slug(session: AsyncSession, slug: str) -> int | None:
    stmt = sa.select(_organisations.c.id).where(_organisations.c.slug == slug)
    found = (await session.execute(stmt)).scalar()
    return int(found) if found is not None else None


async def organisation_name(session: AsyncSession, organisation_id: int) -> str:
    stmt = sa.select(_organisations.c.name).where(_organisations.c.id == organisation_id)
    return str((await session.execute(stmt)).scalar_one())


async def pending_id(
    session: AsyncSession, *, dataset_id: int, user_id: int | None, client_pk: int | None
) -> int | None:
    """The requester's open request for the dataset, if any."""
    requester = (
        access_requests.c.requester_user_id == user_id
        if user_id is not None
        else access_requests.c.requester_client_id == client_pk
    )
    stmt = sa.select(access_requests.c.id).where(
        access_requests.c.dataset_id == dataset_id,
        access_requests.c.status == models.AccessRequestStatus.PENDING.value,
        requester,
    )
    found = (await session.execute(stmt.limit(1))).scalar()
    return int(found) if found is not None else None


# The request if the principal may see it, locked for the rest of the transaction.
lock_visible = visible_lock(
    models.AccessRequest, requests_visibility.access_request_visible, refresh=False
)
