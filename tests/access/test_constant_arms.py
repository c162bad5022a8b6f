"""The visibility predicates carry no constant arm (``OR false``, ``AND true``) for any shape of
principal, and write fixed codes into the SQL: PostgreSQL plans an OR with a constant arm as a
filter, which kept the retraction check from becoming an anti-join, and a code bound as a
parameter leaves a generic plan guessing how common it is (issue 12)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from lnob_api.access import history
from lnob_api.access import requests_visibility as requests
from lnob_api.access import visibility as v
from lnob_api.auth.principal import Principal, PrincipalKind, Scope
from lnob_api.models.enums import CoalitionRole
from lnob_api.models.tables import datasets, grants, observations, removals

READ = frozenset({Scope.DATA_READ.value})

PRINCIPALS = {
    "anonymous": Principal(),
    "outside_agency_client": Principal(
        kind=PrincipalKind.CLIENT, client_pk=7, organisation_ids=frozenset({9}), scopes=READ
    ),
    "user_without_organisation": Principal(kind=PrincipalKind.USER, user_id=1, scopes=READ),
    "partner": Principal(
        kind=PrincipalKind.USER,
        user_id=2,
        organisation_ids=frozenset({3}),
        is_partner=True,
        scopes=READ,
    ),
    "viewer": Principal(
        kind=PrincipalKind.USER,
        user_id=3,
        organisation_ids=frozenset({3}),
        coalition_roles={5: CoalitionRole.VIEWER},
        member_coalition_ids=frozenset({5}),
        is_partner=True,
        scopes=READ,
    ),
    "editor": Principal(
        kind=PrincipalKind.USER,
        user_id=4,
        coalition_roles={5: CoalitionRole.EDITOR},
        member_coalition_ids=frozenset({5}),
        scopes=READ,
    ),
    "coalition_admin": Principal(
        kind=PrincipalKind.USER,
        user_id=5,
        coalition_roles={5: CoalitionRole.ADMIN},
        member_coalition_ids=frozenset({5}),
        scopes=READ | {Scope.COALITION_ADMIN.value},
    ),
    "partnership_admin": Principal(
        kind=PrincipalKind.USER,
        user_id=6,
        is_partnership_admin=True,
        scopes=READ | {Scope.PARTNERSHIP_ADMIN.value},
    ),
    "insider_without_read_scope": Principal(
        kind=PrincipalKind.USER,
        user_id=7,
        coalition_roles={5: CoalitionRole.EDITOR},
        member_coalition_ids=frozenset({5}),
    ),
}

_AT = datetime(2025, 6, 1, tzinfo=UTC)
_CELL = {"primary": observations.c.value < 5, "secondary": observations.c.secondary_suppressed}

BUILDERS: dict[str, Callable[[Principal], sa.ColumnElement[Any]]] = {
    "dataset_visible": v.dataset_visible,
    "dataset_data_visible": v.dataset_data_visible,
    "dataset_data_visible_all_versions": lambda p: v.dataset_data_visible(p, current_only=False),
    "observation_visible": v.observation_visible,
    "data_audience": v.data_audience,
    "project_visible": v.project_visible,
    "publication_visible": v.publication_visible,
    "scorecard_visible": v.scorecard_visible,
    "recommendation_visible": v.recommendation_visible,
    "audit_event_visible": v.audit_event_visible,
    "could_have_seen": lambda p: v.could_have_seen(p, removals),
    "held_by": lambda p: v.held_by(p, grants),
    "coalition_insider": lambda p: v.coalition_insider(p, datasets.c.coalition_id),
    "suppressed": lambda p: v.suppressed(p, datasets.c.coalition_id, **_CELL),
    "conf_status": lambda p: v.conf_status(p, datasets.c.coalition_id, **_CELL),
    "dataset_visible_at": lambda p: history.dataset_visible_at(p, _AT),
    "dataset_data_visible_at": lambda p: history.dataset_data_visible_at(p, _AT),
    "access_request_visible": requests.access_request_visible,
    "notification_visible": requests.notification_visible,
}

_CONSTANT = re.compile(r"\b(true|false)\b", re.IGNORECASE)


def _sql(clause: sa.ColumnElement[Any]) -> str:
    return str(clause.compile(dialect=postgresql.dialect()))


class TestAnyOfAllOf:
    def test_a_false_arm_is_dropped_from_an_or(self) -> None:
        # given
        a, b = datasets.c.id == 1, datasets.c.id == 2
        # when
        built = v.any_of(a, sa.false(), b)
        # then
        assert _sql(built) == _sql(sa.or_(a, b))

    def test_a_true_arm_makes_the_or_true(self) -> None:
        assert isinstance(v.any_of(datasets.c.id == 1, sa.true()), sa.sql.elements.True_)

    def test_an_or_of_false_arms_only_is_false(self) -> None:
        assert isinstance(v.any_of(sa.false(), sa.false()), sa.sql.elements.False_)
        assert isinstance(v.any_of(), sa.sql.elements.False_)

    def test_a_true_arm_is_dropped_from_an_and(self) -> None:
        # given
        a = datasets.c.id == 1
        # when
        built = v.all_of(sa.true(), a)
        # then
        assert built is a

    def test_a_false_arm_makes_the_and_false_so_that_an_enclosing_or_drops_it(self) -> None:
        # given: what sa.and_ folds into a wrapper that sa.or_ keeps as "OR false"
        a = datasets.c.id == 1
        assert "OR false" in _sql(sa.or_(a, sa.and_(datasets.c.status.in_(["DRAFT"]), sa.false())))
        never = v.all_of(datasets.c.status.in_(["DRAFT"]), sa.false())
        # when
        built = v.any_of(a, never)
        # then
        assert isinstance(never, sa.sql.elements.False_)
        assert built is a

    def test_an_and_of_nothing_is_true(self) -> None:
        assert isinstance(v.all_of(), sa.sql.elements.True_)


@pytest.mark.parametrize("who", sorted(PRINCIPALS))
@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_no_predicate_carries_a_constant_arm(who: str, builder: str) -> None:
    # when
    sql = _sql(BUILDERS[builder](PRINCIPALS[who]))
    # then: a predicate is either wholly constant or holds no constant at all
    if sql.strip().lower() not in ("true", "false"):
        assert not _CONSTANT.search(sql), sql


@pytest.mark.parametrize("who", sorted(PRINCIPALS))
def test_fixed_codes_are_written_into_the_sql(who: str) -> None:
    # when
    sql = _sql(v.dataset_data_visible(PRINCIPALS[who]))
    # then: statuses and visibility levels are literals, so a generic plan sees their values
    assert "retracted_version.status = 'RETRACTED'" in sql
    assert "datasets.status NOT IN ('DRAFT', 'COMMUNITY_VALIDATED')" in sql
    assert "datasets.visibility = 'PUBLIC'" in sql


@pytest.mark.parametrize("who", sorted(PRINCIPALS))
def test_fixed_codes_are_written_into_the_as_of_sql(who: str) -> None:
    # when
    sql = _sql(history.dataset_data_visible_at(PRINCIPALS[who], _AT))
    # then: the released statuses of the version current then, and of its successors
    assert "datasets.status IN ('PUBLISHED', 'RETRACTED')" in sql
    assert "later_version.status IN ('PUBLISHED', 'RETRACTED')" in sql
