"""Idempotency keys: a create request sent again with the same ``Idempotency-Key`` gets the
first response instead of writing again.

A key belongs to one principal and lasts 24 hours. The key row is written in the request's own
transaction, so it commits together with what the request wrote (or not at all): a concurrent
retry with the same key waits on the unique index and then replays the committed response.
The same key with a different request (another operation or other variables) is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.auth.principal import Principal
from lnob_api.errors import Conflict, DomainError, InvalidInput
from lnob_api.idempotency import repository as repo

LIFETIME = timedelta(hours=24)
KEY_MAX = 255


class KeyReused(DomainError):
    """The key was used for a different request (the IETF draft answers 422)."""

    code = "IDEMPOTENCY_KEY_REUSED"


@dataclass(frozen=True, slots=True)
class Claim:
    """What to do with a keyed request: run it and save its response under ``key_id``, or
    answer ``replay`` (the first response) without running it."""

    key_id: int | None
    replay: dict[str, Any] | None


def principal_key(principal: Principal) -> str | None:
    """Whose keys these are: a user (whichever client they act through) or a machine client."""
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal.client_id is not None:
        return f"client:{principal.client_id}"
    return None


def check_key(key: str) -> str:
    if not key or len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key", f"use 1 to {KEY_MAX} printable ASCII characters", code="INVALID"
        )
    return key


def request_hash(query: str, operation_name: str | None, variables: Any) -> str:
    """SHA-256 of the operation and its variables (uploaded files by their content)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([query, operation_name], ensure_ascii=False).encode())
    digest.update(json.dumps(variables, sort_keys=True, default=_file_digest).encode())
    return digest.hexdigest()


def _file_digest(value: Any) -> str:
    """Uploads (file-like, with ``.file``) hash by content; they are rewound afterwards."""
    handle = getattr(value, "file", None)
    if handle is None or not hasattr(handle, "read"):
        return repr(value)
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in iter(lambda: handle.read(1 << 16), b""):
        digest.update(chunk)
    handle.seek(0)
    return f"file:{digest.hexdigest()}"


async def claim(
    session: AsyncSession,
    principal: str,
    key: str,
    fingerprint: str,
    *,
    now: datetime | None = None,
) -> Claim:
    moment = now or datetime.now(UTC)
    await repo.drop_expired(session, principal, now=moment)
    for _ in range(2):  # a second try when the key vanished meanwhile (expired, rolled back)
        key_id = await repo.claim(
            session, principal, key, fingerprint, expires_at=moment + LIFETIME
        )
        if key_id is not None:
            return Claim(key_id=key_id, replay=None)
        found = await repo.stored(session, principal, key)
        if found is None:
            continue
        if found.request_hash != fingerprint:
            raise KeyReused(
                "this Idempotency-Key was used for a different request in the last 24 hours: "
                "use a new key for a new request"
            )
        if found.response is not None:
            return Claim(key_id=None, replay=found.response)
        break
    raise Conflict("the first request with this Idempotency-Key has not finished; retry later")


async def save(session: AsyncSession, key_id: int, response: dict[str, Any]) -> None:
    await repo.save_response(session, key_id, response)


async def release(session: AsyncSession, key_id: int) -> None:
    """Forget a key whose request was refused as a whole (a missing scope, a cost limit):
    once the caller fixes that, the same key may run the request."""
    await repo.delete(session, key_id)
