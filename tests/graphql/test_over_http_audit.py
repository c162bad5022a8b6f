"""The graphql-http package's server audit (the GraphQL-over-HTTP spec's own checks) against
this service on a real uvicorn: 0 MUST and 0 SHOULD failures.

The package is installed from the npm registry at test time into ``vendor/graphql-http``
(ignored by git, as GraphiQL's files are). Without npm or the registry the test fails: the
audit is the evidence, and CI machines reach the registry.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.request import EngineDatabase

PACKAGE = "graphql-http@1.23.1"
PEER = "graphql@16.9.0"
VENDOR = Path(__file__).resolve().parents[2] / "vendor" / "graphql-http"
SCRIPT = Path(__file__).with_name("graphql_http_audit.js")


def _install() -> Path:
    modules = VENDOR / "node_modules"
    if (modules / "graphql-http" / "package.json").exists():
        return modules
    npm = shutil.which("npm")
    assert npm, "npm is needed to fetch the graphql-http audit (apt-get install npm)"
    VENDOR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            npm,
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(VENDOR),
            PACKAGE,
            PEER,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return modules


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def server(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[str]:
    app = create_app(
        Settings(env="test", issuer="http://testserver"),
        database=EngineDatabase(engine),
        keys=signing_keys,
    )
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    task = asyncio.create_task(instance.serve())
    while not instance.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}/graphql"
    instance.should_exit = True
    await task


async def test_graphql_http_audit_has_no_must_or_should_failure(server: str) -> None:
    # given
    modules = await asyncio.to_thread(_install)
    node = shutil.which("node")
    assert node, "node is needed to run the graphql-http audit"
    # when
    proc = await asyncio.create_subprocess_exec(
        node, str(SCRIPT), str(modules), server, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    results: list[dict[str, Any]] = json.loads(out)
    # then
    for r in results:
        print(
            f"{r['status']:5} {r['id']} {r['name']}" + (f" -- {r['reason']}" if r["reason"] else "")
        )
    failures = [
        r for r in results if r["status"] != "ok" and r["name"].startswith(("MUST", "SHOULD"))
    ]
    assert len(results) > 30
    assert failures == [], json.dumps(failures, indent=1)
