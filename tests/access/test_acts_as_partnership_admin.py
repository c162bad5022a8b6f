"""The one partnership-admin test: the user's flag and the token's scope, both."""

from __future__ import annotations

import pytest

from lnob_api.access import checks
from lnob_api.auth.principal import Principal, PrincipalKind, Scope
from lnob_api.errors import Forbidden


def _user(*, flagged: bool, scopes: set[Scope]) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        user_id=1,
        is_partnership_admin=flagged,
        scopes=frozenset(s.value for s in scopes),
    )


@pytest.mark.parametrize(
    ("flagged", "scopes", "admin"),
    [
        (True, {Scope.PARTNERSHIP_ADMIN, Scope.DATA_READ}, True),
        (True, {Scope.DATA_READ, Scope.COALITION_ADMIN}, False),
        (False, {Scope.PARTNERSHIP_ADMIN}, False),
        (False, set(), False),
    ],
)
def test_flag_and_scope_together_make_a_partnership_admin(
    flagged: bool, scopes: set[Scope], admin: bool
) -> None:
    principal = _user(flagged=flagged, scopes=scopes)
    assert principal.acts_as_partnership_admin is admin
    assert checks.can_admin_coalition(principal, 99) is admin
    if admin:
        checks.require_partnership_admin(principal)
    else:
        with pytest.raises(Forbidden):
            checks.require_partnership_admin(principal)
