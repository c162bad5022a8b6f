"""Issue 9, defect 5, one regression test per symptom, through the public API: changes of what
a caller may see reach mirrors (threshold changes, a grant or a widening during an embargo,
consent withdrawal) and the export validators move when rows disappear."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.sync.mirror_world import (
    CSV_URL,
    DATASETS,
    OBSERVATIONS,
    REMOVED_DATASETS,
    REMOVED_OBSERVATIONS,
    SDMX_CSV2,
    Mirror,
    World,
    cell_of,
    stamp,
)

from lnob_api.auth.keys import KeyStore

TABLE = (4, 8, 12, 6, 3, 9)


@pytest.fixture
async def world(conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore) -> World:
    return await World(conn, client, signing_keys).build(threshold=5)


async def test_every_cell_a_threshold_change_touches_reaches_an_incremental_pull(
    world: World,
) -> None:
    # the sequence 5 -> 3 -> 10 -> 5 on a public table of counts
    await world.dataset("Counts", visibility="PUBLIC", period="2019", values=TABLE)
    await world.dataset(
        "More counts", visibility="PUBLIC", period="2020", values=(2, 30, 32, 1, 40, 41)
    )
    # lone cells: nothing to add up, so no secondary flag ever changes; only the threshold
    lone = [f"1.1.1,{world.area1},2018,PERSONS,_T,4", f"1.1.1,{world.area2},2018,PERSONS,_T,7"]
    content = "\n".join(["indicator,area,period,unit,sex,value", *lone, ""])
    await world.dataset("Lone cells", visibility="PUBLIC", period="2018", content=content)
    reader = Mirror(world, "anonymous")
    before = {n["id"]: cell_of(n) for n in await reader.pages(OBSERVATIONS, "observations")}
    for threshold in (3, 10, 5):
        since = await stamp()
        await world.set_threshold(threshold)
        after = {n["id"]: cell_of(n) for n in await reader.pages(OBSERVATIONS, "observations")}
        changed = {i for i in after if after[i] != before[i]}
        assert changed, f"threshold {threshold} changed nothing: the test would prove nothing"
        pulled = {
            n["id"]: cell_of(n)
            for n in await reader.pages(OBSERVATIONS, "observations", since=since.isoformat())
        }
        # every cell that became withheld or visible arrives, as a full pull shows it
        assert changed <= set(pulled), threshold
        assert {i: pulled[i] for i in changed} == {i: after[i] for i in changed}
        # withheld cells stay rows that say so: no tombstones
        gone = await reader.pages(
            REMOVED_OBSERVATIONS, "removedObservations", since=since.isoformat()
        )
        assert gone == []
        before = after


@pytest.mark.parametrize("change", ["grant", "visibility"])
async def test_a_release_after_a_change_during_its_embargo_reaches_every_channel(
    world: World, change: str
) -> None:
    # given an embargoed release, changed during the embargo by a grant to the agency (or a
    # widening to the public), and a mirror that pulled after that change
    who = "agency" if change == "grant" else "anonymous"
    visibility = "COALITION" if change == "grant" else "PARTNERSHIP"
    release = datetime.now(UTC) + timedelta(days=2)
    ds = await world.dataset(
        "Embargoed", visibility=visibility, period="2021", values=TABLE, release_at=release
    )
    if change == "grant":
        await world.grant(ds)
    else:
        await world.set_visibility(ds, "PUBLIC")
    reader = Mirror(world, who)
    since = await stamp()
    assert await reader.pages(OBSERVATIONS, "observations", since=since.isoformat()) == []
    # when the embargo ends
    await world.end_embargo(ds)
    # then the release enters every incremental channel from that pull on
    rows = await reader.pages(OBSERVATIONS, "observations", since=since.isoformat())
    assert {n["dataset"]["id"] for n in rows} == {ds["id"]} and len(rows) == len(TABLE)
    records = await reader.pages(DATASETS, "datasets", since=since.isoformat())
    assert [n["id"] for n in records] == [ds["id"]]
    exported = await world.client.get(
        CSV_URL, params={"updatedSince": since.isoformat()}, headers=world.headers[who]
    )
    assert len(list(csv.DictReader(io.StringIO(exported.text)))) == len(TABLE)
    sdmx = await world.client.get(
        f"/sdmx/data/DF_LNOB_{world.coalition['code']}",
        params={"updatedAfter": since.isoformat()},
        headers=world.headers[who] | {"Accept": SDMX_CSV2},
    )
    assert sdmx.status_code == 200, sdmx.text
    assert len(list(csv.DictReader(io.StringIO(sdmx.text)))) == len(TABLE)


async def test_consent_withdrawal_is_a_dataset_tombstone_and_moves_updated_at(
    world: World,
) -> None:
    shared = await world.dataset("Shared", visibility="PUBLIC", period="2022", values=TABLE)
    inside = await world.dataset("Inside", visibility="COALITION", period="2023", values=TABLE)
    consents = [await world.record_consent(ds) for ds in (shared, inside)]
    since = await stamp()
    for consent in consents:
        await world.withdraw_consent(consent)
    reader = Mirror(world, "anonymous")
    tombstones = await reader.pages(REMOVED_DATASETS, "removedDatasets", since=since.isoformat())
    # the dataset stays listed (its record says why), its data is gone; the coalition-only
    # dataset the caller never could read gets no tombstone: it looks missing
    assert [(t["id"], t["reason"], t["listed"]) for t in tombstones] == [
        (shared["id"], "consent_withdrawn", True)
    ]
    records = await reader.pages(DATASETS, "datasets", since=since.isoformat())
    assert [(n["id"], n["dataReadable"]) for n in records] == [(shared["id"], False)]
    found = await world.call(
        "query($id: ID!) { dataset(id: $id) { updatedAt } }", {"id": shared["id"]}, "anonymous"
    )
    assert datetime.fromisoformat(found["dataset"]["updatedAt"]) > since


async def next_second() -> None:
    """HTTP dates count whole seconds: start the change in a later second than the copy."""
    now = datetime.now(UTC)
    await asyncio.sleep(1.05 - now.microsecond / 1e6)


@pytest.mark.parametrize("change", ["consent", "visibility"])
async def test_csv_validators_move_when_rows_leave_the_callers_view(
    world: World, change: str
) -> None:
    shared = await world.dataset("Shared", visibility="PUBLIC", period="2022", values=TABLE)
    await world.dataset("Kept", visibility="PUBLIC", period="2023", values=TABLE)
    consent = await world.record_consent(shared)
    first = await world.client.get(CSV_URL)
    copy: dict[str, Any] = {"etag": first.headers["etag"], "date": first.headers["last-modified"]}
    assert (
        await world.client.get(CSV_URL, headers={"If-Modified-Since": copy["date"]})
    ).status_code == 304
    await next_second()
    if change == "consent":
        await world.withdraw_consent(consent)
    else:  # the dataset leaves the anonymous caller's lists: only the removal event moves
        await world.set_visibility(shared, "COALITION")
    by_date = await world.client.get(CSV_URL, headers={"If-Modified-Since": copy["date"]})
    assert by_date.status_code == 200
    assert by_date.headers["last-modified"] != copy["date"]
    rows = list(csv.DictReader(io.StringIO(by_date.text)))
    assert len(rows) == len(TABLE) and shared["slug"] not in {r["dataset"] for r in rows}
    by_tag = await world.client.get(CSV_URL, headers={"If-None-Match": copy["etag"]})
    assert by_tag.status_code == 200 and by_tag.headers["etag"] != copy["etag"]


async def test_a_grant_running_out_re_sends_the_record_and_leaves_a_listed_tombstone(
    world: World,
) -> None:
    # given a coalition-only dataset whose description is public, read by the agency under a
    # grant that runs out (by the database's clock: in a test, now() is the outer
    # transaction's start, so the pull time and the expiry are set just before it)
    ds = await world.dataset(
        "Granted", visibility="COALITION", period="2022", values=TABLE, metadata_visibility="PUBLIC"
    )
    await world.grant(ds, expires_at=datetime.now(UTC) + timedelta(days=1))
    reader = Mirror(world, "agency")
    assert len(await reader.pages(OBSERVATIONS, "observations")) == len(TABLE)
    since = await world.conn.scalar(sa.text("SELECT now() - interval '5 seconds'"))
    await world.conn.execute(
        sa.text(
            "UPDATE datasets SET updated_at = now() - interval '10 seconds', "
            "access_changed_at = now() - interval '10 seconds', "
            "published_at = now() - interval '10 seconds' WHERE id = :d"
        ),
        {"d": ds["pk"]},
    )
    await world.conn.execute(
        sa.text("UPDATE grants SET expires_at = now() - interval '1 second' WHERE dataset_id = :d"),
        {"d": ds["pk"]},
    )
    # then the record comes again (no longer readable) and its data is a listed tombstone
    records = await reader.pages(DATASETS, "datasets", since=since.isoformat())
    assert [(n["id"], n["dataReadable"]) for n in records] == [(ds["id"], False)]
    tombstones = await reader.pages(REMOVED_DATASETS, "removedDatasets", since=since.isoformat())
    assert [(t["id"], t["reason"], t["listed"]) for t in tombstones] == [
        (ds["id"], "grant_expired", True)
    ]
    gone = await reader.pages(REMOVED_OBSERVATIONS, "removedObservations", since=since.isoformat())
    assert len(gone) == len(TABLE)


async def test_an_organisation_leaving_the_coalition_leaves_its_mirror_like_a_full_pull(
    world: World,
) -> None:
    await world.dataset("Public", visibility="PUBLIC", period="2022", values=TABLE)
    inside = await world.dataset("Inside", visibility="COALITION", period="2023", values=TABLE)
    mirror = Mirror(world, "member")
    await mirror.start()
    assert not any(hidden for _, hidden, _ in (await mirror.full())[0].values())  # insider
    await world.mutate(
        "mutation($input: CoalitionMemberRemoveInput!) { coalitionMemberRemove(input: $input) "
        "{ userErrors { field code message } } }",
        {"coalition": world.coalition["code"], "organisation": world.member_org["slug"]},
    )
    fresh = await mirror.check()  # the coalition-only data left, small cells now withheld
    assert len(fresh[0]) == len(TABLE) and any(hidden for _, hidden, _ in fresh[0].values())
    assert (inside["id"], "membership_ended", False) in {
        (t["id"], t["reason"], t["listed"]) for t in mirror.tombstones
    }


async def test_no_tombstone_for_a_version_the_ended_access_never_covered(world: World) -> None:
    # a coalition-wide grant ends; a dataset published afterwards was never read under it
    read = await world.dataset("Read", visibility="COALITION", period="2022", values=TABLE)
    await world.grant()
    since = (await stamp()).isoformat()
    await world.revoke_grant()
    later = await world.dataset("Later", visibility="COALITION", period="2023", values=TABLE)
    reader = Mirror(world, "agency")
    tombstones = await reader.pages(REMOVED_DATASETS, "removedDatasets", since=since)
    assert [(t["id"], t["reason"]) for t in tombstones] == [(read["id"], "grant_revoked")]
    gone = await reader.pages(REMOVED_OBSERVATIONS, "removedObservations", since=since)
    assert {t["datasetId"] for t in gone} == {read["id"]} != {later["id"]}


async def test_no_tombstone_for_a_release_withdrawn_during_its_embargo(world: World) -> None:
    # public releases retracted or narrowed before their embargo ended: the public never
    # read them, so no tombstone may tell it that they existed
    release = datetime.now(UTC) + timedelta(days=2)
    retracted = await world.dataset(
        "Retracted early", visibility="PUBLIC", period="2022", values=TABLE, release_at=release
    )
    narrowed = await world.dataset(
        "Narrowed early", visibility="PUBLIC", period="2023", values=TABLE, release_at=release
    )
    since = (await stamp()).isoformat()
    await world.retract(retracted)
    await world.set_visibility(narrowed, "COALITION")
    for who in ("anonymous", "agency"):
        reader = Mirror(world, who)
        assert await reader.pages(REMOVED_DATASETS, "removedDatasets", since=since) == []
        assert await reader.pages(REMOVED_OBSERVATIONS, "removedObservations", since=since) == []
    # the coalition read them: its tombstones are there
    insider = Mirror(world, "member")
    tombstones = await insider.pages(REMOVED_DATASETS, "removedDatasets", since=since)
    assert {t["id"] for t in tombstones} == {retracted["id"]}


@pytest.mark.parametrize("end", ["revoked", "expired"])
async def test_a_grant_on_an_earlier_version_ends_for_the_current_one(
    world: World, end: str
) -> None:
    # a grant names version 1; a correction makes version 2 current, which it covers too
    first = await world.dataset("Granted", visibility="COALITION", period="2022", values=TABLE)
    await world.grant(first, expires_at=datetime.now(UTC) + timedelta(days=1))
    current = await world.correct(first, "2022", (7, 9, 16, 6, 12, 18))
    mirror = Mirror(world, "agency")
    await mirror.start()
    assert {n["dataset"]["id"] for n in mirror.cells.values()} == {current["id"]}
    if end == "revoked":
        await world.revoke_grant()
        fresh = await mirror.check()  # version 2's rows left the mirror
        assert fresh[0] == {}
        return
    # expired, by the database's clock (see the test of a grant running out above): both
    # versions published 10 s ago, the mirror's pull 5 s ago, the expiry 1 s ago
    since = await world.conn.scalar(sa.text("SELECT now() - interval '5 seconds'"))
    await world.conn.execute(
        sa.text(
            "UPDATE datasets SET published_at = now() - interval '10 seconds' WHERE id IN (:a, :b)"
        ),
        {"a": first["pk"], "b": int(base64.b64decode(current["id"]).split(b":")[1])},
    )
    await world.conn.execute(
        sa.text("UPDATE grants SET expires_at = now() - interval '1 second' WHERE dataset_id = :d"),
        {"d": first["pk"]},
    )
    gone = await mirror.pages(REMOVED_OBSERVATIONS, "removedObservations", since=since.isoformat())
    # (version 1's rows, read before the correction, may come again: deleting is idempotent)
    assert sum(t["datasetId"] == current["id"] for t in gone) == len(TABLE)
