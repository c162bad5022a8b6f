"""Visibility predicates: THE place where a principal becomes SQL.

Every scoped read (lists, lookups, ``node``, nested loaders, counts, search, aggregates,
exports) starts from these expressions, so a row the principal may not see is never fetched
and looks exactly like a missing one. Nothing is filtered in Python after fetching.

Rules (DESIGN.md, "Access model"):
- ``PUBLIC`` published rows: everyone, anonymous included.
- ``PARTNERSHIP``: principals whose organisation belongs to some coalition, partnership admins.
- ``COALITION``: insiders of the owning coalition (role holders, clients of member organisations).
- Grants open one dataset, or all of a coalition's data, to an organisation or a client.
- Drafts: the owning coalition's editors and admins only.
- Retracted datasets keep their metadata visible to whoever saw them; their observations vanish.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api import models
from lnob_api.auth.principal import Principal, Scope
from lnob_api.models.enums import CoalitionRole, DatasetStatus, Visibility

datasets = models.Dataset.__table__
projects = models.Project.__table__
publications = models.Publication.__table__
observations = models.Observation.__table__
grants = models.Grant.__table__
coalitions = models.Coalition.__table__


def _reads(principal: Principal) -> bool:
    """Only a token carrying ``data:read`` reads beyond public data."""
    return not principal.is_anonymous and principal.has_scope(Scope.DATA_READ)


def _insider(principal: Principal) -> list[int]:
    return sorted(principal.member_coalition_ids) if _reads(principal) else []


def _audience(
    principal: Principal, visibility: sa.ColumnElement[str], coalition_id: sa.ColumnElement[int]
) -> ColumnElement[bool]:
    """Visibility level and coalition membership, without grants or status."""
    clauses: list[ColumnElement[bool]] = [visibility == Visibility.PUBLIC.value]
    if _reads(principal):
        if principal.is_partner or principal.is_partnership_admin:
            clauses.append(visibility == Visibility.PARTNERSHIP.value)
        insider = _insider(principal)
        if insider:
            clauses.append(coalition_id.in_(insider))
    return sa.or_(*clauses)


def _granted(principal: Principal, table: sa.Table) -> ColumnElement[bool] | None:
    """An active grant to the principal's organisation or client covers this dataset."""
    return _granted_for(principal, table.c.coalition_id, table.c.id)


def _granted_for(
    principal: Principal, coalition_id: ColumnElement[Any], dataset_id: ColumnElement[Any]
) -> ColumnElement[bool] | None:
    if not _reads(principal):
        return None
    grantee: list[ColumnElement[bool]] = []
    if principal.organisation_ids:
        grantee.append(grants.c.organisation_id.in_(sorted(principal.organisation_ids)))
    if principal.client_pk is not None:
        grantee.append(grants.c.client_id == principal.client_pk)
    if not grantee:
        return None
    return sa.exists().where(
        grants.c.coalition_id == coalition_id,
        sa.or_(grants.c.dataset_id.is_(None), grants.c.dataset_id == dataset_id),
        sa.or_(*grantee),
        grants.c.revoked_at.is_(None),
        sa.or_(grants.c.expires_at.is_(None), grants.c.expires_at > sa.func.now()),
    )


def _editor_of(principal: Principal, coalition_id: sa.ColumnElement[int]) -> ColumnElement[bool]:
    if not _reads(principal):
        return sa.false()
    editable = principal.coalitions_with_role(CoalitionRole.EDITOR)
    return coalition_id.in_(sorted(editable)) if editable else sa.false()


def dataset_visible(principal: Principal, table: sa.Table = datasets) -> ColumnElement[bool]:
    """Datasets whose metadata the principal may see (drafts to editors; retracted included)."""
    seen = [_audience(principal, table.c.visibility, table.c.coalition_id)]
    granted = _granted(principal, table)
    if granted is not None:
        seen.append(granted)
    released = sa.and_(table.c.status != DatasetStatus.DRAFT.value, sa.or_(*seen))
    return sa.or_(released, _editor_of(principal, table.c.coalition_id))


def dataset_data_visible(
    principal: Principal, table: sa.Table = datasets, *, current_only: bool = True
) -> ColumnElement[bool]:
    """Datasets whose observations the principal may read: visible and not retracted, and
    (``current_only``) not superseded by a newer published version."""
    clauses = [table.c.status != DatasetStatus.RETRACTED.value, dataset_visible(principal, table)]
    if current_only:
        clauses.append(table.c.superseded_at.is_(None))
    return sa.and_(*clauses)


def observation_visible(
    principal: Principal, table: sa.Table = observations, *, current_only: bool = True
) -> ColumnElement[bool]:
    """Observations inherit their dataset's visibility; retracted data is gone everywhere.
    Data paths read current versions only; a named older version stays readable."""
    visible_ids = sa.select(datasets.c.id).where(
        dataset_data_visible(principal, current_only=current_only)
    )
    return table.c.dataset_id.in_(visible_ids)


def project_visible(principal: Principal, table: sa.Table = projects) -> ColumnElement[bool]:
    return _audience(principal, table.c.visibility, table.c.coalition_id)


def publication_visible(
    principal: Principal, table: sa.Table = publications
) -> ColumnElement[bool]:
    """Partnership-wide publications (no coalition) follow their visibility level alone."""
    clauses = [_audience(principal, table.c.visibility, table.c.coalition_id)]
    if _reads(principal) and principal.is_partnership_admin:
        clauses.append(table.c.coalition_id.is_(None))
    return sa.or_(*clauses)


def suppressed(
    principal: Principal,
    sample_size: sa.ColumnElement[int | None],
    coalition_id: sa.ColumnElement[int],
    threshold: sa.ColumnElement[int],
) -> ColumnElement[bool]:
    """True where a small cell's value must be withheld from this principal."""
    small = sa.and_(sample_size.is_not(None), sample_size < threshold)
    insider = _insider(principal)
    if insider:
        return sa.and_(small, coalition_id.not_in(insider))
    return small


def audit_event_visible(principal: Principal, table: sa.Table | None = None) -> ColumnElement[bool]:
    """Coalition admins read their coalitions' events; partnership admins read every event."""
    events = table if table is not None else models.AuditEvent.__table__
    if principal.is_partnership_admin and principal.has_scope(Scope.PARTNERSHIP_ADMIN):
        return sa.true()
    if not principal.has_scope(Scope.COALITION_ADMIN):
        return sa.false()
    admin_of = principal.coalitions_with_role(CoalitionRole.ADMIN)
    return events.c.coalition_id.in_(sorted(admin_of)) if admin_of else sa.false()


def could_have_seen(principal: Principal, removals: sa.Table) -> ColumnElement[bool]:
    """Whether the principal could read the data a removal event took away, judged by the
    state recorded in the event (tombstones go only to those who could have seen the data)."""
    if not _reads(principal):
        return sa.and_(
            removals.c.prior_status != DatasetStatus.DRAFT.value,
            removals.c.prior_visibility == Visibility.PUBLIC.value,
        )
    published = [_audience(principal, removals.c.prior_visibility, removals.c.coalition_id)]
    if principal.organisation_ids:
        published.append(removals.c.grant_organisation_id.in_(sorted(principal.organisation_ids)))
    if principal.client_pk is not None:
        published.append(removals.c.grant_client_id == principal.client_pk)
    granted = _granted_for(principal, removals.c.coalition_id, removals.c.dataset_id)
    if granted is not None:
        published.append(granted)
    return sa.or_(
        sa.and_(removals.c.prior_status != DatasetStatus.DRAFT.value, sa.or_(*published)),
        sa.and_(
            removals.c.prior_status == DatasetStatus.DRAFT.value,
            _editor_of(principal, removals.c.coalition_id),
        ),
    )


def held_by(principal: Principal, table: sa.Table) -> ColumnElement[bool]:
    """Grants (rows of ``table``) made to the principal's organisations or client."""
    if not _reads(principal):
        return sa.false()
    clauses: list[ColumnElement[bool]] = []
    if principal.organisation_ids:
        clauses.append(table.c.organisation_id.in_(sorted(principal.organisation_ids)))
    if principal.client_pk is not None:
        clauses.append(table.c.client_id == principal.client_pk)
    return sa.or_(*clauses) if clauses else sa.false()
