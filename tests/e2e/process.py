"""Running the real `cutri run` process for end-to-end tests, against fakes on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


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
            **env,
        }
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", *args], cwd=self.workdir, env=self.env,
            capture_output=True, text=True, timeout=120, check=True,
        )
        return done.stdout

    async def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=self.workdir, env=self.env, stdout=log, stderr=log,
        )
        async with aiohttp.ClientSession() as http:
            for _ in range(1200):  # two minutes: a loaded machine starts slowly
                if self.process.returncode is not None:
                    raise AssertionError("cutri exited early:\n" + self.log())
                try:
                    async with http.get(self.url + "/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
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

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""

    def assert_clean_log(self, *secrets: str) -> None:
        """No traceback, and nothing private (texts, phones, tokens) in the log."""
        text = self.log()
        assert "Traceback" not in text, text
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked into the log"
