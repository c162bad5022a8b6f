"""The Starlette side: authlib's request built from what Starlette read, its answer as a
Starlette response."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from authlib.common.security import (  # type: ignore[import-untyped,unused-ignore]
    is_secure_transport,
)
from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped,unused-ignore]
    InsecureTransportError,
    InvalidClientError,
    InvalidRequestError,
    OAuth2Payload,
    OAuth2Request,
)
from starlette.requests import Request
from starlette.responses import Response

from lnob_api.config import Settings


@dataclass(slots=True)
class OAuthResult:
    """What authlib answers (status, body, headers), turned into a Starlette response."""

    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    def to_response(self) -> Response:
        content = json.dumps(self.body) if isinstance(self.body, dict) else (self.body or b"")
        return Response(content, status_code=self.status, headers=dict(self.headers))


class _Payload(OAuth2Payload):  # type: ignore[misc,unused-ignore]
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: dict[str, list[str]] = {}
        for key, value in items:
            self._datalist.setdefault(key, []).append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc,unused-ignore]
    """authlib's request over what Starlette read: the query for GET, the form body for POST."""

    def __init__(self, method: str, uri: str, headers: Any, items: list[tuple[str, str]]) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self.payload = _Payload(items)

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data if self.method == "POST" else {}


# Parameters authlib may quote in an error description, which must not hold '"' or '\\'; their
# syntax (RFC 6749 Appendix A) excludes both anyway.
_ECHOED = frozenset(
    [
        "client_id",
        "redirect_uri",
        "response_type",
        "grant_type",
        "scope",
        "code_challenge_method",
        "token_type_hint",
    ]
)
_DESCRIPTION_SAFE = re.compile(r"^[\x20\x21\x23-\x5b\x5d-\x7e]*$")
# OAuth parameters must not repeat (RFC 6749 §3.1, §3.2); other form fields may.
_SINGLE = frozenset(
    [
        "grant_type",
        "code",
        "redirect_uri",
        "client_id",
        "client_secret",
        "scope",
        "state",
        "response_type",
        "code_challenge",
        "code_challenge_method",
        "code_verifier",
        "refresh_token",
        "token",
        "token_type_hint",
        "email",
        "password",
        "csrf_token",
        "action",
    ]
)


async def read_oauth_request(request: Request, *, settings: Settings) -> StarletteOAuth2Request:
    """Read the body (async) and build authlib's request; raises OAuth2Error when malformed."""
    if request.method == "POST":
        try:
            form = await request.form()
        except Exception:  # multipart or encoding errors: the client sent a broken body
            raise InvalidRequestError("The request body cannot be read as a form.") from None
        items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    else:
        items = list(request.query_params.multi_items())
    seen: set[str] = set()
    for key, value in items:
        if "\x00" in value:
            raise InvalidRequestError("A parameter holds a NUL character.")
        if key in _SINGLE and key in seen:
            raise InvalidRequestError(f"Multiple '{key}' in request.")
        if key in _ECHOED and not _DESCRIPTION_SAFE.match(value):
            raise InvalidRequestError(f"Invalid characters in '{key}'.")
        seen.add(key)
    _check_basic_credentials(request.headers.get("authorization"))
    query = request.url.query
    uri = _public_base(settings) + request.url.path + (f"?{query}" if query else "")
    return StarletteOAuth2Request(request.method, uri, request.headers, items)


def _check_basic_credentials(header: str | None) -> None:
    """Refuse Basic credentials authlib would choke on (not UTF-8, or holding a NUL)."""
    parts = (header or "").split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "basic":
        return
    try:
        decoded = base64.b64decode(parts[1]).decode("utf-8")
    except binascii.Error:
        return  # authlib reads undecodable Basic credentials as none at all
    except UnicodeDecodeError:
        decoded = "\x00"
    if "\x00" in unquote(decoded):
        raise InvalidClientError(
            status_code=401, description="The Basic credentials cannot be read."
        )


def _public_base(settings: Settings) -> str:
    """The service's public address, from the issuer rather than the hop from a TLS proxy.

    OAuth needs TLS: in production the issuer must be https (or loopback). Development and
    tests may run over plain http, so authlib's per-request check (which only looks at this
    URI) is given the https form there.
    """
    base = settings.issuer
    if is_secure_transport(base):
        return base
    if settings.env == "production":
        raise InsecureTransportError()
    return "https://" + base.partition("://")[2]
