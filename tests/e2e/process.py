"""Running the real `cutri run` process for end-to-end tests, against fakes on loopback.

A process starts cold (`python -m bot.cli`, as an operator starts it) unless `WARM_START` is
set, as the test suite's conftest does: then it is forked from a per-worker server that has
imported the program already (tests/e2e/zygote.py), which saves the 3-4 CPU-seconds of
imports per start. Either way it is a process of its own that runs `bot.cli.main()` with its
own pid, environment, signals and exit status. Benchmarks keep the cold start.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from queue import Queue
from typing import Any, Protocol

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
WARM_START = False
START_SECONDS = 120.0


class Child(Protocol):
    """What BotProcess needs of a process: asyncio's subprocess, or a warm-started one."""

    @property
    def pid(self) -> int: ...
    @property
    def returncode(self) -> int | None: ...
    def send_signal(self, sig: int) -> None: ...
    def kill(self) -> None: ...
    async def wait(self) -> int: ...


class WarmChild:
    """A child of the zygote: signalled by pid; its exit status arrives through the zygote."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[int]]] = []

    def exited(self, code: int) -> None:  # from the zygote's reader thread
        with self._lock:
            self.returncode = code
            self._done.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, future, code)

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            # Gone already: the zygote is about to say so.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        with self._lock:
            if self.returncode is not None:
                return self.returncode
            self._waiters.append((loop, future))
        return await future

    def wait_blocking(self, seconds: float) -> int | None:
        self._done.wait(seconds)
        return self.returncode


def _resolve(future: asyncio.Future[int], code: int) -> None:
    if not future.done():
        future.set_result(code)


class Zygote:
    """The client side of tests/e2e/zygote.py: one server per test worker, started on first use."""

    def __init__(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.zygote"], cwd=ROOT,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        self.children: dict[int, WarmChild] = {}
        self.spawned: Queue[WarmChild | str] = Queue()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, name="zygote-reader", daemon=True).start()

    def _read(self) -> None:
        assert self.server.stdout is not None
        for line in self.server.stdout:
            answer: dict[str, Any] = json.loads(line)
            if "pid" in answer:
                child = WarmChild(answer["pid"])
                self.children[child.pid] = child
                self.spawned.put(child)
            elif "exited" in answer:
                exited = self.children.pop(answer["exited"], None)
                if exited is not None:
                    exited.exited(answer["code"])
            else:
                self.spawned.put(str(answer.get("error")))
        self.spawned.put("the zygote ended")

    def spawn(self, argv: list[str], env: dict[str, str], cwd: Path, stdout: Path,
              stderr: Path) -> WarmChild:
        request = {"argv": argv, "env": env, "cwd": str(cwd), "stdout": str(stdout),
                   "stderr": str(stderr)}
        with self.lock:
            assert self.server.stdin is not None
            self.server.stdin.write(json.dumps(request).encode() + b"\n")
            self.server.stdin.flush()
            child = self.spawned.get(timeout=START_SECONDS)
        if isinstance(child, str):
            raise RuntimeError(f"could not start cutri: {child}")
        return child

    def close(self) -> None:
        # The server exits when its input ends; not waited for, so that a worker's exit is
        # never held up by it.
        if self.server.stdin is not None:
            with contextlib.suppress(OSError):
                self.server.stdin.close()


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def zygote() -> Zygote:
    global _zygote
    with _zygote_lock:
        if _zygote is None or _zygote.server.poll() is not None:
            _zygote = Zygote()
            atexit.register(_zygote.close)
        return _zygote


@asynccontextmanager
async def busy_core() -> AsyncIterator[None]:
    """Another process spinning on a core for the duration: what the code under test does
    must not depend on having the machine to itself."""
    spinner = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "while True: pass",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spinner.kill()
        await spinner.wait()


def run_cutri(args: list[str], *, env: dict[str, str], cwd: Path,
              timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """`python -m bot.cli ARGS` to its end, with exactly `env`, as `subprocess.run` would
    (output captured as text); forked from the worker's warm interpreter when WARM_START."""
    command = [sys.executable, "-m", "bot.cli", *args]
    if not WARM_START:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="cutri-cli-") as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        child = zygote().spawn(args, env, cwd, out, err)
        code = child.wait_blocking(timeout)
        if code is None:
            child.kill()
            raise subprocess.TimeoutExpired(command, timeout)
        stdout, stderr = (path.read_text("utf-8", errors="replace") if path.exists() else ""
                          for path in (out, err))
    return subprocess.CompletedProcess(command, code, stdout, stderr)


async def listening(port: int, *, seconds: float = 30.0) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port` within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return True
        await asyncio.sleep(0.05)
    return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """`python -m bot.cli run` with its own SQLite file, HTTP port and environment."""

    def __init__(self, workdir: Path, **env: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.log_path = workdir / "cutri.log"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cutri.db'}",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.port),
            "LOCAL_CHAT": "false",
            "OUTBOX_POLL_SECONDS": "0.2",
            "LOG_LEVEL": "INFO",
            # Scripted people answer at machine speed; the flood limit has tests of its own.
            "INBOUND_PER_MINUTE": "100000",
            "INBOUND_BURST": "100000",
            **env,
        }
        self.process: Child | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        """Run one `cutri` command to its end; its standard output, or CalledProcessError."""
        done = run_cutri(list(args), env=self.env, cwd=self.workdir)
        done.check_returncode()
        return done.stdout

    async def start(self) -> None:
        if WARM_START:
            self.process = zygote().spawn(["run"], self.env, self.workdir, self.log_path,
                                          self.log_path)
        else:
            with self.log_path.open("ab") as log:
                self.process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", "run",
                    cwd=self.workdir, env=self.env, stdout=log, stderr=log,
                )
        # Generous: on a loaded machine a start may take long, and a wait that ends early only
        # ends with a failure.
        deadline = time.monotonic() + START_SECONDS
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError("cutri exited early:\n" + self.log())
                try:
                    async with http.get(self.url + "/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError("cutri did not start:\n" + self.log())

    async def stop(self, seconds: float = 15) -> int:
        """SIGTERM, and the exit code; fails if the process is still running after `seconds`."""
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=seconds)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError("cutri did not stop on SIGTERM:\n" + self.log()) from None

    async def kill(self) -> int:
        """SIGKILL: no shutdown code runs, as after a power cut or the OOM killer."""
        if self.process is None:
            return 0
        if self.process.returncode is not None:
            return self.process.returncode
        self.process.kill()
        return await self.process.wait()

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    @property
    def database_path(self) -> Path:
        url = self.env["DATABASE_URL"]
        assert url.startswith("sqlite+aiosqlite:///"), "only the SQLite file can be read here"
        return Path(url.removeprefix("sqlite+aiosqlite:///"))

    async def until_handled(self, channel: str, update_id: object, *,
                            seconds: float = 30.0) -> None:
        """Wait until the bot has handled this update and sent everything it has queued.

        Read from the bot's own database rather than waited out as a quiet spell, so that a
        slow or busy machine changes how long this takes, never what it sees: the record of an
        update commits together with the messages it queued (to this person and to anyone it
        notifies), and a message leaves the outbox's pending states only once the platform has
        answered its send. Messages queued for later (quiet hours, reminders) are not waited for.
        """
        deadline = time.monotonic() + seconds
        while not await asyncio.to_thread(self._handled, channel, str(update_id)):
            if time.monotonic() > deadline:
                raise AssertionError(f"update {update_id} not handled and sent in {seconds} s:\n"
                                     + self.log()[-3000:])
            await asyncio.sleep(0.02)

    def _handled(self, channel: str, update_id: str) -> bool:
        with sqlite3.connect(self.database_path, timeout=30) as connection:
            recorded = connection.execute(
                "SELECT 1 FROM inbound_events WHERE channel = ? AND external_id = ?"
                " AND handled_at IS NOT NULL",
                (channel, update_id),
            ).fetchone()
            unsent = connection.execute(
                "SELECT 1 FROM outbox WHERE status IN ('pending', 'sending')"
                " AND not_before <= datetime('now', '+60 seconds')"
            ).fetchone()
        return recorded is not None and unsent is None

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""

    def assert_clean_log(self, *secrets: str) -> None:
        """No traceback, and nothing private (texts, phones, tokens) in the log."""
        text = self.log()
        assert "Traceback" not in text, text
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked into the log"
