"""A coalition's history, published through the API, and a log of what was readable when.

Everything is written by mutations (``tests.sync.mirror_world.World``: uploads, publish,
correction drafts, embargo, grant, consent, retraction): one public lineage corrected twice,
its third version under an embargo that has ended since; a coalition-only lineage granted to
an agency, whose second version is still under embargo; a public lineage retracted since; a
public lineage whose community withdrew its consent since. After every step the test notes,
from what it published itself, the cells each caller (anonymous, the agency with a grant) could
read at that instant, and the dataset versions it could list.

Time travel: the tests' outer transaction freezes ``now()`` at the test's start, so an
embargo can never end inside it. ``shift_history`` moves every time stamp the history wrote
(and the log's instants) back by the same amount, until the first embargo's end lies before
``now()``: the history keeps its order and gaps, and today sees that embargo over (the suite
moves ``release_at`` the same way: ``mirror_world.World.end_embargo``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from tests.sync.mirror_world import PUBLISH, UPDATE, World, stamp

WHO = ("anonymous", "agency")
# Two areas x (F, M, total), counts all above the threshold (nothing withheld).
L1 = {1: (10, 20, 30, 12, 18, 30), 2: (11, 21, 32, 13, 19, 32), 3: (14, 22, 36, 15, 25, 40)}
L2 = {1: (40, 50, 90, 41, 51, 92), 2: (60, 61, 121, 62, 63, 125)}
L3 = (7, 8, 15, 9, 6, 15)
L4 = (16, 17, 33, 18, 19, 37)
EMBARGO = timedelta(seconds=3)

Cell = tuple[str, str, str, float]  # period, area, sex, value


@dataclass(frozen=True)
class Version:
    slug: str
    number: int
    period: str
    values: tuple[int, ...]
    audience: frozenset[str]


@dataclass
class Entry:
    at: datetime
    cells: dict[str, set[Cell]]
    versions: dict[str, set[tuple[str, int]]]


@dataclass
class History:
    world: World
    # Per lineage: the version outsiders read now (by the log), the last one published (an
    # embargoed one waits in ``pending``), and the global id of the latest version.
    current: dict[str, Version] = field(default_factory=dict)
    last: dict[str, Version] = field(default_factory=dict)
    pending: dict[str, tuple[Version, datetime]] = field(default_factory=dict)
    gids: dict[str, str] = field(default_factory=dict)
    log: list[Entry] = field(default_factory=list)
    # Lineages whose data is withdrawn now (retraction, consent), and listed ones withdrawn now.
    data_withdrawn: set[str] = field(default_factory=set)
    listing_withdrawn: set[str] = field(default_factory=set)
    # Lineages still listed whose data nobody reads any more (a consent withdrawn).
    unreadable: set[str] = field(default_factory=set)

    def cells_of(self, version: Version) -> set[Cell]:
        w = self.world
        places = [(w.area1, s) for s in ("F", "M", "_T")] + [(w.area2, s) for s in ("F", "M", "_T")]
        return {
            (version.period, area, sex, float(value))
            for (area, sex), value in zip(places, version.values, strict=True)
        }

    async def mark(self) -> datetime:
        """Note what each caller reads now (by what was published) at a fresh instant."""
        at = await stamp()
        for name, (version, release) in list(self.pending.items()):
            if release <= at:  # its embargo is over: it supersedes the version before
                self.current[name] = version
                del self.pending[name]
        cells = {who: set[Cell]() for who in WHO}
        versions = {who: set[tuple[str, int]]() for who in WHO}
        for name, version in self.current.items():
            for who in version.audience:
                if name not in self.unreadable:
                    cells[who] |= self.cells_of(version)
                versions[who].add((version.slug, version.number))
        self.log.append(Entry(at, cells, versions))
        return at

    def expected_cells(self, entry: Entry, who: str) -> set[Cell]:
        """What ``asOf`` must return: the log's cells, minus everything withdrawn now."""
        gone = set[Cell]()
        for name in self.data_withdrawn:
            gone |= self.cells_of(self.last[name])
        return entry.cells[who] - gone

    def expected_versions(self, entry: Entry, who: str) -> set[tuple[str, int]]:
        slugs = {self.last[name].slug for name in self.listing_withdrawn}
        return {v for v in entry.versions[who] if v[0] not in slugs}

    # --- writing through the API ------------------------------------------------------------

    async def publish_new(
        self, name: str, *, visibility: str, period: str, values: tuple[int, ...]
    ) -> dict[str, Any]:
        ds = await self.world.dataset(name, visibility=visibility, period=period, values=values)
        audience = frozenset(WHO) if visibility == "PUBLIC" else frozenset({"agency"})
        version = Version(ds["slug"], 1, period, values, audience)
        self.current[name] = self.last[name] = version
        self.gids[name] = ds["id"]
        return ds

    async def correct(
        self, name: str, values: tuple[int, ...], *, release_at: datetime | None = None
    ) -> str:
        """A new version of the lineage (edit opens the draft, upload, publish); with
        ``release_at`` it stays embargoed (the log keeps the old version until released)."""
        w = self.world
        gid = self.gids[name]
        payload = await w.mutate(
            UPDATE, {"id": gid, "rowVersion": await w.row_version(gid), "title": f"{name}+"}
        )
        draft = payload["dataset"]
        old = self.current[name]
        await w.upload(draft["id"], w.table(old.period, values), replace=True)
        publish: dict[str, Any] = {
            "id": draft["id"],
            "rowVersion": await w.row_version(draft["id"]),
        }
        if release_at is not None:
            publish["releaseAt"] = release_at.isoformat()
        await w.mutate(PUBLISH, publish)
        self.gids[name] = draft["id"]
        new = replace(old, number=int(draft["version"]), values=values)
        self.last[name] = new
        if release_at is None:
            self.current[name] = new
        else:
            self.pending[name] = (new, release_at)
        return str(draft["id"])


async def build_history(world: World) -> History:
    """The scenario of the module docstring; the log holds one entry per step."""
    await world.build(threshold=5)
    await world.grant()  # all the coalition's data, to the agency's client, from the start
    h = History(world)
    await h.mark()  # nothing published yet
    await h.publish_new("Corrected", visibility="PUBLIC", period="2019", values=L1[1])
    await h.mark()
    await h.publish_new("Granted", visibility="COALITION", period="2020", values=L2[1])
    await h.mark()
    await h.publish_new("Retracted", visibility="PUBLIC", period="2021", values=L3)
    consented = await h.publish_new("Consented", visibility="PUBLIC", period="2022", values=L4)
    consent = await world.record_consent(consented)
    await h.mark()
    await h.correct("Corrected", L1[2])
    await h.mark()
    await h.correct("Granted", L2[2], release_at=datetime.now(UTC) + timedelta(days=2))
    release = datetime.now(UTC) + EMBARGO
    await h.correct("Corrected", L1[3], release_at=release)
    # both embargoed: outsiders still read the versions before (on a machine slow enough to
    # publish past the embargo's end, the log says so: ``mark`` promotes released versions)
    await h.mark()
    await asyncio.sleep(max(0.0, (release - datetime.now(UTC)).total_seconds()) + 0.05)
    await h.mark()  # the first embargo is over
    await world.retract({"id": h.gids["Retracted"]})
    h.current.pop("Retracted")
    h.data_withdrawn.add("Retracted")
    h.listing_withdrawn.add("Retracted")
    await h.mark()
    await world.withdraw_consent(consent)
    h.unreadable.add("Consented")  # listed still, its data read by nobody
    h.data_withdrawn.add("Consented")
    await h.mark()
    await shift_history(h, release)
    return h


async def shift_history(h: History, release: datetime) -> None:
    """Move the coalition's time stamps, and the log, back until ``release`` lies before the
    transaction's ``now()`` (see the module docstring)."""
    conn = h.world.conn
    now = (await conn.execute(sa.text("SELECT now()"))).scalar_one()
    delta = (release - now) + timedelta(seconds=2)
    stamps = ("published_at", "release_at", "superseded_at", "retracted_at")
    await conn.execute(
        sa.text(
            "UPDATE datasets SET "
            + ", ".join(f"{c} = {c} - CAST(:d AS interval)" for c in stamps)
            + " WHERE coalition_id = :c"
        ),
        {"d": delta, "c": h.world.coalition["id"]},
    )
    # The embargo still in force stays in force: it ends two days after the test.
    for entry in h.log:
        entry.at -= delta
