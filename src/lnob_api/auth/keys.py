"""Signing keys for the access tokens this service issues (ES256, published as a JWKS).

The newest key signs; older keys keep verifying until ``retire_at`` (set at rotation to the
moment every token they signed has expired), then they are dropped. Keys live in
``LNOB_DATA_DIR/keys/jwks.json`` (mode 0600), or come whole from ``LNOB_SIGNING_KEYS`` for
deployments that keep secrets outside the data folder. They are never in the repository.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, KeySet

from lnob_api.config import ConfigError, Settings

ALGORITHM = "ES256"


@dataclass(frozen=True, slots=True)
class StoredKey:
    key: ECKey
    created_at: float
    retire_at: float | None

    @property
    def kid(self) -> str:
        return str(self.key.kid)

    def to_json(self) -> dict[str, Any]:
        return {
            "jwk": self.key.as_dict(private=True),
            "created_at": self.created_at,
            "retire_at": self.retire_at,
        }


def new_key(now: float | None = None) -> StoredKey:
    kid = f"{time.strftime('%Y%m%d', time.gmtime(now))}-{secrets.token_hex(4)}"
    key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
    return StoredKey(key=key, created_at=now or time.time(), retire_at=None)


class KeyStore:
    """The current signing key and every key still valid for verification."""

    def __init__(self, keys: list[StoredKey], path: Path | None = None) -> None:
        if not keys:
            raise ValueError("a key store needs at least one key")
        self._keys = sorted(keys, key=lambda k: k.created_at)
        self.path = path
        self._mtime = path.stat().st_mtime if path is not None and path.exists() else None

    @classmethod
    def from_json(cls, raw: str, path: Path | None = None, *, now: float | None = None) -> KeyStore:
        data = json.loads(raw)
        moment = now or time.time()
        keys = [
            StoredKey(ECKey.import_key(item["jwk"]), item["created_at"], item.get("retire_at"))
            for item in data["keys"]
        ]
        live = [k for k in keys if k.retire_at is None or k.retire_at > moment]
        return cls(live, path)

    @classmethod
    def load(cls, settings: Settings, *, create: bool = True) -> KeyStore:
        """The configured keys; a first key is generated into the data folder when none exist."""
        if settings.signing_keys_json:
            try:
                return cls.from_json(settings.signing_keys_json)
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(
                    "LNOB_SIGNING_KEYS", f"not a key set this service wrote: {exc}"
                ) from None
        path = settings.keys_file
        if path.exists():
            return cls.from_json(path.read_text(encoding="utf-8"), path)
        if not create:
            raise FileNotFoundError(path)
        store = cls([new_key()], path)
        store.save()
        return store

    def save(self) -> None:
        if self.path is None:
            raise RuntimeError("keys given by LNOB_SIGNING_KEYS cannot be saved")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(self.to_json(), out, indent=1)
        os.replace(tmp, self.path)
        self._mtime = self.path.stat().st_mtime

    def to_json(self) -> dict[str, Any]:
        return {"keys": [k.to_json() for k in self._keys]}

    @property
    def signing(self) -> StoredKey:
        return self._keys[-1]

    @property
    def kids(self) -> list[str]:
        return [k.kid for k in self._keys]

    def verification_set(self) -> KeySet:
        return KeySet([k.key for k in self._keys])

    def public_jwks(self) -> dict[str, Any]:
        """The JWKS document for ``/.well-known/jwks.json``: public halves only."""
        return {"keys": [k.key.as_dict(private=False) for k in self._keys]}

    def rotate(self, *, keep_old_for: float, now: float | None = None) -> StoredKey:
        """Add a new signing key; the previous ones verify for ``keep_old_for`` more seconds."""
        moment = now or time.time()
        retire = moment + keep_old_for
        self._keys = [
            StoredKey(k.key, k.created_at, k.retire_at if k.retire_at is not None else retire)
            for k in self._keys
            if k.retire_at is None or k.retire_at > moment
        ]
        fresh = new_key(moment)
        self._keys.append(fresh)
        return fresh

    def refreshed(self) -> KeyStore:
        """This store, or a reloaded one if the key file changed on disk (after a rotation)."""
        if self.path is None or not self.path.exists():
            return self
        if self.path.stat().st_mtime == self._mtime:
            return self
        return KeyStore.from_json(self.path.read_text(encoding="utf-8"), self.path)


class LiveKeys:
    """The process's key store, re-read from disk (at most every few seconds) after a rotation,
    so ``lnob-api keys rotate`` takes effect without a restart. Attribute access reaches the
    current store."""

    CHECK_EVERY = 5.0

    def __init__(self, store: KeyStore) -> None:
        self._store = store
        self._checked = time.monotonic()

    def current(self) -> KeyStore:
        now = time.monotonic()
        if now - self._checked >= self.CHECK_EVERY:
            self._checked = now
            self._store = self._store.refreshed()
        return self._store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current(), name)
