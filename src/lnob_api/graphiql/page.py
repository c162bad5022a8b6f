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

from lnob_api.graphiql.assets import PageAsset
from lnob_api.graphiql.service import CLIENT_ID, SCOPES, redirect_uri

TITLE = "LNOB Data Commons API · GraphiQL"


@dataclass(frozen=True, slots=True)
class RenderedPage:
    html: str
    headers: dict[str, str]
    nonce: str


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
    return RenderedPage(html=html, headers=headers, nonce=nonce)


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

# The page's script. Plain ES2017, no build step; DOM text only through textContent.
_MAIN = r"""
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("lnob-config").textContent);
  var SESSION = "lnob-graphiql.session";  // {accessToken, refreshToken, expiresAt, scope}
  var PENDING = "lnob-graphiql.pending";  // {state, verifier} while the browser is away
  var REFRESH_MARGIN_MS = 60 * 1000;
  var CALLBACK_PARAMS = ["code", "state", "iss", "error", "error_description", "error_uri"];
  var DEFAULT_QUERY = [
    "# LNOB Data Commons API",
    "#",
    "# \"Log in\" (top right) signs you in; every request then carries your bearer token.",
    "# Without it you see public data only. Ctrl-Enter runs the query.",
    "",
    "{",
    "  viewer { kind name email scopes roles { role coalition { name } } }",
    "  coalitions(first: 10) { totalCount nodes { code name } }",
    "}",
    ""
  ].join("\n");

  var store = window.sessionStorage;
  var loginButton = document.getElementById("lnob-login");
  var logoutButton = document.getElementById("lnob-logout");
  var statusText = document.getElementById("lnob-status");
  var graphqlUrl = location.origin + location.pathname;
  var refreshing = null;
  var root = null;

  // GraphiQL's dialogs add <style> elements at run time (react-remove-scroll-bar); its bundle
  // keeps the nonce setting private, so give such elements this page's nonce as they are
  // created. Injected markup does not pass through here and stays blocked.
  var nonce = document.currentScript.nonce;
  var createElement = Document.prototype.createElement;
  document.createElement = function (name, options) {
    var element = createElement.call(this, name, options);
    if (String(name).toLowerCase() === "style") element.nonce = nonce;
    return element;
  };

  function setStatus(text, isError) {
    statusText.textContent = text;
    statusText.classList.toggle("lnob-error", Boolean(isError));
  }

  function read(key) {
    try { return JSON.parse(store.getItem(key)); } catch (e) { return null; }
  }

  function base64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomString(size) {
    return base64url(crypto.getRandomValues(new Uint8Array(size)));
  }

  async function startLogin() {
    // sessionStorage belongs to one origin: log in where the code will come back to.
    if (location.origin !== new URL(config.redirectUri).origin) {
      location.assign(config.redirectUri + "#login");
      return;
    }
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
      setStatus("Logging in needs HTTPS (or localhost).", true);
      return;
    }
    var verifier = randomString(32);
    var digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    var state = randomString(16);
    store.setItem(PENDING, JSON.stringify({ state: state, verifier: verifier }));
    var query = new URLSearchParams({
      response_type: "code",
      client_id: config.clientId,
      redirect_uri: config.redirectUri,
      scope: config.scope,
      state: state,
      code_challenge: base64url(new Uint8Array(digest)),
      code_challenge_method: "S256"
    });
    location.assign(config.authorizeUrl + "?" + query.toString());
  }

  function LoginError(message, code) {
    this.message = message;
    this.code = code || "";
  }
  LoginError.prototype = Object.create(Error.prototype);

  async function tokenRequest(fields) {
    fields.client_id = config.clientId;
    var response = await fetch(config.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams(fields),
      credentials: "omit",
      cache: "no-store"
    });
    var body = await response.json().catch(function () { return {}; });
    if (!response.ok || !body.access_token) {
      var reason = body.error_description || body.error || "HTTP " + response.status;
      throw new LoginError(reason, body.error);
    }
    return body;
  }

  function saveSession(body) {
    var session = {
      accessToken: body.access_token,
      // Rotation: the old refresh token is spent once a new one is issued.
      refreshToken: body.refresh_token || null,
      expiresAt: Date.now() + (Number(body.expires_in) || 300) * 1000,
      scope: body.scope || ""
    };
    store.setItem(SESSION, JSON.stringify(session));
    return session;
  }

  function endSession(message) {
    store.removeItem(SESSION);
    showState();
    if (message) setStatus(message, true);
  }

  function refresh(session) {
    // One refresh at a time: a rotated refresh token sent twice revokes the whole session.
    if (!refreshing) {
      var fields = { grant_type: "refresh_token", refresh_token: session.refreshToken };
      refreshing = tokenRequest(fields)
        .then(saveSession)
        .catch(function (error) {
          if (error instanceof LoginError) endSession("Your session has ended: log in again.");
          throw error;
        })
        .finally(function () { refreshing = null; });
    }
    return refreshing;
  }

  async function accessToken(force) {
    var session = read(SESSION);
    if (!session) return null;
    if (force || session.expiresAt - Date.now() < REFRESH_MARGIN_MS) {
      if (session.refreshToken) {
        session = await refresh(session);
      } else if (force || Date.now() >= session.expiresAt) {
        endSession("Your session has ended: log in again.");
        throw new LoginError("The access token has expired: log in again.");
      }
    }
    return session.accessToken;
  }

  // GraphiQL's fetch: adds the bearer token unless the headers editor sets Authorization,
  // and on a 401 (token expired or revoked) refreshes once and retries.
  async function authFetch(input, init) {
    init = Object.assign({}, init);
    var headers = new Headers(init.headers || {});
    var explicit = headers.has("Authorization");
    var token = explicit ? null : await accessToken(false);
    if (token) headers.set("Authorization", "Bearer " + token);
    init.headers = headers;
    var response = await fetch(input, init);
    if (response.status === 401 && token) {
      headers.set("Authorization", "Bearer " + (await accessToken(true)));
      response = await fetch(input, init);
    }
    return response;
  }

  function cleanUrl() {
    var url = new URL(location.href);
    CALLBACK_PARAMS.forEach(function (name) { url.searchParams.delete(name); });
    history.replaceState(history.state, "", url.pathname + url.search);
  }

  async function completeLogin(params) {
    var pending = read(PENDING);
    store.removeItem(PENDING);
    cleanUrl();
    if (!pending || params.get("state") !== pending.state) {
      throw new LoginError("this answer does not belong to a log-in started here; try again");
    }
    if (params.get("error")) {
      throw new LoginError(params.get("error_description") || params.get("error"));
    }
    if (params.has("iss") && params.get("iss") !== config.issuer) {
      throw new LoginError("the answer comes from another authorization server");
    }
    saveSession(await tokenRequest({
      grant_type: "authorization_code",
      code: params.get("code"),
      redirect_uri: config.redirectUri,
      code_verifier: pending.verifier
    }));
  }

  async function showViewer() {
    setStatus("Logged in");
    try {
      var response = await authFetch(graphqlUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ query: "query GraphiqlViewer { viewer { name email } }" })
      });
      var viewer = ((await response.json()).data || {}).viewer;
      if (viewer && (viewer.name || viewer.email)) {
        var mail = viewer.name && viewer.email ? " <" + viewer.email + ">" : "";
        setStatus("Logged in as " + (viewer.name || viewer.email) + mail);
      }
    } catch (e) {
      // "Logged in" stays: the token is kept; the next request will tell more.
    }
  }

  function showState() {
    var loggedIn = Boolean(read(SESSION));
    loginButton.hidden = loggedIn;
    logoutButton.hidden = !loggedIn;
    if (!loggedIn) setStatus("");
    return loggedIn;
  }

  async function logOut() {
    var session = read(SESSION);
    store.removeItem(SESSION);
    store.removeItem(PENDING);
    showState();
    setStatus("Logged out");
    renderGraphiQL();
    if (!session) return;
    // Best effort: withdraw the refresh token (and its family) and the access token.
    [[session.refreshToken, "refresh_token"], [session.accessToken, "access_token"]]
      .forEach(function (pair) {
        if (!pair[0]) return;
        fetch(config.revokeUrl, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(
            { token: pair[0], token_type_hint: pair[1], client_id: config.clientId }
          ),
          credentials: "omit"
        }).catch(function () {});
      });
  }

  function renderGraphiQL() {
    if (typeof GraphiQL === "undefined" || typeof React === "undefined") {
      document.getElementById("graphiql").textContent =
        "GraphiQL's files did not load: run `make vendor` on the server.";
      return;
    }
    var plugins = typeof GraphiQLPluginExplorer === "undefined"
      ? [] : [GraphiQLPluginExplorer.explorerPlugin()];
    // A new fetcher makes GraphiQL load the schema again, as the new principal.
    var fetcher = GraphiQL.createFetcher({ url: graphqlUrl, fetch: authFetch });
    root = root || ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: plugins,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: true,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false
    }));
  }

  async function start() {
    loginButton.addEventListener("click", function () {
      startLogin().catch(function (e) { setStatus("Log-in failed: " + e.message, true); });
    });
    logoutButton.addEventListener("click", logOut);
    var params = new URLSearchParams(location.search);
    if (params.has("code") || params.has("error")) {
      try {
        await completeLogin(params);
      } catch (e) {
        showState();
        setStatus("Log-in failed: " + e.message, true);
      }
    }
    // Schema and viewer requests go out as the signed-in user, so render after the exchange.
    renderGraphiQL();
    if (showState()) await showViewer();
    if (location.hash === "#login") {
      history.replaceState(history.state, "", location.pathname + location.search);
      if (!read(SESSION)) await startLogin();
    }
  }

  start();
})();
"""
