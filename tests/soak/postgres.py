"""A PostgreSQL cluster of the soak's own, on a free port, to restart for real.

The machine's PostgreSQL serves other work and must not be restarted; the soak makes a cluster
in a temporary directory (trust authentication, loopback only, no fsync: nothing in it must
outlive the run) with the server binaries of the machine (`pg_config --bindir`, or
/usr/lib/postgresql/*/bin, or PATH). `initdb` refuses to run as root, so as root the cluster
belongs to the `postgres` account and its commands run as that user (`runuser`).
`PrivatePostgres.find()` says why when none can be made; the soak then only cuts connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.e2e.process import free_port, listening

# Three replicas' pools (5 + 10 overflow each), the soak's own engine and a margin.
MAX_CONNECTIONS = 120
DATABASE = "soak"


def _bindir() -> Path | None:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                   timeout=10, check=True).stdout.strip()
            candidates.append(Path(found))
    # The newest major version first: /usr/lib/postgresql/15/bin before 9.6's.
    candidates += sorted((Path(path) for path in glob.glob("/usr/lib/postgresql/*/bin")),
                         key=lambda path: _version(path.parent.name), reverse=True)
    initdb = shutil.which("initdb")
    if initdb is not None:
        candidates.append(Path(initdb).resolve().parent)
    for candidate in candidates:
        if all((candidate / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return candidate
    return None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


class PrivatePostgres:
    """initdb, start, restart (`pg_ctl restart -m fast`) and remove a throwaway cluster."""

    def __init__(self, bindir: Path, user: str | None) -> None:
        self.bindir = bindir
        self.user = user  # run the server's commands as this account (we are root)
        self.port = free_port()
        # Made by `start`, not here: `find` only says whether a cluster could be made.
        self.root = Path()
        self.restarts = 0

    @classmethod
    def find(cls) -> tuple[PrivatePostgres | None, str]:
        """A cluster that can be made here, or None and the reason."""
        bindir = _bindir()
        if bindir is None:
            return None, "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
        user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return None, "running as root and there is no postgres account for initdb"
            if shutil.which("runuser") is None:
                return None, "running as root and runuser is missing"
            user = "postgres"
        return cls(bindir, user), ""

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    async def start(self) -> None:
        """initdb (first time), start the server and create the soak's database."""
        if self.root == Path():
            # Under /tmp, not the caller's directory: the postgres account must reach it.
            self.root = Path(tempfile.mkdtemp(prefix="cutri-soak-pg-"))
            if self.user is not None:
                account = pwd.getpwnam(self.user)
                os.chown(self.root, account.pw_uid, account.pw_gid)
        if not self.data.exists():
            await self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
            await self._start()
            await self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                            "-d", "postgres", "-q", "-c", f"CREATE DATABASE {DATABASE}")
            return
        await self._start()

    async def restart(self) -> None:
        """A real restart: every connection ends, the server stops and starts again."""
        await self._run("pg_ctl", "restart", "-D", str(self.data), "-m", "fast", "-w",
                        "-t", "60", "-l", str(self.log), "-o", self._options())
        self.restarts += 1

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    async def stop(self) -> None:
        if self.root == Path():
            return
        if self.data.exists():
            with contextlib.suppress(RuntimeError):
                await self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate",
                                "-w", "-t", "30")
        shutil.rmtree(self.root, ignore_errors=True)

    async def _start(self) -> None:
        await self._run("pg_ctl", "start", "-D", str(self.data), "-w", "-t", "60",
                        "-l", str(self.log), "-o", self._options())
        if not await listening(self.port):
            raise RuntimeError("the soak's PostgreSQL did not start")

    def _options(self) -> str:
        # Nothing here must survive a crash of the machine: no fsync, no full-page writes.
        return (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
                f" -c max_connections={MAX_CONNECTIONS} -c fsync=off"
                " -c full_page_writes=off -c synchronous_commit=off")

    async def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        process = await asyncio.create_subprocess_exec(
            *command, cwd=self.root, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{tool} failed ({process.returncode}): "
                               f"{output.decode(errors='replace')[-2000:]}")
