"""``lnob-api keys``: rotate the token signing keys and list them (never private material)."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from joserfc.errors import JoseError

from lnob_api.auth.keys import KeyStore
from lnob_api.cli_admin.common import CommandError, guarded, iso, print_json, print_table, when
from lnob_api.cli_admin.parsing import add_listing, command_group
from lnob_api.config import Settings

if TYPE_CHECKING:
    from argparse import _SubParsersAction

CONFIGURED = (
    "the signing keys come from LNOB_SIGNING_KEYS: rotate them where they are kept,"
    " then update that variable"
)


def _seconds(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more seconds")
    return value


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    actions = command_group(sub, "keys", help="rotate and list the token signing keys")

    rotate = actions.add_parser(
        "rotate",
        help="sign with a new key; older keys keep verifying for a while",
        description="Add a new signing key. Running servers pick it up within seconds; the "
        "previous keys keep verifying tokens until they retire, then they are dropped.",
    )
    rotate.add_argument(
        "--keep-old-for",
        type=_seconds,
        metavar="SECONDS",
        help="how long the previous keys keep verifying (default: the access token "
        "lifetime plus 60 s; 0 after a key leak)",
    )
    rotate.set_defaults(handler=guarded(cmd_rotate))

    add_listing(actions, cmd_list, help="list key ids, creation and retirement times")


def _load(settings: Settings) -> KeyStore:
    """The key store; FileNotFoundError when the data folder holds no keys yet."""
    try:
        return KeyStore.load(settings, create=False)
    except (ValueError, KeyError, TypeError, JoseError) as exc:  # a damaged key file
        raise CommandError(f"cannot read {settings.keys_file}: {exc}") from None


def _public_facts(store: KeyStore) -> list[dict[str, Any]]:
    """Key id, creation and retirement of each key: nothing of the key itself."""
    signing = store.signing.kid
    return [
        {
            "kid": item["jwk"]["kid"],
            "created_at": item["created_at"],
            "retire_at": item["retire_at"],
            "signing": item["jwk"]["kid"] == signing,
        }
        for item in store.to_json()["keys"]
    ]


def cmd_rotate(args: argparse.Namespace, settings: Settings) -> int:
    if settings.signing_keys_json:
        raise CommandError(CONFIGURED)
    try:
        store = _load(settings)
    except FileNotFoundError:
        store = KeyStore.load(settings)  # the first key: there is nothing to rotate yet
        print(f"created the first signing key {store.signing.kid} in {settings.keys_file}")
        return 0
    keep = args.keep_old_for if args.keep_old_for is not None else settings.access_token_ttl + 60
    now = time.time()
    fresh = store.rotate(keep_old_for=keep, now=now)
    store.save()
    retiring = [k for k in _public_facts(store) if not k["signing"]]
    old = "; ".join(
        f"{k['kid']} verifies until {when(k['retire_at'])} (in {k['retire_at'] - now:.0f} s)"
        for k in retiring
    )
    print(f"new signing key {fresh.kid}; {old or 'no previous key'}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    try:
        store = (
            KeyStore.from_json(settings.signing_keys_json)
            if settings.signing_keys_json
            else _load(settings)
        )
    except FileNotFoundError:
        print(f"no signing keys yet in {settings.keys_file}: the server creates one at start")
        return 0
    except (ValueError, KeyError, TypeError, JoseError) as exc:
        raise CommandError(
            f"LNOB_SIGNING_KEYS is not a key set this service wrote: {exc}"
        ) from None
    facts = _public_facts(store)
    if args.json:
        print_json(
            [
                k | {"created_at": iso(k["created_at"]), "retire_at": iso(k["retire_at"])}
                for k in facts
            ]
        )
        return 0
    rows = [
        [
            k["kid"],
            when(k["created_at"]),
            when(k["retire_at"], empty="-"),
            "signing" if k["signing"] else "verifying only",
        ]
        for k in facts
    ]
    print_table(["KID", "CREATED", "RETIRES", "USE"], rows, empty="no signing keys")
    return 0
