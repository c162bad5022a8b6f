"""Exports stream: the first bytes leave before the rows are all read, in every writer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

from lnob_api.auth.principal import ANONYMOUS
from lnob_api.export import repository, service
from lnob_api.export.filters import ExportFilter
from lnob_api.sdmx.data_json import json_data
from lnob_api.sdmx.data_xml import structure_specific

MANY = 60_000


async def _many_rows(conn: AsyncConnection) -> Any:
    coalition = await f.create_coalition(conn)
    dataset = await f.create_dataset(conn, coalition)
    await conn.execute(
        sa.text(
            "INSERT INTO observations (dataset_id, indicator_id, area_code, period, period_start,"
            " period_end, value, unit, sample_size, dimensions)"
            " SELECT :ds, :ind, :area, '2020', '2020-01-01', '2020-12-31', g * 0.5, 'PERCENT',"
            " 100 + g % 7, jsonb_build_object('n', g) FROM generate_series(1, :n) g"
        ),
        {
            "ds": dataset["id"],
            "ind": await f.indicator_id(conn, "1.1.1"),
            "area": coalition["code"],
            "n": MANY,
        },
    )
    return dataset


class TestCopyStream:
    async def test_first_chunk_leaves_before_postgres_has_sent_everything(
        self, conn: AsyncConnection
    ) -> None:
        # given many rows
        dataset = await _many_rows(conn)
        progress = repository.CopyProgress()
        async with conn.begin_nested():
            resolved = await service.resolve(
                conn, ANONYMOUS, ExportFilter(datasets=(dataset["slug"],))
            )
            # when the export is read chunk by chunk
            chunks = service.csv_chunks(conn, ANONYMOUS, resolved, progress=progress)
            first = await anext(chunks)
            sent_at_first = progress.bytes
            total = len(first) + sum([len(c) async for c in chunks])
        # then only a bounded part had left PostgreSQL when the first chunk was handed on
        assert total == progress.bytes
        assert sent_at_first < total / 4
        assert progress.chunks > repository.COPY_QUEUE + 2

    async def test_an_abandoned_stream_leaves_the_connection_usable(
        self, conn: AsyncConnection
    ) -> None:
        # given a stream the client stopped reading (the HTTP layer then rolls back)
        dataset = await _many_rows(conn)
        savepoint = await conn.begin_nested()
        resolved = await service.resolve(conn, ANONYMOUS, ExportFilter(datasets=(dataset["slug"],)))
        chunks = service.csv_chunks(conn, ANONYMOUS, resolved)
        await anext(chunks)
        await chunks.aclose()  # type: ignore[attr-defined]
        await service.settle(conn)
        await savepoint.rollback()
        # then the connection serves the next statement
        assert (await conn.execute(sa.text("SELECT count(*) FROM datasets"))).scalar()


class _Counted:
    """Fake data rows that count how many were pulled."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.pulled = 0

    async def rows(self) -> AsyncIterator[dict[str, Any]]:
        for i in range(self.n):
            self.pulled += 1
            yield {
                "indicator": "1_1_1",
                "area": "KE",
                "sex": "F" if i % 2 else "M",
                "age": "_T",
                "disability": "_T",
                "urbanisation": "_T",
                "group": "_T",
                "period": str(1000 + i // 2),
                "value": float(i),
                "unit": "PERCENT",
                "obs_status": "A",
                "conf_status": "F",
                "producer_type": "COMMUNITY_DRIVEN",
                "method": "HOUSEHOLD_SURVEY",
                "sampling": "_U",
                "language": "en",
                "dataset": "d",
            }


async def _no_labels(wanted: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    return {}


class TestRowWriters:
    @pytest.mark.parametrize("writer", ["xml", "json"])
    async def test_first_chunk_before_the_rows_are_all_read(self, writer: str) -> None:
        source = _Counted(20_000)
        if writer == "xml":
            chunks = structure_specific(source.rows())
        else:
            chunks = json_data(source.rows(), labels=_no_labels)
        await anext(chunks)
        assert source.pulled < 1_000
        async for _ in chunks:
            pass
        assert source.pulled == 20_000
