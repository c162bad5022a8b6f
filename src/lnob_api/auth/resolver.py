"""From a bearer token to a Principal, or InvalidToken (which becomes HTTP 401)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.keys import KeyStore
from lnob_api.auth.oidc import OidcVerifier
from lnob_api.auth.principal import Principal, PrincipalKind, Scope
from lnob_api.auth.principal_repository import (
    principal_facts,
    user_facts,
    user_for_external_claim,
)
from lnob_api.auth.tokens import (
    AccessClaims,
    InvalidToken,
    VerifiedTokens,
    validate_access_token,
)
from lnob_api.config import Settings
from lnob_api.db.request import RequestDb, Row
from lnob_api.models.enums import CoalitionRole

ALL_SCOPES = frozenset(s.value for s in Scope)


async def principal_from_token(
    db: RequestDb,
    token: str,
    *,
    keys: KeyStore,
    settings: Settings,
    oidc: OidcVerifier | None,
    verified: VerifiedTokens | None = None,
) -> Principal:
    """The principal of a bearer token, read from the database as it is now (one statement):
    a revoked token, a revoked client or a deactivated user is refused on the first request
    that starts after the change committed. ``verified`` remembers signature checks only."""
    if oidc is not None and (oidc.claims_issuer(token) or "").rstrip("/") == oidc.issuer:
        return await _external(db, token, oidc)
    claims = signed_claims(token, keys=keys, settings=settings, verified=verified)
    principal, _ = await checked_principal(db, claims)
    return principal


async def checked_principal(db: RequestDb, claims: AccessClaims) -> tuple[Principal, Row | None]:
    """The principal of a signed token and the facts it was built from, read now."""
    # One statement reads the token, its client and the user, in autocommit where the database
    # offers it (no BEGIN/COMMIT round trips): its snapshot is taken when it starts, after every
    # write acknowledged before this request began, so a revocation holds on the next request.
    db.single_read()
    facts = await principal_facts(
        db, client_id=claims.client_id, user_id=claims.user_id, jti=claims.jti
    )
    return principal_of_facts(claims, facts), facts


def signed_claims(
    token: str, *, keys: KeyStore, settings: Settings, verified: VerifiedTokens | None = None
) -> AccessClaims:
    """The claims of one of our own tokens, its signature, issuer, audience and times checked
    (``verified`` remembers the signature check, never whether the token is live)."""
    check = verified.validate if verified is not None else validate_access_token
    return check(token, keys, issuer=settings.issuer, audience=settings.audience)


def principal_of_facts(claims: AccessClaims, facts: Row | None) -> Principal:
    """The principal of a signed token from the facts ``principal_facts`` read now, or
    InvalidToken when the token, its client or its user is no longer live."""
    if facts is None or facts["revoked"]:
        raise InvalidToken("the token has been revoked")
    if facts["client_pk"] is None or facts["client_revoked"]:
        raise InvalidToken("the token's client is no longer registered")
    client_scopes = frozenset(facts["client_scopes"] or ())
    if claims.user_id is None:
        return _client_principal(facts, claims.client_id, claims.scopes & client_scopes)
    if facts["user_id"] is None or not facts["user_active"]:
        raise InvalidToken("the token's user is no longer active")
    return _user_principal(facts, claims.scopes & client_scopes, client_id=claims.client_id)


async def principal_for_user(
    session: AsyncSession, user_id: int, scopes: frozenset[str]
) -> Principal | None:
    """The principal of an active user acting without a token (the CLI acts as the user an
    operator names), built as for a token of theirs with these scopes; None if the user is
    missing or deactivated."""
    facts = await user_facts(session, user_id)
    if facts is None or facts["user_id"] is None or not facts["user_active"]:
        return None
    return _user_principal(facts, scopes, client_id=None)


def _client_principal(facts: Row, client_id: str, scopes: frozenset[str]) -> Principal:
    coalitions = frozenset(int(c) for c in facts["client_coalitions"] or ())
    return Principal(
        kind=PrincipalKind.CLIENT,
        client_pk=int(facts["client_pk"]),
        client_id=client_id,
        organisation_ids=frozenset({int(facts["client_org"])}),
        member_coalition_ids=coalitions,
        is_partner=bool(coalitions),
        scopes=scopes - {Scope.PARTNERSHIP_ADMIN.value},
    )


def _user_principal(facts: Row, scopes: frozenset[str], *, client_id: str | None) -> Principal:
    roles = {int(k): CoalitionRole(v) for k, v in (facts["user_roles"] or {}).items()}
    admin = bool(facts["is_partnership_admin"])
    if not admin:
        scopes = scopes - {Scope.PARTNERSHIP_ADMIN.value}
    return Principal(
        kind=PrincipalKind.USER,
        user_id=int(facts["user_id"]),
        # A user acts as themself: grants made to the client they signed in through (a
        # machine's own grants) do not extend to them, so no client_pk here.
        client_pk=None,
        client_id=client_id,
        organisation_ids=frozenset(int(o) for o in facts["user_orgs"] or ()),
        coalition_roles=roles,
        member_coalition_ids=frozenset(roles),
        is_partner=bool(roles) or bool(facts["user_org_in_coalition"]),
        is_partnership_admin=admin,
        scopes=scopes,
    )


async def _external(db: RequestDb, token: str, oidc: OidcVerifier) -> Principal:
    claims = await oidc.verify(token)
    value = claims.get(oidc.user_claim)
    if not isinstance(value, str) or not value:
        raise InvalidToken(f"the token has no {oidc.user_claim!r} claim to find its user by")
    user_id = await user_for_external_claim(db, value)
    if user_id is None:
        raise InvalidToken("the token's user is not registered here")
    facts = await principal_facts(db, client_id="", user_id=user_id, jti=str(claims.get("jti", "")))
    if facts is None or facts["revoked"]:
        raise InvalidToken("the token has been revoked")
    return _user_principal(facts, _external_scopes(claims), client_id=_str(claims.get("azp")))


def _external_scopes(claims: dict[str, Any]) -> frozenset[str]:
    """Our scopes named in ``scope``/``scp``; a registered user reads by default."""
    raw = claims.get("scope", claims.get("scp", ""))
    names = set(raw.split()) if isinstance(raw, str) else {str(s) for s in raw or ()}
    ours = frozenset(names) & ALL_SCOPES
    return ours or frozenset({Scope.DATA_READ.value})


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
