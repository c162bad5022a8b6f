"""The upload service on a session, as the mutation and the CLI run it: an upload interrupted
half-way (the file fails, the task is cancelled) leaves nothing behind."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from tests import factories as f

from lnob_api import models
from lnob_api.dataset.service import Actor
from lnob_api.upload import service
from lnob_api.upload.mapping import ColumnMapping

ROWS = 20_000


def _content() -> bytes:
    lines = ["indicator,area,period,value"]
    lines += [f"1.1.1,KE,{1900 + i // 12}-{i % 12 + 1:02d},{i}" for i in range(ROWS)]
    return ("\n".join(lines) + "\n").encode()


class FailingFile(io.BytesIO):
    """Reads normally for the hash, then fails (or stalls) part-way through the second pass."""

    def __init__(self, content: bytes, *, stall: threading.Event | None = None) -> None:
        super().__init__(content)
        self.passes = 0
        self.stall = stall
        self.reading = threading.Event()

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self.passes += 1
        return super().seek(offset, whence)

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        if self.passes >= 3 and self.tell() > len(self.getvalue()) // 2:
            self.reading.set()
            if self.stall is None:
                raise OSError("the connection to the client was lost")
            self.stall.wait(5)
        return line


@pytest.fixture
async def session(conn: AsyncConnection) -> AsyncIterator[AsyncSession]:
    s = AsyncSession(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
    yield s
    await s.close()


async def _editor_and_draft(conn: AsyncConnection) -> tuple[Actor, Any]:
    coalition = (
        (
            await conn.execute(
                sa.select(models.Coalition.__table__).where(models.Coalition.code == "KE")
            )
        )
        .mappings()
        .one()
    )
    user = await f.create_user(conn)
    await f.give_role(conn, user, coalition, "EDITOR")
    principal = await service.principal_for_user(AsyncSession(bind=conn), user["email"])
    dataset = await f.create_dataset(conn, coalition, status="DRAFT")
    return Actor(principal), dataset


async def _left_behind(conn: AsyncConnection, dataset_id: int) -> tuple[int, int, Any]:
    observations = await conn.scalar(
        sa.select(sa.func.count()).where(models.Observation.dataset_id == dataset_id)
    )
    uploads = await conn.scalar(
        sa.select(sa.func.count()).where(models.DatasetUpload.dataset_id == dataset_id)
    )
    staging = await conn.scalar(sa.text("SELECT to_regclass('pg_temp.upload_rows')"))
    return int(observations or 0), int(uploads or 0), staging


class TestInterruptedUpload:
    async def test_a_whole_file_lands(self, conn: AsyncConnection, session: AsyncSession) -> None:
        actor, dataset = await _editor_and_draft(conn)
        async with session.begin_nested():
            report = await service.upload(
                session,
                actor,
                dataset_id=dataset["id"],
                file=io.BytesIO(_content()),
                filename="f.csv",
                mapping=ColumnMapping(),
            )
        assert (report.rows_read, report.rows_written) == (ROWS, ROWS)
        assert await _left_behind(conn, dataset["id"]) == (ROWS, 1, None)

    async def test_a_file_failing_half_way(
        self, conn: AsyncConnection, session: AsyncSession
    ) -> None:
        actor, dataset = await _editor_and_draft(conn)
        file = FailingFile(_content())
        with pytest.raises(OSError, match="lost"):
            async with session.begin_nested():
                await service.upload(
                    session,
                    actor,
                    dataset_id=dataset["id"],
                    file=file,
                    filename="f.csv",
                    mapping=ColumnMapping(),
                )
        assert file.reading.is_set()
        assert await _left_behind(conn, dataset["id"]) == (0, 0, None)

    async def test_a_cancelled_upload(self, conn: AsyncConnection, session: AsyncSession) -> None:
        actor, dataset = await _editor_and_draft(conn)
        release = threading.Event()
        file = FailingFile(_content(), stall=release)

        async def run() -> None:
            async with session.begin_nested():
                await service.upload(
                    session,
                    actor,
                    dataset_id=dataset["id"],
                    file=file,
                    filename="f.csv",
                    mapping=ColumnMapping(),
                )

        task = asyncio.create_task(run())
        await asyncio.to_thread(file.reading.wait, 10)
        task.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await _left_behind(conn, dataset["id"]) == (0, 0, None)
