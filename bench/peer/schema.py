"""What PostGraphile sees: a schema ``peer`` of views over the project's tables, and a login
role that may read only those views; and the same again for one agency (``peer_agency``).

Fairness: each view's predicate is the API's own, compiled from ``access/visibility.py`` (and,
for observations, the API's scoped select from ``observation/repository.py``) for one principal,
with literal values: the anonymous one in ``peer``, a fixed statistics agency's (the principal
this API builds from the agency's token: its organisation, client and grants) in
``peer_agency``. So PostGraphile reads exactly the rows (and the suppressed, perturbed values)
that caller of this API reads, with the same PostgreSQL work per row (the grant predicates
included); nothing it could not see is reachable through its role. PostGraphile itself knows
nothing of tokens: one role (and server) per principal stands in for its own per-request
``pgSettings`` plus row-level security, which would cost it more, not less. The views are plain
(inlined by the planner): the base tables' indexes serve both servers.

Smart comments (``@primaryKey``, ``@unique``, ``@foreignKey``) give PostGraphile the keys and
relations a view does not carry, named as the API names them.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.base import PGCompiler, PGDialect

from lnob_api.access import visibility
from lnob_api.auth.principal import ANONYMOUS, Principal
from lnob_api.observation.repository import _scoped

ROLE = "lnob_bench_peer"
SCHEMA = "peer"
# The agency's views and role (``install(conn, agency, AGENCY_SCHEMA, AGENCY_ROLE)``).
AGENCY_ROLE = "lnob_bench_peer_agency"
AGENCY_SCHEMA = "peer_agency"


class _Compiler(PGCompiler):
    """Literal values as the API binds them: an array literal keeps its element type
    (``ARRAY[7]`` alone is integer[], which ``bigint[] && ...`` refuses)."""

    def render_literal_value(self, value: Any, type_: Any) -> str:
        text: str = super().render_literal_value(value, type_)  # type: ignore[no-untyped-call]
        if isinstance(type_, sa.ARRAY):
            name: str = self.dialect.type_compiler_instance.process(type_)
            return f"CAST({text} AS {name})"
        return text


class _Dialect(PGDialect):
    statement_compiler = _Compiler


def _sql(clause: Any) -> str:
    dialect = _Dialect()  # type: ignore[no-untyped-call]
    compiled = clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return str(compiled)


def statements(
    principal: Principal = ANONYMOUS, schema: str = SCHEMA, role: str = ROLE
) -> list[str]:
    """DDL, idempotent (drops and recreates the schema): views holding what ``principal``
    reads, readable by ``role`` only."""

    def _fk(column: str, target: str, key: str, field: str, back: str) -> str:
        return (
            f"@foreignKey ({column}) references {schema}.{target} ({key})"
            f"|@fieldName {field}|@foreignFieldName {back}"
        )

    observations = _sql(_scoped(principal))
    views: dict[str, tuple[str, list[str]]] = {
        "coalitions": (
            "SELECT id, code, slug, name FROM public.coalitions",
            ["@primaryKey id", "@unique code"],
        ),
        "projects": (
            "SELECT id, coalition_id, slug, title FROM public.projects WHERE "
            + _sql(visibility.project_visible(principal)),
            ["@primaryKey id", _fk("coalition_id", "coalitions", "id", "coalition", "projects")],
        ),
        "datasets": (
            "SELECT id, coalition_id, project_id, slug, title, status, visibility"
            " FROM public.datasets WHERE " + _sql(visibility.dataset_visible(principal)),
            [
                "@primaryKey id",
                _fk("coalition_id", "coalitions", "id", "coalition", "datasets"),
                _fk("project_id", "projects", "id", "project", "datasets"),
            ],
        ),
        "sdg_goals": (
            "SELECT code, title, short_title FROM public.sdg_goals",
            ["@primaryKey code"],
        ),
        "sdg_targets": (
            "SELECT code, goal_code, title FROM public.sdg_targets",
            ["@primaryKey code", _fk("goal_code", "sdg_goals", "code", "goal", "targets")],
        ),
        "indicators": (
            "SELECT id, code, title, target_code FROM public.indicators",
            [
                "@primaryKey id",
                "@unique code",
                _fk("target_code", "sdg_targets", "code", "target", "indicators"),
            ],
        ),
        "dataset_indicators": (
            "SELECT dataset_id, indicator_id FROM public.dataset_indicators",
            [
                "@primaryKey dataset_id,indicator_id",
                _fk("dataset_id", "datasets", "id", "dataset", "datasetIndicators"),
                _fk("indicator_id", "indicators", "id", "indicator", "datasetIndicators"),
            ],
        ),
        "areas": ("SELECT code, name FROM public.areas", ["@primaryKey code"]),
        "observations": (
            observations,
            [
                "@primaryKey id",
                _fk("dataset_id", "datasets", "id", "dataset", "observations"),
                _fk("indicator_id", "indicators", "id", "indicator", "observations"),
                _fk("area_code", "areas", "code", "area", "observations"),
            ],
        ),
    }
    ddl = [
        f"DROP SCHEMA IF EXISTS {schema} CASCADE",
        f"CREATE SCHEMA {schema}",
        f"DO $$ BEGIN CREATE ROLE {role} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    ]
    for name, (select, tags) in views.items():
        ddl.append(f"CREATE VIEW {schema}.{name} AS {select}")
        comment = "\n".join(tags).replace("'", "''")
        ddl.append(f"COMMENT ON VIEW {schema}.{name} IS '{comment}'")
    ddl += [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}",
    ]
    return ddl


async def install(
    conn: asyncpg.Connection,
    principal: Principal = ANONYMOUS,
    schema: str = SCHEMA,
    role: str = ROLE,
) -> None:
    """Create (again) a schema of views for ``principal`` and its role on the benchmark
    database (the anonymous ``peer`` schema by default)."""
    for statement in statements(principal, schema, role):
        await conn.execute(statement)


async def add_projects(conn: asyncpg.Connection, per_coalition: int = 10) -> int:
    """W1 needs projects: ``bench/data.py`` makes datasets without one. Per coalition, make
    ``per_coalition`` public projects and spread its benchmark datasets over them (idempotent).
    Returns how many benchmark projects there are."""
    present = await conn.fetchval("SELECT count(*) FROM projects WHERE slug LIKE 'bench-%'")
    if not present:
        await conn.execute(
            """INSERT INTO projects (coalition_id, slug, title, visibility)
               SELECT c.id, 'bench-' || lower(c.code) || '-p' || i,
                      'Benchmark project ' || c.code || ' ' || i, 'PUBLIC'
               FROM coalitions c CROSS JOIN generate_series(0, $1 - 1) AS i""",
            per_coalition,
        )
        await conn.execute(
            """WITH ranked AS (
                 SELECT d.id, d.coalition_id,
                        row_number() OVER (PARTITION BY d.coalition_id ORDER BY d.id) - 1 AS n
                 FROM datasets d
                 WHERE d.slug LIKE 'bench-%' AND d.slug NOT LIKE 'bench-hidden-%'),
               numbered AS (
                 SELECT p.id, p.coalition_id,
                        row_number() OVER (PARTITION BY p.coalition_id ORDER BY p.id) - 1 AS n,
                        count(*) OVER (PARTITION BY p.coalition_id) AS k
                 FROM projects p WHERE p.slug LIKE 'bench-%')
               UPDATE datasets d SET project_id = numbered.id
               FROM ranked JOIN numbered ON numbered.coalition_id = ranked.coalition_id
                    AND numbered.n = ranked.n % numbered.k
               WHERE d.id = ranked.id"""
        )
        await conn.execute("ANALYZE projects")
        await conn.execute("ANALYZE datasets")
    return int(await conn.fetchval("SELECT count(*) FROM projects WHERE slug LIKE 'bench-%'"))
