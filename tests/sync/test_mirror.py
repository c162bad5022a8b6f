"""Issue 9, "Lifecycle and mirrors": an agency mirror (with a grant) and an anonymous mirror,
syncing incrementally through GraphQL (``observations(filter: {updatedSince})``,
``removedObservations``, ``removedDatasets``, ``datasets(filter: {updatedSince})``) and the CSV
export (``updatedSince``), or through SDMX ``updatedAfter`` (SDMX-CSV 2.0, ``ACTION`` D for
deletions), end identical, cell for cell (value, suppressed, CONF_STATUS), to a fresh full pull
after each change of what their caller sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.sync.mirror_world import Mirror, World

from lnob_api.auth.keys import KeyStore

# Two areas x (F, M, total): small cells at 4 and 3 under the default threshold 5.
TABLE = (4, 8, 12, 6, 3, 9)


async def test_mirrors_follow_every_change_of_what_their_caller_sees(
    conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore
) -> None:
    await scenario(World(conn, client, signing_keys), sdmx=False)


async def test_sdmx_mirrors_follow_every_change_of_what_their_caller_sees(
    conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore
) -> None:
    await scenario(World(conn, client, signing_keys), sdmx=True)


async def scenario(w: World, *, sdmx: bool) -> None:
    await w.build(threshold=5)
    counted = await w.dataset("Counted", visibility="PUBLIC", period="2019", values=TABLE)
    private = await w.dataset("Private", visibility="COALITION", period="2020", values=TABLE)
    narrowed = await w.dataset("Narrowed", visibility="PUBLIC", period="2021", values=TABLE)
    consented = await w.dataset("Consented", visibility="PUBLIC", period="2022", values=TABLE)
    corrected = await w.dataset("Corrected", visibility="PUBLIC", period="2024", values=TABLE)
    consent = await w.record_consent(consented)
    await w.grant(private)
    mirrors = [Mirror(w, "anonymous", sdmx=sdmx), Mirror(w, "agency", sdmx=sdmx)]
    for mirror in mirrors:
        await mirror.start()
    seen = {m.who: await m.full() for m in mirrors}
    assert len(seen["agency"][0]) == len(seen["anonymous"][0]) + len(TABLE)  # the granted one

    async def step(*, changes: set[str]) -> None:
        """Every mirror syncs and equals a full pull; ``changes`` say whose view changed."""
        for mirror in mirrors:
            fresh = await mirror.check()
            assert (fresh != seen[mirror.who]) is (mirror.who in changes), mirror.who
            seen[mirror.who] = fresh

    def suppressed(who: str) -> int:
        return sum(1 for cell in seen[who][0].values() if cell[-1] == "C")  # CONF_STATUS

    # threshold up: more cells withheld (the 6, 8 and 9 too), none of them as a tombstone
    before = suppressed("anonymous")
    await w.set_threshold(10)
    await step(changes={"anonymous", "agency"})
    raised = suppressed("anonymous")
    assert raised > before
    # threshold down again: cells come back
    await w.set_threshold(5)
    await step(changes={"anonymous", "agency"})
    assert suppressed("anonymous") == before < raised

    # an embargoed release; during the embargo, a grant and a visibility change (which once
    # reset the release's sync time to "now", so that the release reached no mirror)
    release = datetime.now(UTC) + timedelta(days=2)
    granted = await w.dataset(
        "Embargoed grant", visibility="COALITION", period="2025", values=TABLE, release_at=release
    )
    widened = await w.dataset(
        "Embargoed widening",
        visibility="PARTNERSHIP",
        period="2026",
        values=TABLE,
        release_at=release,
    )
    await w.grant(granted)
    await w.set_visibility(widened, "PUBLIC")
    await step(changes=set())  # nothing shows before the release
    await w.end_embargo(granted)
    await w.end_embargo(widened)
    await step(changes={"anonymous", "agency"})
    assert len(seen["agency"][0]) == len(seen["anonymous"][0]) + 2 * len(TABLE)

    # a visibility change: one dataset narrowed (both lose it), the private one widened
    await w.set_visibility(narrowed, "COALITION")
    await w.set_visibility(private, "PUBLIC")
    await step(changes={"anonymous", "agency"})

    # consent withdrawal: the data leaves, the record stays (with its reason as a tombstone)
    await w.withdraw_consent(consent)
    await step(changes={"anonymous", "agency"})
    # retraction
    await w.retract(counted)
    await step(changes={"anonymous", "agency"})
    # a correction: a new version supersedes the old one
    await w.correct(corrected, "2024", (7, 9, 16, 2, 12, 14))
    await step(changes={"anonymous", "agency"})

    if sdmx:
        return
    for mirror in mirrors:
        reasons = {(t["id"], t["reason"], t["listed"]) for t in mirror.tombstones}
        assert (consented["id"], "consent_withdrawn", True) in reasons, mirror.who
        assert (counted["id"], "retracted", True) in reasons, mirror.who
        assert (corrected["id"], "superseded", False) in reasons, mirror.who
        # the narrowed dataset left the lists too: its record's narrowing is the latest cause
        assert (narrowed["id"], "metadata_visibility", False) in reasons, mirror.who
