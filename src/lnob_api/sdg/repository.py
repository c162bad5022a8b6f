"""The SDG framework and custom indicators: sources and relations (public reference data)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from lnob_api.declare.conditions import Conditions, coalition_coded, equal, words
from lnob_api.declare.entities import INDICATOR
from lnob_api.models.tables import (
    dataset_indicators,
    indicators,
    project_targets,
    publication_targets,
    sdg_goals,
    sdg_targets,
)
from lnob_api.read.relations import Source, Through, ToMany, ToOne, order_by, public

# The goals and targets under the names graphql/sdg reads them by.
goals, targets = sdg_goals, sdg_targets

GOALS = Source("SdgGoal", goals, public(goals), order_by(goals, "code"), key="code")
GOAL_BY_CODE = ToOne(GOALS, key="code")

TARGETS = Source("SdgTarget", targets, public(targets), order_by(targets, "sort_key"), key="code")
TARGET_BY_CODE = ToOne(TARGETS, key="code")
TARGETS_BY_GOAL = ToMany(TARGETS, "goal_code")
TARGETS_BY_PROJECT = Through(TARGETS, project_targets, "project_id", "target_code", "code")
TARGETS_BY_PUBLICATION = Through(
    TARGETS, publication_targets, "publication_id", "target_code", "code"
)

INDICATORS = Source("Indicator", indicators, public(indicators), order_by(indicators, "sort_key"))
INDICATOR_BY_ID = ToOne(INDICATORS)
INDICATOR_BY_CODE = ToOne(INDICATORS, key="code")
INDICATORS_BY_TARGET = ToMany(INDICATORS, "target_code")
INDICATORS_BY_COALITION = ToMany(INDICATORS, "coalition_id")
INDICATORS_BY_DATASET = Through(INDICATORS, dataset_indicators, "dataset_id", "indicator_id")


def _custom(custom: bool) -> ColumnElement[bool]:
    column = indicators.c.coalition_id
    return column.is_not(None) if custom else column.is_(None)


# The ``indicators`` filter input (all given conditions must hold).
indicator_filters = Conditions(
    goal=lambda goal: indicators.c.target_code.in_(
        sa.select(targets.c.code).where(targets.c.goal_code == goal)
    ),
    target=equal(indicators.c.target_code, lambda code: code.strip().lower()),
    custom=_custom,
    coalition=coalition_coded(indicators.c.coalition_id),
    search=words(indicators.c.title, lower=True),
    **INDICATOR.conditions.conditions,
)
