"""A root windowed page in two steps (``graphql.compiled.TWO_STEP``): a first statement reads
each page's ``head`` alone and answers when that fills the page; when it falls short (its
``data`` NULL), the whole form runs. A plan whose head keeps falling short goes straight to the
whole form, and tries the head again now and then. Every answer is Strawberry's, to the row,
on the compiled path and on the fast lane.

The window is the observations' real one (5,000 keys): rows past it lie behind 5,000 others.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.harness import Pair, pair
from tests.compiled.test_differential import same
from tests.factories import create_coalition, create_dataset, indicator_id
from tests.graphql.test_fast_lane import lane_of, lane_off

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase
from lnob_api.graphql import compiled

SPARSE, FILLER = "1.1.1", "4.5.1"
NODES = """query($i: [String!]) { observations(filter: {indicators: $i}, first: 3) {
  nodes { id areaCode } } }"""
INFO = """query($i: [String!]) { observations(filter: {indicators: $i}, first: 3) {
  totalCount nodes { areaCode } pageInfo { hasNextPage endCursor } } }"""
TWO = """query($i: [String!], $j: [String!]) {
  a: observations(filter: {indicators: $i}, first: 2) { nodes { areaCode } }
  b: observations(filter: {indicators: $j}, first: 3) { nodes { areaCode } } }"""


_ROWS = itertools.count()


def _row(dataset: Any, indicator: int, area: str) -> dict[str, Any]:
    return {
        "dataset_id": dataset["id"],
        "indicator_id": indicator,
        "area_code": area,
        "period": "2020",
        "period_start": date(2020, 1, 1),
        "period_end": date(2020, 12, 31),
        "value": 1.5,
        "unit": "PERCENT",
        "sample_size": 100,
        "dimensions": {"row": str(next(_ROWS))},  # each row its own key
    }


@dataclass
class Rows:
    shown: Any
    hidden: Any
    sparse: int
    filler: int

    async def add(self, conn: AsyncConnection, dataset: Any, code: int, areas: list[str]) -> None:
        """Rows in this order (ids ascending)."""
        for area in areas:
            await conn.execute(sa.insert(models.Observation).values(_row(dataset, code, area)))

    async def fill(self, conn: AsyncConnection) -> None:
        """5,000 rows of the other indicator: what follows lies beyond the window."""
        rows = [_row(self.shown, self.filler, "KE") for _ in range(5_000)]
        await conn.execute(sa.insert(models.Observation), rows)


@pytest.fixture
async def rows(conn: AsyncConnection) -> Rows:
    coalition = await create_coalition(conn)
    shown = await create_dataset(conn, coalition)
    hidden = await create_dataset(conn, coalition, status="DRAFT")
    found = Rows(shown, hidden, await indicator_id(conn, SPARSE), await indicator_id(conn, FILLER))
    # The sparse indicator: 2 seen rows (and 2 hidden ones) in the window, 4 seen beyond it.
    await found.add(conn, shown, found.sparse, ["KE", "UG"])
    await found.add(conn, hidden, found.sparse, ["KE", "KE"])
    await found.add(conn, shown, found.filler, ["KE"] * 4)
    await found.fill(conn)
    await found.add(conn, shown, found.sparse, ["TZ", "RW", "BI", "SS"])
    return found


class Log:
    """The compiled statements sent on the test's connection (asyncpg's query log)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, record: Any) -> None:
        if " AS data" in record.query:
            self.sent.append(record.query)

    async def counted(self, send: Any) -> tuple[Any, list[str]]:
        self.sent.clear()
        answer = await send()
        return answer, list(self.sent)


@pytest.fixture
async def log(conn: AsyncConnection) -> AsyncIterator[Log]:
    seen = Log()
    driver: Any = (await conn.get_raw_connection()).driver_connection
    driver.add_query_logger(seen)
    try:
        yield seen
    finally:
        driver.remove_query_logger(seen)


async def _compiled(both: Pair, query: str, variables: dict[str, Any]) -> bytes:
    """The compiled app's body, checked against Strawberry's."""
    one, two, answered = await both.both(query, variables)
    assert answered and same(one, two), (one, two)
    return one


def _plan(both: Pair) -> compiled.Plan:
    assert len(both.reads.plans) == 1
    return next(iter(both.reads.plans.values()))


def _answer(response: httpx.Response) -> Any:
    """The response's JSON without the rate limit's ``currentlyAvailable``, which refills
    with the time between two requests (a full run's timing made two equal answers differ)."""
    answer = response.json()
    throttle = answer.get("extensions", {}).get("cost", {}).get("throttleStatus")
    if throttle is not None:
        throttle.pop("currentlyAvailable")
    return answer


def _areas(body: bytes, name: str = "observations") -> list[str]:
    return [n["areaCode"] for n in json.loads(body)["data"][name]["nodes"]]


async def test_a_head_that_fills_the_page_is_the_one_statement(
    conn: AsyncConnection, signing_keys: KeyStore, rows: Rows, log: Log
) -> None:
    # given: the filler indicator has 4 seen rows in the window, a page of 3
    variables = {"i": [FILLER]}
    async with pair(conn, signing_keys) as both:
        # when
        body, sent = await log.counted(lambda: _compiled(both, NODES, variables))
        plan = _plan(both)
    # then: the head alone answered
    assert _areas(body) == ["KE"] * 3
    assert plan.head is not None and sent == [plan.head.sql]
    assert "UNION ALL" not in plan.head.sql and "UNION ALL" in plan.full.sql
    assert plan.misses == 0


async def test_a_head_that_falls_short_hands_the_page_to_the_whole_form(
    conn: AsyncConnection, signing_keys: KeyStore, rows: Rows, log: Log
) -> None:
    # given: the sparse indicator has 2 seen rows in the window, a page of 3
    variables = {"i": [SPARSE]}
    async with pair(conn, signing_keys) as both:
        # when
        body, sent = await log.counted(lambda: _compiled(both, NODES, variables))
        plan = _plan(both)
    # then: both statements ran, and the page goes on past the window
    assert _areas(body) == ["KE", "UG", "TZ"]
    assert plan.head is not None and sent == [plan.head.sql, plan.full.sql]


async def test_page_info_needs_the_row_after_the_page_in_the_head(
    conn: AsyncConnection, signing_keys: KeyStore, rows: Rows, log: Log
) -> None:
    # given: a page of 3 with pageInfo reads 4 rows: the filler's window holds them (its
    # head fills the page), the sparse indicator's holds 2
    async with pair(conn, signing_keys) as both:
        # when
        filled, one = await log.counted(lambda: _compiled(both, INFO, {"i": [FILLER]}))
        short, two = await log.counted(lambda: _compiled(both, INFO, {"i": [SPARSE]}))
    # then
    found = json.loads(filled)["data"]["observations"]
    assert found["pageInfo"]["hasNextPage"] is True and found["totalCount"] == 5_004
    assert len(one) == 1
    found = json.loads(short)["data"]["observations"]
    assert [n["areaCode"] for n in found["nodes"]] == ["KE", "UG", "TZ"]
    assert found["pageInfo"]["hasNextPage"] is True and found["totalCount"] == 6
    assert len(two) == 2


async def test_a_page_of_exactly_the_window_rows_without_the_next_one_runs_both(
    conn: AsyncConnection, signing_keys: KeyStore, rows: Rows, log: Log
) -> None:
    # given: a page of 2 of the sparse indicator, whose 2 seen rows are all the window holds:
    # without pageInfo the head fills it; with it, the third row (past the window) is needed
    capped = NODES.replace("first: 3", "first: 2")
    info = INFO.replace("first: 3", "first: 2")
    async with pair(conn, signing_keys) as both:
        # when
        _, one = await log.counted(lambda: _compiled(both, capped, {"i": [SPARSE]}))
        body, two = await log.counted(lambda: _compiled(both, info, {"i": [SPARSE]}))
    # then
    assert len(one) == 1 and len(two) == 2
    assert json.loads(body)["data"]["observations"]["pageInfo"]["hasNextPage"] is True


async def test_every_page_of_a_statement_must_fill_for_the_head_to_answer(
    conn: AsyncConnection, signing_keys: KeyStore, rows: Rows, log: Log
) -> None:
    async with pair(conn, signing_keys) as both:
        # when: two root pages, both filled by their heads; then one of them not
        filled, one = await log.counted(
            lambda: _compiled(both, TWO, {"i": [FILLER], "j": [FILLER]})
        )
        short, two = await log.counted(lambda: _compiled(both, TWO, {"i": [FILLER], "j": [SPARSE]}))
    # then
    assert len(one) == 1 and _areas(filled, "b") == ["KE"] * 3
    assert len(two) == 2 and _areas(short, "a") == ["KE", "KE"]
    assert _areas(short, "b") == ["KE", "UG", "TZ"]


async def test_a_plan_whose_head_falls_short_goes_to_the_whole_form_and_tries_again(
    conn: AsyncConnection,
    signing_keys: KeyStore,
    rows: Rows,
    log: Log,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compiled, "HEAD_PROBE", 3)
    with lane_off():  # the lane replays what answered a request: the plan learns nothing
        await _learned(conn, signing_keys, log)


async def _learned(conn: AsyncConnection, signing_keys: KeyStore, log: Log) -> None:
    async with pair(conn, signing_keys) as both:
        # given: a first request whose head fell short
        await _compiled(both, NODES, {"i": [SPARSE]})
        plan = _plan(both)
        assert plan.head is not None and plan.misses >= compiled.HEAD_MISSES
        # when: the next ones
        sent = [(await log.counted(lambda: _compiled(both, NODES, {"i": [SPARSE]})))[1]]
        sent.append((await log.counted(lambda: _compiled(both, NODES, {"i": [SPARSE]})))[1])
        # the third tries the head again; a dense indicator's head fills its page
        sent.append((await log.counted(lambda: _compiled(both, NODES, {"i": [FILLER]})))[1])
        sent.append((await log.counted(lambda: _compiled(both, NODES, {"i": [FILLER]})))[1])
    # then: the whole form at once, then the head again, which filled the page: the next
    # request starts with the head too
    head, full = plan.head.sql, plan.full.sql
    assert sent == [[full], [full], [head], [head]]
    assert plan.misses < compiled.HEAD_MISSES


async def test_two_step_off_runs_the_whole_form(
    conn: AsyncConnection,
    signing_keys: KeyStore,
    rows: Rows,
    log: Log,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compiled, "TWO_STEP", False)
    async with pair(conn, signing_keys) as both:
        body, sent = await log.counted(lambda: _compiled(both, NODES, {"i": [FILLER]}))
        plan = _plan(both)
    assert _areas(body) == ["KE"] * 3
    assert sent == [plan.full.sql]


async def test_the_fast_lane_runs_the_whole_form_when_its_head_now_falls_short(
    conn: AsyncConnection, signing_keys: KeyStore, rows: Rows, log: Log
) -> None:
    # given: the lane remembered a request whose head filled its page (2 seen rows of the
    # sparse indicator in the window, a page of 2)
    settings = Settings(env="test", issuer="http://testserver", compiled=True)
    from lnob_api.app import create_app

    app = create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)
    transport = httpx.ASGITransport(app=app)
    query = NODES.replace("first: 3", "first: 2")
    body = {"query": query, "variables": {"i": [SPARSE]}}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def post() -> httpx.Response:
            return await client.post("/graphql", json=body)

        first = await post()
        await post()  # remembered again: the first answer's plan was new
        lane = lane_of(app)
        served = lane.served
        again, one = await log.counted(post)
        assert lane.served == served + 1 and _answer(again) == _answer(first) and len(one) == 1
        # when: one of the window's rows is hidden now (its head holds 1 row)
        await conn.execute(
            sa.update(models.Observation)
            .where(models.Observation.area_code == "UG")
            .values(dataset_id=rows.hidden["id"])
        )
        replayed, two = await log.counted(post)
        with lane_off():
            whole = await post()
    # then: the lane answered with both statements, as the whole stack does
    assert lane.served == served + 2
    assert len(two) == 2
    assert _answer(replayed) == _answer(whole)
    assert _areas(replayed.content) == ["KE", "TZ"]
