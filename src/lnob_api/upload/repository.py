"""Upload SQL: reference lookups, the staging table loaded with COPY, duplicate checks, the
final INSERT ... SELECT, and the upload record.

The staging table is a temporary table on the request's own connection, created inside the
caller's transaction (a mutation's savepoint): when the upload is refused or fails, rolling
back removes it with everything else; on success it is dropped right after the insert.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.models.observation import DIMENSION_COLUMNS
from lnob_api.models.tables import areas, dataset_indicators, datasets, indicators, observations
from lnob_api.models.tables import dataset_uploads as uploads

STAGING = "upload_rows"
STAGING_COLUMNS = (
    "row_no",
    "indicator_id",
    "area_code",
    "period",
    "period_start",
    "period_end",
    "value",
    "unit",
    "obs_status",
    "sample_size",
    *DIMENSION_COLUMNS,
    "dimensions",
    "comment",
)
_OBSERVATION_COLUMNS = STAGING_COLUMNS[1:]
# The observation key (uq_observations_key) less the dataset. ``dimensions`` is canonical JSON
# text in the staging table (sorted keys), so comparing it as text compares it as JSON.
_KEY = ("indicator_id", "area_code", "period", *DIMENSION_COLUMNS, "dimensions")
_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "row_no": sa.Integer(),
    "indicator_id": sa.BigInteger(),
    "period_start": sa.Date(),
    "period_end": sa.Date(),
    "value": sa.Double(),
    "sample_size": sa.Integer(),
}
_NULLABLE = ("value", "sample_size")

staging = sa.Table(
    STAGING,
    sa.MetaData(),
    *(
        sa.Column(name, _TYPES.get(name, sa.Text()), nullable=name in _NULLABLE)
        for name in STAGING_COLUMNS
    ),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def _staged(name: str) -> sa.ColumnElement[Any]:
    column = staging.c[name]
    return sa.cast(column, pg.JSONB) if name == "dimensions" else column


class LockedDataset(NamedTuple):
    id: int
    coalition_id: int
    status: str
    row_version: int


async def lock_dataset(
    session: AsyncSession, dataset_id: int, principal: Principal
) -> LockedDataset | None:
    """The dataset's id, coalition, status and row version, its row locked until the
    transaction ends (uploads into one version queue up); None when the principal may not see
    it."""
    result = await session.execute(
        sa.select(datasets.c.id, datasets.c.coalition_id, datasets.c.status, datasets.c.row_version)
        .where(datasets.c.id == dataset_id, visibility.dataset_visible(principal, datasets))
        .with_for_update()
    )
    row = result.first()
    return LockedDataset(*row) if row is not None else None


async def touch_dataset(session: AsyncSession, dataset_id: int) -> int:
    """Count the upload as a change of the dataset: bump its row version; returns the new one."""
    new_version = await session.scalar(
        sa.update(datasets)
        .where(datasets.c.id == dataset_id)
        .values(row_version=datasets.c.row_version + 1, updated_at=sa.func.now())
        .returning(datasets.c.row_version)
    )
    return int(new_version or 0)


async def coalition_country(session: AsyncSession, coalition_id: int) -> str:
    code = await session.scalar(
        sa.select(models.Coalition.code).where(models.Coalition.id == coalition_id)
    )
    return str(code)


async def indicator_ids(session: AsyncSession, coalition_id: int) -> dict[str, int]:
    """Lower-case code -> id of the global indicators and the coalition's custom ones."""
    rows = await session.execute(
        sa.select(indicators.c.code, indicators.c.id).where(
            sa.or_(indicators.c.coalition_id.is_(None), indicators.c.coalition_id == coalition_id)
        )
    )
    return {str(r.code).lower(): int(r.id) for r in rows}


async def country_areas(session: AsyncSession, country: str) -> list[tuple[str, str]]:
    """(code, name) of the country, its subdivisions and its coalition's local areas."""
    rows = await session.execute(
        sa.select(areas.c.code, areas.c.name).where(areas.c.country_code == country)
    )
    return [(str(r.code), str(r.name)) for r in rows]


async def known_upload(session: AsyncSession, dataset_id: int, sha256: str) -> int | None:
    """The id of an earlier upload of the same content into this dataset version."""
    found = await session.scalar(
        sa.select(uploads.c.id).where(
            uploads.c.dataset_id == dataset_id, uploads.c.sha256 == sha256
        )
    )
    return int(found) if found is not None else None


async def create_staging(session: AsyncSession) -> None:
    await session.execute(sa.schema.CreateTable(staging))


async def copy_into_staging(session: AsyncSession, records: AsyncIterable[tuple[Any, ...]]) -> None:
    """Stream ``records`` (in STAGING_COLUMNS order) into the staging table with binary COPY,
    on the session's own connection and transaction."""
    raw = await (await session.connection()).get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(STAGING, records=records, columns=list(STAGING_COLUMNS))
    # Temporary tables are never auto-analysed; the duplicate checks need row estimates.
    await session.execute(sa.text("ANALYZE upload_rows"))


async def duplicates_in_file(
    session: AsyncSession, limit: int
) -> tuple[list[tuple[int, int]], int]:
    """(row, first row with the same key) for each repeated key, the first ``limit``, and how
    many there are."""
    # Byte-order collation: a cheaper sort, the same equality.
    partition = [staging.c[c] if c == "indicator_id" else staging.c[c].collate("C") for c in _KEY]
    first_row = sa.func.min(staging.c.row_no).over(partition_by=partition).label("first_row")
    keyed = sa.select(staging.c.row_no, first_row).subquery("keyed")
    stmt = (
        sa.select(keyed.c.row_no, keyed.c.first_row, sa.func.count().over().label("total"))
        .where(keyed.c.row_no != keyed.c.first_row)
        .order_by(keyed.c.row_no)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    total = int(rows[0].total) if rows else 0
    return [(int(r.row_no), int(r.first_row)) for r in rows], total


async def has_observations(session: AsyncSession, dataset_id: int) -> bool:
    return bool(
        await session.scalar(sa.select(sa.exists().where(observations.c.dataset_id == dataset_id)))
    )


async def duplicates_of_existing(
    session: AsyncSession, dataset_id: int, limit: int
) -> tuple[list[int], int]:
    """Rows whose key is already an observation of the dataset: the first ``limit``, and the
    count."""
    same_key = sa.and_(
        observations.c.dataset_id == dataset_id,
        *(observations.c[c] == _staged(c) for c in _KEY),
    )
    stmt = (
        sa.select(staging.c.row_no, sa.func.count().over().label("total"))
        .select_from(staging.join(observations, same_key))
        .order_by(staging.c.row_no)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    total = int(rows[0].total) if rows else 0
    return [int(r.row_no) for r in rows], total


async def clear_dataset(session: AsyncSession, dataset_id: int) -> int:
    """Delete the version's observations and its upload records; returns observations deleted."""
    result = await session.execute(
        sa.delete(observations).where(observations.c.dataset_id == dataset_id)
    )
    await session.execute(sa.delete(uploads).where(uploads.c.dataset_id == dataset_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def insert_observations(session: AsyncSession, dataset_id: int) -> int:
    """Move the staged rows into the dataset, in file order; returns the rows inserted."""
    rows = sa.select(
        sa.literal(dataset_id, sa.BigInteger()), *(_staged(c) for c in _OBSERVATION_COLUMNS)
    ).order_by(staging.c.row_no)
    result = await session.execute(
        sa.insert(observations).from_select(["dataset_id", *_OBSERVATION_COLUMNS], rows)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def link_indicators(session: AsyncSession, dataset_id: int) -> None:
    """List the uploaded rows' indicators among the dataset's indicators."""
    indicators = sa.select(sa.literal(dataset_id, sa.BigInteger()), staging.c.indicator_id)
    await session.execute(
        pg.insert(dataset_indicators)
        .from_select(["dataset_id", "indicator_id"], indicators.distinct())
        .on_conflict_do_nothing()
    )


async def drop_staging(session: AsyncSession) -> None:
    await session.execute(sa.schema.DropTable(staging, if_exists=True))


async def record_upload(session: AsyncSession, values: Mapping[str, Any]) -> int:
    new_id = await session.scalar(sa.insert(uploads).values(**values).returning(uploads.c.id))
    return int(new_id)


async def draft_by_slug(session: AsyncSession, slug: str) -> int | None:
    """The open draft version of the dataset with this slug."""
    found = await session.scalar(
        sa.select(datasets.c.id).where(datasets.c.slug == slug, datasets.c.status == "DRAFT")
    )
    return int(found) if found is not None else None


async def dataset_slug_exists(session: AsyncSession, slug: str) -> bool:
    return bool(await session.scalar(sa.select(sa.exists().where(datasets.c.slug == slug))))


_USER = sa.text(
    """
    SELECT u.id, u.is_active, u.is_partnership_admin,
      COALESCE((SELECT json_object_agg(r.coalition_id, r.role) FROM coalition_user_roles r
                WHERE r.user_id = u.id), '{}'::json) AS roles,
      ARRAY(SELECT ou.organisation_id FROM organisation_users ou WHERE ou.user_id = u.id)
        AS organisations
    FROM users u WHERE lower(u.email) = lower(:email)
    """
)


async def user_by_email(session: AsyncSession, email: str) -> Mapping[str, Any] | None:
    """A user's id, flags, coalition roles and organisations (the CLI acts as this user)."""
    row = (await session.execute(_USER, {"email": email.strip()})).mappings().first()
    return dict(row) if row is not None else None
