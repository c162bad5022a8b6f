"""The server-rendered sign-in and consent page of ``/oauth/authorize``, and its error page.

Every value from the request or the database is HTML-escaped. The page loads nothing from
elsewhere; its headers forbid framing (clickjacking of the consent) and referrers (the query
carries ``state`` and the PKCE challenge).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from html import escape

from starlette.responses import HTMLResponse

from lnob_api.auth.principal import Scope

SCOPE_LABELS = {
    Scope.DATA_READ.value: "Read the data you can see",
    Scope.DATA_WRITE.value: "Add and change data where you are an editor",
    Scope.COALITION_ADMIN.value: "Manage the coalitions you administer",
    Scope.PARTNERSHIP_ADMIN.value: "Administer the whole partnership (partnership admins only)",
}

_CSS = (
    "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#1d2330}"
    "main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;"
    "box-shadow:0 1px 4px #0002}"
    "h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem}"
    "input[type=email],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}"
    ".actions{display:flex;gap:.6rem;margin-top:1.2rem}button{padding:.55rem 1rem;cursor:pointer}"
    ".primary{background:#0b5cad;color:#fff;border:0;border-radius:4px}"
    ".message{background:#fdecea;border-left:4px solid #c0392b;padding:.6rem .8rem}"
    ".muted{color:#5b6475;font-size:.9rem}"
)
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)} · LNOB Data Commons</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def login_page(
    *,
    client_name: str,
    scopes: Iterable[str],
    params: Mapping[str, str],
    csrf_token: str,
    email: str = "",
    message: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The sign-in form; signing in grants ``client_name`` the listed scopes.

    ``params`` are the authorization request's parameters, sent back as hidden fields so the
    POST can be validated exactly as the GET was.
    """
    items = "".join(
        f"<li>{escape(SCOPE_LABELS.get(s, s))} <span class=muted>({escape(s)})</span></li>"
        for s in scopes
    )
    scope_block = f"<ul>{items}</ul>" if items else "<p class=muted>No extra permissions.</p>"
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items()
    )
    notice = f'<p class="message" role="alert">{escape(message)}</p>' if message else ""
    body = (
        "<h1>Sign in to the LNOB Data Commons</h1>"
        f"<p><strong>{escape(client_name)}</strong> asks to act for you with these permissions:</p>"
        f"{scope_block}{notice}"
        '<form method="post">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">{hidden}'
        '<label for="email">E-mail address</label>'
        f'<input id="email" type="email" name="email" value="{escape(email)}" '
        'autocomplete="username" required autofocus>'
        '<label for="password">Password</label>'
        '<input id="password" type="password" name="password" '
        'autocomplete="current-password" required>'
        '<div class="actions">'
        '<button class="primary" type="submit" name="action" value="allow">'
        "Sign in and allow</button>"
        '<button type="submit" name="action" value="deny" formnovalidate>Deny</button>'
        "</div></form>"
    )
    return HTMLResponse(
        _document("Sign in", body),
        status_code=status_code,
        headers={**PAGE_HEADERS, **(headers or {})},
    )


def error_page(*, error: str, description: str, status_code: int = 400) -> HTMLResponse:
    """A dead end shown instead of redirecting, when the redirect target cannot be trusted."""
    body = (
        "<h1>This sign-in request cannot go on</h1>"
        f"<p>{escape(description or 'The request is not valid.')}</p>"
        f"<p class=muted>Error: {escape(error)}. Go back to the application and try again.</p>"
    )
    return HTMLResponse(
        _document("Sign-in error", body), status_code=status_code, headers=PAGE_HEADERS
    )
