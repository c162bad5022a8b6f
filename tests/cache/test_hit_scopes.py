"""A cache hit's key parts remembered between requests (issue 12, brief hitpath): the
visibility scope per principal object, the media type per Content-Type header. Neither may let
an answer cross principals' scopes or reach a request the endpoint refuses."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.cache import store
from lnob_api.cache.store import ResponseCache, scope_of

TITLE = "query($s:String){ dataset(slug:$s) { title } }"


async def _title(
    client: httpx.AsyncClient, slug: str, token: str, content_type: str = "application/json"
) -> Any:
    response = await client.post(
        "/graphql",
        content=httpx.Request("POST", "/", json={"query": TITLE, "variables": {"s": slug}}).read(),
        headers={**bearer(token), "content-type": content_type},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["dataset"]


class TestRememberedScopes:
    async def test_a_new_role_is_seen_at_once_although_the_old_answer_was_a_hit(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        signing_keys: KeyStore,
        cache: ResponseCache,
    ) -> None:
        # given: a member of no coalition has the coalition-only dataset's answer cached (null)
        coalition = await f.create_coalition(conn)
        ds = await f.create_dataset(conn, coalition, title="Ward audit", visibility="COALITION")
        user = await f.create_user(conn)
        org = await f.create_organisation(conn)
        token = token_for(signing_keys, client=await f.create_client(conn, org), user=user)
        assert await _title(client, ds["slug"], token) is None
        assert await _title(client, ds["slug"], token) is None
        assert cache.hits == 1
        # when: the user is given a role in the coalition
        await f.give_role(conn, user, coalition, "VIEWER")
        # then: the same token reads it, and a hit again under its new scope
        assert await _title(client, ds["slug"], token) == {"title": "Ward audit"}
        assert await _title(client, ds["slug"], token) == {"title": "Ward audit"}
        assert cache.hits == 2

    async def test_two_tokens_of_one_user_share_answers_and_another_user_does_not(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        signing_keys: KeyStore,
        cache: ResponseCache,
    ) -> None:
        # given
        coalition = await f.create_coalition(conn)
        ds = await f.create_dataset(conn, coalition, title="Scorecard", visibility="COALITION")
        member, outsider = await f.create_user(conn), await f.create_user(conn)
        await f.give_role(conn, member, coalition, "VIEWER")
        org = await f.create_organisation(conn)
        app_client = await f.create_client(conn, org)
        first = token_for(signing_keys, client=app_client, user=member)
        second = token_for(signing_keys, client=app_client, user=member, ttl=200)
        other = token_for(signing_keys, client=app_client, user=outsider)
        # when
        seen = [await _title(client, ds["slug"], t) for t in (first, second, other, first)]
        # then: the second token's principal is another object with the same scope
        assert seen == [
            {"title": "Scorecard"},
            {"title": "Scorecard"},
            None,
            {"title": "Scorecard"},
        ]
        assert cache.hits == 2

    def test_an_equal_scope_per_object_and_none_shared_by_different_principals(self) -> None:
        # given
        one = Principal(kind=PrincipalKind.USER, user_id=7, member_coalition_ids=frozenset({1, 2}))
        same = dataclasses.replace(one)
        wider = dataclasses.replace(one, member_coalition_ids=frozenset({1, 2, 3}))
        # when
        scopes = [scope_of(p) for p in (one, same, wider, one)]
        # then
        assert scopes[0] == scopes[1] == scopes[3] == store._scope_of(one)
        assert scopes[2] == store._scope_of(wider) != scopes[0]
        assert scopes[3] is scopes[0]  # remembered for that object


class TestRememberedMediaTypes:
    async def test_json_with_parameters_hits_and_other_media_types_are_refused(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        signing_keys: KeyStore,
        cache: ResponseCache,
    ) -> None:
        # given: an answer cached for a JSON POST
        coalition = await f.create_coalition(conn)
        ds = await f.create_dataset(conn, coalition, title="Water points")
        org = await f.create_organisation(conn)
        token = token_for(signing_keys, client=await f.create_client(conn, org))
        assert await _title(client, ds["slug"], token) == {"title": "Water points"}
        # when: the same bytes, as JSON with a charset, then as text twice
        charset = await _title(client, ds["slug"], token, "application/json; charset=utf-8")
        refused = [
            await client.post(
                "/graphql",
                content=f'{{"query": "{TITLE}", "variables": {{"s": "{ds["slug"]}"}}}}',
                headers={**bearer(token), "content-type": "text/plain"},
            )
            for _ in range(2)
        ]
        # then
        assert charset == {"title": "Water points"}
        assert cache.hits == 1
        assert [r.status_code for r in refused] == [415, 415]
        assert cache.hits == 1
