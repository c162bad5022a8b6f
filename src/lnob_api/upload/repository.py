"""Upload SQL: reference lookups, the staging table loaded with COPY, duplicate checks, the
final INSERT ... SELECT, and the upload record.

The staging table is a temporary table on the request's own connection, created inside the
caller's transaction (a mutation's savepoint): when the upload is refused or fails, rolling
back removes it with everything else; on success it is dropped right after the insert.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api import models

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
    "sex",
    "age",
    "disability_status",
    "urbanisation",
    "group_code",
    "dimensions",
    "comment",
)
_OBSERVATION_COLUMNS = STAGING_COLUMNS[1:]
# The observation key (uq_observations_key) less the dataset; dimensions is canonical JSON text
# in the staging table (sorted keys), so comparing it as text is comparing it as JSON.
_KEY = (
    "indicator_id",
    "area_code",
    "period",
    "sex",
    "age",
    "disability_status",
    "urbanisation",
    "group_code",
    "dimensions",
)

_CREATE = f"""
CREATE TEMPORARY TABLE {STAGING} (
    row_no integer NOT NULL,
    indicator_id bigint NOT NULL,
    area_code text NOT NULL,
    period text NOT NULL,
    period_start date NOT NULL,
    period_end date NOT NULL,
    value double precision,
    unit text NOT NULL,
    obs_status text NOT NULL,
    sample_size integer,
    sex text NOT NULL,
    age text NOT NULL,
    disability_status text NOT NULL,
    urbanisation text NOT NULL,
    group_code text NOT NULL,
    dimensions text NOT NULL,
    comment text NOT NULL
) ON COMMIT DROP
"""

_partition = ", ".join(
    c if c == "indicator_id" else f'{c} COLLATE "C"' for c in _KEY
)  # byte order: a cheaper sort, same equality
_IN_FILE = f"""
SELECT row_no, first_row, count(*) OVER () AS total
FROM (SELECT row_no, min(row_no) OVER (PARTITION BY {_partition}) AS first_row
      FROM {STAGING}) AS keyed
WHERE row_no <> first_row
ORDER BY row_no
LIMIT :limit
"""

_join = " AND ".join(
    f"o.{c} = u.{c}::jsonb" if c == "dimensions" else f"o.{c} = u.{c}" for c in _KEY
)
_EXISTING = f"""
SELECT u.row_no, count(*) OVER () AS total
FROM {STAGING} AS u
JOIN observations AS o ON o.dataset_id = :dataset_id AND {_join}
ORDER BY u.row_no
LIMIT :limit
"""

_select_list = ", ".join(
    "dimensions::jsonb" if c == "dimensions" else c for c in _OBSERVATION_COLUMNS
)
_INSERT = f"""
INSERT INTO observations (dataset_id, {", ".join(_OBSERVATION_COLUMNS)})
SELECT :dataset_id, {_select_list} FROM {STAGING} ORDER BY row_no
"""


async def lock_dataset(session: AsyncSession, dataset_id: int) -> models.Dataset | None:
    """The dataset row, locked until the transaction ends (uploads into it queue up)."""
    result = await session.execute(
        sa.select(models.Dataset).where(models.Dataset.id == dataset_id).with_for_update()
    )
    return result.scalar_one_or_none()


async def coalition_country(session: AsyncSession, coalition_id: int) -> str:
    code = await session.scalar(
        sa.select(models.Coalition.code).where(models.Coalition.id == coalition_id)
    )
    return str(code)


async def indicator_ids(session: AsyncSession, coalition_id: int) -> dict[str, int]:
    """Lower-case code -> id of the global indicators and the coalition's custom ones."""
    indicators = models.Indicator.__table__
    rows = await session.execute(
        sa.select(indicators.c.code, indicators.c.id).where(
            sa.or_(indicators.c.coalition_id.is_(None), indicators.c.coalition_id == coalition_id)
        )
    )
    return {str(r.code).lower(): int(r.id) for r in rows}


async def country_areas(session: AsyncSession, country: str) -> list[tuple[str, str]]:
    """(code, name) of the country, its subdivisions and its coalition's local areas."""
    areas = models.Area.__table__
    rows = await session.execute(
        sa.select(areas.c.code, areas.c.name).where(areas.c.country_code == country)
    )
    return [(str(r.code), str(r.name)) for r in rows]


async def known_upload(session: AsyncSession, dataset_id: int, sha256: str) -> int | None:
    """The id of an earlier upload of the same content into this dataset version."""
    uploads = models.DatasetUpload.__table__
    found = await session.scalar(
        sa.select(uploads.c.id).where(
            uploads.c.dataset_id == dataset_id, uploads.c.sha256 == sha256
        )
    )
    return int(found) if found is not None else None


async def create_staging(session: AsyncSession) -> None:
    await session.execute(sa.text(_CREATE))


async def copy_into_staging(session: AsyncSession, records: AsyncIterable[tuple[Any, ...]]) -> None:
    """Stream ``records`` (in STAGING_COLUMNS order) into the staging table with binary COPY,
    on the session's own connection and transaction."""
    raw = await (await session.connection()).get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.copy_records_to_table(STAGING, records=records, columns=list(STAGING_COLUMNS))
    await session.execute(sa.text(f"ANALYZE {STAGING}"))


async def duplicates_in_file(
    session: AsyncSession, limit: int
) -> tuple[list[tuple[int, int]], int]:
    """(row, first row with the same key) for each repeated key, the first ``limit``, and how
    many there are."""
    rows = (await session.execute(sa.text(_IN_FILE), {"limit": limit})).all()
    total = int(rows[0].total) if rows else 0
    return [(int(r.row_no), int(r.first_row)) for r in rows], total


async def has_observations(session: AsyncSession, dataset_id: int) -> bool:
    observations = models.Observation.__table__
    return bool(
        await session.scalar(sa.select(sa.exists().where(observations.c.dataset_id == dataset_id)))
    )


async def duplicates_of_existing(
    session: AsyncSession, dataset_id: int, limit: int
) -> tuple[list[int], int]:
    """Rows whose key is already an observation of the dataset: the first ``limit``, and the
    count."""
    params = {"dataset_id": dataset_id, "limit": limit}
    rows = (await session.execute(sa.text(_EXISTING), params)).all()
    total = int(rows[0].total) if rows else 0
    return [int(r.row_no) for r in rows], total


async def clear_dataset(session: AsyncSession, dataset_id: int) -> int:
    """Delete the version's observations and its upload records; returns observations deleted."""
    observations = models.Observation.__table__
    uploads = models.DatasetUpload.__table__
    result = await session.execute(
        sa.delete(observations).where(observations.c.dataset_id == dataset_id)
    )
    await session.execute(sa.delete(uploads).where(uploads.c.dataset_id == dataset_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def insert_observations(session: AsyncSession, dataset_id: int) -> int:
    """Move the staged rows into the dataset, in file order; returns the rows inserted."""
    result = await session.execute(sa.text(_INSERT), {"dataset_id": dataset_id})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def link_indicators(session: AsyncSession, dataset_id: int) -> None:
    """List the uploaded rows' indicators among the dataset's indicators."""
    await session.execute(
        sa.text(
            f"INSERT INTO dataset_indicators (dataset_id, indicator_id) "
            f"SELECT DISTINCT CAST(:dataset_id AS bigint), indicator_id FROM {STAGING} "
            f"ON CONFLICT DO NOTHING"
        ),
        {"dataset_id": dataset_id},
    )


async def drop_staging(session: AsyncSession) -> None:
    await session.execute(sa.text(f"DROP TABLE IF EXISTS {STAGING}"))


async def record_upload(session: AsyncSession, values: Mapping[str, Any]) -> int:
    uploads = models.DatasetUpload.__table__
    new_id = await session.scalar(sa.insert(uploads).values(**values).returning(uploads.c.id))
    return int(new_id)  # type: ignore[arg-type]


async def draft_by_slug(session: AsyncSession, slug: str) -> int | None:
    """The open draft version of the dataset with this slug."""
    datasets = models.Dataset.__table__
    found = await session.scalar(
        sa.select(datasets.c.id).where(datasets.c.slug == slug, datasets.c.status == "DRAFT")
    )
    return int(found) if found is not None else None


async def dataset_slug_exists(session: AsyncSession, slug: str) -> bool:
    datasets = models.Dataset.__table__
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
