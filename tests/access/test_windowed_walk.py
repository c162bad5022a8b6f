"""A windowed page of a filter whose matches lie beyond the window (issue 12, W2b at 1M rows;
a frontend paging through one dataset).

When ``head``'s window of keys holds fewer matches than a page and the filter keeps one
indicator or one dataset, ``walk`` looks their next keys up through ``(indicator_id, id)`` or
``(dataset_id, id)`` (both given: the one with fewer rows in the window) before ``rest``
reads what is left (``read.repository.windowed``; several datasets: each one's keys,
merged). Whichever parts answer, every page holds
the same rows as the plain keyset page, in the same order, to the end: checked here with
tiny windows over rows laid out so that the walk fills pages, comes up short (its keys are
rows the caller cannot see) and is skipped; and through both read paths at the real window,
with the filter's rows past 5,000 others. The access policy's own ``dataset_id = ANY(...)``
is never walked: only the filter's conditions are.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.harness import pair
from tests.compiled.test_differential import same
from tests.factories import create_coalition, create_dataset, indicator_id

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import ANONYMOUS
from lnob_api.graphql.observation.types import ObservationFilter, observation_slice
from lnob_api.observation.repository import OBSERVATIONS
from lnob_api.read.keyset import PageArgs, apply_page, cursor_of, make_page, page_args
from lnob_api.read.repository import scoped, windowed

SPARSE, FILLER = "1.1.1", "4.5.1"


async def _insert(conn: AsyncConnection, layout: list[tuple[Any, str, str]]) -> None:
    """Observations in this order (ids ascending): (dataset, indicator code, area code)."""
    codes = {code: await indicator_id(conn, code) for code in {c for _, c, _ in layout}}
    rows = [
        {
            "dataset_id": dataset["id"],
            "indicator_id": codes[code],
            "area_code": area,
            "period": "2020",
            "period_start": date(2020, 1, 1),
            "period_end": date(2020, 12, 31),
            "value": 12.5,
            "unit": "PERCENT",
            "sample_size": 100,
            "dimensions": {"row": str(n)},
        }
        for n, (dataset, code, area) in enumerate(layout)
    ]
    for row in rows:  # one at a time: ids follow the layout
        await conn.execute(sa.insert(models.Observation).values(row))


@pytest.fixture
async def layout(conn: AsyncConnection) -> dict[str, Any]:
    coalition = await create_coalition(conn)
    shown = await create_dataset(conn, coalition)
    hidden = await create_dataset(conn, coalition, status="DRAFT")
    other = await create_dataset(conn, coalition)  # every other filler row
    rows: list[tuple[Any, str, str]] = [(shown, SPARSE, "KE")] * 2
    rows += [(shown, FILLER, "KE"), (other, FILLER, "KE")] * 6
    rows += [(hidden, SPARSE, "KE")] * 6  # keys of the indicator the caller cannot see
    for n in range(10):
        rows += [(shown, SPARSE, "KE" if n % 3 else "UG"), (hidden, SPARSE, "KE")]
        rows += [(other if n % 2 else shown, FILLER, "KE")]
    rows += [(hidden, SPARSE, "KE"), (shown, SPARSE, "KE")] * 5
    rows += [(shown, SPARSE, "UG")] * 3
    rows += [(other, FILLER, "UG")] * 4
    await _insert(conn, rows)
    # The plans checked below follow the table's statistics: without this they are whatever
    # autovacuum last saw (other tests' rows, or none), and a fresh-clone run once planned the
    # walk's keys through the primary key.
    await conn.exec_driver_sql("ANALYZE observations")
    ids = (await conn.execute(sa.select(models.Observation.id).order_by("id"))).scalars().all()
    datasets = {"shown": shown, "hidden": hidden, "other": other}
    return {"ids": ids, "datasets": {name: _gid(d) for name, d in datasets.items()}}


def _gid(dataset: Any) -> str:
    return base64.b64encode(f"Dataset:{dataset['id']}".encode()).decode()


def _where(**filter: Any) -> list[Any]:
    return observation_slice(ObservationFilter(**filter)).where


def _named(filter: dict[str, Any], datasets: dict[str, str]) -> dict[str, Any]:
    """``filter`` with its datasets given by their names in the layout."""
    if "datasets" not in filter:
        return filter
    return {**filter, "datasets": [datasets[name] for name in filter["datasets"]]}


async def _pages(conn: AsyncConnection, where: list[Any], size: int, window: int | None) -> Any:
    """Every page to the end: (rows, has_next) each; the windowed plan unless ``window`` is
    None (the plain keyset page)."""
    base = scoped(OBSERVATIONS, ANONYMOUS).where(*where)
    pages, after = [], None
    for _ in range(60):
        args = page_args(first=size, after=after, last=None, before=None, order=OBSERVATIONS.order)
        stmt = (
            apply_page(base, OBSERVATIONS.order, args)
            if window is None
            else windowed(OBSERVATIONS, base, args, window, filters=where)
        )
        page = make_page((await conn.execute(stmt)).mappings().all(), args)
        pages.append(([dict(r) for r in page.rows], page.has_next))
        if not page.has_next:
            return pages
        after = cursor_of(page.rows[-1], OBSERVATIONS.order)
    raise AssertionError("no last page")


@pytest.mark.parametrize(
    "filter",
    [
        {"indicators": [SPARSE]},
        {"indicators": [SPARSE], "areas": ["KE"]},
        {"indicators": [FILLER]},
        {"datasets": ["shown"]},
        {"datasets": ["other"]},
        {"datasets": ["shown"], "indicators": [SPARSE]},
        {"datasets": ["shown"], "indicators": [FILLER]},
        {"datasets": ["shown", "other"]},
        {"indicators": [SPARSE, FILLER]},
    ],
    ids=[
        "sparse",
        "sparse-in-area",
        "filler",
        "dataset",
        "other-dataset",
        "dataset-sparse",
        "dataset-filler",
        "two-datasets",
        "two-indicators",
    ],
)
async def test_windowed_pages_are_the_keyset_pages(
    conn: AsyncConnection, layout: dict[str, Any], filter: dict[str, Any]
) -> None:
    where = _where(**_named(filter, layout["datasets"]))
    for size in (1, 2, 4, 7):
        plain = await _pages(conn, where, size, None)
        assert sum(len(rows) for rows, _ in plain) > size  # more than one page
        for window in (1, 3, 7, 13, 5_000):
            assert await _pages(conn, where, size, window) == plain, (size, window)


# Each index of the observations but the key's: its first column.
_LEADING = {
    index.name: next(iter(index.columns)).name
    for index in models.Observation.__table__.indexes
    if isinstance(index.name, str)
}


async def _executed(conn: AsyncConnection, stmt: Any) -> dict[str, Any]:
    """Rows found by the ``keys`` and ``walk`` parts of a windowed page (EXPLAIN ANALYZE),
    and the column whose keys ``keys`` read (``walked``): the first column of the observation
    index it scans, or the condition it filters the primary key's order by (which of the two
    PostgreSQL takes follows the table's statistics)."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    raw = (await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}")).scalar()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    found: dict[str, Any] = {}

    def visit(node: dict[str, Any], part: str = "") -> None:
        name = node.get("Subplan Name", "")
        if name in ("CTE keys", "CTE walk"):
            part = name.removeprefix("CTE ")
            found[part] = int(node["Actual Rows"])
        index = node.get("Index Name", "")
        columns = {_LEADING[index]} if index in _LEADING else set()
        if index == "pk_observations":  # keys in id order, the walked condition a filter
            columns = {c for c in ("dataset_id", "indicator_id") if c in node.get("Filter", "")}
        if part == "keys" and columns and node["Actual Loops"]:
            found.setdefault("walked", set()).update(columns)
        for child in node.get("Plans", []):
            visit(child, part)

    visit(plan)
    assert {"keys", "walk"} <= set(found), found
    return found


def _args(size: int, after: int | None = None) -> PageArgs:
    cursor = None if after is None else cursor_of({"id": after}, OBSERVATIONS.order)
    return page_args(first=size, after=cursor, last=None, before=None, order=OBSERVATIONS.order)


async def test_the_walk_fills_the_page_or_leaves_it_to_rest(
    conn: AsyncConnection, layout: dict[str, Any]
) -> None:
    ids = layout["ids"]  # 2 rows of the indicator, 12 fillers, 6 hidden rows of it, ...
    where = _where(indicators=[SPARSE])
    base = scoped(OBSERVATIONS, ANONYMOUS).where(*where)

    async def parts(size: int, after: int | None, first: int, last: int) -> dict[str, Any]:
        window = ids[last] - ids[first]
        stmt = windowed(OBSERVATIONS, base, _args(size, after), window, filters=where)
        assert (await conn.execute(stmt)).all(), "the page has rows"
        found = await _executed(conn, stmt)
        return {k: found[k] for k in ("keys", "walk")}

    # The window holds the 2 first rows, both seen: the walk looks up 2 * 5 * 2 // 2 = 10
    # keys for the 5 missing rows of a page of 6: the 6 hidden rows, then 2 seen ones.
    assert await parts(6, None, 0, 12) == {"keys": 10, "walk": 2}
    # The same with a page of 2 (1 row missing): 2 keys, both hidden; rest answers.
    assert await parts(2, None, 0, 3) == {"keys": 2, "walk": 0}
    # After the fillers, the window holds the 6 hidden rows and none seen: the walk would
    # need more keys than the window holds, so it looks up none and rest answers alone.
    assert await parts(2, ids[13], 14, 19) == {"keys": 0, "walk": 0}


async def _dataset_parts(
    conn: AsyncConnection, filter: dict[str, Any], size: int, window: int
) -> dict[str, Any]:
    where = _where(**filter)
    base = scoped(OBSERVATIONS, ANONYMOUS).where(*where)
    stmt = windowed(OBSERVATIONS, base, _args(size), window, filters=where)
    assert (await conn.execute(stmt)).all(), "the page has rows"
    return await _executed(conn, stmt)


async def test_a_dataset_walk_fills_the_page(conn: AsyncConnection, layout: dict[str, Any]) -> None:
    ids, datasets = layout["ids"], layout["datasets"]
    # The window holds rows 0-3: 3 of the dataset (2 rows of the indicator, 1 filler) of 4.
    # A page of 3 misses 1 of 4: 2 * 1 * 3 // 3 = 2 keys of the dataset, both seen.
    found = await _dataset_parts(conn, {"datasets": [datasets["shown"]]}, 3, ids[3] - ids[0])
    assert found == {"keys": 2, "walk": 1, "walked": {"dataset_id"}}


async def test_a_dataset_and_an_indicator_walk_the_one_with_fewer_rows_in_the_window(
    conn: AsyncConnection, layout: dict[str, Any]
) -> None:
    ids, datasets = layout["ids"], layout["datasets"]
    # Rows 0-13: the filler indicator has 12 of them, the other dataset 6 (all fillers).
    filter = {"datasets": [datasets["other"]], "indicators": [FILLER]}
    found = await _dataset_parts(conn, filter, 10, ids[13] - ids[0])
    # A page of 10 misses 5 of 11: 2 * 5 * 6 // 6 = 10 keys of the dataset (it has 9 more).
    assert found == {"keys": 9, "walk": 5, "walked": {"dataset_id"}}
    # Rows 0-3: the sparse indicator has 2 of them, the shown dataset 3: the indicator. A page
    # of 2 misses 1 of 3: 2 * 1 * 2 // 2 = 2 keys of the indicator.
    filter = {"datasets": [datasets["shown"]], "indicators": [SPARSE]}
    found = await _dataset_parts(conn, filter, 2, ids[3] - ids[0])
    assert found["walked"] == {"indicator_id"}, found
    assert found["keys"] == 2, found


async def test_several_datasets_walk_each_ones_keys(
    conn: AsyncConnection, layout: dict[str, Any]
) -> None:
    ids = layout["ids"]
    # The window holds rows 0-3, all kept. A page of 4 misses 1 of 5: 2 * 1 * 4 // 4 = 2 keys
    # (rows 4 and 5, fillers of either dataset), a scan of each dataset's rows merged.
    filter = _named({"datasets": ["shown", "other"]}, layout["datasets"])
    found = await _dataset_parts(conn, filter, 4, ids[3] - ids[0])
    assert found == {"keys": 2, "walk": 1, "walked": {"dataset_id"}}


async def test_a_hidden_dataset_pages_like_a_missing_one(
    conn: AsyncConnection, layout: dict[str, Any]
) -> None:
    for name in ("hidden", None):
        gid = layout["datasets"][name] if name else _gid({"id": 10**9})
        where = _where(datasets=[gid])
        for window in (1, 3, 13, 5_000):
            assert await _pages(conn, where, 2, window) == [([], False)], (name, window)


PAGE = (
    "query($f: ObservationFilter, $after: String) { observations(filter: $f, first: 3,"
    " after: $after) { totalCount nodes { id areaCode } pageInfo { hasNextPage endCursor } } }"
)


@pytest.mark.parametrize(
    "filter",
    [
        {"indicators": [SPARSE]},
        {"datasets": ["shown"]},
        {"datasets": ["shown"], "indicators": [SPARSE]},
    ],
    ids=["indicator", "dataset", "dataset-indicator"],
)
async def test_both_paths_page_past_the_window_to_the_end(
    conn: AsyncConnection, signing_keys: KeyStore, filter: dict[str, Any]
) -> None:
    coalition = await create_coalition(conn)
    shown = await create_dataset(conn, coalition)
    hidden = await create_dataset(conn, coalition, status="DRAFT")
    other = await create_dataset(conn, coalition)
    variables = {"f": _named(filter, {"shown": _gid(shown)})}
    filler = await indicator_id(conn, FILLER)
    await _insert(conn, [(shown, SPARSE, "KE")] * 2)
    # 5,000 rows of another indicator and dataset: the next rows lie beyond the window.
    await conn.execute(
        sa.insert(models.Observation),
        [
            {
                "dataset_id": other["id"],
                "indicator_id": filler,
                "area_code": "KE",
                "period": "2020",
                "period_start": date(2020, 1, 1),
                "period_end": date(2020, 12, 31),
                "value": 1,
                "unit": "PERCENT",
                "dimensions": {"filler": str(n)},
            }
            for n in range(5_000)
        ],
    )
    await _insert(
        conn, [(hidden, SPARSE, "KE"), (shown, SPARSE, "UG")] * 4 + [(shown, SPARSE, "TZ")]
    )
    expected = ["KE", "KE", "UG", "UG", "UG", "UG", "TZ"]
    async with pair(conn, signing_keys, max_page_size=500) as both:
        areas, after = [], None
        for _ in range(5):
            one, two, compiled = await both.both(PAGE, {**variables, "after": after})
            assert compiled and same(one, two), (one, two)
            found = json.loads(one)["data"]["observations"]
            assert found["totalCount"] == len(expected)
            areas += [n["areaCode"] for n in found["nodes"]]
            if not found["pageInfo"]["hasNextPage"]:
                break
            after = found["pageInfo"]["endCursor"]
    assert areas == expected
