"""A warm start for the `cutri` processes of end-to-end tests: forks of a preloaded interpreter.

Importing the program and its libraries (SQLAlchemy, Alembic, the catalogs, the documents'
libraries) costs about a CPU-second for every process that starts the bot, and the suite
starts it dozens of times. This server (`python -m
tests.e2e.zygote`, one per test worker) imports the program once and then forks a child per
request that runs `bot.cli.main(argv)` as `python -m bot.cli` would: in its own directory, with
exactly the environment given, output to its own files. The child is still a separate process
of its own, with its own pid, signals and exit status; only the imports are already done.

One JSON object per line. Requests on stdin:
    {"argv": [...], "env": {...}, "cwd": "...", "stdout": "path", "stderr": "path"}
Answers on stdout: {"pid": n} once the child exists (or {"error": "..."}), and later
{"exited": n, "code": c} when it ends, `c` negative for a signal as in `subprocess`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import sys
import traceback
from typing import Any

# What `cutri run` and the CLI commands import; each is imported here only to be warm.
PRELOAD = (
    "bot.cli",
    "bot.app",
    "storage.migrate",
    "storage.demo",
    "storage.people.roles",
    "storage.places",
    "alembic.command",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.postgresql.asyncpg",
)


def preload() -> None:
    for name in PRELOAD:
        # A module that fails here fails the same way in the child, where the test sees it.
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def answer(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def run_child(request: dict[str, Any], wakeup: tuple[int, int]) -> None:
    """In the forked child: become the requested `cutri` process; never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in wakeup:
            os.close(fd)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        for target, path, mode in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], flags),
                                   (2, request["stderr"], flags)):
            fd = os.open(path, mode, 0o644)
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["cutri", *request["argv"]]
        from bot.cli import main

        code = main(request["argv"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    preload()
    # SIGCHLD wakes the select() below through this pipe, so exits are reported at once.
    wakeup = os.pipe()
    for fd in wakeup:
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wakeup[1])
    signal.signal(signal.SIGCHLD, lambda *_: None)
    pending = b""
    alive: set[int] = set()
    while True:
        try:
            ready, _, _ = select.select([0, wakeup[0]], [], [])
        except InterruptedError:
            continue
        if wakeup[0] in ready:
            with contextlib.suppress(BlockingIOError):
                while os.read(wakeup[0], 512):
                    pass
        alive -= reap()
        if 0 not in ready:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            # The test worker has gone. Its tests stop their bots, but one that failed half-way
            # may have left one running: it must not outlive the run.
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            os._exit(0)
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request = json.loads(line)
            sys.stdout.flush()  # nothing buffered may be written twice by the child
            try:
                pid = os.fork()
            except OSError as error:
                answer({"error": str(error)})
                continue
            if pid == 0:
                run_child(request, wakeup)
            alive.add(pid)
            answer({"pid": pid})


def reap() -> set[int]:
    """Report every child that has ended; their pids."""
    ended: set[int] = set()
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.add(pid)
        answer({"exited": pid, "code": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    serve()
