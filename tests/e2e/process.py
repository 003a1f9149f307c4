"""Running the real `cutri run` process for end-to-end tests, against fakes on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


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
            for _ in range(300):
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

    async def stop(self) -> int:
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=15)
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

    async def until_handled(self, channel: str, update_id: object, chat_id: object,
                            *, seconds: float = 30.0) -> None:
        """Wait until the bot has handled this update and sent all it queued for `chat_id`.

        Read from the bot's own database rather than waited out as a quiet spell, so that a
        slow or busy machine changes how long this takes, never what it sees: the record of an
        update commits together with the replies it queued, and a reply leaves the outbox's
        pending states only once the platform has answered its send. Rows queued for later
        (quiet hours, reminders) are not waited for.
        """
        deadline = time.monotonic() + seconds
        while not await asyncio.to_thread(self._handled, channel, str(update_id), str(chat_id)):
            if time.monotonic() > deadline:
                raise AssertionError(f"update {update_id} not handled and sent in {seconds} s:\n"
                                     + self.log()[-3000:])
            await asyncio.sleep(0.02)

    def _handled(self, channel: str, update_id: str, chat_id: str) -> bool:
        with sqlite3.connect(self.database_path, timeout=30) as connection:
            recorded = connection.execute(
                "SELECT 1 FROM inbound_events WHERE channel = ? AND external_id = ?",
                (channel, update_id),
            ).fetchone()
            unsent = connection.execute(
                "SELECT 1 FROM outbox WHERE channel = ? AND chat_id = ?"
                " AND status IN ('pending', 'sending')"
                " AND not_before <= datetime('now', '+60 seconds')",
                (channel, chat_id),
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
