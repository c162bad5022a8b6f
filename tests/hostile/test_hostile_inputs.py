"""Hostile inputs against the real app: every case gets a clear 4xx (or a GraphQL error with
its code), never a 5xx, and no body gives away internals; the service answers normally after
each one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.hostile.cases import BAD, BAD_OR_NULL, CLIENT, COALITION, Case, all_cases

CASES = all_cases()
# What an answer must never show: tracebacks, SQL, driver or class names, file paths.
LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|sqlalchemy|asyncpg|psycopg|"
    r"\bSELECT\b|\bINSERT INTO\b|\bWHERE\b|\b[A-Z][A-Za-z]*(Error|Exception)\b|/work/|/usr/",
)
HEALTH = {"query": "{ sdgGoal(code: 1) { code } }"}


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 300
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


def _check_graphql(answer: dict[str, Any], code: str) -> None:
    errors = answer.get("errors")
    if code == "":
        assert not errors, answer
        return
    if code == BAD_OR_NULL and not errors:
        assert all(v is None for v in (answer.get("data") or {}).values()), answer
        return
    assert errors, answer
    for error in errors:
        assert error["message"]
        assert error.get("extensions", {}).get("code") == (BAD if code == BAD_OR_NULL else code), (
            errors
        )


def _prepared(case: Case, world: dict[str, Any]) -> tuple[str, bytes | None]:
    body = case.body
    if body is not None:
        body = body.replace(COALITION.encode(), world["a"]["code"].encode())
        body = body.replace(CLIENT.encode(), world["oauth_client"]["client_id"].encode())
    return case.url, body


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_hostile_input(case: Case, hostile: dict[str, Any]) -> None:
    http = hostile["http"]
    url, body = _prepared(case, hostile)
    headers = dict(hostile["headers"][case.who]) | case.headers
    # when
    response = await http.request(case.method, url, content=body, headers=headers)
    # then
    text = response.text
    assert response.status_code < 500, text[:500]
    assert response.status_code in case.statuses, (response.status_code, text[:500])
    leak = LEAKS.search(text)
    assert leak is None, f"{leak.group(0)!r} in {text[:500]}"
    if case.code is not None:
        _check_graphql(response.json(), case.code)
    health = await http.post("/graphql", json=HEALTH)
    assert health.status_code == 200, health.text[:500]
    assert health.json()["data"]["sdgGoal"]["code"] == 1
