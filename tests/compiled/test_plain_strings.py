"""``graphql.compiled.fields.PLAIN``: the string fields written between quotes without
``to_json``'s escaping hold only characters JSON writes as they are, because the database
refuses any other in them (a quote, a backslash, a control character)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.factories import create_coalition, create_dataset, create_observation, create_project

from lnob_api.graphql.compiled import render
from lnob_api.graphql.compiled.fields import PLAIN
from lnob_api.models.observation import DIMENSION_COLUMNS

# The disaggregation columns by their GraphQL field (``group`` shows ``group_code``).
SHOWN = {"sex": "sex", "age": "age", "disabilityStatus": "disability_status"}
SHOWN |= {"urbanisation": "urbanisation", "group": "group_code"}

ESCAPED = ['"', "\\", "\n", "\x01", "\x1f"]

# The slugs and codes of the other served types: (table, a valid value, the CHECK).
HELD = {
    ("Coalition", "slug"): ("coalitions", "a-slug", "slug_format"),
    ("Dataset", "slug"): ("datasets", "a-slug", "slug_format"),
    ("Project", "slug"): ("projects", "a-slug", "slug_format"),
    ("Area", "code"): ("areas", "QQ", "code_format"),
    ("Coalition", "code"): ("coalitions", "QQ", "code_fkey"),
    ("Indicator", "code"): ("indicators", "1.1.9", "code_format"),
    ("MarginalisedGroup", "code"): ("marginalised_groups", "ROMA", "code_format"),
    ("SdgTarget", "code"): ("sdg_targets", "1.9", "code_format"),
}


async def _refused(conn: AsyncConnection, statement: sa.TextClause, constraint: str) -> None:
    with pytest.raises(IntegrityError) as caught:
        async with conn.begin_nested():
            await conn.execute(statement)
    assert constraint in str(caught.value)


async def test_every_plain_field_is_held_by_a_check(conn: AsyncConnection) -> None:
    # given
    row = await create_observation(conn, await create_dataset(conn, await create_coalition(conn)))
    assert {("Observation", "areaCode"), ("Observation", "period")} | {
        ("Observation", field) for field in SHOWN
    } | set(HELD) == PLAIN
    assert sorted(SHOWN.values()) == sorted(DIMENSION_COLUMNS)
    for char in ESCAPED:
        # when / then: an area code (observations.area_code refers to areas.code) ...
        area = sa.text(
            "INSERT INTO areas (code, name, level, country_code) VALUES (:c, 'x', 'COUNTRY', 'QQ')"
        ).bindparams(c=f"QQ{char}")
        await _refused(conn, area, "ck_areas_code_format")
        local = sa.text("UPDATE observations SET area_code = :c WHERE id = :id").bindparams(
            c=f"KE{char}", id=row["id"]
        )
        await _refused(conn, local, "fk_observations_area_code_areas")
        # ... and a period
        period = sa.text("UPDATE observations SET period = :p WHERE id = :id").bindparams(
            p=f"2019{char}", id=row["id"]
        )
        await _refused(conn, period, "ck_observations_period_format")
        # ... and each disaggregation code
        for column in SHOWN.values():
            code = sa.text(f"UPDATE observations SET {column} = :v WHERE id = :id").bindparams(
                v=f"F{char}M", id=row["id"]
            )
            await _refused(conn, code, f"ck_observations_{column}_plain")


@pytest.mark.parametrize("field", sorted(HELD))
async def test_each_slug_and_code_is_held_by_a_check(
    conn: AsyncConnection, field: tuple[str, str]
) -> None:
    # given a row of the table (reference rows are seeded; a coalition, project, dataset made)
    (table, valid, check), column = HELD[field], field[1]
    coalition = await create_coalition(conn)
    await create_project(conn, coalition)
    await create_dataset(conn, coalition)
    key = "code" if table in ("areas", "sdg_targets") else "id"
    some = sa.text(f"SELECT {key} FROM {table} ORDER BY {key} LIMIT 1")
    first = (await conn.execute(some)).scalar_one()
    for char in ESCAPED:
        # when / then
        bad = f"{valid[:-1]}{char}"  # as long as a valid one
        update = sa.text(f"UPDATE {table} SET {column} = :v WHERE {key} = :k").bindparams(
            v=bad, k=first
        )
        name = "fk_coalitions_code_areas" if check == "code_fkey" else f"ck_{table}_{check}"
        await _refused(conn, update, name)


async def test_a_code_of_other_characters_is_kept(conn: AsyncConnection) -> None:
    # given: apostrophes, slashes, spaces, DEL and letters beyond ASCII are not escaped by JSON
    row = await create_observation(conn, await create_dataset(conn, await create_coalition(conn)))
    code = "Y15-24 'é'/x\x7f"
    # when
    for column in SHOWN.values():
        await conn.execute(
            sa.text(f"UPDATE observations SET {column} = :v WHERE id = :id").bindparams(
                v=code, id=row["id"]
            )
        )
    # then
    kept = (
        await conn.execute(
            sa.text(f"SELECT {', '.join(SHOWN.values())} FROM observations WHERE id = :id"),
            {"id": row["id"]},
        )
    ).one()
    assert set(kept) == {code}


async def test_plain_string_is_what_json_dumps_writes(conn: AsyncConnection) -> None:
    # given
    values = ["KE", "KE-30-A1", "2019-Q2", "2019-W05", "2020-03-31", "Y_GE65", "ROMA é/'x"]
    # when
    written = [
        (await conn.execute(sa.select(render.plain_string(sa.literal(v))))).scalar_one()
        for v in values
    ]
    missing = (await conn.execute(sa.select(render.plain_string(sa.null())))).scalar_one()
    # then
    assert written == [json.dumps(v, ensure_ascii=False) for v in values]
    assert missing == "null"
