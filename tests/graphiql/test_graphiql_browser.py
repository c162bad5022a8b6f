"""GraphiQL in a real headless Chromium against a real server: it renders offline, logs the
user in (authorization code + PKCE), runs a query with the token, refreshes, logs out.

Chromium is driven over the DevTools protocol with ``websockets``. Requests that leave the
server's origin are blocked and recorded, so the page must work without the CDN.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from websockets.asyncio.client import ClientConnection, connect

from lnob_api import models
from lnob_api.auth.secrets import hash_password
from lnob_api.db import create_engine, embedded
from lnob_api.graphiql import vendor

LNOB_API = str(Path(sys.executable).with_name("lnob-api"))
CHROMIUM = Path("/usr/bin/chromium")
EMAIL = "amina.admin@lnob.example"
NAME = "Amina Wanjiru"
PASSWORD = "browser test password"
STEP_TIMEOUT = 30.0
SERVER_START_TIMEOUT = 180.0
QUERY = "query Mine { viewer { name email scopes } datasets { totalCount } }"


# -- fixtures: Chromium, vendored files, a server with a user ----------------------------------


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium, installed with apt when missing."""
    if not CHROMIUM.exists():
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=900)
            except (OSError, subprocess.TimeoutExpired) as exc:
                pytest.skip(f"Chromium is missing and {' '.join(command)} failed: {exc}")
            if done.returncode != 0:
                tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
                pytest.skip(f"Chromium is missing and {' '.join(command)} failed: {tail}")
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing and apt-get did not install /usr/bin/chromium")
    return CHROMIUM


@pytest.fixture(scope="module")
def vendored() -> None:
    messages: list[str] = []
    vendor.vendor(log=messages.append)
    manifest = vendor.load_manifest()
    if not all(vendor.is_installed(vendor.DEFAULT_DEST, f) for f in manifest.files):
        pytest.skip(f"GraphiQL's files could not be vendored: {' '.join(messages)}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path, base: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    return env | {
        "LNOB_DATA_DIR": str(data_dir),
        "LNOB_ISSUER": base,
        "LNOB_LOG_LEVEL": "warning",
        "LNOB_ENV": "development",
    }


async def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"the server exited early with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{base}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise AssertionError("the server did not become ready")


async def _create_user(data_dir: Path) -> None:
    """An active partnership admin with a password, written straight into the server's
    embedded database (this process attaches to it and detaches again)."""
    url = embedded.start(data_dir)
    try:
        engine = create_engine(url, pool_size=1)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    sa.insert(models.User.__table__).values(
                        email=EMAIL,
                        name=NAME,
                        password_hash=hash_password(PASSWORD),
                        is_partnership_admin=True,
                    )
                )
        finally:
            await engine.dispose()
    finally:
        embedded.stop(data_dir)  # the server still holds the database: it keeps running


def _stop(proc: subprocess.Popen[bytes], *, group: bool = False) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory, vendored: None) -> AsyncIterator[str]:
    """``lnob-api serve`` on 127.0.0.1 with its own data folder; yields its base URL."""
    tmp_path = tmp_path_factory.mktemp("server")
    tmp_path.chmod(0o711)  # as root, the embedded server's account traverses it (conftest.py)
    data_dir = tmp_path / "data"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("wb")
    proc = await asyncio.to_thread(
        subprocess.Popen,
        [LNOB_API, "serve", "--port", str(port)],
        env=_env(data_dir, base),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        await _wait_ready(base, proc)
        await _create_user(data_dir)
        yield base
    finally:
        _stop(proc)
        log.close()
        if proc.returncode not in (0, None):
            print((tmp_path / "server.log").read_text(errors="replace")[-4000:])


@contextlib.contextmanager
def _browser(chromium: Path, profile: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """Headless Chromium with a DevTools port; yields the process and the port."""
    proc = subprocess.Popen(
        [
            str(chromium),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--window-size=1280,800",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its helpers share its process group: stopped together
    )
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + STEP_TIMEOUT
        while not (active.exists() and active.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        yield proc, int(active.read_text().splitlines()[0])
    finally:
        _stop(proc, group=True)


# -- a small DevTools protocol client ----------------------------------------------------------


class Page:
    """One page target: commands with a timeout, events kept for later checks."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._next = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            future = self._pending.pop(message.get("id", -1), None)
            if future is None:
                self.events.append(message)
            elif "error" in message:
                future.set_exception(AssertionError(f"DevTools error: {message['error']}"))
            else:
                future.set_result(message.get("result", {}))

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next] = future
        await self.ws.send(json.dumps({"id": self._next, "method": method, "params": params}))
        return await asyncio.wait_for(future, STEP_TIMEOUT)

    async def eval(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited)."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, what: str) -> Any:
        """Poll until the expression is truthy; its value. Navigations in between are fine."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(AssertionError):
                value = await self.eval(expression)
                if value:
                    return value
            await asyncio.sleep(0.2)
        location = await self.eval("location.href")
        raise AssertionError(f"timed out waiting for {what} (at {location})")

    async def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element."""
        box = await self.wait_for(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e || e.offsetParent === null) return null;"
            " const r = e.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()",
            f"{selector} to be visible",
        )
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left",
                clickCount=1,
            )

    async def type_into(self, selector: str, text: str) -> None:
        await self.eval(f"document.querySelector({json.dumps(selector)}).focus()")
        await self.send("Input.insertText", text=text)

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self.ws.close()


@contextlib.asynccontextmanager
async def _page(port: int) -> AsyncIterator[Page]:
    async with httpx.AsyncClient(timeout=5) as http:
        targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
    url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
    ws = await asyncio.wait_for(connect(url, max_size=None), STEP_TIMEOUT)
    page = Page(ws)
    try:
        yield page
    finally:
        await page.close()


# -- the test ----------------------------------------------------------------------------------

_SESSION = "JSON.parse(sessionStorage.getItem('lnob-graphiql.session'))"
_RESPONSE = (
    "(() => { const e = document.querySelector('.graphiql-response .CodeMirror');"
    " return e ? e.CodeMirror.getValue() : ''; })()"
)


async def _run_in_graphiql(page: Page, query: str) -> dict[str, Any]:
    """Type nothing by hand: put the query in the editor, press the run button, read the
    result pane."""
    await page.eval(
        "document.querySelector('.graphiql-query-editor .CodeMirror')"
        f".CodeMirror.setValue({json.dumps(query)})"
    )
    await page.eval(
        "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.setValue('')"
    )
    await page.click(".graphiql-execute-button")
    text = await page.wait_for(
        f"(() => {{ const t = {_RESPONSE}; return t.includes('\"data\"') || "
        "t.includes('\"errors\"') ? t : ''; })()",
        "the query's result",
    )
    result: dict[str, Any] = json.loads(text)
    return result


async def _wait_revoked(server: str, session: dict[str, Any]) -> None:
    """Log out revokes in the background: poll until both tokens are refused."""
    deadline = time.monotonic() + STEP_TIMEOUT
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            access = await http.post(
                f"{server}/graphql",
                json={"query": "{ __typename }"},
                headers={"Authorization": f"Bearer {session['accessToken']}"},
            )
            refresh = await http.post(
                f"{server}/oauth/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": "lnob-graphiql",
                    "refresh_token": session["refreshToken"],
                },
            )
            if access.status_code == 401 and refresh.status_code == 400:
                assert refresh.json()["error"] == "invalid_grant"
                return
            await asyncio.sleep(0.2)
    raise AssertionError("the tokens still work after logging out")


class TestGraphiqlInChromium:
    async def test_renders_offline_logs_in_queries_refreshes_and_logs_out(
        self, chromium: Path, server: str, tmp_path: Path
    ) -> None:
        async with httpx.AsyncClient() as http:
            anonymous = await http.post(f"{server}/graphql", json={"query": QUERY})
        public_datasets = anonymous.json()["data"]["datasets"]["totalCount"]
        with _browser(chromium, tmp_path / "profile") as (_, port):
            async with _page(port) as page:
                # given a browser that may reach nothing but the server
                for domain in ("Page", "Runtime", "Log", "Network"):
                    await page.send(f"{domain}.enable")
                await page.send("Network.setBlockedURLs", urls=["*unpkg.com*", "*jsdelivr*"])

                # when it opens GraphiQL
                await page.send("Page.navigate", url=f"{server}/graphql")
                # then GraphiQL rendered from the server's own files
                await page.wait_for(
                    "document.querySelector('.graphiql-query-editor .CodeMirror') !== null",
                    "GraphiQL to render",
                )
                assert await page.eval("document.getElementById('lnob-login').hidden") is False
                # and its panels and dialogs open (they add styles at run time)
                for label in ("Show Documentation Explorer", "Show GraphiQL Explorer"):
                    await page.click(f'.graphiql-sidebar button[aria-label="{label}"]')
                    await page.wait_for(
                        "document.querySelector('.graphiql-plugin') !== null", f"{label!r}"
                    )
                await page.click('.graphiql-sidebar button[aria-label="Open settings dialog"]')
                await page.wait_for("document.querySelector('[role=dialog]') !== null", "a dialog")
                # Escape closes it; a press that lands before the dialog has taken focus is
                # lost (seen once in CI), so press again as a user would, a bounded number of times
                for _ in range(10):
                    await page.send(
                        "Input.dispatchKeyEvent",
                        type="keyDown",
                        key="Escape",
                        code="Escape",
                        windowsVirtualKeyCode=27,
                    )
                    await asyncio.sleep(0.5)
                    if await page.eval("!document.querySelector('[role=dialog]')"):
                        break
                await page.wait_for("!document.querySelector('[role=dialog]')", "no dialog")

                # when the user clicks "Log in" and signs in on the authorization page
                await page.click("#lnob-login")
                await page.wait_for(
                    "location.pathname === '/oauth/authorize'"
                    " && document.querySelector('input[name=password]') !== null",
                    "the sign-in form",
                )
                assert await page.eval("sessionStorage.getItem('lnob-graphiql.pending')")
                await page.type_into("input[name=email]", EMAIL)
                await page.type_into("input[name=password]", PASSWORD)
                await page.click("button[value=allow]")

                # then they are back on GraphiQL, logged in, the code gone from the address
                status = await page.wait_for(
                    "location.pathname === '/graphql' && (document.getElementById"
                    "('lnob-status').textContent.startsWith('Logged in as') ?"
                    " document.getElementById('lnob-status').textContent : '')",
                    "the logged-in status",
                )
                assert status == f"Logged in as {NAME} <{EMAIL}>"
                assert await page.eval("location.search") == ""
                assert await page.eval("document.getElementById('lnob-logout').hidden") is False
                session = await page.eval(_SESSION)
                assert session["accessToken"] and session["refreshToken"]
                assert "partnership:admin" in session["scope"].split()
                # tokens live in sessionStorage only
                stored = await page.eval("JSON.stringify(Object.assign({}, localStorage))")
                assert session["accessToken"] not in stored
                assert session["refreshToken"] not in stored
                assert session["accessToken"] not in await page.eval("document.cookie")
                assert await page.eval("sessionStorage.getItem('lnob-graphiql.pending')") is None

                # when a query runs from GraphiQL's editor
                result = await _run_in_graphiql(page, QUERY)
                # then it ran as the user: the viewer, and more datasets than anonymous sees
                assert result["data"]["viewer"]["name"] == NAME
                assert result["data"]["datasets"]["totalCount"] > public_datasets

                # when the access token is about to expire, the next query refreshes it first
                await page.eval(
                    f"(() => {{ const s = {_SESSION}; s.refreshAt = Date.now();"
                    " sessionStorage.setItem('lnob-graphiql.session', JSON.stringify(s)); })()"
                )
                again = await _run_in_graphiql(page, QUERY)
                renewed = await page.eval(_SESSION)
                assert again["data"]["viewer"]["email"] == EMAIL
                assert renewed["refreshToken"] != session["refreshToken"]
                assert renewed["accessToken"] != session["accessToken"]

                screenshot = await page.send("Page.captureScreenshot", format="png")
                shot = tmp_path / "graphiql.png"
                shot.write_bytes(base64.b64decode(screenshot["data"]))

                # when the user logs out
                await page.click("#lnob-logout")
                await page.wait_for(
                    "!document.getElementById('lnob-login').hidden", "the Log in button"
                )
                assert await page.eval(_SESSION) is None
                anonymous_again = await _run_in_graphiql(page, QUERY)
                assert anonymous_again["data"]["viewer"] is None
                # and its tokens were revoked on the way out
                await _wait_revoked(server, renewed)

                events = list(page.events)
        # then a screenshot was taken
        assert shot.stat().st_size > 0
        # and nothing left the server's origin, the page broke no rule of its policy, and no
        # script failed
        requested = [
            e["params"]["request"]["url"]
            for e in events
            if e["method"] == "Network.requestWillBeSent"
        ]
        assert requested, "no request was seen"
        outside = [u for u in requested if not u.startswith((server, "data:"))]
        assert outside == []
        problems = [
            e["params"]["entry"]["text"]
            for e in events
            if e["method"] == "Log.entryAdded"
            and e["params"]["entry"]["level"] == "error"
            and "favicon" not in e["params"]["entry"].get("url", "")
        ]
        problems += [
            json.dumps(e["params"]["exceptionDetails"])
            for e in events
            if e["method"] == "Runtime.exceptionThrown"
        ]
        problems += [
            json.dumps(e["params"]["args"])
            for e in events
            if e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] == "error"
        ]
        assert problems == []

    async def test_log_in_from_another_address_goes_to_the_issuers_first(
        self, chromium: Path, server: str, tmp_path: Path
    ) -> None:
        # given GraphiQL opened as localhost while the issuer is 127.0.0.1
        other = server.replace("127.0.0.1", "localhost")
        with _browser(chromium, tmp_path / "profile") as (_, port):
            async with _page(port) as page:
                await page.send("Page.enable")
                await page.send("Page.navigate", url=f"{other}/graphql")
                await page.wait_for(
                    "document.querySelector('.graphiql-query-editor .CodeMirror') !== null",
                    "GraphiQL to render",
                )
                # when the user clicks "Log in"
                await page.click("#lnob-login")
                # then the sign-in form opens on the issuer's address, where the code returns
                await page.wait_for(
                    "location.pathname === '/oauth/authorize'"
                    " && document.querySelector('input[name=password]') !== null",
                    "the sign-in form",
                )
                assert await page.eval("location.origin") == server
                assert await page.eval("sessionStorage.getItem('lnob-graphiql.pending')")
