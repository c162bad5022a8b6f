"""Visibility predicates: THE place where a principal becomes SQL.

Every scoped read (lists, lookups, ``node``, nested loaders, counts, search, aggregates,
exports) starts from these expressions, so a row the principal may not see is never fetched
and looks exactly like a missing one. Nothing is filtered in Python after fetching.

Rules (DESIGN.md, "Access model"):
- ``PUBLIC`` published rows: everyone, anonymous included.
- ``PARTNERSHIP``: principals whose organisation belongs to some coalition, partnership admins.
- ``COALITION``: insiders of the owning coalition (role holders, clients of member organisations).
- Grants open one dataset, or all of a coalition's data, to an organisation or a client.
- Drafts and community-validated versions before release: the owning coalition's editors and
  admins only. An embargo (``release_at``) hides a published dataset from outsiders until then.
- Metadata may be visible more widely (``metadata_visibility``) than the data.
- Once consent is recorded for a dataset, its data is readable only under an active consent.
- Retracted datasets keep their metadata visible to whoever saw them; their observations, and
  those of every earlier version of the lineage, vanish.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, False_, True_

from lnob_api.auth.principal import Principal, Scope
from lnob_api.models.enums import (
    PRE_RELEASE,
    CoalitionRole,
    ConsentScope,
    DatasetStatus,
    Visibility,
)
from lnob_api.models.tables import (
    audit_events,
    consents,
    datasets,
    grants,
    observations,
    projects,
    publications,
    recommendations,
    scorecards,
)


def any_of(*clauses: ColumnElement[bool]) -> ColumnElement[bool]:
    """``a OR b ...``, simplified as it is built: a constant-false arm is dropped, a true arm
    makes the whole true, and no arm left is false. A principal shape that rules an arm out
    (an anonymous caller edits nothing) leaves no ``OR false`` behind: PostgreSQL plans an OR
    with a constant arm as a filter, which kept ``NOT EXISTS`` from becoming an anti-join."""
    kept: list[ColumnElement[bool]] = []
    for clause in clauses:
        if isinstance(clause, True_):
            return sa.true()
        if not isinstance(clause, False_):
            kept.append(clause)
    if not kept:
        return sa.false()
    return kept[0] if len(kept) == 1 else sa.or_(*kept)


def all_of(*clauses: ColumnElement[bool]) -> ColumnElement[bool]:
    """``a AND b ...``, simplified as ``any_of``: true arms dropped, a false arm makes the
    whole false, no arm left is true. (``sa.and_`` folds a false arm too, but into a wrapper
    that ``sa.or_`` no longer recognises as false.)"""
    kept: list[ColumnElement[bool]] = []
    for clause in clauses:
        if isinstance(clause, False_):
            return sa.false()
        if not isinstance(clause, True_):
            kept.append(clause)
    if not kept:
        return sa.true()
    return kept[0] if len(kept) == 1 else sa.and_(*kept)


def _constant(value: str | Enum) -> ColumnElement[str]:
    """A fixed code (a status, a visibility level) written into the SQL rather than bound:
    PostgreSQL then plans a generic plan with the column's statistics for that value (as a
    parameter, ``status = $1`` was guessed common, and the retraction anti-join was planned as a
    rescan of every dataset per dataset)."""
    text = value.value if isinstance(value, Enum) else value
    assert re.fullmatch(r"[A-Z_]+", text), text  # codes only, never input
    return sa.literal_column(f"'{text}'", sa.String)


_PRE_RELEASE = [_constant(s) for s in PRE_RELEASE]


def _reads(principal: Principal) -> bool:
    """Only a token carrying ``data:read`` reads beyond public data."""
    return not principal.is_anonymous and principal.has_scope(Scope.DATA_READ)


def _insider(principal: Principal) -> list[int]:
    return sorted(principal.member_coalition_ids) if _reads(principal) else []


def _from_outside(
    principal: Principal, coalition_id: sa.ColumnElement[int], clause: ColumnElement[bool]
) -> ColumnElement[bool]:
    """``clause``, where the principal reads from outside the owning coalition. The coalition
    test comes first: PostgreSQL evaluates a select list's AND from left to right, so the
    coalition's own rows skip ``clause`` (the small-cell rule, per row and per column read)."""
    insider = _insider(principal)
    if insider:
        return all_of(coalition_id.not_in(insider), clause)
    return clause


def _audience(
    principal: Principal, visibility: sa.ColumnElement[str], coalition_id: sa.ColumnElement[int]
) -> ColumnElement[bool]:
    """Visibility level and coalition membership, without grants or status."""
    clauses: list[ColumnElement[bool]] = [visibility == _constant(Visibility.PUBLIC)]
    if _reads(principal):
        if principal.is_partner or principal.is_partnership_admin:
            clauses.append(visibility == _constant(Visibility.PARTNERSHIP))
        insider = _insider(principal)
        if insider:
            clauses.append(coalition_id.in_(insider))
    return any_of(*clauses)


def _granted(principal: Principal, table: sa.Table) -> ColumnElement[bool] | None:
    """An active grant to the principal's organisation or client covers this dataset."""
    return _granted_for(principal, table.c.coalition_id, table.c.id, table.c.lineage_id)


def _granted_for(
    principal: Principal,
    coalition_id: ColumnElement[Any],
    dataset_id: ColumnElement[Any],
    lineage_id: ColumnElement[Any] | None = None,
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
    covers: list[ColumnElement[bool]] = [
        grants.c.dataset_id.is_(None),
        grants.c.dataset_id == dataset_id,
    ]
    if lineage_id is not None:
        # A grant names one dataset version; it covers every version of that dataset.
        granted_version = datasets.alias("granted_version")
        covers.append(
            grants.c.dataset_id.in_(
                sa.select(granted_version.c.id)
                .where(granted_version.c.lineage_id == lineage_id)
                .correlate_except(granted_version)
            )
        )
    return sa.exists().where(
        grants.c.coalition_id == coalition_id,
        any_of(*covers),
        any_of(*grantee),
        grants.c.revoked_at.is_(None),
        sa.or_(grants.c.expires_at.is_(None), grants.c.expires_at > sa.func.now()),
    )


def _editor_of(principal: Principal, coalition_id: sa.ColumnElement[int]) -> ColumnElement[bool]:
    if not _reads(principal):
        return sa.false()
    editable = principal.coalitions_with_role(CoalitionRole.EDITOR)
    return coalition_id.in_(sorted(editable)) if editable else sa.false()


def _released(principal: Principal, table: sa.Table) -> ColumnElement[bool]:
    """Past the pre-release statuses, and past any embargo (the coalition sees it before)."""
    over = sa.or_(table.c.release_at.is_(None), table.c.release_at <= sa.func.now())
    insider = _insider(principal)
    if insider:
        over = any_of(over, table.c.coalition_id.in_(insider))
    return all_of(table.c.status.not_in(_PRE_RELEASE), over)


def dataset_visible(principal: Principal, table: sa.Table = datasets) -> ColumnElement[bool]:
    """Datasets whose metadata the principal may see: released ones within their visibility or
    their wider ``metadata_visibility``, or granted; pre-release versions to the coalition's
    editors and admins. Retracted datasets stay (their reason is part of the record)."""
    seen = [
        _audience(principal, table.c.visibility, table.c.coalition_id),
        all_of(
            table.c.metadata_visibility.is_not(None),
            _audience(principal, table.c.metadata_visibility, table.c.coalition_id),
        ),
    ]
    granted = _granted(principal, table)
    if granted is not None:
        seen.append(granted)
    released = all_of(_released(principal, table), any_of(*seen))
    return any_of(released, _editor_of(principal, table.c.coalition_id))


def consent_admits(
    principal: Principal, consents: sa.FromClause, coalition_id: ColumnElement[Any]
) -> ColumnElement[bool]:
    """Whether a consent row's scope admits the principal (insiders always are)."""
    scopes: list[ColumnElement[bool]] = [consents.c.scope == _constant(ConsentScope.PUBLIC)]
    insider = _insider(principal)
    partner = _reads(principal) and (principal.is_partner or principal.is_partnership_admin)
    if partner or insider:
        scopes.append(consents.c.scope == _constant(ConsentScope.PARTNERSHIP))
    if insider:
        scopes.append(coalition_id.in_(insider))
    if _reads(principal) and principal.organisation_ids:
        scopes.append(
            all_of(
                consents.c.scope == _constant(ConsentScope.NAMED_AGENCIES),
                consents.c.agency_ids.overlap(sorted(principal.organisation_ids)),
            )
        )
    return any_of(*scopes)


def _consented(principal: Principal, table: sa.Table) -> ColumnElement[bool]:
    """No consent recorded, or an active consent whose scope admits the principal. Once a
    community withdraws (or its consent lapses), nobody reads the data, insiders included.

    Written as "no consent of the lineage lacks an active admitting one": one ``NOT EXISTS``
    that is an AND arm, so PostgreSQL plans it as an anti-join (the consents are read once per
    statement), where ``NOT EXISTS (...) OR EXISTS (...)`` ran both subplans again for every
    dataset row (W2 at 1M rows with consents on half the lineages: backend CPU -4 to -7 %).
    The admitting consent is correlated explicitly: an insider's arm reads ``table``'s
    coalition, two levels up, which auto-correlation would have turned into a cross join."""
    admitting = consents.alias("admitting")
    admitted = (
        sa.exists()
        .where(
            admitting.c.lineage_id == consents.c.lineage_id,
            admitting.c.withdrawn_at.is_(None),
            sa.or_(admitting.c.expires_at.is_(None), admitting.c.expires_at > sa.func.now()),
            consent_admits(principal, admitting, table.c.coalition_id),
        )
        .correlate_except(admitting)
    )
    withheld = sa.exists().where(consents.c.lineage_id == table.c.lineage_id, ~admitted)
    return ~withheld.correlate_except(consents)


def lineage_retracted(table: sa.Table) -> ColumnElement[bool]:
    """This version, or a later one of its lineage, is retracted: retracting the current
    version withdraws the data of every earlier version too (a later re-release stands); also
    the rule of listings as of an instant (``access.history``)."""
    retracted = datasets.alias("retracted_version")
    return sa.exists().where(
        retracted.c.lineage_id == table.c.lineage_id,
        retracted.c.status == _constant(DatasetStatus.RETRACTED),
        retracted.c.version >= table.c.version,
    )


def dataset_data_visible(
    principal: Principal, table: sa.Table = datasets, *, current_only: bool = True
) -> ColumnElement[bool]:
    """Datasets whose observations the principal may read: released, not retracted, within
    their data visibility or granted, under the community's consent, and (``current_only``) not
    superseded by a newer version. Pre-release data: the coalition's editors and admins."""
    audience = [_audience(principal, table.c.visibility, table.c.coalition_id)]
    granted = _granted(principal, table)
    if granted is not None:
        audience.append(granted)
    released = all_of(
        _released(principal, table),
        ~lineage_retracted(table),
        any_of(*audience),
        _consented(principal, table),
    )
    pre_release = all_of(
        table.c.status.in_(_PRE_RELEASE),
        _editor_of(principal, table.c.coalition_id),
    )
    clauses = [any_of(released, pre_release)]
    if current_only:
        clauses.append(current_version(table))
    return all_of(*clauses)


def observation_visible(
    principal: Principal, table: sa.Table = observations, *, current_only: bool = True
) -> ColumnElement[bool]:
    """Observations inherit their dataset's visibility; retracted data is gone everywhere.
    Data paths read current versions only; a named older version stays readable."""
    return table.c.dataset_id == sa.any_(readable_dataset_ids(principal, current_only=current_only))


def readable_dataset_ids(principal: Principal, *, current_only: bool = True) -> Any:
    """``ARRAY(SELECT id FROM datasets WHERE <data visible>)``: the few datasets whose data the
    principal reads, computed once per statement (an InitPlan). As ``IN (subquery)`` the
    dataset predicate (grant, consent and retraction EXISTS) ran per observation or drove a
    semi-join over every observation; as an array, observations are found through their
    ``dataset_id`` index and rows of other datasets are never visited (issue 10)."""
    visible_ids = (
        sa.select(datasets.c.id)
        .where(dataset_data_visible(principal, current_only=current_only))
        .correlate(None)
    )
    return sa.func.array(visible_ids.scalar_subquery())


def project_visible(principal: Principal, table: sa.Table = projects) -> ColumnElement[bool]:
    return _audience(principal, table.c.visibility, table.c.coalition_id)


def publication_visible(
    principal: Principal, table: sa.Table = publications
) -> ColumnElement[bool]:
    """Partnership-wide publications (no coalition) follow their visibility level alone."""
    clauses = [_audience(principal, table.c.visibility, table.c.coalition_id)]
    if _reads(principal) and principal.is_partnership_admin:
        clauses.append(table.c.coalition_id.is_(None))
    return any_of(*clauses)


def suppressed(
    principal: Principal,
    coalition_id: sa.ColumnElement[int],
    *,
    primary: sa.ColumnElement[bool],
    secondary: sa.ColumnElement[bool],
) -> ColumnElement[bool]:
    """True where a cell must be withheld from this principal: a small cell (``primary``: the
    rule of ``disclosure.primary``, e.g. ``observation_primary``), or one flagged ``secondary``
    because a small cell could be derived from it (``disclosure.secondary``). Insiders of the
    owning coalition see both."""
    return _from_outside(principal, coalition_id, any_of(primary, secondary))


def conf_status(
    principal: Principal,
    coalition_id: sa.ColumnElement[int],
    *,
    primary: sa.ColumnElement[bool],
    secondary: sa.ColumnElement[bool],
) -> ColumnElement[str]:
    """SDMX CONF_STATUS of a cell as the principal may know it. Outsiders get C for every
    withheld cell, so that primary and secondary cells cannot be told apart (telling them
    apart points at the small ones); the owning coalition sees C (small cell), D (secondary
    confidentiality) or F (free)."""
    outsider = sa.case(
        (suppressed(principal, coalition_id, primary=primary, secondary=secondary), "C"),
        else_="F",
    )
    insider = _insider(principal)
    if not insider:
        return outsider
    own = sa.case((primary, "C"), (secondary, "D"), else_="F")
    return sa.case((coalition_id.in_(insider), own), else_=outsider)


def perturbed(
    principal: Principal,
    coalition_id: sa.ColumnElement[int],
    *,
    method: sa.ColumnElement[str],
    counts: sa.ColumnElement[bool],
) -> ColumnElement[bool]:
    """True where the principal reads a cell's value perturbed (``disclosure.perturbation``):
    a count (``counts``) of a coalition whose ``method`` is not NONE, read from outside the
    owning coalition. Applied after ``suppressed``; insiders read exact values. Whether a
    value was perturbed says nothing about its noise (a zero noise is perturbed too)."""
    return _from_outside(principal, coalition_id, all_of(method != _constant("NONE"), counts))


def administers(principal: Principal, coalition_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """True where the principal administers the coalition: partnership admins every one,
    coalition admins (with the ``coalition:admin`` scope) their own."""
    if principal.acts_as_partnership_admin:
        return sa.true()
    if not principal.has_scope(Scope.COALITION_ADMIN):
        return sa.false()
    admin_of = principal.coalitions_with_role(CoalitionRole.ADMIN)
    return coalition_id.in_(sorted(admin_of)) if admin_of else sa.false()


def audit_event_visible(principal: Principal, table: sa.Table | None = None) -> ColumnElement[bool]:
    """Coalition admins read their coalitions' events; partnership admins read every event."""
    events = table if table is not None else audit_events
    return administers(principal, events.c.coalition_id)


def could_have_seen(principal: Principal, removals: sa.Table) -> ColumnElement[bool]:
    """Whether the principal could read the data a removal event took away, judged by the
    state recorded in the event (tombstones go only to those who could have seen the data)."""
    if not _reads(principal):
        return all_of(
            removals.c.prior_status.not_in(_PRE_RELEASE),
            removals.c.prior_visibility == _constant(Visibility.PUBLIC),
        )
    published = [_audience(principal, removals.c.prior_visibility, removals.c.coalition_id)]
    if principal.organisation_ids:
        published.append(removals.c.grant_organisation_id.in_(sorted(principal.organisation_ids)))
    if principal.client_pk is not None:
        published.append(removals.c.grant_client_id == principal.client_pk)
    granted = _granted_for(principal, removals.c.coalition_id, removals.c.dataset_id)
    if granted is not None:
        published.append(granted)
    return any_of(
        all_of(removals.c.prior_status.not_in(_PRE_RELEASE), any_of(*published)),
        all_of(
            removals.c.prior_status.in_(_PRE_RELEASE),
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
    return any_of(*clauses)


def current_version(table: sa.Table = datasets) -> ColumnElement[bool]:
    """Not superseded (yet): an embargoed new version supersedes the old one at its release."""
    return sa.or_(table.c.superseded_at.is_(None), table.c.superseded_at > sa.func.now())


def data_audience(principal: Principal, table: sa.Table = datasets) -> ColumnElement[bool]:
    """Released datasets whose data the principal's visibility level or grants cover, consent
    aside (who was reading the data until a consent lapsed)."""
    audience = [_audience(principal, table.c.visibility, table.c.coalition_id)]
    granted = _granted(principal, table)
    if granted is not None:
        audience.append(granted)
    return all_of(_released(principal, table), any_of(*audience))


# Community evidence (issue 6). Scorecards and recommendations carry their own visibility, set
# by the owning coalition, and are capped by the records they come from: a scorecard is seen
# only while its dataset's data and its project are seen; a recommendation only while its
# publication and its dataset (metadata) are seen. So a PUBLIC scorecard of a COALITION dataset
# stays inside the coalition, and retracting a dataset (or withdrawing consent) takes its
# scorecards with it. Grants to a coalition's data, or to the linked dataset, open them too.
# The owning coalition's editors and admins always see their own records, to manage them.
# Official reference values are public reference data: no predicate.


def _evidence_visible(
    principal: Principal,
    table: sa.Table,
    *parents: tuple[ColumnElement[Any], sa.Select[Any]],
) -> ColumnElement[bool]:
    """Seen by its audience or a grant, each of its ``parents`` links (a column and the ids
    the principal sees of what it names) unset or to a seen row; always by its editors."""
    seen: list[ColumnElement[bool]] = [
        _audience(principal, table.c.visibility, table.c.coalition_id)
    ]
    granted = _granted_for(principal, table.c.coalition_id, table.c.dataset_id)
    if granted is not None:
        seen.append(granted)
    links = [any_of(link.is_(None), link.in_(ids)) for link, ids in parents]
    return any_of(all_of(any_of(*seen), *links), _editor_of(principal, table.c.coalition_id))


def _parent_visible(
    principal: Principal,
    parent_id: ColumnElement[Any],
    parents: sa.Table,
    visible: Callable[[Principal, sa.Table], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """True where ``parent_id`` names a row of ``parents`` that ``visible`` shows the principal
    (the parts of a record follow it)."""
    return parent_id.in_(sa.select(parents.c.id).where(visible(principal, parents)))


def scorecard_visible(principal: Principal, table: sa.Table | None = None) -> ColumnElement[bool]:
    """Scorecards the principal may see (their scores are group judgements: no small-cell
    suppression, but the scorecard's visibility, capped by its dataset's data and project)."""
    cards = table if table is not None else scorecards
    data = sa.select(datasets.c.id).where(
        dataset_data_visible(principal, datasets, current_only=False)
    )
    seen_projects = sa.select(projects.c.id).where(project_visible(principal, projects))
    return _evidence_visible(
        principal, cards, (cards.c.dataset_id, data), (cards.c.project_id, seen_projects)
    )


def scorecard_part_visible(
    principal: Principal, scorecard_id: ColumnElement[Any]
) -> ColumnElement[bool]:
    """Criteria, rounds, scores and actions follow their scorecard."""
    return _parent_visible(principal, scorecard_id, scorecards, scorecard_visible)


def recommendation_visible(
    principal: Principal, table: sa.Table | None = None
) -> ColumnElement[bool]:
    """Recommendations the principal may see: their own visibility, capped by their
    publication's visibility and their dataset's (metadata) visibility."""
    recs = table if table is not None else recommendations
    seen_datasets = sa.select(datasets.c.id).where(dataset_visible(principal, datasets))
    seen_publications = sa.select(publications.c.id).where(
        publication_visible(principal, publications)
    )
    return _evidence_visible(
        principal,
        recs,
        (recs.c.dataset_id, seen_datasets),
        (recs.c.publication_id, seen_publications),
    )


def recommendation_part_visible(
    principal: Principal, recommendation_id: ColumnElement[Any]
) -> ColumnElement[bool]:
    """Responses and status history follow their recommendation."""
    return _parent_visible(principal, recommendation_id, recommendations, recommendation_visible)


def coalition_insider(
    principal: Principal, coalition_id: ColumnElement[Any]
) -> ColumnElement[bool]:
    """True for members of the coalition (e.g. to show who recorded a change: people's names
    stay inside the coalition)."""
    insider = _insider(principal)
    return coalition_id.in_(insider) if insider else sa.false()
