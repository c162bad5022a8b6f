"""Datasets: scoped source, relations, filters and orders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.access import history, visibility
from lnob_api.auth.principal import Principal
from lnob_api.declare.conditions import Conditions, Valued, listed, member, valued, words
from lnob_api.declare.entities import DATASET
from lnob_api.models.tables import (
    coalitions,
    consents,
    dataset_groups,
    dataset_indicators,
    datasets,
    indicators,
    publication_datasets,
)
from lnob_api.models.tables import dataset_validations as validations
from lnob_api.models.tables import marginalised_groups as groups
from lnob_api.models.tables import sdg_targets as targets
from lnob_api.provenance import repository as provenance_repo
from lnob_api.read.relations import Source, Through, ToMany, ToOne, order_by, public
from lnob_api.sync import repository as sync_repo

ORDERS = {
    "ID": order_by(datasets, "id"),
    "TITLE": order_by(datasets, "title", "id"),
    "UPDATED_AT": order_by(datasets, "updated_at", "id"),
    "RECENTLY_UPDATED": order_by(
        datasets, "updated_at", "id", descending=frozenset({"updated_at", "id"})
    ),
}


def _current(principal: Principal) -> ColumnElement[bool]:
    """Visible datasets that no newer published version has superseded."""
    return sa.and_(visibility.dataset_visible(principal), visibility.current_version(datasets))


def _with_data_flag(
    predicate: Callable[[Principal], ColumnElement[bool]],
) -> Callable[[Principal], sa.Select[Any]]:
    """Dataset rows the predicate admits, with ``data_readable``: may this caller read the
    observations too, or only the metadata (then it may ask for access)."""

    def scoped(principal: Principal) -> sa.Select[Any]:
        readable = visibility.dataset_data_visible(principal, current_only=False)
        return sa.select(datasets, readable.label("data_readable")).where(predicate(principal))

    return scoped


# Every version a principal may see: the face of ``node(id)``, ``dataset(id)`` and ``versions``.
DATASET_VERSIONS = Source(
    "Dataset", datasets, _with_data_flag(visibility.dataset_visible), ORDERS["ID"]
)
# Current versions: what lists and nested relations show.
DATASETS = Source("Dataset", datasets, _with_data_flag(_current), ORDERS["ID"])
DATASET_BY_ID = ToOne(DATASET_VERSIONS)


def datasets_as_of(at: datetime) -> Source:
    """The versions that were current at ``at``, as the principal may see them today
    (``history.dataset_visible_at``): the root list ``datasets(asOf:)``."""
    return Source(
        "Dataset",
        datasets,
        _with_data_flag(lambda principal: history.dataset_visible_at(principal, at)),
        ORDERS["ID"],
    )


DATASET_VERSIONS_BY_LINEAGE = ToMany(DATASET_VERSIONS, "lineage_id", order_by(datasets, "version"))
DATASET_BY_SLUG = ToOne(DATASETS, key="slug", prefer=order_by(datasets, "version"))
DATASETS_BY_COALITION = ToMany(DATASETS, "coalition_id")
DATASETS_BY_PROJECT = ToMany(DATASETS, "project_id")
DATASETS_BY_INDICATOR = Through(DATASETS, dataset_indicators, "indicator_id", "dataset_id")
DATASETS_BY_GROUP = Through(DATASETS, dataset_groups, "group_id", "dataset_id")
DATASETS_BY_PUBLICATION = Through(DATASETS, publication_datasets, "publication_id", "dataset_id")


def _with_indicator(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return datasets.c.id.in_(
        sa.select(dataset_indicators.c.dataset_id)
        .join(indicators, indicators.c.id == dataset_indicators.c.indicator_id)
        .join(targets, targets.c.code == indicators.c.target_code)
        .where(condition)
    )


@valued(lambda codes: (len(codes), [[c.upper() for c in codes]]))
def _of_coalitions(codes: list[str]) -> ColumnElement[bool]:
    wanted = [c.upper() for c in codes]
    return datasets.c.coalition_id.in_(
        sa.select(coalitions.c.id).where(coalitions.c.code.in_(wanted))
    )


@valued(listed)
def _in_groups(codes: list[str]) -> ColumnElement[bool]:
    return datasets.c.id.in_(
        sa.select(dataset_groups.c.dataset_id)
        .join(groups, groups.c.id == dataset_groups.c.group_id)
        .where(groups.c.code.in_(codes))
    )


def _changed_since(since: datetime) -> ColumnElement[bool]:
    """Changed, or read differently since (its sync time: sync.repository.touch_access), or a
    grant or consent of it ran out since."""
    return sa.or_(
        datasets.c.updated_at > since,
        datasets.c.access_changed_at > since,
        sync_repo.lapsed_since(datasets, since),
    )


# The ``datasets`` filter: one spec for the GraphQL filter input (all given conditions must
# hold): its own conditions, the provenance ones (``provenance.repository.dataset_filters``)
# and the declared ones (``DATASET.conditions``: ``languages``, the exports' ``language``).
filters = Conditions(
    coalition_codes=_of_coalitions,
    project_ids=member(datasets.c.project_id),
    goal_codes=Valued(lambda codes: _with_indicator(targets.c.goal_code.in_(codes)), listed),
    target_codes=Valued(lambda codes: _with_indicator(targets.c.code.in_(codes)), listed),
    indicator_codes=Valued(lambda codes: _with_indicator(indicators.c.code.in_(codes)), listed),
    statuses=member(datasets.c.status),
    group_codes=_in_groups,
    search=words(datasets.c.title + " " + datasets.c.description, lower=True),
    updated_since=_changed_since,
    producer_types=lambda v: provenance_repo.dataset_filters(producer_types=v),
    methods=lambda v: provenance_repo.dataset_filters(methods=v),
    washington_group=lambda v: provenance_repo.dataset_filters(washington_group=v),
    meets_criteria=lambda v: provenance_repo.dataset_filters(meets_criteria=v),
    **DATASET.conditions.conditions,
)


# Consent records and validations are part of a visible dataset's record.
CONSENTS = Source("Consent", consents, public(consents), order_by(consents, "id"))
CONSENTS_BY_LINEAGE = ToMany(CONSENTS, "lineage_id")
VALIDATIONS = Source(
    "DatasetValidation", validations, public(validations), order_by(validations, "id")
)
VALIDATIONS_BY_DATASET = ToMany(VALIDATIONS, "dataset_id")
