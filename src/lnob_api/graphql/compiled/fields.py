"""What the compiled path knows of fields whose resolvers are hand-written.

Plain column fields, ``id`` and connection fields (``graphql.connections.paged_of``) are read
from the types themselves. The resolvers below load a declared relation (``read.relations``)
or pick a translation; each is described here by the same relation object the resolver uses,
so visibility comes from the same scoped source. A resolver that is not listed here, or whose
behaviour differs from its entry, sends the query back to Strawberry.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.area import repository as area_repo
from lnob_api.coalition import repository as coalition_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.errors import InvalidInput
from lnob_api.graphql.ids import from_global_id
from lnob_api.project import repository as project_repo
from lnob_api.read.relations import Through, ToMany, ToOne
from lnob_api.sdg import repository as sdg_repo


@dataclass(frozen=True)
class One:
    """A to-one resolver: ``load_one(relation, parent row's column)``."""

    relation: ToOne
    parent: str


@dataclass(frozen=True)
class Many:
    """A plain list resolver: ``load_list(relation, parent row's key)``."""

    relation: ToMany | Through
    parent: str


@dataclass(frozen=True)
class Localized:
    """``i18n.localized(row[english], row[translations], lang or Accept-Language)``."""

    english: str
    translations: str


@dataclass(frozen=True)
class Computed:
    """A value computed from the row's columns (as a JSON boolean)."""

    build: Callable[[sa.FromClause], ColumnElement[bool]]


Spec = One | Many | Localized | Computed

FIELDS: dict[tuple[str, str], Spec] = {
    ("Dataset", "coalition"): One(coalition_repo.COALITION_BY_ID, "coalition_id"),
    ("Dataset", "project"): One(project_repo.PROJECT_BY_ID, "project_id"),
    ("Dataset", "area"): One(area_repo.AREA_BY_CODE, "area_code"),
    ("Dataset", "indicators"): Many(sdg_repo.INDICATORS_BY_DATASET, "id"),
    ("Project", "coalition"): One(coalition_repo.COALITION_BY_ID, "coalition_id"),
    ("Observation", "dataset"): One(dataset_repo.DATASET_BY_ID, "dataset_id"),
    ("Observation", "indicator"): One(sdg_repo.INDICATOR_BY_ID, "indicator_id"),
    ("Observation", "area"): One(area_repo.AREA_BY_CODE, "area_code"),
    ("Indicator", "title"): Localized("title", "title_translations"),
    ("Indicator", "target"): One(sdg_repo.TARGET_BY_CODE, "target_code"),
    ("Indicator", "coalition"): One(coalition_repo.COALITION_BY_ID, "coalition_id"),
    ("Indicator", "isCustom"): Computed(lambda row: row.c.coalition_id.is_not(None)),
    ("SdgTarget", "title"): Localized("title", "title_translations"),
    ("SdgTarget", "goal"): One(sdg_repo.GOAL_BY_CODE, "goal_code"),
    ("SdgTarget", "indicators"): Many(sdg_repo.INDICATORS_BY_TARGET, "code"),
    ("SdgGoal", "title"): Localized("title", "title_translations"),
    ("SdgGoal", "shortTitle"): Localized("short_title", "short_title_translations"),
    ("SdgGoal", "targets"): Many(sdg_repo.TARGETS_BY_GOAL, "code"),
    ("Area", "parent"): One(area_repo.AREA_BY_CODE, "parent_code"),
    ("Area", "coalition"): One(coalition_repo.COALITION_BY_ID, "coalition_id"),
    ("Coalition", "groups"): Many(coalition_repo.GROUPS_BY_COALITION, "id"),
    ("Dataset", "groups"): Many(coalition_repo.GROUPS_BY_DATASET, "id"),
    ("Project", "groups"): Many(coalition_repo.GROUPS_BY_PROJECT, "id"),
    ("Project", "targets"): Many(sdg_repo.TARGETS_BY_PROJECT, "id"),
}

# Non-null fields whose resolver asserts that the row exists (public reference rows, or a
# dataset that readable observations imply): compiled as the Strawberry path answers them.
ASSERTED = {
    ("Dataset", "coalition"),
    ("Project", "coalition"),
    ("Observation", "dataset"),
    ("Observation", "area"),
    ("Indicator", "target"),
    ("SdgTarget", "goal"),
}


class Missing(Exception):
    """The lookup names nothing (the resolver answers null without a statement)."""


def _dataset_key(args: dict[str, Any]) -> tuple[ToOne, Hashable]:
    if args.get("slug") is not None:
        return dataset_repo.DATASET_BY_SLUG, args["slug"]
    type_name, key = from_global_id(str(args["id"]))
    if type_name != "Dataset" or not key.isdigit():
        raise Missing
    return dataset_repo.DATASET_BY_ID, int(key)


def _exactly_one(args: dict[str, Any], first: str, second: str) -> None:
    if (args.get(first) is None) == (args.get(second) is None):
        raise InvalidInput(first, f"give exactly one of {first} or {second}")


def _coalition(args: dict[str, Any]) -> tuple[ToOne, Hashable]:
    _exactly_one(args, "code", "slug")
    if args.get("code") is not None:
        return coalition_repo.COALITION_BY_CODE, str(args["code"]).upper()
    return coalition_repo.COALITION_BY_SLUG, args["slug"]


def _dataset(args: dict[str, Any]) -> tuple[ToOne, Hashable]:
    _exactly_one(args, "id", "slug")
    return _dataset_key(args)


# Root lookups: the converted arguments to (relation, key); InvalidInput or a key the
# resolver would refuse falls back (Strawberry answers the error).
ROOTS: dict[str, Callable[[dict[str, Any]], tuple[ToOne, Hashable]]] = {
    "coalition": _coalition,
    "dataset": _dataset,
    "project": lambda args: (project_repo.PROJECT_BY_SLUG, args["slug"]),
    "indicator": lambda args: (sdg_repo.INDICATOR_BY_CODE, str(args["code"]).strip()),
}
