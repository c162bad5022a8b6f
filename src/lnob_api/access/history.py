"""Point-in-time reads (``asOf``): THE place where "as of instant T" becomes SQL.

GraphQL (``observations``, ``datasets``, ``indicatorSeries``), the CSV export and SDMX 3.0
data all read "as of T" through these expressions, so the three cannot drift
(docs/point-in-time.md).

- As of T, a lineage shows the version that was its current published one at T: published
  (``published_at <= T``), released to the caller at T (an embargo's ``release_at <= T``; the
  owning coalition sees an embargoed version before, as it does today), and not yet superseded
  at T: no later version of the lineage had been published and released by T. (Superseding is
  derived from the successors' own times rather than read from ``superseded_at``, which is
  stamped with the transaction's clock and can fall a few milliseconds before the successor's
  ``published_at``: the lineage would show nothing in between.)
- Today's rules apply on top, unchanged (``visibility.dataset_data_visible`` without its
  current-version condition): visibility, grants, embargoes still in force, consent (a
  withdrawal is never undone), retraction (a version retracted now, or an earlier version of a
  lineage whose retraction stands, is not shown), suppression and perturbation. So ``asOf``
  only ever rewinds or narrows what the caller may read now, never widens it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal
from lnob_api.errors import InvalidInput
from lnob_api.models.enums import DatasetStatus
from lnob_api.models.tables import datasets, observations

# Fixed codes written into the statement, as ``visibility`` writes its own (``_constant``).
_RELEASED = [visibility._constant(s) for s in (DatasetStatus.PUBLISHED, DatasetStatus.RETRACTED)]


def check_as_of(value: datetime, field: str = "asOf", *, now: datetime | None = None) -> datetime:
    """``value`` as an aware instant (UTC when it has no offset); an instant in the future is
    an ``InvalidInput`` naming ``field`` (nothing was published then yet)."""
    at = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    if at > current:
        raise InvalidInput(
            field,
            f"{at.isoformat()} is in the future (now is {current.isoformat()}); "
            "asOf reads what was published up to an instant of the past",
            code="IN_FUTURE",
        )
    return at


def _published_by(table: Any, at: datetime) -> ColumnElement[bool]:
    return visibility.all_of(
        table.c.status.in_(_RELEASED),
        table.c.published_at.is_not(None),
        table.c.published_at <= at,
    )


def _released_by(principal: Principal, table: Any, at: datetime) -> ColumnElement[bool]:
    """Past its embargo at ``at``, for everyone or, before, for the owning coalition."""
    # The coalitions the principal is an insider of, as the policy module counts them.
    insider = visibility._insider(principal)
    return visibility.any_of(
        table.c.release_at.is_(None),
        table.c.release_at <= at,
        *([table.c.coalition_id.in_(insider)] if insider else []),
    )


def version_at(principal: Principal, at: datetime, table: Any = datasets) -> ColumnElement[bool]:
    """Dataset versions that were their lineage's current published version at ``at`` (for
    this principal: the owning coalition also saw an embargoed version before its release)."""
    later = datasets.alias("later_version")
    superseded = sa.exists().where(
        later.c.lineage_id == table.c.lineage_id,
        later.c.version > table.c.version,
        _published_by(later, at),
        # An embargoed successor supersedes at its release, for everyone.
        visibility.any_of(later.c.release_at.is_(None), later.c.release_at <= at),
    )
    return visibility.all_of(
        _published_by(table, at), _released_by(principal, table, at), ~superseded
    )


def dataset_visible_at(
    principal: Principal, at: datetime, table: Any = datasets
) -> ColumnElement[bool]:
    """Datasets listed as of ``at``: the version current then, whose metadata the principal
    may see today, unless a retraction withdrew it since."""
    return visibility.all_of(
        visibility.dataset_visible(principal, table),
        version_at(principal, at, table),
        ~visibility.lineage_retracted(table),
    )


def dataset_data_visible_at(
    principal: Principal, at: datetime, table: Any = datasets
) -> ColumnElement[bool]:
    """Datasets whose data is read as of ``at``: the version current then, whose data the
    principal may read today (any version; retraction, consent, embargo and grants as now)."""
    return visibility.all_of(
        visibility.dataset_data_visible(principal, table, current_only=False),
        version_at(principal, at, table),
    )


def readable_dataset_ids_at(principal: Principal, at: datetime) -> Any:
    """``ARRAY(SELECT id ...)`` of the datasets read as of ``at`` (one InitPlan, as
    ``visibility.readable_dataset_ids``)."""
    ids = sa.select(datasets.c.id).where(dataset_data_visible_at(principal, at)).correlate(None)
    return sa.func.array(ids.scalar_subquery())


def observation_visible_at(
    principal: Principal, at: datetime, table: sa.Table = observations
) -> ColumnElement[bool]:
    """Observations as of ``at``: those of the versions ``dataset_data_visible_at`` keeps."""
    return table.c.dataset_id == sa.any_(readable_dataset_ids_at(principal, at))


# --- carrying the instant along a query's WHERE clauses -----------------------------------


class AsOf(ColumnElement[bool]):
    """A WHERE clause that says "as of ``at``" and compiles to TRUE.

    Bulk reads (the CSV export, SDMX data, series) pass a list of clauses over observations
    from the route down to the statements; this one travels with them, and the function that
    builds the scoped select (``as_of_in``) swaps the current-version scope for the as-of one.
    A statement that ignores it reads today's data: never more than the caller may read now.
    """

    # It always compiles to the same TRUE: one cache key for every instant (the instant's own
    # comparisons are bound parameters of the as-of scope, built beside it).
    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, at: datetime) -> None:
        self.at = at


@compiles(AsOf)
def _compile_as_of(element: AsOf, compiler: SQLCompiler, **kw: Any) -> str:
    return "true"


def as_of_in(where: Iterable[Any]) -> datetime | None:
    """The instant an ``AsOf`` clause among ``where`` names, if any."""
    for clause in where:
        if isinstance(clause, AsOf):
            return clause.at
    return None
