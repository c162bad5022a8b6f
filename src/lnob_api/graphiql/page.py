"""The GraphiQL page: GraphiQL with a "Log in" button (authorization code + PKCE in the browser).

The page's own script is inline, allowed by a per-response nonce; everything else comes from
'self' (the vendored files) or, for a file that is not vendored, from the pinned CDN with its
SRI hash. Tokens live in ``sessionStorage`` only: never ``localStorage``, never a cookie. The
script reaches the network only on this origin: the token endpoint and ``/graphql``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from lnob_api.graphiql.assets import PageAsset
from lnob_api.graphiql.service import CLIENT_ID, SCOPES, redirect_uri

TITLE = "LNOB Data Commons API · GraphiQL"
DEFAULT_QUERY = """# LNOB Data Commons API
#
# "Log in" (top right) signs you in; every request then carries your bearer token.
# Without it you see public data only. Ctrl-Enter runs the query.

{
  viewer { kind name email scopes roles { role coalition { name } } }
  coalitions(first: 10) { totalCount nodes { code name } }
}
"""


@dataclass(frozen=True, slots=True)
class RenderedPage:
    html: str
    headers: dict[str, str]


def render_page(*, issuer: str, assets: Sequence[PageAsset], cdn_origin: str) -> RenderedPage:
    """The page and its security headers, with a fresh nonce."""
    nonce = secrets.token_urlsafe(18)
    issuer = issuer.rstrip("/")
    config = {
        "issuer": issuer,
        "clientId": CLIENT_ID,
        "redirectUri": redirect_uri(issuer),
        "scope": " ".join(SCOPES),
        "authorizeUrl": f"{issuer}/oauth/authorize",
        "tokenUrl": f"{issuer}/oauth/token",
        "revokeUrl": f"{issuer}/oauth/revoke",
        "defaultQuery": DEFAULT_QUERY,
    }
    styles = "".join(_link(a) for a in assets if a.kind == "style")
    scripts = "".join(_script(a) for a in assets if a.kind == "script")
    html = _TEMPLATE.format(
        title=escape(TITLE),
        nonce=nonce,
        css=_CSS,
        styles=styles,
        scripts=scripts,
        client_id=escape(CLIENT_ID),
        config=_json_for_script(config),
        main=_MAIN,
    )
    cdn = cdn_origin if any(not a.local for a in assets) else None
    headers = {
        "Content-Security-Policy": content_security_policy(nonce, cdn_origin=cdn),
        "Cache-Control": "no-store",
        # The callback URL carries the code until the script removes it: never send it on.
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }
    return RenderedPage(html=html, headers=headers)


def content_security_policy(nonce: str, *, cdn_origin: str | None) -> str:
    """Scripts and styles from this origin (and the CDN while some file is not vendored);
    inline ones only with the nonce; requests only to this origin."""
    extra = f" {cdn_origin}" if cdn_origin else ""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' 'nonce-{nonce}'{extra}",
            f"style-src 'self' 'nonce-{nonce}'{extra}",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _attributes(asset: PageAsset) -> str:
    cross = "" if asset.local else ' crossorigin="anonymous"'
    return f'integrity="{escape(asset.integrity)}"{cross}'


def _link(asset: PageAsset) -> str:
    return f'<link rel="stylesheet" href="{escape(asset.url)}" {_attributes(asset)}>\n'


def _script(asset: PageAsset) -> str:
    return f'<script src="{escape(asset.url)}" {_attributes(asset)}></script>\n'


def _json_for_script(value: object) -> str:
    """JSON that cannot end its ``<script>`` element early."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_MAIN = Path(__file__).with_name("page.js").read_text(encoding="utf-8")

_CSS = """
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
[hidden] { display: none !important; }
.lnob-bar { display: flex; align-items: center; gap: 0.75rem; padding: 0.35rem 0.9rem;
  background: #0b3d6e; color: #fff; font-size: 0.9rem; min-height: 2.2rem; }
.lnob-bar strong { font-weight: 600; }
.lnob-spacer { flex: 1; }
.lnob-bar button { font: inherit; padding: 0.3rem 0.9rem; border-radius: 4px; cursor: pointer;
  border: 1px solid #fff8; background: #fff; color: #0b3d6e; }
#lnob-logout { background: transparent; color: #fff; }
#lnob-status.lnob-error { color: #ffd5cf; font-weight: 600; }
#graphiql { flex: 1; min-height: 0; display: flex; }
"""

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<style nonce="{nonce}">{css}</style>
{styles}</head>
<body>
<header class="lnob-bar">
  <strong>LNOB Data Commons API</strong>
  <span id="lnob-status" role="status" aria-live="polite"></span>
  <span class="lnob-spacer"></span>
  <button id="lnob-login" type="button" data-client-id="{client_id}">Log in</button>
  <button id="lnob-logout" type="button" hidden>Log out</button>
</header>
<div id="graphiql" class="graphiql-container">Loading…</div>
<script id="lnob-config" type="application/json">{config}</script>
{scripts}<script nonce="{nonce}">{main}</script>
</body>
</html>
"""
