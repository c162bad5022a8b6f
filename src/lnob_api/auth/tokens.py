"""JWT access tokens per RFC 9068: issuing them, and validating ours or an external issuer's.

Algorithms are pinned (ES256 for ours; asymmetric ones for an OIDC issuer), so ``alg: none``
and HS256-with-a-public-key confusion are refused before any claim is read.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from lnob_api.auth.keys import ALGORITHM, KeyStore

TOKEN_TYPE = "at+jwt"  # noqa: S105 (a media type, not a secret)
LEEWAY = 30
EXTERNAL_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
USER_PREFIX = "user:"


class InvalidToken(Exception):
    """The bearer token cannot be accepted; ``reason`` is a one-line explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AccessClaims:
    subject: str
    client_id: str
    scopes: frozenset[str]
    jti: str
    expires_at: int
    issuer: str
    raw: dict[str, Any]

    @property
    def user_id(self) -> int | None:
        """The user a token acts for; None for a client acting for itself."""
        if self.subject.startswith(USER_PREFIX) and self.subject[len(USER_PREFIX) :].isdigit():
            return int(self.subject[len(USER_PREFIX) :])
        return None


def user_subject(user_id: int) -> str:
    return f"{USER_PREFIX}{user_id}"


def issue_access_token(
    keys: KeyStore,
    *,
    issuer: str,
    audience: str,
    subject: str,
    client_id: str,
    scopes: Iterable[str],
    ttl: int,
    now: int | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[str, AccessClaims]:
    """Sign an RFC 9068 access token with the current key."""
    issued = now if now is not None else int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "client_id": client_id,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "jti": secrets.token_urlsafe(18),
        "scope": " ".join(sorted(set(scopes))),
    } | (extra or {})
    signing = keys.signing
    header = {"alg": ALGORITHM, "typ": TOKEN_TYPE, "kid": signing.kid}
    token = jwt.encode(header, claims, signing.key, algorithms=[ALGORITHM])
    return token, _claims(claims)


def _claims(raw: dict[str, Any]) -> AccessClaims:
    return AccessClaims(
        subject=str(raw["sub"]),
        client_id=str(raw.get("client_id", "")),
        scopes=frozenset(str(raw.get("scope", "")).split()),
        jti=str(raw["jti"]),
        expires_at=int(raw["exp"]),
        issuer=str(raw["iss"]),
        raw=raw,
    )


def _decode(token: str, keyset: KeySet, algorithms: list[str]) -> jwt.Token:
    if token.count(".") != 2:
        raise InvalidToken("the token is not a JWT")
    try:
        return jwt.decode(token, keyset, algorithms=algorithms)
    except JoseError as exc:
        message = str(exc) or type(exc).__name__
        if "kid" in message.lower() or type(exc).__name__ == "InvalidKeyIdError":
            raise InvalidToken("the token was signed with an unknown key") from None
        # The library's class name says nothing to a client and tells an attacker what we run.
        raise InvalidToken("the token's signature or header is invalid") from None
    except (ValueError, TypeError, KeyError):
        raise InvalidToken("the token is malformed") from None


def header_kid(token: str) -> str | None:
    """The ``kid`` in a token's header, without verifying anything."""
    import base64
    import json

    try:
        head = token.split(".", 1)[0]
        data = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        kid = data.get("kid")
        return str(kid) if kid is not None else None
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None


# RFC 7519 §2: a NumericDate is a JSON number of seconds. Booleans are numbers to Python, and
# json reads 1e309 as infinity: neither is a date. Past year 9999 no datetime can hold it.
MAX_NUMERIC_DATE = 253_402_300_799
# The longest lifetime (exp - iat) a token may claim: ours never exceed the configurable maximum
# access token lifetime (a day); external issuers' access tokens are bounded at 31 days.
OWN_MAX_LIFETIME = 86_400
EXTERNAL_MAX_LIFETIME = 31 * 86_400


def _numeric_date(raw: dict[str, Any], name: str) -> int | float:
    value = raw[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"the token's {name!r} claim is not a number (RFC 7519 NumericDate)")
    if not (math.isfinite(value) and 0 <= value <= MAX_NUMERIC_DATE):
        raise InvalidToken(f"the token's {name!r} claim is not a plausible date")
    return value


def check_claims(
    raw: dict[str, Any],
    *,
    issuer: str,
    audience: str,
    now: int | None = None,
    required: tuple[str, ...] = ("iss", "sub", "aud", "exp", "iat", "jti", "client_id"),
    max_lifetime: int = OWN_MAX_LIFETIME,
) -> None:
    moment = now if now is not None else int(time.time())
    for name in required:
        if name not in raw:
            raise InvalidToken(f"the token has no {name!r} claim")
    if not isinstance(raw["iss"], str):
        raise InvalidToken("the token's 'iss' claim is not a string")
    # Issuers are compared without a trailing slash (Auth0 writes one, configuration may not).
    if raw["iss"].rstrip("/") != issuer.rstrip("/"):
        raise InvalidToken("the token comes from another issuer")
    audiences = raw["aud"] if isinstance(raw["aud"], list) else [raw["aud"]]
    if audience not in audiences:
        raise InvalidToken("the token is meant for another audience")
    _check_times(raw, moment, max_lifetime)


def _check_times(raw: dict[str, Any], moment: int, max_lifetime: int) -> None:
    exp, iat = _numeric_date(raw, "exp"), _numeric_date(raw, "iat")
    nbf = _numeric_date(raw, "nbf") if "nbf" in raw else iat
    if exp + LEEWAY < moment:
        raise InvalidToken("the token has expired")
    if nbf - LEEWAY > moment or iat - LEEWAY > moment:
        raise InvalidToken("the token is not valid yet")
    if exp - iat > max_lifetime + LEEWAY:
        raise InvalidToken("the token claims a lifetime longer than this service accepts")


def validate_access_token(
    token: str, keys: KeyStore, *, issuer: str, audience: str, now: int | None = None
) -> AccessClaims:
    """Verify one of our tokens: pinned ES256, typ at+jwt, issuer, audience and times."""
    decoded = _decode(token, keys.verification_set(), [ALGORITHM])
    if str(decoded.header.get("typ", "")).lower() not in (TOKEN_TYPE, "application/at+jwt"):
        raise InvalidToken("the token is not an access token (typ must be at+jwt)")
    check_claims(decoded.claims, issuer=issuer, audience=audience, now=now)
    return _claims(decoded.claims)


def validate_external_token(
    token: str, keyset: KeySet, *, issuer: str, audience: str, now: int | None = None
) -> dict[str, Any]:
    """Verify a token of an external OpenID Connect issuer against its JWKS."""
    decoded = _decode(token, keyset, EXTERNAL_ALGORITHMS)
    check_claims(
        decoded.claims,
        issuer=issuer,
        audience=audience,
        now=now,
        required=("iss", "sub", "aud", "exp", "iat"),
        max_lifetime=EXTERNAL_MAX_LIFETIME,
    )
    return dict(decoded.claims)


class VerifiedTokens:
    """Our tokens whose signature and header were verified, remembered per token string, so
    that a client sending the same token on every request pays the ES256 check once.

    Safe to remember: the signature and header checks are a function of the token string and
    the verifying keys alone. An entry holds only while the key set it was checked against is
    unchanged (a rotation, or ``--keep-old-for 0`` after a leak, checks every token again);
    the claims (issuer, audience, expiry, not-before, lifetime) are checked on every use, as
    for an unremembered token. Nothing here says whether the token, its client or its grants
    are still live: that is read from the database on every request (``principal_facts``).
    Bounded: past ``size`` entries the oldest is forgotten.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._seen: dict[str, tuple[tuple[str, ...], AccessClaims]] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def validate(
        self, token: str, keys: KeyStore, *, issuer: str, audience: str, now: int | None = None
    ) -> AccessClaims:
        """As :func:`validate_access_token`, which it calls for a token it has not verified."""
        kids = tuple(keys.kids)
        seen = self._seen.get(token)
        if seen is not None and seen[0] == kids:
            claims = seen[1]
            try:
                check_claims(claims.raw, issuer=issuer, audience=audience, now=now)
            except InvalidToken:
                self._seen.pop(token, None)
                raise
            return claims
        claims = validate_access_token(token, keys, issuer=issuer, audience=audience, now=now)
        if self.size <= 0:
            return claims
        if seen is None and len(self._seen) >= self.size:
            self._seen.pop(next(iter(self._seen)), None)
        self._seen[token] = (kids, claims)
        return claims
