"""Fetch GraphiQL's browser files from the npm registry into ``graphiql/files/`` (not committed).

``make run`` and ``make test`` run ``python -m lnob_api.graphiql.vendor``. For each package of
the manifest (``assets.json``) whose files are missing, ``npm pack name@version`` fetches the
tarball (npm checks it against the registry's integrity); each needed file is read from the
tarball, checked against the manifest's SRI hash and written under ``<dest>/name@version/``, the
same paths as on the CDN. Files already present with the right hash are left alone. The folder
is inside the package, so a wheel built after this carries the files (``package-data``) and an
installed service serves them without a checkout; a wheel built without them uses the CDN.

Without npm, or when the registry cannot be reached, it warns and exits 0: the page then loads
the same files from the CDN, pinned by the same hashes. A file whose hash differs from the
manifest is never installed (exit 1). ``--update-manifest`` writes the hashes of the packed
files into the manifest instead, for a version bump.

Standard library only, so that make can run it before the project's dependencies are installed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

MANIFEST = Path(__file__).with_name("assets.json")
DEFAULT_DEST = Path(__file__).resolve().with_name("files")
NPM_TIMEOUT_SECONDS = 300

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class AssetFile:
    """One file of an npm package, as the page uses it."""

    package: str
    version: str
    path: str
    integrity: str
    page: bool = True

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def key(self) -> str:
        """The file's path below the vendor folder and below the CDN, e.g.
        ``react@18.2.0/umd/react.production.min.js``."""
        return f"{self.spec}/{self.path}"

    @property
    def kind(self) -> Literal["script", "style"]:
        return "style" if self.path.endswith(".css") else "script"


@dataclass(frozen=True, slots=True)
class Manifest:
    cdn: str
    files: tuple[AssetFile, ...]

    def by_package(self) -> dict[str, list[AssetFile]]:
        packages: dict[str, list[AssetFile]] = {}
        for file in self.files:
            packages.setdefault(file.spec, []).append(file)
        return packages


def load_manifest(path: Path = MANIFEST) -> Manifest:
    raw = json.loads(path.read_text(encoding="utf-8"))
    files = tuple(
        AssetFile(
            package=package["name"],
            version=package["version"],
            path=entry["path"],
            integrity=entry.get("integrity", ""),
            page=entry.get("page", True),
        )
        for package in raw["packages"]
        for entry in package["files"]
    )
    return Manifest(cdn=raw["cdn"].rstrip("/"), files=files)


def sri(data: bytes) -> str:
    """The Subresource Integrity value of ``data`` (SHA-384)."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def is_installed(dest: Path, file: AssetFile) -> bool:
    target = dest / file.key
    return target.is_file() and sri(target.read_bytes()) == file.integrity


class IntegrityError(Exception):
    """A packed file does not match the manifest's hash."""


def vendor(
    dest: Path = DEFAULT_DEST,
    *,
    manifest_path: Path = MANIFEST,
    update_manifest: bool = False,
    npm: str | None = None,
    log: Log | None = None,
) -> int:
    """Install the manifest's files into ``dest``; returns the process exit code."""
    say = log or _stderr
    manifest = load_manifest(manifest_path)
    packages = manifest.by_package()
    wanted = {
        spec: files
        for spec, files in packages.items()
        if update_manifest or not all(is_installed(dest, f) for f in files)
    }
    if not wanted:
        return 0
    npm = npm or shutil.which("npm")
    if npm is None:
        say("warning: npm not found; GraphiQL will load its files from the CDN (unpkg.com)")
        return 0
    with tempfile.TemporaryDirectory(prefix="lnob-graphiql-") as tmp:
        tarballs = _npm_pack(npm, list(wanted), Path(tmp), say)
        if tarballs is None:
            return 0
        try:
            hashes = {
                file.key: _install(tarballs[spec], file, dest, check=not update_manifest)
                for spec, files in wanted.items()
                for file in files
            }
        except IntegrityError as exc:
            say(f"error: {exc}; not installed")
            return 1
    if update_manifest:
        _write_hashes(manifest_path, hashes)
        say(f"wrote the hashes of {len(hashes)} files to {manifest_path}")
    say(f"GraphiQL files ready in {dest} ({', '.join(wanted)})")
    return 0


def _npm_pack(npm: str, specs: list[str], into: Path, say: Log) -> dict[str, Path] | None:
    """``npm pack`` the packages into ``into``; None (after a warning) when npm fails."""
    command = [npm, "pack", *specs, "--json", "--ignore-scripts", "--pack-destination", str(into)]
    try:
        done = subprocess.run(  # noqa: S603 (fixed arguments, specs from the manifest)
            command, cwd=into, capture_output=True, text=True, timeout=NPM_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        say(f"warning: npm pack failed ({exc}); GraphiQL will load its files from the CDN")
        return None
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        say(f"warning: npm pack failed ({detail}); GraphiQL will load its files from the CDN")
        return None
    packed: list[dict[str, Any]] = json.loads(done.stdout)
    # npm names scoped tarballs without the "@" and with "-" for "/", so match by position.
    return {spec: into / item["filename"] for spec, item in zip(specs, packed, strict=True)}


def _install(tarball: Path, file: AssetFile, dest: Path, *, check: bool) -> str:
    """Copy one file out of the tarball (members are read, never extracted); returns its hash."""
    data = _read_member(tarball, file.path)
    digest = sri(data)
    if check and digest != file.integrity:
        raise IntegrityError(f"{file.key} has {digest}, the manifest says {file.integrity}")
    target = dest / file.key
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, target)
    return digest


def _read_member(tarball: Path, path: str) -> bytes:
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            # Tarballs hold one top folder, usually "package/".
            if member.isfile() and member.name.split("/", 1)[-1] == path:
                extracted = archive.extractfile(member)
                if extracted is not None:
                    return extracted.read()
    raise IntegrityError(f"{tarball.name} has no file {path}")


def _write_hashes(manifest_path: Path, hashes: dict[str, str]) -> None:
    raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    for package in raw["packages"]:
        for entry in package["files"]:
            entry["integrity"] = hashes[f"{package['name']}@{package['version']}/{entry['path']}"]
    manifest_path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")


def _stderr(message: str) -> None:
    print(f"vendor-graphiql: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lnob_api.graphiql.vendor",
        description="Fetch GraphiQL's browser files from the npm registry (idempotent).",
    )
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="target folder")
    parser.add_argument(
        "--update-manifest",
        action="store_true",
        help="re-pack every package and write the files' hashes into the manifest",
    )
    args = parser.parse_args(argv)
    return vendor(args.dest, update_manifest=args.update_manifest)


if __name__ == "__main__":
    sys.exit(main())
