"""The CLI uploads as a named user with the principal a token of theirs would give
(auth/resolver.py builds both): memberships through their organisation count, and a
deactivated or unknown user is refused."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from tests import factories as f

from lnob_api.auth.principal import PrincipalKind, Scope
from lnob_api.errors import Forbidden, NotFound
from lnob_api.upload import service


async def test_the_cli_principal_is_the_resolvers(conn: AsyncConnection) -> None:
    coalition = await f.create_coalition(conn)
    organisation = await f.create_organisation(conn)
    await f.add_member(conn, coalition, organisation)
    user = await f.create_user(conn)
    await f.join_organisation(conn, user, organisation)
    principal = await service.principal_for_user(AsyncSession(bind=conn), user["email"])
    assert principal.kind is PrincipalKind.USER
    assert principal.user_id == user["id"]
    assert principal.client_pk is None
    assert principal.organisation_ids == frozenset({organisation["id"]})
    assert principal.coalition_roles == {}
    # a partner through the organisation's coalition membership, as with a token
    assert principal.is_partner
    assert not principal.is_partnership_admin
    assert principal.scopes == frozenset({Scope.DATA_READ.value, Scope.DATA_WRITE.value})


async def test_a_deactivated_or_unknown_user_gets_no_principal(conn: AsyncConnection) -> None:
    user = await f.create_user(conn, is_active=False)
    with pytest.raises(Forbidden, match="deactivated"):
        await service.principal_for_user(AsyncSession(bind=conn), user["email"])
    with pytest.raises(NotFound, match="no user"):
        await service.principal_for_user(AsyncSession(bind=conn), "nobody@example.org")
