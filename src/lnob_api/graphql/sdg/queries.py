"""Root fields: sdgGoals, sdgGoal, sdgTargets, sdgTarget, indicators, indicator."""

from __future__ import annotations

import strawberry

from lnob_api.declare.entities import INDICATOR
from lnob_api.graphql import passed
from lnob_api.graphql.connections import Slice, connection
from lnob_api.graphql.declared import filters
from lnob_api.graphql.inputs import check_int
from lnob_api.graphql.lookups import by_code
from lnob_api.graphql.sdg.types import Indicator, SdgGoal, SdgTarget
from lnob_api.sdg import repository as sdg_repo


@strawberry.input(description="Conditions on indicators; all given ones must hold.")
@filters(INDICATOR)  # then the declared ones (declare.entities)
class IndicatorFilter:
    goal: int | None = strawberry.field(default=None, description="SDG goal number.")
    target: str | None = strawberry.field(default=None, description="SDG target code, e.g. 10.2.")
    custom: bool | None = strawberry.field(
        default=None, description="Only custom (true) or global (false)."
    )
    coalition: str | None = strawberry.field(
        default=None, description="Custom indicators of this coalition."
    )
    search: str | None = strawberry.field(
        default=None, description="Words the English title contains."
    )


def _sdg_targets(goal: int | None = None) -> Slice:
    check_int(goal, sdg_repo.goals.c.code, "goal")
    return Slice(where=[sdg_repo.targets.c.goal_code == goal] if goal is not None else [])


_indicator_where = passed.where(sdg_repo.indicator_filters, IndicatorFilter)


def _indicators(filter: IndicatorFilter | None = None) -> Slice:
    f = filter or IndicatorFilter()
    check_int(f.goal, sdg_repo.goals.c.code, "filter.goal")
    return Slice(where=_indicator_where(f))


def _goal_code(code: int) -> int:
    check_int(code, sdg_repo.goals.c.code, "code")
    return code


@strawberry.type
class SdgQueries:
    sdg_goals = connection(sdg_repo.GOALS, SdgGoal, description="The 17 goals, in order.")

    sdg_goal = by_code(
        sdg_repo.GOAL_BY_CODE, SdgGoal, kind=int, key=_goal_code, description="One goal by number."
    )

    sdg_targets = connection(
        sdg_repo.TARGETS,
        SdgTarget,
        select=_sdg_targets,
        description="The 169 targets, in code order.",
    )

    sdg_target = by_code(
        sdg_repo.TARGET_BY_CODE,
        SdgTarget,
        key=lambda code: code.strip().lower(),
        description="One target by code, e.g. 10.2.",
    )

    indicators = connection(
        sdg_repo.INDICATORS,
        Indicator,
        select=_indicators,
        description="Global and custom indicators, in code order.",
    )

    indicator = by_code(
        sdg_repo.INDICATOR_BY_CODE,
        Indicator,
        key=str.strip,
        description="One indicator by code: 1.1.1, or a custom code like KE-C-0001.",
    )
