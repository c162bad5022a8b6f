"""Passwords (argon2id) and client secrets (random, stored as SHA-256), never kept in clear."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
# A real hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("no such user: constant-time comparison")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-time enough: a missing user still costs one argon2 verification."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_client_id() -> str:
    return "lnob_" + secrets.token_urlsafe(12)


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Client secrets and one-time codes are long random strings: SHA-256 suffices."""
    return hashlib.sha256(secret.encode()).hexdigest()


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    if not stored_hash:
        return False
    return hmac.compare_digest(stored_hash, hash_secret(secret))
