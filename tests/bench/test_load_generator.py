"""bench/peer/install.ensure_wrk: the side-by-side's load generator, found or installed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from bench.peer import install


def _tool(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_a_wrk_on_the_path_is_used_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _tool(tmp_path, "wrk", "exit 0")
    _tool(tmp_path, "apt-get", f"touch {tmp_path}/apt-was-called")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert install.ensure_wrk() == str(tmp_path / "wrk")
    assert not (tmp_path / "apt-was-called").exists()


def test_without_apt_nothing_is_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert install.ensure_wrk() is None
