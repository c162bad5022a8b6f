"""SQL of disclosure control: cells as outsiders read them, their suppression flags, and the
facts the protection model needs (area parents, provenance sample sizes, grantees).

Small cells are read with the very predicate the read paths apply to outsiders
(``visibility.suppressed`` for an anonymous principal, in ``_small``), so the flags are computed
against exactly what outsiders will have withheld. What an audience reads comes from the
visibility layer with that audience's principal (``visibility.observation_visible``), never
from a second copy of its rules.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import visibility
from lnob_api.auth.principal import ANONYMOUS, Principal, PrincipalKind, Scope
from lnob_api.disclosure.model import AuditCell
from lnob_api.disclosure.perturbation import known_interval, observation_perturbed
from lnob_api.disclosure.primary import is_count_unit, observation_primary
from lnob_api.disclosure.secondary import (
    BUILT_IN_DIMENSIONS,
    TOTAL,
    Cell,
    cell_from_row,
    normal_unit,
)
from lnob_api.models.enums import DatasetStatus, Perturbation, Visibility
from lnob_api.models.tables import areas, coalitions, datasets, grants, observations, organisations
from lnob_api.models.tables import coalition_members as members
from lnob_api.models.tables import oauth_clients as clients

Executor = AsyncSession | AsyncConnection

# What makes a table, besides the dataset version and the unit (``secondary.cell_from_row``);
# target_code where observations may target an SDG target instead of an indicator.
_TABLE_COLUMNS = tuple(
    name
    for name in ("indicator_id", "target_code", "area_code", "period")
    if name in observations.c
)


def _small() -> ColumnElement[bool]:
    """Primary suppression as every principal outside the owning coalition gets it."""
    return visibility.suppressed(
        ANONYMOUS,
        datasets.c.coalition_id,
        primary=observation_primary(observations, datasets, coalitions),
        secondary=sa.false(),
    )


async def cells(db: Executor, dataset_id: int) -> list[Cell]:
    """Every observation of one dataset version, as the algorithm's cells."""
    stmt = (
        sa.select(
            observations.c.id,
            *(observations.c[name] for name in _TABLE_COLUMNS),
            observations.c.unit,
            *(observations.c[name] for name in BUILT_IN_DIMENSIONS),
            observations.c.dimensions,
            observations.c.value,
            observations.c.sample_size,
            _small().label("primary"),
        )
        .select_from(
            observations.join(datasets, datasets.c.id == observations.c.dataset_id).join(
                coalitions, coalitions.c.id == datasets.c.coalition_id
            )
        )
        .where(observations.c.dataset_id == dataset_id)
    )
    return [cell_from_row(row) for row in (await db.execute(stmt)).mappings()]


async def write_flags(db: Executor, dataset_id: int, flagged: Collection[int]) -> int:
    """Set ``secondary_suppressed`` on exactly the ``flagged`` observations of the dataset
    version; rows whose flag changes get a new ``updated_at`` (incremental sync resends them).
    Returns how many rows changed."""
    ids = sa.bindparam("flagged", sorted(flagged), type_=pg.ARRAY(sa.BigInteger))
    wanted = observations.c.id == sa.any_(ids)
    stmt = (
        sa.update(observations)
        .where(
            observations.c.dataset_id == dataset_id,
            observations.c.secondary_suppressed.is_distinct_from(wanted),
        )
        .values(secondary_suppressed=wanted, updated_at=sa.func.now())
        .returning(observations.c.id)
    )
    return len((await db.execute(stmt)).all())


_joined = observations.join(datasets, datasets.c.id == observations.c.dataset_id).join(
    coalitions, coalitions.c.id == datasets.c.coalition_id
)


def _audit_columns(shown: ColumnElement[bool]) -> list[Any]:
    return [
        observations.c.id,
        observations.c.dataset_id,
        datasets.c.lineage_id,
        datasets.c.version,
        *(observations.c[name] for name in _TABLE_COLUMNS),
        observations.c.unit,
        *(observations.c[name] for name in BUILT_IN_DIMENSIONS),
        observations.c.dimensions,
        observations.c.value,
        observations.c.sample_size,
        _small().label("primary"),
        shown.label("shown"),
        # What outsiders read of the value when the coalition perturbs (the same for all).
        observation_perturbed(observations, coalitions).label("perturbed_value"),
        coalitions.c.perturbation,
        coalitions.c.suppression_threshold.label("threshold"),
    ]


def _known(row: Any) -> tuple[float, float] | None:
    """The interval outsiders can put a count in from its perturbed value (None: exact)."""
    method = Perturbation(row["perturbation"])
    if method is Perturbation.NONE or row["value"] is None or not is_count_unit(row["unit"]):
        return None
    value = float(row["value"])
    return known_interval(
        method,
        float(row["perturbed_value"]),
        int(row["threshold"]),
        integral=value.is_integer(),
    )


def audit_cell(row: Any) -> AuditCell:
    """An observation row as the audit's cell (``_T`` dimensions left out)."""
    dims = [(name, str(row[name])) for name in BUILT_IN_DIMENSIONS if row[name] != TOTAL]
    for key, code in sorted((row["dimensions"] or {}).items()):
        text = code if isinstance(code, str) else json.dumps(code, sort_keys=True)
        if text != TOTAL:
            dims.append(("dimensions." + key, text))
    return AuditCell(
        id=int(row["id"]),
        dataset_id=int(row["dataset_id"]),
        lineage_id=int(row["lineage_id"]),
        version=int(row["version"]),
        indicator=(row["indicator_id"], row.get("target_code")),
        area=row["area_code"],
        period=row["period"],
        unit=normal_unit(row["unit"]),
        dimensions=tuple(sorted(dims)),
        value=None if row["value"] is None else float(row["value"]),
        sample_size=None if row["sample_size"] is None else int(row["sample_size"]),
        shown=bool(row["shown"]),
        primary=bool(row["primary"]),
        known=_known(row),
    )


def _of_indicators(indicators: Collection[Any] | None) -> list[ColumnElement[bool]]:
    """Only cells of these (indicator_id, target_code) pairs (None: all)."""
    if indicators is None:
        return []
    ids = sorted({i for i, _ in indicators if i is not None})
    targets = sorted({t for _, t in indicators if t is not None})
    return [
        sa.or_(
            observations.c.indicator_id.in_(ids) if ids else sa.false(),
            observations.c.target_code.in_(targets) if targets else sa.false(),
        )
    ]


async def audience_cells(
    db: Executor,
    coalition_id: int,
    principal: Principal,
    *,
    indicators: Collection[Any] | None = None,
) -> list[AuditCell]:
    """Every cell of the coalition the principal can read, any readable version, with whether
    its value is shown to that principal."""
    hidden = visibility.suppressed(
        principal,
        datasets.c.coalition_id,
        primary=observation_primary(observations, datasets, coalitions),
        secondary=observations.c.secondary_suppressed,
    )
    stmt = (
        sa.select(*_audit_columns(~hidden))
        .select_from(_joined)
        .where(
            datasets.c.coalition_id == coalition_id,
            visibility.observation_visible(principal, current_only=False),
            *_of_indicators(indicators),
        )
    )
    return [audit_cell(row) for row in (await db.execute(stmt)).mappings()]


def readable_outside(audiences: Collection[Principal]) -> ColumnElement[bool]:
    """Datasets some outside audience reads (any version), or will read once an embargo ends
    (published, embargoed, visibility wider than the coalition)."""
    embargoed = sa.and_(
        datasets.c.status == DatasetStatus.PUBLISHED.value,
        datasets.c.release_at > sa.func.now(),
        datasets.c.visibility != Visibility.COALITION.value,
    )
    seen = [visibility.dataset_data_visible(p, current_only=False) for p in audiences]
    return sa.or_(embargoed, *seen)


async def scope_cells(
    db: Executor,
    coalition_id: int,
    audiences: Collection[Principal],
    *,
    indicators: Collection[Any] | None = None,
) -> tuple[list[AuditCell], list[int]]:
    """(cells of datasets some outsider reads, ids of the coalition's other cells) of the given
    indicators: the first are protected together, the second only table by table."""
    inside = readable_outside(audiences)
    stmt = (
        sa.select(*_audit_columns(sa.true()), inside.label("outside"))
        .select_from(_joined)
        .where(datasets.c.coalition_id == coalition_id, *_of_indicators(indicators))
    )
    protected, others = [], []
    for row in (await db.execute(stmt)).mappings():
        if row["outside"]:
            protected.append(audit_cell(row))
        else:
            others.append(int(row["dataset_id"]))
    return protected, sorted(set(others))


async def indicators_of_lineage(db: Executor, dataset_id: int) -> tuple[int, set[Any]]:
    """(coalition id, the (indicator_id, target_code) pairs of every version of the dataset's
    lineage)."""
    lineage = sa.select(datasets.c.lineage_id).where(datasets.c.id == dataset_id).scalar_subquery()
    coalition = (
        await db.execute(sa.select(datasets.c.coalition_id).where(datasets.c.id == dataset_id))
    ).scalar_one()
    rows = await db.execute(
        sa.select(observations.c.indicator_id, observations.c.target_code)
        .distinct()
        .select_from(observations.join(datasets, datasets.c.id == observations.c.dataset_id))
        .where(datasets.c.lineage_id == lineage)
    )
    return int(coalition), {(r[0], r[1]) for r in rows}


async def write_cell_flags(
    db: Executor, scope: Collection[int], flagged: Collection[int]
) -> list[int]:
    """Set ``secondary_suppressed`` on the ``scope`` cells: true exactly for ``flagged``; rows
    whose flag changes get a new ``updated_at``. Returns the dataset ids of changed rows."""
    ids = sa.bindparam("scope", sorted(scope), type_=pg.ARRAY(sa.BigInteger))
    chosen = sa.bindparam("chosen", sorted(flagged), type_=pg.ARRAY(sa.BigInteger))
    wanted = observations.c.id == sa.any_(chosen)
    stmt = (
        sa.update(observations)
        .where(
            observations.c.id == sa.any_(ids),
            observations.c.secondary_suppressed.is_distinct_from(wanted),
        )
        .values(secondary_suppressed=wanted, updated_at=sa.func.now())
        .returning(observations.c.dataset_id)
    )
    return [int(d) for d in (await db.execute(stmt)).scalars()]


async def area_parents(db: Executor, codes: Collection[str]) -> dict[str, str | None]:
    """Each area's parent, for the areas given and all their ancestors."""
    wanted = sorted(set(codes))
    stmt = sa.select(areas.c.code, areas.c.parent_code).where(
        sa.or_(
            areas.c.code.in_(wanted),
            areas.c.code.in_(
                sa.select(sa.func.unnest(areas.c.ancestors)).where(areas.c.code.in_(wanted))
            ),
        )
    )
    return {r[0]: r[1] for r in await db.execute(stmt)}


async def provenance_n(
    db: Executor, dataset_ids: Collection[int]
) -> dict[int, tuple[str | None, int]]:
    """The recorded sample size (and area) of each dataset that has one."""
    stmt = sa.select(datasets.c.id, datasets.c.area_code, datasets.c.sample_size).where(
        datasets.c.id.in_(sorted(set(dataset_ids))), datasets.c.sample_size.is_not(None)
    )
    return {int(r[0]): (r[1], int(r[2])) for r in await db.execute(stmt)}


async def coalition(
    db: Executor, *, code: str | None = None, coalition_id: int | None = None
) -> Any:
    """(id, code, threshold, rate_share, perturbation) of a coalition, or None."""
    stmt = sa.select(
        coalitions.c.id,
        coalitions.c.code,
        coalitions.c.suppression_threshold,
        coalitions.c.rate_share,
        coalitions.c.perturbation,
    )
    if code is not None:
        stmt = stmt.where(coalitions.c.code == code.strip().upper())
    if coalition_id is not None:
        stmt = stmt.where(coalitions.c.id == coalition_id)
    return (await db.execute(stmt)).first()


# The first key of the advisory locks that serialise recomputes (the second is the coalition).
_RECOMPUTE_LOCK = 0x4C4E4F42


async def lock_recompute(db: Executor, coalition_id: int) -> None:
    """Wait for any other transaction recomputing this coalition's pattern to end (the lock is
    released at commit or rollback): two publishes at once must each see the other's cells."""
    await db.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.literal(_RECOMPUTE_LOCK), coalition_id))
    )


async def coalition_codes(db: Executor) -> list[str]:
    return [
        str(c)
        for c in (
            await db.execute(sa.select(coalitions.c.code).order_by(coalitions.c.code))
        ).scalars()
    ]


PARTNER = Principal(
    kind=PrincipalKind.USER, is_partner=True, scopes=frozenset({Scope.DATA_READ.value})
)


async def grantee_principals(db: Executor, coalition_id: int) -> list[tuple[str, Principal]]:
    """A principal for each outside holder of a live grant on the coalition's data, as its own
    token would resolve (organisation, client, partner status, memberships), named."""
    member_of = (
        sa.select(sa.func.array_agg(members.c.coalition_id))
        .where(
            members.c.organisation_id
            == sa.func.coalesce(grants.c.organisation_id, clients.c.organisation_id)
        )
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            grants.c.organisation_id,
            grants.c.client_id.label("client_pk"),
            clients.c.client_id,
            clients.c.organisation_id.label("client_org"),
            organisations.c.slug,
            member_of.label("member_of"),
        )
        .select_from(
            grants.outerjoin(clients, clients.c.id == grants.c.client_id).outerjoin(
                organisations, organisations.c.id == grants.c.organisation_id
            )
        )
        .where(
            grants.c.coalition_id == coalition_id,
            grants.c.revoked_at.is_(None),
            sa.or_(grants.c.expires_at.is_(None), grants.c.expires_at > sa.func.now()),
        )
    )
    found: dict[str, Principal] = {}
    for row in (await db.execute(stmt)).mappings():
        coalitions_in = frozenset(int(c) for c in row["member_of"] or ())
        if coalition_id in coalitions_in:
            continue  # a member of the owning coalition reads everything unsuppressed
        if row["client_pk"] is not None:
            name = f"client:{row['client_id']}"
            orgs = frozenset({int(row["client_org"])})
        else:
            name = f"organisation:{row['slug']}"
            orgs = frozenset({int(row["organisation_id"])})
        found[name] = Principal(
            kind=PrincipalKind.CLIENT,
            client_pk=int(row["client_pk"]) if row["client_pk"] is not None else None,
            organisation_ids=orgs,
            member_coalition_ids=coalitions_in,
            is_partner=bool(coalitions_in),
            scopes=frozenset({Scope.DATA_READ.value}),
        )
    return sorted(found.items())


async def information_loss(db: Executor, coalition_id: int) -> list[Any]:
    """Per dataset version of the coalition: cells, cells withheld from outsiders, and the
    total and withheld absolute value."""
    hidden = sa.or_(_small(), observations.c.secondary_suppressed)
    magnitude = sa.func.abs(sa.func.coalesce(observations.c.value, 0.0))
    stmt = (
        sa.select(
            datasets.c.id,
            datasets.c.slug,
            datasets.c.version,
            sa.func.count().label("cells"),
            sa.func.count().filter(hidden).label("withheld"),
            sa.func.coalesce(sa.func.sum(magnitude), 0.0).label("value"),
            sa.func.coalesce(sa.func.sum(magnitude).filter(hidden), 0.0).label("withheld_value"),
        )
        .select_from(_joined)
        .where(datasets.c.coalition_id == coalition_id)
        .group_by(datasets.c.id)
        .order_by(datasets.c.id)
    )
    return list((await db.execute(stmt)).mappings())
