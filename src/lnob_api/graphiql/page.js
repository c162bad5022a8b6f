// The GraphiQL page's own script (see page.py): the log-in button, the authorization code
// flow with PKCE, tokens in sessionStorage, and GraphiQL's fetcher with the bearer token.
// Plain ES2017 without a build step, inlined with the page's nonce; DOM text only through
// textContent. It must not contain a closing script tag.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("lnob-config").textContent);
  // {accessToken, refreshToken, expiresAt, refreshAt, scope}; times in ms since the epoch
  var SESSION = "lnob-graphiql.session";
  var PENDING = "lnob-graphiql.pending";  // {state, verifier} while the browser is away
  var REFRESH_MARGIN_MS = 60 * 1000;
  var CALLBACK_PARAMS = ["code", "state", "iss", "error", "error_description", "error_uri"];

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

  async function startLogin(redirected) {
    // sessionStorage belongs to one origin: log in where the code will come back to.
    if (location.origin !== new URL(config.redirectUri).origin) {
      if (redirected) throw new LoginError("this address does not match LNOB_ISSUER");
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
    var lifetime = (Number(body.expires_in) || 300) * 1000;
    var session = {
      accessToken: body.access_token,
      // Rotation: the old refresh token is spent once a new one is issued.
      refreshToken: body.refresh_token || null,
      expiresAt: Date.now() + lifetime,
      // Renew a little before the end (at most halfway through a short-lived token).
      refreshAt: Date.now() + lifetime - Math.min(REFRESH_MARGIN_MS, lifetime / 2),
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
          // The server refused the refresh token (an OAuth error): the session is over. A
          // network or server failure keeps it, for a later try.
          if (error instanceof LoginError && error.code) {
            endSession("Your session has ended: log in again.");
          }
          throw error;
        })
        .finally(function () { refreshing = null; });
    }
    return refreshing;
  }

  async function accessToken(force) {
    var session = read(SESSION);
    if (!session) return null;
    if (force || Date.now() >= session.refreshAt) {
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
      defaultQuery: config.defaultQuery,
      defaultEditorToolsVisibility: true,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false
    }));
  }

  async function start() {
    loginButton.addEventListener("click", function () {
      startLogin(false).catch(function (e) { setStatus("Log-in failed: " + e.message, true); });
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
      // Sent here by "Log in" on another address of this server (see startLogin).
      history.replaceState(history.state, "", location.pathname + location.search);
      if (!read(SESSION)) {
        await startLogin(true).catch(function (e) {
          setStatus("Log-in failed: " + e.message, true);
        });
      }
    }
  }

  start();
})();
